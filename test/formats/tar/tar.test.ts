import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_LIMITS, bytesSource, withLimits } from '../../../src/core/index.js';
import { readTar, type TarMember } from '../../../src/formats/tar/index.js';
import { expectCode, onlyMvError } from '../zip/expect-code.js';

const FIX = new URL('../../fixtures/tar/', import.meta.url);
const load = (n: string): Uint8Array => new Uint8Array(readFileSync(new URL(n, FIX)));
const expected = JSON.parse(readFileSync(new URL('expected.json', FIX), 'utf8')) as Record<string, { name: string; type: string; size: number; dataOffset: number; linkName: string }[]>;
const TYPE: Record<string, TarMember['type']> = { '0': 'file', '5': 'directory', '2': 'symlink', '1': 'hardlink' };
const read = (b: Uint8Array): TarMember[] => readTar(bytesSource(b), DEFAULT_LIMITS);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** One ustar header block with a valid checksum. */
function header(name: string, size: number, flag = '0', extra: (h: Uint8Array) => void = () => {}): Uint8Array {
  const h = new Uint8Array(512);
  h.set(enc(name).subarray(0, 100), 0);
  h.set(enc('0000644\0'), 100);
  h.set(enc(`${size.toString(8).padStart(11, '0')}\0`), 124);
  h[156] = flag.charCodeAt(0);
  h.set(enc('ustar\x0000'), 257);
  extra(h);
  fixSum(h);
  return h;
}
function fixSum(h: Uint8Array): void {
  h.fill(0x20, 148, 156);
  const sum = h.reduce((a, b) => a + b, 0);
  h.set(enc(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
}
/** A PAX record "<len> key=value\n" with its self-including length. */
function paxRec(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let n = body.length + 1;
  while (`${n}`.length + body.length !== n) n++;
  return `${n}${body}`;
}
const archive = (...blocks: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(blocks.reduce((n, b) => n + Math.ceil(b.length / 512) * 512, 0) + 1024);
  let p = 0;
  for (const b of blocks) { out.set(b, p); p += Math.ceil(b.length / 512) * 512; }
  return out;
};

describe('readTar matches Python tarfile', () => {
  it.each(Object.keys(expected))('%s', (f) => {
    const got = read(load(f));
    expect(got.map((m) => ({ name: m.name, type: m.type, size: m.size, dataOffset: m.dataOffset, linkName: m.linkName ?? '' })))
      .toEqual(expected[f]!.map((m) => ({ name: m.name, type: TYPE[m.type], size: m.size, dataOffset: m.dataOffset, linkName: m.linkName })));
  });

  it('member data is at dataOffset', () => {
    const b = load('pax.tar');
    const m = read(b).find((x) => x.name === 'dir/short.txt')!;
    expect(new TextDecoder().decode(b.subarray(m.dataOffset, m.dataOffset + m.size))).toBe('hello');
  });

  it('unsafe names and link targets are anomalies', () => {
    expect(read(load('unsafe.tar')).map((m) => m.anomalies.map((a) => a.code))).toEqual([['ZIP_UNSAFE_NAME'], ['ZIP_UNSAFE_NAME'], ['ZIP_UNSAFE_NAME']]);
  });

  it('torch ≤ 0.3 layout members', () => {
    expect(read(load('torch_legacy_layout.tar')).map((m) => m.name)).toEqual(['sys_info', 'pickle', 'storages', 'tensors']);
  });
});

describe('readTar errors (TAR_INVALID with offset)', () => {
  it('accepts a hand-built archive', () => {
    expect(read(archive(header('a.txt', 3), enc('abc')))).toMatchObject([{ name: 'a.txt', size: 3, dataOffset: 512 }]);
  });
  it('bad checksum', () => {
    const h = header('a.txt', 3);
    h[0] = 0x62;
    expectCode(() => read(archive(h, enc('abc'))), 'TAR_INVALID', 148);
  });
  it('truncated header', () => expectCode(() => read(header('a', 0).subarray(0, 300)), 'TAR_INVALID', 0));
  it('data past the end', () => expectCode(() => read(header('a.txt', 5000)), 'TAR_INVALID', 124));
  it('bad octal size', () => {
    const h = header('a', 0, '0', (x) => x.set(enc('0000000009\0'), 124));
    expectCode(() => read(archive(h)), 'TAR_INVALID', 124);
  });
  it('base-256 size', () => {
    const h = header('a', 0, '0', (x) => { x.fill(0, 124, 136); x[124] = 0x80; x[135] = 3; });
    expect(read(archive(h, enc('xyz')))[0]!.size).toBe(3);
    const neg = header('a', 0, '0', (x) => { x.fill(0xff, 124, 136); });
    expectCode(() => read(archive(neg)), 'TAR_INVALID', 124);
  });
  it('unknown type flag', () => expectCode(() => read(archive(header('a', 0, 'Z'))), 'TAR_INVALID', 156));
  it('sparse (PAX GNU.sparse) is unsupported', () => {
    const rec = paxRec('GNU.sparse.major', '1');
    expectCode(() => read(archive(header('pax', rec.length, 'x'), enc(rec), header('a', 0))), 'TAR_INVALID', 1024);
  });
  it('bad PAX record', () => {
    const rec = '99 path=x\n';
    expectCode(() => read(archive(header('pax', rec.length, 'x'), enc(rec), header('a', 0))), 'TAR_INVALID', 512);
  });
  it('PAX path and size override the header', () => {
    const rec = paxRec('path', 'b.txt') + paxRec('size', '2');
    expect(read(archive(header('pax', rec.length, 'x'), enc(rec), header('a', 0), enc('hi')))).toMatchObject([{ name: 'b.txt', size: 2 }]);
  });
  it('oversized extended header → LIMIT_EXCEEDED', () => {
    expectCode(() => read(archive(header('L', 1 << 21, 'L'))), 'LIMIT_EXCEEDED', 124);
  });
  it('too many members → LIMIT_EXCEEDED', () => {
    expectCode(() => readTar(bytesSource(archive(header('a', 0), header('b', 0))), withLimits({ maxArchiveMembers: 1 })), 'LIMIT_EXCEEDED', 512);
  });
});

describe('properties', () => {
  const valid = load('pax.tar');
  it('random bytes only throw MvError', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 1600 }), (b) => onlyMvError(() => read(b))), { numRuns: 500 });
  });
  it('random header fields with a valid checksum only throw MvError', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 512, maxLength: 512 }), fc.uint8Array({ maxLength: 600 }), (h, rest) => {
      fixSum(h);
      onlyMvError(() => read(new Uint8Array([...h, ...rest])));
    }), { numRuns: 500 });
  });
  it('mutations of a PAX archive only throw MvError', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(4095), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.boolean(), (edits, resum) => {
      const b = valid.slice();
      for (const [i, v] of edits) b[i] = v;
      if (resum) for (let p = 0; p < 4096; p += 512) if (b[p + 257] === 0x75) fixSum(b.subarray(p, p + 512));
      onlyMvError(() => read(b));
    }), { numRuns: 1000 });
  });
});
