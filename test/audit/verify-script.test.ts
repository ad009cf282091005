import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  consistencyProof, encodeEvent, formatConsistencyProof, formatTlogProof, inclusionProof, rootAt, signCheckpoint,
  type AuditEvent,
} from '../../src/audit/index.js';
import { AuditStore } from '../../src/registry/audit-store.js';
import { memoryTree } from './tree-helper.js';

const SCRIPT = new URL('../../bin/modelvault-audit-verify.js', import.meta.url).pathname;
const DIR = mkdtempSync(join(tmpdir(), 'mv-audit-verify-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const SEED = new Uint8Array(createHash('sha256').update('modelvault audit-log test key').digest());
const ORIGIN = 'example.com/modelvault/audit';
const VKEY = 'example.com/modelvault/audit+9020f8ce+AXvBukIEuZEb1W/9M2Vk18n5j0e92G9YzohIk8VYD8sx';
const signer = { name: ORIGIN, privateKey: SEED };

let n = 0;
const file = (text: string | Uint8Array): string => {
  const p = join(DIR, `f${n++}`);
  writeFileSync(p, text);
  return p;
};
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
};

const event = (seq: number): AuditEvent => ({
  seq, time: '2026-12-01T10:00:00.000Z', actor: 'alice', action: 'alias.set',
  subject: { model: 'iris', version: seq + 1, digest: null }, before: { alias: 'prod', version: seq }, after: { alias: 'prod', version: seq + 1 },
});

describe('bin/modelvault-audit-verify.js (standalone, node: built-ins only)', () => {
  const data = Array.from({ length: 21 }, (_, i) => encodeEvent(event(i)));
  const tree = memoryTree(data);
  const cp = (size: number) => signCheckpoint({ origin: ORIGIN, size, root: rootAt(size, tree.getNode) }, signer);
  const receipt = (i: number, size: number, extra = true) =>
    formatTlogProof({ ...(extra ? { extra: data[i]! } : {}), index: i, proof: inclusionProof(i, size, tree.getNode), checkpoint: cp(size) });
  const cons = (m: number, k: number) => formatConsistencyProof({ from: m, to: k, proof: consistencyProof(m, k, tree.getNode) });

  it('imports nothing but node: built-ins', () => {
    const src = readFileSync(SCRIPT, 'utf8');
    const specs = [...src.matchAll(/^import [^;]* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(specs.length).toBeGreaterThan(0);
    expect(specs.every((s) => s!.startsWith('node:'))).toBe(true);
    expect(src).not.toMatch(/\brequire\(|import\(/);
  });

  it('verifies a receipt against its own checkpoint, and with --checkpoint of the same size', () => {
    const r = run('--vkey', VKEY, '--receipt', file(receipt(7, 21)));
    expect(r.status).toBe(0);
    expect(r.out).toContain('OK inclusion: entry 7 is in the tree of size 21');
    expect(r.out).toContain('"actor":"alice"');
    expect(run('--vkey', VKEY, '--checkpoint', file(cp(21)), '--receipt', file(receipt(7, 21))).status).toBe(0);
  });

  it('links an older receipt checkpoint and a stored old checkpoint to the newest one', () => {
    const r = run('--vkey', `@${file(VKEY + '\n')}`, '--checkpoint', file(cp(21)), '--receipt', file(receipt(3, 9)),
      '--old-checkpoint', file(cp(5)), '--consistency', file(cons(9, 21)), '--consistency', file(cons(5, 21)), '--json');
    expect(r.status, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.ok).toBe(true);
    expect(j.results.map((x: { check: string }) => x.check)).toEqual(['checkpoint', 'consistency', 'inclusion', 'consistency']);
  });

  it('takes the entry from --entry when the receipt has no extra line', () => {
    expect(run('--vkey', VKEY, '--receipt', file(receipt(4, 21, false)), '--entry', file(data[4]!)).status).toBe(0);
    expect(run('--vkey', VKEY, '--receipt', file(receipt(4, 21, false)), '--entry', file(data[5]!)).status).toBe(1);
    expect(run('--vkey', VKEY, '--receipt', file(receipt(4, 21, false))).status).toBe(1);
  });

  it('fails (exit 1) on tampering, forks and rollbacks', () => {
    const good = receipt(7, 21);
    const cases: [string, string[]][] = [
      ['size line', ['--receipt', file(good.replace('\n21\n', '\n22\n'))]],
      ['index', ['--receipt', file(good.replace('index 7', 'index 8'))]],
      ['entry', ['--receipt', file(good), '--entry', file(data[8]!)]],
      ['proof hash', ['--receipt', file(good.replace(/\nindex 7\n(.)/, (_m, c: string) => `\nindex 7\n${c === 'A' ? 'B' : 'A'}`))]],
      ['missing consistency', ['--checkpoint', file(cp(21)), '--receipt', file(receipt(3, 9))]],
      ['wrong consistency', ['--checkpoint', file(cp(21)), '--receipt', file(receipt(3, 9)), '--consistency', file(cons(9, 20).replace('to 20', 'to 21'))]],
      ['rollback', ['--checkpoint', file(cp(5)), '--old-checkpoint', file(cp(9)), '--consistency', file(cons(5, 9))]],
      ['newer receipt', ['--checkpoint', file(cp(5)), '--receipt', file(receipt(3, 9))]],
      ['fork', ['--checkpoint', file(cp(21)), '--old-checkpoint', file(signCheckpoint({ origin: ORIGIN, size: 5, root: rootAt(6, tree.getNode) }, signer)), '--consistency', file(cons(5, 21))]],
      ['other key', ['--checkpoint', file(signCheckpoint({ origin: ORIGIN, size: 21, root: rootAt(21, tree.getNode) }, { name: ORIGIN, privateKey: new Uint8Array(32) }))]],
      ['other origin', ['--origin', 'example.com/other', '--checkpoint', file(cp(21))]],
      ['garbage receipt', ['--receipt', file('c2sp.org/tlog-proof@v1\nindex 01\n\n')]],
      ['binary receipt', ['--receipt', file(new Uint8Array([0xff, 0xfe, 0x00]))]],
    ];
    for (const [name, args] of cases) {
      const r = run('--vkey', VKEY, ...args);
      expect(r.status, `${name}: ${r.out}${r.err}`).toBe(1);
      expect(r.err).toMatch(/^FAILED: /);
    }
  });

  it('exits 2 on usage errors', () => {
    expect(run().status).toBe(2);
    expect(run('--vkey', VKEY).status).toBe(2);
    expect(run('--vkey', 'not-a-vkey', '--checkpoint', file(cp(1))).status).toBe(2);
    expect(run('--vkey', VKEY, '--checkpoint', join(DIR, 'missing')).status).toBe(2);
    expect(run('--vkey', VKEY, '--bogus').status).toBe(2);
    expect(run('--help').status).toBe(0);
  });

  it('verifies receipts and proofs produced by AuditStore on a real SQLite file', () => {
    const db = new Database(join(DIR, 'store.db'));
    db.pragma('journal_mode = WAL');
    const store = new AuditStore(db, { origin: ORIGIN, signingKey: SEED, clock: () => Date.UTC(2026, 11, 1) });
    for (let i = 0; i < 6; i++) store.append({ actor: 'ci', action: 'version.create', subject: { model: 'm', version: i + 1, digest: null }, before: null, after: null });
    const old = store.checkpoint();
    const rec = store.receipt(2);
    for (let i = 6; i < 17; i++) store.append({ actor: 'ci', action: 'tag.set', subject: { model: 'm', version: null, digest: null }, before: null, after: { i } });
    const latest = store.checkpoint();
    const r = run('--vkey', store.vkey(), '--checkpoint', file(latest), '--old-checkpoint', file(old), '--receipt', file(rec),
      '--consistency', file(store.consistencyProofText(6, 17)));
    expect(r.status, r.err).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(4);
    db.close();
  });
});
