import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMvError } from '../../src/core/index.js';
import { hashRanges } from '../../src/host/hash-files.js';
import { listModelFiles } from '../../src/host/model-files.js';
import { generateSigningKey, hashModel, signModel, verifyModel, writeSigningKey, type Trust } from '../../src/host/model-signing.js';
import { parseBundle, parseStatement } from '../../src/integrity/index.js';
import { makePki, type TestPki } from './pki.js';

const tmp = mkdtempSync(join(tmpdir(), 'mv-sign-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** A model folder whose names exercise ordering, nesting, an empty file and git paths. */
function makeModel(): string {
  const dir = join(tmp, `model-${n++}`);
  mkdirSync(join(dir, 'sub/deep'), { recursive: true });
  mkdirSync(join(dir, '.git'), { recursive: true });
  writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(5000, 7));
  writeFileSync(join(dir, 'config.json'), '{"a": 1}\n');
  writeFileSync(join(dir, 'sub/b.txt'), 'hello');
  writeFileSync(join(dir, 'sub/deep/c'), 'c');
  writeFileSync(join(dir, 'sub/.gitignore'), '*.tmp\n'); // nested: signed
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'é 模型.bin'), 'unicode');
  writeFileSync(join(dir, '.gitignore'), 'x'); // top-level: ignored
  writeFileSync(join(dir, '.git/HEAD'), 'ref: main');
  return dir;
}
const FILES = ['config.json', 'empty', 'sub/.gitignore', 'sub/b.txt', 'sub/deep/c', 'weights.bin', 'é 模型.bin'];

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(isMvError(e) ? e.code : e).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('key method round trip, every curve', () => {
  for (const curve of ['p256', 'p384', 'p521'] as const) {
    it(curve, async () => {
      const dir = makeModel();
      const { privatePem, publicPem } = generateSigningKey(curve);
      const sig = join(dir, 'model.sig');
      const s = await signModel(dir, { privateKey: privatePem, signaturePath: sig, workers: 0 });
      const st = parseStatement(parseBundle(readFileSync(sig)).payload);
      expect(st.resources.map((r) => r.name)).toEqual(FILES);
      expect(st.serialization.ignorePaths).toContain('model.sig');
      expect(st.subjectName).toBe(s.modelName);
      const r = await verifyModel(dir, { signature: sig, trust: { kind: 'key', publicKey: publicPem } });
      expect(r).toMatchObject({ ok: true, signed: true, rootDigest: s.rootDigest, files: FILES.length, signer: { kind: 'key', curve } });
      const other = generateSigningKey(curve).publicPem;
      expect((await verifyModel(dir, { signature: sig, trust: { kind: 'key', publicKey: other } })).code).toBe('SIG_KEY_MISMATCH');
    });
  }

  it('encrypted PKCS#8 keys; a wrong passphrase never echoes the key', async () => {
    const keyPath = join(tmp, 'enc.pem');
    const { publicPath } = await writeSigningKey(keyPath, { curve: 'p384', passphrase: 'correct horse' });
    const pem = readFileSync(keyPath, 'utf8');
    expect(pem).toContain('ENCRYPTED PRIVATE KEY');
    await expectCode(writeSigningKey(keyPath, { curve: 'p256' }), 'IO_ERROR'); // no overwrite
    const dir = makeModel();
    const sig = join(tmp, `enc-${n}.sig`);
    await signModel(dir, { privateKey: pem, passphrase: 'correct horse', signaturePath: sig });
    expect((await verifyModel(dir, { signature: sig, trust: { kind: 'key', publicKey: readFileSync(publicPath, 'utf8') } })).ok).toBe(true);
    try {
      await signModel(dir, { privateKey: pem, passphrase: 'wrong', signaturePath: sig });
      throw new Error('unreachable');
    } catch (e) {
      expect(isMvError(e) && e.code).toBe('SIG_KEY_INVALID');
      expect(String((e as Error).message)).not.toMatch(/BEGIN|MII/);
    }
    const { statSync } = await import('node:fs');
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
  });

  it('single-file model: resource ".", subject = base name', async () => {
    const file = join(tmp, `single-${n++}.bin`);
    writeFileSync(file, 'signme-1\n');
    const { privatePem, publicPem } = generateSigningKey('p256');
    const s = await signModel(file, { privateKey: privatePem });
    expect(s.signaturePath).toBe(`${file}.sig`);
    const st = parseStatement(parseBundle(readFileSync(s.signaturePath)).payload);
    expect(st.resources.map((r) => r.name)).toEqual(['.']);
    expect(st.subjectName).toBe(file.split('/').pop());
    expect((await verifyModel(file, { trust: { kind: 'key', publicKey: publicPem } })).ok).toBe(true);
    writeFileSync(file, 'signme-1!');
    const r = await verifyModel(file, { trust: { kind: 'key', publicKey: publicPem } });
    expect(r.modified.map((m) => m.name)).toEqual(['.']);
  });
});

describe('certificate method', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makePki();
  });
  afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

  for (const curve of ['p256', 'p384', 'p521'] as const) {
    it(`round trip with a ${curve} leaf`, async () => {
      const dir = makeModel();
      const sig = join(tmp, `cert-${curve}.sig`);
      const leaf = pki.leaves[curve];
      await signModel(dir, { privateKey: leaf.keyPem, certChain: leaf.certPem + pki.intPem, signaturePath: sig });
      const b = parseBundle(readFileSync(sig));
      expect(b.material.kind === 'chain' && b.material.certificates.length).toBe(2);
      const r = await verifyModel(dir, { signature: sig, trust: { kind: 'certificate', roots: pki.rootPem } });
      expect(r).toMatchObject({ ok: true, signer: { kind: 'certificate', subject: `CN=model-signer-${curve}`, anchor: 'CN=test-root', curve } });
      expect(r.warnings.join(' ')).toContain('notBefore');
    });
  }

  it('identity, wrong root of the same name, expiry, intermediates given separately', async () => {
    const dir = makeModel();
    const leaf = pki.leaves.p256;
    const sig = join(tmp, 'cert-checks.sig');
    await signModel(dir, { privateKey: leaf.keyPem, certChain: leaf.certPem, signaturePath: sig }); // leaf only
    const v = (trust: Trust) => verifyModel(dir, { signature: sig, trust });
    expect((await v({ kind: 'certificate', roots: pki.rootPem })).code).toBe('SIG_CHAIN_INVALID');
    expect((await v({ kind: 'certificate', roots: pki.rootPem, intermediates: pki.intPem })).ok).toBe(true);
    expect((await v({ kind: 'certificate', roots: pki.rootPem, intermediates: pki.intPem, identity: 'signer@example.com' })).ok).toBe(true);
    expect((await v({ kind: 'certificate', roots: pki.rootPem, intermediates: pki.intPem, identity: 'CN=model-signer-p256' })).ok).toBe(true);
    expect((await v({ kind: 'certificate', roots: pki.rootPem, intermediates: pki.intPem, identity: 'mallory@example.com' })).code).toBe('SIG_IDENTITY_MISMATCH');
    expect((await v({ kind: 'certificate', roots: pki.otherRootPem, intermediates: pki.intPem })).code).toBe('SIG_CHAIN_INVALID');
    const later = await verifyModel(dir, {
      signature: sig,
      now: new Date('2100-01-01T00:00:00Z'),
      trust: { kind: 'certificate', roots: pki.rootPem, intermediates: pki.intPem, requireUnexpired: true },
    });
    expect(later.code).toBe('SIG_CHAIN_INVALID');
    expect((await v({ kind: 'key', publicKey: generateSigningKey().publicPem })).code).toBe('SIG_KEY_MISMATCH');
  });

  it('refuses a leaf that cannot sign, and a key that is not the leaf’s', async () => {
    const dir = makeModel();
    const sig = join(tmp, 'cert-tls.sig');
    await signModel(dir, { privateKey: pki.tlsLeaf.keyPem, certChain: pki.tlsLeaf.certPem + pki.intPem, signaturePath: sig });
    expect((await verifyModel(dir, { signature: sig, trust: { kind: 'certificate', roots: pki.rootPem } })).code).toBe('SIG_CHAIN_INVALID');
    await expectCode(signModel(dir, { privateKey: pki.leaves.p384.keyPem, certChain: pki.leaves.p256.certPem, signaturePath: sig }), 'SIG_KEY_MISMATCH');
  });
});

describe('tamper detection names every change', () => {
  const key = generateSigningKey('p256');
  const trust = { kind: 'key', publicKey: key.publicPem } as const;
  let signed: string;
  let sig: string;
  beforeAll(async () => {
    signed = makeModel();
    sig = join(tmp, 'tamper.sig');
    await signModel(signed, { privateKey: key.privatePem, signaturePath: sig });
  });
  const copy = () => {
    const d = join(tmp, `copy-${n++}`);
    cpSync(signed, d, { recursive: true });
    return d;
  };

  for (const f of FILES) {
    it(`flipped byte in ${f}`, async () => {
      const d = copy();
      const p = join(d, f);
      const b = readFileSync(p);
      if (b.length === 0) writeFileSync(p, 'x');
      else {
        b[b.length >> 1] ^= 0x01;
        writeFileSync(p, b);
      }
      const r = await verifyModel(d, { signature: sig, trust });
      expect(r.code).toBe('SIG_MODEL_MISMATCH');
      expect([r.modified.map((m) => m.name), r.missing, r.extra]).toEqual([[f], [], []]);
    });
  }

  it('added, removed and renamed files, all reported at once', async () => {
    const d = copy();
    writeFileSync(join(d, 'sub/new.bin'), 'new');
    unlinkSync(join(d, 'config.json'));
    renameSync(join(d, 'sub/b.txt'), join(d, 'sub/b2.txt'));
    const r = await verifyModel(d, { signature: sig, trust, workers: 2 });
    expect(r.ok).toBe(false);
    expect(r.modified).toEqual([]);
    expect(r.missing).toEqual(['config.json', 'sub/b.txt']);
    expect(r.extra).toEqual(['sub/b2.txt', 'sub/new.bin']);
    const tolerant = await verifyModel(d, { signature: sig, trust, ignoreUnsignedFiles: true });
    expect([tolerant.missing, tolerant.extra]).toEqual([['config.json', 'sub/b.txt'], []]);
  });

  it('ignore paths: top-level git files and --ignore', async () => {
    const d = copy();
    writeFileSync(join(d, '.git/index'), 'changed');
    writeFileSync(join(d, 'notes.tmp'), 'scratch');
    expect((await verifyModel(d, { signature: sig, trust })).extra).toEqual(['notes.tmp']);
    expect((await verifyModel(d, { signature: sig, trust, ignorePaths: ['notes.tmp'] })).ok).toBe(true);
  });

  it('missing signature: SIG_UNSIGNED unless allowed', async () => {
    const r = await verifyModel(signed, { signature: join(tmp, 'nope.sig'), trust });
    expect(r).toMatchObject({ ok: false, signed: false, code: 'SIG_UNSIGNED' });
    expect((await verifyModel(signed, { signature: join(tmp, 'nope.sig'), trust, allowUnsigned: true })).ok).toBe(true);
  });
});

describe('shards', () => {
  it('sign and verify shards; a changed shard names its file', async () => {
    const dir = makeModel();
    const { privatePem, publicPem } = generateSigningKey('p384');
    const sig = join(tmp, 'shards.sig');
    await signModel(dir, { privateKey: privatePem, signaturePath: sig, method: 'shards', shardSize: 1024, workers: 2 });
    const st = parseStatement(parseBundle(readFileSync(sig)).payload);
    expect(st.serialization).toMatchObject({ method: 'shards', shardSize: 1024 });
    expect(st.resources.filter((r) => r.name.startsWith('weights.bin:')).map((r) => r.name)).toEqual([
      'weights.bin:0:1024', 'weights.bin:1024:2048', 'weights.bin:2048:3072', 'weights.bin:3072:4096', 'weights.bin:4096:5000',
    ]);
    expect(st.resources.some((r) => r.name.startsWith('empty'))).toBe(false); // empty files yield no shard
    const trust = { kind: 'key', publicKey: publicPem } as const;
    expect((await verifyModel(dir, { signature: sig, trust })).ok).toBe(true);
    const b = readFileSync(join(dir, 'weights.bin'));
    b[2500] ^= 0xff;
    writeFileSync(join(dir, 'weights.bin'), b);
    const r = await verifyModel(dir, { signature: sig, trust });
    expect(r.modified).toMatchObject([{ name: 'weights.bin', shard: 'weights.bin:2048:3072' }]);
    expect((await verifyModel(dir, { signature: sig, trust, ignoreUnsignedFiles: true })).modified).toHaveLength(1);
  });
});

describe('blake2b content hash', () => {
  it('sign and verify with hash_type blake2b (accepted on verify, as the reference API)', async () => {
    const dir = makeModel();
    const { privatePem, publicPem } = generateSigningKey('p256');
    const sig = join(tmp, 'blake.sig');
    await signModel(dir, { privateKey: privatePem, signaturePath: sig, hashType: 'blake2b', workers: 2 });
    const st = parseStatement(parseBundle(readFileSync(sig)).payload);
    expect(st.resources[0]).toMatchObject({ algorithm: 'blake2b' });
    expect(st.resources[0]!.digest).toHaveLength(128);
    expect((await verifyModel(dir, { signature: sig, trust: { kind: 'key', publicKey: publicPem } })).ok).toBe(true);
  });
});

describe('model tree rules', () => {
  it('symlinks: refused by default, allowed inside the model, never leaving it', async () => {
    const dir = makeModel();
    symlinkSync('weights.bin', join(dir, 'link.bin'));
    await expectCode(listModelFiles(dir), 'SIG_PATH_UNSAFE');
    const t = await listModelFiles(dir, { allowSymlinks: true });
    expect(t.files.find((f) => f.name === 'link.bin')?.path).toBe(join(t.root, 'weights.bin'));
    writeFileSync(join(tmp, 'outside.bin'), 'secret');
    symlinkSync(join(tmp, 'outside.bin'), join(dir, 'escape.bin'));
    await expectCode(listModelFiles(dir, { allowSymlinks: true }), 'SIG_PATH_UNSAFE');
  });

  it('a symlink planted after signing fails verification with SIG_PATH_UNSAFE', async () => {
    const dir = makeModel();
    const { privatePem, publicPem } = generateSigningKey();
    const sig = join(tmp, 'sym.sig');
    await signModel(dir, { privateKey: privatePem, signaturePath: sig });
    symlinkSync('/etc/passwd', join(dir, 'passwd'));
    expect((await verifyModel(dir, { signature: sig, trust: { kind: 'key', publicKey: publicPem } })).code).toBe('SIG_PATH_UNSAFE');
  });

  it('non-UTF-8 and backslash file names are refused', async () => {
    const dir = makeModel();
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/bad-`), Buffer.from([0xff, 0xfe])]), 'x');
    await expectCode(listModelFiles(dir), 'SIG_PATH_UNSAFE');
    const dir2 = makeModel();
    writeFileSync(join(dir2, 'a\\b'), 'x');
    await expectCode(listModelFiles(dir2), 'SIG_PATH_UNSAFE');
  });

  it('hash matches the signed root and ignores the same paths', async () => {
    const dir = makeModel();
    const h = await hashModel(dir);
    const { privatePem } = generateSigningKey();
    const s = await signModel(dir, { privateKey: privatePem, signaturePath: join(tmp, 'h.sig') });
    expect(h.rootDigest).toBe(s.rootDigest);
    expect(h.resources.map((r) => r.name)).toEqual(FILES);
  });
});

describe('parallel hashing', () => {
  it('workers, inline and tiny chunks agree (double-buffered reads)', async () => {
    const f = join(tmp, 'big.bin');
    const data = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    writeFileSync(f, data);
    const ranges = [
      { path: f, start: 0, end: data.length, whole: true },
      { path: f, start: 0, end: 1000, whole: false },
      { path: f, start: 1000, end: data.length, whole: true },
    ];
    const inline = await hashRanges(ranges, { workers: 0 });
    let progress = 0;
    const workers = await hashRanges(ranges, { workers: 2, chunkBytes: 64 * 1024, onProgress: (d) => (progress = d) });
    expect(workers).toEqual(inline);
    expect(progress).toBe(2 * data.length);
    const { createHash } = await import('node:crypto');
    expect(inline[0]).toBe(createHash('sha256').update(data).digest('hex'));
    await expectCode(hashRanges([{ path: join(tmp, 'missing.bin'), start: 0, end: 1, whole: true }], { workers: 1 }), 'IO_ERROR');
  });
});

describe('progress bar', () => {
  it('only on a TTY and only for large models', async () => {
    const { ttyProgress, PROGRESS_MIN_BYTES } = await import('../../src/host/hash-files.js');
    const { PassThrough } = await import('node:stream');
    const plain = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    expect(ttyProgress(PROGRESS_MIN_BYTES * 2, plain)).toBeUndefined();
    const chunks: string[] = [];
    const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 80, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    tty.on('data', (c: Buffer) => chunks.push(c.toString()));
    const tt = tty as unknown as NodeJS.WriteStream;
    expect(ttyProgress(1000, tt)).toBeUndefined();
    const bar = ttyProgress(PROGRESS_MIN_BYTES * 2, tt)!;
    bar.onProgress(PROGRESS_MIN_BYTES, PROGRESS_MIN_BYTES * 2);
    bar.stop();
    expect(chunks.join('')).toContain('hashing');
  });
});

describe('symlinked model path', () => {
  it('the model path itself may be a symlink; links below it still follow the rules', async () => {
    const dir = makeModel();
    const link = join(tmp, `current-${n++}`);
    symlinkSync(dir, link);
    const { privatePem, publicPem } = generateSigningKey();
    const sig = join(tmp, 'link.sig');
    const s = await signModel(link, { privateKey: privatePem, signaturePath: sig });
    expect(s.modelName).toBe(link.split('/').pop());
    expect((await verifyModel(dir, { signature: sig, trust: { kind: 'key', publicKey: publicPem } })).ok).toBe(true);
  });
});
