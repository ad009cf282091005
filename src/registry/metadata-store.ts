/**
 * The metadata interface of the registry. Callers (registry.ts) only see these types, so another
 * database (PostgreSQL) can be added beside `SqliteMetadataStore` without touching them. Every method
 * is async for that reason even though better-sqlite3 is synchronous.
 *
 * The one hard requirement on an implementation: `write(fn)` runs `fn` as ONE serialisable transaction
 * across processes, and `tx.appendAudit` / `tx.checkpoint` commit with it (signing.md §5.6: "the
 * registry mutation and its audit leaf commit atomically or not at all").
 */
import type { AuditEntry, AuditEventInput, StoredCheckpoint, VerifyAllResult } from './audit-store.js';
import type { Digest } from './blob-store.js';
import type { Role } from './roles.js';

export type VersionStatus = 'ready' | 'deprecated' | 'deleted';

export interface ModelRecord {
  readonly id: number;
  readonly name: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly deletedAt: number | null;
  readonly deletedBy: string | null;
}

export interface VersionRecord {
  readonly model: string;
  readonly version: number;
  /** Digest of the stored (loadable) artifact. */
  readonly digest: Digest;
  readonly size: number;
  /** Format of the stored artifact (`modelvault/1`, `safetensors`, `onnx`, `xgboost-json`, …). */
  readonly format: string;
  /** Digest of the bytes that were uploaded (equal to `digest` unless converted). */
  readonly sourceDigest: Digest;
  /** Digest of the quarantined original (`--keep-original`), never pullable as a model. */
  readonly originalDigest: Digest | null;
  /** Signer identity line, or null for an unsigned upload. */
  readonly signer: string | null;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly status: VersionStatus;
  readonly statusReason: string | null;
  readonly statusBy: string | null;
  readonly statusAt: number | null;
  /** Audit leaf index of the `version.create` event. */
  readonly auditIndex: number;
  /** Uploader, time, source, signer, scan report, conversion report, user metadata (JSON). */
  readonly provenance: Readonly<Record<string, unknown>>;
}

export type NewVersion = Omit<VersionRecord, 'version' | 'status' | 'statusReason' | 'statusBy' | 'statusAt' | 'auditIndex'>;

export interface AliasRecord {
  readonly model: string;
  readonly alias: string;
  readonly version: number;
  readonly updatedAt: number;
  readonly updatedBy: string;
}

export interface AliasMove {
  readonly model: string;
  readonly alias: string;
  readonly from: number | null;
  readonly to: number | null;
  readonly actor: string;
  readonly time: number;
  readonly auditIndex: number;
}

export interface TagRecord {
  readonly model: string;
  /** null for a model-level tag. */
  readonly version: number | null;
  readonly key: string;
  readonly value: string;
}

export interface IdentityRecord {
  readonly name: string;
  readonly role: Role;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly disabledAt: number | null;
}

export interface TokenRecord {
  /** Public id (for listing and revoking); not the secret. */
  readonly id: string;
  readonly identity: string;
  /** SHA-256 (hex) of the token string; the token itself is never stored. */
  readonly hash: string;
  readonly description: string | null;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
}

export interface PendingBlob {
  readonly id: number;
  readonly digest: Digest;
  readonly pid: number;
  readonly startedAt: number;
}

/** Registry-wide settings, fixed at `init` (stored in the database). */
export interface RegistrySettings {
  readonly registryId: string;
  /** Audit log origin = key name (C2SP tlog-checkpoint). */
  readonly origin: string;
  /** Aliases that need the approver role (and separation of duties when on). */
  readonly protectedAliases: readonly string[];
  /** Moving a protected alias needs an approver other than the version's uploader. */
  readonly separationOfDuties: boolean;
}

/** Read-only queries, available inside and outside transactions. */
export interface MetadataReader {
  settings(): Promise<RegistrySettings>;
  getModel(name: string): Promise<ModelRecord | undefined>;
  listModels(opts?: { includeDeleted?: boolean }): Promise<ModelRecord[]>;
  getVersion(model: string, version: number): Promise<VersionRecord | undefined>;
  listVersions(model: string): Promise<VersionRecord[]>;
  /** A live version whose artifact or uploaded source has this digest. */
  findVersionByDigest(model: string, digest: Digest): Promise<VersionRecord | undefined>;
  /** Digests of every stored blob still referenced by a non-deleted version (artifacts and quarantined originals). */
  referencedDigests(): Promise<{ blobs: Set<Digest>; quarantine: Set<Digest> }>;
  getAlias(model: string, alias: string): Promise<AliasRecord | undefined>;
  listAliases(model: string): Promise<AliasRecord[]>;
  aliasHistory(model: string, alias?: string): Promise<AliasMove[]>;
  listTags(model: string, version?: number | null): Promise<TagRecord[]>;
  getIdentity(name: string): Promise<IdentityRecord | undefined>;
  listIdentities(): Promise<IdentityRecord[]>;
  getTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  listTokens(identity?: string): Promise<TokenRecord[]>;
  listPending(): Promise<PendingBlob[]>;
}

/** Mutations: only inside `MetadataStore.write`. */
export interface MetadataTx extends MetadataReader {
  putSettings(s: RegistrySettings): Promise<void>;
  createModel(name: string, actor: string, time: number): Promise<ModelRecord>;
  markModelDeleted(name: string, actor: string, time: number): Promise<void>;
  /** Inserts the next version (max + 1, gap-free) and returns its number. */
  insertVersion(v: NewVersion, auditIndex: number): Promise<number>;
  nextVersion(model: string): Promise<number>;
  setVersionStatus(model: string, version: number, status: VersionStatus, reason: string | null, actor: string, time: number): Promise<void>;
  setAlias(a: AliasRecord, move: AliasMove): Promise<void>;
  deleteAlias(model: string, alias: string, move: AliasMove): Promise<void>;
  setTag(t: TagRecord): Promise<void>;
  deleteTag(model: string, version: number | null, key: string): Promise<boolean>;
  putIdentity(i: IdentityRecord): Promise<void>;
  insertToken(t: TokenRecord): Promise<void>;
  revokeToken(id: string, time: number): Promise<void>;
  addPending(digest: Digest, pid: number, time: number): Promise<number>;
  removePending(id: number): Promise<void>;
  /** Appends an audit leaf in this transaction; returns its index. */
  appendAudit(e: AuditEventInput): Promise<number>;
  /** Signs a checkpoint of the log as it stands in this transaction. */
  checkpoint(): Promise<string>;
}

/** Read access to the audit log (the subset of AuditStore the registry exposes). */
export interface AuditLog {
  size(): number;
  entry(i: number): AuditEntry;
  receipt(i: number, size?: number): string;
  consistencyProofText(m: number, n?: number): string;
  latestCheckpoint(): StoredCheckpoint | undefined;
  verifyAll(opts?: { allowUnsignedTail?: boolean }): VerifyAllResult;
  export(): IterableIterator<string>;
  vkey(): string;
  /**
   * Every entry's index and raw canonical bytes, in order (one streaming read; no per-entry
   * validation: call `verifyAll` first when the bytes must be trusted). With `contains`, only entries
   * whose bytes contain either string (a pre-filter; callers still check the parsed event).
   */
  rawEntries(contains?: readonly [string, string]): IterableIterator<{ readonly index: number; readonly data: Uint8Array }>;
}

export interface MetadataStore extends MetadataReader {
  /** Runs `fn` as one write transaction, serialised with every other writer (all processes). */
  write<T>(fn: (tx: MetadataTx) => Promise<T>): Promise<T>;
  readonly audit: AuditLog;
  close(): void;
}
