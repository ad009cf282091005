import { MvError, toSafeInt, viewOf, type ByteSource } from '../../core/index.js';

// APPNOTE.TXT 4.3.16 (EOCD), 4.3.14 (ZIP64 EOCD record), 4.3.15 (ZIP64 EOCD locator).
export const SIG_LOCAL = 0x04034b50;
export const SIG_CENTRAL = 0x02014b50;
export const SIG_EOCD = 0x06054b50;
export const SIG_ZIP64_EOCD = 0x06064b50;
export const SIG_ZIP64_LOCATOR = 0x07064b50;
export const EOCD_BYTES = 22;
export const ZIP64_LOCATOR_BYTES = 20;
export const ZIP64_EOCD_BYTES = 56;
/** The EOCD sits in the last 22 + 65535 (maximum comment) bytes. */
export const EOCD_SEARCH_BYTES = EOCD_BYTES + 0xffff;

/**
 * Finds the end-of-central-directory record in `tail` (the last bytes of a file of `size` bytes),
 * scanning backwards like miniz: the last signature whose comment fits inside the file wins.
 * Returns the offset within `tail`, or undefined. Used by the sniffer too (EOCD-only detection).
 */
export function findEocd(tail: Uint8Array, size: number): number | undefined {
  const tailStart = size - tail.length;
  const v = viewOf(tail);
  for (let i = tail.length - EOCD_BYTES; i >= 0; i--) {
    if (tail[i] !== 0x50 || v.getUint32(i, true) !== SIG_EOCD) continue;
    const commentBytes = v.getUint16(i + 20, true);
    if (tailStart + i + EOCD_BYTES + commentBytes <= size) return i;
  }
  return undefined;
}

/** Where the central directory is, from the EOCD (and ZIP64 records when present). */
export interface EndRecord {
  readonly eocdOffset: number;
  readonly entries: number;
  readonly cdOffset: number;
  readonly cdSize: number;
  /** Start of the end records (ZIP64 record if any, else EOCD): the central directory must end before it. */
  readonly endStart: number;
  readonly zip64: boolean;
  readonly comment: string;
  /** Added to every offset when the archive was prepended with other data (Python zipfile's `concat`). */
  readonly shift: number;
}

const centralAt = (src: ByteSource, offset: number): boolean => {
  const b = src.read(offset, 4);
  return b.length === 4 && viewOf(b).getUint32(0, true) === SIG_CENTRAL;
};

const invalid = (message: string, offset: number): MvError => new MvError('ZIP_INVALID', message, { offset });

/** Reads the EOCD and, when present, the ZIP64 locator and record. Throws ZIP_INVALID. */
export function readEndRecord(src: ByteSource): EndRecord {
  const tailLength = Math.min(src.size, EOCD_SEARCH_BYTES);
  const tail = src.read(src.size - tailLength, tailLength);
  const at = findEocd(tail, src.size);
  if (at === undefined) throw invalid('no end-of-central-directory record', src.size);
  const eocdOffset = src.size - tailLength + at;
  const v = viewOf(tail);
  const disk = v.getUint16(at + 4, true);
  const cdDisk = v.getUint16(at + 6, true);
  const entriesOnDisk = v.getUint16(at + 8, true);
  let entries = v.getUint16(at + 10, true);
  let cdSize = v.getUint32(at + 12, true);
  let cdOffset = v.getUint32(at + 16, true);
  const commentBytes = v.getUint16(at + 20, true);
  const comment = String.fromCharCode(...tail.subarray(at + EOCD_BYTES, at + EOCD_BYTES + commentBytes));
  let endStart = eocdOffset;
  let zip64 = false;

  const locOffset = eocdOffset - ZIP64_LOCATOR_BYTES;
  const loc = locOffset >= 0 ? src.read(locOffset, ZIP64_LOCATOR_BYTES) : undefined;
  if (loc && loc.length === ZIP64_LOCATOR_BYTES && viewOf(loc).getUint32(0, true) === SIG_ZIP64_LOCATOR) {
    const lv = viewOf(loc);
    const recOffset = toSafeInt(lv.getBigUint64(8, true), 'ZIP_INVALID', { offset: locOffset + 8 });
    if (lv.getUint32(4, true) !== 0 || lv.getUint32(16, true) > 1) throw invalid('multi-volume ZIP64 archive', locOffset);
    if (recOffset + ZIP64_EOCD_BYTES > locOffset) throw invalid('ZIP64 end record offset outside the file', locOffset + 8);
    const rec = src.read(recOffset, ZIP64_EOCD_BYTES);
    const rv = viewOf(rec);
    if (rv.getUint32(0, true) !== SIG_ZIP64_EOCD) throw invalid('ZIP64 end record signature missing', recOffset);
    if (rv.getUint32(16, true) !== 0 || rv.getUint32(20, true) !== 0) throw invalid('multi-volume ZIP64 archive', recOffset + 16);
    const at64 = (o: number): number => toSafeInt(rv.getBigUint64(o, true), 'ZIP_INVALID', { offset: recOffset + o });
    if (at64(24) !== at64(32)) throw invalid('ZIP64 entry counts disagree (multi-volume)', recOffset + 24);
    entries = at64(32);
    cdSize = at64(40);
    cdOffset = at64(48);
    endStart = recOffset;
    zip64 = true;
  } else {
    if (disk !== 0 || cdDisk !== 0 || entriesOnDisk !== entries) throw invalid('multi-volume ZIP archive', eocdOffset + 4);
    if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      throw invalid('EOCD fields say ZIP64 but there is no ZIP64 locator', eocdOffset);
    }
  }
  if (cdOffset + cdSize > endStart) throw invalid('central directory runs past the end records', zip64 ? endStart : eocdOffset + 16);
  // Python's zipfile (so np.load, zipfile-based loaders) reads archives with data prepended
  // (`cat stub.bin archive.zip`): offsets are then relative to the archive's start, found from the end.
  const concat = endStart - cdSize - cdOffset;
  const shift = concat > 0 && entries > 0 && !centralAt(src, cdOffset) && centralAt(src, cdOffset + concat) ? concat : 0;
  return { eocdOffset, entries, cdOffset: cdOffset + shift, cdSize, endStart, zip64, comment, shift };
}
