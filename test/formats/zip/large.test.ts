import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type ByteSource } from '../../../src/core/index.js';
import { readZip, readZipMember } from '../../../src/formats/zip/index.js';
import { sniff, SNIFF_TAIL_BYTES } from '../../../src/formats/sniff/index.js';

/**
 * A 1 GiB torch-style zip that does not exist in memory: headers are real bytes, the tensor member
 * is a virtual range whose reads are counted. readZip and the pickle member must never touch it.
 */
function virtualTorchZip(tensorBytes: number): { src: ByteSource; tensorReads: () => number; totalRead: () => number } {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const pickle = new Uint8Array([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]);
  const members = [
    { name: 'archive/data.pkl', size: pickle.length, data: pickle, crc: crc32(pickle) >>> 0 },
    { name: 'archive/data/0', size: tensorBytes, data: undefined, crc: 0 },
    { name: 'archive/version', size: 2, data: enc('3\n'), crc: crc32(enc('3\n')) >>> 0 },
  ];
  const segments: { at: number; bytes: Uint8Array }[] = [];
  let virtualAt = -1;
  let p = 0;
  const central: Uint8Array[] = [];
  for (const m of members) {
    const name = enc(m.name);
    const lh = new Uint8Array(30 + name.length);
    const lv = new DataView(lh.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(6, 0x0808, true);
    lv.setUint16(26, name.length, true);
    lh.set(name, 30);
    segments.push({ at: p, bytes: lh });
    const local = p;
    p += lh.length;
    if (m.data) segments.push({ at: p, bytes: m.data });
    else virtualAt = p;
    p += m.size;
    const ch = new Uint8Array(46 + name.length);
    const cv = new DataView(ch.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(8, 0x0808, true);
    cv.setUint32(16, m.crc, true);
    cv.setUint32(20, m.size, true);
    cv.setUint32(24, m.size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, local, true);
    ch.set(name, 46);
    central.push(ch);
  }
  const cdAt = p;
  for (const c of central) { segments.push({ at: p, bytes: c }); p += c.length; }
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, members.length, true);
  ev.setUint16(10, members.length, true);
  ev.setUint32(12, p - cdAt, true);
  ev.setUint32(16, cdAt, true);
  segments.push({ at: p, bytes: eocd });
  p += 22;
  let tensorReads = 0;
  let totalRead = 0;
  const size = p;
  const src: ByteSource = {
    size,
    read(offset, length) {
      const end = Math.min(size, offset + length);
      totalRead += end - offset;
      const lo = Math.max(offset, virtualAt);
      const hi = Math.min(end, virtualAt + tensorBytes);
      if (hi > lo) tensorReads += hi - lo;
      const out = new Uint8Array(end - offset);
      for (const s of segments) {
        const a = Math.max(offset, s.at);
        const b = Math.min(end, s.at + s.bytes.length);
        if (b > a) out.set(s.bytes.subarray(a - s.at, b - s.at), a - offset);
      }
      return out;
    },
  };
  return { src, tensorReads: () => tensorReads, totalRead: () => totalRead };
}

describe('a 1 GiB torch zip is read by its central directory only', () => {
  it('never reads tensor bytes and finishes quickly', () => {
    const v = virtualTorchZip(1 << 30);
    const t = performance.now();
    const tail = v.src.read(v.src.size - SNIFF_TAIL_BYTES, SNIFF_TAIL_BYTES);
    expect(sniff(v.src.read(0, 512), tail, v.src.size).kind).toBe('zip');
    const z = readZip(v.src, DEFAULT_LIMITS);
    const pkl = z.members.find((m) => m.name.endsWith('/data.pkl'))!;
    expect(readZipMember(v.src, pkl, DEFAULT_LIMITS)[0]).toBe(0x80);
    expect(z.members[1]!.uncompressedSize).toBe(1 << 30);
    expect(performance.now() - t).toBeLessThan(150);
    // the sniffer's 512-byte head and 64 KiB tail may overlap the tensor; the reader itself does not
    expect(v.totalRead()).toBeLessThan(200_000);
  });

  it('readZip alone reads no tensor byte', () => {
    const v = virtualTorchZip(1 << 30);
    readZip(v.src, DEFAULT_LIMITS);
    expect(v.tensorReads()).toBeLessThanOrEqual(65_557); // only the EOCD search window at the end
  });
});
