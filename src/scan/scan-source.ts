import { bytesSource, isMvError, MvError, sha256Hex, withLimits, type ByteSource, type Limits } from '../core/index.js';
import { decompress, type CompressionKind } from '../formats/compress/index.js';
import { parseNpy } from '../formats/npy/index.js';
import { parsePickle, type PickleResult } from '../formats/pickle/index.js';
import { parseSafetensors } from '../formats/safetensors/index.js';
import { sniff, type Sniffed } from '../formats/sniff/index.js';
import { readTar } from '../formats/tar/index.js';
import { checkZipCrc, readZip, readZipMember, type ZipArchive, type ZipMember } from '../formats/zip/index.js';
import type { Profile } from './allowlist.js';
import { DEFAULT_POLICY, type Policy } from './classify.js';
import { judgeKerasConfig } from './keras.js';
import { judgeOnnx } from './onnx.js';
import { verdictOf, type FileReport, type Finding, type GlobalUse, type MemberReport, type ScanError, type Severity } from './report.js';
import { judgePickle, type Sink } from './rules.js';
import { judgeLegacyTorch, LEGACY_TORCH_MAGIC } from './torch-legacy.js';

export interface ScanOptions {
  readonly limits?: Partial<Limits>;
  readonly policy?: Policy;
  /** Lowest severity that blocks a file (default `medium`). */
  readonly threshold?: Severity;
  /** Milliseconds clock, passed in (rank 2 code does not read the clock itself). */
  readonly now?: () => number;
  /** Hash the whole file even when it is large (reads tensor bytes). */
  readonly hash?: boolean;
}

/** Members at most this large are read whole; bigger stored members are only sniffed by their head. */
const SNIFF_HEAD = 512;
const SNIFF_TAIL = 64 * 1024;
/** Bytes read for an alternative (secondary) reading of a large input. */
const ALTERNATIVE_READ_BYTES = 1024 * 1024;
/** Files up to this size are hashed in every report; larger ones only with `hash: true`. */
const HASH_FREE_BYTES = 4 * 1024 * 1024;
/** A non-pickle member above this size (e.g. tensor data) is accounted for without being read. */
const DATA_MEMBER_READ_LIMIT = 64 * 1024 * 1024;

class FileScan implements Sink {
  readonly findings: Finding[] = [];
  readonly errors: ScanError[] = [];
  readonly members: MemberReport[] = [];
  private readonly globalCounts = new Map<string, GlobalUse & { count: number }>();
  member?: string;
  /**
   * > 0 while reading the input a second way (joblib as a plain pickle, an alternative sniff reading):
   * only critical findings not already made are kept, errors of that reading are expected and dropped.
   */
  private secondary = 0;

  constructor(readonly limits: Limits, readonly policy: Policy, readonly deadline: number, readonly now: () => number) {}

  finding(f: Omit<Finding, 'member'>): void {
    const full: Finding = this.member ? { ...f, member: this.member } : f;
    if (this.secondary > 0) {
      if (f.severity !== 'critical') return;
      if (this.findings.some((x) => x.rule === full.rule && x.offset === full.offset && x.member === full.member)) return;
    }
    this.findings.push(full);
  }
  error(e: Omit<ScanError, 'member'>): void {
    if (this.secondary > 0) return;
    this.errors.push(this.member ? { ...e, member: this.member } : e);
  }
  /** Runs a second reading of the same bytes (see `secondary`). */
  async alsoAs(fn: () => Promise<unknown>): Promise<void> {
    this.secondary++;
    try {
      await fn();
    } catch {
      // A second reading that fails proves nothing; the primary reading decides completeness.
    } finally {
      this.secondary--;
    }
  }
  alsoAsSync(fn: () => void): void {
    this.secondary++;
    try {
      fn();
    } catch {
      // as above
    } finally {
      this.secondary--;
    }
  }
  fail(e: unknown): void {
    if (isMvError(e)) this.error({ code: e.code, message: e.message, ...(e.at.offset !== undefined ? { offset: e.at.offset } : {}) });
    else this.error({ code: 'INTERNAL', message: `unexpected error: ${e instanceof Error ? e.message : String(e)}` });
  }
  global(module: string, name: string, allowed: boolean): void {
    if (this.secondary > 0) return;
    const k = `${module}.${name}`;
    const g = this.globalCounts.get(k);
    if (g) g.count++;
    else this.globalCounts.set(k, { module, name, count: 1, verdict: allowed ? 'allowed' : 'blocked' });
  }
  get globals(): GlobalUse[] {
    return [...this.globalCounts.values()].sort((a, b) => (a.module + a.name < b.module + b.name ? -1 : 1));
  }
  checkTime(): void {
    if (this.now() > this.deadline) {
      throw new MvError('LIMIT_EXCEEDED', `scan took longer than ${this.limits.maxMillisPerFile} ms`, { limit: 'maxMillisPerFile' });
    }
  }
  /** Runs `fn` with findings attributed to a member path; restores the outer path after. */
  async within<T>(member: string, fn: () => Promise<T>): Promise<T> {
    const outer = this.member;
    this.member = outer ? `${outer}#${member}` : member;
    try {
      return await fn();
    } finally {
      this.member = outer;
    }
  }
}

/**
 * Scans one input, recognised by content, and returns its report. Never throws for bad input:
 * anything that cannot be fully analysed becomes an error entry and the file is `incomplete`.
 */
export async function scanSource(src: ByteSource, path: string, opts: ScanOptions = {}): Promise<FileReport> {
  const limits = withLimits(opts.limits);
  const now = opts.now ?? (() => 0);
  const start = now();
  const s = new FileScan(limits, opts.policy ?? DEFAULT_POLICY, start + limits.maxMillisPerFile, now);
  let format = 'unknown';
  try {
    if (src.size > limits.maxInputBytes) {
      throw new MvError('LIMIT_EXCEEDED', `input is ${src.size} bytes`, { limit: 'maxInputBytes', actual: src.size });
    }
    const sniffed = sniffSource(src);
    format = sniffed.kind;
    await scanContent(s, src, sniffed, 0);
  } catch (e) {
    s.fail(e);
  }
  // Hashing is free for small files (already in memory); for large ones it would read every tensor byte.
  const sha256 = opts.hash || src.size <= HASH_FREE_BYTES ? sha256Hex(src.read(0, src.size)) : undefined;
  return finish(s, path, src.size, format, sha256, opts.threshold ?? 'medium', now() - start);
}

function finish(s: FileScan, path: string, size: number, format: string, sha256: string | undefined, threshold: Severity, millis: number): FileReport {
  const verdict = verdictOf(s.findings, s.errors, threshold);
  const reason =
    verdict === 'clean' ? undefined
      : verdict === 'incomplete' ? `could not be fully analysed: ${s.errors[0]?.code}: ${s.errors[0]?.message}`
        : (s.findings.find((f) => f.severity === 'critical') ?? s.findings[0])?.message;
  return {
    path, size, ...(sha256 ? { sha256 } : {}), format,
    status: verdict === 'clean' ? 'clean' : 'blocked',
    ...(verdict === 'clean' ? {} : { class: verdict }),
    ...(reason ? { reason } : {}),
    members: s.members, findings: s.findings, errors: s.errors, globals: s.globals, millis,
  };
}

function sniffSource(src: ByteSource): Sniffed {
  const head = src.read(0, SNIFF_HEAD);
  const tail = src.read(Math.max(0, src.size - SNIFF_TAIL), Math.min(SNIFF_TAIL, src.size));
  return sniff(head, tail, src.size);
}

const COMPRESSED = new Set<string>(['gzip', 'zlib', 'bz2', 'xz', 'lzma', 'lz4', 'joblib-zf']);

/**
 * Dispatches on the sniffed kind.
 */
async function scanContent(s: FileScan, src: ByteSource, sn: Sniffed, depth: number): Promise<void> {
  s.checkTime();
  if (depth > s.limits.maxContainerDepth) {
    throw new MvError('LIMIT_EXCEEDED', `containers nested deeper than ${s.limits.maxContainerDepth}`, { limit: 'maxContainerDepth', actual: depth });
  }
  for (const alt of sn.alternatives ?? []) {
    // The same bytes read another way (a zip with a prefix torch.load would unpickle, a safetensors length
    // prefix that also starts a protocol-0 pickle): a payload visible that way is reported too. Only the
    // first MiB is read that way: a polyglot's other reading starts at byte 0, and tensor bytes stay unread.
    const head = src.size > ALTERNATIVE_READ_BYTES ? bytesSource(src.read(0, ALTERNATIVE_READ_BYTES)) : src;
    await s.alsoAs(() => scanContent(s, head, { kind: alt }, depth + 1));
  }
  const kind = sn.kind;
  if (COMPRESSED.has(kind)) {
    const data = await decompress(kind as CompressionKind, src.read(0, src.size), s.limits);
    const inner = bytesSource(data);
    await s.within(`(${kind})`, async () => { await scanContent(s, inner, sniffSource(inner), depth + 1); });
    return;
  }
  switch (kind) {
    case 'zip':
      await scanZip(s, src, depth);
      return;
    case 'tar':
      await scanTar(s, src, depth);
      return;
    case 'pickle':
    case 'pickle-text':
      scanPickleStream(s, src.read(0, src.size), 'pickle');
      return;
    case 'torch-legacy':
      judgeLegacyTorch(src.read(0, src.size), { policy: s.policy, sink: s, limits: s.limits, parse: parsePickle });
      return;
    case 'npy':
      scanNpy(s, src.read(0, src.size));
      return;
    case 'safetensors':
      // Header validation only (formats.md §8); tensor bytes are data and are not read.
      parseSafetensors(src);
      return;
    case 'hdf5': {
      // Loaded on demand: the HDF5 reader is large and most scans never need it.
      const { readKerasH5Config } = await import('../formats/hdf5/index.js');
      const cfg = readKerasH5Config(src.read(0, src.size));
      if (cfg.modelConfig === undefined && cfg.trainingConfig === undefined) {
        throw new MvError('FORMAT_UNSUPPORTED', 'HDF5 file without a Keras model_config attribute: not a model format modelvault can analyse');
      }
      judgeKerasConfig(cfg.modelConfig, s);
      judgeKerasConfig(cfg.trainingConfig, s);
      return;
    }
    case 'onnx': {
      const { readOnnx } = await import('../formats/onnx/index.js');
      judgeOnnx(readOnnx(src.read(0, src.size), s.limits), s);
      return;
    }
    case 'xgboost-json':
    case 'xgboost-ubj':
    case 'lightgbm':
      // Data-only formats: nothing in them is executed by their loaders. Their structure is validated by
      // `convert`; the scanner records them as data.
      return;
    case '7z':
    case 'rar':
    case 'zstd':
      throw new MvError('FORMAT_UNSUPPORTED', `${kind} archives cannot be opened by modelvault: extract them and scan the contents`);
    default:
      throw new MvError('FORMAT_UNKNOWN', `not a recognised model format (${sn.kind}${'detail' in sn && sn.detail ? `: ${sn.detail}` : ''})`);
  }
}

/**
 * A pickle file: stacked pickles are read to the end (threats.md §6); bytes after the last STOP that do
 * not start another pickle are an anomaly. joblib files are read twice: with the joblib hook (inline
 * arrays skipped by length, the way joblib.load reads them) and as a plain pickle up to its first error
 * (the way pickle.load would run it), so nothing hidden in "array bytes" escapes.
 */
function scanPickleStream(s: FileScan, bytes: Uint8Array, profile: Profile): void {
  let offset = 0;
  let first = true;
  const values: unknown[] = [];
  while (offset < bytes.length) {
    s.checkTime();
    // The second pickle of a legacy torch file is the main one, with storage persistent ids.
    const legacyMain = values.length === 3 && values[1] === 1001;
    const r = parsePickle(bytes, { limits: s.limits, start: offset, profile: profile === 'torch' || legacyMain ? 'torch' : 'joblib' });
    values.push(r.value);
    if (values.length === 2 && r.value === 1001 && !isLiteralTorchMagic(values[0])) {
      // A legacy torch layout (magic, 1001, sys_info, …) whose magic is not the literal number: the sniffer
      // did not recognise it, but torch.load would (GHSA-97f8-7cmv-76j2).
      s.finding({ rule: 'SCAN_TORCH_MAGIC', severity: 'critical', offset: 0,
        message: 'stacked pickles laid out like a legacy PyTorch file whose magic number is not the literal 0x1950a86a20f9469cfc6c' });
    }
    judgePickle(r, { policy: s.policy, profile: legacyMain ? 'torch' : profile, sink: s });
    if (usesJoblibWrapper(r)) {
      const start = offset;
      s.alsoAsSync(() => judgePickle(parsePickle(bytes, { limits: s.limits, start, profile: 'plain' }), { policy: s.policy, profile, sink: s }));
    }
    if (r.error) return;
    offset = r.end;
    first = false;
    if (offset < bytes.length && !startsPickle(bytes, offset)) {
      s.error({ code: 'PICKLE_TRAILING_BYTES', offset, message: `${bytes.length - offset} bytes follow the last STOP` });
      return;
    }
  }
  if (first) s.error({ code: 'PICKLE_NO_STOP', offset: 0, message: 'empty pickle' });
}

const isLiteralTorchMagic = (v: unknown): boolean => v === LEGACY_TORCH_MAGIC;

function usesJoblibWrapper(r: PickleResult): boolean {
  return r.events.some((e) => e.kind === 'array-payload' || e.kind === 'nested');
}

/** Protocol 2+ starts with PROTO; protocol 0/1 with an opcode of the text set (confirmed by parsing). */
function startsPickle(b: Uint8Array, at: number): boolean {
  const c = b[at]!;
  if (c === 0x80) return (b[at + 1] ?? 99) <= 5;
  return '(c}])ILSVNFGJKMXUTqpgh'.includes(String.fromCharCode(c));
}

function scanNpy(s: FileScan, bytes: Uint8Array): void {
  const npy = parseNpy(bytes);
  if (npy.isObject) {
    scanPickleStream(s, bytes.subarray(npy.dataOffset), 'pickle');
    return;
  }
  // Plain data must be exactly what the header declares: no hidden tail, no short array.
  const have = bytes.length - npy.dataOffset;
  if (npy.dataBytes !== undefined && have !== npy.dataBytes) {
    s.error({ code: 'NPY_HEADER_INVALID', offset: npy.dataOffset, message: `the header declares ${npy.dataBytes} data bytes, the file has ${have}` });
  }
}

function memberKind(s: FileScan, src: ByteSource, m: ZipMember): Promise<{ sniffed: Sniffed; bytes?: Uint8Array }> {
  return (async () => {
    const head = readZipMember(src, m, s.limits, SNIFF_HEAD);
    if (m.uncompressedSize <= DATA_MEMBER_READ_LIMIT || m.method !== 0) {
      const bytes = readZipMember(src, m, s.limits);
      const tail = bytes.subarray(Math.max(0, bytes.length - SNIFF_TAIL));
      return { sniffed: sniff(bytes.subarray(0, SNIFF_HEAD), tail, bytes.length), bytes };
    }
    const tailStart = Math.max(0, m.uncompressedSize - SNIFF_TAIL);
    const tail = src.read(m.dataOffset + tailStart, m.uncompressedSize - tailStart);
    return { sniffed: sniff(head, tail, m.uncompressedSize) };
  })();
}

/** Torch zip layout: `<prefix>/data.pkl` plus raw storages `<prefix>/data/<key>` (formats.md §7.1). */
function torchLayout(zip: ZipArchive): { prefix: string; script: boolean; storages: Set<string> } | undefined {
  const pkl = zip.members.find((m) => /^([^/]+\/)?data\.pkl$/.test(m.name));
  if (!pkl) return undefined;
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const script = zip.members.some((m) => m.name.startsWith(`${prefix}code/`) || m.name === `${prefix}constants.pkl`);
  return { prefix, script, storages: new Set(zip.members.filter((m) => m.name.startsWith(`${prefix}data/`)).map((m) => m.name)) };
}

/** Storage members larger than this are only sniffed by their head, never read whole. */
const STORAGE_SECOND_READ_BYTES = 1024 * 1024;

async function sniffStorage(s: FileScan, src: ByteSource, m: ZipMember, depth: number): Promise<void> {
  const head = readZipMember(src, m, s.limits, SNIFF_HEAD);
  const sn = sniff(head, new Uint8Array(0), m.uncompressedSize);
  // Only multi-byte magics: a PROTO-less pickle's first byte is a plain ASCII character, which random tensor
  // bytes start with one time in ten.
  if (!['pickle', 'zip', 'npy', 'torch-legacy', 'gzip', 'bz2', 'xz', 'lzma', 'lz4', 'joblib-zf'].includes(sn.kind)) return;
  const bytes = readZipMember(src, m, s.limits, STORAGE_SECOND_READ_BYTES);
  await s.alsoAs(() => scanContent(s, bytesSource(bytes), sniffSource(bytesSource(bytes)), depth + 1));
}

const TORCH_METADATA = /^(version|byteorder|\.format_version|\.storage_alignment|\.data\/serialization_id|\.data\/version)$/;

async function scanZip(s: FileScan, src: ByteSource, depth: number): Promise<void> {
  const zip = readZip(src, s.limits);
  for (const a of zip.anomalies) s.finding({ rule: a.code, severity: 'low', offset: a.offset, message: a.message });
  const torch = torchLayout(zip);
  if (torch?.script) {
    s.finding({ rule: 'SCAN_TORCHSCRIPT', severity: 'high', message: 'TorchScript archive: it carries code (code/, constants.pkl) that torch.jit.load runs' });
  }
  const isKeras = zip.members.some((m) => m.name === 'config.json') && zip.members.some((m) => m.name === 'metadata.json' || m.name.endsWith('.weights.h5'));
  for (const m of zip.members) {
    s.checkTime();
    if (m.isDirectory) continue;
    await s.within(m.name, async () => {
      for (const a of m.anomalies) s.finding({ rule: a.code, severity: 'low', offset: a.offset, message: a.message });
      try {
        if (torch && torch.storages.has(m.name)) {
          // Raw tensor bytes, referenced by the pickle's storage ids: accounted for, never loaded by torch as
          // anything else. Still sniffed (threats.md §5.6): content that looks like a pickle or an archive is
          // read a second way, keeping only critical findings, so random tensor bytes cannot cause a false alarm.
          s.members.push({ name: m.name, format: 'tensor-data', size: m.uncompressedSize, action: 'tensor-data' });
          await sniffStorage(s, src, m, depth);
          return;
        }
        if (torch?.script && m.name.startsWith(`${torch.prefix}code/`)) {
          s.members.push({ name: m.name, format: 'torchscript-code', size: m.uncompressedSize, action: 'data' });
          return;
        }
        if (torch && TORCH_METADATA.test(m.name.slice(torch.prefix.length))) {
          s.members.push({ name: m.name, format: 'torch-metadata', size: m.uncompressedSize, action: 'data' });
          return;
        }
        const { sniffed, bytes } = await memberKind(s, src, m);
        if (bytes) {
          const crc = checkZipCrc(m, bytes);
          if (crc) s.finding({ rule: crc.code, severity: 'low', offset: crc.offset, message: crc.message });
        }
        if (isKeras && m.name === 'config.json' && bytes) {
          s.members.push({ name: m.name, format: 'keras-config', size: bytes.length, action: 'scanned' });
          judgeKerasConfig(parseJsonMember(bytes), s);
          return;
        }
        if (isKeras && (sniffed.kind === 'json' || sniffed.kind === 'hdf5') && bytes) {
          // metadata.json and the weights file: HDF5 weights carry no config, JSON metadata no code.
          s.members.push({ name: m.name, format: sniffed.kind, size: bytes.length, action: 'data' });
          return;
        }
        s.members.push({ name: m.name, format: sniffed.kind, size: m.uncompressedSize, action: 'scanned' });
        if (m.encrypted && !['pickle', 'pickle-text', 'npy', 'zip'].includes(sniffed.kind)) {
          throw new MvError('ZIP_ENCRYPTED', 'encrypted member: its content cannot be analysed');
        }
        const inner = bytes ? bytesSource(bytes) : { size: m.uncompressedSize, read: (o: number, l: number) => src.read(m.dataOffset + o, Math.min(l, m.uncompressedSize - o)) };
        if (torch && /(^|\/)(data|constants)\.pkl$/.test(m.name) && sniffed.kind === 'pickle') {
          scanPickleStream(s, bytes!, 'torch');
          return;
        }
        if (torch && sniffed.kind === 'unknown' && m.name.startsWith(torch.prefix)) {
          throw new MvError('FORMAT_UNKNOWN', 'member of a PyTorch archive that is neither a pickle nor referenced tensor data');
        }
        await scanContent(s, inner, sniffed, depth + 1);
      } catch (e) {
        s.fail(e);
      }
    });
  }
  if (zip.members.length === 0) s.error({ code: 'ZIP_INVALID', message: 'empty archive: nothing to scan' });
}

function parseJsonMember(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new MvError('FORMAT_UNKNOWN', 'config.json is not valid UTF-8 JSON');
  }
}

async function scanTar(s: FileScan, src: ByteSource, depth: number): Promise<void> {
  const members = readTar(src, s.limits);
  const names = new Set(members.map((m) => m.name));
  const legacyTorch = ['sys_info', 'pickle', 'storages', 'tensors'].every((n) => names.has(n));
  for (const m of members) {
    if (m.type !== 'file') continue;
    s.checkTime();
    await s.within(m.name, async () => {
      try {
        const bytes = src.read(m.dataOffset, m.size);
        if (legacyTorch && ['sys_info', 'pickle', 'storages', 'tensors'].includes(m.name)) {
          // torch ≤ 0.3 tar: each member is a pickle, `storages`/`tensors` followed by raw data (formats.md §7.3).
          s.members.push({ name: m.name, format: 'pickle', size: m.size, action: 'scanned' });
          const r = parsePickle(bytes, { limits: s.limits, profile: 'torch' });
          judgePickle(r, { policy: s.policy, profile: 'torch', sink: s });
          return;
        }
        const inner = bytesSource(bytes);
        const sn = sniffSource(inner);
        s.members.push({ name: m.name, format: sn.kind, size: m.size, action: 'scanned' });
        await scanContent(s, inner, sn, depth + 1);
      } catch (e) {
        s.fail(e);
      }
    });
  }
  if (members.length === 0) s.error({ code: 'TAR_INVALID', message: 'empty archive: nothing to scan' });
}

