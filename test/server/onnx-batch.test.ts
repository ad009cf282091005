import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxPool, onnxFrame, onnxServed, parseOnnxInfo, runOnnx, batchOptIn, type OnnxResult } from '../../src/server/onnx.js';

// Opt-in dynamic batching of ONNX requests (models tagged serve.onnx.batch=true), on a real onnx pool
// (dist/sandbox/onnx-worker.js): merged runs give every request exactly its own rows.
const FIX = new URL('../fixtures/onnx-serve/', import.meta.url).pathname;
const EXPECTED = JSON.parse(readFileSync(`${FIX}expected.json`, 'utf8'));

let runs = 0;
const pool = createOnnxPool({ timeoutMs: 10_000, onEvent: (e) => void (e.kind === 'batch' && runs++) });
afterAll(() => pool.close());

async function serve(file: string, key: string, batch: boolean) {
  await pool.whenReady();
  const info = await pool.load(key, new Uint8Array(readFileSync(`${FIX}${file}`)));
  return onnxServed({ model: key, version: 1, digest: 'sha256:00', key }, { ...parseOnnxInfo(info), batch });
}

describe('ONNX dynamic batching (opt-in)', () => {
  it('is opted in by the model or version tag only', () => {
    expect(batchOptIn([{ version: null, key: 'serve.onnx.batch', value: 'true' }], 3)).toBe(true);
    expect(batchOptIn([{ version: 2, key: 'serve.onnx.batch', value: 'true' }], 3)).toBe(false);
    expect(batchOptIn([{ version: 3, key: 'serve.onnx.batch', value: 'yes' }], 3)).toBe(false);
    expect(batchOptIn([], 3)).toBe(false);
  });

  it('merges concurrent requests and gives each its own rows (iris)', async () => {
    const s = await serve('iris_lr.onnx', 'iris-b', true);
    const e = EXPECTED['iris_lr.onnx'];
    const X: number[][] = e.inputs.X;
    const before = runs;
    const n = 64;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => {
      const rows = i % 3 === 0 ? [X[i % 4]!, X[(i + 1) % 4]!] : [X[i % 4]!];
      const frame = onnxFrame(s, { inputs: [{ name: 'X', datatype: 'FP32', shape: [rows.length, 4], data: rows }] });
      return runOnnx(pool, s, frame).then((r) => ({ i, rows: rows.length, r: r as OnnxResult }));
    }));
    expect(runs - before).toBeLessThan(n);
    for (const { i, rows, r } of results) {
      const idx = rows === 2 ? [i % 4, (i + 1) % 4] : [i % 4];
      expect(r.tensors.probabilities!.dims).toEqual([rows, 3]);
      const want = idx.flatMap((k) => e.outputs.probabilities[k] as number[]);
      Array.from(r.tensors.probabilities!.data as Float32Array).forEach((v, j) => expect(Math.abs(v - want[j]!)).toBeLessThan(1e-6));
      expect(Array.from(r.tensors.label!.data as BigInt64Array, Number)).toEqual(idx.map((k) => e.outputs.label[k]));
    }
  });

  it("one request's bad values do not fail the requests merged with it", async () => {
    const s = await serve('int64_ids.onnx', 'ids-b', true);
    const out = await Promise.all(Array.from({ length: 30 }, (_, i) => {
      const id = i === 13 ? 7 : i % 5;
      return runOnnx(pool, s, onnxFrame(s, { inputs: [{ name: 'ids', datatype: 'INT64', shape: [1], data: [id] }], outputs: [{ name: 'doubled' }] }))
        .then((r) => Number(((r as OnnxResult).tensors.doubled!.data as BigInt64Array)[0]), (e) => e.code);
    }));
    out.forEach((v, i) => expect(v).toEqual(i === 13 ? 'SANDBOX_ONNX_RUN_FAILED' : (i % 5) * 2));
  });

  it('without the tag every request is its own run', async () => {
    const s = await serve('iris_lr.onnx', 'iris-u', false);
    const before = runs;
    await Promise.all(Array.from({ length: 20 }, () => runOnnx(pool, s, onnxFrame(s, { inputs: [{ name: 'X', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] }))));
    expect(runs - before).toBe(20);
  });
});
