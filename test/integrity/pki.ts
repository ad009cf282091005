import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway test PKI made with the openssl CLI: root (P-384) → intermediate (P-256) → leaves. */
export interface TestPki {
  readonly dir: string;
  readonly rootPem: string;
  readonly intPem: string;
  readonly otherRootPem: string;
  /** Leaves per curve with KeyUsage digitalSignature + EKU codeSigning + SAN email. */
  readonly leaves: Record<'p256' | 'p384' | 'p521', { keyPem: string; certPem: string }>;
  /** A leaf for TLS servers only (no digitalSignature, no codeSigning). */
  readonly tlsLeaf: { keyPem: string; certPem: string };
}

const CURVE = { p256: 'P-256', p384: 'P-384', p521: 'P-521' } as const;

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'mv-pki-'));
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const key = (name: string, curve: string) => ossl('genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`, '-out', `${name}.key`);
  const ext = (name: string, lines: string[]) => writeFileSync(join(dir, `${name}.ext`), `${lines.join('\n')}\n`);
  const selfSigned = (name: string, cn: string) => {
    key(name, 'P-384');
    ossl('req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-days', '3650', '-out', `${name}.pem`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  };
  const issue = (name: string, cn: string, ca: string, extLines: string[], curve = 'P-256') => {
    key(name, curve);
    ossl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`);
    ext(name, extLines);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', String(Math.floor(Math.random() * 1e9)),
      '-days', '3650', '-out', `${name}.pem`, '-extfile', `${name}.ext`);
  };
  selfSigned('root', 'test-root');
  selfSigned('other-root', 'test-root'); // same NAME, different key: must not be accepted
  issue('int', 'test-intermediate', 'root', ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign']);
  const leafExt = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning', 'subjectAltName=email:signer@example.com'];
  for (const [c, curve] of Object.entries(CURVE)) issue(`leaf-${c}`, `model-signer-${c}`, 'int', leafExt, curve);
  issue('tls', 'tls-server', 'int', ['basicConstraints=CA:FALSE', 'keyUsage=critical,keyEncipherment', 'extendedKeyUsage=serverAuth']);
  const r = (f: string) => readFileSync(join(dir, f), 'utf8');
  const leaf = (c: string) => ({ keyPem: r(`leaf-${c}.key`), certPem: r(`leaf-${c}.pem`) });
  return {
    dir,
    rootPem: r('root.pem'),
    intPem: r('int.pem'),
    otherRootPem: r('other-root.pem'),
    leaves: { p256: leaf('p256'), p384: leaf('p384'), p521: leaf('p521') },
    tlsLeaf: { keyPem: r('tls.key'), certPem: r('tls.pem') },
  };
}
