// A tiny ZIP writer for adversarial tests: every header field can be overridden.
import { crc32, deflateRawSync } from 'node:zlib';

export interface BuildEntry {
  name: string;
  data: Uint8Array;
  method?: 0 | 8;
  flags?: number;
  localFlags?: number;
  localName?: string;
  crc?: number;
  localExtra?: Uint8Array;
}

export interface BuildOptions {
  zip64?: boolean;
  comment?: string;
  prefix?: Uint8Array;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export function buildZip(entries: readonly BuildEntry[], opts: BuildOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  let offset = 0;
  const push = (b: Uint8Array): void => {
    parts.push(b);
    offset += b.length;
  };
  if (opts.prefix) push(opts.prefix);
  const central: Uint8Array[] = [];
  for (const e of entries) {
    const method = e.method ?? 0;
    const body = method === 8 ? new Uint8Array(deflateRawSync(e.data)) : e.data;
    const crc = e.crc ?? crc32(e.data) >>> 0;
    const name = enc(e.name);
    const localName = enc(e.localName ?? e.name);
    const extra = e.localExtra ?? new Uint8Array();
    const flags = e.flags ?? 0;
    const lh = new Uint8Array(30 + localName.length + extra.length);
    const lv = new DataView(lh.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, e.localFlags ?? flags, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, e.data.length, true);
    lv.setUint16(26, localName.length, true);
    lv.setUint16(28, extra.length, true);
    lh.set(localName, 30);
    lh.set(extra, 30 + localName.length);
    const localOffset = offset;
    push(lh);
    push(body);
    const z64 = opts.zip64 ?? false;
    const x = z64 ? new Uint8Array(28) : new Uint8Array();
    if (z64) {
      const xv = new DataView(x.buffer);
      xv.setUint16(0, 1, true);
      xv.setUint16(2, 24, true);
      xv.setBigUint64(4, BigInt(e.data.length), true);
      xv.setBigUint64(12, BigInt(body.length), true);
      xv.setBigUint64(20, BigInt(localOffset), true);
    }
    const ch = new Uint8Array(46 + name.length + x.length);
    const cv = new DataView(ch.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 0x031e, true);
    cv.setUint16(6, z64 ? 45 : 20, true);
    cv.setUint16(8, flags, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, z64 ? 0xffffffff : body.length, true);
    cv.setUint32(24, z64 ? 0xffffffff : e.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint16(30, x.length, true);
    cv.setUint32(42, z64 ? 0xffffffff : localOffset, true);
    ch.set(name, 46);
    ch.set(x, 46 + name.length);
    central.push(ch);
  }
  const cdOffset = offset;
  for (const c of central) push(c);
  const cdSize = offset - cdOffset;
  if (opts.zip64) {
    const recOffset = offset;
    const rec = new Uint8Array(56);
    const rv = new DataView(rec.buffer);
    rv.setUint32(0, 0x06064b50, true);
    rv.setBigUint64(4, 44n, true);
    rv.setUint16(12, 45, true);
    rv.setUint16(14, 45, true);
    rv.setBigUint64(24, BigInt(entries.length), true);
    rv.setBigUint64(32, BigInt(entries.length), true);
    rv.setBigUint64(40, BigInt(cdSize), true);
    rv.setBigUint64(48, BigInt(cdOffset), true);
    push(rec);
    const loc = new Uint8Array(20);
    const lv = new DataView(loc.buffer);
    lv.setUint32(0, 0x07064b50, true);
    lv.setBigUint64(8, BigInt(recOffset), true);
    lv.setUint32(16, 1, true);
    push(loc);
  }
  const comment = enc(opts.comment ?? '');
  const eocd = new Uint8Array(22 + comment.length);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, opts.zip64 ? 0xffff : entries.length, true);
  ev.setUint16(10, opts.zip64 ? 0xffff : entries.length, true);
  ev.setUint32(12, opts.zip64 ? 0xffffffff : cdSize, true);
  ev.setUint32(16, opts.zip64 ? 0xffffffff : cdOffset, true);
  ev.setUint16(20, comment.length, true);
  eocd.set(comment, 22);
  push(eocd);
  const out = new Uint8Array(offset);
  let p = 0;
  for (const b of parts) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}
