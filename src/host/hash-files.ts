import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import cliProgress from 'cli-progress';
import { MvError } from '../core/index.js';
import { HASH_TYPES, shardRanges, type FileDigest, type HashType } from '../integrity/index.js';
import { HASH_WORKER_SOURCE } from './hash-worker.js';
import type { ModelFile } from './model-files.js';

/** A byte range of a file to hash. `whole` ranges also check the file did not grow. */
export interface HashRange {
  readonly path: string;
  readonly start: number;
  readonly end: number;
  readonly whole: boolean;
}

export interface HashOptions {
  readonly algorithm?: HashType;
  /** Worker threads; default every core. 0 hashes on the calling thread. Small inputs default to 0. */
  readonly workers?: number;
  /** Read size per chunk (default 8 MiB; two buffers per worker). */
  readonly chunkBytes?: number;
  /** Called with bytes hashed so far and the total. */
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
}

const DEFAULT_CHUNK = 8 * 1024 * 1024;
/** Below this many bytes in total, starting workers costs more than it saves. */
const INLINE_BELOW_BYTES = 16 * 1024 * 1024;
/** Small ranges are batched into jobs of about this size to keep message overhead low. */
const JOB_BYTES = 64 * 1024 * 1024;
const JOB_TASKS = 256;

function hashInline(r: HashRange, algorithm: string, buf: Buffer): string {
  let fd: number;
  try {
    fd = openSync(r.path, 'r');
  } catch (e) {
    throw new MvError('IO_ERROR', `${r.path}: ${(e as NodeJS.ErrnoException).code ?? 'cannot open'}`);
  }
  try {
    const h = createHash(algorithm);
    for (let pos = r.start; pos < r.end; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, r.end - pos), pos);
      if (n === 0) throw new MvError('IO_ERROR', `${r.path}: file shrank while hashing`);
      h.update(buf.subarray(0, n));
      pos += n;
    }
    if (r.whole && readSync(fd, buf, 0, 1, r.end) !== 0) throw new MvError('IO_ERROR', `${r.path}: file grew while hashing`);
    return h.digest('hex');
  } finally {
    closeSync(fd);
  }
}

/**
 * Hashes byte ranges of files (streaming, never a whole file in memory) across worker threads, largest
 * first; returns hex digests in input order. Parallel across files and shards; one range is sequential
 * by nature, but its reads overlap its hashing.
 */
export async function hashRanges(ranges: readonly HashRange[], opts: HashOptions = {}): Promise<string[]> {
  const algorithm = HASH_TYPES[opts.algorithm ?? 'sha256'].node;
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK;
  const total = ranges.reduce((s, r) => s + (r.end - r.start), 0);
  const out: string[] = new Array<string>(ranges.length);
  let done = 0;
  const report = (n: number) => {
    done += n;
    opts.onProgress?.(done, total);
  };
  const workers = Math.max(0, Math.min(opts.workers ?? (total < INLINE_BELOW_BYTES ? 0 : availableParallelism()), ranges.length));
  if (workers === 0) {
    const buf = Buffer.allocUnsafe(Math.min(chunkBytes, ranges.reduce((m, r) => Math.max(m, r.end - r.start), 1)));
    ranges.forEach((r, i) => {
      out[i] = hashInline(r, algorithm, buf);
      report(r.end - r.start);
    });
    return out;
  }
  // Jobs, largest first (LPT scheduling); small ranges batched.
  const order = ranges.map((_, i) => i).sort((a, b) => ranges[b]!.end - ranges[b]!.start - (ranges[a]!.end - ranges[a]!.start));
  const jobs: number[][] = [];
  let cur: number[] = [];
  let curBytes = 0;
  for (const i of order) {
    const size = ranges[i]!.end - ranges[i]!.start;
    if (cur.length && (curBytes + size > JOB_BYTES || cur.length >= JOB_TASKS)) {
      jobs.push(cur);
      cur = [];
      curBytes = 0;
    }
    cur.push(i);
    curBytes += size;
  }
  if (cur.length) jobs.push(cur);
  const pool = Array.from({ length: Math.min(workers, jobs.length) }, () => new Worker(HASH_WORKER_SOURCE, { eval: true }));
  let next = 0;
  try {
    await new Promise<void>((resolveAll, reject) => {
      let active = 0;
      let failed = false;
      const dispatch = (w: Worker) => {
        if (failed) return;
        if (next >= jobs.length) {
          if (active === 0) resolveAll();
          return;
        }
        const id = next++;
        active++;
        w.postMessage({ id, algorithm, chunkBytes, tasks: jobs[id]!.map((i) => ranges[i]) });
      };
      for (const w of pool) {
        w.on('message', (m: { kind: string; id: number; bytes: number; digests: string[]; message: string }) => {
          if (m.kind === 'progress') report(m.bytes);
          else if (m.kind === 'done') {
            jobs[m.id]!.forEach((i, k) => (out[i] = m.digests[k]!));
            active--;
            dispatch(w);
          } else if (m.kind === 'error') {
            failed = true;
            reject(new MvError('IO_ERROR', `cannot hash ${m.message}`));
          }
        });
        w.on('error', (e) => {
          failed = true;
          reject(new MvError('IO_ERROR', `hash worker failed: ${e.message}`));
        });
        // A worker that dies without an error event (e.g. killed) must not leave us waiting forever.
        w.on('exit', (code) => {
          if (next < jobs.length || active > 0) {
            failed = true;
            reject(new MvError('IO_ERROR', `hash worker exited early (code ${code})`));
          }
        });
      }
      // Two jobs in flight per worker (see hash-worker.ts).
      for (const w of pool) dispatch(w);
      for (const w of pool) dispatch(w);
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return out;
}

/** How to turn files into digests (the serialization's hashing part). */
export interface HashConfig {
  readonly method: 'files' | 'shards';
  readonly hashType: HashType;
  /** Shards only. */
  readonly shardSize?: number;
}

/** Hashes model files per `files` (one digest per file) or `shards` (per byte range; empty files yield none). */
export async function hashModelFiles(files: readonly ModelFile[], config: HashConfig, opts: HashOptions = {}): Promise<FileDigest[]> {
  const meta: { path: string; start?: number; end?: number }[] = [];
  const ranges: HashRange[] = [];
  for (const f of files) {
    if (config.method === 'files') {
      meta.push({ path: f.name });
      ranges.push({ path: f.path, start: 0, end: f.size, whole: true });
    } else {
      const shardSize = config.shardSize ?? 0;
      if (!Number.isSafeInteger(shardSize) || shardSize <= 0) throw new MvError('USAGE_INVALID', 'shard size must be a positive integer');
      for (const r of shardRanges(f.size, shardSize)) {
        meta.push({ path: f.name, start: r.start, end: r.end });
        ranges.push({ path: f.path, start: r.start, end: r.end, whole: r.end === f.size });
      }
    }
  }
  const digests = await hashRanges(ranges, { ...opts, algorithm: config.hashType });
  return meta.map((m, i) => ({ ...m, digest: digests[i]! }));
}

/** Models at least this large get a progress bar on a TTY. */
export const PROGRESS_MIN_BYTES = 256 * 1024 * 1024;

/**
 * A cli-progress bar on `stream` when it is a TTY and the work is large; otherwise undefined. Returns
 * the `onProgress` callback and a `stop` to call when done.
 */
export function ttyProgress(
  totalBytes: number,
  stream: NodeJS.WriteStream = process.stderr,
  label = 'hashing',
): { onProgress: (done: number, total: number) => void; stop: () => void } | undefined {
  if (!stream.isTTY || totalBytes < PROGRESS_MIN_BYTES) return undefined;
  const bar = new cliProgress.SingleBar(
    { stream, format: `${label} [{bar}] {percentage}% | {value}/{total} MB | {eta}s`, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  const mb = (n: number) => Math.round(n / 1e6);
  bar.start(mb(totalBytes), 0);
  return { onProgress: (done) => bar.update(mb(done)), stop: () => bar.stop() };
}
