import { MvError, indexUnique, isMvError } from '../core/index.js';
import type { Method } from '../runtime/index.js';
import { WorkerPool, type PoolOptions, type PoolResult, type WireFrame, type WireTensor, type WireTensors, type WireTensorType } from '../sandbox/index.js';
import type { ServedVersion } from './models.js';
import type { InferRequest, OutputTensor, RequestInput, TensorMeta } from './oip.js';
import { decodeBytesElements } from './tensor-bytes.js';

/**
 * ONNX models over the Open Inference Protocol (../shared/spec/serving.md §1): OIP tensors ↔ the
 * graph's named, typed inputs and outputs, run by onnxruntime-node in the separate onnx worker pool.
 * The graph description comes from the worker (ONNX Runtime's view of the model) and is validated
 * here like any other input from another process. Every malformed request is INPUT_INVALID (400).
 */

/** One row per OIP datatype an ONNX tensor can have: the single source of truth for the mapping. */
interface DataType {
  readonly oip: string;
  readonly ort: WireTensorType;
  /** Bytes per element in the binary extension; 0 = BYTES (u32 length + bytes). */
  readonly size: number;
  /** Whether JSON can carry it (FP16 has no portable JSON form: binary only, serving.md §1.4). */
  readonly json: boolean;
  /** Integer range for JSON values (integer types only). */
  readonly range?: readonly [number, number];
}

const DATATYPES: readonly DataType[] = [
  { oip: 'BOOL', ort: 'bool', size: 1, json: true },
  { oip: 'UINT8', ort: 'uint8', size: 1, json: true, range: [0, 255] },
  { oip: 'UINT16', ort: 'uint16', size: 2, json: true, range: [0, 65535] },
  { oip: 'UINT32', ort: 'uint32', size: 4, json: true, range: [0, 4294967295] },
  { oip: 'UINT64', ort: 'uint64', size: 8, json: true, range: [0, Number.MAX_SAFE_INTEGER] },
  { oip: 'INT8', ort: 'int8', size: 1, json: true, range: [-128, 127] },
  { oip: 'INT16', ort: 'int16', size: 2, json: true, range: [-32768, 32767] },
  { oip: 'INT32', ort: 'int32', size: 4, json: true, range: [-2147483648, 2147483647] },
  { oip: 'INT64', ort: 'int64', size: 8, json: true, range: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] },
  { oip: 'FP16', ort: 'float16', size: 2, json: false },
  { oip: 'FP32', ort: 'float32', size: 4, json: true },
  { oip: 'FP64', ort: 'float64', size: 8, json: true },
  { oip: 'BYTES', ort: 'string', size: 0, json: true },
];
const BY_OIP = indexUnique(DATATYPES, (d) => d.oip);
const BY_ORT = indexUnique(DATATYPES, (d) => d.ort);

/** A graph input or output as OIP metadata (-1 = a dimension of any size). */
export interface OnnxIo extends TensorMeta {
  readonly type: WireTensorType;
}

/** What the server knows about an ONNX model, from its worker. */
export interface OnnxGraph {
  readonly inputs: readonly OnnxIo[];
  /** Tensor outputs only (sequence/map outputs such as a ZipMap are not served). */
  readonly outputs: readonly OnnxIo[];
  readonly irVersion: number | null;
  readonly producer: string | null;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  /**
   * Concurrent requests may be merged along axis 0: only when the model is tagged
   * `serve.onnx.batch=true` (its rows are independent) and every input and output has a free axis 0.
   */
  readonly batch?: boolean;
}

/** The registry tag that declares an ONNX model row-independent, so its requests may be merged. */
export const ONNX_BATCH_TAG = 'serve.onnx.batch';

/** Whether the tags of a model version opt it in to dynamic batching. */
export function batchOptIn(tags: readonly { readonly version: number | null; readonly key: string; readonly value: string }[], version: number): boolean {
  return tags.some((t) => t.key === ONNX_BATCH_TAG && t.value === 'true' && (t.version === null || t.version === version));
}

const batchable = (g: OnnxGraph): boolean =>
  g.batch === true && [...g.inputs, ...g.outputs].every((io) => io.shape.length >= 1 && io.shape[0] === -1);

/** A validated request for the onnx pool: named input tensors and the outputs to fetch. */
export interface OnnxFrame extends WireFrame {
  readonly onnx: { readonly feeds: WireTensors; readonly outputs: readonly string[] };
}

/** One session run's outputs (the PoolResult fields describe the first output). */
export interface OnnxResult extends PoolResult {
  readonly tensors: WireTensors;
}

const MAX_RANK = 16;
const MAX_ELEMENTS = 1 << 26;
/** Widest single input that V1 `:predict` rows are offered for. */
const MAX_ROW_FEATURES = 65_536;
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

const bad = (message: string): MvError => new MvError('INPUT_INVALID', message);
const refused = (message: string): MvError => new MvError('SANDBOX_ONNX_LOAD_FAILED', message);

export const isOnnxFrame = (f: WireFrame): f is OnnxFrame => 'onnx' in f;
export const isOnnxResult = (r: PoolResult): r is OnnxResult => 'tensors' in r;

// ── the graph, from the worker ────────────────────────────────────────────────────────────────

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseIo(v: unknown, where: string): OnnxIo | undefined {
  if (!isObj(v) || typeof v.name !== 'string' || v.name.length === 0 || v.name.length > 1024) throw refused(`the worker described an invalid ${where}`);
  if (v.tensor !== true) return undefined;
  const dt = typeof v.type === 'string' ? BY_ORT.get(v.type as WireTensorType) : undefined;
  if (!dt) throw refused(`${where} ${v.name} has element type ${String(v.type)}, which is not served`);
  if (!Array.isArray(v.shape) || v.shape.length > MAX_RANK) throw refused(`${where} ${v.name} has an invalid shape`);
  // ORT reports symbolic dimensions as strings ('' or a name) and fixed ones as numbers.
  const shape = v.shape.map((d: unknown) => (typeof d === 'number' && Number.isSafeInteger(d) && d >= 0 ? d : -1));
  return { name: v.name, datatype: dt.oip, shape, type: dt.ort };
}

/** Validates the worker's description of a loaded ONNX model. */
export function parseOnnxInfo(info: unknown): OnnxGraph {
  if (!isObj(info) || !Array.isArray(info.inputs) || !Array.isArray(info.outputs)) throw refused('the ONNX worker returned no graph description');
  const inputs = info.inputs.map((v) => {
    const io = parseIo(v, 'input');
    if (!io) throw refused(`input ${(v as { name: string }).name} is not a tensor; only tensor inputs are served`);
    return io;
  });
  const outputs = info.outputs.map((v) => parseIo(v, 'output')).filter((x): x is OnnxIo => x !== undefined);
  if (inputs.length === 0) throw refused('the ONNX model has no inputs');
  for (const list of [inputs, outputs]) {
    if (new Set(list.map((io) => io.name)).size !== list.length) throw refused('the ONNX model repeats an input or output name');
  }
  if (outputs.length === 0) throw refused('the ONNX model has no tensor outputs');
  const opsets = Array.isArray(info.opsets)
    ? info.opsets.filter(isObj).map((o) => ({ domain: String(o.domain ?? ''), version: Number(o.version ?? 0) }))
    : [];
  return {
    inputs, outputs, opsets,
    irVersion: typeof info.irVersion === 'number' ? info.irVersion : null,
    producer: typeof info.producer === 'string' ? info.producer.slice(0, 256) : null,
  };
}

/**
 * The ServedVersion of an ONNX model. A model with one numeric [N, F] input also answers KServe V1
 * `:predict` rows (its first output); otherwise `input` has no features and rows are refused.
 */
export function onnxServed(base: { model: string; version: number; digest: string; key: string }, graph: OnnxGraph): ServedVersion {
  const only = graph.inputs.length === 1 ? graph.inputs[0]! : undefined;
  const F = only && only.shape.length === 2 && only.shape[1]! > 0 && only.shape[1]! <= MAX_ROW_FEATURES && only.type !== 'string' && only.type !== 'float16' ? only.shape[1]! : 0;
  const methods: Method[] = F > 0 ? ['predict'] : [];
  return {
    ...base, onnx: graph, methods,
    input: { n_features: F, features: Array.from({ length: F }, (_, j) => ({ name: `${only!.name}[${j}]`, type: 'number' as const, missing: false })), named: false },
    output: { kind: 'transformer', n_outputs: graph.outputs.length, names: graph.outputs.map((o) => o.name), methods },
  };
}

/**
 * The pool that runs ONNX models: a separate WorkerPool of onnx workers. Runs are not merged (a graph
 * may mix rows, e.g. normalise over the batch axis), so several are pipelined into each worker instead.
 */
export function createOnnxPool(opts: PoolOptions = {}): WorkerPool {
  return new WorkerPool({ inflight: 4, ...opts, kind: 'onnx' });
}

// ── metadata ─────────────────────────────────────────────────────────────────────────────────

const meta = (io: OnnxIo): TensorMeta => ({ name: io.name, datatype: io.datatype, shape: io.shape });

export const onnxInputsOf = (g: OnnxGraph): TensorMeta[] => g.inputs.map(meta);

/** Outputs as OIP metadata; `method` is the row method V1 `:predict` uses (one session run gives them all). */
export const onnxOutputsOf = (g: OnnxGraph): (TensorMeta & { method: Method })[] => g.outputs.map((o) => ({ ...meta(o), method: 'predict' }));

// ── requests ─────────────────────────────────────────────────────────────────────────────────

function checkShape(inp: RequestInput, io: OnnxIo): number {
  const shape: unknown = inp.shape;
  if (!Array.isArray(shape)) throw bad(`input ${inp.name}: shape must be an array`);
  if (shape.length !== io.shape.length) throw bad(`input ${inp.name}: shape ${JSON.stringify(shape)} has rank ${shape.length}, the model takes ${JSON.stringify(io.shape)}`);
  let n = 1;
  shape.forEach((d: unknown, i) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw bad(`input ${inp.name}: shape dimensions must be non-negative integers, got ${JSON.stringify(d)}`);
    const want = io.shape[i]!;
    if (want >= 0 && d !== want) throw bad(`input ${inp.name}: shape ${JSON.stringify(shape)} does not match the model's ${JSON.stringify(io.shape)}`);
    n *= d;
    if (n > MAX_ELEMENTS) throw bad(`input ${inp.name}: more than ${MAX_ELEMENTS} elements`);
  });
  return n;
}

/**
 * Flattens JSON data: fully flat (`count` scalars) or nested exactly as the shape (every level an
 * array of length shape[d], scalars only at the last level). Ragged rows, mixed depths and nesting
 * deeper than the shape are refused even when the element count happens to match (serving.md §1.8).
 */
function flatten(inp: RequestInput, count: number): unknown[] {
  const data = inp.data;
  if (!Array.isArray(data)) throw bad(`input ${inp.name}: data must be an array (or use binary_data_size)`);
  const shape = inp.shape;
  if (!data.some(Array.isArray)) {
    if (data.length !== count) throw bad(`input ${inp.name}: ${data.length} elements, but shape ${JSON.stringify(shape)} needs ${count}`);
    return data;
  }
  const out: unknown[] = [];
  const walk = (v: unknown[], depth: number): void => {
    if (v.length !== shape[depth]) throw bad(`input ${inp.name}: data does not follow shape ${JSON.stringify(shape)} (dimension ${depth} has ${v.length} entries)`);
    const last = depth === shape.length - 1;
    for (const x of v) {
      if (Array.isArray(x) === last) throw bad(`input ${inp.name}: data does not follow shape ${JSON.stringify(shape)} (mixed nesting at dimension ${depth})`);
      if (last) out.push(x);
      else walk(x as unknown[], depth + 1);
    }
  };
  walk(data, 0);
  return out;
}

function newArray(type: WireTensorType, n: number): Exclude<WireTensor['data'], readonly string[]> {
  switch (type) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'float16': case 'uint16': return new Uint16Array(n);
    case 'int8': return new Int8Array(n);
    case 'int16': return new Int16Array(n);
    case 'int32': return new Int32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'uint64': return new BigUint64Array(n);
    case 'string': throw new MvError('INTERNAL', 'string tensors have no typed array');
  }
}

/** JSON elements → the tensor's typed array (or strings), checking each value against the datatype. */
function fromJson(inp: RequestInput, dt: DataType, values: readonly unknown[]): WireTensor['data'] {
  const where = (i: number) => `input ${inp.name}[${i}]`;
  if (!dt.json) throw bad(`input ${inp.name}: ${dt.oip} has no JSON form; send it with binary_data_size`);
  if (dt.ort === 'string') {
    return values.map((v, i) => {
      if (typeof v !== 'string') throw bad(`${where(i)}: BYTES elements must be strings, got ${JSON.stringify(v)?.slice(0, 40)}`);
      return v;
    });
  }
  const out = newArray(dt.ort, values.length);
  values.forEach((v, i) => {
    if (dt.ort === 'bool') {
      if (typeof v !== 'boolean') throw bad(`${where(i)}: BOOL elements must be true or false, got ${JSON.stringify(v)?.slice(0, 40)}`);
      out[i] = v ? 1 : 0;
      return;
    }
    if (typeof v !== 'number') throw bad(`${where(i)}: expected a ${dt.oip} number, got ${JSON.stringify(v)?.slice(0, 40)}`);
    if (dt.range) {
      if (!Number.isInteger(v)) throw bad(`${where(i)}: ${dt.oip} needs an integer, got ${v}`);
      if (v < dt.range[0] || v > dt.range[1]) {
        throw bad(`${where(i)}: ${v} is outside the ${dt.oip} range${dt.size === 8 ? ' JSON can carry exactly (±2^53); use binary_data_size' : ''}`);
      }
      out[i] = (dt.size === 8 ? BigInt(v) : v) as never;
    } else out[i] = v;
  });
  return out;
}

/** Binary-extension bytes → the tensor's typed array (copied: blobs are not aligned) or strings. */
function fromBinary(inp: RequestInput, dt: DataType, blob: Uint8Array, count: number): WireTensor['data'] {
  if (dt.ort === 'string') return decodeBytesElements(inp, blob, count);
  if (blob.length !== count * dt.size) throw bad(`input ${inp.name}: binary_data_size ${blob.length} does not match shape × ${dt.size} bytes (${count * dt.size})`);
  if (!LITTLE_ENDIAN) throw new MvError('INTERNAL', 'binary tensors need a little-endian host');
  const out = newArray(dt.ort, count);
  new Uint8Array(out.buffer).set(blob);
  if (dt.ort === 'bool') {
    const i = (out as Uint8Array).findIndex((b) => b > 1);
    if (i >= 0) throw bad(`input ${inp.name}[${i}]: BOOL bytes must be 0 or 1`);
  }
  return out;
}


/** The outputs a request asks for, with their binary flags (`outputs` absent ⇒ all tensor outputs). */
function pickOutputs(g: OnnxGraph, key: string, req: InferRequest): (OnnxIo & { binary: boolean })[] {
  const defaultBinary = req.parameters?.binary_data_output === true;
  if (req.outputs === undefined) return g.outputs.map((o) => ({ ...o, binary: defaultBinary }));
  if (!Array.isArray(req.outputs) || req.outputs.length === 0) throw bad('"outputs" must be a non-empty array');
  const seen = new Set<string>();
  return req.outputs.map((r) => {
    const o = g.outputs.find((x) => x.name === r?.name);
    if (!o) throw bad(`unknown output ${JSON.stringify(r?.name)?.slice(0, 80)}; ${key} has ${g.outputs.map((x) => x.name).join(', ')}`);
    if (seen.has(o.name)) throw bad(`output ${o.name} is requested twice`);
    seen.add(o.name);
    const b = r.parameters?.binary_data;
    return { ...o, binary: typeof b === 'boolean' ? b : defaultBinary };
  });
}

/** Validates an OIP request against the graph and builds the feeds for the onnx worker. */
export function onnxFrame(s: ServedVersion, req: InferRequest, blobs?: Buffer): OnnxFrame {
  const g = s.onnx!;
  if (!isObj(req) || !Array.isArray(req.inputs) || req.inputs.length === 0) throw bad('request needs a non-empty "inputs" array');
  const names = new Set<string>();
  for (const i of req.inputs) {
    if (!isObj(i) || typeof i.name !== 'string') throw bad('every input needs a "name"');
    if (names.has(i.name)) throw bad(`input ${i.name} appears twice`);
    names.add(i.name);
    if (typeof i.datatype !== 'string') throw bad(`input ${i.name} needs a "datatype"`);
  }
  const unknown = [...names].filter((n) => !g.inputs.some((io) => io.name === n));
  if (unknown.length) throw bad(`unknown inputs ${unknown.join(', ').slice(0, 200)}; ${s.key} takes ${g.inputs.map((io) => io.name).join(', ')}`);
  const missing = g.inputs.filter((io) => !names.has(io.name)).map((io) => io.name);
  if (missing.length) throw bad(`missing inputs ${missing.join(', ')}`);
  // Blobs follow the JSON in the order the inputs appear; their sizes must add up to the body exactly.
  let offset = 0;
  const feeds: [string, WireTensor][] = [];
  let rows = 1;
  for (const inp of req.inputs) {
    const io = g.inputs.find((x) => x.name === inp.name)!;
    if (inp.datatype !== io.datatype) throw bad(`input ${inp.name}: datatype ${inp.datatype.slice(0, 20)} does not match the model's ${io.datatype}`);
    const dt = BY_OIP.get(io.datatype)!;
    const count = checkShape(inp, io);
    const size = isObj(inp.parameters) ? inp.parameters.binary_data_size : undefined;
    let data: WireTensor['data'];
    if (size !== undefined) {
      if (!blobs) throw bad(`input ${inp.name} has binary_data_size but the request has no Inference-Header-Content-Length`);
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`input ${inp.name}: binary_data_size must be a non-negative integer`);
      if (offset + size > blobs.length) throw bad(`input ${inp.name}: binary data runs past the end of the body`);
      data = fromBinary(inp, dt, blobs.subarray(offset, offset + size), count);
      offset += size;
    } else data = fromJson(inp, dt, flatten(inp, count));
    feeds.push([inp.name, { type: io.type, dims: [...inp.shape], data }]);
    if (inp === req.inputs[0]) rows = inp.shape[0] ?? 1;
  }
  if (blobs && offset !== blobs.length) throw bad(`${blobs.length - offset} bytes of binary data are not claimed by any input`);
  const outputs = pickOutputs(g, s.key, req).map((o) => o.name);
  // fromEntries defines own properties: an input named __proto__ stays an input.
  return { rows, cols: 0, data: new Float64Array(0), onnx: { feeds: Object.fromEntries(feeds), outputs } };
}

/** The requested outputs as the OIP plugin lists them (`method` is unused for ONNX). */
export function onnxRequestedOutputs(s: ServedVersion, req: InferRequest): (TensorMeta & { method: Method; binary: boolean })[] {
  return pickOutputs(s.onnx!, s.key, req).map((o) => ({ ...meta(o), method: 'predict', binary: o.binary }));
}

// ── running ──────────────────────────────────────────────────────────────────────────────────

/** The worker's answer, checked: every requested output present, of its declared type and size. */
function checkTensors(g: OnnxGraph, wanted: readonly string[], t: WireTensors): WireTensors {
  for (const name of wanted) {
    const v = Object.hasOwn(t, name) ? t[name] : undefined;
    const io = g.outputs.find((o) => o.name === name);
    if (!v || !io || v.type !== io.type || !Array.isArray(v.dims) || !v.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new MvError('SANDBOX_ONNX_RUN_FAILED', `ONNX Runtime returned output ${name} in an unexpected form`);
    }
    const n = v.dims.reduce((a, b) => a * b, 1);
    if (v.data.length !== n) throw new MvError('SANDBOX_ONNX_RUN_FAILED', `ONNX Runtime returned ${v.data.length} elements for output ${name} of shape ${JSON.stringify(v.dims)}`);
  }
  return t;
}

// One session run per request: the OIP plugin asks once per output with the same frame.
const runs = new WeakMap<OnnxFrame, Promise<OnnxResult>>();

/**
 * Runs an ONNX model in the onnx pool. An OnnxFrame (from `onnxFrame`) runs once for all its outputs;
 * a plain row frame (KServe V1 `:predict`) feeds the model's single [N, F] input and returns the first output.
 */
export function runOnnx(pool: WorkerPool, s: ServedVersion, frame: WireFrame): Promise<PoolResult> {
  const g = s.onnx!;
  if (isOnnxFrame(frame)) {
    let p = runs.get(frame);
    if (!p) {
      const { feeds, outputs } = frame.onnx;
      const run = batchable(g) ? batcherOf(pool, s.key).run(g, feeds, outputs) : pool.run(s.key, feeds, outputs).then((t) => checkTensors(g, outputs, t));
      p = run.then((tensors) => ({ shape: tensors[outputs[0]!]!.dims, data: [], tensors }));
      runs.set(frame, p);
    }
    return p;
  }
  if (s.input.n_features === 0) return Promise.reject(bad(`${s.key} takes named tensors; use the Open Inference Protocol (/v2/models/${s.model}/infer)`));
  const io = g.inputs[0]!;
  if (io.shape[0]! >= 0 && frame.rows !== io.shape[0]) return Promise.reject(bad(`${s.key} takes exactly ${io.shape[0]} row(s) per request`));
  const dt = BY_ORT.get(io.type)!;
  const values = Array.from(frame.data.subarray(0, frame.rows * frame.cols));
  let data: WireTensor['data'];
  try {
    data = fromJson({ name: io.name, datatype: io.datatype, shape: [frame.rows, frame.cols] }, dt, dt.ort === 'bool' ? values.map((v) => v !== 0) : values);
  } catch (e) {
    return Promise.reject(e);
  }
  const out = g.outputs[0]!;
  return pool.run(s.key, { [io.name]: { type: io.type, dims: [frame.rows, frame.cols], data } }, [out.name]).then((t) => {
    const v = checkTensors(g, [out.name], t)[out.name]!;
    return { shape: v.dims, data: jsonValues(out.name, v) };
  });
}

// ── dynamic batching (opt-in) ────────────────────────────────────────────────────────────────

type Data = WireTensor['data'];

/** Concatenates same-typed element arrays (typed arrays of one kind, or strings). */
function concat(parts: readonly Data[], total: number): Data {
  if (Array.isArray(parts[0])) return (parts as (readonly string[])[]).flat();
  // All parts share one typed-array type (same input, same datatype); Uint8Array stands for it.
  const Ctor = (parts[0] as Uint8Array).constructor as Uint8ArrayConstructor;
  const out = new Ctor(total);
  let o = 0;
  for (const p of parts as Uint8Array[]) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const rowsOf = (data: Data, from: number, to: number): Data => (data as Uint8Array).slice(from, to);

interface Waiting {
  readonly feeds: WireTensors;
  readonly rows: number;
  readonly resolve: (t: WireTensors) => void;
  readonly reject: (e: unknown) => void;
}

/** Runs in flight per model before requests queue up to be merged (one executing, one in the pipe). */
const BATCH_INFLIGHT = 2;
const BATCH_MAX_ROWS = 4096;

/**
 * Merges concurrent requests for one row-independent model along axis 0: while BATCH_INFLIGHT runs
 * are out, compatible requests (same outputs, same trailing dimensions) wait and then go as one run;
 * each gets its own rows of every output back. A run whose outputs do not keep axis 0 fails.
 */
class Batcher {
  private running = 0;
  private readonly queues = new Map<string, Waiting[]>();
  constructor(private readonly pool: WorkerPool, private readonly key: string) {}

  run(g: OnnxGraph, feeds: WireTensors, outputs: readonly string[]): Promise<WireTensors> {
    const names = Object.keys(feeds).sort();
    const rows = feeds[names[0]!]!.dims[0]!;
    if (names.some((n) => feeds[n]!.dims[0] !== rows)) return this.pool.run(this.key, feeds, outputs).then((t) => checkTensors(g, outputs, t));
    const sig = JSON.stringify([outputs, names.map((n) => [n, feeds[n]!.dims.slice(1)])]);
    return new Promise((resolve, reject) => {
      const q = this.queues.get(sig) ?? [];
      q.push({ feeds, rows, resolve, reject });
      this.queues.set(sig, q);
      this.flush(g, outputs, sig);
    });
  }

  private flush(g: OnnxGraph, outputs: readonly string[], sig: string): void {
    const q = this.queues.get(sig);
    if (!q?.length || this.running >= BATCH_INFLIGHT) return;
    const items: Waiting[] = [];
    let total = 0;
    while (q.length && (items.length === 0 || total + q[0]!.rows <= BATCH_MAX_ROWS)) {
      const w = q.shift()!;
      items.push(w);
      total += w.rows;
    }
    if (!q.length) this.queues.delete(sig);
    this.running++;
    const first = items[0]!.feeds;
    const feeds = items.length === 1 ? first : Object.fromEntries(Object.entries(first).map(([n, t]) =>
      [n, { type: t.type, dims: [total, ...t.dims.slice(1)], data: concat(items.map((w) => w.feeds[n]!.data), items.reduce((a, w) => a + w.feeds[n]!.data.length, 0)) }]));
    this.pool.run(this.key, feeds, outputs).then((t) => {
      const out = checkTensors(g, outputs, t);
      if (items.length === 1) return items[0]!.resolve(out);
      for (const name of outputs) {
        if (out[name]!.dims[0] !== total) throw new MvError('SANDBOX_ONNX_RUN_FAILED', `output ${name} does not keep the batch axis; remove the ${ONNX_BATCH_TAG} tag from this model`);
      }
      let row = 0;
      for (const w of items) {
        w.resolve(Object.fromEntries(outputs.map((name) => {
          const v = out[name]!;
          const width = v.dims.slice(1).reduce((a, b) => a * b, 1);
          return [name, { type: v.type, dims: [w.rows, ...v.dims.slice(1)], data: rowsOf(v.data, row * width, (row + w.rows) * width) }];
        })));
        row += w.rows;
      }
    }).catch((e: unknown) => {
      // One request's bad values (an index out of range) must not fail the requests merged with it.
      if (items.length > 1 && isMvError(e) && e.code === 'SANDBOX_ONNX_RUN_FAILED') {
        for (const w of items) this.pool.run(this.key, w.feeds, outputs).then((t) => w.resolve(checkTensors(g, outputs, t)), w.reject);
      } else for (const w of items) w.reject(e);
    }).finally(() => {
      this.running--;
      for (const [k] of this.queues) this.flush(g, JSON.parse(k)[0] as string[], k);
    });
  }
}

const batchers = new WeakMap<WorkerPool, Map<string, Batcher>>();

function batcherOf(pool: WorkerPool, key: string): Batcher {
  let m = batchers.get(pool);
  if (!m) batchers.set(pool, (m = new Map()));
  let b = m.get(key);
  if (!b) m.set(key, (b = new Batcher(pool, key)));
  return b;
}

// ── responses ────────────────────────────────────────────────────────────────────────────────

function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Output elements as JSON values; 64-bit integers beyond ±2^53 cannot be sent exactly, so they are refused. */
function jsonValues(name: string, v: WireTensor): (string | number | boolean)[] {
  const d = v.data;
  if (v.type === 'bool') return Array.from(d as Uint8Array, (b) => b !== 0);
  if (v.type === 'float16') return Array.from(d as Uint16Array, halfToNumber);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    return Array.from(d as BigInt64Array, (b) => {
      if (b > 9007199254740991n || b < -9007199254740991n) throw bad(`output ${name} holds an integer beyond ±2^53, which JSON cannot carry exactly; request it with binary_data`);
      return Number(b);
    });
  }
  if (Array.isArray(d)) return [...(d as string[])];
  const out = Array.from(d as Float64Array);
  if (v.type === 'float32' || v.type === 'float64') {
    const i = out.findIndex((x) => !Number.isFinite(x));
    if (i >= 0) throw bad(`output ${name}[${i}] is ${out[i]}, which JSON cannot carry; request it with binary_data`);
  }
  return out;
}

function binaryBytes(v: WireTensor): Uint8Array {
  if (Array.isArray(v.data)) {
    const parts: Buffer[] = [];
    for (const s of v.data as string[]) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length);
      parts.push(len, b);
    }
    return Buffer.concat(parts);
  }
  if (!LITTLE_ENDIAN) throw new MvError('INTERNAL', 'binary tensors need a little-endian host');
  const a = v.data as Uint8Array;
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** One output tensor of a session run, as JSON numbers or as raw binary-extension bytes. */
export function onnxOutput(m: TensorMeta & { binary: boolean }, r: OnnxResult): OutputTensor {
  const v = r.tensors[m.name];
  if (!v) throw new MvError('SANDBOX_ONNX_RUN_FAILED', `ONNX Runtime returned no output ${m.name}`);
  const base = { name: m.name, datatype: BY_ORT.get(v.type)!.oip, shape: v.dims, binary: m.binary };
  return m.binary ? { ...base, data: [], raw: binaryBytes(v) } : { ...base, data: jsonValues(m.name, v) };
}
