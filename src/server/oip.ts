import { MvError } from '../core/index.js';
import type { Label, Method } from '../runtime/index.js';
import type { PoolResult, WireFrame } from '../sandbox/index.js';
import type { ServedVersion } from './models.js';
import { decodeBytesElements } from './tensor-bytes.js';
import { isOnnxResult, onnxFrame, onnxInputsOf, onnxOutput, onnxOutputsOf, onnxRequestedOutputs } from './onnx.js';

/**
 * Open Inference Protocol (KServe V2) tensors ↔ model rows (../shared/spec/serving.md §1). Pure
 * functions over parsed bodies; every malformed request is INPUT_INVALID (400) naming what is wrong.
 */

export interface TensorMeta {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

export interface RequestInput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: string;
  readonly parameters?: Record<string, unknown>;
  readonly data?: unknown;
}

export interface InferRequest {
  readonly id?: string;
  readonly parameters?: Record<string, unknown>;
  readonly inputs: readonly RequestInput[];
  readonly outputs?: readonly { readonly name: string; readonly parameters?: Record<string, unknown> }[];
}

const NUMERIC = new Set(['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP32', 'FP64']);
const ELEMENT_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, UINT8: 1, UINT16: 2, UINT32: 4, UINT64: 8, INT8: 1, INT16: 2, INT32: 4, INT64: 8, FP16: 2, BF16: 2, FP32: 4, FP64: 8,
};

const bad = (message: string): MvError => new MvError('INPUT_INVALID', message);

/** A model takes one [N, F] tensor when every feature is numeric, else one [N] tensor per feature. */
export function inputsOf(s: ServedVersion): TensorMeta[] {
  if (s.onnx) return onnxInputsOf(s.onnx); // ONNX: the graph's own inputs (onnx.ts)
  const f = s.input.features;
  if (f.every((x) => x.type !== 'string')) return [{ name: 'input-0', datatype: 'FP64', shape: [-1, s.input.n_features] }];
  return f.map((x) => ({ name: x.name, datatype: x.type === 'string' ? 'BYTES' : 'FP64', shape: [-1] }));
}

const INPUTS = new WeakMap<ServedVersion, readonly TensorMeta[]>();
const inputsCached = (s: ServedVersion): readonly TensorMeta[] => {
  let i = INPUTS.get(s);
  if (!i) INPUTS.set(s, (i = inputsOf(s)));
  return i;
};

const OUTPUT_OF: Readonly<Record<Method, string>> = {
  predict: 'label', predict_proba: 'probabilities', decision_function: 'decision_function', transform: 'transform',
};

function labelType(classes: readonly Label[]): string {
  if (classes.every((c) => typeof c === 'boolean')) return 'BOOL';
  if (classes.every((c) => typeof c === 'number' && Number.isInteger(c))) return 'INT64';
  if (classes.every((c) => typeof c === 'number')) return 'FP64';
  return 'BYTES';
}

/** Output tensors of a model, each produced by one method. */
export function outputsOf(s: ServedVersion): (TensorMeta & { method: Method })[] {
  if (s.onnx) return onnxOutputsOf(s.onnx);
  const o = s.output;
  return s.methods.map((m) => {
    if (o.kind === 'classifier') {
      const k = o.classes.length;
      // a multi-output classifier predicts one label per output
      if (m === 'predict') return { method: m, name: 'label', datatype: labelType(o.classes), shape: o.n_classes ? [-1, o.n_classes.length] : [-1] };
      if (m === 'decision_function' && k === 2) return { method: m, name: OUTPUT_OF[m], datatype: 'FP64', shape: [-1] };
      return { method: m, name: OUTPUT_OF[m], datatype: 'FP64', shape: [-1, k] };
    }
    const n = o.n_outputs;
    const name = o.kind === 'regressor' && m === 'predict' ? 'predictions' : OUTPUT_OF[m];
    return { method: m, name, datatype: 'FP64', shape: n === 1 && o.kind === 'regressor' ? [-1] : [-1, n] };
  });
}

function checkShape(inp: RequestInput): number {
  if (!Array.isArray(inp.shape) || inp.shape.length === 0 || inp.shape.length > 8) throw bad(`input ${inp.name}: shape must be a non-empty array of at most 8 dimensions`);
  let n = 1;
  for (const d of inp.shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw bad(`input ${inp.name}: shape dimensions must be non-negative integers, got ${JSON.stringify(d)}`);
    n *= d;
    if (n > 1e8) throw bad(`input ${inp.name}: tensor too large`);
  }
  return n;
}

/**
 * Flattens JSON tensor data. Two layouts are valid (serving.md §1.4): fully flat (`count` scalars) or
 * nested exactly as the shape (every level an array of length shape[d], scalars only at the last
 * level). Anything else — ragged rows, mixed depths, nesting deeper than the shape — is refused, even
 * when the element count happens to match.
 */
function flatten(inp: RequestInput, count: number): unknown[] {
  const data = inp.data;
  if (!Array.isArray(data)) throw bad(`input ${inp.name}: data must be an array (or use binary_data_size)`);
  const shape = inp.shape;
  // Fast, common case: flat scalars.
  let flat = true;
  for (let i = 0; i < data.length; i++) if (Array.isArray(data[i])) { flat = false; break; }
  if (flat) {
    if (data.length !== count) throw bad(`input ${inp.name}: ${data.length} elements, but shape ${JSON.stringify(shape)} needs ${count}`);
    return data;
  }
  const out: unknown[] = [];
  const walk = (v: unknown[], depth: number): void => {
    if (v.length !== shape[depth]) throw bad(`input ${inp.name}: data does not follow shape ${JSON.stringify(shape)} (dimension ${depth} has ${v.length} entries; ragged or mis-nested)`);
    const last = depth === shape.length - 1;
    for (const x of v) {
      if (Array.isArray(x) !== !last) throw bad(`input ${inp.name}: data does not follow shape ${JSON.stringify(shape)} (mixed nesting at dimension ${depth})`);
      if (last) out.push(x);
      else walk(x as unknown[], depth + 1);
    }
  };
  walk(data, 0);
  return out;
}

function jsonNumbers(inp: RequestInput, values: readonly unknown[], dst: Float64Array, offset: number, stride: number, allowNull: boolean): void {
  const dt = inp.datatype;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let x: number;
    if (typeof v === 'number') {
      x = v;
      if ((dt === 'INT64' || dt === 'UINT64') && !Number.isSafeInteger(v)) throw bad(`input ${inp.name}[${i}]: ${dt} value outside ±2^53 cannot be sent as JSON; use binary_data_size`);
      if (dt !== 'FP32' && dt !== 'FP64' && !Number.isInteger(v)) throw bad(`input ${inp.name}[${i}]: ${dt} needs an integer, got ${v}`);
    } else if (typeof v === 'boolean' && dt === 'BOOL') x = v ? 1 : 0;
    else if (v === null && allowNull) x = NaN;
    else throw bad(`input ${inp.name}[${i}]: expected a ${dt} number, got ${JSON.stringify(v)?.slice(0, 40)}`);
    dst[offset + i * stride] = x;
  }
}

function binaryNumbers(inp: RequestInput, blob: Uint8Array, count: number, dst: Float64Array, offset: number, stride: number): void {
  const size = ELEMENT_BYTES[inp.datatype];
  if (!size || inp.datatype === 'FP16' || inp.datatype === 'BF16') throw bad(`input ${inp.name}: datatype ${inp.datatype} is not accepted by this model`);
  if (blob.length !== count * size) throw bad(`input ${inp.name}: binary_data_size ${blob.length} does not match shape × ${size} bytes`);
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let i = 0; i < count; i++) {
    const o = i * size;
    let x: number;
    switch (inp.datatype) {
      case 'FP64': x = dv.getFloat64(o, true); break;
      case 'FP32': x = dv.getFloat32(o, true); break;
      case 'INT64': {
        const b = dv.getBigInt64(o, true);
        if (b > 9007199254740991n || b < -9007199254740991n) throw bad(`input ${inp.name}[${i}]: INT64 value beyond ±2^53 cannot be represented exactly`);
        x = Number(b);
        break;
      }
      case 'UINT64': {
        const b = dv.getBigUint64(o, true);
        if (b > 9007199254740991n) throw bad(`input ${inp.name}[${i}]: UINT64 value beyond 2^53 cannot be represented exactly`);
        x = Number(b);
        break;
      }
      case 'INT32': x = dv.getInt32(o, true); break;
      case 'UINT32': x = dv.getUint32(o, true); break;
      case 'INT16': x = dv.getInt16(o, true); break;
      case 'UINT16': x = dv.getUint16(o, true); break;
      case 'INT8': x = dv.getInt8(o); break;
      case 'UINT8': case 'BOOL': x = dv.getUint8(o); break;
      default: throw bad(`input ${inp.name}: unsupported datatype ${inp.datatype}`);
    }
    dst[offset + i * stride] = x;
  }
}


/** Splits a binary-extension body into its JSON header and the blobs that follow, in input order. */
export function splitBinaryBody(body: Buffer, headerLength: number): { header: unknown; blobs: Buffer } {
  if (!Number.isSafeInteger(headerLength) || headerLength < 0 || headerLength > body.length) {
    throw bad(`Inference-Header-Content-Length ${headerLength} is not within the ${body.length}-byte body`);
  }
  let header: unknown;
  try {
    header = JSON.parse(body.subarray(0, headerLength).toString('utf8'));
  } catch {
    throw bad('the inference header is not valid JSON');
  }
  return { header, blobs: body.subarray(headerLength) };
}

const MAX_ROWS = 100_000;

/**
 * The request a raw binary body stands for (`Inference-Header-Content-Length: 0`, newer Triton): the
 * whole body is the model's single input, little-endian, with the variable dimension (at most one)
 * taken from the body length; every output comes back binary.
 */
export function rawRequest(s: ServedVersion, size: number): InferRequest {
  const ins = inputsCached(s);
  if (ins.length !== 1) throw bad(`a raw binary request (Inference-Header-Content-Length: 0) needs a model with one input; ${s.key} takes ${ins.length}: send a JSON header`);
  const { name, datatype, shape } = ins[0]!;
  const el = ELEMENT_BYTES[datatype];
  if (el === undefined) throw bad(`a raw binary request cannot carry ${datatype} input ${name}: send a JSON header`);
  const variable = shape.filter((d) => d < 0).length;
  if (variable > 1) throw bad(`input ${name} has ${variable} variable dimensions; a raw binary request allows at most one`);
  const fixed = shape.reduce((a, d) => (d < 0 ? a : a * d), el);
  if (size === 0 || size % fixed !== 0 || (variable === 0 && size !== fixed)) {
    throw bad(`a raw body of ${size} bytes is not ${variable ? 'a whole number of' : 'one'} ${datatype} ${JSON.stringify(shape.map((d) => (d < 0 ? 'N' : d)))} tensor${variable ? 's' : ''} (${fixed} bytes each) for input ${name}`);
  }
  return {
    inputs: [{ name, datatype, shape: shape.map((d) => (d < 0 ? size / fixed : d)), parameters: { binary_data_size: size } }],
    parameters: { binary_data_output: true },
  };
}

/** Validates an inference request against the model and builds the row frame for the worker. */
export function toFrame(s: ServedVersion, req: InferRequest, blobs?: Buffer): WireFrame {
  if (s.onnx) return onnxFrame(s, req, blobs);
  if (!req || typeof req !== 'object' || !Array.isArray(req.inputs) || req.inputs.length === 0) throw bad('request needs a non-empty "inputs" array');
  const names = new Set<string>();
  for (const i of req.inputs) {
    if (!i || typeof i.name !== 'string') throw bad('every input needs a "name"');
    if (names.has(i.name)) throw bad(`input ${i.name} appears twice`);
    names.add(i.name);
    if (typeof i.datatype !== 'string') throw bad(`input ${i.name} needs a "datatype"`);
  }
  // Blobs follow the JSON in the order the inputs appear; sizes must add up to the body exactly.
  let blobOffset = 0;
  const blobOf = (i: RequestInput): Uint8Array | undefined => {
    const size = i.parameters?.binary_data_size;
    if (size === undefined) return undefined;
    if (!blobs) throw bad(`input ${i.name} has binary_data_size but the request has no Inference-Header-Content-Length`);
    if (!Number.isSafeInteger(size) || (size as number) < 0) throw bad(`input ${i.name}: binary_data_size must be a non-negative integer`);
    if (blobOffset + (size as number) > blobs.length) throw bad(`input ${i.name}: binary data runs past the end of the body`);
    const b = blobs.subarray(blobOffset, blobOffset + (size as number));
    blobOffset += size as number;
    return b;
  };
  const F = s.input.n_features;
  const feats = s.input.features;
  const expected = inputsCached(s);
  let frame: WireFrame;
  if (expected.length === 1) {
    const [inp] = req.inputs;
    if (req.inputs.length !== 1 || inp!.name !== expected[0]!.name) {
      throw bad(`${s.key} takes one input named ${expected[0]!.name} of shape [N, ${F}], got ${req.inputs.map((i) => i.name).join(', ')}`);
    }
    if (!NUMERIC.has(inp!.datatype)) throw bad(`input ${inp!.name}: datatype ${inp!.datatype} is not numeric`);
    const count = checkShape(inp!);
    const rows = inp!.shape.length === 1 && F === inp!.shape[0] ? 1 : inp!.shape[0]!;
    if (!(inp!.shape.length === 2 && inp!.shape[1] === F) && !(inp!.shape.length === 1 && inp!.shape[0] === F)) {
      throw bad(`input ${inp!.name}: shape ${JSON.stringify(inp!.shape)} does not match [N, ${F}]`);
    }
    if (rows > MAX_ROWS) throw bad(`batch of ${rows} rows exceeds the limit of ${MAX_ROWS}`);
    const data = new Float64Array(count);
    const blob = blobOf(inp!);
    const allowNull = feats.every((f) => f.missing);
    if (blob) binaryNumbers(inp!, blob, count, data, 0, 1);
    else jsonNumbers(inp!, flatten(inp!, count), data, 0, 1, allowNull);
    frame = { rows, cols: F, data };
  } else {
    const byName = new Map(req.inputs.map((i) => [i.name, i]));
    const unknown = req.inputs.filter((i) => !feats.some((f) => f.name === i.name)).map((i) => i.name);
    if (unknown.length) throw bad(`unknown inputs ${unknown.join(', ')}; ${s.key} takes ${feats.map((f) => f.name).join(', ')}`);
    const missing = feats.filter((f) => !byName.has(f.name)).map((f) => f.name);
    if (missing.length) throw bad(`missing inputs ${missing.join(', ')}`);
    let rows = -1;
    for (const i of req.inputs) {
      checkShape(i);
      if (!(i.shape.length === 1 || (i.shape.length === 2 && i.shape[1] === 1))) throw bad(`input ${i.name}: shape must be [N] or [N, 1]`);
      if (rows >= 0 && i.shape[0] !== rows) throw bad('all inputs must have the same number of rows');
      rows = i.shape[0]!;
    }
    if (rows > MAX_ROWS) throw bad(`batch of ${rows} rows exceeds the limit of ${MAX_ROWS}`);
    const data = new Float64Array(rows * F);
    const text: ((string | null)[] | undefined)[] = feats.map(() => undefined);
    // Blobs are consumed in request order, not feature order.
    const blobsByName = new Map(req.inputs.map((i) => [i.name, blobOf(i)]));
    feats.forEach((f, j) => {
      const i = byName.get(f.name)!;
      const blob = blobsByName.get(f.name);
      // an `any` feature (a column the model never reads) takes text or numbers
      if (f.type === 'string' || (f.type === 'any' && i.datatype === 'BYTES')) {
        if (i.datatype !== 'BYTES') throw bad(`input ${i.name}: a text feature needs datatype BYTES`);
        const vals = blob ? decodeBytesElements(i, blob, rows) : flatten(i, rows);
        text[j] = vals.map((v, r) => {
          if (typeof v === 'string') return v;
          if (v === null && f.missing) return null;
          throw bad(`input ${i.name}[${r}]: expected text, got ${JSON.stringify(v)}`);
        });
      } else {
        if (!NUMERIC.has(i.datatype)) throw bad(`input ${i.name}: datatype ${i.datatype} is not numeric`);
        if (blob) binaryNumbers(i, blob, rows, data, j, F);
        else jsonNumbers(i, flatten(i, rows), data, j, F, f.missing);
      }
    });
    frame = { rows, cols: F, data, text };
  }
  if (blobs && blobOffset !== blobs.length) throw bad(`${blobs.length - blobOffset} bytes of binary data are not claimed by any input`);
  return frame;
}

type RequestedOutput = TensorMeta & { readonly method: Method; readonly binary: boolean };

/** A served version's outputs, each in its JSON and its binary form, computed once (ServedVersion is immutable). */
interface OutputTable {
  readonly json: readonly RequestedOutput[];
  readonly binary: readonly RequestedOutput[];
  readonly byName: ReadonlyMap<string, number>;
}
const OUTPUT_TABLES = new WeakMap<ServedVersion, OutputTable>();
function outputTable(s: ServedVersion): OutputTable {
  let t = OUTPUT_TABLES.get(s);
  if (!t) {
    const all = outputsOf(s);
    t = {
      json: all.map((o) => Object.freeze({ ...o, binary: false })), binary: all.map((o) => Object.freeze({ ...o, binary: true })),
      byName: new Map(all.map((o, i) => [o.name, i])),
    };
    OUTPUT_TABLES.set(s, t);
  }
  return t;
}

/** Which methods a request asks for (`outputs` absent ⇒ all). */
export function requestedOutputs(s: ServedVersion, req: InferRequest): readonly RequestedOutput[] {
  if (s.onnx) return onnxRequestedOutputs(s, req);
  const t = outputTable(s);
  const defaultBinary = req.parameters?.binary_data_output === true;
  if (req.outputs === undefined) return defaultBinary ? t.binary : t.json;
  if (!Array.isArray(req.outputs)) throw bad('"outputs" must be an array');
  return req.outputs.map((r) => {
    const i = typeof r?.name === 'string' ? t.byName.get(r.name) : undefined;
    if (i === undefined) throw bad(`unknown output ${JSON.stringify(r?.name)}; ${s.key} has ${t.json.map((x) => x.name).join(', ')}`);
    const b = r.parameters?.binary_data;
    return (typeof b === 'boolean' ? b : defaultBinary) ? t.binary[i]! : t.json[i]!;
  });
}

export interface OutputTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data: Float64Array | readonly (string | number | boolean)[];
  readonly binary: boolean;
  /** Binary outputs of ONNX models: the tensor's bytes, already in the binary extension layout. */
  readonly raw?: Uint8Array;
}

export function toOutput(meta: TensorMeta & { binary: boolean }, r: PoolResult): OutputTensor {
  if (isOnnxResult(r)) return onnxOutput(meta, r);
  return { name: meta.name, datatype: meta.datatype, shape: r.shape, data: r.data, binary: meta.binary };
}

/** Encodes one output tensor's data in the binary extension layout (little-endian, BYTES length-prefixed). */
export function encodeBinary(t: OutputTensor): Buffer {
  if (t.raw) return Buffer.from(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
  const n = t.data.length;
  switch (t.datatype) {
    case 'FP64': {
      const a = t.data instanceof Float64Array ? t.data : Float64Array.from(t.data as number[]);
      return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    }
    case 'INT64': {
      const b = Buffer.alloc(n * 8);
      for (let i = 0; i < n; i++) b.writeBigInt64LE(BigInt(t.data[i] as number), i * 8);
      return b;
    }
    case 'BOOL': {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = t.data[i] ? 1 : 0;
      return b;
    }
    default: {
      const parts: Buffer[] = [];
      for (let i = 0; i < n; i++) {
        const s = Buffer.from(String(t.data[i]), 'utf8');
        const len = Buffer.alloc(4);
        len.writeUInt32LE(s.length);
        parts.push(len, s);
      }
      return Buffer.concat(parts);
    }
  }
}

/** JSON data of an output tensor: numbers stay numbers, labels keep their original type. */
export function jsonData(t: OutputTensor): unknown[] {
  return t.data instanceof Float64Array ? Array.from(t.data) : [...t.data];
}
