/**
 * Entry point of a sandboxed ONNX worker (a child process started by `WorkerPool({ kind: 'onnx' })`).
 * It runs ONNX models on onnxruntime-node's CPU build, under Node's permission model: fs reads limited
 * to modelvault's code and node_modules, no writes, child processes or worker threads, under rlimits
 * and, where the host allows it, in a network namespace of its own.
 *
 * Unlike the artifact worker it is started with `--allow-addons`, because ORT is a native addon. That
 * weakens the sandbox (../shared/spec/serving.md §2.1): the permission model guards JavaScript only, and
 * ORT's native code can read any file the process's uid can, whatever `--allow-fs-read` says. So:
 * models arrive as bytes over IPC (`InferenceSession.create(Uint8Array)`), never as paths; models with
 * external data are refused here, before ORT sees them (loaded from bytes, ORT would resolve external
 * data paths against the working directory); no session option that writes files (profiling,
 * optimized-model output) is ever set; and the network namespace and rlimits, which do confine native
 * code, stay the real boundary. See docs/serving.md, "ONNX".
 */
import type * as Ort from 'onnxruntime-node';
import { DEFAULT_LIMITS, isMvError, MvError } from '../core/index.js';
import { readOnnx, type OnnxModel } from '../formats/onnx/index.js';
import type { FromWorker, ToWorker, WireTensor, WireTensors, WireTensorType } from './protocol.js';

// onnxruntime-node is an optional dependency: without it every load fails with a clear code, instead of
// the worker dying at start and being restarted in a loop.
const ort = await import('onnxruntime-node').then((m) => m.default, () => undefined);
const sessions = new Map<string, Ort.InferenceSession>();
const send = (m: FromWorker): void => void process.send!(m);

/** ORT messages can be long and carry ANSI log colouring; keep one short line. */
function ortMessage(e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  // eslint-disable-next-line no-control-regex
  return raw.replace(/\u001b\[[0-9;]*m/g, '').split('\n')[0]!.replace(/\[E:onnxruntime.*$/, '').slice(0, 300);
}

function fail(id: number, e: unknown, code: 'SANDBOX_ONNX_LOAD_FAILED' | 'SANDBOX_ONNX_RUN_FAILED'): void {
  if (isMvError(e)) send({ t: 'error', id, code: e.code, message: e.message });
  else send({ t: 'error', id, code, message: `ONNX Runtime: ${ortMessage(e)}` });
}

/** What the server needs to describe and validate a model: graph inputs and outputs as ORT sees them. */
function describe(s: Ort.InferenceSession, model: OnnxModel): unknown {
  const io = (m: readonly Ort.InferenceSession.ValueMetadata[]) =>
    m.map((v) => (v.isTensor ? { name: v.name, tensor: true, type: v.type, shape: v.shape } : { name: v.name, tensor: false }));
  return {
    inputs: io(s.inputMetadata), outputs: io(s.outputMetadata),
    irVersion: model.irVersion ?? null, producer: model.producerName ?? null, opsets: model.opsetImports,
  };
}

async function load(id: number, key: string, bytes: Uint8Array): Promise<void> {
  try {
    const model = readOnnx(bytes, DEFAULT_LIMITS);
    if (model.externalData.length) {
      throw new MvError('SANDBOX_ONNX_LOAD_FAILED', `the model reads ${model.externalData.length} tensor(s) from external files; served ONNX models must be self-contained`);
    }
    if (!ort) throw new MvError('SANDBOX_ONNX_LOAD_FAILED', 'onnxruntime-node is not installed, so ONNX models cannot be served');
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
      graphOptimizationLevel: 'all', logSeverityLevel: 3, enableProfiling: false,
    });
    const old = sessions.get(key);
    sessions.set(key, session);
    if (old) void old.release().catch(() => {});
    send({ t: 'loaded', id, info: describe(session, model) });
  } catch (e) {
    fail(id, e, 'SANDBOX_ONNX_LOAD_FAILED');
  }
}

const toOrt = (t: WireTensor): Ort.Tensor =>
  // The union of data arrays matches ORT's per-type constructors; the parent checked type and length.
  new ort!.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);

function fromOrt(v: Ort.OnnxValue): WireTensor {
  const t = v as Ort.Tensor;
  return { type: t.type as WireTensorType, dims: [...t.dims], data: t.data as WireTensor['data'] };
}

async function run(id: number, key: string, feeds: WireTensors, outputs: readonly string[]): Promise<void> {
  const s = sessions.get(key);
  if (!s) return fail(id, new MvError('SANDBOX_UNAVAILABLE', `model ${key} is not loaded in this worker`), 'SANDBOX_ONNX_RUN_FAILED');
  try {
    // fromEntries defines own properties, so even a tensor named __proto__ is just a name.
    const input = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, toOrt(t)]));
    const r = await s.run(input, [...outputs]);
    const tensors = Object.fromEntries(outputs.map((name) => {
      const v = Object.hasOwn(r, name) ? r[name] : undefined;
      if (!v) throw new MvError('SANDBOX_ONNX_RUN_FAILED', `ONNX Runtime returned no output ${name}`);
      return [name, fromOrt(v)];
    }));
    send({ t: 'tensors', id, tensors });
  } catch (e) {
    fail(id, e, 'SANDBOX_ONNX_RUN_FAILED');
  }
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.t) {
    case 'load':
      return load(m.id, m.key, m.bytes);
    case 'unload': {
      const s = sessions.get(m.key);
      sessions.delete(m.key);
      await s?.release().catch(() => {});
      return;
    }
    case 'run':
      return run(m.id, m.key, m.feeds, m.outputs);
    case 'predict':
      send({ t: 'error', id: m.id, code: 'INPUT_INVALID', message: 'ONNX workers run named tensors, not rows' });
      return;
  }
}

// Session creation is asynchronous: messages are handled strictly in order, so a run sent after a
// (re)load never finds the model missing.
let queue: Promise<void> = Promise.resolve();
process.on('message', (m: ToWorker) => {
  queue = queue.then(() => handle(m)).catch(() => {});
});
process.on('disconnect', () => process.exit(0));
send({ t: 'ready' });
