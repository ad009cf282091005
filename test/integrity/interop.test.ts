import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyModel, type Trust } from '../../src/host/model-signing.js';

// Every vector of ../shared/interop/model-signing/cases.json gives its documented result.
const DIR = new URL('../../../shared/interop/model-signing/', import.meta.url).pathname;

interface Case {
  id: string;
  model: string;
  bundle: string;
  method: 'key' | 'certificate' | 'sigstore';
  publicKey?: string;
  caCert?: string;
  identity?: string;
  issuer?: string;
  ignorePaths?: string[];
  expect: 'ok' | 'fail';
  reason: string;
}

const CASES = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as Case[];
const text = (p: string) => readFileSync(join(DIR, p), 'utf8');

/** The code each negative case must fail with (asserting codes, not prose). */
const EXPECTED_CODE: Record<string, string> = {
  'upstream-v1.0.1-key-no-ignore': 'SIG_MODEL_MISMATCH',
  'neg-payload-edited': 'SIG_INVALID',
  'neg-file-modified': 'SIG_MODEL_MISMATCH',
  'neg-file-extra': 'SIG_MODEL_MISMATCH',
  'neg-file-missing': 'SIG_MODEL_MISMATCH',
  'neg-other-key': 'SIG_KEY_MISMATCH',
  'neg-other-key-nohint': 'SIG_INVALID',
  'neg-wrong-curve-key': 'SIG_KEY_MISMATCH',
  'neg-p384-signed-with-sha256': 'SIG_INVALID',
  'neg-subject-mismatch': 'SIG_MANIFEST_INCONSISTENT',
  'neg-cert-wrong-ca': 'SIG_CHAIN_INVALID',
  'neg-cert-wrong-ca-2': 'SIG_CHAIN_INVALID',
};

function trustOf(c: Case): Trust {
  switch (c.method) {
    case 'key':
      return { kind: 'key', publicKey: text(c.publicKey!) };
    case 'certificate':
      return { kind: 'certificate', roots: text(c.caCert!) };
    case 'sigstore':
      return { kind: 'sigstore', identity: c.identity!, issuer: c.issuer! };
  }
}

describe('interop vectors (cases.json)', () => {
  it('has the documented number of cases', () => {
    expect(CASES.length).toBe(30);
  });
  for (const c of CASES) {
    it(`${c.id}: ${c.expect}`, async () => {
      const r = await verifyModel(join(DIR, c.model), {
        signature: join(DIR, c.bundle),
        trust: trustOf(c),
        ignorePaths: c.ignorePaths ?? [],
        workers: 0,
      });
      if (c.expect === 'ok') {
        expect({ ok: r.ok, code: r.code, reason: r.reason }).toEqual({ ok: true, code: undefined, reason: undefined });
      } else {
        expect(r.ok).toBe(false);
        expect(r.code).toBe(EXPECTED_CODE[c.id]);
      }
    });
  }

  it('names exactly the changed files', async () => {
    const key = { kind: 'key', publicKey: text('vectors/keys/p256.pub') } as const;
    const sig = join(DIR, 'vectors/py-key-p256.sig');
    const mod = await verifyModel(join(DIR, 'extra/models/model-modified'), { signature: sig, trust: key });
    expect(mod.modified.map((m) => m.name)).toEqual(['a b']);
    expect([mod.missing, mod.extra]).toEqual([[], []]);
    const extra = await verifyModel(join(DIR, 'extra/models/model-extra'), { signature: sig, trust: key });
    expect([extra.modified, extra.missing, extra.extra]).toEqual([[], [], ['a/extra.bin']]);
    const missing = await verifyModel(join(DIR, 'extra/models/model-missing'), { signature: sig, trust: key });
    expect([missing.modified, missing.missing, missing.extra]).toEqual([[], ['😀.bin'], []]);
    const tolerated = await verifyModel(join(DIR, 'extra/models/model-extra'), { signature: sig, trust: key, ignoreUnsignedFiles: true });
    expect(tolerated.ok).toBe(true);
  });

  it('reports the reference root digests', async () => {
    const r = await verifyModel(join(DIR, 'vectors/model'), {
      signature: join(DIR, 'vectors/py-key-p256.sig'),
      trust: { kind: 'key', publicKey: text('vectors/keys/p256.pub') },
    });
    expect(r.rootDigest).toBe('76d720969fd07bbd0685fdc8149b5257115cc7354674045715ebf8472acb6dbd');
    const single = await verifyModel(join(DIR, 'upstream/v1.0.0-elliptic-key/signme-1'), {
      signature: join(DIR, 'upstream/v1.0.0-elliptic-key/model.sig'),
      trust: { kind: 'key', publicKey: text('upstream/keys/certificate/signing-key-pub.pem') },
    });
    expect(single.rootDigest).toBe('afa48c8674afe334b8a7dea34f7b46ab256e9255edf8da2132792341b667a45b');
  });
});

describe('keyless (offline, seed trusted root)', () => {
  const model = join(DIR, 'upstream/v1.1.0-sigstore');
  const bundlePath = join(DIR, 'upstream/v1.1.0-sigstore/model.sig');
  const id = { identity: 'stefanb@us.ibm.com', issuer: 'https://sigstore.verify.ibm.com/oauth2' };
  it('wrong issuer is an identity mismatch', async () => {
    const r = await verifyModel(model, { signature: bundlePath, trust: { kind: 'sigstore', ...id, issuer: 'https://accounts.google.com' } });
    expect(r.code).toBe('SIG_IDENTITY_MISMATCH');
  });
  it('an edited payload fails', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const b = JSON.parse(readFileSync(bundlePath, 'utf8')) as { dsseEnvelope: { payload: string } };
    const p = Buffer.from(b.dsseEnvelope.payload, 'base64').toString().replace('"method"', '"method" ');
    b.dsseEnvelope.payload = Buffer.from(p).toString('base64');
    const d = mkdtempSync(join(tmpdir(), 'mv-kl-'));
    const f = join(d, 'edited.sig');
    writeFileSync(f, JSON.stringify(b));
    const r = await verifyModel(model, { signature: f, trust: { kind: 'sigstore', ...id } });
    rmSync(d, { recursive: true, force: true });
    expect(r.ok).toBe(false);
    expect(['SIG_INVALID', 'SIG_CHAIN_INVALID']).toContain(r.code);
  });
  it('a trusted root without authorities is a policy error', async () => {
    await expect(
      verifyModel(model, { signature: bundlePath, trust: { kind: 'sigstore', ...id, trustedRoot: { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' } } }),
    ).rejects.toMatchObject({ code: 'SIG_POLICY_INVALID' });
  });
});
