import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  parseVkey, rootFromLeafHashes, verifyCheckpointConsistency, verifyConsistency, verifyInclusion, verifyTlogProof,
  openCheckpoint, hashLeaf, signCheckpoint,
} from '../../src/audit/index.js';
import { AuditStore, type AuditEventInput } from '../../src/registry/audit-store.js';
import { code } from '../support/codes.js';

const DIR = mkdtempSync(join(tmpdir(), 'mv-audit-store-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const SEED = new Uint8Array(createHash('sha256').update('modelvault audit-log test key').digest());
const ORIGIN = 'example.com/modelvault/audit';
const VKEY = 'example.com/modelvault/audit+9020f8ce+AXvBukIEuZEb1W/9M2Vk18n5j0e92G9YzohIk8VYD8sx';

let fileNo = 0;
function open(file = join(DIR, `log-${fileNo++}.db`), keepCheckpointsEvery = 1) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  let t = Date.UTC(2026, 11, 1, 12, 0, 0);
  const store = new AuditStore(db, { origin: ORIGIN, signingKey: SEED, clock: () => (t += 1000), keepCheckpointsEvery });
  return { db, store, file };
}

const ev = (i: number): AuditEventInput => ({
  actor: i % 2 ? 'alice' : 'bob', action: 'version.create',
  subject: { model: `model-${i % 3}`, version: i + 1, digest: `sha256:${createHash('sha256').update(String(i)).digest('hex')}` },
  before: null, after: { version: i + 1, meta: { n: i } },
});

/** A log of n entries with a checkpoint after every entry. */
function filled(n: number) {
  const o = open();
  for (let i = 0; i < n; i++) {
    o.store.append(ev(i));
    o.store.checkpoint();
  }
  return o;
}

describe('AuditStore', () => {
  it('appends, checkpoints, proves and verifies', () => {
    const { store, db } = open();
    expect(store.vkey()).toBe(VKEY);
    expect(store.size()).toBe(0);
    const empty = openCheckpoint(store.checkpoint(), [parseVkey(VKEY)], ORIGIN);
    expect(empty.size).toBe(0);
    const hashes: Uint8Array[] = [];
    for (let i = 0; i < 37; i++) {
      const r = store.append(ev(i));
      expect(r.index).toBe(i);
      hashes.push(r.leafHash);
      if (i % 5 === 4) store.checkpoint();
    }
    const note = store.checkpoint();
    expect(store.checkpoint()).toBe(note); // idempotent when nothing changed
    const cp = openCheckpoint(note, [parseVkey(VKEY)], ORIGIN);
    expect(cp.size).toBe(37);
    expect(cp.root).toEqual(rootFromLeafHashes(hashes));
    for (let i = 0; i < 37; i++) {
      const e = store.entry(i);
      expect(e.event.seq).toBe(i);
      expect(Date.parse(e.event.time)).toBeGreaterThan(Date.UTC(2026, 11, 1, 12, 0, 0)); // from the injected clock
      expect(hashLeaf(e.data)).toEqual(e.leafHash);
      verifyInclusion(e.leafHash, i, 37, store.inclusionProof(i, 37), cp.root);
      const receipt = verifyTlogProof(store.receipt(i), { verifiers: [parseVkey(VKEY)], origin: ORIGIN });
      expect(receipt.index).toBe(i);
    }
    const cp10 = store.checkpointAt(10)!;
    verifyConsistency(10, 37, store.consistencyProof(10, 37), cp10.root, cp.root);
    verifyCheckpointConsistency(cp10.note, note, store.consistencyProofText(10, 37), { verifiers: [parseVkey(VKEY)], origin: ORIGIN });
    expect(store.verifyAll()).toEqual({ ok: true, size: 37, checkpoints: 9, problems: [] });
    expect(code(() => store.entry(37))).toBe('AUDIT_RANGE_INVALID');
    expect(code(() => store.inclusionProof(3, 38))).toBe('AUDIT_RANGE_INVALID');
    expect(code(() => store.consistencyProof(20, 10))).toBe('AUDIT_RANGE_INVALID');
    expect(code(() => store.receipt(3, 11))).toBe('AUDIT_RANGE_INVALID');
    db.close();
  });

  it('reopens from disk and continues the same tree', () => {
    const a = open();
    for (let i = 0; i < 10; i++) a.store.append(ev(i));
    a.store.checkpoint();
    a.db.close();
    const b = open(a.file);
    for (let i = 10; i < 21; i++) b.store.append(ev(i));
    b.store.checkpoint();
    expect(b.store.verifyAll().ok).toBe(true);
    const hashes = Array.from({ length: 21 }, (_, i) => b.store.entry(i).leafHash);
    expect(b.store.latestCheckpoint()!.root).toEqual(rootFromLeafHashes(hashes));
    b.db.close();
  });

  it('commits atomically with the caller transaction, or not at all', () => {
    const { store, db } = open();
    db.exec('CREATE TABLE versions (name TEXT PRIMARY KEY)');
    const push = db.transaction((name: string, fail: boolean) => {
      db.prepare('INSERT INTO versions VALUES (?)').run(name);
      store.append(ev(0));
      store.checkpoint();
      if (fail) throw new Error('boom');
    });
    push('a', false);
    expect(() => push('b', true)).toThrow('boom');
    expect(store.size()).toBe(1);
    expect((db.prepare('SELECT count(*) AS n FROM versions').get() as { n: number }).n).toBe(1);
    expect(store.latestCheckpoint()!.size).toBe(1);
    // an invalid event throws before writing anything, and the caller's transaction can go on
    db.transaction(() => {
      expect(code(() => store.append({ ...ev(1), action: 'nope' }))).toBe('AUDIT_EVENT_INVALID');
      expect(code(() => store.append({ ...ev(1), seq: 7 }))).toBe('AUDIT_EVENT_INVALID');
      store.append(ev(1));
    })();
    store.checkpoint();
    expect(store.verifyAll()).toMatchObject({ ok: true, size: 2 });
    db.close();
  });

  it('two connections to one file interleave appends and checkpoints without stale state', () => {
    const a = open();
    const db2 = new Database(a.file);
    db2.pragma('busy_timeout = 2000');
    const b = new AuditStore(db2, { origin: ORIGIN, signingKey: SEED, clock: () => Date.UTC(2026, 11, 2) });
    for (let i = 0; i < 20; i++) {
      const s = i % 3 === 0 ? b : a.store;
      expect(s.append(ev(i)).index).toBe(i);
      if (i % 4 === 0) (i % 8 === 0 ? a.store : b).checkpoint();
    }
    a.store.checkpoint();
    expect(b.verifyAll()).toMatchObject({ ok: true, size: 20 });
    db2.close();
    a.db.close();
  });

  it('prunes old checkpoints but keeps every K-th and the latest', () => {
    const { store, db } = open(undefined, 4);
    for (let i = 0; i < 10; i++) {
      store.append(ev(i));
      store.checkpoint();
    }
    const sizes = (db.prepare('SELECT size FROM audit_checkpoints ORDER BY size').all() as { size: number }[]).map((r) => r.size);
    expect(sizes).toEqual([4, 8, 10]);
    expect(store.verifyAll().ok).toBe(true);
    db.close();
  });

  it('exports JSON Lines with entries and checkpoints', () => {
    const { store, db } = filled(3);
    const lines = [...store.export()].map((l) => JSON.parse(l));
    expect(lines.map((l) => l.kind)).toEqual(['entry', 'checkpoint', 'entry', 'checkpoint', 'entry', 'checkpoint']);
    expect(lines[2].event.seq).toBe(1);
    expect(lines[5].note).toBe(store.latestCheckpoint()!.note);
    db.close();
  });
});

describe('AuditStore property: random append/checkpoint interleavings', () => {
  it('every receipt and every consistency proof between stored checkpoints verifies', () => {
    const o = open(undefined, 3);
    const verifiers = [parseVkey(VKEY)];
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 12 }), (bursts) => {
      for (const k of bursts) {
        for (let j = 0; j < k; j++) o.store.append(ev(o.store.size()));
        o.store.checkpoint();
      }
      const latest = o.store.latestCheckpoint()!;
      const sizes = (o.db.prepare('SELECT size FROM audit_checkpoints ORDER BY size').all() as { size: number }[]).map((r) => r.size);
      for (const m of sizes) {
        const old = o.store.checkpointAt(m)!;
        verifyCheckpointConsistency(old.note, latest.note, o.store.consistencyProofText(m, latest.size), { verifiers, origin: ORIGIN });
      }
      for (let i = 0; i < latest.size; i += Math.max(1, Math.floor(latest.size / 7))) {
        expect(verifyTlogProof(o.store.receipt(i), { verifiers, origin: ORIGIN }).index).toBe(i);
      }
    }), { numRuns: 15 });
    expect(o.store.verifyAll().ok).toBe(true);
    o.db.close();
  });
});

describe('AuditStore.verifyAll catches tampering via raw SQL', () => {
  let o: ReturnType<typeof filled>;
  beforeEach(() => {
    o = filled(12);
    expect(o.store.verifyAll().ok).toBe(true);
  });
  const kinds = () => [...new Set(o.store.verifyAll().problems.map((p) => p.kind))].sort();
  const entryJson = (i: number) => JSON.parse(Buffer.from(o.store.entry(i).data).toString('utf8'));

  it('edited data', () => {
    o.db.prepare("UPDATE audit_leaves SET data = CAST(replace(CAST(data AS TEXT), 'alice', 'mallory') AS BLOB) WHERE idx = 5").run();
    expect(kinds()).toEqual(['checkpoint-root', 'leaf-hash', 'node-mismatch']);
  });

  it('edited data with a matching recomputed leaf hash', () => {
    const e = { ...entryJson(5), actor: 'mallory' };
    const data = Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(e).sort(([a], [b]) => (a < b ? -1 : 1)))));
    o.db.prepare('UPDATE audit_leaves SET data = ?, hash = ? WHERE idx = 5').run(data, Buffer.from(hashLeaf(data)));
    expect(kinds()).toEqual(['checkpoint-root', 'node-mismatch']);
  });

  it('deleted row', () => {
    o.db.prepare('DELETE FROM audit_leaves WHERE idx = 4').run();
    expect(kinds()).toContain('leaf-missing');
    expect(kinds()).toContain('checkpoint-root');
  });

  it('deleted last row', () => {
    o.db.prepare('DELETE FROM audit_leaves WHERE idx = 11').run();
    expect(kinds()).toEqual(['checkpoint-beyond', 'node-unexpected']);
  });

  it('inserted row at the end', () => {
    const e = { ...entryJson(11), seq: 12 };
    const data = Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(e).sort(([a], [b]) => (a < b ? -1 : 1)))));
    o.db.prepare('INSERT INTO audit_leaves VALUES (12, ?, ?)').run(data, Buffer.from(hashLeaf(data)));
    expect(kinds()).toEqual(['unsigned-tail']); // leaf 12 completes no subtree
  });

  it('inserted row before the first', () => {
    o.db.prepare('INSERT INTO audit_leaves SELECT -1, data, hash FROM audit_leaves WHERE idx = 0').run();
    expect(kinds()).toContain('leaf-seq');
    expect(kinds()).toContain('checkpoint-root');
  });

  it('swapped rows', () => {
    o.db.exec('UPDATE audit_leaves SET idx = -1 WHERE idx = 3; UPDATE audit_leaves SET idx = 3 WHERE idx = 7; UPDATE audit_leaves SET idx = 7 WHERE idx = -1;');
    expect(kinds()).toEqual(['checkpoint-root', 'leaf-seq', 'node-mismatch']);
  });

  it('edited node hash', () => {
    o.db.prepare('UPDATE audit_nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 1').run();
    expect(o.store.verifyAll().problems).toEqual([expect.objectContaining({ kind: 'node-mismatch', index: 1 })]);
  });

  it('deleted node', () => {
    o.db.prepare('DELETE FROM audit_nodes WHERE level = 3 AND idx = 0').run();
    expect(kinds()).toEqual(['node-missing']);
    // and the store refuses to sign over the damaged tree
    expect(code(() => o.store.append(ev(12)))).toBe('AUDIT_LOG_INCONSISTENT'); // its frontier needs 3/0
  });

  it('edited checkpoint note', () => {
    o.db.prepare("UPDATE audit_checkpoints SET note = replace(note, char(10) || '6' || char(10), char(10) || '7' || char(10)) WHERE size = 6").run();
    expect(kinds()).toEqual(['checkpoint-signature']);
  });

  it('edited checkpoint root column', () => {
    o.db.prepare('UPDATE audit_checkpoints SET root = zeroblob(32) WHERE size = 9').run();
    expect(kinds()).toEqual(['checkpoint-row']);
  });

  it('a checkpoint signed by another key', () => {
    const row = o.db.prepare('SELECT root FROM audit_checkpoints WHERE size = 12').get() as { root: Buffer };
    const forged = signCheckpoint({ origin: ORIGIN, size: 12, root: new Uint8Array(row.root) }, { name: ORIGIN, privateKey: new Uint8Array(32).fill(9) });
    o.db.prepare('UPDATE audit_checkpoints SET note = ? WHERE size = 12').run(forged);
    expect(kinds()).toEqual(['checkpoint-signature']);
    // and the store refuses to extend a log whose latest checkpoint it did not sign
    o.store.append(ev(12));
    expect(code(() => o.store.checkpoint())).toBe('AUDIT_NOTE_UNVERIFIED');
  });

  it('a rewritten history with recomputed hashes and nodes is still caught by the signed checkpoints', () => {
    // the attacker rewrites entry 2 and rebuilds audit_leaves.hash and audit_nodes, but cannot re-sign
    const e = { ...entryJson(2), actor: 'mallory' };
    const data = Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(e).sort(([a], [b]) => (a < b ? -1 : 1)))));
    o.db.prepare('UPDATE audit_leaves SET data = ?, hash = ? WHERE idx = 2').run(data, Buffer.from(hashLeaf(data)));
    const scratch = open();
    for (let i = 0; i < 12; i++) scratch.store.append(i === 2 ? { ...ev(2), actor: 'mallory', time: o.store.entry(2).event.time } : { ...ev(i), time: o.store.entry(i).event.time });
    expect(scratch.store.entry(2).data).toEqual(new Uint8Array(data));
    o.db.exec('DELETE FROM audit_nodes');
    const ins = o.db.prepare('INSERT INTO audit_nodes VALUES (?, ?, ?)');
    for (const r of scratch.db.prepare('SELECT level, idx, hash FROM audit_nodes').all() as { level: number; idx: number; hash: Buffer }[]) ins.run(r.level, r.idx, r.hash);
    expect(kinds()).toEqual(['checkpoint-root']);
    scratch.db.close();
  });
});
