import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMvError } from '../../src/core/index.js';
import {
  assertStatementConsistent,
  parseBundle,
  parseCertificatesPem,
  parsePublicKeyPem,
  parseStatement,
  parseTrustPolicy,
  verifyChainBundle,
  verifyKeyBundle,
} from '../../src/integrity/index.js';

// Property tests (STYLE.md §4): for random and mutated input the parsers return or throw an MvError,
// nothing else, in bounded time.
const DIR = new URL('../../../shared/interop/model-signing/', import.meta.url).pathname;
const KEY_BUNDLE = JSON.parse(readFileSync(join(DIR, 'vectors/py-key-p256.sig'), 'utf8')) as unknown;
const CERT_BUNDLE = JSON.parse(readFileSync(join(DIR, 'vectors/py-cert-p384.sig'), 'utf8')) as unknown;
const PUB = parsePublicKeyPem(readFileSync(join(DIR, 'vectors/keys/p256.pub'), 'utf8'));
const ROOTS = parseCertificatesPem(readFileSync(join(DIR, 'vectors/keys/ca-cert.pem'), 'utf8'));
const PAYLOAD = JSON.parse(Buffer.from((KEY_BUNDLE as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload, 'base64').toString()) as unknown;

function onlyMvError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!isMvError(e)) throw e;
  }
}

/** Every JSON path of a value (objects and arrays), to pick mutation sites from. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

/** Replaces (or deletes) the value at a path in a deep copy. */
function mutateAt(v: unknown, path: (string | number)[], replacement: unknown, del: boolean): unknown {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  if (path.length === 0) return replacement;
  let cur = copy as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (del && !Array.isArray(cur)) delete cur[last];
  else cur[last] = replacement;
  return copy;
}

const structural = (base: unknown) => {
  const ps = paths(base);
  return fc.tuple(fc.integer({ min: 0, max: ps.length - 1 }), fc.jsonValue({ maxDepth: 3 }), fc.boolean()).map(([i, r, d]) => mutateAt(base, ps[i]!, r, d));
};

const byteMutation = (text: string) =>
  fc.tuple(fc.integer({ min: 0, max: text.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'delete')).map(([i, b, op]) => {
    const buf = Buffer.from(text);
    if (op === 'flip') buf[i % buf.length] = b;
    else if (op === 'insert') return Buffer.concat([buf.subarray(0, i), Buffer.from([b]), buf.subarray(i)]);
    else return Buffer.concat([buf.subarray(0, i), buf.subarray(i + 1)]);
    return buf;
  });

const fullVerify = (bytes: Uint8Array) =>
  onlyMvError(() => {
    const b = parseBundle(bytes);
    if (b.material.kind === 'publicKey') verifyKeyBundle(b, PUB);
    if (b.material.kind === 'chain') verifyChainBundle(b, { roots: ROOTS });
    const st = parseStatement(b.payload);
    assertStatementConsistent(st);
  });

describe('bundle parser properties', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => onlyMvError(() => parseBundle(b))), { numRuns: 300 });
  });
  it('random JSON values', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => onlyMvError(() => parseBundle(Buffer.from(JSON.stringify(v) ?? 'null')))), { numRuns: 300 });
  });
  it('structural mutations of a key bundle, through verification', () => {
    fc.assert(fc.property(structural(KEY_BUNDLE), (v) => fullVerify(Buffer.from(JSON.stringify(v)))), { numRuns: 400 });
  });
  it('structural mutations of a certificate bundle, through chain verification', () => {
    fc.assert(fc.property(structural(CERT_BUNDLE), (v) => fullVerify(Buffer.from(JSON.stringify(v)))), { numRuns: 200 });
  });
  it('byte mutations of bundle text', () => {
    fc.assert(fc.property(byteMutation(JSON.stringify(KEY_BUNDLE)), (b) => fullVerify(b)), { numRuns: 300 });
  });
  it('a mutated payload never verifies with the original signature', () => {
    const original = KEY_BUNDLE as { dsseEnvelope: { payload: string } };
    fc.assert(
      fc.property(structural(PAYLOAD), (p) => {
        const payload = Buffer.from(JSON.stringify(p, null, 2)).toString('base64');
        if (payload === original.dsseEnvelope.payload) return;
        const b = structuredClone(original);
        b.dsseEnvelope.payload = payload;
        let code: string | undefined;
        try {
          verifyKeyBundle(parseBundle(Buffer.from(JSON.stringify(b))), PUB);
        } catch (e) {
          if (!isMvError(e)) throw e;
          code = e.code;
        }
        expect(code).toBeDefined();
      }),
      { numRuns: 100 },
    );
  });
});

describe('statement and policy parser properties', () => {
  it('structural mutations of a statement', () => {
    fc.assert(fc.property(structural(PAYLOAD), (p) => onlyMvError(() => assertStatementConsistent(parseStatement(Buffer.from(JSON.stringify(p)))))), { numRuns: 400 });
  });
  it('random bytes as a statement', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => onlyMvError(() => parseStatement(b))), { numRuns: 200 });
  });
  it('random trust policies', () => {
    const base = { version: 1, keys: [{ publicKey: 'k.pub' }], certificateAuthorities: [{ root: 'r.pem', identities: ['a'] }], sigstore: [{ identity: 'i', issuer: 'u' }] };
    fc.assert(fc.property(fc.oneof(fc.jsonValue({ maxDepth: 3 }), structural(base)), (v) => onlyMvError(() => parseTrustPolicy(v))), { numRuns: 300 });
  });
});

describe('ordering and manifest properties', () => {
  const cps = (s: string) => Array.from(s, (c) => c.codePointAt(0)!);
  const lex = (a: number[], b: number[]) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  };
  it('cmpCodePoints agrees with code-point arrays; cmpPosixPath with component lists', async () => {
    const { cmpCodePoints, cmpPosixPath } = await import('../../src/integrity/index.js');
    const str = fc.string({ unit: 'grapheme', maxLength: 8 });
    fc.assert(
      fc.property(str, str, (a, b) => {
        expect(Math.sign(cmpCodePoints(a, b))).toBe(Math.sign(lex(cps(a), cps(b))));
        const A = a.split('/').map(cps);
        const B = b.split('/').map(cps);
        let want = 0;
        for (let i = 0; i < Math.min(A.length, B.length) && want === 0; i++) want = lex(A[i]!, B[i]!);
        if (want === 0) want = A.length - B.length;
        expect(Math.sign(cmpPosixPath(a, b))).toBe(Math.sign(want));
        expect(Math.sign(cmpPosixPath(b, a)) + Math.sign(want)).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
  it('parseStatement(serializeStatement(buildStatement(m))) keeps every resource', async () => {
    const { buildManifest, buildStatement, serializeStatement, parseStatement, assertStatementConsistent } = await import('../../src/integrity/index.js');
    const comp = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).filter((c) => c !== '.' && c !== '..' && !/[/\\\u0000-\u001f\u007f]/.test(c));
    const name = fc.array(comp, { minLength: 1, maxLength: 3 }).map((cs) => cs.join('/')).filter((n) => !/^[A-Za-z]:/.test(n));
    const hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, hex), { selector: (t) => t[0], maxLength: 20 }), (rows) => {
        const m = buildManifest(rows.map(([path, digest]) => ({ path, digest })), { method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: [] });
        const st = parseStatement(serializeStatement(buildStatement('m', m)));
        expect(st.resources).toEqual(m.resources);
        assertStatementConsistent(st);
      }),
      { numRuns: 200 },
    );
  });
});
