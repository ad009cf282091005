/**
 * SQLite persistence for the audit log (../shared/spec/signing.md §5.6): leaves, complete-subtree hashes
 * and signed checkpoints in three tables of the registry database. All Merkle and note logic lives in
 * src/audit (pure); this file only stores and reads.
 *
 *   audit_leaves(idx INTEGER PRIMARY KEY, data BLOB, hash BLOB)          one row per event; idx = seq
 *   audit_nodes(level, idx, hash, PRIMARY KEY(level, idx))               complete subtrees, level >= 1
 *   audit_checkpoints(size PRIMARY KEY, root, note TEXT, created_at)     signed C2SP checkpoints
 *
 * `append` may run inside the caller's `db.transaction(...)`, so a registry mutation and its leaf commit
 * atomically (better-sqlite3 nests our transaction as a savepoint). Outside a transaction we use
 * BEGIN IMMEDIATE so concurrent writers serialise instead of failing on a read→write upgrade.
 */
import type { KeyObject } from 'node:crypto';
import {
  CompactRange, consistencyProof as buildConsistencyProof, digestEqual, ed25519PrivateKey, ed25519Verifier,
  encodeEvent, encodeVkey, formatConsistencyProof, formatTlogProof, frontierCoordinates, hashLeaf,
  inclusionProof as buildInclusionProof, openCheckpoint, parseEvent, rootAt, signCheckpoint, toTreeNumber,
  verifyConsistency, type AuditEvent, type GetNode, type NoteVerifier,
} from '../audit/index.js';
import { MvError, isMvError } from '../core/index.js';

/** The slice of a better-sqlite3 `Statement` this store uses. */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** Return only the first column's value from get/all/iterate. */
  pluck(toggle?: boolean): this;
  /** Return rows as arrays of column values. */
  raw(toggle?: boolean): this;
}

/** The slice of a better-sqlite3 `Database` (v12) this store uses. */
export interface Database {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  transaction<F extends (...args: any[]) => any>(fn: F): F & { immediate: F };
  readonly inTransaction: boolean;
}

export interface AuditStoreOptions {
  /** Log origin = key name, e.g. `example.com/modelvault/audit` (C2SP tlog-checkpoint). */
  readonly origin: string;
  /** Ed25519 log key: a private KeyObject or a raw 32-byte seed. */
  readonly signingKey: KeyObject | Uint8Array;
  /** Milliseconds since the epoch; event times and checkpoint created_at come from here. */
  readonly clock: () => number;
  /** Extra keys trusted for old checkpoints (e.g. the previous key after a `key.rotate`). */
  readonly trustedKeys?: readonly NoteVerifier[];
  /**
   * Checkpoint retention: the latest checkpoint is always kept; an older one only if its size is a
   * multiple of this (default 1024). Clients still verify receipts from pruned checkpoints through
   * consistency proofs (complete subtrees never change). 1 keeps every checkpoint.
   */
  readonly keepCheckpointsEvery?: number;
}

/** An event as the caller gives it: the store assigns `seq` (= leaf index) and, if absent, `time`. */
export type AuditEventInput = Omit<AuditEvent, 'seq' | 'time'> & { readonly seq?: number; readonly time?: string };

export interface AuditEntry {
  readonly index: number;
  readonly data: Uint8Array;
  readonly leafHash: Uint8Array;
  readonly event: AuditEvent;
}

export interface StoredCheckpoint {
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
  readonly createdAt: number;
}

/** One finding of `verifyAll`. */
export interface AuditProblem {
  readonly kind:
    | 'leaf-missing' | 'leaf-hash' | 'leaf-event' | 'leaf-seq'
    | 'node-missing' | 'node-mismatch' | 'node-unexpected'
    | 'checkpoint-signature' | 'checkpoint-row' | 'checkpoint-root' | 'checkpoint-beyond' | 'unsigned-tail' | 'truncated';
  readonly index?: number;
  readonly size?: number;
  readonly message: string;
}

export interface VerifyAllResult {
  readonly ok: boolean;
  /** Number of leaf rows read. */
  readonly size: number;
  readonly checkpoints: number;
  readonly problems: readonly AuditProblem[];
}

const MAX_PROBLEMS = 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_leaves (idx INTEGER PRIMARY KEY, data BLOB NOT NULL, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS audit_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL, created_at INTEGER NOT NULL);
`;

const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
/** SQLite BLOBs arrive as Buffers; hand out plain Uint8Array views. */
const u8 = (v: unknown): Uint8Array => (v instanceof Uint8Array ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(0));
const b64 = (u: Uint8Array): string => buf(u).toString('base64');

interface LeafRow { idx: number; data: Uint8Array; hash: Uint8Array }
interface CheckpointRow { size: number; root: Uint8Array; note: string; created_at: number }

/** Persistent RFC 6962 audit log with signed C2SP checkpoints. */
export class AuditStore {
  private readonly origin: string;
  private readonly key: KeyObject;
  private readonly clock: () => number;
  private readonly verifiers: readonly NoteVerifier[];
  private readonly keepEvery: number;
  private readonly q: Record<string, SqliteStatement>;
  private readonly appendTx: (e: AuditEventInput) => { index: number; leafHash: Uint8Array };
  private readonly checkpointTx: () => string;
  /** The last checkpoint this instance signed (a cache keyed by the exact note text). */
  private trusted: { note: string; size: number; root: Uint8Array } | undefined;

  constructor(private readonly db: Database, opts: AuditStoreOptions) {
    this.origin = opts.origin;
    this.key = ed25519PrivateKey(opts.signingKey);
    this.clock = opts.clock;
    this.verifiers = [ed25519Verifier(opts.origin, this.key), ...(opts.trustedKeys ?? [])];
    this.keepEvery = opts.keepCheckpointsEvery ?? 1024;
    if (!Number.isSafeInteger(this.keepEvery) || this.keepEvery < 1) throw new MvError('USAGE_INVALID', 'keepCheckpointsEvery must be a positive integer');
    db.exec(SCHEMA);
    this.q = {
      maxIdx: db.prepare('SELECT max(idx) AS m FROM audit_leaves').pluck(),
      leaf: db.prepare('SELECT idx, data, hash FROM audit_leaves WHERE idx = ?'),
      leafHash: db.prepare('SELECT hash FROM audit_leaves WHERE idx = ?').pluck(),
      node: db.prepare('SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?').pluck(),
      insLeaf: db.prepare('INSERT INTO audit_leaves (idx, data, hash) VALUES (?, ?, ?)'),
      insNode: db.prepare('INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)'),
      latest: db.prepare('SELECT size, root, note, created_at FROM audit_checkpoints ORDER BY size DESC LIMIT 1'),
      cpAt: db.prepare('SELECT size, root, note, created_at FROM audit_checkpoints WHERE size = ?'),
      insCp: db.prepare('INSERT INTO audit_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)'),
      delCp: db.prepare('DELETE FROM audit_checkpoints WHERE size = ?'),
      allLeaves: db.prepare('SELECT idx, data, hash FROM audit_leaves ORDER BY idx'),
      allNodes: db.prepare('SELECT level, idx, hash FROM audit_nodes').raw(),
      leafRows: db.prepare('SELECT idx, data, hash FROM audit_leaves ORDER BY idx').raw(),
      allCps: db.prepare('SELECT size, root, note, created_at FROM audit_checkpoints ORDER BY size'),
    };
    this.appendTx = db.transaction((e: AuditEventInput) => this.appendInner(e));
    this.checkpointTx = db.transaction(() => this.checkpointInner());
  }

  /** Runs a transaction function, nested as a savepoint inside the caller's transaction, else IMMEDIATE. */
  private run<A extends unknown[], R>(tx: ((...a: A) => R) & { immediate?: (...a: A) => R }, ...args: A): R {
    return this.db.inTransaction || !tx.immediate ? tx(...args) : tx.immediate(...args);
  }

  /** The verifier key text of this log (pin it in clients). */
  vkey(): string {
    return encodeVkey(this.origin, this.key);
  }

  /** Number of leaves. */
  size(): number {
    const m = this.q.maxIdx!.get() as number | null;
    return m === null ? 0 : m + 1;
  }

  /** Complete-subtree hash lookup (level 0 = leaf hash); throws AUDIT_LOG_INCONSISTENT when missing. */
  readonly getNode: GetNode = (level, index) => {
    const h = (level === 0 ? this.q.leafHash!.get(index) : this.q.node!.get(level, index)) as Uint8Array | undefined;
    if (!h) throw new MvError('AUDIT_LOG_INCONSISTENT', `audit node ${level}/${index} is missing`);
    return u8(h);
  };

  /**
   * Appends one event as the next leaf and stores the complete subtrees it finishes. Callable inside the
   * caller's `db.transaction` so the registry mutation and its leaf commit together.
   */
  append(event: AuditEventInput): { index: number; leafHash: Uint8Array } {
    return this.run(this.appendTx, event);
  }

  private appendInner(input: AuditEventInput): { index: number; leafHash: Uint8Array } {
    const size = this.size();
    if (input.seq !== undefined && input.seq !== size) {
      throw new MvError('AUDIT_EVENT_INVALID', `event seq ${input.seq} is not the next index ${size}`, { path: ['seq'] });
    }
    const event = { ...input, seq: size, time: input.time ?? new Date(this.clock()).toISOString() } as AuditEvent;
    const data = encodeEvent(event);
    const leafHash = hashLeaf(data);
    const range = CompactRange.fromFrontier(size, frontierCoordinates(size).map((c) => this.getNode(c.level, c.index)));
    this.q.insLeaf!.run(size, buf(data), buf(leafHash));
    range.append(leafHash, (level, index, hash) => {
      this.q.insNode!.run(level, index, buf(hash));
    });
    return { index: size, leafHash };
  }

  /**
   * Signs and stores a checkpoint of the current tree and returns the signed note; returns the latest one
   * if it already covers every leaf. Before signing, proves the new tree consistent with the latest
   * signed checkpoint (a log must never sign two inconsistent checkpoints). Prunes the previous latest
   * checkpoint unless its size is a multiple of `keepCheckpointsEvery`.
   */
  checkpoint(): string {
    return this.run(this.checkpointTx);
  }

  private checkpointInner(): string {
    const size = this.size();
    const latest = this.q.latest!.get() as CheckpointRow | undefined;
    if (latest && latest.size === size) return latest.note;
    if (latest && latest.size > size) {
      throw new MvError('AUDIT_LOG_INCONSISTENT', `the log has ${size} entries but a checkpoint of size ${latest.size} was signed`);
    }
    const root = rootAt(size, this.getNode);
    if (latest) {
      // The signature check is skipped only for the exact note text this instance signed or verified last.
      const prev = this.trusted?.note === latest.note ? this.trusted : openCheckpoint(latest.note, this.verifiers, this.origin);
      try {
        verifyConsistency(prev.size, size, buildConsistencyProof(prev.size, size, this.getNode), prev.root, root);
      } catch (e) {
        throw new MvError('AUDIT_LOG_INCONSISTENT', `stored tree is not consistent with the checkpoint of size ${prev.size}`, {}, { cause: e });
      }
    }
    const note = signCheckpoint({ origin: this.origin, size, root }, { name: this.origin, privateKey: this.key });
    this.q.insCp!.run(size, buf(root), note, this.clock());
    this.trusted = { note, size, root };
    if (latest && latest.size % this.keepEvery !== 0) this.q.delCp!.run(latest.size);
    return note;
  }

  /** The latest stored checkpoint, or undefined for a log that was never checkpointed. */
  latestCheckpoint(): StoredCheckpoint | undefined {
    const r = this.q.latest!.get() as CheckpointRow | undefined;
    return r && { size: r.size, root: u8(r.root), note: r.note, createdAt: r.created_at };
  }

  /** The stored checkpoint at `size`, if kept. */
  checkpointAt(size: number): StoredCheckpoint | undefined {
    const r = this.q.cpAt!.get(toTreeNumber(size, 'size')) as CheckpointRow | undefined;
    return r && { size: r.size, root: u8(r.root), note: r.note, createdAt: r.created_at };
  }

  /** Entry `i` with its canonical bytes, leaf hash and parsed event. */
  entry(i: number): AuditEntry {
    const index = toTreeNumber(i, 'index');
    const r = this.q.leaf!.get(index) as LeafRow | undefined;
    if (!r) throw new MvError('AUDIT_RANGE_INVALID', `no audit entry ${index}`);
    return { index, data: u8(r.data), leafHash: u8(r.hash), event: parseEvent(u8(r.data)) };
  }

  private checkSize(size: number): number {
    const n = toTreeNumber(size, 'size');
    const have = this.size();
    if (n > have) throw new MvError('AUDIT_RANGE_INVALID', `tree size ${n} is larger than the log (${have})`);
    return n;
  }

  /** Inclusion proof of entry `i` in the tree of `size` leaves (default: current size). */
  inclusionProof(i: number, size: number = this.size()): Uint8Array[] {
    return buildInclusionProof(toTreeNumber(i, 'index'), this.checkSize(size), this.getNode);
  }

  /** Consistency proof from size `m` to size `n` (default: current size). */
  consistencyProof(m: number, n: number = this.size()): Uint8Array[] {
    const nn = this.checkSize(n);
    return buildConsistencyProof(toTreeNumber(m, 'old size'), nn, this.getNode);
  }

  /** Consistency proof as text (modelvault.dev/consistency-proof@v1), for the offline verifier. */
  consistencyProofText(m: number, n: number = this.size()): string {
    return formatConsistencyProof({ from: m, to: n, proof: this.consistencyProof(m, n) });
  }

  /**
   * A tlog-proof receipt (c2sp.org/tlog-proof@v1) for entry `i` against the stored checkpoint of `size`
   * (default: the latest); `extra` carries the entry's canonical bytes.
   */
  receipt(i: number, size?: number): string {
    const cp = size === undefined ? this.latestCheckpoint() : this.checkpointAt(size);
    if (!cp) throw new MvError('AUDIT_RANGE_INVALID', size === undefined ? 'the log has no checkpoint yet' : `no stored checkpoint of size ${size}`);
    const e = this.entry(i);
    if (e.index >= cp.size) throw new MvError('AUDIT_RANGE_INVALID', `entry ${e.index} is not covered by the checkpoint of size ${cp.size}`);
    return formatTlogProof({ extra: e.data, index: e.index, proof: buildInclusionProof(e.index, cp.size, this.getNode), checkpoint: cp.note });
  }

  /**
   * Recomputes every leaf hash from the stored data, the tree from the leaves, every stored subtree
   * hash, and every stored checkpoint (signature, row columns, root), reporting each discrepancy:
   * edited, deleted, inserted or reordered rows all show up. Entries after the latest checkpoint are a
   * problem unless `allowUnsignedTail` (the registry checkpoints in the same transaction as each write).
   * A truncation of the tail *together with* its checkpoints is only detectable by clients that pinned
   * a later checkpoint (consistency check), as in every transparency log.
   */
  verifyAll(opts: { allowUnsignedTail?: boolean } = {}): VerifyAllResult {
    const problems: AuditProblem[] = [];
    const report = (p: AuditProblem): void => {
      if (problems.length < MAX_PROBLEMS) problems.push(p);
      else if (problems.length === MAX_PROBLEMS) problems.push({ kind: 'truncated', message: `more than ${MAX_PROBLEMS} problems; stopped listing` });
    };
    // one read snapshot for the three tables
    return this.db.transaction(() => {
      const nodes = new Map<number, Uint8Array>();
      for (const [level, idx, hash] of this.q.allNodes!.iterate() as IterableIterator<[number, number, Uint8Array]>) nodes.set(idx * 64 + level, hash);
      const cps = this.q.allCps!.all() as CheckpointRow[];
      let nextCp = 0;
      const range = new CompactRange();
      const checkCheckpointsAtCurrentSize = (): void => {
        while (nextCp < cps.length && cps[nextCp]!.size <= range.size) {
          const row = cps[nextCp++]!;
          if (row.size === range.size) this.checkCheckpoint(row, range.root(), report);
        }
      };
      checkCheckpointsAtCurrentSize();
      let rows = 0;
      for (const [idx, data, hash] of this.q.leafRows!.iterate() as IterableIterator<[number, Uint8Array, Uint8Array]>) {
        const r = { idx, data, hash };
        rows++;
        const pos = range.size;
        if (r.idx > pos) report({ kind: 'leaf-missing', index: pos, message: `entries ${pos}..${r.idx - 1} are missing (next row is ${r.idx})` });
        else if (r.idx < pos) report({ kind: 'leaf-seq', index: r.idx, message: `row ${r.idx} is outside the log's index range` });
        const h = hashLeaf(data);
        if (!digestEqual(h, r.hash)) report({ kind: 'leaf-hash', index: r.idx, message: `stored leaf hash of entry ${r.idx} does not match its data` });
        try {
          const e = parseEvent(data, { requireCanonical: false }); // the hash and signed roots pin the bytes
          if (e.seq !== r.idx) report({ kind: 'leaf-seq', index: r.idx, message: `entry ${r.idx} carries seq ${e.seq} (moved or reordered)` });
        } catch (err) {
          if (!isMvError(err)) throw err;
          report({ kind: 'leaf-event', index: r.idx, message: `entry ${r.idx}: ${err.message}` });
        }
        range.append(h, (level, index, hash) => {
          const key = index * 64 + level;
          const stored = nodes.get(key);
          if (!stored) report({ kind: 'node-missing', index, message: `subtree ${level}/${index} is not stored` });
          else if (!digestEqual(stored, hash)) report({ kind: 'node-mismatch', index, message: `stored subtree ${level}/${index} does not match the leaves` });
          nodes.delete(key);
        });
        checkCheckpointsAtCurrentSize();
      }
      for (const key of nodes.keys()) {
        report({ kind: 'node-unexpected', index: Math.floor(key / 64), message: `stored subtree ${key % 64}/${Math.floor(key / 64)} lies outside the tree` });
      }
      for (; nextCp < cps.length; nextCp++) {
        const s = cps[nextCp]!.size;
        report({ kind: 'checkpoint-beyond', size: s, message: `checkpoint of size ${s} covers entries that are not stored (deleted?)` });
      }
      const signed = cps.length ? cps[cps.length - 1]!.size : 0;
      if (!opts.allowUnsignedTail && range.size > signed) {
        report({ kind: 'unsigned-tail', size: range.size, message: `${range.size - signed} entries follow the latest signed checkpoint (size ${signed})` });
      }
      return { ok: problems.length === 0, size: rows, checkpoints: cps.length, problems };
    })();
  }

  private checkCheckpoint(row: CheckpointRow, root: Uint8Array, report: (p: AuditProblem) => void): void {
    let cp;
    try {
      cp = openCheckpoint(row.note, this.verifiers, this.origin);
    } catch (e) {
      if (!isMvError(e)) throw e;
      report({ kind: 'checkpoint-signature', size: row.size, message: `checkpoint ${row.size}: ${e.message}` });
      return;
    }
    if (cp.size !== row.size || !digestEqual(cp.root, u8(row.root))) {
      report({ kind: 'checkpoint-row', size: row.size, message: `checkpoint row ${row.size} disagrees with its signed note (size ${cp.size})` });
    }
    if (cp.size === row.size && !digestEqual(cp.root, root)) {
      report({ kind: 'checkpoint-root', size: row.size, message: `signed root at size ${row.size} does not match the stored entries` });
    }
  }

  /**
   * The log as JSON Lines (one string per line, no newline): `{"kind":"entry","index","leaf_hash","event"}`
   * for each entry, then `{"kind":"checkpoint","size","note"}` after the entry that completes it.
   */
  *export(): IterableIterator<string> {
    const cps = this.q.allCps!.all() as CheckpointRow[];
    let c = 0;
    const cpLine = (r: CheckpointRow) => JSON.stringify({ kind: 'checkpoint', size: r.size, note: r.note });
    while (c < cps.length && cps[c]!.size === 0) yield cpLine(cps[c++]!);
    for (const r of this.q.allLeaves!.iterate() as IterableIterator<LeafRow>) {
      const data = u8(r.data);
      const head = `{"kind":"entry","index":${r.idx},"leaf_hash":${JSON.stringify(b64(u8(r.hash)))}`;
      let text: string | undefined;
      try {
        text = parseEvent(data) && buf(data).toString('utf8'); // canonical JSON: embedded verbatim
      } catch {
        text = undefined; // a damaged row is exported as base64 so every line stays valid JSON
      }
      yield text === undefined ? `${head},"data_base64":${JSON.stringify(b64(data))}}` : `${head},"event":${text}}`;
      while (c < cps.length && cps[c]!.size <= r.idx + 1) yield cpLine(cps[c++]!);
    }
    while (c < cps.length) yield cpLine(cps[c++]!);
  }
}
