import { createHash, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertStatementConsistent,
  buildManifest,
  buildStatement,
  cmpPosixPath,
  isIgnored,
  keyHint,
  normalizeIgnorePath,
  pae,
  parseBundle,
  parsePublicKeyPem,
  parseShardName,
  parseStatement,
  rootDigest,
  serializeStatement,
  shardRanges,
  unsafePathReason,
} from '../../src/integrity/index.js';
import { isMvError } from '../../src/core/index.js';

const DIR = new URL('../../../shared/interop/model-signing/', import.meta.url).pathname;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isMvError(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('resource order (trap 1)', () => {
  const reference = ['A/x', 'B', 'a/b', 'a b', 'a-b', 'a.txt', 'z', 'é.bin', '模型.bin', '！.bin', '😀.bin'];
  it('sorts like PurePosixPath by code point, unlike JS sort()', () => {
    const shuffled = [...reference].reverse();
    expect([...shuffled].sort(cmpPosixPath)).toEqual(reference);
    expect([...shuffled].sort()).not.toEqual(reference);
  });
  it('gives the reference root digest of vectors/model', () => {
    const real = reference.map((name) => ({
      path: name,
      digest: createHash('sha256').update(readFileSync(join(DIR, 'vectors/model', name))).digest('hex'),
    }));
    const m = buildManifest([...real].reverse(), { method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: [] });
    expect(m.resources.map((r) => r.name)).toEqual(reference);
    expect(rootDigest(m.resources)).toBe('76d720969fd07bbd0685fdc8149b5257115cc7354674045715ebf8472acb6dbd');
  });
  it('orders shards of one file by numeric start', () => {
    const s = { method: 'shards', hashType: 'sha256', allowSymlinks: false, ignorePaths: [], shardSize: 8 } as const;
    const d = (start: number, end: number) => ({ path: '.', start, end, digest: sha(`${start}`) });
    const m = buildManifest([d(16, 22), d(0, 8), d(8, 16)], s);
    expect(m.resources.map((r) => r.name)).toEqual(['.:0:8', '.:8:16', '.:16:22']);
    expect(m.resources[0]!.algorithm).toBe('sha256-sharded-8');
    expect(shardRanges(22, 8)).toEqual([{ start: 0, end: 8 }, { start: 8, end: 16 }, { start: 16, end: 22 }]);
    expect(shardRanges(0, 8)).toEqual([]);
    expect(parseShardName('a:b:0:8')).toEqual({ path: 'a:b', start: 0, end: 8 });
    expect(parseShardName('a:8:8')).toBeNull();
    expect(parseShardName('a:01:8')).toBeNull();
  });
  it('rejects duplicates and unsafe names when building', () => {
    const s = { method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: [] } as const;
    expect(codeOf(() => buildManifest([{ path: 'a', digest: sha('') }, { path: 'a', digest: sha('') }], s))).toBe('SIG_BUNDLE_INVALID');
    expect(codeOf(() => buildManifest([{ path: '../a', digest: sha('') }], s))).toBe('SIG_PATH_UNSAFE');
  });
});

describe('paths', () => {
  it('names unsafe resource names', () => {
    expect(unsafePathReason('.')).toBeNull();
    expect(unsafePathReason('a/b c/é')).toBeNull();
    for (const bad of ['', '/etc/passwd', 'a\\b', '../x', 'a/../b', 'a//b', './a', 'a/', 'C:x', 'a\u0000b']) expect(unsafePathReason(bad)).not.toBeNull();
  });
  it('ignores by component prefix and drops escaping ignore paths', () => {
    expect(isIgnored('.git/config', ['.git'])).toBe(true);
    expect(isIgnored('.gitx', ['.git'])).toBe(false);
    expect(isIgnored('sub/.gitignore', ['.gitignore'])).toBe(false);
    expect(normalizeIgnorePath('../model.sig')).toBeNull();
    expect(normalizeIgnorePath('./a/../b/')).toBe('b');
  });
});

describe('vector A (upstream v1.1.0-elliptic-key)', () => {
  const bundleBytes = readFileSync(join(DIR, 'upstream/v1.1.0-elliptic-key/model.sig'));
  const pub = parsePublicKeyPem(readFileSync(join(DIR, 'upstream/keys/certificate/signing-key-pub.pem'), 'utf8'));
  it('reproduces hint, payload digest and the curve-hash trap', () => {
    const b = parseBundle(bundleBytes);
    expect(b.material).toEqual({ kind: 'publicKey', hint: 'e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e', rawPem: null });
    expect(keyHint(pub)).toBe('e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e');
    expect(b.payload.length).toBe(926);
    expect(createHash('sha256').update(b.payload).digest('hex')).toBe('75b4ab3675e70de301a48219cd5c0619dc18c9ef90be63a617d0ab30ec2cc0c9');
    const msg = pae(b.payloadType, b.payload);
    expect(verify('sha384', msg, { key: pub, dsaEncoding: 'der' }, b.signature)).toBe(true);
    expect(verify('sha256', msg, { key: pub, dsaEncoding: 'der' }, b.signature)).toBe(false);
    const st = parseStatement(b.payload);
    expect(st.subjectDigest).toBe('92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4');
    expect(st.resources.map((r) => r.digest)).toEqual([sha('signme-1\n'), sha('signme-2')]);
    assertStatementConsistent(st);
  });
  it('PAE matches the DSSE spec example layout', () => {
    expect(Buffer.from(pae('http://example.com/HelloWorld', Buffer.from('hello world'))).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });
});

describe('statement round trip', () => {
  it('parses what buildStatement writes, with shards', () => {
    const s = { method: 'shards', hashType: 'sha256', allowSymlinks: true, ignorePaths: ['x'], shardSize: 8 } as const;
    const m = buildManifest([{ path: '.', start: 0, end: 8, digest: sha('a') }, { path: '.', start: 8, end: 9, digest: sha('b') }], s);
    const st = parseStatement(serializeStatement(buildStatement('f.bin', m)));
    expect(st.serialization).toEqual(s);
    expect(st.resources).toEqual(m.resources);
    assertStatementConsistent(st);
  });
  it('accepts the reference float shard_size 8.0', () => {
    const m = buildManifest([{ path: 'a', start: 0, end: 8, digest: sha('a') }], { method: 'shards', hashType: 'sha256', allowSymlinks: true, ignorePaths: [], shardSize: 8 });
    const text = JSON.stringify(buildStatement('m', m)).replace('"shard_size":8', '"shard_size":8.0');
    expect(parseStatement(Buffer.from(text)).serialization).toMatchObject({ shardSize: 8 });
  });
});
