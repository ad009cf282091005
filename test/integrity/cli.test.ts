import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';

const DIR = new URL('../../../shared/interop/model-signing/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'mv-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o: Output = { out: (s) => void out.push(s), err: (s) => void err.push(s), color: false, isTTY: false };
  const code = await main(['node', 'modelvault', ...args], o);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('modelvault keygen / sign / verify / hash', () => {
  const key = join(tmp, 'k.pem');
  const model = join(tmp, 'model');
  cpSync(join(DIR, 'vectors/model'), model, { recursive: true });
  const sig = join(tmp, 'model.sig');

  it('keygen writes a 0600 private key and a .pub beside it', async () => {
    const r = await run('keygen', '--curve', 'p384', '-o', key);
    expect(r.code).toBe(0);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(tmp, 'k.pub'), 'utf8')).toContain('BEGIN PUBLIC KEY');
    expect(r.out).not.toContain('PRIVATE');
    expect((await run('keygen', '-o', key)).code).toBe(2); // refuses to overwrite
  });

  it('sign then verify: exit 0', async () => {
    const s = await run('sign', model, '--key', key, '-o', sig);
    expect(s.code).toBe(0);
    expect(s.out).toContain('76d720969fd07bbd0685fdc8149b5257115cc7354674045715ebf8472acb6dbd');
    const v = await run('verify', model, '--signature', sig, '--public-key', join(tmp, 'k.pub'));
    expect(v.code).toBe(0);
    expect(v.out).toContain('Verification succeeded');
  });

  it('tampered model: exit 1 and every change named', async () => {
    const m2 = join(tmp, 'model2');
    cpSync(model, m2, { recursive: true });
    writeFileSync(join(m2, 'B'), 'changed');
    rmSync(join(m2, 'z'));
    writeFileSync(join(m2, 'new.bin'), 'x');
    const v = await run('verify', m2, '--signature', sig, '--public-key', join(tmp, 'k.pub'));
    expect(v.code).toBe(1);
    expect(v.out).toMatch(/modified: B/);
    expect(v.out).toMatch(/missing: +z/);
    expect(v.out).toMatch(/extra: +new\.bin/);
    const j = await run('verify', m2, '--signature', sig, '--public-key', join(tmp, 'k.pub'), '--format', 'json');
    expect(j.code).toBe(1);
    const r = JSON.parse(j.out) as { code: string; missing: string[]; extra: string[]; modified: { name: string }[] };
    expect([r.code, r.modified.map((m) => m.name), r.missing, r.extra]).toEqual(['SIG_MODEL_MISMATCH', ['B'], ['z'], ['new.bin']]);
  });

  it('interop vectors through the CLI: certificate and keyless', async () => {
    const cert = await run('verify', join(DIR, 'vectors/model'), '--signature', join(DIR, 'vectors/py-cert-p384.sig'), '--ca', join(DIR, 'vectors/keys/ca-cert.pem'));
    expect(cert.code).toBe(0);
    const wrong = await run('verify', join(DIR, 'vectors/model'), '--signature', join(DIR, 'vectors/py-cert-p384.sig'), '--ca', join(DIR, 'extra/pki/root.pem'));
    expect(wrong.code).toBe(1);
    const keyless = await run(
      'verify', join(DIR, 'upstream/v1.1.0-sigstore'), '--signature', join(DIR, 'upstream/v1.1.0-sigstore/model.sig'),
      '--identity', 'stefanb@us.ibm.com', '--issuer', 'https://sigstore.verify.ibm.com/oauth2',
    );
    expect(keyless.code).toBe(0);
    const otherId = await run(
      'verify', join(DIR, 'upstream/v1.1.0-sigstore'), '--signature', join(DIR, 'upstream/v1.1.0-sigstore/model.sig'),
      '--identity', 'mallory@example.com', '--issuer', 'https://sigstore.verify.ibm.com/oauth2',
    );
    expect(otherId.code).toBe(1);
    expect(otherId.out).toContain('SIG_IDENTITY_MISMATCH');
  });

  it('usage and I/O errors: exit 2', async () => {
    expect((await run('verify', model, '--signature', join(tmp, 'none.sig'), '--public-key', join(tmp, 'k.pub'))).code).toBe(2);
    expect((await run('verify', model, '--signature', sig)).code).toBe(2);
    expect((await run('verify', model, '--signature', sig, '--public-key', join(tmp, 'k.pub'), '--ca', join(tmp, 'k.pub'))).code).toBe(2);
    expect((await run('verify', model, '--signature', sig, '--public-key', join(tmp, 'missing.pub'))).code).toBe(2);
    expect((await run('verify', join(tmp, 'no-model'), '--signature', sig, '--public-key', join(tmp, 'k.pub'))).code).toBe(2);
  });

  it('encrypted keys via --passphrase-env; the passphrase never shows', async () => {
    process.env.MV_TEST_PASS = 'hunter2-hunter2';
    const k = join(tmp, 'enc.pem');
    expect((await run('keygen', '-o', k, '--passphrase-env', 'MV_TEST_PASS')).code).toBe(0);
    const noPass = await run('sign', model, '--key', k, '-o', join(tmp, 'e.sig'));
    expect(noPass.code).toBe(4);
    expect(noPass.err).toContain('SIG_KEY_INVALID');
    const ok = await run('sign', model, '--key', k, '-o', join(tmp, 'e.sig'), '--passphrase-env', 'MV_TEST_PASS');
    expect(ok.code).toBe(0);
    expect(ok.out + ok.err).not.toContain('hunter2');
    delete process.env.MV_TEST_PASS;
  });

  it('hash prints the manifest JSON with the reference root digest', async () => {
    const r = await run('hash', join(DIR, 'vectors/model'));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { digest: string; resources: { name: string }[] };
    expect(j.digest).toBe('sha256:76d720969fd07bbd0685fdc8149b5257115cc7354674045715ebf8472acb6dbd');
    expect(j.resources.map((x) => x.name)).toEqual(['A/x', 'B', 'a/b', 'a b', 'a-b', 'a.txt', 'z', 'é.bin', '模型.bin', '！.bin', '😀.bin']);
  });

  it('trust policy file', async () => {
    const policy = join(tmp, 'policy.json');
    writeFileSync(policy, JSON.stringify({ version: 1, keys: [{ name: 'release', publicKey: 'k.pub' }] }));
    const v = await run('verify', model, '--signature', sig, '--policy', policy);
    expect(v.code).toBe(0);
    expect(v.out).toContain('policy entry release');
    writeFileSync(policy, JSON.stringify({ version: 1, keys: [{ publicKey: join(DIR, 'vectors/keys/p256.pub') }] }));
    expect((await run('verify', model, '--signature', sig, '--policy', policy)).code).toBe(1);
    writeFileSync(policy, JSON.stringify({ version: 1, keyz: [] }));
    const bad = await run('verify', model, '--signature', sig, '--policy', policy);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('SIG_POLICY_INVALID');
  });
});
