/**
 * File-level entry points (still pure: bytes in, bytes out; the caller does I/O and scanning):
 * sniff the content, decompress joblib containers, run the inert pickle VM, convert, encode the
 * artifact and check parity between the in-memory conversion and the decoded artifact.
 */
import { DEFAULT_LIMITS, MvError, isMvError, type ByteSource, type Limits } from '../core/index.js';
import { decompress, type CompressionKind } from '../formats/compress/index.js';
import { parsePickle, type PyValue } from '../formats/pickle/index.js';
import { sniff, SNIFF_HEAD_BYTES, SNIFF_TAIL_BYTES, type SniffKind } from '../formats/sniff/index.js';
import { parseLightgbmModel } from '../formats/lightgbm/index.js';
import { parseXgboostModel } from '../formats/xgboost/index.js';
import {
  compileModel, encodeArtifact, loadModel, predict,
  type Cell, type IrTensor, type Method, type Model, type ModelDescription, type ModelIR, type Op, type Provenance,
} from '../runtime/index.js';
import { CONVERTER_VERSION, convertGraph, type ConvertReport } from './graph.js';
import { lightgbmToDescription } from './lightgbm.js';
import { xgboostToDescription } from './xgboost.js';
import { convertTorch, type TorchConversion } from './torch.js';

const COMPRESSED: readonly SniffKind[] = ['gzip', 'zlib', 'bz2', 'xz', 'lzma', 'lz4', 'joblib-zf'];

/** A legacy file opened for conversion or inspection. */
export type OpenedFile =
  | { readonly kind: 'pickle'; readonly sniffed: SniffKind; readonly compression?: CompressionKind; readonly container: 'joblib' | 'pickle'; readonly protocol: number; readonly value: PyValue }
  | { readonly kind: 'torch'; readonly sniffed: SniffKind }
  | { readonly kind: 'other'; readonly sniffed: SniffKind; readonly detail?: string };

export function sniffBytes(bytes: Uint8Array): { kind: SniffKind; detail?: string } {
  const s = sniff(bytes.subarray(0, SNIFF_HEAD_BYTES), bytes.subarray(Math.max(0, bytes.length - SNIFF_TAIL_BYTES)), bytes.length);
  return s.detail !== undefined ? { kind: s.kind, detail: s.detail } : { kind: s.kind };
}

/** Sniffs, decompresses and parses a pickle/joblib file into its inert graph; torch and others are only classified. */
export async function openModelFile(bytes: Uint8Array, limits: Limits = DEFAULT_LIMITS): Promise<OpenedFile> {
  const s = sniffBytes(bytes);
  if (s.kind === 'zip' || s.kind === 'torch-legacy') return { kind: 'torch', sniffed: s.kind };
  let data = bytes;
  let compression: CompressionKind | undefined;
  if (COMPRESSED.includes(s.kind)) {
    compression = s.kind as CompressionKind;
    data = await decompress(compression, bytes, limits);
  } else if (s.kind !== 'pickle' && s.kind !== 'pickle-text') {
    return { kind: 'other', sniffed: s.kind, ...(s.detail ? { detail: s.detail } : {}) };
  }
  const r = parsePickle(data, { profile: 'joblib', limits });
  if (r.error) throw r.error;
  if (r.value === undefined) throw new MvError('CONVERT_UNSUPPORTED', 'the pickle holds no value');
  const joblib = compression !== undefined || r.events.some((e) => e.kind === 'array-payload' || e.kind === 'nested');
  return {
    kind: 'pickle', sniffed: s.kind, ...(compression ? { compression } : {}),
    container: joblib ? 'joblib' : 'pickle', protocol: r.proto, value: r.value,
  };
}

// ── parity ──────────────────────────────────────────────────────────────────────────────────────

type Known = Map<number, readonly (string | number)[]>;

/** Categories each input column feeds into (first one-hot/ordinal that reads it), for synthetic rows. */
function textCategories(op: Op, cols: readonly number[], out: Known, tensors?: ReadonlyMap<string, IrTensor>): void {
  switch (op.kind) {
    case 'one-hot':
    case 'ordinal':
      op.categories.forEach((c, j) => {
        const src = cols[j];
        if (src === undefined || out.has(src)) return;
        if (c.kind === 'string') out.set(src, c.values);
        else {
          const d = tensors?.get(c.values.tensor)?.data;
          if (d && d.length) out.set(src, Array.from({ length: d.length }, (_, k) => Number(d[k])).filter((x) => !Number.isNaN(x)));
        }
      });
      return;
    case 'column-select':
      return;
    case 'concat':
      for (const p of op.parts) textCategories(p, cols, out, tensors);
      return;
    case 'multi-output':
    case 'vote':
      for (const e of op.estimators) textCategories(e, cols, out, tensors);
      return;
    case 'pipeline': {
      let c = cols;
      for (const s of op.steps) {
        if (s.kind === 'column-select') c = s.columns.map((j) => c[j]!);
        else if (s.kind === 'impute') {
          const keep = s.keep.map((j) => c[j]!);
          textCategories(s, c, out, tensors);
          c = keep;
        } else {
          textCategories(s, c, out, tensors);
          if (s.kind !== 'identity') return;
        }
      }
      return;
    }
    case 'impute':
      if (op.text_statistics) op.text_statistics.forEach((t, j) => { if (t !== null && cols[j] !== undefined && !out.has(cols[j]!)) out.set(cols[j]!, [t]); });
      return;
    default:
      return;
  }
}

/** Deterministic synthetic rows (a fixed LCG, no clock or randomness): numbers in [−2, 2), known categories where an encoder reads the column. */
export function syntheticRows(ir: ModelIR, n: number, tensors?: ReadonlyMap<string, IrTensor>): Cell[][] {
  const cats: Known = new Map();
  textCategories(ir.graph, ir.input.features.map((_, j) => j), cats, tensors);
  let state = 0x2545f491;
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  return Array.from({ length: n }, () =>
    ir.input.features.map((f, j): Cell => {
      const u = next();
      const known = cats.get(j);
      if (known && known.length) return known[Math.floor(u * known.length)]!;
      if (f.type === 'string') return 'a';
      if (f.type === 'category') return Math.floor(u * 4);
      return Math.round((u * 4 - 2) * 1e6) / 1e6;
    }),
  );
}

export interface ParityResult {
  readonly rows: number;
  readonly methods: readonly Method[];
  /** Set when the synthetic rows could not be predicted (e.g. unknown categories with handle_unknown='error'). */
  readonly skipped?: string;
}

const sameValue = (a: unknown, b: unknown): boolean => a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));

/**
 * Predicts synthetic rows with the decoded artifact and with the in-memory conversion (compiled
 * without encoding) and requires identical results for every method; CONVERT_PARITY_FAILED otherwise.
 */
export function checkParity(artifact: Model, ir: ModelIR, tensors: ReadonlyMap<string, IrTensor>, n = 16): ParityResult {
  const direct = compileModel({ ir, tensors, bytes: 0 });
  const rows = syntheticRows(ir, n, tensors);
  const methods: Method[] = [];
  for (const m of artifact.methods) {
    let a;
    let b;
    try {
      a = predict(artifact, rows, { method: m });
      b = predict(direct, rows, { method: m });
    } catch (e) {
      if (isMvError(e) && e.code === 'INPUT_INVALID') return { rows: 0, methods, skipped: e.message };
      throw e;
    }
    const da = Array.from(a.data as ArrayLike<unknown>);
    const db = Array.from(b.data as ArrayLike<unknown>);
    if (a.shape.join() !== b.shape.join() || da.length !== db.length || da.some((v, i) => !sameValue(v, db[i]))) {
      throw new MvError('CONVERT_PARITY_FAILED', `${m} differs between the artifact and the conversion`);
    }
    methods.push(m);
  }
  return { rows: n, methods };
}

// ── convert a file ──────────────────────────────────────────────────────────────────────────────

function torchConversion(input: Uint8Array | ByteSource, sniffed: SniffKind, opts: ConvertFileOptions, limits: Limits): FileConversion {
  const { bytes: out, conversion } = convertTorch(input, {
    limits, sourceSha256: opts.sourceSha256, created: opts.created, ...(opts.converterVersion ? { converterVersion: opts.converterVersion } : {}),
  });
  return { kind: 'tensors', bytes: out, source: { sniffed, container: `torch-${conversion.format}` }, torch: conversion };
}

/** XGBoost JSON/UBJSON and LightGBM text models, through the runtime engineer's readers and mappers. */
function libraryModel(bytes: Uint8Array, kind: SniffKind): { description: ModelDescription; tensors: ReadonlyMap<string, IrTensor>; library: { name: string; version: string }; notes: string[] } | undefined {
  if (kind === 'xgboost-json' || kind === 'xgboost-ubj') {
    const m = parseXgboostModel(bytes);
    const c = xgboostToDescription(m);
    return { ...c, library: { name: 'xgboost', version: m.version.join('.') || 'unknown' }, notes: [`XGBoost ${m.booster} booster, objective ${m.objective}`] };
  }
  if (kind === 'lightgbm') {
    const m = parseLightgbmModel(bytes);
    const c = lightgbmToDescription(m);
    return { ...c, library: { name: 'lightgbm', version: m.version }, notes: [`LightGBM objective ${m.objective?.name ?? 'custom'}`] };
  }
  return undefined;
}

export interface ConvertFileOptions {
  readonly sourceSha256: string;
  readonly created: string;
  readonly limits?: Limits;
  readonly converterVersion?: string;
  /** Run the parity check (default true). */
  readonly parity?: boolean;
}

export type FileConversion =
  | {
    /** A modelvault/1 artifact (scikit-learn, XGBoost, LightGBM). */
    readonly kind: 'model';
    readonly bytes: Uint8Array;
    readonly source: { readonly sniffed: SniffKind; readonly container: string; readonly compression?: string; readonly protocol?: number };
    readonly report: ConvertReport;
    readonly ir: ModelIR;
    readonly parity?: ParityResult;
  }
  | {
    /** Plain safetensors of every tensor of a PyTorch checkpoint. */
    readonly kind: 'tensors';
    readonly bytes: Uint8Array;
    readonly source: { readonly sniffed: SniffKind; readonly container: string };
    readonly torch: TorchConversion;
  };

/**
 * Converts a legacy model file (already scanned clean by the caller): joblib/pickle of
 * scikit-learn → modelvault/1 artifact; PyTorch checkpoint → plain safetensors.
 */
export async function convertFile(input: Uint8Array | ByteSource, opts: ConvertFileOptions): Promise<FileConversion> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  // A large PyTorch zip is read member by member from a ByteSource; everything else is read whole.
  if (!(input instanceof Uint8Array)) {
    const s = sniff(input.read(0, SNIFF_HEAD_BYTES), input.read(Math.max(0, input.size - SNIFF_TAIL_BYTES), SNIFF_TAIL_BYTES), input.size);
    if (s.kind === 'zip') return torchConversion(input, s.kind, opts, limits);
    if (input.size > limits.maxInputBytes) throw new MvError('LIMIT_EXCEEDED', `input is ${input.size} bytes`, { limit: 'maxInputBytes', actual: input.size });
    return convertFile(input.read(0, input.size), opts);
  }
  const bytes = input;
  const opened = await openModelFile(bytes, limits);
  if (opened.kind === 'torch') return torchConversion(bytes, opened.sniffed, opts, limits);

  if (opened.kind === 'other') {
    const lib = libraryModel(bytes, opened.sniffed);
    if (!lib) {
      const hint = opened.sniffed === 'safetensors' ? ': it is already safetensors, nothing to convert' : opened.detail ? ` (${opened.detail})` : '';
      throw new MvError('CONVERT_UNSUPPORTED', `cannot convert ${opened.sniffed} content${hint}`);
    }
    const provenance: Provenance = {
      source_sha256: opts.sourceSha256, source_format: opened.sniffed, library: lib.library,
      converter: { name: 'modelvault', version: opts.converterVersion ?? CONVERTER_VERSION }, created: opts.created,
    };
    const ir: ModelIR = { version: 1, ...lib.description, provenance };
    const out = encodeArtifact(lib.description, lib.tensors, provenance);
    const parity = opts.parity === false ? undefined : checkParity(loadModel(out), ir, lib.tensors);
    let tensorBytes = 0;
    for (const t of lib.tensors.values()) tensorBytes += t.data.byteLength;
    const report: ConvertReport = {
      root: opened.sniffed, estimators: [], library: lib.library, role: lib.description.output.kind, notes: lib.notes,
      tensorCount: lib.tensors.size, tensorBytes,
    };
    return { kind: 'model', bytes: out, report, ir, source: { sniffed: opened.sniffed, container: opened.sniffed }, ...(parity ? { parity } : {}) };
  }
  const c = convertGraph(opened.value, {
    sourceSha256: opts.sourceSha256, created: opts.created, sourceFormat: opened.container,
    ...(opts.converterVersion ? { converterVersion: opts.converterVersion } : {}),
  });
  const out = encodeArtifact(c.ir, c.tensors, c.ir.provenance);
  const parity = opts.parity === false ? undefined : checkParity(loadModel(out), c.ir, c.tensors);
  return {
    kind: 'model', bytes: out, report: c.report, ir: c.ir,
    source: { sniffed: opened.sniffed, container: opened.container, ...(opened.compression ? { compression: opened.compression } : {}), protocol: opened.protocol },
    ...(parity ? { parity } : {}),
  };
}
