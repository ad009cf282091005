import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isMvError, MvError } from '../../src/core/index.js';
import { assertStatementConsistent, buildBundle, parseBundle, parseStatement, writeBundle } from '../../src/integrity/index.js';

// Each rejection has a clear reason and a stable code (issue 4 §7).
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function statement(resources: { name: string; digest?: string; algorithm?: string }[], extra: Record<string, unknown> = {}) {
  const rs = resources.map((r) => ({ name: r.name, algorithm: r.algorithm ?? 'sha256', digest: r.digest ?? sha(r.name) }));
  const root = createHash('sha256');
  for (const r of rs) root.update(Buffer.from(r.digest, 'hex'));
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'm', digest: { sha256: root.digest('hex') } }],
    predicateType: 'https://model_signing/signature/v1.0',
    predicate: { resources: rs, serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: false } },
    ...extra,
  };
}
const payload = (v: unknown) => Buffer.from(JSON.stringify(v));
const bundle = (v: unknown) => buildBundle(payload(v), Buffer.from([1, 2, 3]), { kind: 'publicKey', hint: sha('k') });

function fail(f: () => unknown): MvError {
  try {
    f();
  } catch (e) {
    if (isMvError(e)) return e;
    throw e;
  }
  throw new Error('expected an MvError');
}

describe('bundle rejections', () => {
  it('accepts a well-formed bundle', () => {
    expect(parseBundle(writeBundle(bundle(statement([{ name: 'a' }])))).material.kind).toBe('publicKey');
  });
  it('unknown media type', () => {
    const b = { ...bundle(statement([{ name: 'a' }])), mediaType: 'application/vnd.dev.sigstore.bundle.v0.9+json' };
    const e = fail(() => parseBundle(writeBundle(b)));
    expect(e.code).toBe('SIG_BUNDLE_INVALID');
    expect(e.at.path).toEqual(['mediaType']);
  });
  it('unknown payload type', () => {
    const b = bundle(statement([{ name: 'a' }]));
    (b.dsseEnvelope as Record<string, unknown>).payloadType = 'text/plain';
    expect(fail(() => parseBundle(writeBundle(b))).at.path).toEqual(['dsseEnvelope', 'payloadType']);
  });
  it('collects every bad field', () => {
    const e = fail(() => parseBundle(Buffer.from(JSON.stringify({ mediaType: 'x', verificationMaterial: {}, dsseEnvelope: { payload: '!', signatures: [] } }))));
    expect(e.code).toBe('SIG_BUNDLE_INVALID');
    expect((e.cause as unknown[]).length).toBeGreaterThanOrEqual(4);
  });
  it('non-canonical base64 and non-JSON', () => {
    const b = bundle(statement([{ name: 'a' }]));
    (b.dsseEnvelope as { signatures: { sig: string }[] }).signatures[0]!.sig = 'AQID===';
    expect(fail(() => parseBundle(writeBundle(b))).code).toBe('SIG_BUNDLE_INVALID');
    expect(fail(() => parseBundle(Buffer.from([0xff, 0xfe]))).code).toBe('SIG_BUNDLE_INVALID');
  });
  it('several kinds of verification material', () => {
    const b = bundle(statement([{ name: 'a' }]));
    (b.verificationMaterial as Record<string, unknown>).certificate = { rawBytes: 'AAAA' };
    expect(fail(() => parseBundle(writeBundle(b))).at.path).toEqual(['verificationMaterial']);
  });
});

describe('statement rejections', () => {
  const parse = (v: unknown) => parseStatement(payload(v));
  it('unknown statement and predicate types', () => {
    expect(fail(() => parse(statement([{ name: 'a' }], { _type: 'https://in-toto.io/Statement/v0.1' }))).at.path).toEqual(['_type']);
    expect(fail(() => parse(statement([{ name: 'a' }], { predicateType: 'https://slsa.dev/provenance/v1' }))).at.path).toEqual(['predicateType']);
    expect(fail(() => parse(statement([{ name: 'a' }], { predicateType: 'https://model_signing/Digests/v0.1' }))).code).toBe('SIG_BUNDLE_INVALID');
  });
  it('duplicate resource names', () => {
    const e = fail(() => parse(statement([{ name: 'a' }, { name: 'a' }])));
    expect(e.code).toBe('SIG_BUNDLE_INVALID');
    expect(e.message).toContain('duplicate');
  });
  it.each([['../etc/passwd'], ['a/../../b'], ['/abs/path'], ['a\\b'], ['']])('unsafe name %j', (name) => {
    const e = fail(() => parse(statement([{ name }])));
    expect(e.code).toBe('SIG_BUNDLE_INVALID');
    expect(e.at.path).toEqual(['predicate', 'resources', 0, 'name']);
  });
  it('algorithm not matching the serialization, bad digest, missing allow_symlinks', () => {
    expect(fail(() => parse(statement([{ name: 'a', algorithm: 'sha256-sharded-8' }]))).at.path).toEqual(['predicate', 'resources', 0, 'algorithm']);
    expect(fail(() => parse(statement([{ name: 'a', digest: 'ABC' }]))).at.path).toEqual(['predicate', 'resources', 0, 'digest']);
    const s = statement([{ name: 'a' }]);
    delete (s.predicate.serialization as Partial<typeof s.predicate.serialization>).allow_symlinks;
    expect(fail(() => parse(s)).at.path).toEqual(['predicate', 'serialization', 'allow_symlinks']);
  });
  it('unknown serialization method or hash type', () => {
    const s = statement([{ name: 'a' }]);
    (s.predicate.serialization as Record<string, unknown>).method = 'tar';
    (s.predicate.serialization as Record<string, unknown>).hash_type = 'md5';
    expect((fail(() => parse(s)).cause as unknown[]).length).toBe(2);
  });
  it('subject digest not matching the resources', () => {
    const s = statement([{ name: 'a' }, { name: 'b' }]);
    s.subject[0]!.digest.sha256 = sha('other');
    expect(fail(() => assertStatementConsistent(parse(s))).code).toBe('SIG_MANIFEST_INCONSISTENT');
  });
  it('two subjects', () => {
    const s = statement([{ name: 'a' }]);
    s.subject.push(s.subject[0]!);
    expect(fail(() => parse(s)).at.path).toEqual(['subject']);
  });
});
