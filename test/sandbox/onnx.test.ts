import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerPool, detectIsolation, type WireTensors } from '../../src/sandbox/index.js';

// Real onnx worker processes (dist/sandbox/onnx-worker.js, built by `npm test`'s pretest) running
// onnxruntime-node under the real sandbox, against outputs numpy computed (test/fixtures/onnx-serve/gen).
const FIX = new URL('../fixtures/onnx-serve/', import.meta.url).pathname;
const EXPECTED = JSON.parse(readFileSync(`${FIX}expected.json`, 'utf8'));
const bytesOf = (name: string) => new Uint8Array(readFileSync(`${FIX}${name}`));

const close = (got: ArrayLike<number>, want: number[], tol: number) => {
  expect(got.length).toBe(want.length);
  want.forEach((v, i) => expect(Math.abs(Number(got[i]) - v)).toBeLessThanOrEqual(tol));
};

describe('ONNX worker pool', () => {
  const pool = new WorkerPool({ kind: 'onnx', timeoutMs: 5000 });
  afterAll(() => pool.close());

  it('describes the graph and runs the iris model like numpy (FP32 tolerance)', async () => {
    await pool.whenReady();
    const info = (await pool.load('iris@1', bytesOf('iris_lr.onnx'))) as { inputs: unknown[]; outputs: unknown[] };
    expect(info.inputs).toEqual([{ name: 'X', tensor: true, type: 'float32', shape: ['', 4] }]);
    expect(info.outputs).toMatchObject([{ name: 'probabilities', type: 'float32' }, { name: 'label', type: 'int64' }]);
    const e = EXPECTED['iris_lr.onnx'];
    const X: number[][] = e.inputs.X;
    const r = await pool.run('iris@1', { X: { type: 'float32', dims: [X.length, 4], data: Float32Array.from(X.flat()) } }, ['probabilities', 'label']);
    expect(r.probabilities!.dims).toEqual([X.length, 3]);
    close(r.probabilities!.data as Float32Array, e.outputs.probabilities.flat(), 1e-6);
    expect(Array.from(r.label!.data as BigInt64Array, Number)).toEqual(e.outputs.label);
  });

  it('runs a two-input FP64/INT32 model and an INT64 model (BOOL and INT64 outputs)', async () => {
    await pool.load('two@1', bytesOf('two_inputs.onnx'));
    const t = EXPECTED['two_inputs.onnx'];
    const r = await pool.run('two@1', {
      a: { type: 'float64', dims: [2, 3], data: Float64Array.from(t.inputs.a.flat()) },
      b: { type: 'int32', dims: [2, 3], data: Int32Array.from(t.inputs.b.flat()) },
    }, ['sum', 'greater']);
    expect(Array.from(r.sum!.data as Float64Array)).toEqual(t.outputs.sum.flat());
    expect(Array.from(r.greater!.data as Uint8Array, (b) => b === 1)).toEqual(t.outputs.greater.flat());

    await pool.load('ids@1', bytesOf('int64_ids.onnx'));
    const i = EXPECTED['int64_ids.onnx'];
    const s = await pool.run('ids@1', { ids: { type: 'int64', dims: [4], data: BigInt64Array.from(i.inputs.ids.map(BigInt)) } }, ['embedding', 'doubled', 'is_even']);
    close(s.embedding!.data as Float32Array, i.outputs.embedding.flat(), 0);
    expect(Array.from(s.doubled!.data as BigInt64Array, Number)).toEqual(i.outputs.doubled);
    expect(Array.from(s.is_even!.data as Uint8Array, (b) => b === 1)).toEqual(i.outputs.is_even);
  });

  it('reports ONNX Runtime failures as stable codes and keeps the worker', async () => {
    const oob: WireTensors = { ids: { type: 'int64', dims: [1], data: BigInt64Array.of(7n) } };
    await expect(pool.run('ids@1', oob, ['embedding'])).rejects.toMatchObject({ code: 'SANDBOX_ONNX_RUN_FAILED' });
    const wrongType: WireTensors = { ids: { type: 'float32', dims: [1], data: Float32Array.of(1) } };
    await expect(pool.run('ids@1', wrongType, ['embedding'])).rejects.toMatchObject({ code: 'SANDBOX_ONNX_RUN_FAILED' });
    const r = await pool.run('ids@1', { ids: { type: 'int64', dims: [1], data: BigInt64Array.of(2n) } }, ['doubled']);
    expect(Array.from(r.doubled!.data as BigInt64Array)).toEqual([4n]);
  });

  it('refuses models with external data before ONNX Runtime sees them, and garbage bytes', async () => {
    // external_inside.onnx passes the scan (its path stays in the model folder) but is never served:
    // loaded from bytes, ORT would resolve the path against the worker's working directory.
    const ext = new Uint8Array(readFileSync(new URL('../fixtures/onnx/external_inside.onnx', import.meta.url)));
    await expect(pool.load('ext@1', ext)).rejects.toMatchObject({ code: 'SANDBOX_ONNX_LOAD_FAILED' });
    await expect(pool.load('junk@1', new Uint8Array([0x0a, 0x05, 1, 2]))).rejects.toHaveProperty('code');
    pool.unload('ext@1');
    pool.unload('junk@1');
  });

  it('replaces a SIGKILLed onnx worker: in-flight runs fail fast, the models are reloaded', async () => {
    const feeds: WireTensors = { ids: { type: 'int64', dims: [1], data: BigInt64Array.of(3n) } };
    const inflight = Array.from({ length: 30 }, () => pool.run('ids@1', feeds, ['doubled']).then(() => 'ok', (e) => e.code));
    process.kill(pool.pids()[0]!, 'SIGKILL');
    for (const o of await Promise.all(inflight)) expect(['ok', 'SANDBOX_UNAVAILABLE']).toContain(o);
    await pool.whenReady();
    const r = await pool.run('ids@1', feeds, ['doubled']);
    expect(Array.from(r.doubled!.data as BigInt64Array)).toEqual([6n]);
    expect(pool.restarts).toBeGreaterThanOrEqual(1);
  });
});

describe('sandbox escape attempts from inside an ONNX worker (--allow-addons)', () => {
  it('loads ORT, but still denies JS file writes, reads outside its code, child processes, worker threads and (namespace) sockets', async () => {
    const server = createServer((s) => s.end()).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const pool = new WorkerPool({ kind: 'onnx', workerScript: new URL('./onnx-escape-worker.mjs', import.meta.url).pathname, timeoutMs: 10_000 });
    try {
      expect(pool.isolation.summary).toContain('ONNX Runtime');
      await pool.whenReady();
      await pool.load('x', new Uint8Array(1));
      const outside = `${FIX}iris_lr.onnx`;
      const r = await pool.run('x', { request: { type: 'string', dims: [1], data: [JSON.stringify({ port, outside })] } }, ['outcome']);
      const outcome = JSON.parse((r.outcome!.data as string[])[0]!);
      expect(outcome.addon).toBe('allowed');
      expect(outcome.write).toBe('ERR_ACCESS_DENIED');
      expect(outcome.readOutside).toBe('ERR_ACCESS_DENIED');
      expect(outcome.spawn).toBe('ERR_ACCESS_DENIED');
      expect(outcome.worker).toBe('ERR_ACCESS_DENIED');
      if (detectIsolation().unshare) expect(outcome.socket).not.toBe('allowed');
      // Pins the documented weakness of --allow-addons: native code reads files JS may not.
      expect(outcome.nativeRead).toBe('allowed');
      expect(existsSync('/tmp/modelvault-onnx-sandbox-escape')).toBe(false);
    } finally {
      await pool.close();
      server.close();
    }
  });
});
