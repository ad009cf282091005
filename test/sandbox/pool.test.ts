import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/index.js';
import { convertFile } from '../../src/convert/index.js';
import { WorkerPool, detectIsolation } from '../../src/sandbox/index.js';

// Real worker processes (dist/sandbox/worker.js, built by `npm test`'s pretest) under the real sandbox.
const EXAMPLE = new URL('../../examples/predictor.joblib', import.meta.url).pathname;
const ESCAPE = new URL('./escape-worker.mjs', import.meta.url).pathname;
const SAMPLE = JSON.parse(readFileSync(new URL('../../examples/iris-sample.json', import.meta.url), 'utf8'));

let artifact: Uint8Array;
beforeAll(async () => {
  const raw = new Uint8Array(readFileSync(EXAMPLE));
  artifact = (await convertFile(raw, { sourceSha256: sha256Hex(raw), created: '2026-01-01T00:00:00Z' })).bytes;
});

const frameOf = (rows: number[][]) => ({ rows: rows.length, cols: rows[0]!.length, data: Float64Array.from(rows.flat()) });

describe('WorkerPool', () => {
  const pool = new WorkerPool({ workers: 1, timeoutMs: 3000 });
  afterAll(() => pool.close());

  it('runs a converted model in a sandboxed worker with the original library results', async () => {
    await pool.whenReady();
    await pool.load('iris@1', artifact);
    const rows: number[][] = SAMPLE.inputs;
    const r = await pool.predict('iris@1', 'predict_proba', frameOf(rows));
    expect(r.shape).toEqual([rows.length, 3]);
    // iris-sample.json rounds to 6 decimals; the full-precision differential tests live in test/convert.
    const expected: number[][] = SAMPLE['predictor.joblib'].predict_proba;
    expected.flat().forEach((v, i) => expect(Math.abs((r.data as Float64Array)[i]! - v)).toBeLessThan(1e-6));
  });

  it('batches concurrent requests and gives each its own rows', async () => {
    const rows: number[][] = SAMPLE.inputs;
    const single = await pool.predict('iris@1', 'predict', frameOf([rows[0]!]));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => pool.predict('iris@1', 'predict', frameOf([rows[i % rows.length]!]))));
    for (const [i, r] of results.entries()) {
      expect(r.shape).toEqual([1]);
      if (i % rows.length === 0) expect(r.data).toEqual(single.data);
    }
  });

  it('replaces a SIGKILLed worker: in-flight requests fail fast with SANDBOX_UNAVAILABLE, later ones succeed', async () => {
    const rows: number[][] = SAMPLE.inputs;
    const inflight = Array.from({ length: 50 }, () => pool.predict('iris@1', 'predict', frameOf([rows[0]!])).then(() => 'ok', (e) => e.code));
    process.kill(pool.pids()[0]!, 'SIGKILL');
    const outcomes = await Promise.all(inflight);
    for (const o of outcomes) expect(['ok', 'SANDBOX_UNAVAILABLE']).toContain(o);
    await pool.whenReady();
    const after = await pool.predict('iris@1', 'predict', frameOf([rows[0]!]));
    expect(after.shape).toEqual([1]);
    expect(pool.restarts).toBeGreaterThanOrEqual(1);
  });
});

describe('sandbox escape attempts from inside a worker', () => {
  it('denies file writes, reads outside its code, child processes, worker threads, eval and (with a network namespace) sockets', async () => {
    const server = createServer((s) => s.end()).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const pool = new WorkerPool({ workerScript: ESCAPE, timeoutMs: 5000 });
    try {
      await pool.whenReady();
      await pool.load('x', new Uint8Array(1));
      const r = await pool.predict('x', 'predict', { rows: 1, cols: 1, data: Float64Array.of(port) });
      const outcome = JSON.parse((r.data as string[])[0]!);
      expect(outcome.write).toBe('ERR_ACCESS_DENIED');
      expect(outcome.readOutside).toBe('ERR_ACCESS_DENIED');
      expect(outcome.spawn).toBe('ERR_ACCESS_DENIED');
      expect(outcome.worker).toBe('ERR_ACCESS_DENIED');
      expect(outcome.evaluate).toMatch(/code generation from strings disallowed/i);
      expect(outcome.newFunction).toMatch(/code generation from strings disallowed/i);
      expect(pool.isolation.summary).toContain('no writes, child processes, workers, addons or eval');
      if (detectIsolation().unshare) expect(outcome.socket).not.toBe('allowed');
      expect(existsSync('/tmp/modelvault-sandbox-escape')).toBe(false);
    } finally {
      await pool.close();
      server.close();
    }
  });

  it('kills and replaces a worker that misses its deadline (SANDBOX_TIMEOUT), so nothing hangs', async () => {
    const pool = new WorkerPool({ workerScript: new URL('./stuck-worker.mjs', import.meta.url).pathname, timeoutMs: 300 });
    try {
      await pool.whenReady();
      await pool.load('x', new Uint8Array(1));
      const t = Date.now();
      await expect(pool.predict('x', 'predict', { rows: 1, cols: 1, data: Float64Array.of(0) })).rejects.toMatchObject({ code: 'SANDBOX_TIMEOUT' });
      expect(Date.now() - t).toBeLessThan(2000);
      await pool.whenReady();
      expect(pool.restarts).toBe(1);
    } finally {
      await pool.close();
    }
  });
});
