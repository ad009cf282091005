import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, signModel } from '../../src/host/index.js';
import { decodeArtifact } from '../../src/runtime/index.js';
import { Registry, parseRef } from '../../src/registry/index.js';
import { codeOf, tempDir, writeSafetensorsFile } from './helpers.js';

const T = tempDir();
const SKLEARN = join(import.meta.dirname, '../fixtures/sklearn/decision_tree_classifier.joblib');
let reg: Registry;

beforeAll(async () => {
  reg = await Registry.init(join(T.dir, 'reg'), { admin: 'admin' });
  await reg.grant('admin', 'pub', 'publisher');
});
afterAll(() => {
  reg?.close();
  T.cleanup();
});

describe('conversion of legacy uploads', () => {
  it('converts a clean scikit-learn joblib to a modelvault/1 artifact; the original is not kept by default', async () => {
    const f = join(T.dir, 'tree.joblib');
    copyFileSync(SKLEARN, f);
    const r = await reg.push('pub', { file: f, name: 'tree' });
    expect(r).toMatchObject({ created: true, converted: true, format: 'modelvault/1' });
    expect(r.sourceDigest).not.toBe(r.digest);
    const out = join(T.dir, 'tree.mv.safetensors');
    await reg.pull('pub', parseRef('tree:1'), out);
    expect(decodeArtifact(new Uint8Array(readFileSync(out))).ir.provenance.source_sha256).toBe(r.sourceDigest.slice(7));
    const v = (await reg.showVersion('pub', parseRef('tree:1'))).version;
    expect(v.originalDigest).toBeNull();
    expect(v.provenance).toMatchObject({ conversion: { format: 'modelvault/1' }, source: { format: 'lzma' } });
    expect(await reg.quarantine.list()).toEqual([]);
  });

  it('--keep-original quarantines the original, which is never pullable', async () => {
    const f = join(T.dir, 'tree2.joblib');
    copyFileSync(SKLEARN, f);
    const r = await reg.push('pub', { file: f, name: 'tree-kept', keepOriginal: true });
    expect(r.converted).toBe(true);
    expect(await reg.quarantine.list()).toEqual([r.sourceDigest]);
    expect(await reg.blobs.has(r.sourceDigest)).toBe(false);
    expect(await codeOf(reg.pullDigest('pub', r.sourceDigest, join(T.dir, 'orig')))).toBe('REG_QUARANTINED');
    expect(existsSync(join(T.dir, 'orig'))).toBe(false);
    await reg.pullDigest('pub', r.digest, join(T.dir, 'art'));
    expect(existsSync(join(T.dir, 'art'))).toBe(true);
  });

  it('refuses a clean file of a format that is neither stored nor convertible, and audits it', async () => {
    const f = join(T.dir, 'x.npy');
    // a valid .npy header + data: clean, but not a model artifact
    const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
    const pad = 64 - ((10 + header.length + 1) % 64);
    const h = Buffer.from(header + ' '.repeat(pad) + '\n', 'latin1');
    const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
    writeFileSync(f, Buffer.concat([pre, h, Buffer.alloc(16)]));
    expect(await codeOf(reg.push('pub', { file: f, name: 'npy' }))).toBe('REG_FORMAT_REFUSED');
    expect((await reg.auditEntries('pub')).at(-1)!.event.action).toBe('version.reject');
  });
});

describe('signatures against policy.json', () => {
  it('verifies signed uploads, records the signer, refuses unsigned and badly signed ones', async () => {
    const k = generateSigningKey('p256');
    const other = generateSigningKey('p256');
    const f = writeSafetensorsFile(T.dir, 'signed.safetensors', 11);
    const sig = join(T.dir, 'signed.sig');
    await signModel(f, { privateKey: k.privatePem, signaturePath: sig });
    // no policy yet: a signature cannot be trusted
    expect(await codeOf(reg.push('pub', { file: f, name: 'signed', signature: sig }))).toBe('SIG_KEY_MISMATCH');
    writeFileSync(reg.layout.policy, JSON.stringify({ version: 1, keys: [{ name: 'release-key', publicKey: k.publicPem }] }));
    const r = await reg.push('pub', { file: f, name: 'signed', signature: sig });
    expect(r.signer).toMatch(/^key /);
    const v = (await reg.showVersion('pub', parseRef('signed:1'))).version;
    expect(v.provenance).toMatchObject({ signature: { matched: 'release-key' } });
    // the policy requires signatures (requireSignature defaults to true)
    const g = writeSafetensorsFile(T.dir, 'unsigned.safetensors', 12);
    expect(await codeOf(reg.push('pub', { file: g, name: 'signed' }))).toBe('SIG_UNSIGNED');
    // signed by an untrusted key
    const sig2 = join(T.dir, 'other.sig');
    await signModel(g, { privateKey: other.privatePem, signaturePath: sig2 });
    expect(await codeOf(reg.push('pub', { file: g, name: 'signed', signature: sig2 }))).toMatch(/^SIG_/);
    // a signature over different bytes
    expect(await codeOf(reg.push('pub', { file: g, name: 'signed', signature: sig }))).toMatch(/^SIG_/);
    const rejects = (await reg.auditEntries('pub', { model: 'signed' })).filter((e) => e.event.action === 'version.reject');
    expect(rejects.length).toBe(4);
    expect((await reg.auditVerify('pub')).ok).toBe(true);
  });
});

describe('duplicates', () => {
  it('the same legacy bytes pushed twice are reported, not converted again', async () => {
    const f = join(T.dir, 'tree3.joblib');
    copyFileSync(SKLEARN, f);
    rmSync(reg.layout.policy, { force: true }); // the previous test installed a policy that requires signatures
    const a = await reg.push('pub', { file: f, name: 'tree-dup' });
    const b = await reg.push('pub', { file: f, name: 'tree-dup' });
    expect(b).toMatchObject({ created: false, version: a.version, digest: a.digest });
    expect((await reg.store.listVersions('tree-dup')).length).toBe(1);
  });
});

describe('PyTorch checkpoints', () => {
  it('stores a clean torch zip checkpoint as safetensors tensors (weights only)', async () => {
    const f = join(T.dir, 'nested_zip.pt');
    copyFileSync(join(import.meta.dirname, '../fixtures/sklearn/torch/nested_zip.pt'), f);
    const r = await reg.push('pub', { file: f, name: 'torchy' });
    expect(r).toMatchObject({ created: true, converted: true, format: 'safetensors' });
    const v = (await reg.showVersion('pub', parseRef('torchy:1'))).version;
    expect(v.provenance).toMatchObject({ source: { format: 'zip' }, conversion: { format: 'safetensors', report: { kind: 'torch', format: 'zip' } } });
    const out = join(T.dir, 'torchy.safetensors');
    await reg.pull('pub', parseRef('torchy:1'), out);
    const { parseSafetensors } = await import('../../src/formats/safetensors/index.js');
    expect(parseSafetensors(new Uint8Array(readFileSync(out))).tensors.length).toBeGreaterThan(0);
  });
});
