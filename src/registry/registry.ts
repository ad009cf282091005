/**
 * The embedded model registry (rank 5): immutable, content-addressed versions that were scanned,
 * converted and signature-checked on the way in; aliases with full history; tags; provenance; roles
 * and API tokens; and every action as a leaf of the RFC 6962 audit log (signing.md §5.6), committed
 * in the same transaction as the change it records. Every public method takes the acting identity
 * and checks its role; the HTTP server reuses this class with `authenticate(token)`.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { encodeVkey, type AuditEvent, type JsonValue } from '../audit/index.js';
import { MvError, isMvError } from '../core/index.js';
import type { VerifyResult } from '../host/index.js';
import type { FileReport, ScanOptions } from '../scan/index.js';
import type { AuditEventInput, VerifyAllResult } from './audit-store.js';
import { FsBlobStore, assertDigest, type BlobStore, type Digest } from './blob-store.js';
import { FORMAT_RULE_BY_NAME, defaultConverter, type ConvertOutput, type Converter, MAX_CONVERT_BYTES } from './converter.js';
import { copyHashed, ensureDir, pidAlive, tempName, tempOwner } from './fs-util.js';
import { layoutOf, type RegistryLayout } from './layout.js';
import type {
  AliasMove, AliasRecord, IdentityRecord, MetadataStore, MetadataTx, ModelRecord, RegistrySettings, TagRecord, TokenRecord, VersionRecord,
} from './metadata-store.js';
import {
  assertAliasName, assertIdentityName, assertMetadata, assertModelName, assertReason, assertTagKey, assertTagValue, parseVersionNumber, type VersionRef,
} from './names.js';
import { roleAtLeast, type Role } from './roles.js';
import { SqliteMetadataStore } from './sqlite-store.js';

export interface RegistryOptions {
  /** Milliseconds since the epoch (default Date.now). */
  readonly clock?: () => number;
  readonly converter?: Converter;
  readonly scan?: ScanOptions;
}

export interface InitOptions extends RegistryOptions {
  /** The first identity; it becomes admin (the CLI passes the OS user). */
  readonly admin: string;
  /** Audit log origin and key name (default `modelvault.local/<registry id>`). */
  readonly origin?: string;
  /** Default ['production']. */
  readonly protectedAliases?: readonly string[];
  /** Default true. */
  readonly separationOfDuties?: boolean;
}

export interface PushInput {
  readonly file: string;
  readonly name: string;
  /** OMS signature bundle over the uploaded file. */
  readonly signature?: string;
  readonly meta?: Readonly<Record<string, string>>;
  /** Keep the legacy original (quarantined, never loadable) when it is converted. */
  readonly keepOriginal?: boolean;
}

export interface PushResult extends Pick<VersionRecord, 'model' | 'version' | 'digest' | 'size' | 'format' | 'sourceDigest' | 'signer'> {
  readonly converted: boolean;
  /** False when the same bytes are already a version of this model: nothing new was stored. */
  readonly created: boolean;
  /** Audit leaf of the version.create event (of the existing version for a duplicate). */
  readonly auditIndex: number;
  /** tlog-proof receipt of that leaf. */
  readonly receipt: string;
}

export interface ActionResult {
  readonly auditIndex: number;
  readonly receipt: string;
}

export interface CreatedToken {
  readonly id: string;
  /** The secret: shown once, stored only as SHA-256. */
  readonly token: string;
  readonly identity: string;
  readonly expiresAt: number;
}

export interface RecoveryReport {
  readonly tempFiles: number;
  readonly stagingDirs: number;
  readonly orphanBlobs: number;
  readonly stalePending: number;
  readonly signedTail: boolean;
}

export interface StateProblem {
  readonly kind: 'version-unlogged' | 'version-mismatch' | 'version-missing' | 'alias-mismatch' | 'status-mismatch';
  readonly message: string;
}

export interface AuditVerifyResult {
  readonly ok: boolean;
  readonly log: VerifyAllResult;
  /** Registry tables replayed against the log: every version, status and alias must match its leaves. */
  readonly state: readonly StateProblem[];
}

/** Token syntax: `mvt_` + base64url of 32 random bytes. */
const TOKEN_RE = /^mvt_[A-Za-z0-9_-]{43}$/;
export const DEFAULT_TOKEN_SECONDS = 30 * 24 * 3600;
export const MAX_TOKEN_SECONDS = 366 * 24 * 3600;

const sha256hex = (s: string | Uint8Array): string => createHash('sha256').update(s).digest('hex');

function signerLine(r: VerifyResult): string | null {
  const s = r.signer;
  if (!s) return null;
  switch (s.kind) {
    case 'key':
      return `key ${s.hint}`;
    case 'certificate':
      return `certificate ${s.subject} (issuer ${s.issuer})`;
    case 'sigstore':
      return `sigstore ${s.identity} (issuer ${s.issuer})`;
  }
}

function scanSummary(r: FileReport): JsonValue {
  return {
    status: r.status,
    class: r.class ?? null,
    format: r.format,
    reason: r.reason ?? null,
    findings: r.findings.slice(0, 50).map((f) => ({ rule: f.rule, severity: f.severity, message: f.message.slice(0, 500) })),
    errors: r.errors.slice(0, 20).map((e) => ({ code: e.code, message: e.message.slice(0, 500) })),
    members: r.members.length,
    millis: Math.round(r.millis),
  };
}

const subject = (model: string | null, version: number | null = null, digest: string | null = null) => ({ model, version, digest });

export class Registry {
  readonly layout: RegistryLayout;
  /** What the last open cleaned up. */
  recovered: RecoveryReport = { tempFiles: 0, stagingDirs: 0, orphanBlobs: 0, stalePending: 0, signedTail: false };

  private constructor(
    dir: string,
    readonly store: MetadataStore,
    readonly blobs: BlobStore,
    readonly quarantine: BlobStore,
    private readonly settingsValue: RegistrySettings,
    private readonly opts: Required<Pick<RegistryOptions, 'clock' | 'converter'>> & RegistryOptions,
  ) {
    this.layout = layoutOf(dir);
  }

  // ── lifecycle ────────────────────────────────────────────────────────────────────────────

  /** Creates a registry folder: key pair, database, the admin identity, and the first audit leaves. */
  static async init(dir: string, o: InitOptions): Promise<Registry> {
    const L = layoutOf(dir);
    const admin = assertIdentityName(o.admin);
    if (await stat(L.db).catch(() => null)) throw new MvError('REG_CONFLICT', `${L.dir} is already a registry`);
    await ensureDir(L.dir);
    for (const d of [L.blobs, L.quarantine, L.tmp]) await ensureDir(d);
    const registryId = randomBytes(8).toString('hex');
    const origin = o.origin ?? `modelvault.local/${registryId}`;
    const { privateKey } = generateKeyPairSync('ed25519');
    const vkey = encodeVkey(origin, privateKey);
    await writeFile(L.key, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' }).catch((e) => {
      throw new MvError('REG_CONFLICT', `cannot create ${L.key} (${(e as NodeJS.ErrnoException).code})`);
    });
    await writeFile(L.vkey, `${vkey}\n`, { mode: 0o644 });
    const clock = o.clock ?? Date.now;
    // an empty file is an empty SQLite database; creating it first makes it (and its -wal/-shm) 0600
    await writeFile(L.db, '', { mode: 0o600, flag: 'wx' });
    const store = new SqliteMetadataStore({ file: L.db, origin, signingKey: privateKey, clock, create: true });
    const protectedAliases = (o.protectedAliases ?? ['production']).map(assertAliasName);
    const settings: RegistrySettings = { registryId, origin, protectedAliases, separationOfDuties: o.separationOfDuties ?? true };
    await store.write(async (tx) => {
      const now = clock();
      await tx.putSettings(settings);
      await tx.putIdentity({ name: admin, role: 'admin', createdAt: now, createdBy: admin, disabledAt: null });
      await tx.appendAudit({ actor: admin, action: 'registry.init', subject: subject(null), before: null, after: { registry_id: registryId, origin, protected_aliases: [...protectedAliases], separation_of_duties: settings.separationOfDuties } });
      await tx.appendAudit({ actor: admin, action: 'identity.create', subject: subject(null), before: null, after: { identity: admin, role: 'admin' } });
      await tx.checkpoint();
    });
    store.close();
    return Registry.open(L.dir, o);
  }

  /** Opens an initialised registry folder and removes what crashed writers left behind. */
  static async open(dir: string, o: RegistryOptions = {}): Promise<Registry> {
    const L = layoutOf(dir);
    if (!(await stat(L.db).catch(() => null))) throw new MvError('REG_NOT_INITIALISED', `${L.dir} is not a modelvault registry (run modelvault init)`);
    let keyPem: string;
    let vkey: string;
    try {
      keyPem = await readFile(L.key, 'utf8');
      vkey = (await readFile(L.vkey, 'utf8')).trim();
    } catch (e) {
      throw new MvError('REG_NOT_INITIALISED', `cannot read the registry log key (${(e as NodeJS.ErrnoException).code})`);
    }
    const key: KeyObject = createPrivateKey(keyPem);
    const origin = vkey.slice(0, vkey.indexOf('+'));
    if (encodeVkey(origin, key) !== vkey) throw new MvError('AUDIT_KEY_INVALID', 'log.key does not match log.vkey');
    const clock = o.clock ?? Date.now;
    const store = new SqliteMetadataStore({ file: L.db, origin, signingKey: key, clock });
    const settings = await store.settings();
    const reg = new Registry(L.dir, store, new FsBlobStore(L.blobs), new FsBlobStore(L.quarantine), settings, {
      ...o, clock, converter: o.converter ?? defaultConverter,
    });
    reg.recovered = await reg.recover();
    return reg;
  }

  close(): void {
    this.store.close();
  }

  settings(): RegistrySettings {
    return this.settingsValue;
  }

  /**
   * Crash recovery, run by every open: temp files and staging folders of dead processes are removed;
   * pending-blob rows of dead processes are dropped; blobs on disk that no live version references and
   * no live upload is writing are deleted (disk is listed BEFORE the database is read, so a blob that
   * a concurrent push is about to commit is always covered by its pending row). Finally an unsigned
   * log tail (impossible with same-transaction checkpoints, kept for robustness) gets a checkpoint.
   */
  async recover(): Promise<RecoveryReport> {
    const tempFiles = (await this.blobs.sweepTemp()) + (await this.quarantine.sweepTemp());
    let stagingDirs = 0;
    for (const n of await readdir(this.layout.tmp).catch(() => [] as string[])) {
      const pid = tempOwner(n);
      if (pid !== undefined && !pidAlive(pid)) {
        await rm(join(this.layout.tmp, n), { recursive: true, force: true });
        stagingDirs++;
      }
    }
    const onDisk = await this.blobs.list();
    const inQuarantine = await this.quarantine.list();
    let stalePending = 0;
    let orphanBlobs = 0;
    let signedTail = false;
    await this.store.write(async (tx) => {
      const pending = await tx.listPending();
      const live = new Set<string>();
      for (const p of pending) {
        if (pidAlive(p.pid)) live.add(p.digest);
        else {
          await tx.removePending(p.id);
          stalePending++;
        }
      }
      const refs = await tx.referencedDigests();
      for (const d of onDisk) if (!refs.blobs.has(d) && !live.has(d) && (await this.blobs.delete(d))) orphanBlobs++;
      for (const d of inQuarantine) if (!refs.quarantine.has(d) && !live.has(d) && (await this.quarantine.delete(d))) orphanBlobs++;
      const cp = this.store.audit.latestCheckpoint();
      if ((cp?.size ?? 0) !== this.store.audit.size()) {
        await tx.checkpoint();
        signedTail = true;
      }
    });
    return { tempFiles, stagingDirs, orphanBlobs, stalePending, signedTail };
  }

  // ── access control ───────────────────────────────────────────────────────────────────────

  /** Resolves an API token to its identity: AUTH_REQUIRED (unknown/malformed), AUTH_TOKEN_EXPIRED, AUTH_TOKEN_REVOKED. */
  async authenticate(token: string): Promise<string> {
    if (typeof token !== 'string' || !TOKEN_RE.test(token)) throw new MvError('AUTH_REQUIRED', 'malformed API token');
    const t = await this.store.getTokenByHash(sha256hex(token));
    if (!t) throw new MvError('AUTH_REQUIRED', 'unknown API token');
    if (t.revokedAt !== null) throw new MvError('AUTH_TOKEN_REVOKED', `token ${t.id} was revoked`);
    if (t.expiresAt !== null && t.expiresAt <= this.opts.clock()) throw new MvError('AUTH_TOKEN_EXPIRED', `token ${t.id} has expired`);
    const who = await this.store.getIdentity(t.identity);
    if (!who || who.disabledAt !== null) throw new MvError('AUTH_TOKEN_REVOKED', `the identity of token ${t.id} is disabled`);
    return who.name;
  }

  /** The actor's role; unknown and disabled identities have none (default deny). */
  async roleOf(actor: string): Promise<Role | undefined> {
    const i = await this.store.getIdentity(actor);
    return i && i.disabledAt === null ? i.role : undefined;
  }

  private async require(actor: string, need: Role, what: string): Promise<Role> {
    const role = await this.roleOf(actor);
    if (!role) throw new MvError('AUTH_FORBIDDEN', `${actor} is not an identity of this registry`);
    if (!roleAtLeast(role, need)) throw new MvError('AUTH_FORBIDDEN', `${what} needs the ${need} role; ${actor} is ${role}`);
    return role;
  }

  private isProtected(alias: string): boolean {
    return this.settingsValue.protectedAliases.includes(alias);
  }

  // ── transactions with an audit leaf ─────────────────────────────────────────────────────

  /** Runs a mutation and its audit leaf (+ checkpoint) in one transaction; returns the leaf's receipt. */
  private async act<T>(fn: (tx: MetadataTx, log: (e: AuditEventInput) => Promise<number>) => Promise<T>): Promise<{ value: T; auditIndex: number; receipt: string }> {
    let last = -1;
    const value = await this.store.write(async (tx) => {
      const v = await fn(tx, async (e) => (last = await tx.appendAudit(e)));
      if (last >= 0) await tx.checkpoint();
      return v;
    });
    return { value, auditIndex: last, receipt: last >= 0 ? this.store.audit.receipt(last) : '' };
  }

  private async liveModel(name: string): Promise<ModelRecord> {
    const m = await this.store.getModel(assertModelName(name));
    if (!m) throw new MvError('REG_NOT_FOUND', `no model ${name}`);
    if (m.deletedAt !== null) throw new MvError('REG_GONE', `model ${name} was deleted by ${m.deletedBy}`);
    return m;
  }

  private async liveVersion(model: string, version: number): Promise<VersionRecord> {
    await this.liveModel(model);
    const v = await this.store.getVersion(model, parseVersionNumber(version));
    if (!v) throw new MvError('REG_NOT_FOUND', `no version ${model}:${version}`);
    if (v.status === 'deleted') throw new MvError('REG_GONE', `version ${model}:${version} was deleted by ${v.statusBy}`);
    return v;
  }

  // ── push ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Ingests one model file: stage a private copy (hashing it), scan it (refused unless clean), verify
   * its signature against policy.json, convert legacy formats to a modelvault/1 artifact, store the
   * blob, then the version row + audit leaf + checkpoint in one transaction. Any refusal after the
   * arguments were validated is itself audited (`version.reject` with the reason) and rethrown.
   */
  async push(actor: string, input: PushInput): Promise<PushResult> {
    const name = assertModelName(input.name);
    const meta = assertMetadata(input.meta ?? {});
    const st = await stat(input.file).catch(() => null);
    if (!st) throw new MvError('IO_NOT_FOUND', `no file ${input.file}`);
    if (!st.isFile()) throw new MvError('USAGE_INVALID', `${input.file} is not a regular file (push one model file)`);
    if (input.signature !== undefined && !(await stat(input.signature).catch(() => null))) throw new MvError('IO_NOT_FOUND', `no signature file ${input.signature}`);
    let sourceDigest: Digest | null = null;
    try {
      await this.require(actor, 'publisher', 'push');
      const m = await this.store.getModel(name);
      if (m?.deletedAt != null) throw new MvError('REG_GONE', `model ${name} was deleted; its name stays reserved`);
      return await this.ingest(actor, name, meta, input, (d) => (sourceDigest = d));
    } catch (e) {
      if (!isMvError(e)) throw e;
      // best effort: a failure to log the refusal must not hide why the push was refused
      await this.act(async (_tx, log) =>
        log({ actor, action: 'version.reject', subject: subject(name, null, sourceDigest), before: null, after: { code: e.code }, reason: `${e.code}: ${e.message}`.slice(0, 4000) }),
      ).catch(() => undefined);
      throw e;
    }
  }

  private async ingest(actor: string, name: string, meta: Readonly<Record<string, string>>, input: PushInput, onDigest: (d: Digest) => void): Promise<PushResult> {
    const fileName = basename(input.file);
    const stage = join(this.layout.tmp, tempName());
    await mkdir(stage, { mode: 0o700 });
    const staged = join(stage, fileName);
    const pendingIds: number[] = [];
    const stored: { blobs: Digest[]; quarantine: Digest[] } = { blobs: [], quarantine: [] };
    try {
      // 1. private copy: everything below reads our copy, never the caller's file (no TOCTOU).
      const src = await copyHashed(input.file, staged, 0o600);
      onDigest(src.digest);
      // same uploaded bytes as a live version (conversion embeds a time, so compare the source too)
      const same = await this.store.findVersionByDigest(name, src.digest);
      if (same) return this.duplicateResult(same);
      // 2. scan
      // scan/host/convert are loaded on first push only: list, show and pull never pay for them
      const { openFileSource } = await import('../host/index.js');
      const { scanSource } = await import('../scan/index.js');
      const opened = openFileSource(staged);
      let report: FileReport;
      try {
        report = await scanSource(opened.source, fileName, this.opts.scan ?? {});
      } finally {
        opened.close();
      }
      if (report.status !== 'clean') {
        throw new MvError('SCAN_BLOCKED', `${fileName} is ${report.class ?? 'blocked'}: ${report.reason ?? report.findings[0]?.message ?? report.errors[0]?.message ?? 'blocked'}`);
      }
      // 3. signature, against the registry's trust policy
      const sig = await this.checkSignature(staged, input.signature);
      // 4. format: store as is, or convert
      const rule = FORMAT_RULE_BY_NAME.get(report.format);
      if (!rule) throw new MvError('REG_FORMAT_REFUSED', `${report.format} files are not stored (not a safe artifact format, and not convertible)`);
      let conv: ConvertOutput | undefined;
      if (rule.action === 'convert') {
        if (src.size > MAX_CONVERT_BYTES) throw new MvError('LIMIT_EXCEEDED', `legacy file is larger than ${MAX_CONVERT_BYTES} bytes`, { limit: 'maxConvertBytes', actual: src.size });
        conv = await this.opts.converter.convert({
          bytes: await readFile(staged), format: report.format, fileName, sourceDigest: src.digest, created: new Date(this.opts.clock()).toISOString(),
        });
      }
      const artifactDigest = conv ? `sha256:${sha256hex(conv.artifact)}` : src.digest;
      // 5. duplicate? (checked again under the write lock)
      const dup = await this.store.findVersionByDigest(name, artifactDigest);
      if (dup) return this.duplicateResult(dup);
      // 6. blobs, protected by pending rows against a concurrent open's orphan sweep
      const keepOriginal = conv !== undefined && input.keepOriginal === true;
      await this.store.write(async (tx) => {
        pendingIds.push(await tx.addPending(artifactDigest, process.pid, this.opts.clock()));
        if (keepOriginal) pendingIds.push(await tx.addPending(src.digest, process.pid, this.opts.clock()));
      });
      let size = src.size;
      stored.blobs.push(artifactDigest);
      if (keepOriginal) stored.quarantine.push(src.digest);
      if (conv) {
        size = (await this.blobs.putBytes(conv.artifact)).size;
        if (keepOriginal) await this.quarantine.putFile(staged, { move: src });
      } else {
        await this.blobs.putFile(staged, { move: src });
      }
      // 7. metadata + audit leaf + checkpoint, one transaction
      const now = this.opts.clock();
      const format = conv ? conv.format : report.format;
      const provenance = {
        uploader: actor,
        time: new Date(now).toISOString(),
        source: { file: fileName, digest: src.digest, size: src.size, format: report.format },
        signature: sig,
        scan: scanSummary(report),
        conversion: conv ? { format: conv.format, report: conv.report } : null,
        original: keepOriginal ? { digest: src.digest, quarantined: true } : null,
        metadata: meta,
      };
      const signer = sig ? (sig.signer as string | null) : null;
      const result = await this.act(async (tx, log) => {
        for (const id of pendingIds) await tx.removePending(id);
        const again = await tx.findVersionByDigest(name, artifactDigest);
        if (again) return { dup: again, version: again.version };
        const model = await tx.getModel(name);
        if (model?.deletedAt != null) throw new MvError('REG_GONE', `model ${name} was deleted; its name stays reserved`);
        if (!model) {
          await tx.createModel(name, actor, now);
          await log({ actor, action: 'model.create', subject: subject(name), before: null, after: { name } });
        }
        const version = await tx.nextVersion(name);
        const idx = await log({
          actor, action: 'version.create', subject: subject(name, version, artifactDigest), before: null,
          after: { version, digest: artifactDigest, size, format, source_digest: src.digest, signer, converted: conv !== undefined, metadata: meta },
        });
        const n = await tx.insertVersion({
          model: name, digest: artifactDigest, size, format, sourceDigest: src.digest, originalDigest: keepOriginal ? src.digest : null, signer,
          createdAt: now, createdBy: actor, provenance,
        }, idx);
        if (n !== version) throw new MvError('INTERNAL', 'version number changed inside the transaction');
        return { dup: undefined, version };
      });
      pendingIds.length = 0; // committed: the pending rows are gone
      if (result.value.dup) {
        // a concurrent push stored the same upload first; our converted artifact may differ (timestamps)
        await this.gc(stored).catch(() => undefined);
        return this.duplicateResult(result.value.dup);
      }
      return {
        model: name, version: result.value.version, digest: artifactDigest, size, format, sourceDigest: src.digest, converted: conv !== undefined,
        created: true, signer, auditIndex: result.auditIndex, receipt: result.receipt,
      };
    } finally {
      if (pendingIds.length) {
        // failed after storing blobs: drop the pending rows and any blob nothing references (a
        // long-running server never reopens, so do not leave this to the next open's sweep)
        await this.store.write(async (tx) => {
          for (const id of pendingIds) await tx.removePending(id);
        }).catch(() => {});
        await this.gc(stored).catch(() => {});
      }
      await rm(stage, { recursive: true, force: true });
    }
  }

  private duplicateResult(v: VersionRecord): PushResult {
    return {
      model: v.model, version: v.version, digest: v.digest, size: v.size, format: v.format, sourceDigest: v.sourceDigest,
      converted: v.format === 'modelvault/1' && v.sourceDigest !== v.digest, created: false, signer: v.signer, auditIndex: v.auditIndex,
      receipt: this.store.audit.receipt(v.auditIndex),
    };
  }

  /** Verifies the upload's OMS bundle with policy.json. No policy: unsigned uploads pass, signed ones are refused (nothing to trust). */
  private async checkSignature(staged: string, signature: string | undefined): Promise<Record<string, JsonValue> | null> {
    const hasPolicy = (await stat(this.layout.policy).catch(() => null)) !== null;
    if (!hasPolicy) {
      if (signature === undefined) return null;
      throw new MvError('SIG_KEY_MISMATCH', 'the registry has no trust policy (policy.json), so no signer can be trusted');
    }
    const { loadTrustPolicy, verifyModel } = await import('../host/index.js');
    const policy = await loadTrustPolicy(this.layout.policy);
    if (signature === undefined && !policy.requireSignature) return null;
    if (signature === undefined) throw new MvError('SIG_UNSIGNED', 'the registry trust policy requires a signature (--signature SIG)');
    const r = await verifyModel(staged, { signature, trust: { kind: 'policy', policy } });
    if (!r.ok) throw new MvError(r.code ?? 'SIG_INVALID', r.reason ?? 'signature verification failed');
    const bundle = await readFile(signature, 'utf8');
    return { signer: signerLine(r), matched: r.matched ?? null, root_digest: r.rootDigest ?? null, bundle_sha256: sha256hex(bundle), bundle };
  }

  // ── read ─────────────────────────────────────────────────────────────────────────────────

  /** Resolves `NAME:VERSION` or `NAME@ALIAS` to a live version. */
  async resolve(actor: string, ref: VersionRef): Promise<VersionRecord> {
    await this.require(actor, 'reader', 'reading');
    switch (ref.kind) {
      case 'version':
        return this.liveVersion(ref.model, ref.version);
      case 'alias': {
        await this.liveModel(ref.model);
        const a = await this.store.getAlias(ref.model, ref.alias);
        if (!a) throw new MvError('REG_NOT_FOUND', `model ${ref.model} has no alias ${ref.alias}`);
        return this.liveVersion(ref.model, a.version);
      }
      case 'model':
        throw new MvError('USAGE_INVALID', `give a version or alias: ${ref.model}:N or ${ref.model}@ALIAS (there is no implicit "latest")`);
    }
  }

  /** Writes the version's artifact to `dest`, re-verifying its digest on the way out. */
  async pull(actor: string, ref: VersionRef, dest: string): Promise<{ version: VersionRecord; path: string; size: number }> {
    const v = await this.resolve(actor, ref);
    const info = await this.blobs.readTo(v.digest, dest);
    return { version: v, path: dest, size: info.size };
  }

  /**
   * The version's artifact as a stream for the HTTP server: chunks as read; after the last chunk the
   * stream throws REG_BLOB_CORRUPT if the bytes do not hash to the version's digest (so a server must
   * not commit a response as complete before the iteration ends).
   */
  async openArtifact(actor: string, ref: VersionRef): Promise<{ version: VersionRecord; chunks: AsyncIterable<Uint8Array> }> {
    const v = await this.resolve(actor, ref);
    return { version: v, chunks: this.blobs.read(v.digest) };
  }

  /** Pull by digest: only artifacts of live versions; quarantined originals are refused (REG_QUARANTINED). */
  async pullDigest(actor: string, digest: string, dest: string): Promise<{ size: number }> {
    await this.require(actor, 'reader', 'reading');
    const d = assertDigest(digest);
    const refs = await this.store.referencedDigests();
    if (!refs.blobs.has(d)) {
      if (refs.quarantine.has(d)) throw new MvError('REG_QUARANTINED', `${d} is a quarantined original upload; it is never served`);
      throw new MvError('REG_NOT_FOUND', `no live version has digest ${d}`);
    }
    return { size: (await this.blobs.readTo(d, dest)).size };
  }

  async listModels(actor: string): Promise<{ model: ModelRecord; versions: number; latest: number | null; aliases: AliasRecord[] }[]> {
    await this.require(actor, 'reader', 'reading');
    const out = [];
    for (const m of await this.store.listModels()) {
      const vs = (await this.store.listVersions(m.name)).filter((v) => v.status !== 'deleted');
      out.push({ model: m, versions: vs.length, latest: vs.length ? vs[vs.length - 1]!.version : null, aliases: await this.store.listAliases(m.name) });
    }
    return out;
  }

  async showModel(actor: string, name: string): Promise<{ model: ModelRecord; versions: VersionRecord[]; aliases: AliasRecord[]; tags: TagRecord[] }> {
    await this.require(actor, 'reader', 'reading');
    const model = await this.store.getModel(assertModelName(name));
    if (!model) throw new MvError('REG_NOT_FOUND', `no model ${name}`);
    return { model, versions: await this.store.listVersions(name), aliases: await this.store.listAliases(name), tags: await this.store.listTags(name) };
  }

  async showVersion(actor: string, ref: VersionRef): Promise<{ version: VersionRecord; aliases: string[]; tags: TagRecord[] }> {
    const v = await this.resolve(actor, ref);
    const aliases = (await this.store.listAliases(v.model)).filter((a) => a.version === v.version).map((a) => a.alias);
    return { version: v, aliases, tags: await this.store.listTags(v.model, v.version) };
  }

  async aliasHistory(actor: string, model: string, alias?: string): Promise<AliasMove[]> {
    await this.require(actor, 'reader', 'reading');
    if (!(await this.store.getModel(assertModelName(model)))) throw new MvError('REG_NOT_FOUND', `no model ${model}`);
    return this.store.aliasHistory(model, alias === undefined ? undefined : assertAliasName(alias));
  }

  // ── aliases, tags, lifecycle ─────────────────────────────────────────────────────────────

  private async checkAliasRights(actor: string, alias: string, target: VersionRecord | null): Promise<void> {
    if (!this.isProtected(alias)) {
      await this.require(actor, 'publisher', `moving alias ${alias}`);
      return;
    }
    await this.require(actor, 'approver', `moving protected alias ${alias}`);
    if (target && this.settingsValue.separationOfDuties && target.createdBy === actor) {
      throw new MvError('AUTH_FORBIDDEN', `separation of duties: ${actor} uploaded ${target.model}:${target.version} and cannot also move ${alias} to it`);
    }
  }

  /** Points `alias` at a version (creating or moving it); a no-op move records nothing. */
  async setAlias(actor: string, model: string, alias: string, version: number): Promise<ActionResult & { from: number | null; to: number; changed: boolean }> {
    const a = assertAliasName(alias);
    const target = await this.liveVersion(model, version);
    await this.checkAliasRights(actor, a, target);
    if (target.status === 'deprecated' && this.isProtected(a)) throw new MvError('REG_CONFLICT', `${model}:${version} is deprecated; protected alias ${a} cannot point at it`);
    const r = await this.act(async (tx, log) => {
      const live = await tx.getVersion(model, target.version); // re-read under the write lock
      if (!live || live.status === 'deleted') throw new MvError('REG_GONE', `${model}:${target.version} was deleted`);
      const cur = await tx.getAlias(model, a);
      if (cur?.version === target.version) return { from: cur.version, changed: false };
      const now = this.opts.clock();
      const idx = await log({
        actor, action: 'alias.set', subject: subject(model, target.version, target.digest),
        before: cur ? { alias: a, version: cur.version } : null, after: { alias: a, version: target.version },
      });
      await tx.setAlias({ model, alias: a, version: target.version, updatedAt: now, updatedBy: actor }, { model, alias: a, from: cur?.version ?? null, to: target.version, actor, time: now, auditIndex: idx });
      return { from: cur?.version ?? null, changed: true };
    });
    return { ...r, from: r.value.from, to: target.version, changed: r.value.changed };
  }

  async deleteAlias(actor: string, model: string, alias: string): Promise<ActionResult> {
    const a = assertAliasName(alias);
    await this.liveModel(model);
    await this.checkAliasRights(actor, a, null);
    return this.act(async (tx, log) => {
      const cur = await tx.getAlias(model, a);
      if (!cur) throw new MvError('REG_NOT_FOUND', `model ${model} has no alias ${a}`);
      const idx = await log({ actor, action: 'alias.delete', subject: subject(model, cur.version), before: { alias: a, version: cur.version }, after: null });
      await tx.deleteAlias(model, a, { model, alias: a, from: cur.version, to: null, actor, time: this.opts.clock(), auditIndex: idx });
    });
  }

  /** Sets a tag on a model (`version` null) or a version. */
  async setTag(actor: string, model: string, version: number | null, key: string, value: string): Promise<ActionResult> {
    const k = assertTagKey(key);
    const val = assertTagValue(value);
    await this.require(actor, 'publisher', 'tagging');
    const v = version === null ? null : await this.liveVersion(model, version);
    if (!v) await this.liveModel(model);
    return this.act(async (tx, log) => {
      const tags = await tx.listTags(model, version);
      if (!tags.some((t) => t.key === k) && tags.length >= 64) throw new MvError('REG_METADATA_INVALID', 'more than 64 tags');
      const old = tags.find((t) => t.key === k);
      await log({ actor, action: 'tag.set', subject: subject(model, version, v?.digest ?? null), before: old ? { key: k, value: old.value } : null, after: { key: k, value: val } });
      await tx.setTag({ model, version, key: k, value: val });
    });
  }

  async deleteTag(actor: string, model: string, version: number | null, key: string): Promise<ActionResult> {
    const k = assertTagKey(key);
    await this.require(actor, 'publisher', 'tagging');
    await this.liveModel(model);
    return this.act(async (tx, log) => {
      const old = (await tx.listTags(model, version)).find((t) => t.key === k);
      if (!old) throw new MvError('REG_NOT_FOUND', `no tag ${k}`);
      await log({ actor, action: 'tag.delete', subject: subject(model, version), before: { key: k, value: old.value }, after: null });
      await tx.deleteTag(model, version, k);
    });
  }

  async deprecate(actor: string, model: string, version: number, reason: string): Promise<ActionResult> {
    const why = assertReason(reason);
    await this.require(actor, 'approver', 'deprecating');
    const v = await this.liveVersion(model, version);
    if (v.status === 'deprecated') throw new MvError('REG_CONFLICT', `${model}:${version} is already deprecated`);
    return this.act(async (tx, log) => {
      await log({ actor, action: 'version.deprecate', subject: subject(model, v.version, v.digest), before: { status: v.status }, after: { status: 'deprecated' }, reason: why });
      await tx.setVersionStatus(model, v.version, 'deprecated', why, actor, this.opts.clock());
    });
  }

  /** Tombstones a version (admin): its bytes go, its row and audit history stay; aliases on it are removed (audited). */
  async deleteVersion(actor: string, model: string, version: number, reason: string): Promise<ActionResult> {
    const why = assertReason(reason);
    await this.require(actor, 'admin', 'deleting');
    const v = await this.liveVersion(model, version);
    const r = await this.act(async (tx, log) => {
      const live = await tx.getVersion(model, v.version);
      if (!live || live.status === 'deleted') throw new MvError('REG_GONE', `${model}:${v.version} was already deleted`);
      await this.tombstone(tx, log, actor, live, why);
    });
    await this.collect([v]);
    return { auditIndex: r.auditIndex, receipt: r.receipt };
  }

  private async tombstone(tx: MetadataTx, log: (e: AuditEventInput) => Promise<number>, actor: string, v: VersionRecord, why: string): Promise<void> {
    const now = this.opts.clock();
    for (const a of await tx.listAliases(v.model)) {
      if (a.version !== v.version) continue;
      const idx = await log({ actor, action: 'alias.delete', subject: subject(v.model, v.version), before: { alias: a.alias, version: v.version }, after: null, reason: 'version deleted' });
      await tx.deleteAlias(v.model, a.alias, { model: v.model, alias: a.alias, from: v.version, to: null, actor, time: now, auditIndex: idx });
    }
    await log({ actor, action: 'version.delete', subject: subject(v.model, v.version, v.digest), before: { status: v.status }, after: { status: 'deleted' }, reason: why });
    await tx.setVersionStatus(v.model, v.version, 'deleted', why, actor, now);
  }

  /** Tombstones a model and all its versions (admin); the name stays reserved. */
  async deleteModel(actor: string, model: string, reason: string): Promise<ActionResult> {
    const why = assertReason(reason);
    await this.require(actor, 'admin', 'deleting');
    const m = await this.liveModel(model);
    const r = await this.act(async (tx, log) => {
      // listed under the write lock: a concurrent push cannot leave a live version under a deleted model
      const versions = (await tx.listVersions(m.name)).filter((v) => v.status !== 'deleted');
      for (const v of versions) await this.tombstone(tx, log, actor, v, why);
      await log({ actor, action: 'model.delete', subject: subject(m.name), before: { versions: versions.length }, after: null, reason: why });
      await tx.markModelDeleted(m.name, actor, this.opts.clock());
      return versions;
    });
    await this.collect(r.value);
    return { auditIndex: r.auditIndex, receipt: r.receipt };
  }

  /** Deletes the bytes of tombstoned versions unless still referenced or being written. */
  private async collect(versions: readonly VersionRecord[]): Promise<void> {
    await this.gc({ blobs: versions.map((v) => v.digest), quarantine: versions.flatMap((v) => (v.originalDigest ? [v.originalDigest] : [])) });
  }

  /** Deletes these blobs unless a live version references them or an upload is writing them (under the write lock). */
  private async gc(d: { blobs: readonly Digest[]; quarantine: readonly Digest[] }): Promise<void> {
    await this.store.write(async (tx) => {
      const refs = await tx.referencedDigests();
      const pending = new Set((await tx.listPending()).map((p) => p.digest));
      for (const x of d.blobs) if (!refs.blobs.has(x) && !pending.has(x)) await this.blobs.delete(x);
      for (const x of d.quarantine) if (!refs.quarantine.has(x) && !pending.has(x)) await this.quarantine.delete(x);
    });
  }

  // ── identities and tokens ───────────────────────────────────────────────────────────────

  async listIdentities(actor: string): Promise<IdentityRecord[]> {
    await this.require(actor, 'reader', 'listing identities');
    return this.store.listIdentities();
  }

  /** Creates an identity with a role, or changes its role (admin). */
  async grant(actor: string, name: string, role: Role): Promise<ActionResult> {
    const who = assertIdentityName(name);
    await this.require(actor, 'admin', 'granting roles');
    return this.act(async (tx, log) => {
      const cur = await tx.getIdentity(who);
      const now = this.opts.clock();
      if (!cur) {
        await log({ actor, action: 'identity.create', subject: subject(null), before: null, after: { identity: who, role } });
        await tx.putIdentity({ name: who, role, createdAt: now, createdBy: actor, disabledAt: null });
        return;
      }
      if (cur.role === role && cur.disabledAt === null) throw new MvError('REG_CONFLICT', `${who} already has the ${role} role`);
      if (who === actor && !roleAtLeast(role, 'admin')) await this.assertAnotherAdmin(tx, who);
      await log({ actor, action: 'permission.grant', subject: subject(null), before: { identity: who, role: cur.role, disabled: cur.disabledAt !== null }, after: { identity: who, role } });
      await tx.putIdentity({ ...cur, role, disabledAt: null });
    });
  }

  private async assertAnotherAdmin(tx: MetadataTx, who: string): Promise<void> {
    const admins = (await tx.listIdentities()).filter((i) => i.role === 'admin' && i.disabledAt === null && i.name !== who);
    if (admins.length === 0) throw new MvError('REG_CONFLICT', 'the registry must keep at least one admin');
  }

  /** Disables an identity (admin): its tokens stop working; its history stays. */
  async disableIdentity(actor: string, name: string): Promise<ActionResult> {
    const who = assertIdentityName(name);
    await this.require(actor, 'admin', 'disabling identities');
    return this.act(async (tx, log) => {
      const cur = await tx.getIdentity(who);
      if (!cur) throw new MvError('REG_NOT_FOUND', `no identity ${who}`);
      if (cur.disabledAt !== null) throw new MvError('REG_CONFLICT', `${who} is already disabled`);
      if (cur.role === 'admin') await this.assertAnotherAdmin(tx, who);
      await log({ actor, action: 'identity.disable', subject: subject(null), before: { identity: who, role: cur.role }, after: { identity: who, disabled: true } });
      await tx.putIdentity({ ...cur, disabledAt: this.opts.clock() });
    });
  }

  /** Issues a token for `identity` (own: any role; someone else's: admin). The secret is returned once. */
  async createToken(actor: string, o: { identity?: string; expiresInSeconds?: number; description?: string } = {}): Promise<CreatedToken & ActionResult> {
    const identity = assertIdentityName(o.identity ?? actor);
    await this.require(actor, identity === actor ? 'reader' : 'admin', identity === actor ? 'creating a token' : 'creating a token for someone else');
    const target = await this.store.getIdentity(identity);
    if (!target || target.disabledAt !== null) throw new MvError('REG_NOT_FOUND', `no active identity ${identity}`);
    const secs = o.expiresInSeconds ?? DEFAULT_TOKEN_SECONDS;
    if (!Number.isSafeInteger(secs) || secs < 1 || secs > MAX_TOKEN_SECONDS) throw new MvError('USAGE_INVALID', `token lifetime must be 1..${MAX_TOKEN_SECONDS} seconds`);
    const description = o.description === undefined ? null : assertReason(o.description);
    const token = `mvt_${randomBytes(32).toString('base64url')}`;
    const id = randomBytes(6).toString('hex');
    const now = this.opts.clock();
    const expiresAt = now + secs * 1000;
    const r = await this.act(async (tx, log) => {
      await log({ actor, action: 'token.create', subject: subject(null), before: null, after: { id, identity, expires_at: new Date(expiresAt).toISOString(), description } });
      await tx.insertToken({ id, identity, hash: sha256hex(token), description, createdAt: now, expiresAt, revokedAt: null });
    });
    return { id, token, identity, expiresAt, auditIndex: r.auditIndex, receipt: r.receipt };
  }

  async revokeToken(actor: string, id: string): Promise<ActionResult> {
    if (!/^[0-9a-f]{12}$/.test(id)) throw new MvError('USAGE_INVALID', 'a token id is 12 hex digits (see token list)');
    const t = await this.store.getToken(id);
    if (!t) throw new MvError('REG_NOT_FOUND', `no token ${id}`);
    await this.require(actor, t.identity === actor ? 'reader' : 'admin', t.identity === actor ? 'revoking a token' : 'revoking someone else\'s token');
    if (t.revokedAt !== null) throw new MvError('REG_CONFLICT', `token ${id} is already revoked`);
    return this.act(async (tx, log) => {
      await log({ actor, action: 'token.revoke', subject: subject(null), before: { id, identity: t.identity }, after: null });
      await tx.revokeToken(id, this.opts.clock());
    });
  }

  /** Token metadata (never the secrets): own tokens, or everyone's for an admin. */
  async listTokens(actor: string): Promise<Omit<TokenRecord, 'hash'>[]> {
    const role = await this.require(actor, 'reader', 'listing tokens');
    const rows = await this.store.listTokens(role === 'admin' ? undefined : actor);
    return rows.map(({ hash: _h, ...rest }) => rest);
  }

  // ── audit ────────────────────────────────────────────────────────────────────────────────

  /** The log's verifier key (pin it). */
  vkey(): string {
    return this.store.audit.vkey();
  }

  async auditEntries(actor: string, o: { from?: number; limit?: number; model?: string } = {}) {
    await this.require(actor, 'reader', 'reading the audit log');
    const size = this.store.audit.size();
    const out = [];
    const limit = o.limit ?? Infinity;
    for (let i = o.from ?? 0; i < size && out.length < limit; i++) {
      const e = this.store.audit.entry(i);
      if (o.model !== undefined && e.event.subject.model !== o.model) continue;
      out.push(e);
    }
    return out;
  }

  async auditReceipt(actor: string, index: number, size?: number): Promise<string> {
    await this.require(actor, 'reader', 'reading the audit log');
    return this.store.audit.receipt(index, size);
  }

  async auditConsistency(actor: string, from: number, to?: number): Promise<string> {
    await this.require(actor, 'reader', 'reading the audit log');
    return this.store.audit.consistencyProofText(from, to);
  }

  async auditCheckpoint(actor: string): Promise<string> {
    await this.require(actor, 'reader', 'reading the audit log');
    const cp = this.store.audit.latestCheckpoint();
    if (!cp) throw new MvError('AUDIT_RANGE_INVALID', 'the log has no checkpoint');
    return cp.note;
  }

  async *auditExport(actor: string): AsyncIterable<string> {
    await this.require(actor, 'reader', 'reading the audit log');
    yield* this.store.audit.export();
  }

  /** Recomputes the tree, checks every checkpoint, then replays the log against the registry tables. */
  async auditVerify(actor: string): Promise<AuditVerifyResult> {
    await this.require(actor, 'reader', 'verifying the audit log');
    const log = this.store.audit.verifyAll();
    const state = log.ok ? await this.replayState() : [];
    return { ok: log.ok && state.length === 0, log, state };
  }

  private async replayState(): Promise<StateProblem[]> {
    const problems: StateProblem[] = [];
    const versions = new Map<string, { digest: string | null; status: string; index: number }>();
    const aliases = new Map<string, number>();
    // Only version and alias events change what is replayed; verifyAll has validated every entry already.
    const VERSION = Buffer.from('"action":"version.');
    const ALIAS = Buffer.from('"action":"alias.');
    for (const { index: i, data } of this.store.audit.rawEntries(['"action":"version.', '"action":"alias.'])) {
      const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      if (!buf.includes(VERSION) && !buf.includes(ALIAS)) continue;
      const e = JSON.parse(buf.toString('utf8')) as AuditEvent;
      const key = `${e.subject.model}:${e.subject.version}`;
      const after = e.after as Record<string, JsonValue> | null;
      switch (e.action) {
        case 'version.create':
          versions.set(key, { digest: e.subject.digest, status: 'ready', index: i });
          break;
        case 'version.deprecate':
        case 'version.delete': {
          const v = versions.get(key);
          if (v) v.status = e.action === 'version.delete' ? 'deleted' : 'deprecated';
          break;
        }
        case 'alias.set':
          aliases.set(`${e.subject.model}@${String(after?.alias)}`, after?.version as number);
          break;
        case 'alias.delete':
          aliases.delete(`${e.subject.model}@${String((e.before as Record<string, JsonValue>)?.alias)}`);
          break;
      }
    }
    const seen = new Set<string>();
    for (const m of await this.store.listModels({ includeDeleted: true })) {
      for (const v of await this.store.listVersions(m.name)) {
        const key = `${m.name}:${v.version}`;
        seen.add(key);
        const logged = versions.get(key);
        if (!logged) problems.push({ kind: 'version-unlogged', message: `${key} has no version.create leaf` });
        else if (logged.digest !== v.digest || logged.index !== v.auditIndex) problems.push({ kind: 'version-mismatch', message: `${key}: stored digest or leaf differs from the log` });
        else if (logged.status !== v.status) problems.push({ kind: 'status-mismatch', message: `${key} is ${v.status} in the database but ${logged.status} in the log` });
      }
      for (const a of await this.store.listAliases(m.name)) {
        const k = `${m.name}@${a.alias}`;
        if (aliases.get(k) !== a.version) problems.push({ kind: 'alias-mismatch', message: `${k} points at ${a.version} but the log says ${aliases.get(k) ?? 'nothing'}` });
        aliases.delete(k);
      }
    }
    for (const key of versions.keys()) if (!seen.has(key)) problems.push({ kind: 'version-missing', message: `${key} is in the log but not in the database` });
    for (const [k, v] of aliases) problems.push({ kind: 'alias-mismatch', message: `${k} should point at ${v} but does not exist` });
    return problems;
  }
}

