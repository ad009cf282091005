import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/index.js';
import { convertFile } from '../../src/convert/index.js';
import { generateSigningKey, loadModelFile, signModel } from '../../src/host/index.js';
import { predict } from '../../src/runtime/index.js';

// loadModel(path, { trust }) of issue 4 §5: verification before every load, refusing by default.
let dir: string;
let model: string;
let policy: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mv-load-'));
  const raw = new Uint8Array(readFileSync(new URL('../../examples/predictor.joblib', import.meta.url)));
  model = join(dir, 'iris.safetensors');
  writeFileSync(model, (await convertFile(raw, { sourceSha256: sha256Hex(raw), created: '2026-01-01T00:00:00Z' })).bytes);
  const key = generateSigningKey('p256');
  writeFileSync(join(dir, 'release.pub'), key.publicPem);
  await signModel(model, { privateKey: key.privatePem, signaturePath: join(dir, 'iris.sig') });
  policy = join(dir, 'policy.json');
  writeFileSync(policy, JSON.stringify({ version: 1, requireSignature: true, keys: [{ name: 'release', publicKey: 'release.pub' }] }));
});

describe('loadModelFile', () => {
  it('loads a signed artifact that verifies against the trust policy', async () => {
    const { model: m, verification } = await loadModelFile(model, { trust: policy, signature: join(dir, 'iris.sig') });
    expect(verification?.ok).toBe(true);
    expect(verification?.matched).toBe('release');
    expect(predict(m, [[5.1, 3.5, 1.4, 0.2]]).data).toEqual([0]);
  });

  it('refuses to load without a trust policy unless unsigned models are explicitly allowed', async () => {
    await expect(loadModelFile(model)).rejects.toMatchObject({ code: 'SIG_UNSIGNED' });
    const { model: m, verification } = await loadModelFile(model, { allowUnsigned: true });
    expect(verification).toBeUndefined();
    expect(m.methods).toContain('predict_proba');
  });

  it('refuses a model with no signature under a policy that requires one', async () => {
    const copy = join(dir, 'unsigned.safetensors');
    writeFileSync(copy, readFileSync(model));
    await expect(loadModelFile(copy, { trust: policy })).rejects.toMatchObject({ code: 'SIG_UNSIGNED' });
  });

  it('refuses a tampered model and one signed by another key', async () => {
    const bad = join(dir, 'tampered.safetensors');
    const b = readFileSync(model);
    b[b.length - 1] ^= 1;
    writeFileSync(bad, b);
    await expect(loadModelFile(bad, { trust: policy, signature: join(dir, 'iris.sig') })).rejects.toMatchObject({ code: 'SIG_MODEL_MISMATCH' });
    const other = generateSigningKey('p384');
    await signModel(model, { privateKey: other.privatePem, signaturePath: join(dir, 'other.sig') });
    await expect(loadModelFile(model, { trust: policy, signature: join(dir, 'other.sig') })).rejects.toMatchObject({ code: expect.stringMatching(/^SIG_(INVALID|KEY_MISMATCH|UNTRUSTED)/) });
  });
});
