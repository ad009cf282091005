import { MvError, checkLimit, equalBytes, toSafeInt, viewOf, type ByteSource, type Limits } from '../../core/index.js';
import { SIG_CENTRAL, SIG_LOCAL, readEndRecord } from './eocd.js';
import { decodeName, unsafeNameReason } from './names.js';
import { ZIP_FLAG, type ZipAnomaly, type ZipArchive, type ZipMember } from './types.js';

const CENTRAL_BYTES = 46;
const LOCAL_BYTES = 30;
const ZIP64_EXTRA_ID = 0x0001;
/** Cap on the central directory we read into memory (100 000 members with long names fit easily). */
export const MAX_CENTRAL_DIRECTORY_BYTES = 256 * 1024 * 1024;
/** Flags that make torch refuse a member when set in the central directory (threats.md §5). */
const SUSPECT_FLAGS = ZIP_FLAG.ENCRYPTED | ZIP_FLAG.PATCHED | ZIP_FLAG.STRONG_ENCRYPTION;

const invalid = (message: string, offset: number): MvError => new MvError('ZIP_INVALID', message, { offset });

interface CentralRecord {
  readonly nameBytes: Uint8Array;
  readonly name: string;
  readonly validUtf8: boolean;
  readonly flags: number;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localOffset: number;
  readonly centralOffset: number;
}

/** Reads the ZIP64 extended-information extra field (APPNOTE 4.5.3): only the fields saturated in the record. */
function applyZip64(extra: Uint8Array, extraOffset: number, rec: { usize: number; csize: number; local: number }): void {
  const need = [rec.usize === 0xffffffff, rec.csize === 0xffffffff, rec.local === 0xffffffff];
  if (!need.some(Boolean)) return;
  const v = viewOf(extra);
  for (let i = 0; i + 4 <= extra.length; ) {
    const id = v.getUint16(i, true);
    const size = v.getUint16(i + 2, true);
    if (i + 4 + size > extra.length) break;
    if (id === ZIP64_EXTRA_ID) {
      let p = i + 4;
      const take = (): number => {
        if (p + 8 > i + 4 + size) throw invalid('ZIP64 extra field is too short', extraOffset + i);
        const n = toSafeInt(v.getBigUint64(p, true), 'ZIP_INVALID', { offset: extraOffset + p });
        p += 8;
        return n;
      };
      if (need[0]) rec.usize = take();
      if (need[1]) rec.csize = take();
      if (need[2]) rec.local = take();
      return;
    }
    i += 4 + size;
  }
  throw invalid('sizes or offset saturated but no ZIP64 extra field', extraOffset);
}

function readCentral(cd: Uint8Array, cdOffset: number, entries: number, shift: number): CentralRecord[] {
  const v = viewOf(cd);
  const out: CentralRecord[] = [];
  let p = 0;
  for (let n = 0; n < entries; n++) {
    const at = cdOffset + p;
    if (p + CENTRAL_BYTES > cd.length) throw invalid(`central directory ends inside record ${n}`, at);
    if (v.getUint32(p, true) !== SIG_CENTRAL) throw invalid(`central record ${n} has no signature`, at);
    const flags = v.getUint16(p + 8, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    if (v.getUint16(p + 34, true) !== 0 && v.getUint16(p + 34, true) !== 0xffff) throw invalid('member on another volume', at + 34);
    const end = p + CENTRAL_BYTES + nameLen + extraLen + commentLen;
    if (end > cd.length) throw invalid(`central record ${n} runs past the central directory`, at);
    const nameBytes = cd.subarray(p + CENTRAL_BYTES, p + CENTRAL_BYTES + nameLen);
    const sizes = { csize: v.getUint32(p + 20, true), usize: v.getUint32(p + 24, true), local: v.getUint32(p + 42, true) };
    const extraAt = p + CENTRAL_BYTES + nameLen;
    applyZip64(cd.subarray(extraAt, extraAt + extraLen), cdOffset + extraAt, sizes);
    const { name, validUtf8 } = decodeName(nameBytes, (flags & ZIP_FLAG.UTF8) !== 0);
    out.push({
      nameBytes, name, validUtf8, flags,
      method: v.getUint16(p + 10, true),
      crc32: v.getUint32(p + 16, true),
      compressedSize: sizes.csize,
      uncompressedSize: sizes.usize,
      localOffset: sizes.local + shift,
      centralOffset: at,
    });
    p = end;
  }
  return out;
}

/** Reads a member's local header: only its lengths are trusted (for the data start); the rest is compared. */
function readLocal(src: ByteSource, rec: CentralRecord, cdOffset: number): ZipMember {
  const at = rec.localOffset;
  if (at + LOCAL_BYTES > cdOffset) throw invalid(`local header of ${JSON.stringify(rec.name)} is outside the member area`, rec.centralOffset + 42);
  const head = src.read(at, LOCAL_BYTES);
  const v = viewOf(head);
  if (head.length < LOCAL_BYTES || v.getUint32(0, true) !== SIG_LOCAL) throw invalid(`no local header for ${JSON.stringify(rec.name)}`, at);
  const localFlags = v.getUint16(6, true);
  const localMethod = v.getUint16(8, true);
  const nameLen = v.getUint16(26, true);
  const extraLen = v.getUint16(28, true);
  const dataOffset = at + LOCAL_BYTES + nameLen + extraLen;
  if (dataOffset + rec.compressedSize > cdOffset) {
    throw invalid(`data of ${JSON.stringify(rec.name)} runs into the central directory or past the file`, at);
  }
  const anomalies: ZipAnomaly[] = [];
  const localName = src.read(at + LOCAL_BYTES, nameLen);
  if (!equalBytes(localName, rec.nameBytes)) {
    anomalies.push({ code: 'ZIP_NAME_MISMATCH', message: `local header names ${JSON.stringify(decodeName(localName, true).name)}`, offset: at + LOCAL_BYTES });
  }
  if (localFlags !== rec.flags) {
    anomalies.push({ code: 'ZIP_FLAG_ANOMALY', message: `local flags 0x${localFlags.toString(16)} differ from central 0x${rec.flags.toString(16)}`, offset: at + 6 });
  }
  if (localMethod !== rec.method) {
    anomalies.push({ code: 'ZIP_FLAG_ANOMALY', message: `local method ${localMethod} differs from central ${rec.method}`, offset: at + 8 });
  }
  return toMember(rec, localFlags, dataOffset, anomalies);
}

function toMember(rec: CentralRecord, localFlags: number, dataOffset: number, anomalies: ZipAnomaly[]): ZipMember {
  const f = rec.flags;
  const encrypted = (f & (ZIP_FLAG.ENCRYPTED | ZIP_FLAG.STRONG_ENCRYPTION)) !== 0;
  if (encrypted) anomalies.push({ code: 'ZIP_ENCRYPTED', message: `central flags 0x${f.toString(16)} mark the member encrypted`, offset: rec.centralOffset + 8 });
  if (f & ZIP_FLAG.PATCHED) anomalies.push({ code: 'ZIP_FLAG_ANOMALY', message: 'central flags mark patched data (0x20)', offset: rec.centralOffset + 8 });
  if (!encrypted && (localFlags & SUSPECT_FLAGS) !== 0 && (localFlags & SUSPECT_FLAGS) !== (f & SUSPECT_FLAGS)) {
    anomalies.push({ code: 'ZIP_FLAG_ANOMALY', message: `local-only flags 0x${(localFlags & SUSPECT_FLAGS).toString(16)} (encryption/patch)`, offset: rec.localOffset + 6 });
  }
  const why = rec.validUtf8 ? unsafeNameReason(rec.name) : 'name flagged UTF-8 is not valid UTF-8';
  if (why) anomalies.push({ code: 'ZIP_UNSAFE_NAME', message: `${why}: ${JSON.stringify(rec.name)}`, offset: rec.centralOffset + CENTRAL_BYTES });
  if (rec.method === 0 && !encrypted && rec.compressedSize !== rec.uncompressedSize) {
    anomalies.push({ code: 'ZIP_SIZE_MISMATCH', message: `stored member sizes differ (${rec.compressedSize} vs ${rec.uncompressedSize})`, offset: rec.centralOffset + 20 });
  }
  return {
    name: rec.name,
    method: rec.method,
    flags: f,
    localFlags,
    compressedSize: rec.compressedSize,
    uncompressedSize: rec.uncompressedSize,
    crc32: rec.crc32,
    localOffset: rec.localOffset,
    dataOffset,
    centralOffset: rec.centralOffset,
    encrypted,
    isDirectory: rec.name.endsWith('/') && rec.uncompressedSize === 0,
    anomalies,
  };
}

/** Member extents [local header, end of data) must not overlap each other (zip bombs share data). */
function checkOverlaps(members: readonly ZipMember[]): void {
  const sorted = [...members].sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.localOffset < prev.dataOffset + prev.compressedSize) {
      throw invalid(`members ${JSON.stringify(prev.name)} and ${JSON.stringify(cur.name)} overlap`, cur.localOffset);
    }
  }
}

function markDuplicates(members: ZipMember[]): void {
  const byName = new Map<string, ZipMember[]>();
  for (const m of members) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
  for (const group of byName.values()) {
    if (group.length < 2) continue;
    for (const m of group) {
      (m.anomalies as ZipAnomaly[]).push({ code: 'ZIP_DUPLICATE_NAME', message: `${group.length} members are named ${JSON.stringify(m.name)}`, offset: m.centralOffset + CENTRAL_BYTES });
    }
  }
}

/**
 * Reads a ZIP archive from its central directory only (threats.md §5): the EOCD is located from
 * the end (ZIP64 locator/record honoured), every field comes from the central directory and the
 * local header only supplies the data start. Reads the tail, the central directory and 30 + name
 * bytes per member; member data is never touched.
 *
 * Throws ZIP_INVALID (no EOCD, offsets outside the file, overlapping members, data running into the
 * central directory, truncated records) and LIMIT_EXCEEDED (`maxArchiveMembers`). Everything torch
 * tolerates is an anomaly on the member instead.
 */
export function readZip(src: ByteSource, limits: Limits): ZipArchive {
  const end = readEndRecord(src);
  checkLimit('maxArchiveMembers', end.entries, limits.maxArchiveMembers, { offset: end.eocdOffset + 10 });
  checkLimit('maxCentralDirectoryBytes', end.cdSize, MAX_CENTRAL_DIRECTORY_BYTES, { offset: end.eocdOffset + 12 });
  if (end.entries * CENTRAL_BYTES > end.cdSize) throw invalid(`${end.entries} entries cannot fit in a ${end.cdSize}-byte central directory`, end.eocdOffset + 10);
  const cd = src.read(end.cdOffset, end.cdSize);
  if (cd.length !== end.cdSize) throw invalid('central directory is truncated', end.cdOffset);
  const records = readCentral(cd, end.cdOffset, end.entries, end.shift);
  const members = records.map((r) => readLocal(src, r, end.cdOffset));
  checkOverlaps(members);
  markDuplicates(members);
  const anomalies: ZipAnomaly[] = [];
  const first = members.reduce((lo, m) => Math.min(lo, m.localOffset), end.cdOffset);
  // A prefix is a polyglot: torch.load checks the first bytes for PK\x03\x04, so the prefix is what it loads.
  if (first > 0) {
    const how = end.shift ? `; its offsets are relative to byte ${end.shift} (data was prepended)` : '';
    anomalies.push({ code: 'ZIP_PREFIX_DATA', message: `${first} bytes precede the first member${how}`, offset: 0 });
  }
  return {
    members,
    eocdOffset: end.eocdOffset,
    centralDirectoryOffset: end.cdOffset,
    centralDirectorySize: end.cdSize,
    zip64: end.zip64,
    prefixBytes: first,
    comment: end.comment,
    anomalies,
  };
}
