import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof, encodeEvent, formatConsistencyProof, formatTlogProof, inclusionProof, parseConsistencyProof,
  parseTlogProof, parseVkey, rootAt, signCheckpoint, verifyCheckpointConsistency, verifyTlogProof, type AuditEvent,
} from '../../src/audit/index.js';
import { memoryTree } from './tree-helper.js';
import { code } from '../support/codes.js';

const SEED = new Uint8Array(createHash('sha256').update('modelvault audit-log test key').digest());
const ORIGIN = 'example.com/modelvault/audit';
const VKEY = parseVkey('example.com/modelvault/audit+9020f8ce+AXvBukIEuZEb1W/9M2Vk18n5j0e92G9YzohIk8VYD8sx');
const signer = { name: ORIGIN, privateKey: SEED };

const event = (seq: number): AuditEvent => ({
  seq, time: `2026-12-01T10:00:${String(seq % 60).padStart(2, '0')}.000Z`, actor: 'alice', action: 'version.create',
  subject: { model: 'iris', version: seq + 1, digest: `sha256:${'ab'.repeat(32)}` }, before: null, after: { version: seq + 1 },
});

describe('tlog-proof receipts', () => {
  const data = Array.from({ length: 13 }, (_, i) => encodeEvent(event(i)));
  const tree = memoryTree(data);
  const cp13 = signCheckpoint({ origin: ORIGIN, size: 13, root: rootAt(13, tree.getNode) }, signer);
  const cp5 = signCheckpoint({ origin: ORIGIN, size: 5, root: rootAt(5, tree.getNode) }, signer);

  it('round-trips and verifies every index, with the event in extra', () => {
    for (let i = 0; i < 13; i++) {
      const text = formatTlogProof({ extra: data[i]!, index: i, proof: inclusionProof(i, 13, tree.getNode), checkpoint: cp13 });
      const p = parseTlogProof(text);
      expect(formatTlogProof(p)).toBe(text);
      const v = verifyTlogProof(text, { verifiers: [VKEY], origin: ORIGIN });
      expect(v.index).toBe(i);
      expect(v.checkpoint.size).toBe(13);
      verifyTlogProof(text, { verifiers: [VKEY], data: data[i]! });
    }
  });

  it('works without extra when the caller has the entry', () => {
    const text = formatTlogProof({ index: 3, proof: inclusionProof(3, 13, tree.getNode), checkpoint: cp13 });
    expect(text.split('\n')[1]).toBe('index 3');
    verifyTlogProof(text, { verifiers: [VKEY], data: data[3]! });
    expect(code(() => verifyTlogProof(text, { verifiers: [VKEY] }))).toBe('AUDIT_RECEIPT_INVALID');
    expect(code(() => verifyTlogProof(text, { verifiers: [VKEY], data: data[4]! }))).toBe('AUDIT_PROOF_INVALID');
  });

  it('fails on a tampered event, index, hash or checkpoint', () => {
    const good = formatTlogProof({ extra: data[7]!, index: 7, proof: inclusionProof(7, 13, tree.getNode), checkpoint: cp13 });
    expect(code(() => verifyTlogProof(good, { verifiers: [VKEY], data: data[6]! }))).toBe('AUDIT_PROOF_INVALID');
    expect(code(() => verifyTlogProof(good.replace('index 7', 'index 6'), { verifiers: [VKEY] }))).toBe('AUDIT_PROOF_INVALID');
    const p = parseTlogProof(good);
    const flipped = formatTlogProof({ ...p, proof: p.proof.map((h, i) => (i === 1 ? h.map((x, j) => (j === 0 ? x ^ 1 : x)) : h)) });
    expect(code(() => verifyTlogProof(flipped, { verifiers: [VKEY] }))).toBe('AUDIT_PROOF_INVALID');
    expect(code(() => verifyTlogProof(good.replace('\n13\n', '\n14\n'), { verifiers: [VKEY] }))).toBe('AUDIT_NOTE_UNVERIFIED');
    expect(code(() => verifyTlogProof(formatTlogProof({ ...p, extra: encodeEvent(event(8)) }), { verifiers: [VKEY] }))).toBe('AUDIT_PROOF_INVALID');
  });

  it('rejects malformed receipts', () => {
    const good = formatTlogProof({ index: 0, proof: inclusionProof(0, 13, tree.getNode), checkpoint: cp13 });
    const bad = [
      '', 'c2sp.org/tlog-proof@v2\nindex 0\n\n' + cp13, good.replace('index 0', 'index 00'), good.replace('index 0', 'index -1'),
      good.replace('index 0', 'idx 0'), good.replace('\n\n', '\n'), good.split('\n\n')[0] + '\n\n',
      good.replace('index 0\n', 'index 0\nAAAA\n'), 'c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\n' + cp13,
    ];
    for (const b of bad) expect(code(() => parseTlogProof(b)), JSON.stringify(b.slice(0, 40))).toBe('AUDIT_RECEIPT_INVALID');
  });

  it('consistency proofs between checkpoints, and rollback refusal', () => {
    const text = formatConsistencyProof({ from: 5, to: 13, proof: consistencyProof(5, 13, tree.getNode) });
    expect(parseConsistencyProof(text)).toEqual({ from: 5, to: 13, proof: consistencyProof(5, 13, tree.getNode) });
    const r = verifyCheckpointConsistency(cp5, cp13, text, { verifiers: [VKEY], origin: ORIGIN });
    expect([r.old.size, r.new.size]).toEqual([5, 13]);
    expect(code(() => verifyCheckpointConsistency(cp13, cp5, text, { verifiers: [VKEY] }))).toBe('AUDIT_PROOF_INVALID');
    const forkedRoot = rootAt(6, tree.getNode);
    const fork = signCheckpoint({ origin: ORIGIN, size: 5, root: forkedRoot }, signer);
    expect(code(() => verifyCheckpointConsistency(fork, cp13, text, { verifiers: [VKEY] }))).toBe('AUDIT_PROOF_INVALID');
    expect(code(() => parseConsistencyProof(text.replace('from 5', 'from 05')))).toBe('AUDIT_RECEIPT_INVALID');
    expect(code(() => parseConsistencyProof(text.replace('from 5', 'from 14')))).toBe('AUDIT_RECEIPT_INVALID');
    expect(code(() => parseConsistencyProof('nope\n'))).toBe('AUDIT_RECEIPT_INVALID');
  });
});
