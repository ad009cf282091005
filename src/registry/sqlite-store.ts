/**
 * SQLite implementation of MetadataStore (better-sqlite3 12, WAL, foreign keys on, busy timeout).
 * Writers take the database lock up front with BEGIN IMMEDIATE, so concurrent pushes from several
 * processes queue instead of failing on a read→write upgrade; version numbers are `max + 1` read and
 * written under that lock, hence unique and gap-free. The schema is versioned with `PRAGMA
 * user_version` and upgraded by the MIGRATIONS table, in order, each in its own transaction.
 */
import type { KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { MvError } from '../core/index.js';
import { AuditStore, type AuditEventInput, type Database } from './audit-store.js';
import type { Digest } from './blob-store.js';
import type {
  AliasMove, AliasRecord, AuditLog, IdentityRecord, MetadataReader, MetadataStore, MetadataTx, ModelRecord, NewVersion, PendingBlob,
  RegistrySettings, TagRecord, TokenRecord, VersionRecord, VersionStatus,
} from './metadata-store.js';
import type { Role } from './roles.js';

/** The better-sqlite3 surface we use beyond AuditStore's. */
interface SqliteDatabase extends Database {
  pragma(sql: string, opts?: { simple?: boolean }): unknown;
  close(): void;
}
type SqliteCtor = new (file: string, opts?: { timeout?: number; fileMustExist?: boolean }) => SqliteDatabase;

/** Milliseconds a writer waits for another process's transaction before failing. */
export const BUSY_TIMEOUT_MS = 60_000;

/** Schema migrations; `version` is the PRAGMA user_version after the step. Never edit a released step. */
export const MIGRATIONS: readonly { readonly version: number; readonly doc: string; readonly sql: string }[] = [
  {
    version: 1,
    doc: 'Initial schema: settings, identities, tokens, models, versions, aliases (+ history), tags, pending blobs.',
    sql: `
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE identities (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('reader', 'publisher', 'approver', 'admin')),
  created_at INTEGER NOT NULL, created_by TEXT NOT NULL, disabled_at INTEGER
) WITHOUT ROWID;
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  identity TEXT NOT NULL REFERENCES identities(name),
  hash TEXT NOT NULL UNIQUE,
  description TEXT,
  created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER
) WITHOUT ROWID;
CREATE TABLE models (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL, created_by TEXT NOT NULL,
  deleted_at INTEGER, deleted_by TEXT
);
CREATE TABLE versions (
  model_id INTEGER NOT NULL REFERENCES models(id),
  version INTEGER NOT NULL CHECK (version >= 1),
  digest TEXT NOT NULL, size INTEGER NOT NULL, format TEXT NOT NULL,
  source_digest TEXT NOT NULL, original_digest TEXT, signer TEXT,
  created_at INTEGER NOT NULL, created_by TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'deprecated', 'deleted')),
  status_reason TEXT, status_by TEXT, status_at INTEGER,
  audit_index INTEGER NOT NULL UNIQUE,
  provenance TEXT NOT NULL,
  PRIMARY KEY (model_id, version)
) WITHOUT ROWID;
CREATE INDEX versions_digest ON versions(digest);
CREATE TABLE aliases (
  model_id INTEGER NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL,
  PRIMARY KEY (model_id, name),
  FOREIGN KEY (model_id, version) REFERENCES versions(model_id, version)
) WITHOUT ROWID;
CREATE TABLE alias_history (
  id INTEGER PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES models(id), alias TEXT NOT NULL,
  from_version INTEGER, to_version INTEGER,
  actor TEXT NOT NULL, time INTEGER NOT NULL, audit_index INTEGER NOT NULL UNIQUE
);
CREATE TABLE tags (
  model_id INTEGER NOT NULL REFERENCES models(id),
  version INTEGER NOT NULL,  -- 0 = model-level tag
  key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (model_id, version, key)
) WITHOUT ROWID;
CREATE TABLE pending_blobs (id INTEGER PRIMARY KEY, digest TEXT NOT NULL, pid INTEGER NOT NULL, started_at INTEGER NOT NULL);
`,
  },
];
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

let ctor: SqliteCtor | undefined;
function sqlite(): SqliteCtor {
  ctor ??= createRequire(import.meta.url)('better-sqlite3') as SqliteCtor;
  return ctor;
}

interface ModelRow { id: number; name: string; created_at: number; created_by: string; deleted_at: number | null; deleted_by: string | null }
interface VersionRow {
  model: string; version: number; digest: string; size: number; format: string; source_digest: string; original_digest: string | null;
  signer: string | null; created_at: number; created_by: string; status: VersionStatus; status_reason: string | null; status_by: string | null;
  status_at: number | null; audit_index: number; provenance: string;
}

const toModel = (r: ModelRow): ModelRecord => ({
  id: r.id, name: r.name, createdAt: r.created_at, createdBy: r.created_by, deletedAt: r.deleted_at, deletedBy: r.deleted_by,
});
const toVersion = (r: VersionRow): VersionRecord => ({
  model: r.model, version: r.version, digest: r.digest, size: r.size, format: r.format, sourceDigest: r.source_digest,
  originalDigest: r.original_digest, signer: r.signer, createdAt: r.created_at, createdBy: r.created_by, status: r.status,
  statusReason: r.status_reason, statusBy: r.status_by, statusAt: r.status_at, auditIndex: r.audit_index,
  provenance: JSON.parse(r.provenance) as Record<string, unknown>,
});
const toToken = (r: { id: string; identity: string; hash: string; description: string | null; created_at: number; expires_at: number | null; revoked_at: number | null }): TokenRecord => ({
  id: r.id, identity: r.identity, hash: r.hash, description: r.description, createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at,
});
const toIdentity = (r: { name: string; role: Role; created_at: number; created_by: string; disabled_at: number | null }): IdentityRecord => ({
  name: r.name, role: r.role, createdAt: r.created_at, createdBy: r.created_by, disabledAt: r.disabled_at,
});

const VERSION_SELECT = `SELECT m.name AS model, v.* FROM versions v JOIN models m ON m.id = v.model_id`;

export interface SqliteStoreOptions {
  readonly file: string;
  readonly origin: string;
  readonly signingKey: KeyObject | Uint8Array;
  readonly clock: () => number;
  /** Create the file (init) instead of requiring it to exist. */
  readonly create?: boolean;
}

/** SQLite metadata + audit log in one database file. */
export class SqliteMetadataStore implements MetadataStore, MetadataTx {
  private readonly db: SqliteDatabase;
  private readonly cache = new Map<string, ReturnType<Database['prepare']>>();
  readonly audit: AuditStore & Pick<AuditLog, 'rawEntries'>;
  private queue: Promise<unknown> = Promise.resolve();
  private inWrite = false;

  constructor(opts: SqliteStoreOptions) {
    const Db = sqlite();
    try {
      this.db = new Db(opts.file, { timeout: BUSY_TIMEOUT_MS, fileMustExist: opts.create !== true });
    } catch (e) {
      throw new MvError('REG_NOT_INITIALISED', `cannot open the registry database ${opts.file}: ${(e as Error).message}`, {}, { cause: e });
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('synchronous = FULL');
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    migrate(this.db);
    const audit = new AuditStore(this.db, { origin: opts.origin, signingKey: opts.signingKey, clock: opts.clock, keepCheckpointsEvery: 1024 });
    const rows = this.db.prepare('SELECT idx, data FROM audit_leaves ORDER BY idx');
    // instr() over the BLOB runs in SQLite's C code: much faster than handing every row to JS
    const some = this.db.prepare('SELECT idx, data FROM audit_leaves WHERE instr(data, ?) > 0 OR instr(data, ?) > 0 ORDER BY idx');
    this.audit = Object.assign(audit, {
      *rawEntries(contains?: readonly [string, string]): IterableIterator<{ index: number; data: Uint8Array }> {
        const it = contains ? some.iterate(Buffer.from(contains[0]), Buffer.from(contains[1])) : rows.iterate();
        for (const r of it as IterableIterator<{ idx: number; data: Uint8Array }>) yield { index: r.idx, data: r.data };
      },
    });
  }

  /** The schema version stored in the file. */
  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private q(sql: string) {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  close(): void {
    this.db.close();
  }

  async write<T>(fn: (tx: MetadataTx) => Promise<T>): Promise<T> {
    // In-process: one writer at a time (the connection is shared); cross-process: BEGIN IMMEDIATE + busy timeout.
    const run = async (): Promise<T> => {
      this.db.exec('BEGIN IMMEDIATE');
      this.inWrite = true;
      try {
        const r = await fn(this);
        this.db.exec('COMMIT');
        return r;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      } finally {
        this.inWrite = false;
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private mustWrite(): void {
    if (!this.inWrite) throw new MvError('INTERNAL', 'a registry mutation ran outside a write transaction');
  }

  // ── reader ───────────────────────────────────────────────────────────────────────────────
  async settings(): Promise<RegistrySettings> {
    const rows = this.q('SELECT key, value FROM settings').all() as { key: string; value: string }[];
    const m = new Map(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
    if (!m.has('registryId')) throw new MvError('REG_NOT_INITIALISED', 'the registry database has no settings (run modelvault init)');
    return {
      registryId: m.get('registryId') as string,
      origin: m.get('origin') as string,
      protectedAliases: (m.get('protectedAliases') as string[]) ?? [],
      separationOfDuties: (m.get('separationOfDuties') as boolean) ?? false,
    };
  }

  async getModel(name: string): Promise<ModelRecord | undefined> {
    const r = this.q('SELECT * FROM models WHERE name = ?').get(name) as ModelRow | undefined;
    return r && toModel(r);
  }

  async listModels(opts: { includeDeleted?: boolean } = {}): Promise<ModelRecord[]> {
    const sql = opts.includeDeleted ? 'SELECT * FROM models ORDER BY name' : 'SELECT * FROM models WHERE deleted_at IS NULL ORDER BY name';
    return (this.q(sql).all() as ModelRow[]).map(toModel);
  }

  async getVersion(model: string, version: number): Promise<VersionRecord | undefined> {
    const r = this.q(`${VERSION_SELECT} WHERE m.name = ? AND v.version = ?`).get(model, version) as VersionRow | undefined;
    return r && toVersion(r);
  }

  async listVersions(model: string): Promise<VersionRecord[]> {
    return (this.q(`${VERSION_SELECT} WHERE m.name = ? ORDER BY v.version`).all(model) as VersionRow[]).map(toVersion);
  }

  async findVersionByDigest(model: string, digest: Digest): Promise<VersionRecord | undefined> {
    const r = this.q(`${VERSION_SELECT} WHERE m.name = ? AND (v.digest = ? OR v.source_digest = ?) AND v.status != 'deleted' ORDER BY v.version LIMIT 1`).get(model, digest, digest) as VersionRow | undefined;
    return r && toVersion(r);
  }

  async referencedDigests(): Promise<{ blobs: Set<Digest>; quarantine: Set<Digest> }> {
    const rows = this.q(`SELECT digest, original_digest FROM versions WHERE status != 'deleted'`).all() as { digest: string; original_digest: string | null }[];
    const blobs = new Set<Digest>();
    const quarantine = new Set<Digest>();
    for (const r of rows) {
      blobs.add(r.digest);
      if (r.original_digest) quarantine.add(r.original_digest);
    }
    return { blobs, quarantine };
  }

  async getAlias(model: string, alias: string): Promise<AliasRecord | undefined> {
    const r = this.q('SELECT m.name AS model, a.name AS alias, a.version, a.updated_at, a.updated_by FROM aliases a JOIN models m ON m.id = a.model_id WHERE m.name = ? AND a.name = ?')
      .get(model, alias) as { model: string; alias: string; version: number; updated_at: number; updated_by: string } | undefined;
    return r && { model: r.model, alias: r.alias, version: r.version, updatedAt: r.updated_at, updatedBy: r.updated_by };
  }

  async listAliases(model: string): Promise<AliasRecord[]> {
    const rows = this.q('SELECT m.name AS model, a.name AS alias, a.version, a.updated_at, a.updated_by FROM aliases a JOIN models m ON m.id = a.model_id WHERE m.name = ? ORDER BY a.name')
      .all(model) as { model: string; alias: string; version: number; updated_at: number; updated_by: string }[];
    return rows.map((r) => ({ model: r.model, alias: r.alias, version: r.version, updatedAt: r.updated_at, updatedBy: r.updated_by }));
  }

  async aliasHistory(model: string, alias?: string): Promise<AliasMove[]> {
    const base = 'SELECT m.name AS model, h.alias, h.from_version, h.to_version, h.actor, h.time, h.audit_index FROM alias_history h JOIN models m ON m.id = h.model_id WHERE m.name = ?';
    const rows = (alias === undefined ? this.q(`${base} ORDER BY h.id`).all(model) : this.q(`${base} AND h.alias = ? ORDER BY h.id`).all(model, alias)) as {
      model: string; alias: string; from_version: number | null; to_version: number | null; actor: string; time: number; audit_index: number;
    }[];
    return rows.map((r) => ({ model: r.model, alias: r.alias, from: r.from_version, to: r.to_version, actor: r.actor, time: r.time, auditIndex: r.audit_index }));
  }

  async listTags(model: string, version?: number | null): Promise<TagRecord[]> {
    const base = 'SELECT m.name AS model, t.version, t.key, t.value FROM tags t JOIN models m ON m.id = t.model_id WHERE m.name = ?';
    const rows = (version === undefined ? this.q(`${base} ORDER BY t.version, t.key`).all(model) : this.q(`${base} AND t.version = ? ORDER BY t.key`).all(model, version ?? 0)) as {
      model: string; version: number; key: string; value: string;
    }[];
    return rows.map((r) => ({ model: r.model, version: r.version === 0 ? null : r.version, key: r.key, value: r.value }));
  }

  async getIdentity(name: string): Promise<IdentityRecord | undefined> {
    const r = this.q('SELECT * FROM identities WHERE name = ?').get(name) as Parameters<typeof toIdentity>[0] | undefined;
    return r && toIdentity(r);
  }

  async listIdentities(): Promise<IdentityRecord[]> {
    return (this.q('SELECT * FROM identities ORDER BY name').all() as Parameters<typeof toIdentity>[0][]).map(toIdentity);
  }

  async getTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const r = this.q('SELECT * FROM tokens WHERE hash = ?').get(hash) as Parameters<typeof toToken>[0] | undefined;
    return r && toToken(r);
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const r = this.q('SELECT * FROM tokens WHERE id = ?').get(id) as Parameters<typeof toToken>[0] | undefined;
    return r && toToken(r);
  }

  async listTokens(identity?: string): Promise<TokenRecord[]> {
    const rows = identity === undefined ? this.q('SELECT * FROM tokens ORDER BY created_at, id').all() : this.q('SELECT * FROM tokens WHERE identity = ? ORDER BY created_at, id').all(identity);
    return (rows as Parameters<typeof toToken>[0][]).map(toToken);
  }

  async listPending(): Promise<PendingBlob[]> {
    const rows = this.q('SELECT id, digest, pid, started_at FROM pending_blobs ORDER BY id').all() as { id: number; digest: string; pid: number; started_at: number }[];
    return rows.map((r) => ({ id: r.id, digest: r.digest, pid: r.pid, startedAt: r.started_at }));
  }

  // ── writer ───────────────────────────────────────────────────────────────────────────────
  async putSettings(s: RegistrySettings): Promise<void> {
    this.mustWrite();
    for (const [k, v] of Object.entries(s)) this.q('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(k, JSON.stringify(v));
  }

  async createModel(name: string, actor: string, time: number): Promise<ModelRecord> {
    this.mustWrite();
    this.q('INSERT INTO models (name, created_at, created_by) VALUES (?, ?, ?)').run(name, time, actor);
    return (await this.getModel(name))!;
  }

  async markModelDeleted(name: string, actor: string, time: number): Promise<void> {
    this.mustWrite();
    this.q('UPDATE models SET deleted_at = ?, deleted_by = ? WHERE name = ?').run(time, actor, name);
  }

  private modelId(name: string): number {
    const r = this.q('SELECT id FROM models WHERE name = ?').get(name) as { id: number } | undefined;
    if (!r) throw new MvError('REG_NOT_FOUND', `no model ${name}`);
    return r.id;
  }

  async nextVersion(model: string): Promise<number> {
    const r = this.q('SELECT coalesce(max(version), 0) + 1 AS n FROM versions WHERE model_id = ?').get(this.modelId(model)) as { n: number };
    return r.n;
  }

  async insertVersion(v: NewVersion, auditIndex: number): Promise<number> {
    this.mustWrite();
    const id = this.modelId(v.model);
    const n = await this.nextVersion(v.model);
    this.q(`INSERT INTO versions (model_id, version, digest, size, format, source_digest, original_digest, signer, created_at, created_by, audit_index, provenance)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(id, n, v.digest, v.size, v.format, v.sourceDigest, v.originalDigest, v.signer, v.createdAt, v.createdBy, auditIndex, JSON.stringify(v.provenance));
    return n;
  }

  async setVersionStatus(model: string, version: number, status: VersionStatus, reason: string | null, actor: string, time: number): Promise<void> {
    this.mustWrite();
    this.q('UPDATE versions SET status = ?, status_reason = ?, status_by = ?, status_at = ? WHERE model_id = ? AND version = ?')
      .run(status, reason, actor, time, this.modelId(model), version);
  }

  private recordMove(id: number, m: AliasMove): void {
    this.q('INSERT INTO alias_history (model_id, alias, from_version, to_version, actor, time, audit_index) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, m.alias, m.from, m.to, m.actor, m.time, m.auditIndex);
  }

  async setAlias(a: AliasRecord, move: AliasMove): Promise<void> {
    this.mustWrite();
    const id = this.modelId(a.model);
    this.q(`INSERT INTO aliases (model_id, name, version, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(model_id, name) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by`)
      .run(id, a.alias, a.version, a.updatedAt, a.updatedBy);
    this.recordMove(id, move);
  }

  async deleteAlias(model: string, alias: string, move: AliasMove): Promise<void> {
    this.mustWrite();
    const id = this.modelId(model);
    this.q('DELETE FROM aliases WHERE model_id = ? AND name = ?').run(id, alias);
    this.recordMove(id, move);
  }

  async setTag(t: TagRecord): Promise<void> {
    this.mustWrite();
    this.q('INSERT INTO tags (model_id, version, key, value) VALUES (?, ?, ?, ?) ON CONFLICT(model_id, version, key) DO UPDATE SET value = excluded.value')
      .run(this.modelId(t.model), t.version ?? 0, t.key, t.value);
  }

  async deleteTag(model: string, version: number | null, key: string): Promise<boolean> {
    this.mustWrite();
    return this.q('DELETE FROM tags WHERE model_id = ? AND version = ? AND key = ?').run(this.modelId(model), version ?? 0, key).changes > 0;
  }

  async putIdentity(i: IdentityRecord): Promise<void> {
    this.mustWrite();
    this.q(`INSERT INTO identities (name, role, created_at, created_by, disabled_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(name) DO UPDATE SET role = excluded.role, disabled_at = excluded.disabled_at`)
      .run(i.name, i.role, i.createdAt, i.createdBy, i.disabledAt);
  }

  async insertToken(t: TokenRecord): Promise<void> {
    this.mustWrite();
    this.q('INSERT INTO tokens (id, identity, hash, description, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(t.id, t.identity, t.hash, t.description, t.createdAt, t.expiresAt, t.revokedAt);
  }

  async revokeToken(id: string, time: number): Promise<void> {
    this.mustWrite();
    this.q('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(time, id);
  }

  async addPending(digest: Digest, pid: number, time: number): Promise<number> {
    this.mustWrite();
    this.q('INSERT INTO pending_blobs (digest, pid, started_at) VALUES (?, ?, ?)').run(digest, pid, time);
    return (this.q('SELECT last_insert_rowid() AS id').get() as { id: number }).id;
  }

  async removePending(id: number): Promise<void> {
    this.mustWrite();
    this.q('DELETE FROM pending_blobs WHERE id = ?').run(id);
  }

  async appendAudit(e: AuditEventInput): Promise<number> {
    this.mustWrite();
    return this.audit.append(e).index;
  }

  async checkpoint(): Promise<string> {
    this.mustWrite();
    return this.audit.checkpoint();
  }
}

/** Brings the file to SCHEMA_VERSION; refuses a file from a newer release. */
function migrate(db: SqliteDatabase): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new MvError('REG_SCHEMA_UNSUPPORTED', `the registry database has schema version ${current}; this modelvault supports up to ${SCHEMA_VERSION}`);
  }
  if (current === SCHEMA_VERSION) return;
  for (const m of MIGRATIONS) {
    db.exec('BEGIN IMMEDIATE');
    try {
      const now = db.pragma('user_version', { simple: true }) as number; // another process may have migrated meanwhile
      if (now < m.version) {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      }
      db.exec('COMMIT');
    } catch (e) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw e;
    }
  }
}

/** Exposed so `MetadataReader` can be used where only reads are needed. */
export type { MetadataReader };
