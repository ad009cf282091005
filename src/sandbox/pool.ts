import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { isErrorCode, MvError, type ErrorCode } from '../core/index.js';
import type { Method } from '../runtime/index.js';
import { detectIsolation, type Isolation } from './isolation.js';
import type { FromWorker, ToWorker, WireFrame, WireTensors } from './protocol.js';
import { encodeFrame, FrameReader, MAX_RESULT_FRAME_BYTES } from './wire.js';

export interface PoolOptions {
  /**
   * Which worker runs the models: `artifact` (modelvault/1 artifacts on the TS runtime, the default) or
   * `onnx` (ONNX models on onnxruntime-node). `onnx` workers also get `--allow-addons` for ORT's native
   * binding, which native code can use to bypass the permission model (docs/serving.md, ONNX).
   */
  readonly kind?: 'artifact' | 'onnx';
  /** Worker processes (each holds every loaded model). Default 1. */
  readonly workers?: number;
  /** Per-batch deadline; a worker that misses it is killed and replaced. Default 2000 ms. */
  readonly timeoutMs?: number;
  /** Deadline for loading a model into a worker. Default 30000 ms. */
  readonly loadTimeoutMs?: number;
  /**
   * Batches in flight per worker (pipelining): the next batch waits in the worker's pipe instead of in
   * the parent, so a busy or descheduled worker costs one wake-up per several batches. Default 2 (1 for onnx).
   */
  readonly inflight?: number;
  /** Largest batch of rows sent to a worker at once. Default 4096. */
  readonly maxBatchRows?: number;
  /** Address-space limit (RLIMIT_AS) per worker; V8 needs ≥ 1 GiB to start. Default 4 GiB. */
  readonly memoryBytes?: number;
  /** V8 old-space limit per worker. Default 512 MB. */
  readonly heapMb?: number;
  /** CPU seconds per worker before the kernel kills it (then it is replaced). Default 3600. */
  readonly cpuSeconds?: number;
  /** Entry script of the worker (default: modelvault's own worker). */
  readonly workerScript?: string;
  /** Extra folders the worker may read (its own code folders are always readable). */
  readonly readPaths?: readonly string[];
  /** Disable the network namespace and rlimits (the permission model always applies). */
  readonly isolation?: 'auto' | 'permission-only';
  /** Called on worker exit and restart, for metrics and logs. */
  readonly onEvent?: (e: PoolEvent) => void;
}

export type PoolEvent =
  | { readonly kind: 'spawn'; readonly worker: number; readonly pid: number | undefined }
  | { readonly kind: 'exit'; readonly worker: number; readonly code: number | null; readonly signal: string | null; readonly failed: number }
  | { readonly kind: 'timeout'; readonly worker: number; readonly rows: number }
  | { readonly kind: 'batch'; readonly worker: number; readonly requests: number; readonly rows: number };

export interface PoolResult {
  readonly shape: readonly number[];
  readonly data: Float64Array | readonly (string | number | boolean)[];
}

interface Pending {
  readonly key: string;
  readonly method: Method;
  readonly frame: WireFrame;
  readonly resolve: (r: PoolResult) => void;
  readonly reject: (e: MvError) => void;
  /** Several methods in one round trip (predictAll): batched only with requests for the same methods. */
  readonly all?: { readonly methods: readonly Method[]; readonly sig: string; readonly resolve: (r: PoolResult[]) => void };
  /** An ONNX run (onnx pools): named tensors in and out, never batched with other requests. */
  readonly tensors?: { readonly feeds: WireTensors; readonly outputs: readonly string[]; readonly resolve: (t: WireTensors) => void };
}

interface Batch {
  readonly id: number;
  readonly items: readonly Pending[];
  readonly timer: NodeJS.Timeout;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

class Worker {
  proc: ChildProcess | undefined;
  ready = false;
  /** The binary channel (wire.ts), once the worker said it reads it; else messages go over IPC. */
  pipe: Socket | undefined;
  readonly batches = new Map<number, Batch>();
  readonly loads = new Map<number, { resolve: (info: unknown) => void; reject: (e: MvError) => void }>();
  constructor(readonly index: number) {}
}

/**
 * A pool of sandboxed worker processes that run models. Requests for the same model and method that
 * arrive while a worker is busy are merged into one batch, so the process hop is paid once per batch,
 * not per request. A worker that crashes or misses its deadline is killed and replaced; the requests it
 * held fail at once with a 503-class error, and nothing waits forever.
 */
export class WorkerPool {
  readonly isolation: Isolation;
  private readonly workers: Worker[];
  private readonly queue: Pending[] = [];
  private readonly models = new Map<string, Uint8Array>();
  private readonly opts: Required<Omit<PoolOptions, 'onEvent' | 'readPaths' | 'workerScript' | 'inflight'>> & Pick<PoolOptions, 'onEvent'>;
  private readonly script: string;
  private readonly readPaths: readonly string[];
  private readonly inflight: number;
  private nextId = 1;
  private closed = false;
  restarts = 0;

  constructor(opts: PoolOptions = {}) {
    this.opts = {
      workers: opts.workers ?? 1, timeoutMs: opts.timeoutMs ?? 2000, loadTimeoutMs: opts.loadTimeoutMs ?? 30_000, maxBatchRows: opts.maxBatchRows ?? 4096,
      memoryBytes: opts.memoryBytes ?? 4 * 1024 ** 3, heapMb: opts.heapMb ?? 512, cpuSeconds: opts.cpuSeconds ?? 3600,
      isolation: opts.isolation ?? 'auto', onEvent: opts.onEvent, kind: opts.kind ?? 'artifact',
    };
    this.inflight = Math.max(1, opts.inflight ?? (this.opts.kind === 'onnx' ? 1 : 2));
    this.script = opts.workerScript ?? join(ROOT, 'dist', 'sandbox', this.opts.kind === 'onnx' ? 'onnx-worker.js' : 'worker.js');
    this.readPaths = [join(ROOT, 'dist'), join(ROOT, 'node_modules'), join(ROOT, 'package.json'), dirname(this.script), ...(opts.readPaths ?? [])];
    this.isolation = detectIsolation(this.opts.kind);
    this.workers = Array.from({ length: this.opts.workers }, (_, i) => new Worker(i));
    for (const w of this.workers) this.spawn(w);
  }

  private command(): { cmd: string; args: string[] } {
    const node = [
      process.execPath, this.isolation.permissionFlag, ...[...new Set(this.readPaths)].map((p) => `--allow-fs-read=${p}`),
      // artifact workers run no generated code at all (the description validator is prebuilt), so
      // eval / new Function are off for them; ONNX Runtime's bindings are left as they are
      ...(this.opts.kind === 'onnx' ? ['--allow-addons'] : ['--disallow-code-generation-from-strings']),
      `--max-old-space-size=${this.opts.heapMb}`, '--disable-proto=throw', '--no-warnings', this.script,
    ];
    const wrap: string[] = [];
    if (this.opts.isolation === 'auto' && this.isolation.prlimit) {
      wrap.push(this.isolation.prlimit, `--as=${this.opts.memoryBytes}`, `--cpu=${this.opts.cpuSeconds}`, '--nofile=64', '--');
    }
    if (this.opts.isolation === 'auto' && this.isolation.unshare) wrap.push(this.isolation.unshare, '--net');
    const all = [...wrap, ...node];
    return { cmd: all[0]!, args: all.slice(1) };
  }

  private spawn(w: Worker): void {
    if (this.closed) return;
    const { cmd, args } = this.command();
    const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc', 'pipe'], serialization: 'advanced', detached: true, env: {} });
    w.proc = proc;
    w.ready = false;
    w.pipe = undefined;
    proc.stderr?.resume();
    proc.on('message', (m: FromWorker) => {
      if (m.t === 'ready' && m.pipe === true && proc.stdio[4]) w.pipe = proc.stdio[4] as Socket;
      this.onMessage(w, m);
    });
    // Frames from the worker: anything malformed means the worker is not behaving; it is replaced.
    const reader = new FrameReader(MAX_RESULT_FRAME_BYTES);
    const pipe = proc.stdio[4] as Socket | null;
    pipe?.on('data', (chunk: Buffer) => {
      let messages: unknown[];
      try {
        messages = reader.push(chunk);
      } catch {
        pipe.destroy();
        killGroup(proc);
        return;
      }
      for (const m of messages) if (w.proc === proc) this.onMessage(w, m as FromWorker);
    });
    pipe?.on('error', () => killGroup(proc));
    // 'error' also fires when a message cannot be sent to a worker that just died: only a failed spawn
    // (no pid) is an exit by itself; otherwise make sure it is gone and let 'exit' report the real cause.
    proc.on('error', () => (proc.pid === undefined ? this.onExit(w, proc, null, 'spawn-error') : killGroup(proc)));
    proc.on('exit', (code, signal) => this.onExit(w, proc, code, signal));
    this.opts.onEvent?.({ kind: 'spawn', worker: w.index, pid: proc.pid });
  }

  private onMessage(w: Worker, m: FromWorker): void {
    switch (m.t) {
      case 'ready':
        w.ready = true;
        for (const [key, bytes] of this.models) this.send(w, { t: 'load', id: 0, key, bytes });
        this.pump();
        return;
      case 'loaded': {
        const l = w.loads.get(m.id);
        w.loads.delete(m.id);
        l?.resolve(m.info);
        return;
      }
      case 'result':
      case 'results':
      case 'tensors':
      case 'error': {
        const l = w.loads.get(m.id);
        if (l && m.t === 'error') {
          w.loads.delete(m.id);
          l.reject(new MvError(asCode(m.code), m.message));
          return;
        }
        const b = w.batches.get(m.id);
        if (!b) return;
        clearTimeout(b.timer);
        w.batches.delete(m.id);
        if (m.t === 'error') for (const p of b.items) p.reject(new MvError(asCode(m.code), m.message));
        else if (m.t === 'tensors') b.items[0]?.tensors?.resolve(m.tensors);
        else if (m.t === 'results') splitAll(b.items, m.results);
        else split(b.items, m.shape, m.data);
        this.pump();
        return;
      }
    }
  }

  private onExit(w: Worker, proc: ChildProcess, code: number | null, signal: string | null): void {
    if (w.proc !== proc) return;
    w.proc = undefined;
    w.ready = false;
    w.pipe = undefined;
    const failed: Pending[] = [];
    for (const b of w.batches.values()) {
      clearTimeout(b.timer);
      failed.push(...b.items);
    }
    w.batches.clear();
    const err = new MvError('SANDBOX_UNAVAILABLE', 'the model worker stopped; the request was not completed');
    for (const p of failed) p.reject(err);
    for (const l of w.loads.values()) l.reject(err);
    w.loads.clear();
    this.opts.onEvent?.({ kind: 'exit', worker: w.index, code, signal, failed: failed.length });
    if (this.closed) return;
    this.restarts++;
    setTimeout(() => this.spawn(w), Math.min(1000, 50 * this.restarts)).unref();
  }

  private send(w: Worker, m: ToWorker): boolean {
    if (!w.proc?.connected) return false;
    try {
      if (w.pipe) {
        if (w.pipe.destroyed) return false;
        w.pipe.write(encodeFrame(m));
      } else w.proc.send(m);
      return true;
    } catch {
      return false;
    }
  }

  /** Loads (or replaces) a model in every worker; resolves with its description from the first worker. */
  async load(key: string, bytes: Uint8Array): Promise<unknown> {
    this.models.set(key, bytes);
    const results = this.workers.map((w) => new Promise<unknown>((resolve, reject) => {
      if (!w.ready) return resolve(undefined); // it loads every model when it becomes ready
      const id = this.nextId++;
      // A load that never answers is treated like a stuck batch: the worker is replaced.
      const timer = setTimeout(() => {
        w.loads.delete(id);
        reject(new MvError('SANDBOX_TIMEOUT', `the model worker did not load ${key} within ${this.opts.loadTimeoutMs} ms`));
        w.ready = false;
        killGroup(w.proc);
      }, this.opts.loadTimeoutMs);
      w.loads.set(id, { resolve: (v) => { clearTimeout(timer); resolve(v); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      if (!this.send(w, { t: 'load', id, key, bytes })) {
        clearTimeout(timer);
        w.loads.delete(id);
        resolve(undefined);
      }
    }));
    const infos = await Promise.all(results);
    return infos.find((i) => i !== undefined);
  }

  unload(key: string): void {
    this.models.delete(key);
    for (const w of this.workers) this.send(w, { t: 'unload', key });
  }

  /** Runs a method over rows in a worker; concurrent calls for the same model are batched. */
  predict(key: string, method: Method, frame: WireFrame): Promise<PoolResult> {
    if (this.closed) return Promise.reject(new MvError('SANDBOX_UNAVAILABLE', 'the worker pool is closed'));
    if (!this.models.has(key)) return Promise.reject(new MvError('REG_NOT_FOUND', `model ${key} is not loaded`));
    return new Promise((resolve, reject) => {
      this.queue.push({ key, method, frame, resolve, reject });
      this.pump();
    });
  }

  /**
   * Runs several methods over the same rows in one worker round trip (the server asks for every output
   * of a model at once); concurrent calls for the same model and methods are batched together.
   */
  predictAll(key: string, methods: readonly Method[], frame: WireFrame): Promise<PoolResult[]> {
    if (this.closed) return Promise.reject(new MvError('SANDBOX_UNAVAILABLE', 'the worker pool is closed'));
    if (!this.models.has(key)) return Promise.reject(new MvError('REG_NOT_FOUND', `model ${key} is not loaded`));
    if (methods.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ key, method: methods[0]!, frame, resolve: () => {}, reject, all: { methods, sig: methods.join(','), resolve } });
      this.schedulePump();
    });
  }

  /**
   * Runs an ONNX model (onnx pools) on named input tensors and returns the requested outputs. Each call
   * is its own worker round trip: requests are not merged, since ONNX inputs need not share a batch axis.
   */
  run(key: string, feeds: WireTensors, outputs: readonly string[]): Promise<WireTensors> {
    if (this.closed) return Promise.reject(new MvError('SANDBOX_UNAVAILABLE', 'the worker pool is closed'));
    if (!this.models.has(key)) return Promise.reject(new MvError('REG_NOT_FOUND', `model ${key} is not loaded`));
    return new Promise((resolve, reject) => {
      const frame = { rows: 1, cols: 0, data: new Float64Array(0) };
      this.queue.push({ key, method: 'predict', frame, resolve: () => {}, reject, tensors: { feeds, outputs, resolve } });
      this.pump();
    });
  }

  private pumpScheduled = false;

  /**
   * Dispatches after the current I/O phase instead of at once, so every request that arrived in the
   * same event-loop turn joins one batch (one worker wake-up) rather than the first going alone.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length) {
      const w = this.workers.find((x) => x.ready && x.batches.size === 0) ?? this.workers.find((x) => x.ready && x.batches.size < this.inflight);
      if (!w) return;
      const first = this.queue[0]!;
      if (first.tensors) {
        this.queue.shift();
        const { feeds, outputs } = first.tensors;
        this.dispatch(w, [first], 1, (id) => ({ t: 'run', id, key: first.key, feeds, outputs }));
        continue;
      }
      const items: Pending[] = [];
      let rows = 0;
      for (let i = 0; i < this.queue.length && rows < this.opts.maxBatchRows; ) {
        const p = this.queue[i]!;
        if (!p.tensors && p.key === first.key && p.method === first.method && p.all?.sig === first.all?.sig && p.frame.cols === first.frame.cols && (rows === 0 || rows + p.frame.rows <= this.opts.maxBatchRows)) {
          items.push(p);
          rows += p.frame.rows;
          this.queue.splice(i, 1);
        } else i++;
      }
      const frame = merge(items.map((p) => p.frame));
      const all = first.all;
      this.dispatch(w, items, rows, (id) => (all ? { t: 'predictAll', id, key: first.key, methods: all.methods, frame } : { t: 'predict', id, key: first.key, method: first.method, frame }));
    }
  }

  /** Sends one batch to an idle worker, under its deadline. */
  private dispatch(w: Worker, items: readonly Pending[], rows: number, message: (id: number) => ToWorker): void {
    const id = this.nextId++;
    const timer = setTimeout(() => this.timeout(w, id), this.opts.timeoutMs);
    w.batches.set(id, { id, items, timer });
    this.opts.onEvent?.({ kind: 'batch', worker: w.index, requests: items.length, rows });
    if (!this.send(w, message(id))) {
      clearTimeout(timer);
      w.batches.delete(id);
      for (const p of items) p.reject(new MvError('SANDBOX_UNAVAILABLE', 'the model worker is restarting'));
    }
  }

  private timeout(w: Worker, id: number): void {
    const b = w.batches.get(id);
    if (!b) return;
    w.batches.delete(id);
    this.opts.onEvent?.({ kind: 'timeout', worker: w.index, rows: b.items.reduce((n, p) => n + p.frame.rows, 0) });
    for (const p of b.items) p.reject(new MvError('SANDBOX_TIMEOUT', `the model did not answer within ${this.opts.timeoutMs} ms`));
    w.ready = false;
    killGroup(w.proc);
  }

  /** Models currently loaded. */
  /** Batches sent to workers and not yet answered. */
  batchesInFlight(): number {
    return this.workers.reduce((n, w) => n + w.batches.size, 0);
  }

  loadedCount(): number {
    return this.models.size;
  }

  /** True when at least one worker can take requests. */
  isReady(): boolean {
    return this.workers.some((w) => w.ready);
  }

  /** Pids of the running workers (for tests and the metrics endpoint). */
  pids(): (number | undefined)[] {
    return this.workers.map((w) => w.proc?.pid);
  }

  /** Resolves once every worker is ready. */
  async whenReady(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.workers.every((w) => w.ready)) {
      if (Date.now() > until) throw new MvError('SANDBOX_UNAVAILABLE', 'model workers did not start');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new MvError('SANDBOX_UNAVAILABLE', 'the worker pool is closing'));
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => {
      if (!w.proc || w.proc.exitCode !== null) return resolve();
      w.proc.once('exit', () => resolve());
      killGroup(w.proc);
    })));
  }
}

function killGroup(proc: ChildProcess | undefined): void {
  if (!proc?.pid) return;
  try {
    process.kill(-proc.pid, 'SIGKILL');
  } catch {
    proc.kill('SIGKILL');
  }
}

/** Codes come from another process: only known codes pass through. */
const asCode = (c: string): ErrorCode => (isErrorCode(c) ? c : 'INTERNAL');

/** Concatenates frames row-wise (they share the column count). */
function merge(frames: readonly WireFrame[]): WireFrame {
  if (frames.length === 1) return frames[0]!;
  const cols = frames[0]!.cols;
  const rows = frames.reduce((n, f) => n + f.rows, 0);
  const data = new Float64Array(rows * cols);
  let o = 0;
  for (const f of frames) {
    data.set(f.data.subarray(0, f.rows * cols), o);
    o += f.rows * cols;
  }
  const anyText = frames.some((f) => f.text);
  if (!anyText) return { rows, cols, data };
  const text = Array.from({ length: cols }, (_, j) => {
    if (!frames.some((f) => f.text?.[j])) return undefined;
    return frames.flatMap((f) => f.text?.[j] ?? new Array<string | null>(f.rows).fill(null));
  });
  return { rows, cols, data, text };
}

/** predictAll: gives each request its own rows of every method's result. */
function splitAll(items: readonly Pending[], results: readonly { readonly shape: readonly number[]; readonly data: PoolResult['data'] }[]): void {
  const widths = results.map((r) => r.shape.slice(1).reduce((a, b) => a * b, 1));
  let row = 0;
  for (const p of items) {
    const n = p.frame.rows;
    p.all?.resolve(results.map((r, k) => {
      const w = widths[k]!;
      const part = r.data instanceof Float64Array ? r.data.subarray(row * w, (row + n) * w) : r.data.slice(row * w, (row + n) * w);
      return { shape: [n, ...r.shape.slice(1)], data: part };
    }));
    row += n;
  }
}

/** Gives each request its own rows of the batch result. */
function split(items: readonly Pending[], shape: readonly number[], data: PoolResult['data']): void {
  const width = shape.slice(1).reduce((a, b) => a * b, 1);
  let row = 0;
  for (const p of items) {
    const n = p.frame.rows;
    const part = data instanceof Float64Array ? data.subarray(row * width, (row + n) * width) : data.slice(row * width, (row + n) * width);
    p.resolve({ shape: [n, ...shape.slice(1)], data: part });
    row += n;
  }
}
