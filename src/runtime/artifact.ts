import type { ErrorObject } from 'ajv';
import { MvError, prebuiltValidator } from '../core/index.js';
import { parseSafetensors, parseValues, readJson, toPlain, writeSafetensors, type SafetensorsFile, type StTensorInput } from '../formats/safetensors/index.js';
import { ARTIFACT_FORMAT, MODEL_IR_VERSION, type FeatureColumns, type FeatureSpec, type InputSchema, type ModelIR, type Op, type Provenance, type StoredModelIR, type TensorRef } from './ir.js';
import schema from './schema/model-v1.json' with { type: 'json' };
import { IR_DTYPE_BYTES, numelOf, type IrTensor, type IrTypedArray } from './tensors.js';
import { validateGraph } from './validate.js';

/** A decoded, fully validated artifact: the description and its tensors (typed arrays over a private copy of the file's data). */
export interface Artifact {
  readonly ir: ModelIR;
  readonly tensors: ReadonlyMap<string, IrTensor>;
  /** Size of the artifact in bytes. */
  readonly bytes: number;
}

/** The part of the description a converter builds; `version` and `provenance` are added by {@link encodeArtifact}. */
export type ModelDescription = Omit<ModelIR, 'version' | 'provenance'>;

// Loaded on first use (commands that never load a model — scan, sign, … — do not pay for it), prebuilt
// at build time (scripts/gen-validators.mjs, same options). `discriminator` (an OpenAPI keyword other
// draft-07 validators ignore; the oneOf still decides) makes ajv pick an operator's branch by its
// `kind` instead of trying all 15 with allErrors: 2–4 µs instead of 18–26 µs per description.
export const MODEL_SCHEMA_VALIDATOR = { schema, options: { allowUnionTypes: true, discriminator: true } } as const;
const schemaValidator = prebuiltValidator(new URL('./schema/model-v1.validate.cjs', import.meta.url), schema, MODEL_SCHEMA_VALIDATOR.options);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function schemaError(errors: readonly ErrorObject[] | null | undefined): MvError {
  const e = errors?.[0];
  const path = (e?.instancePath ?? '').split('/').filter(Boolean);
  const detail = (errors ?? []).slice(0, 5).map((x) => `${x.instancePath || '/'} ${x.message ?? ''}`).join('; ');
  return new MvError('ARTIFACT_INVALID', `model description does not match schema model-v1: ${detail}`, { path: ['__metadata__', 'model', ...path] });
}

/** Checks a model description against the versioned JSON Schema (src/runtime/schema/model-v1.json). */
export function assertModelIR(v: unknown): asserts v is StoredModelIR {
  const validate = schemaValidator();
  if (!validate(v)) throw schemaError(validate.errors);
}

/** One value for every element when they are all equal, else the array. */
function uniform<T>(xs: readonly T[]): T | readonly T[] {
  return xs.length > 0 && xs.every((x) => x === xs[0]) ? xs[0]! : xs;
}

/** `input.features` by column, as encodeArtifact writes it (see FeatureColumns). */
function featureColumns(features: readonly FeatureSpec[]): FeatureColumns {
  const names = features.map((f) => f.name);
  return {
    ...(names.every((n, j) => n === `x${j}`) ? {} : { names }),
    type: uniform(features.map((f) => f.type)),
    missing: uniform(features.map((f) => f.missing)),
  };
}

/** A schema-valid description with `input.features` one object per feature, whichever form it was stored in. */
export function expandDescription(d: StoredModelIR): ModelIR {
  const c = d.input.features;
  if (Array.isArray(c)) return d as ModelIR;
  const { names, type, missing } = c as FeatureColumns;
  const n = d.input.n_features; // at most MAX_FEATURES (schema)
  for (const [k, v] of [['names', names], ['type', type], ['missing', missing]] as const) {
    if (Array.isArray(v) && v.length !== n) throw new MvError('ARTIFACT_INVALID', `input.features.${k} has ${v.length} entries for n_features ${n}`, { path: ['__metadata__', 'model', 'input', 'features', k] });
  }
  const features = new Array<FeatureSpec>(n);
  for (let j = 0; j < n; j++) {
    features[j] = {
      name: names ? names[j]! : `x${j}`,
      type: typeof type === 'string' ? type : (type as readonly FeatureSpec['type'][])[j]!,
      missing: typeof missing === 'boolean' ? missing : missing[j]!,
    };
  }
  const input: InputSchema = { n_features: n, features, named: d.input.named };
  return { version: d.version, input, output: d.output, graph: d.graph, provenance: d.provenance };
}

/** Collects every tensor reference of a graph with its JSON path. */
export function collectRefs(op: Op, path: (string | number)[] = ['graph'], out: { ref: TensorRef; path: (string | number)[] }[] = []): typeof out {
  for (const [k, v] of Object.entries(op)) {
    if (k === 'parts' || k === 'steps' || k === 'estimators') {
      (v as Op[]).forEach((child, i) => collectRefs(child, [...path, k, i], out));
    } else if (k === 'categories') {
      (v as { kind: string; values: unknown }[]).forEach((c, i) => {
        if (c.kind === 'number') out.push({ ref: c.values as TensorRef, path: [...path, k, i, 'values'] });
      });
    } else if (Array.isArray(v)) {
      // lists of tensors (an MLP's weights and biases)
      v.forEach((r, i) => {
        if (r && typeof r === 'object' && 'tensor' in r) out.push({ ref: r as TensorRef, path: [...path, k, i] });
      });
    } else if (v && typeof v === 'object' && 'tensor' in v) {
      out.push({ ref: v as TensorRef, path: [...path, k] });
    }
  }
  return out;
}

/** Every reference must name a stored tensor with exactly the declared dtype and shape; every stored tensor must be referenced. */
function checkTensors(ir: ModelIR, tensors: ReadonlyMap<string, { dtype: string; shape: readonly number[] }>): void {
  const used = new Set<string>();
  for (const { ref, path } of collectRefs(ir.graph)) {
    const t = tensors.get(ref.tensor);
    if (!t) throw new MvError('ARTIFACT_INVALID', `tensor ${JSON.stringify(ref.tensor)} is referenced but not stored`, { path });
    if (t.dtype !== ref.dtype) throw new MvError('ARTIFACT_INVALID', `tensor ${JSON.stringify(ref.tensor)} is ${t.dtype}, declared ${ref.dtype}`, { path });
    if (t.shape.length !== ref.shape.length || t.shape.some((d, i) => d !== ref.shape[i])) {
      throw new MvError('ARTIFACT_INVALID', `tensor ${JSON.stringify(ref.tensor)} has shape [${t.shape.join(', ')}], declared [${ref.shape.join(', ')}]`, { path });
    }
    used.add(ref.tensor);
  }
  for (const name of tensors.keys()) {
    if (!used.has(name)) throw new MvError('ARTIFACT_INVALID', `tensor ${JSON.stringify(name)} is stored but never referenced`, { path: [name] });
  }
}

const ARRAYS: Readonly<Record<IrTensor['dtype'], (b: ArrayBuffer) => IrTypedArray>> = {
  F64: (b) => new Float64Array(b),
  F32: (b) => new Float32Array(b),
  I64: (b) => new BigInt64Array(b),
  I32: (b) => new Int32Array(b),
  U32: (b) => new Uint32Array(b),
  U8: (b) => new Uint8Array(b),
};

const VIEWS: Readonly<Record<IrTensor['dtype'], (b: ArrayBuffer, at: number, n: number) => IrTypedArray>> = {
  F64: (b, at, n) => new Float64Array(b, at, n),
  F32: (b, at, n) => new Float32Array(b, at, n),
  I64: (b, at, n) => new BigInt64Array(b, at, n),
  I32: (b, at, n) => new Int32Array(b, at, n),
  U32: (b, at, n) => new Uint32Array(b, at, n),
  U8: (b, at, n) => new Uint8Array(b, at, n),
};

/** Copies raw little-endian bytes into a fresh (aligned) typed array. */
function toTyped(dtype: IrTensor['dtype'], raw: Uint8Array): IrTypedArray {
  // a real copy: `raw` may be a Node Buffer, whose slice() is a view into a shared pool
  const copy = new Uint8Array(raw.length);
  copy.set(raw);
  const width = IR_DTYPE_BYTES[dtype];
  if (!LITTLE_ENDIAN && width > 1) for (let i = 0; i < copy.length; i += width) copy.subarray(i, i + width).reverse();
  return ARRAYS[dtype](copy.buffer);
}

function tensorBytes(t: IrTensor): Uint8Array {
  const b = new Uint8Array(t.data.byteLength);
  b.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  const width = IR_DTYPE_BYTES[t.dtype];
  if (!LITTLE_ENDIAN && width > 1) for (let i = 0; i < b.length; i += width) b.subarray(i, i + width).reverse();
  return b;
}

/**
 * Writes an artifact: one canonical safetensors file whose `__metadata__` is
 * `{"format": "modelvault/1", "model": "<JSON of the description>"}`. The description is validated
 * exactly as {@link decodeArtifact} would, so an invalid artifact is never written.
 */
export function encodeArtifact(description: ModelDescription, tensors: ReadonlyMap<string, IrTensor>, provenance: Provenance): Uint8Array {
  const ir: ModelIR = { version: MODEL_IR_VERSION, input: description.input, output: description.output, graph: description.graph, provenance };
  const plain = JSON.parse(JSON.stringify(ir)) as unknown;
  assertModelIR(plain);
  const full = expandDescription(plain);
  for (const [name, t] of tensors) {
    if (t.data.length !== numelOf(t.shape)) throw new MvError('ARTIFACT_INVALID', `tensor ${name}: ${t.data.length} elements for shape [${t.shape.join(', ')}]`, { path: [name] });
  }
  checkTensors(full, tensors);
  validateGraph(full, tensors);
  const st = new Map<string, StTensorInput>();
  for (const [name, t] of tensors) st.set(name, { dtype: t.dtype, shape: t.shape, data: tensorBytes(t) });
  const stored: StoredModelIR = { ...full, input: { n_features: full.input.n_features, features: featureColumns(full.input.features), named: full.input.named } };
  return writeSafetensors(st, { format: ARTIFACT_FORMAT, model: JSON.stringify(stored) });
}

/** Reads the description out of a parsed safetensors file (format tag, strict JSON, schema). */
export function readDescription(file: SafetensorsFile): ModelIR {
  const md = file.metadata;
  if (!md) throw new MvError('ARTIFACT_INVALID', 'no __metadata__: not a modelvault artifact', { path: ['__metadata__'] });
  const keys = Object.keys(md).sort();
  if (keys.length !== 2 || keys[0] !== 'format' || keys[1] !== 'model') {
    throw new MvError('ARTIFACT_INVALID', `__metadata__ must have exactly the keys format and model, found ${keys.join(', ')}`, { path: ['__metadata__'] });
  }
  if (md.format !== ARTIFACT_FORMAT) throw new MvError('ARTIFACT_INVALID', `unsupported artifact format ${JSON.stringify(md.format)} (expected ${ARTIFACT_FORMAT})`, { path: ['__metadata__', 'format'] });
  const plain = parseValues(md.model!, MAX_DEPTH) ?? toPlain(readJson(md.model!, { code: 'ARTIFACT_INVALID', duplicateCode: 'ARTIFACT_INVALID', maxDepth: MAX_DEPTH }).value);
  assertModelIR(plain);
  return expandDescription(plain);
}

const MAX_DEPTH = 200;

export interface DecodeOptions {
  /**
   * The caller hands `bytes` over: tensors may be views into its buffer (no copy of the data), so the
   * caller must never modify those bytes afterwards (a change would bypass the validation). Only
   * taken when `bytes` spans a whole, non-shared ArrayBuffer (a pooled Node Buffer is copied as usual).
   */
  readonly adopt?: boolean;
}

/**
 * Decodes and strictly validates an artifact: the safetensors rules (formats.md §8, strict mode),
 * the format tag, the JSON Schema, every referenced tensor present with the declared dtype and
 * shape, no unreferenced tensors, and the per-operator consistency checks of validate.ts.
 * Any failure is ARTIFACT_INVALID (or an ST_* code) with a path.
 */
export function decodeArtifact(bytes: Uint8Array, opts: DecodeOptions = {}): Artifact {
  const file = parseSafetensors(bytes, { strict: true });
  const ir = readDescription(file);
  for (const t of file.tensors) {
    if (!(t.dtype in IR_DTYPE_BYTES)) throw new MvError('ARTIFACT_INVALID', `tensor ${JSON.stringify(t.name)} has dtype ${t.dtype}, which the runtime does not use`, { path: [t.name] });
  }
  checkTensors(ir, file.byName);
  const tensors = new Map<string, IrTensor>();
  // Tensors are typed-array views into memory only the model holds: by default one copy of the whole
  // data section (the caller may reuse or modify its buffer after loading, which must not change a
  // validated model); with `adopt`, the caller's own ArrayBuffer when `bytes` spans all of it.
  const owned = opts.adopt === true && bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  let buffer: ArrayBuffer;
  let base: number;
  if (owned) {
    buffer = bytes.buffer as ArrayBuffer;
    base = file.dataOffset;
  } else {
    const section = new Uint8Array(bytes.length - file.dataOffset);
    section.set(bytes.subarray(file.dataOffset));
    buffer = section.buffer;
    base = 0;
  }
  for (const t of file.tensors) {
    const dtype = t.dtype as IrTensor['dtype'];
    const width = IR_DTYPE_BYTES[dtype];
    const at = base + t.begin;
    const data = LITTLE_ENDIAN && at % width === 0 ? VIEWS[dtype](buffer, at, (t.end - t.begin) / width) : toTyped(dtype, new Uint8Array(buffer, at, t.end - t.begin));
    tensors.set(t.name, { dtype, shape: t.shape, data });
  }
  validateGraph(ir, tensors);
  return { ir, tensors, bytes: bytes.length };
}
