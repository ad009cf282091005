import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesSource, withLimits, DEFAULT_LIMITS, type ByteSource } from '../../../src/core/index.js';
import { checkZipCrc, readZip, readZipMember, type ZipArchive } from '../../../src/formats/zip/index.js';
import { buildZip } from './build-zip.js';
import { expectCode, onlyMvError } from './expect-code.js';

const CORPUS = '/work/shared/corpora/picklescan';
const corpus = (p: string): Uint8Array => new Uint8Array(readFileSync(`${CORPUS}/${p}`));
const open = (b: Uint8Array): ZipArchive => readZip(bytesSource(b), DEFAULT_LIMITS);
const codes = (z: ZipArchive, i = 0): string[] => z.members[i]!.anomalies.map((a) => a.code);
const PICKLE = new Uint8Array([0x80, 0x02, 0x4b, 0x01, 0x2e]);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('readZip on the picklescan corpus', () => {
  const zips = [
    ...readdirSync(`${CORPUS}/data`).filter((f) => f.endsWith('.zip')).map((f) => `data/${f}`),
    ...readdirSync(`${CORPUS}/data2`).filter((f) => /\.(zip|npz)$/.test(f)).map((f) => `data2/${f}`),
    'data/new_pytorch_model.bin',
  ];

  it.each(zips)('%s: reads every member and its bytes', (f) => {
    const bytes = corpus(f);
    const src = bytesSource(bytes);
    const z = readZip(src, DEFAULT_LIMITS);
    expect(z.members.length).toBeGreaterThan(0);
    for (const m of z.members) {
      const data = readZipMember(src, m, DEFAULT_LIMITS);
      if (!m.encrypted) expect(data.length).toBe(m.uncompressedSize);
    }
  });

  it('malicious1.zip: one clean stored pickle member, CRC ok', () => {
    const src = bytesSource(corpus('data/malicious1.zip'));
    const z = readZip(src, DEFAULT_LIMITS);
    expect(z.members.map((m) => m.name)).toEqual(['data.pkl']);
    const m = z.members[0]!;
    expect([m.method, m.anomalies.length, m.dataOffset]).toEqual([0, 0, 38]);
    const data = readZipMember(src, m, DEFAULT_LIMITS);
    expect([data[0], data[1]]).toEqual([0x80, 0x04]);
    expect(checkZipCrc(m, data)).toBeUndefined();
    expect(readZipMember(src, m, DEFAULT_LIMITS, 4)).toEqual(data.subarray(0, 4));
  });

  it('malicious1_0x1 / 0x40: encrypted flag, clear-text pickle returned as stored', () => {
    for (const f of ['data/malicious1_0x1.zip', 'data/malicious1_0x40.zip']) {
      const src = bytesSource(corpus(f));
      const z = readZip(src, DEFAULT_LIMITS);
      expect(z.members[0]!.encrypted).toBe(true);
      expect(codes(z)).toContain('ZIP_ENCRYPTED');
      expect(readZipMember(src, z.members[0]!, DEFAULT_LIMITS)[0]).toBe(0x80);
    }
  });

  it('malicious1_0x20: patched-data flag is a flag anomaly, not encryption', () => {
    const z = open(corpus('data/malicious1_0x20.zip'));
    expect(z.members[0]!.encrypted).toBe(false);
    expect(codes(z)).toEqual(['ZIP_FLAG_ANOMALY']);
  });

  it('malicious1_central_directory: local name differs', () => {
    const z = open(corpus('data/malicious1_central_directory.zip'));
    expect(z.members[0]!.name).toBe('data.pkl');
    expect(z.members[0]!.anomalies).toEqual([expect.objectContaining({ code: 'ZIP_NAME_MISMATCH', offset: 30 })]);
  });

  it('malicious1_crc: CRC mismatch is an anomaly and the bytes are still returned', () => {
    const src = bytesSource(corpus('data2/malicious1_crc.zip'));
    const z = readZip(src, DEFAULT_LIMITS);
    const m = z.members[0]!;
    const a = checkZipCrc(m, readZipMember(src, m, DEFAULT_LIMITS));
    expect(a).toMatchObject({ code: 'ZIP_CRC_MISMATCH', offset: m.centralOffset + 16 });
  });

  it('benign_password_protected: ZipCrypto member is returned as its stored ciphertext', () => {
    const src = bytesSource(corpus('data/benign_password_protected.zip'));
    const z = readZip(src, DEFAULT_LIMITS);
    const m = z.members[0]!;
    expect([m.name, m.encrypted, m.compressedSize]).toEqual(['test.txt', true, 27]);
    expect(readZipMember(src, m, DEFAULT_LIMITS).length).toBe(27);
    expect(checkZipCrc(m, new Uint8Array())).toBeUndefined();
  });

  it('new_pytorch_model.bin: torch layout, 0x0808 flags, 64-byte aligned data', () => {
    const z = open(corpus('data/new_pytorch_model.bin'));
    const names = z.members.map((m) => m.name);
    expect(names.some((n) => n.endsWith('/data.pkl'))).toBe(true);
    for (const m of z.members) {
      expect(m.flags).toBe(0x0808);
      expect(m.anomalies).toEqual([]);
      expect(m.dataOffset % 64).toBe(0);
    }
  });

  it('npz (deflated): members are .npy', () => {
    const src = bytesSource(corpus('data2/object_arrays_compressed.npz'));
    const z = readZip(src, DEFAULT_LIMITS);
    for (const m of z.members) {
      expect(m.method).toBe(8);
      const b = readZipMember(src, m, DEFAULT_LIMITS);
      expect(checkZipCrc(m, b)).toBeUndefined();
      expect(readZipMember(src, m, DEFAULT_LIMITS, 6)).toEqual(new Uint8Array([0x93, ...enc('NUMPY')]));
    }
  });
});

describe('readZip anomalies on hand-built archives', () => {
  it('bad CRC', () => {
    const src = bytesSource(buildZip([{ name: 'a/data.pkl', data: PICKLE, crc: 0x1234 }]));
    const z = readZip(src, DEFAULT_LIMITS);
    expect(checkZipCrc(z.members[0]!, readZipMember(src, z.members[0]!, DEFAULT_LIMITS))?.code).toBe('ZIP_CRC_MISMATCH');
  });

  it('local name mismatch', () => {
    const z = open(buildZip([{ name: 'a/data.pkl', localName: 'a/other.txt', data: PICKLE }]));
    expect(codes(z)).toEqual(['ZIP_NAME_MISMATCH']);
  });

  it.each([0x1, 0x20, 0x40])('flag 0x%s in the local header only: flag anomalies, still readable', (f) => {
    const src = bytesSource(buildZip([{ name: 'a/data.pkl', data: PICKLE, localFlags: f }]));
    const z = readZip(src, DEFAULT_LIMITS);
    expect(z.members[0]!.encrypted).toBe(false);
    expect(new Set(codes(z))).toEqual(new Set(['ZIP_FLAG_ANOMALY']));
    expect(z.members[0]!.anomalies.map((a) => a.offset)).toEqual([6, 6]);
    expect(readZipMember(src, z.members[0]!, DEFAULT_LIMITS)).toEqual(PICKLE);
  });

  it.each([
    [0x1, 'ZIP_ENCRYPTED'],
    [0x40, 'ZIP_ENCRYPTED'],
    [0x20, 'ZIP_FLAG_ANOMALY'],
  ] as const)('flag 0x%s in both headers → %s at the central flags', (f, code) => {
    const z = open(buildZip([{ name: 'a/data.pkl', data: PICKLE, flags: f }]));
    expect(z.members[0]!.anomalies).toEqual([expect.objectContaining({ code, offset: z.members[0]!.centralOffset + 8 })]);
  });

  it('flag 0x1 only in the central directory: encrypted + flags differ', () => {
    const z = open(buildZip([{ name: 'a/data.pkl', data: PICKLE, flags: 1, localFlags: 0 }]));
    expect(new Set(codes(z))).toEqual(new Set(['ZIP_ENCRYPTED', 'ZIP_FLAG_ANOMALY']));
  });

  it.each(['../evil.pkl', '/etc/passwd', 'a\\b.pkl', 'a\0b', 'C:/x', 'a/../../b'])('unsafe name %j', (name) => {
    expect(codes(open(buildZip([{ name, data: PICKLE }])))).toContain('ZIP_UNSAFE_NAME');
  });

  it('duplicate names: both members reported', () => {
    const z = open(buildZip([{ name: 'a/data.pkl', data: PICKLE }, { name: 'a/data.pkl', data: PICKLE }]));
    expect([codes(z, 0), codes(z, 1)]).toEqual([['ZIP_DUPLICATE_NAME'], ['ZIP_DUPLICATE_NAME']]);
  });

  it('ZIP64 records and extra fields', () => {
    const src = bytesSource(buildZip([{ name: 'x', data: PICKLE }, { name: 'y', data: enc('hello'), method: 8 }], { zip64: true }));
    const z = readZip(src, DEFAULT_LIMITS);
    expect(z.zip64).toBe(true);
    expect(z.members.map((m) => [m.name, m.compressedSize === m.uncompressedSize, m.localOffset])).toEqual([['x', true, 0], ['y', false, 36]]);
    expect(new TextDecoder().decode(readZipMember(src, z.members[1]!, DEFAULT_LIMITS))).toBe('hello');
  });

  it('comment and prefix data', () => {
    const z = open(buildZip([{ name: 'x', data: PICKLE }], { comment: 'hi PK\x05\x06', prefix: PICKLE }));
    expect(z.comment).toBe('hi PK\x05\x06');
    expect(z.prefixBytes).toBe(5);
    expect(z.anomalies).toEqual([{ code: 'ZIP_PREFIX_DATA', message: expect.any(String), offset: 0 }]);
  });

  it('data prepended to a whole archive (cat stub archive.zip): read like Python zipfile, prefix reported', () => {
    const inner = buildZip([{ name: 'a.npy', data: PICKLE }, { name: 'b', data: enc('bb'), method: 8 }]);
    const b = new Uint8Array([...PICKLE, ...inner]);
    const src = bytesSource(b);
    const z = readZip(src, DEFAULT_LIMITS);
    expect(z.prefixBytes).toBe(5);
    expect(z.anomalies.map((a) => a.code)).toEqual(['ZIP_PREFIX_DATA']);
    expect(z.members.map((m) => m.localOffset)).toEqual([5, 5 + 30 + 5 + 5]);
    expect(readZipMember(src, z.members[0]!, DEFAULT_LIMITS)).toEqual(PICKLE);
    expect(new TextDecoder().decode(readZipMember(src, z.members[1]!, DEFAULT_LIMITS))).toBe('bb');
  });

  it('anomaly offsets point at the fields concerned', () => {
    const z = open(buildZip([{ name: '../x', data: PICKLE }, { name: '../x', data: PICKLE }]));
    const m = z.members[1]!;
    expect(m.anomalies).toEqual([
      { code: 'ZIP_UNSAFE_NAME', message: expect.any(String), offset: m.centralOffset + 46 },
      { code: 'ZIP_DUPLICATE_NAME', message: expect.any(String), offset: m.centralOffset + 46 },
    ]);
  });

  it('stored sizes that differ', () => {
    const b = buildZip([{ name: 'x', data: PICKLE }]);
    const cd = readZip(bytesSource(b), DEFAULT_LIMITS).members[0]!.centralOffset;
    new DataView(b.buffer).setUint32(cd + 24, 99, true);
    expect(codes(open(b))).toEqual(['ZIP_SIZE_MISMATCH']);
  });
});

describe('readZip hard errors (one per condition, code + offset)', () => {
  const base = (): Uint8Array => buildZip([{ name: 'a', data: PICKLE }, { name: 'b', data: PICKLE }]);
  const eocdOf = (b: Uint8Array): number => b.length - 22;

  it('no EOCD', () => expectCode(() => open(PICKLE), 'ZIP_INVALID', PICKLE.length));

  it('truncated EOCD', () => {
    const b = base();
    expectCode(() => open(b.subarray(0, b.length - 3)), 'ZIP_INVALID');
  });

  it('central directory offset outside the file', () => {
    const b = base();
    new DataView(b.buffer).setUint32(eocdOf(b) + 16, 1_000_000, true);
    expectCode(() => open(b), 'ZIP_INVALID', eocdOf(b) + 16);
  });

  it('local offset outside the member area', () => {
    const b = base();
    const z = open(b);
    new DataView(b.buffer).setUint32(z.members[1]!.centralOffset + 42, 1_000_000, true);
    expectCode(() => open(b), 'ZIP_INVALID', z.members[1]!.centralOffset + 42);
  });

  it('overlapping members (two records share one local header)', () => {
    const b = base();
    const z = open(b);
    const v = new DataView(b.buffer);
    v.setUint32(z.members[1]!.centralOffset + 42, 0, true);
    expectCode(() => open(b), 'ZIP_INVALID', 0);
  });

  it('member data running into the central directory', () => {
    const b = base();
    const z = open(b);
    new DataView(b.buffer).setUint32(z.members[1]!.centralOffset + 20, 1000, true);
    expectCode(() => open(b), 'ZIP_INVALID', z.members[1]!.localOffset);
  });

  it('member count above the limit → LIMIT_EXCEEDED', () => {
    const e = expectCode(() => readZip(bytesSource(base()), withLimits({ maxArchiveMembers: 1 })), 'LIMIT_EXCEEDED');
    expect(e.at.limit).toBe('maxArchiveMembers');
  });

  it('more entries than the central directory can hold', () => {
    const b = base();
    new DataView(b.buffer).setUint16(eocdOf(b) + 10, 500, true);
    new DataView(b.buffer).setUint16(eocdOf(b) + 8, 500, true);
    expectCode(() => open(b), 'ZIP_INVALID', eocdOf(b) + 10);
  });

  it('missing central signature', () => {
    const b = base();
    const z = open(b);
    b[z.members[0]!.centralOffset] = 0;
    expectCode(() => open(b), 'ZIP_INVALID', z.members[0]!.centralOffset);
  });

  it('missing local signature', () => {
    const b = base();
    b[0] = 0;
    expectCode(() => open(b), 'ZIP_INVALID', 0);
  });

  it('ZIP64 saturated fields without an extra field', () => {
    const b = buildZip([{ name: 'x', data: PICKLE }], { zip64: true });
    const z = open(b);
    new DataView(b.buffer).setUint16(z.members[0]!.centralOffset + 0 + 30, 0, true); // extra length 0
    expectCode(() => open(b), 'ZIP_INVALID');
  });

  it('ZIP64 locator pointing nowhere', () => {
    const b = buildZip([{ name: 'x', data: PICKLE }], { zip64: true });
    const loc = b.length - 22 - 20;
    new DataView(b.buffer).setBigUint64(loc + 8, 5n, true);
    expectCode(() => open(b), 'ZIP_INVALID', 5);
  });

  it('unsupported method', () => {
    const b = buildZip([{ name: 'x', data: PICKLE }]);
    const z0 = open(b);
    new DataView(b.buffer).setUint16(z0.members[0]!.centralOffset + 10, 12, true);
    const src = bytesSource(b);
    const m = readZip(src, DEFAULT_LIMITS).members[0]!;
    expectCode(() => readZipMember(src, m, DEFAULT_LIMITS), 'ZIP_UNSUPPORTED_METHOD', m.centralOffset + 10);
  });

  it('corrupt deflate → DECOMPRESS_FAILED', () => {
    const b = buildZip([{ name: 'x', data: enc('hello hello hello'), method: 8 }]);
    const src = bytesSource(b);
    const m = readZip(src, DEFAULT_LIMITS).members[0]!;
    b.fill(0xff, m.dataOffset, m.dataOffset + m.compressedSize);
    expectCode(() => readZipMember(src, m, DEFAULT_LIMITS), 'DECOMPRESS_FAILED', m.dataOffset);
  });

  it('deflate bomb: ratio and size limits', () => {
    const src = bytesSource(buildZip([{ name: 'x', data: new Uint8Array(1_000_000), method: 8 }]));
    const m = readZip(src, DEFAULT_LIMITS).members[0]!;
    expect(expectCode(() => readZipMember(src, m, withLimits({ maxCompressionRatio: 100 })), 'LIMIT_EXCEEDED').at.limit).toBe('maxCompressionRatio');
    expect(expectCode(() => readZipMember(src, m, withLimits({ maxDecompressedBytes: 1000 })), 'LIMIT_EXCEEDED').at.limit).toBe('maxDecompressedBytes');
    expect(readZipMember(src, m, withLimits({ maxDecompressedBytes: 1000 }), 512).length).toBe(512);
  });

  it('deflate member inflating past its declared size → ZIP_SIZE_MISMATCH', () => {
    const b = buildZip([{ name: 'x', data: new Uint8Array(100_000), method: 8 }]);
    const cd = readZip(bytesSource(b), DEFAULT_LIMITS).members[0]!.centralOffset;
    new DataView(b.buffer).setUint32(cd + 24, 10, true);
    const src = bytesSource(b);
    const m = readZip(src, DEFAULT_LIMITS).members[0]!;
    expectCode(() => readZipMember(src, m, DEFAULT_LIMITS), 'ZIP_SIZE_MISMATCH', m.dataOffset);
  });
});

describe('readZip properties', () => {
  const valid = buildZip([
    { name: 'a/data.pkl', data: PICKLE },
    { name: 'a/data/0', data: enc('x'.repeat(300)), method: 8 },
  ]);
  const readAll = (b: Uint8Array): void => {
    const src: ByteSource = bytesSource(b);
    const z = readZip(src, DEFAULT_LIMITS);
    for (const m of z.members) {
      const d = readZipMember(src, m, withLimits({ maxDecompressedBytes: 1 << 20 }));
      checkZipCrc(m, d);
    }
  };

  it('random bytes only throw MvError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => onlyMvError(() => readAll(b))), { numRuns: 500 });
  });

  it('random bytes ending in an EOCD only throw MvError', () => {
    const eocd = fc.uint8Array({ minLength: 18, maxLength: 18 }).map((t) => new Uint8Array([0x50, 0x4b, 5, 6, ...t]));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), eocd, (b, e) => onlyMvError(() => readAll(new Uint8Array([...b, ...e])))), { numRuns: 500 });
  });

  it('mutations of a valid archive only throw MvError', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (edits) => {
        const b = valid.slice();
        for (const [i, v] of edits) b[i] = v;
        onlyMvError(() => readAll(b));
      }),
      { numRuns: 1000 },
    );
  });
});
