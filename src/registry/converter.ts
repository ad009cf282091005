/**
 * What ingestion does with each scanned format: store it as it is (data-only formats whose loaders run
 * no code) or convert it to a modelvault/1 artifact (everything that carries pickles). The table is
 * the single source of truth; docs/registry.md lists the same rows. Conversion itself is pluggable
 * (`Converter`) so the registry does not depend on which conversions exist yet.
 */
import { DEFAULT_LIMITS, MvError, indexUnique } from '../core/index.js';
import { COMPRESSION_KINDS, type CompressionKind } from '../formats/compress/index.js';
import type { JsonValue } from '../audit/index.js';

export interface FormatRule {
  /** Scanner format (`FileReport.format`, from formats/sniff). */
  readonly format: string;
  readonly action: 'store' | 'convert';
  readonly doc: string;
}

export const FORMAT_RULES: readonly FormatRule[] = [
  { format: 'safetensors', action: 'store', doc: 'Tensors only; modelvault/1 artifacts are safetensors with a model description.' },
  { format: 'onnx', action: 'store', doc: 'Protobuf graph of standard operators (custom domains and external data are blocked by the scan).' },
  { format: 'xgboost-json', action: 'store', doc: 'XGBoost JSON model: data only.' },
  { format: 'xgboost-ubj', action: 'store', doc: 'XGBoost UBJSON model: data only.' },
  { format: 'lightgbm', action: 'store', doc: 'LightGBM text model: data only.' },
  { format: 'pickle', action: 'convert', doc: 'Pickle / joblib: converted to a modelvault/1 artifact, never stored loadable.' },
  { format: 'pickle-text', action: 'convert', doc: 'Protocol 0/1 pickle: converted, never stored loadable.' },
  { format: 'zip', action: 'convert', doc: 'PyTorch zip checkpoint (pickle inside): converted, never stored loadable.' },
  { format: 'torch-legacy', action: 'convert', doc: 'Legacy PyTorch (pickle stream): converted, never stored loadable.' },
  { format: 'tar', action: 'convert', doc: 'PyTorch ≤ 0.3 tar (pickles inside): converted, never stored loadable.' },
  ...COMPRESSION_KINDS.map(({ kind }): FormatRule => ({ format: kind, action: 'convert', doc: `${kind}-compressed joblib/pickle: decompressed (capped), converted, never stored loadable.` })),
];
export const FORMAT_RULE_BY_NAME = indexUnique(FORMAT_RULES, (r) => r.format);

/** A legacy file to convert. `bytes` are the uploaded bytes (already scanned clean). */
export interface ConvertInput {
  readonly bytes: Uint8Array;
  readonly format: string;
  readonly fileName: string;
  readonly sourceDigest: string;
  /** ISO time recorded in the artifact's provenance. */
  readonly created: string;
}

export interface ConvertOutput {
  /** The safe artifact: a modelvault/1 artifact, or plain safetensors tensors (torch checkpoints). */
  readonly artifact: Uint8Array;
  readonly format: 'modelvault/1' | 'safetensors';
  /** JSON report stored in the version's provenance. */
  readonly report: JsonValue;
}

/** Converts a clean legacy upload to a safe artifact, or throws (CONVERT_UNSUPPORTED, …). */
export interface Converter {
  convert(input: ConvertInput): Promise<ConvertOutput>;
}

/** Largest legacy file the default converter reads into memory. */
export const MAX_CONVERT_BYTES = 512 * 1024 * 1024;

/**
 * The default converter: plain pickles and (compressed) joblib files of scikit-learn estimators via
 * src/convert (`convertGraph` over the inert pickle VM's graph), written with `encodeArtifact`; PyTorch
 * zip and legacy checkpoints via `convertTorch` (their tensors as plain safetensors: weights only, no
 * code). torch ≤ 0.3 tar files are CONVERT_UNSUPPORTED.
 */
export const defaultConverter: Converter = {
  async convert(input) {
    if (input.format === 'zip' || input.format === 'torch-legacy') return convertTorchFile(input);
    const compressed = COMPRESSION_KINDS.some((k) => k.kind === input.format);
    if (input.format !== 'pickle' && input.format !== 'pickle-text' && !compressed) {
      throw new MvError('CONVERT_UNSUPPORTED', `conversion of ${input.format} uploads is not available yet`);
    }
    if (input.bytes.length > MAX_CONVERT_BYTES) {
      throw new MvError('LIMIT_EXCEEDED', `legacy file is larger than ${MAX_CONVERT_BYTES} bytes`, { limit: 'maxConvertBytes', actual: input.bytes.length });
    }
    // loaded on first conversion only (convert/ and runtime/ are large)
    const { decompress } = await import('../formats/compress/index.js');
    const { parsePickle } = await import('../formats/pickle/index.js');
    const { convertGraph } = await import('../convert/index.js');
    const { encodeArtifact } = await import('../runtime/index.js');
    const bytes = compressed ? await decompress(input.format as CompressionKind, input.bytes, DEFAULT_LIMITS) : input.bytes;
    const parsed = parsePickle(bytes, { profile: 'joblib' });
    if (parsed.error) throw parsed.error;
    if (parsed.value === undefined) throw new MvError('CONVERT_UNSUPPORTED', 'the pickle holds no value');
    const conv = convertGraph(parsed.value, {
      sourceSha256: input.sourceDigest.replace(/^sha256:/, ''),
      created: input.created,
      sourceFormat: 'joblib',
    });
    const artifact = encodeArtifact(conv.ir, conv.tensors, conv.ir.provenance);
    const report = JSON.parse(JSON.stringify(conv.report)) as JsonValue;
    return { artifact, format: 'modelvault/1', report };
  },
};

/** PyTorch zip / legacy checkpoint → safetensors with every tensor (src/convert `convertTorch`). */
async function convertTorchFile(input: ConvertInput): Promise<ConvertOutput> {
  if (input.bytes.length > MAX_CONVERT_BYTES) {
    throw new MvError('LIMIT_EXCEEDED', `legacy file is larger than ${MAX_CONVERT_BYTES} bytes`, { limit: 'maxConvertBytes', actual: input.bytes.length });
  }
  const { convertTorch } = await import('../convert/index.js');
  const { bytes, conversion } = convertTorch(input.bytes, { limits: DEFAULT_LIMITS, sourceSha256: input.sourceDigest.replace(/^sha256:/, ''), created: input.created });
  const report: JsonValue = {
    kind: 'torch',
    format: conversion.format,
    big_endian: conversion.bigEndian,
    tensors: conversion.tensors.length,
    skipped: conversion.skipped.slice(0, 100).map((x) => ({ name: x.name, type: x.type })),
    modules: [...conversion.modules],
  };
  return { artifact: bytes, format: 'safetensors', report };
}
