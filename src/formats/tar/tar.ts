import { MvError, checkLimit, decodeLatin1, type ByteSource, type Limits } from '../../core/index.js';
import { unsafeNameReason } from '../zip/index.js';

// POSIX.1-2001 ustar/pax (pubs.opengroup.org pax "ustar Interchange Format") and GNU tar extensions
// (gnu.org tar manual "Basic Tar Format"); Python's tarfile.py is the reference for what loads.
export const TAR_BLOCK_BYTES = 512;
/** Largest PAX extended header or GNU long name/link we read (they are names and small key=values). */
export const MAX_TAR_META_BYTES = 1 << 20;

/** What a member is (only `file` members have data). */
export type TarMemberType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** A problem reported on a member, scanning continues. */
export interface TarAnomaly {
  readonly code: 'ZIP_UNSAFE_NAME';
  readonly message: string;
  readonly offset: number;
}

/** One tar member after PAX / GNU long-name headers have been applied to it. */
export interface TarMember {
  readonly name: string;
  readonly type: TarMemberType;
  /** Type flag byte as written (`0`, `5`, `2`, ...). */
  readonly typeFlag: string;
  /** Data bytes (0 for anything but regular files). */
  readonly size: number;
  /** Offset of the member's 512-byte header. */
  readonly headerOffset: number;
  /** Offset of the first data byte. */
  readonly dataOffset: number;
  /** Link target for symlinks and hard links. */
  readonly linkName?: string;
  readonly anomalies: readonly TarAnomaly[];
}

const TYPES: Readonly<Record<string, TarMemberType>> = {
  '0': 'file', '\0': 'file', '7': 'file',
  '1': 'hardlink', '2': 'symlink', '5': 'directory',
  '3': 'other', '4': 'other', '6': 'other',
};

const invalid = (message: string, offset: number): MvError => new MvError('TAR_INVALID', message, { offset });
const padded = (n: number): number => Math.ceil(n / TAR_BLOCK_BYTES) * TAR_BLOCK_BYTES;

/** A NUL-terminated field. */
const str = (b: Uint8Array, from: number, len: number): string => {
  const f = b.subarray(from, from + len);
  const z = f.indexOf(0);
  return decodeUtf8Lenient(z < 0 ? f : f.subarray(0, z));
};

const UTF8 = new TextDecoder('utf-8', { fatal: true });
function decodeUtf8Lenient(b: Uint8Array): string {
  try {
    return UTF8.decode(b);
  } catch {
    return decodeLatin1(b);
  }
}

/** Numeric field: octal (space/NUL padded) or GNU base-256 (high bit of the first byte). */
function num(b: Uint8Array, from: number, len: number, at: number): number {
  const f = b.subarray(from, from + len);
  if (f[0]! & 0x80) {
    if (f[0] !== 0x80) throw invalid('negative or oversized base-256 number', at + from);
    let n = 0;
    for (let i = 1; i < f.length; i++) {
      n = n * 256 + f[i]!;
      if (!Number.isSafeInteger(n)) throw invalid('base-256 number out of range', at + from);
    }
    return n;
  }
  const t = String.fromCharCode(...f).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (t === '') return 0;
  if (!/^[0-7]+$/.test(t)) throw invalid(`bad octal field ${JSON.stringify(t)}`, at + from);
  const n = Number.parseInt(t, 8);
  if (!Number.isSafeInteger(n)) throw invalid('octal number out of range', at + from);
  return n;
}

/** Header checksum: the sum of all bytes with the checksum field read as spaces (unsigned or signed, as tarfile accepts). */
function checksumOk(h: Uint8Array, at: number): boolean {
  const stored = num(h, 148, 8, at);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK_BYTES; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** PAX records "<len> <key>=<value>\n", len counting the whole record. */
function parsePax(data: Uint8Array, at: number): Map<string, string> {
  const out = new Map<string, string>();
  let p = 0;
  while (p < data.length) {
    if (data[p] === 0) break;
    const sp = data.indexOf(0x20, p);
    const lenText = sp < 0 ? '' : String.fromCharCode(...data.subarray(p, sp));
    if (!/^[0-9]{1,8}$/.test(lenText)) throw invalid('bad PAX record length', at + p);
    const len = Number(lenText);
    if (len <= sp - p + 1 || p + len > data.length || data[p + len - 1] !== 0x0a) throw invalid('bad PAX record', at + p);
    const rec = decodeUtf8Lenient(data.subarray(sp + 1, p + len - 1));
    const eq = rec.indexOf('=');
    if (eq <= 0) throw invalid('PAX record without key=value', at + p);
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    p += len;
  }
  return out;
}

/**
 * Lists a tar archive (ustar, PAX extended headers, GNU long names/links; torch ≤ 0.3 checkpoints
 * are PAX tars, formats.md §7.3) by reading only its headers. Every header checksum is verified;
 * malformed headers, truncated members, sparse files and unknown type flags raise TAR_INVALID;
 * more members than `maxArchiveMembers` raises LIMIT_EXCEEDED. Unsafe names are anomalies.
 */
export function readTar(src: ByteSource, limits: Limits): TarMember[] {
  const members: TarMember[] = [];
  let p = 0;
  let pax = new Map<string, string>();
  let globalPax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  while (p < src.size) {
    const h = src.read(p, TAR_BLOCK_BYTES);
    if (h.length < TAR_BLOCK_BYTES) throw invalid('truncated header', p);
    if (h.every((b) => b === 0)) break; // end-of-archive marker (a second zero block and padding follow)
    if (!checksumOk(h, p)) throw invalid('header checksum mismatch', p + 148);
    const flag = String.fromCharCode(h[156]!);
    const magic = String.fromCharCode(...h.subarray(257, 263));
    const ustar = magic === 'ustar\0';
    let size = num(h, 124, 12, p);
    const dataOffset = p + TAR_BLOCK_BYTES;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      checkLimit('maxTarMetaBytes', size, MAX_TAR_META_BYTES, { offset: p + 124 });
      const data = src.read(dataOffset, size);
      if (data.length < size) throw invalid('truncated extended header', dataOffset);
      if (flag === 'x') pax = parsePax(data, dataOffset);
      else if (flag === 'g') globalPax = new Map([...globalPax, ...parsePax(data, dataOffset)]);
      else if (flag === 'L') longName = str(data, 0, data.length);
      else longLink = str(data, 0, data.length);
      p = dataOffset + padded(size);
      continue;
    }
    const type = TYPES[flag];
    if (type === undefined) throw invalid(`unsupported tar member type ${JSON.stringify(flag)}`, p + 156);
    checkLimit('maxArchiveMembers', members.length + 1, limits.maxArchiveMembers, { offset: p });
    const ext = new Map([...globalPax, ...pax]);
    const prefix = ustar ? str(h, 345, 155) : '';
    const written = ext.get('path') ?? longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    // tarfile strips the trailing slash of directory names.
    const name = type === 'directory' && written.length > 1 ? written.replace(/\/+$/, '') : written;
    const linkName = ext.get('linkpath') ?? longLink ?? str(h, 157, 100);
    if (ext.has('size')) {
      const s = ext.get('size')!;
      if (!/^[0-9]{1,15}$/.test(s)) throw invalid('bad PAX size', p);
      size = Number(s);
    }
    if (ext.has('GNU.sparse.major') || ext.has('GNU.sparse.size')) throw invalid('sparse members are not supported', p);
    // Only regular files carry data in the archive; tarfile skips the declared size of others too.
    const stored = type === 'file' ? size : type === 'directory' || type === 'symlink' || type === 'hardlink' ? 0 : size;
    if (dataOffset + stored > src.size) throw invalid(`data of ${JSON.stringify(name)} runs past the end of the archive`, p + 124);
    const anomalies: TarAnomaly[] = [];
    const why = unsafeNameReason(name);
    if (why) anomalies.push({ code: 'ZIP_UNSAFE_NAME', message: `${why}: ${JSON.stringify(name)}`, offset: p });
    if ((type === 'symlink' || type === 'hardlink') && unsafeNameReason(linkName)) {
      anomalies.push({ code: 'ZIP_UNSAFE_NAME', message: `link target ${JSON.stringify(linkName)} leaves the archive`, offset: p + 157 });
    }
    members.push({
      name, type, typeFlag: flag, size: type === 'file' ? size : 0, headerOffset: p, dataOffset,
      ...(type === 'symlink' || type === 'hardlink' ? { linkName } : {}), anomalies,
    });
    p = dataOffset + padded(stored);
    pax = new Map();
    longName = undefined;
    longLink = undefined;
  }
  return members;
}
