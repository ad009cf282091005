import { readFileSync } from 'node:fs';
import { constants, createDeflateRaw, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_LIMITS, withLimits } from '../../../src/core/index.js';
import { decompress, detectCompression, parseZfLength, type CompressionKind } from '../../../src/formats/compress/index.js';
import { onlyMvErrorAsync, thrownAsync } from '../zip/expect-code.js';

const FIX = new URL('../../fixtures/compress/', import.meta.url);
const fixture = (n: string): Uint8Array => new Uint8Array(readFileSync(new URL(n, FIX)));
const RAW = fixture('object.joblib');
const FILES: [string, CompressionKind][] = [
  ['object.joblib.z', 'zlib'],
  ['object.joblib.gz', 'gzip'],
  ['object.joblib.bz2', 'bz2'],
  ['object.joblib.xz', 'xz'],
  ['object.joblib.lzma', 'lzma'],
  ['object.joblib.lz4', 'lz4'],
  ['object.zf', 'joblib-zf'],
];

describe('joblib fixtures (joblib 1.2 compress=(c, 3))', () => {
  it.each(FILES)('%s is detected as %s and decompresses to the raw dump', async (f, kind) => {
    const b = fixture(f);
    expect(detectCompression(b.subarray(0, 32))).toBe(kind);
    expect(await decompress(kind, b, DEFAULT_LIMITS)).toEqual(RAW);
  });

  it('the raw dump is not compressed', () => {
    expect(detectCompression(RAW)).toBeUndefined();
  });

  it.each(FILES)('%s: the ratio cap stops it', async (f, kind) => {
    const e = await thrownAsync(() => decompress(kind, fixture(f), withLimits({ maxCompressionRatio: 1.5 })));
    expect([e.code, e.at.limit]).toEqual(['LIMIT_EXCEEDED', 'maxCompressionRatio']);
  });

  it.each(FILES)('%s: the size cap stops it', async (f, kind) => {
    const e = await thrownAsync(() => decompress(kind, fixture(f), withLimits({ maxDecompressedBytes: 100 })));
    expect([e.code, e.at.limit]).toEqual(['LIMIT_EXCEEDED', 'maxDecompressedBytes']);
  });

  it.each(FILES)('%s: truncated → DECOMPRESS_FAILED', async (f, kind) => {
    const b = fixture(f);
    const e = await thrownAsync(() => decompress(kind, b.subarray(0, b.length - 9), DEFAULT_LIMITS));
    expect(e.code).toBe('DECOMPRESS_FAILED');
  });

  it.each(FILES)('%s: corrupted body → DECOMPRESS_FAILED', async (f, kind) => {
    const b = fixture(f).slice();
    for (let i = 40; i < 80; i++) b[i] = b[i]! ^ 0x5a;
    const e = await thrownAsync(() => decompress(kind, b, DEFAULT_LIMITS));
    expect(e.code).toBe('DECOMPRESS_FAILED');
  });
});

describe('detectCompression', () => {
  it.each([
    [[0x78, 0x9c], 'zlib'],
    [[0x78, 0x01], 'zlib'],
    [[0x78, 0xda], 'zlib'],
    [[0x78, 0x00], undefined],
    [[0x78, 0xbb], undefined], // FDICT set
    [[0x1f, 0x8b, 0x08], 'gzip'],
    [[0x42, 0x5a, 0x68, 0x39], 'bz2'],
    [[0x42, 0x5a, 0x68, 0x30], undefined],
    [[0x04, 0x22, 0x4d, 0x18], 'lz4'],
    [[0x28, 0xb5, 0x2f, 0xfd], undefined], // zstd: not ours
  ] as const)('%j → %s', (b, kind) => {
    expect(detectCompression(new Uint8Array(b))).toBe(kind);
  });

  it('ZF header parsing follows int(s, 16)', () => {
    const zf = (s: string): Uint8Array => new TextEncoder().encode(`ZF${s.padEnd(19)}`);
    expect(parseZfLength(zf('0x396'))).toBe(0x396);
    expect(parseZfLength(zf('ff'))).toBe(255);
    expect(parseZfLength(zf('0xzz'))).toBeUndefined();
    expect(parseZfLength(zf(''))).toBeUndefined();
    expect(parseZfLength(new TextEncoder().encode('ZF0x1'))).toBeUndefined();
  });
});

/**
 * One gzip stream of `mib` MiB of zeros (~1 KB per MiB) without compressing a GiB: once the window is
 * all zeros, each sync-flushed 1 MiB of zeros compresses to the same bytes, so they are repeated.
 */
async function gzipOfZeros(mib: number): Promise<Uint8Array> {
  const d = createDeflateRaw({ level: 9 });
  const parts: Buffer[] = [];
  d.on('data', (c: Buffer) => parts.push(c));
  const flushed = async (): Promise<Buffer> => {
    d.write(new Uint8Array(1 << 20));
    await new Promise((r) => d.flush(constants.Z_SYNC_FLUSH, r));
    return Buffer.concat(parts.splice(0));
  };
  const first = await flushed();
  const rest = await flushed();
  const out = new Uint8Array(10 + first.length + rest.length * (mib - 1) + 2 + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  out.set(first, 10);
  for (let i = 1; i < mib; i++) out.set(rest, 10 + first.length + (i - 1) * rest.length);
  out.set([3, 0], out.length - 10); // final empty fixed block; the trailer is never reached
  return out;
}

let bombSmall: Uint8Array;
describe('adversarial streams', () => {
  it('builds a 16 MiB bomb', async () => {
    bombSmall = await gzipOfZeros(16);
    expect(bombSmall.length).toBeLessThan(20_000);
  });

  it('1 GB of zeros as one gzip stream is stopped quickly with bounded memory', async () => {
    const bomb = await gzipOfZeros(1024);
    const rss = process.memoryUsage().rss;
    const t = performance.now();
    const e = await thrownAsync(() => decompress('gzip', bomb, DEFAULT_LIMITS));
    expect([e.code, e.at.limit]).toEqual(['LIMIT_EXCEEDED', 'maxCompressionRatio']);
    expect(performance.now() - t).toBeLessThan(2000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024);
    expect(e.at.actual).toBeLessThan(2000);
  });

  it('the same stream decompresses in full when the limits allow it (the bomb is well formed)', async () => {
    const e = await thrownAsync(() => decompress('gzip', bombSmall, withLimits({ maxCompressionRatio: 1e9 })));
    expect(e.code).toBe('DECOMPRESS_FAILED'); // reached the fake trailer: every byte before it inflated
  });

  it('a size-capped gzip bomb stops at the size cap', async () => {
    const bomb = gzipSync(new Uint8Array(8 << 20));
    const e = await thrownAsync(() => decompress('gzip', bomb, withLimits({ maxDecompressedBytes: 1 << 20, maxCompressionRatio: 1e9 })));
    expect([e.code, e.at.limit]).toEqual(['LIMIT_EXCEEDED', 'maxDecompressedBytes']);
  });

  it('ZF whose declared length exceeds the cap', async () => {
    const body = deflateSync(new Uint8Array(10));
    const b = new Uint8Array([...new TextEncoder().encode('ZF' + '0xffffffff'.padEnd(19)), ...body]);
    const e = await thrownAsync(() => decompress('joblib-zf', b, DEFAULT_LIMITS));
    expect(e.code).toBe('LIMIT_EXCEEDED');
  });

  it('ZF whose declared length differs from the stream', async () => {
    const body = deflateSync(new Uint8Array(10));
    const b = new Uint8Array([...new TextEncoder().encode('ZF' + '0x9'.padEnd(19)), ...body]);
    const e = await thrownAsync(() => decompress('joblib-zf', b, DEFAULT_LIMITS));
    expect([e.code, e.at.offset]).toEqual(['DECOMPRESS_FAILED', 2]);
  });

  it('ZF with the py2 extra space', async () => {
    const body = deflateSync(new Uint8Array([1, 2, 3]));
    const b = new Uint8Array([...new TextEncoder().encode('ZF' + '0x3'.padEnd(19) + ' '), ...body]);
    expect(await decompress('joblib-zf', b, DEFAULT_LIMITS)).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('lzma-alone with a hostile dictionary size is refused by the memory limit', async () => {
    const b = new Uint8Array([0x5d, 0xff, 0xff, 0xff, 0xff, ...new Array(8).fill(0xff), 0, 1, 2, 3]);
    const e = await thrownAsync(() => decompress('lzma', b, DEFAULT_LIMITS));
    expect([e.code, e.at.limit]).toEqual(['LIMIT_EXCEEDED', 'lzmaDecoderMemory']);
  });

  it('lz4 block claiming more than the input', async () => {
    const b = fixture('object.joblib.lz4').slice();
    new DataView(b.buffer).setUint32(7, 0x0000ffff, true);
    const e = await thrownAsync(() => decompress('lz4', b, DEFAULT_LIMITS));
    expect([e.code, e.at.offset]).toEqual(['DECOMPRESS_FAILED', 7]);
  });

  it('lz4 descriptor checksum', async () => {
    const b = fixture('object.joblib.lz4').slice();
    b[6] = b[6]! ^ 1;
    const e = await thrownAsync(() => decompress('lz4', b, DEFAULT_LIMITS));
    expect([e.code, e.at.offset]).toEqual(['DECOMPRESS_FAILED', 6]);
  });
});

describe('properties: random and mutated inputs only throw MvError', () => {
  const kinds: CompressionKind[] = ['zlib', 'gzip', 'bz2', 'lz4', 'joblib-zf', 'xz', 'lzma'];
  const small = withLimits({ maxDecompressedBytes: 1 << 20 });

  it('random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...kinds), fc.uint8Array({ maxLength: 300 }), (k, b) => onlyMvErrorAsync(() => decompress(k, b, small))),
      { numRuns: 300 },
    );
  });

  it('mutated fixtures', async () => {
    const inputs = FILES.map(([f, k]) => [fixture(f), k] as const);
    await fc.assert(
      fc.asyncProperty(fc.nat(inputs.length - 1), fc.array(fc.tuple(fc.nat(400), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (i, edits) => {
        const [src, k] = inputs[i]!;
        const b = src.slice();
        for (const [at, v] of edits) b[at % b.length] = v;
        return onlyMvErrorAsync(() => decompress(k, b, small));
      }),
      { numRuns: 300 },
    );
  });
});

describe('bombs written by Python (zeros)', () => {
  const bomb = (n: string): Uint8Array => fixture(`bombs/${n}`);
  it.each([
    ['zeros64m.bz2', 'bz2'],
    ['zeros64m.xz', 'xz'],
    ['zeros64m.lzma', 'lzma'],
  ] as const)('%s stops at the default ratio cap, early', async (f, kind) => {
    const b = bomb(f);
    const e = await thrownAsync(() => decompress(kind, b, DEFAULT_LIMITS));
    expect([e.code, e.at.limit]).toEqual(['LIMIT_EXCEEDED', 'maxCompressionRatio']);
    expect(e.at.actual).toBeLessThan(2 * 1000 + (16 << 20) / b.length); // within one output chunk of the cap
  });

  it('zeros4m.lz4 (ratio ~250) stops at the size cap', async () => {
    const e = await thrownAsync(() => decompress('lz4', bomb('zeros4m.lz4'), withLimits({ maxDecompressedBytes: 1 << 20 })));
    expect([e.code, e.at.limit]).toEqual(['LIMIT_EXCEEDED', 'maxDecompressedBytes']);
    expect(e.at.actual).toBeLessThanOrEqual((1 << 20) + (4 << 20));
  });

  it('each bomb decompresses to zeros when the limits allow it', async () => {
    const big = withLimits({ maxCompressionRatio: 1e9 });
    for (const [f, kind, n] of [['zeros64m.xz', 'xz', 64 << 20], ['zeros4m.lz4', 'lz4', 4 << 20]] as const) {
      const out = await decompress(kind, bomb(f), big);
      expect([out.length, out.every((x) => x === 0)]).toEqual([n, true]);
    }
  });
});

describe('concatenated streams are all decoded (as Python file readers do)', () => {
  it.each([
    ['two_streams.lzma', 'lzma'],
    ['two_streams.xz', 'xz'],
    ['two_streams.bz2', 'bz2'],
    ['two_streams.z', 'zlib'],
  ] as const)('%s', async (f, kind) => {
    expect(new TextDecoder().decode(await decompress(kind, fixture(f), DEFAULT_LIMITS))).toBe('hello world');
  });

  it('garbage after a zlib stream → DECOMPRESS_FAILED', async () => {
    const b = new Uint8Array([...deflateSync(new Uint8Array([1])), 1, 2, 3]);
    expect((await thrownAsync(() => decompress('zlib', b, DEFAULT_LIMITS))).code).toBe('DECOMPRESS_FAILED');
  });

  it('garbage after an xz stream → DECOMPRESS_FAILED', async () => {
    const b = fixture('two_streams.xz');
    const e = await thrownAsync(() => decompress('xz', new Uint8Array([...b, 0xff, 0xff, 0xff, 0xff]), DEFAULT_LIMITS));
    expect(e.code).toBe('DECOMPRESS_FAILED');
  });

  it('garbage after an lzma stream → DECOMPRESS_FAILED', async () => {
    const b = fixture('two_streams.lzma');
    const e = await thrownAsync(() => decompress('lzma', new Uint8Array([...b, 0xff, 0xff, 0xff]), DEFAULT_LIMITS));
    expect(e.code).toBe('DECOMPRESS_FAILED');
  });

  it('ZF decodes one zlib stream and ignores what follows (zlib.decompress)', async () => {
    const body = deflateSync(new Uint8Array([1, 2, 3]));
    const b = new Uint8Array([...new TextEncoder().encode('ZF' + '0x3'.padEnd(19)), ...body, 9, 9, 9]);
    expect(await decompress('joblib-zf', b, DEFAULT_LIMITS)).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('the caps apply across streams', async () => {
    const e = await thrownAsync(() => decompress('lzma', fixture('two_streams.lzma'), withLimits({ maxDecompressedBytes: 8 })));
    expect([e.code, e.at.limit]).toEqual(['LIMIT_EXCEEDED', 'maxDecompressedBytes']);
  });
});
