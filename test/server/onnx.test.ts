import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMvError } from '../../src/core/index.js';
import { Registry } from '../../src/registry/index.js';
import { buildServer, type ModelvaultServer } from '../../src/server/index.js';
import { readBinary } from './helpers.js';

// ONNX models pushed through the real registry (scan → store as `onnx`), served by a real server on
// 127.0.0.1 with onnxruntime-node in the sandboxed onnx pool (dist/sandbox/onnx-worker.js, built by
// `npm test`'s pretest). Expected outputs come from numpy (test/fixtures/onnx-serve/gen/gen.py).
const FIX = new URL('../fixtures/onnx-serve/', import.meta.url).pathname;
const EXPECTED = JSON.parse(readFileSync(`${FIX}expected.json`, 'utf8'));

let dir: string;
let reg: Registry;
let srv: ModelvaultServer;
let base: string;
let token: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mv-onnx-serve-'));
  reg = await Registry.init(join(dir, 'reg'), { admin: 'admin' });
  await reg.grant('admin', 'pub', 'publisher');
  for (const [name, file] of [['iris', 'iris_lr.onnx'], ['two', 'two_inputs.onnx'], ['ids', 'int64_ids.onnx'], ['types', 'types.onnx']] as const) {
    const r = await reg.push('pub', { file: `${FIX}${file}`, name });
    expect(r).toMatchObject({ format: 'onnx', converted: false, version: 1 });
    await reg.setAlias('admin', name, 'production', 1);
  }
  token = (await reg.createToken('admin')).token;
  srv = await buildServer({ registry: reg, serviceActor: 'admin', version: 'test', logger: false, publicModels: ['iris', 'two', 'ids', 'types'] });
  await srv.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(srv.app.server.address() as { port: number }).port}`;
}, 60_000);

afterAll(async () => {
  await srv?.close();
  await srv?.models.close();
  reg?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const errorOf = async (res: Response) => ({ status: res.status, code: String(((await res.json()) as { error: string }).error).split(':')[0] });

/** A binary-extension request: JSON header + blobs in input order. */
function binaryBody(header: unknown, blobs: Uint8Array[]): { body: Buffer; headers: Record<string, string> } {
  const head = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([head, ...blobs]), headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.length) } };
}


const f32 = (b: Buffer) => Array.from(new Float32Array(new Uint8Array(b).buffer));
const i64 = (b: Buffer) => Array.from(new BigInt64Array(new Uint8Array(b).buffer), Number);

const closeTo = (got: number[], want: number[], tol = 1e-6) => {
  expect(got.length).toBe(want.length);
  want.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThanOrEqual(tol));
};

describe('ONNX over the Open Inference Protocol', () => {
  it('registry: clean ONNX is stored as format onnx; scan-blocked ONNX is refused', async () => {
    const ext = new URL('../fixtures/onnx/external_traversal.onnx', import.meta.url).pathname;
    const custom = new URL('../fixtures/onnx/custom_domain.onnx', import.meta.url).pathname;
    for (const file of [ext, custom]) {
      const code = await reg.push('pub', { file, name: 'bad' }).then(() => 'pushed', (e) => (isMvError(e) ? e.code : 'other'));
      expect(code).toBe('SCAN_BLOCKED');
    }
  });

  it('a model with external data passes the scan (path inside its folder) but is refused at load: 422', async () => {
    const file = new URL('../fixtures/onnx/external_inside.onnx', import.meta.url).pathname;
    const r = await reg.push('pub', { file, name: 'ext' });
    expect(r.format).toBe('onnx');
    await reg.setAlias('admin', 'ext', 'production', r.version);
    const res = await fetch(`${base}/v2/models/ext`, { headers: { authorization: `Bearer ${token}` } });
    expect(await errorOf(res)).toEqual({ status: 422, code: 'SANDBOX_ONNX_LOAD_FAILED' });
  });

  it('model metadata comes from the ONNX graph', async () => {
    const m = await (await fetch(`${base}/v2/models/iris`)).json();
    expect(m).toMatchObject({
      name: 'iris', versions: ['1'],
      inputs: [{ name: 'X', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }, { name: 'label', datatype: 'INT64', shape: [-1] }],
    });
    const t = await (await fetch(`${base}/v2/models/two/versions/1`)).json();
    expect(t.inputs).toEqual([{ name: 'a', datatype: 'FP64', shape: [-1, 3] }, { name: 'b', datatype: 'INT32', shape: [-1, 3] }]);
    expect((await fetch(`${base}/v2/models/ids/ready`)).status).toBe(200);
  });

  it('JSON inference equals numpy (iris, FP32 tolerance), with the id echoed', async () => {
    const e = EXPECTED['iris_lr.onnx'];
    const res = await post('/v2/models/iris/infer', { id: 'r1', inputs: [{ name: 'X', datatype: 'FP32', shape: [4, 4], data: e.inputs.X }] });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ model_name: 'iris', model_version: '1', id: 'r1' });
    const [p, l] = body.outputs;
    expect(p).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [4, 3] });
    closeTo(p.data, e.outputs.probabilities.flat());
    expect(l).toEqual({ name: 'label', datatype: 'INT64', shape: [4], data: e.outputs.label });
  });

  it('binary inference: FP32 input bytes in, binary outputs out (one output requested JSON)', async () => {
    const e = EXPECTED['iris_lr.onnx'];
    const X = Float32Array.from(e.inputs.X.flat() as number[]);
    const { body, headers } = binaryBody({
      inputs: [{ name: 'X', datatype: 'FP32', shape: [4, 4], parameters: { binary_data_size: X.byteLength } }],
      outputs: [{ name: 'probabilities', parameters: { binary_data: true } }, { name: 'label', parameters: { binary_data: true } }],
    }, [new Uint8Array(X.buffer)]);
    const res = await fetch(`${base}/v2/models/iris/versions/1/infer`, { method: 'POST', headers, body });
    expect(res.status).toBe(200);
    const { header, blobs } = await readBinary(res);
    expect(header.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([['probabilities', 'FP32', [4, 3]], ['label', 'INT64', [4]]]);
    closeTo(f32(blobs.get('probabilities')!), e.outputs.probabilities.flat());
    expect(i64(blobs.get('label')!)).toEqual(e.outputs.label);

    // binary_data_output for all, overridden per output
    const res2 = await post('/v2/models/iris/infer', {
      parameters: { binary_data_output: true }, inputs: [{ name: 'X', datatype: 'FP32', shape: [1, 4], data: e.inputs.X[0] }],
      outputs: [{ name: 'label', parameters: { binary_data: false } }, { name: 'probabilities' }],
    });
    const r2 = await readBinary(res2);
    expect(r2.header.outputs[0]).toMatchObject({ name: 'label', data: [e.outputs.label[0]] });
    closeTo(f32(r2.blobs.get('probabilities')!), e.outputs.probabilities[0]);
  });

  it('two inputs (FP64 JSON + INT32 binary) and an INT64 input (binary), BOOL outputs', async () => {
    const t = EXPECTED['two_inputs.onnx'];
    const b = Int32Array.from(t.inputs.b.flat() as number[]);
    const req = binaryBody({
      inputs: [{ name: 'a', datatype: 'FP64', shape: [2, 3], data: t.inputs.a }, { name: 'b', datatype: 'INT32', shape: [2, 3], parameters: { binary_data_size: 24 } }],
    }, [new Uint8Array(b.buffer)]);
    const res = await fetch(`${base}/v2/models/two/infer`, { method: 'POST', headers: req.headers, body: req.body });
    expect(res.status).toBe(200);
    const out = (await res.json()).outputs;
    expect(out).toEqual([
      { name: 'sum', datatype: 'FP64', shape: [2, 3], data: t.outputs.sum.flat() },
      { name: 'greater', datatype: 'BOOL', shape: [2, 3], data: t.outputs.greater.flat() },
    ]);

    const i = EXPECTED['int64_ids.onnx'];
    const ids = BigInt64Array.from((i.inputs.ids as number[]).map(BigInt));
    const req2 = binaryBody({ inputs: [{ name: 'ids', datatype: 'INT64', shape: [4], parameters: { binary_data_size: 32 } }] }, [new Uint8Array(ids.buffer)]);
    const res2 = await fetch(`${base}/v2/models/ids/infer`, { method: 'POST', headers: req2.headers, body: req2.body });
    const out2 = (await res2.json()).outputs;
    expect(out2).toEqual([
      { name: 'embedding', datatype: 'FP32', shape: [4, 2], data: i.outputs.embedding.flat() },
      { name: 'doubled', datatype: 'INT64', shape: [4], data: i.outputs.doubled },
      { name: 'is_even', datatype: 'BOOL', shape: [4], data: i.outputs.is_even },
    ]);
    // JSON INT64 input too
    const res3 = await post('/v2/models/ids/infer', { inputs: [{ name: 'ids', datatype: 'INT64', shape: [2], data: [4, 1] }], outputs: [{ name: 'doubled' }] });
    expect((await res3.json()).outputs).toEqual([{ name: 'doubled', datatype: 'INT64', shape: [2], data: [8, 2] }]);
  });

  it('FP16, BYTES, UINT8 and BOOL inputs, JSON and binary, and FP16/BYTES outputs both ways', async () => {
    const t = EXPECTED['types.onnx'];
    const m = await (await fetch(`${base}/v2/models/types`)).json();
    expect(m.inputs.map((i: { datatype: string }) => i.datatype)).toEqual(['FP16', 'BYTES', 'UINT8', 'BOOL']);
    const h = Buffer.from(Uint16Array.from(t.inputs.h_bits as number[]).buffer);
    const strings = Buffer.concat((t.inputs.s as string[]).flatMap((x) => { const b = Buffer.from(x, 'utf8'); const n = Buffer.alloc(4); n.writeUInt32LE(b.length); return [n, b]; }));
    const flag = Buffer.from((t.inputs.flag as boolean[]).map((x) => (x ? 1 : 0)));
    const req = binaryBody({
      inputs: [
        { name: 'h', datatype: 'FP16', shape: [3], parameters: { binary_data_size: 6 } },
        { name: 's', datatype: 'BYTES', shape: [3], parameters: { binary_data_size: strings.length } },
        { name: 'u8', datatype: 'UINT8', shape: [3], data: t.inputs.u8 },
        { name: 'flag', datatype: 'BOOL', shape: [3], parameters: { binary_data_size: 3 } },
      ],
      outputs: [{ name: 'h_out', parameters: { binary_data: true } }, { name: 'h32' }, { name: 's_out', parameters: { binary_data: true } }, { name: 'u8_out' }, { name: 'not_flag' }],
    }, [h, strings, flag]);
    const res = await fetch(`${base}/v2/models/types/infer`, { method: 'POST', headers: req.headers, body: req.body });
    expect(res.status).toBe(200);
    const { header, blobs } = await readBinary(res);
    expect(blobs.get('h_out')).toEqual(h);
    expect(blobs.get('s_out')).toEqual(strings);
    const json = Object.fromEntries(header.outputs.map((o) => [o.name, (o as { data?: unknown }).data]));
    expect(json).toMatchObject({ h32: t.outputs.h32, u8_out: t.inputs.u8, not_flag: t.outputs.not_flag });
    // empty tensors (zero rows) run too
    const b2 = binaryBody({
      inputs: [{ name: 'h', datatype: 'FP16', shape: [0], parameters: { binary_data_size: 0 } }, { name: 's', datatype: 'BYTES', shape: [0], data: [] }, { name: 'u8', datatype: 'UINT8', shape: [0], data: [] }, { name: 'flag', datatype: 'BOOL', shape: [0], data: [] }],
    }, []);
    const res2 = await fetch(`${base}/v2/models/types/infer`, { method: 'POST', headers: b2.headers, body: b2.body });
    expect(res2.status).toBe(200);
    expect((await res2.json()).outputs.map((o: { shape: number[] }) => o.shape)).toEqual([[0], [0], [0], [0], [0]]);
    const b4 = binaryBody({
      inputs: [
        { name: 'h', datatype: 'FP16', shape: [3], parameters: { binary_data_size: 6 } }, { name: 's', datatype: 'BYTES', shape: [3], data: t.inputs.s },
        { name: 'u8', datatype: 'UINT8', shape: [3], data: t.inputs.u8 }, { name: 'flag', datatype: 'BOOL', shape: [3], data: t.inputs.flag },
      ], outputs: [{ name: 'h_out' }, { name: 's_out' }],
    }, [h]);
    const res4 = await fetch(`${base}/v2/models/types/infer`, { method: 'POST', headers: b4.headers, body: b4.body });
    expect((await res4.json()).outputs).toEqual([
      { name: 'h_out', datatype: 'FP16', shape: [3], data: t.outputs.h32 },
      { name: 's_out', datatype: 'BYTES', shape: [3], data: t.inputs.s },
    ]);
    // FP16 has no JSON form; BOOL bytes must be 0/1; UINT8 range
    const jsonH = { inputs: [{ name: 'h', datatype: 'FP16', shape: [1], data: [1] }, { name: 's', datatype: 'BYTES', shape: [1], data: ['x'] }, { name: 'u8', datatype: 'UINT8', shape: [1], data: [1] }, { name: 'flag', datatype: 'BOOL', shape: [1], data: [true] }] };
    expect(await errorOf(await post('/v2/models/types/infer', jsonH))).toEqual({ status: 400, code: 'INPUT_INVALID' });
    const u8 = { inputs: [...jsonH.inputs.slice(1, 2), { name: 'u8', datatype: 'UINT8', shape: [1], data: [256] }, jsonH.inputs[3], { name: 'h', datatype: 'FP16', shape: [1], parameters: { binary_data_size: 2 } }] };
    const b5 = binaryBody(u8, [Buffer.alloc(2)]);
    expect(await errorOf(await fetch(`${base}/v2/models/types/infer`, { method: 'POST', headers: b5.headers, body: b5.body }))).toEqual({ status: 400, code: 'INPUT_INVALID' });
  });

  it('KServe V1 :predict rows run the single-input model (first output)', async () => {
    const e = EXPECTED['iris_lr.onnx'];
    const res = await post('/v1/models/iris:predict', { instances: e.inputs.X.slice(0, 2) });
    expect(res.status).toBe(200);
    const p = (await res.json()).predictions as number[][];
    closeTo(p.flat(), e.outputs.probabilities.slice(0, 2).flat());
    expect((await errorOf(await post('/v1/models/two:predict', { instances: [[1, 2, 3]] }))).status).toBe(400);
  });

  it('bad shapes, datatypes, names and values are 400 INPUT_INVALID', async () => {
    const X = (shape: number[], data: unknown, datatype = 'FP32') => ({ inputs: [{ name: 'X', datatype, shape, data }] });
    const cases: [string, unknown][] = [
      ['FP64 for an FP32 input', X([1, 4], [1, 2, 3, 4], 'FP64')],
      ['wrong fixed dim', X([1, 3], [1, 2, 3])],
      ['wrong rank', X([4], [1, 2, 3, 4])],
      ['element count', X([2, 4], [1, 2, 3, 4])],
      ['too deep', X([1, 4], [[1, 2], [3, [4]]])],
      ['ragged rows, right count', X([2, 4], [[1, 2, 3], [4, 5, 6, 7, 8]])],
      ['string in FP32', X([1, 4], [1, 2, 3, 'x'])],
      ['negative dim', X([-1, 4], [1, 2, 3, 4])],
      ['FP16 in JSON', X([1, 4], [1, 2, 3, 4], 'FP16')],
      ['unknown input', { inputs: [{ name: 'Y', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] }],
      ['no inputs', { inputs: [] }],
      ['unknown output', { ...X([1, 4], [1, 2, 3, 4]), outputs: [{ name: 'nope' }] }],
      ['duplicate input', { inputs: [X([1, 4], [1, 2, 3, 4]).inputs[0], X([1, 4], [1, 2, 3, 4]).inputs[0]] }],
    ];
    for (const [what, body] of cases) {
      const r = await errorOf(await post('/v2/models/iris/infer', body));
      expect({ what, ...r }).toEqual({ what, status: 400, code: 'INPUT_INVALID' });
    }
    const two = [
      { inputs: [{ name: 'a', datatype: 'FP64', shape: [1, 3], data: [1, 2, 3] }] }, // missing b
      { inputs: [{ name: 'a', datatype: 'FP64', shape: [1, 3], data: [1, 2, 3] }, { name: 'b', datatype: 'INT32', shape: [1, 3], data: [1, 2.5, 3] }] },
      { inputs: [{ name: 'a', datatype: 'FP64', shape: [1, 3], data: [1, 2, 3] }, { name: 'b', datatype: 'INT32', shape: [1, 3], data: [1, 2, 2 ** 31] }] },
    ];
    for (const body of two) expect(await errorOf(await post('/v2/models/two/infer', body))).toEqual({ status: 400, code: 'INPUT_INVALID' });
    expect(await errorOf(await post('/v2/models/ids/infer', { inputs: [{ name: 'ids', datatype: 'INT64', shape: [1], data: [2 ** 53] }] }))).toEqual({ status: 400, code: 'INPUT_INVALID' });
    // binary: size mismatch, and bytes not claimed by any input
    const short = binaryBody({ inputs: [{ name: 'ids', datatype: 'INT64', shape: [2], parameters: { binary_data_size: 8 } }] }, [new Uint8Array(8)]);
    expect(await errorOf(await fetch(`${base}/v2/models/ids/infer`, { method: 'POST', headers: short.headers, body: short.body }))).toEqual({ status: 400, code: 'INPUT_INVALID' });
    const extra = binaryBody({ inputs: [{ name: 'ids', datatype: 'INT64', shape: [1], parameters: { binary_data_size: 8 } }] }, [new Uint8Array(12)]);
    expect(await errorOf(await fetch(`${base}/v2/models/ids/infer`, { method: 'POST', headers: extra.headers, body: extra.body }))).toEqual({ status: 400, code: 'INPUT_INVALID' });
    // valid tensors the graph cannot run (Gather index out of range) are ONNX Runtime's 400
    expect(await errorOf(await post('/v2/models/ids/infer', { inputs: [{ name: 'ids', datatype: 'INT64', shape: [1], data: [7] }] }))).toEqual({ status: 400, code: 'SANDBOX_ONNX_RUN_FAILED' });
  });

  it('a SIGKILLed onnx worker: in-flight requests end 200 or 503, none hangs, and the service recovers', async () => {
    const e = EXPECTED['iris_lr.onnx'];
    const body = { inputs: [{ name: 'X', datatype: 'FP32', shape: [1, 4], data: e.inputs.X[0] }] };
    const inflight = Array.from({ length: 40 }, () => post('/v2/models/iris/infer', body).then((r) => r.status));
    process.kill(srv.models.onnxPool().pids()[0]!, 'SIGKILL');
    for (const s of await Promise.all(inflight)) expect([200, 503]).toContain(s);
    await srv.models.onnxPool().whenReady();
    const res = await post('/v2/models/iris/infer', body);
    expect(res.status).toBe(200);
    closeTo((await res.json()).outputs[0].data, e.outputs.probabilities[0]);
    expect(srv.models.onnxPool().restarts).toBeGreaterThanOrEqual(1);
  });
});
