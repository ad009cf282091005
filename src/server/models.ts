import { isMvError, MvError } from '../core/index.js';
import type { Registry, VersionRecord } from '../registry/index.js';
import type { InputSchema, Label, Method, OutputSchema } from '../runtime/index.js';
import type { PoolOptions, PoolResult, WireFrame, WorkerPool } from '../sandbox/index.js';
import { batchOptIn, createOnnxPool, onnxServed, parseOnnxInfo, runOnnx, type OnnxGraph } from './onnx.js';

/** How long a failed model load is remembered before the next request tries again. */
const FAILED_LOAD_TTL_MS = 30_000;

/** What the server knows about a loaded model version (from its artifact description, never from code). */
export interface ServedVersion {
  readonly model: string;
  readonly version: number;
  readonly digest: string;
  readonly key: string;
  readonly input: InputSchema;
  readonly output: OutputSchema;
  readonly methods: readonly Method[];
  /** ONNX models (format `onnx`) only: their graph inputs and outputs; they run in the onnx pool (onnx.ts). */
  readonly onnx?: OnnxGraph;
}

/** Reference from a URL: no version ⇒ the serving alias; a number ⇒ that version; otherwise an alias name. */
export type ServeRef = { readonly model: string; readonly version?: string };

export interface ModelServiceOptions {
  /** Alias served when a request names no version. Default `production`. */
  readonly defaultAlias?: string;
  /** How long an alias resolution is cached before the registry is asked again. Default 1000 ms. */
  readonly aliasTtlMs?: number;
  readonly clock?: () => number;
  /** Options of the separate pool of ONNX workers, started on the first ONNX load (onnx.ts). */
  readonly onnxPool?: PoolOptions;
}

/**
 * Resolves model references against the registry, loads artifacts into the sandboxed pool (as bytes,
 * verified against their digest on the way out of the blob store) and runs inference. Alias moves swap
 * what is served without failing requests in flight: the new version is loaded before the alias cache
 * points at it, and the old one stays loaded.
 */
export class ModelService {
  private readonly loaded = new Map<string, Promise<ServedVersion>>();
  /** Versions whose load has finished, for the synchronous hot path (servedNow). */
  private readonly ready = new Map<string, ServedVersion>();
  private readonly aliasCache = new Map<string, { version: VersionRecord; at: number }>();
  private readonly defaultAlias: string;
  private readonly ttl: number;
  private readonly clock: () => number;
  private readonly onnxPoolOptions: PoolOptions;
  private onnxPoolValue: WorkerPool | undefined;

  constructor(readonly registry: Registry, readonly pool: WorkerPool, readonly actor: string, opts: ModelServiceOptions = {}) {
    this.onnxPoolOptions = opts.onnxPool ?? {};
    this.defaultAlias = opts.defaultAlias ?? 'production';
    this.ttl = opts.aliasTtlMs ?? 1000;
    this.clock = opts.clock ?? Date.now;
  }

  /** The registry version a request means. Unknown model/version/alias ⇒ REG_NOT_FOUND (404). */
  async resolve(ref: ServeRef): Promise<VersionRecord> {
    const v = ref.version;
    if (v !== undefined && /^[1-9][0-9]{0,8}$/.test(v)) {
      return this.registry.resolve(this.actor, { kind: 'version', model: ref.model, version: Number(v) });
    }
    const alias = v ?? this.defaultAlias;
    const k = `${ref.model}@${alias}`;
    const hit = this.aliasCache.get(k);
    if (hit && this.clock() - hit.at < this.ttl) return hit.version;
    let version: VersionRecord;
    try {
      version = await this.registry.resolve(this.actor, { kind: 'alias', model: ref.model, alias });
    } catch (e) {
      if (v === undefined && (e as MvError).code === 'REG_NOT_FOUND') {
        throw new MvError('REG_NOT_FOUND', `model ${ref.model} has no ${alias} alias; name a version (/versions/N) or set the alias`);
      }
      throw e;
    }
    // Load before publishing the new mapping, so a moved alias never routes to a version still loading.
    await this.ensure(version);
    this.aliasCache.set(k, { version, at: this.clock() });
    return version;
  }

  /**
   * The served version for an alias reference, without waiting: only when the alias resolution is
   * cached and still fresh and that version has finished loading; otherwise undefined (use resolve +
   * ensure). Numbered versions always go to the registry (a deleted version must stop being served).
   */
  servedNow(ref: ServeRef): ServedVersion | undefined {
    if (ref.version !== undefined && /^[1-9][0-9]{0,8}$/.test(ref.version)) return undefined;
    const hit = this.aliasCache.get(`${ref.model}@${ref.version ?? this.defaultAlias}`);
    if (!hit || this.clock() - hit.at >= this.ttl) return undefined;
    return this.ready.get(`${hit.version.model}@${hit.version.version}`);
  }

  /** Forgets cached alias resolutions for a model (after an alias move through the API). */
  invalidate(model: string): void {
    for (const k of this.aliasCache.keys()) if (k.startsWith(`${model}@`)) this.aliasCache.delete(k);
  }

  /** Loads a version into the worker pool once; concurrent callers share the load. */
  ensure(version: VersionRecord): Promise<ServedVersion> {
    const key = `${version.model}@${version.version}`;
    let p = this.loaded.get(key);
    if (!p) {
      p = this.load(version, key);
      this.loaded.set(key, p);
      p.then((served) => this.ready.set(key, served), (e) => {
        // A broken artifact fails the same way every time: remember the failure for a while instead of
        // re-reading and re-sending it on every request. Worker trouble (SANDBOX_*) is retried at once.
        if (isMvError(e) && !e.code.startsWith('SANDBOX_')) setTimeout(() => this.loaded.delete(key), FAILED_LOAD_TTL_MS).unref();
        else this.loaded.delete(key);
      });
    }
    return p;
  }

  isLoaded(version: VersionRecord): boolean {
    return this.loaded.has(`${version.model}@${version.version}`);
  }

  /** The stored artifact's bytes; the blob store re-hashes them while reading (REG_BLOB_CORRUPT on a mismatch). */
  private async artifactBytes(version: VersionRecord): Promise<Buffer> {
    const chunks: Uint8Array[] = [];
    for await (const c of this.registry.blobs.read(version.digest)) chunks.push(c);
    return Buffer.concat(chunks);
  }

  private async load(version: VersionRecord, key: string): Promise<ServedVersion> {
    if (version.format === 'onnx') return this.loadOnnx(version, key);
    if (version.format !== 'modelvault/1') {
      throw new MvError('CONVERT_UNSUPPORTED', `${key} is stored as ${version.format}; only modelvault/1 artifacts are served`);
    }
    const bytes = await this.artifactBytes(version);
    // The artifact is parsed only inside the sandbox; the worker answers with its schemas.
    await this.pool.whenReady();
    const info = (await this.pool.load(key, bytes)) as { input: InputSchema; output: OutputSchema; methods: Method[] } | undefined;
    if (!info) throw new MvError('SANDBOX_UNAVAILABLE', `no model worker could load ${key}`);
    return { model: version.model, version: version.version, digest: version.digest, key, input: info.input, output: info.output, methods: info.methods };
  }

  /** Runs one method for a batch of rows in the sandbox. */
  run(served: ServedVersion, method: Method, frame: WireFrame): Promise<PoolResult> {
    if (served.onnx) return runOnnx(this.onnxPool(), served, frame);
    if (!served.methods.includes(method)) {
      throw new MvError('INPUT_INVALID', `${served.key} has no ${method} (available: ${served.methods.join(', ')})`);
    }
    return this.pool.predict(served.key, method, frame);
  }

  // ── ONNX (onnx.ts): a separate pool of onnx workers, started on first use ─────────────────────

  /** The onnx worker pool (started on first use). */
  onnxPool(): WorkerPool {
    this.onnxPoolValue ??= createOnnxPool(this.onnxPoolOptions);
    return this.onnxPoolValue;
  }

  private async loadOnnx(version: VersionRecord, key: string): Promise<ServedVersion> {
    const bytes = await this.artifactBytes(version);
    // The bytes go to the onnx worker (never a path); ONNX Runtime parses them only there.
    const pool = this.onnxPool();
    await pool.whenReady();
    try {
      const info = await pool.load(key, bytes);
      if (!info) throw new MvError('SANDBOX_UNAVAILABLE', `no ONNX worker could load ${key}`);
      const { tags } = await this.registry.showModel(this.actor, version.model);
      const graph = { ...parseOnnxInfo(info), batch: batchOptIn(tags, version.version) };
      return onnxServed({ model: version.model, version: version.version, digest: version.digest, key }, graph);
    } catch (e) {
      pool.unload(key); // a refused model is not re-sent to every replacement worker
      throw e;
    }
  }

  /** Stops the onnx pool, if one was started (the artifact pool belongs to whoever created it). */
  async close(): Promise<void> {
    await this.onnxPoolValue?.close();
  }
}

export type { Label };
