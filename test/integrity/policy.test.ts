import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMvError } from '../../src/core/index.js';
import { generateSigningKey, loadTrustPolicy, signModel, verifyModel } from '../../src/host/model-signing.js';
import { parseTrustPolicy, TRUST_POLICY_SCHEMA } from '../../src/integrity/index.js';

const DIR = new URL('../../../shared/interop/model-signing/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'mv-policy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const policyFile = (name: string, v: unknown) => {
  const p = join(tmp, name);
  writeFileSync(p, JSON.stringify(v));
  return p;
};

describe('trust policy', () => {
  it('schema: defaults, unknown fields, wrong types', () => {
    expect(parseTrustPolicy({ version: 1 })).toMatchObject({ requireSignature: true, keys: [], ignoreUnsignedFiles: false });
    for (const bad of [{}, { version: 2 }, { version: 1, extra: true }, { version: 1, keys: [{}] }, { version: 1, sigstore: [{ identity: 'x' }] }, []]) {
      try {
        parseTrustPolicy(bad);
        throw new Error(`accepted ${JSON.stringify(bad)}`);
      } catch (e) {
        expect(isMvError(e) && e.code).toBe('SIG_POLICY_INVALID');
      }
    }
    expect(TRUST_POLICY_SCHEMA.required).toEqual(['version']);
  });

  it('keys, CA roots with allowed identities, sigstore identities', async () => {
    const p = await loadTrustPolicy(
      policyFile('all.json', {
        version: 1,
        keys: [{ name: 'other', publicKey: join(DIR, 'extra/keys/other-p256.pub') }, { name: 'p256', publicKey: join(DIR, 'vectors/keys/p256.pub') }],
        certificateAuthorities: [{ name: 'upstream', root: join(DIR, 'vectors/keys/ca-cert.pem'), identities: ['CN=intermediate-ca'] }],
        sigstore: [{ name: 'ibm', identity: 'stefanb@us.ibm.com', issuer: 'https://sigstore.verify.ibm.com/oauth2' }],
      }),
    );
    const trust = { kind: 'policy', policy: p } as const;
    const v = (model: string, sig: string) => verifyModel(join(DIR, model), { signature: join(DIR, sig), trust });
    expect(await v('vectors/model', 'vectors/py-key-p256.sig')).toMatchObject({ ok: true, matched: 'p256' });
    expect(await v('vectors/model', 'extra/other-key-nohint-p256.sig')).toMatchObject({ ok: true, matched: 'other' });
    expect(await v('vectors/model', 'vectors/py-cert-p384.sig')).toMatchObject({ ok: true, matched: 'upstream' });
    expect(await v('upstream/v1.1.0-sigstore', 'upstream/v1.1.0-sigstore/model.sig')).toMatchObject({ ok: true, matched: 'ibm' });
    expect((await v('vectors/model', 'vectors/py-key-p384.sig')).code).toBe('SIG_KEY_MISMATCH'); // key not listed
    expect((await v('vectors/model', 'extra/cert-alt-pki.sig')).code).toBe('SIG_CHAIN_INVALID'); // other PKI
  });

  it('identity not allowed for the CA', async () => {
    const p = await loadTrustPolicy(policyFile('id.json', { version: 1, certificateAuthorities: [{ root: join(DIR, 'vectors/keys/ca-cert.pem'), identities: ['CN=someone-else'] }] }));
    const r = await verifyModel(join(DIR, 'vectors/model'), { signature: join(DIR, 'vectors/py-cert-p384.sig'), trust: { kind: 'policy', policy: p } });
    expect(r.code).toBe('SIG_IDENTITY_MISMATCH');
  });

  it('requireSignature, default signature name and policy ignore paths', async () => {
    const dir = join(tmp, 'model');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(join(dir, 'w.bin'), 'w');
    const key = generateSigningKey();
    writeFileSync(join(tmp, 'k.pub'), key.publicPem);
    const strict = await loadTrustPolicy(policyFile('strict.json', { version: 1, keys: [{ publicKey: 'k.pub' }], ignorePaths: ['cache'] }));
    expect(await verifyModel(dir, { trust: { kind: 'policy', policy: strict } })).toMatchObject({ ok: false, code: 'SIG_UNSIGNED' });
    const lax = await loadTrustPolicy(policyFile('lax.json', { version: 1, requireSignature: false }));
    expect(await verifyModel(dir, { trust: { kind: 'policy', policy: lax } })).toMatchObject({ ok: true, signed: false });
    await signModel(dir, { privateKey: key.privatePem }); // default <dir>/model.sig
    mkdirSync(join(dir, 'cache'));
    writeFileSync(join(dir, 'cache/tmp'), 'x');
    expect(await verifyModel(dir, { trust: { kind: 'policy', policy: strict } })).toMatchObject({ ok: true, signed: true });
  });
});

describe('assertModelVerified', () => {
  it('throws the SIG_* code of a failed verification', async () => {
    const { assertModelVerified } = await import('../../src/host/model-signing.js');
    const trust = { kind: 'key', publicKey: (await import('node:fs')).readFileSync(join(DIR, 'vectors/keys/p256.pub'), 'utf8') } as const;
    await expect(assertModelVerified(join(DIR, 'vectors/model'), { signature: join(DIR, 'vectors/py-key-p256.sig'), trust })).resolves.toMatchObject({ ok: true });
    await expect(assertModelVerified(join(DIR, 'extra/models/model-extra'), { signature: join(DIR, 'vectors/py-key-p256.sig'), trust })).rejects.toMatchObject({
      code: 'SIG_MODEL_MISMATCH',
    });
  });
});
