import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROW, assertNoLeak, auth, errorOf, f64, i64, inferBody, postJson, readBinary, startFixture, tritonBody, type Fixture } from './helpers.js';

// Every Open Inference Protocol endpoint (serving.md §1) against a real server on 127.0.0.1, JSON and
// binary, plus bad input, headers, metrics and logs.
const SAMPLE = JSON.parse(readFileSync(new URL('../../examples/iris-sample.json', import.meta.url), 'utf8'));
const ROWS: number[][] = SAMPLE.inputs;
const PROBA: number[][] = SAMPLE['predictor.joblib'].predict_proba;
const LABELS: number[] = SAMPLE['predictor.joblib'].predict;

const logLines: string[] = [];
let fx: Fixture;
beforeAll(async () => {
  const stream = new Writable({ write(chunk, _enc, cb) { logLines.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
  fx = await startFixture({ server: { logger: { level: 'info', stream }, bodyLimit: 1024 * 1024 } });
}, 60_000);
afterAll(() => fx?.close());

const get = (path: string, token?: string) => fetch(`${fx.base}${path}`, { headers: auth(token) });
const infer = (body: unknown, path = '/v2/models/iris/infer', headers: Record<string, string> = {}) => postJson(fx.base, path, body, fx.tokens.reader, headers);
const close = (got: readonly number[], want: readonly number[], tol = 1e-6) => {
  expect(got.length).toBe(want.length);
  want.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThanOrEqual(tol));
};

describe('health and metadata', () => {
  it('live, ready, server metadata (/v2 and /v2/) need no token', async () => {
    expect(await (await get('/v2/health/live')).json()).toEqual({ live: true });
    expect(await (await get('/v2/health/ready')).json()).toEqual({ ready: true });
    for (const p of ['/v2', '/v2/']) expect(await (await get(p)).json()).toEqual({ name: 'modelvault', version: 'test', extensions: ['binary_tensor_data'] });
  });

  it('model metadata and ready, with no version (production), a number and an alias', async () => {
    for (const p of ['/v2/models/iris', '/v2/models/iris/versions/1', '/v2/models/iris/versions/production']) {
      const m = await (await get(p, fx.tokens.reader)).json();
      expect(m).toMatchObject({ name: 'iris', versions: ['1'], platform: 'modelvault', inputs: [{ name: 'input-0', datatype: 'FP64', shape: [-1, 4] }] });
      expect(m.outputs.map((o: { name: string }) => o.name)).toEqual(['label', 'probabilities', 'decision_function']);
      expect(await (await get(`${p}/ready`, fx.tokens.reader)).json()).toEqual({ name: 'iris', ready: true });
    }
  });

  it('unknown model, version or alias: 404 with an error body', async () => {
    for (const p of ['/v2/models/nope', '/v2/models/iris/versions/9', '/v2/models/iris/versions/staging', '/v2/models/nope/ready', '/v2/models/iris/versions/7/ready']) {
      expect(await errorOf(await get(p, fx.tokens.reader))).toMatchObject({ status: 404, code: 'REG_NOT_FOUND' });
    }
    expect(await errorOf(await infer(inferBody(), '/v2/models/iris/versions/42/infer'))).toMatchObject({ status: 404, code: 'REG_NOT_FOUND' });
    expect(await errorOf(await get('/v3/whatever'))).toMatchObject({ status: 404 });
  });

  it('OpenAPI document and interactive docs at /docs', async () => {
    const doc = await (await get('/docs/json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v2/models/{name}/infer', '/v2/models/{name}/versions/{version}/infer', '/api/v1/models']));
    const ui = await get('/docs/');
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe('inference, JSON', () => {
  it('returns every output by default with the library results; id is echoed', async () => {
    const res = await infer(inferBody(ROWS, { id: 'req-42' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const r = await res.json();
    expect(r).toMatchObject({ model_name: 'iris', model_version: '1', id: 'req-42' });
    const [label, proba] = r.outputs;
    expect(label).toMatchObject({ name: 'label', datatype: 'INT64', shape: [ROWS.length], data: LABELS });
    expect(proba).toMatchObject({ name: 'probabilities', datatype: 'FP64', shape: [ROWS.length, 3] });
    close(proba.data, PROBA.flat());
  });

  it('accepts nested data, every numeric datatype, a bare [F] row, /versions/N and /versions/ALIAS', async () => {
    const want = (await (await infer(inferBody([ROW]))).json()).outputs;
    const variants = [
      { inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP32', data: [ROW] }] },
      { inputs: [{ name: 'input-0', shape: [4], datatype: 'FP64', data: ROW }] },
      { inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'INT32', data: [5, 3, 1, 0] }] },
    ];
    for (const v of variants.slice(0, 2)) expect((await (await infer(v)).json()).outputs).toEqual(want);
    expect((await infer(variants[2])).status).toBe(200);
    for (const p of ['/v2/models/iris/versions/1/infer', '/v2/models/iris/versions/production/infer']) {
      expect((await (await infer(inferBody([ROW]), p)).json()).outputs).toEqual(want);
    }
  });

  it('outputs selects and orders outputs; unknown outputs are refused', async () => {
    const r = await (await infer(inferBody([ROW], { outputs: [{ name: 'probabilities' }, { name: 'label' }] }))).json();
    expect(r.outputs.map((o: { name: string }) => o.name)).toEqual(['probabilities', 'label']);
    expect(await errorOf(await infer(inferBody([ROW], { outputs: [{ name: 'nope' }] })))).toMatchObject({ status: 400, code: 'INPUT_INVALID' });
  });

  it('an empty id is echoed as ""', async () => {
    expect((await (await infer(inferBody())).json()).id).toBe('');
  });

  it('KServe V1 :predict over rows and records', async () => {
    const rows = await (await postJson(fx.base, '/v1/models/iris:predict', { instances: ROWS }, fx.tokens.reader)).json();
    expect(rows.predictions).toEqual(LABELS);
    const names: string[] = SAMPLE.feature_names;
    const rec = await postJson(fx.base, '/v1/models/iris:predict', { instances: ROWS.map((r) => Object.fromEntries(names.map((n, j) => [n, r[j]]))) }, fx.tokens.reader);
    // records need the model's feature names; the example pipeline was fitted on a plain array (x0..x3)
    expect([200, 400]).toContain(rec.status);
    expect(await errorOf(await postJson(fx.base, '/v1/models/iris:predict', { instances: [[1, 2]] }, fx.tokens.reader))).toMatchObject({ status: 400, code: 'INPUT_INVALID' });
  });
});

describe('inference, binary tensor extension (as tritonclient sends it)', () => {
  it('binary input, binary_data_output: all outputs binary with Inference-Header-Content-Length', async () => {
    const data = Float32Array.from(ROWS.flat());
    const { body, headers } = tritonBody({
      id: 'bin-1',
      inputs: [{ name: 'input-0', shape: [ROWS.length, 4], datatype: 'FP32', parameters: { binary_data_size: data.byteLength } }],
      parameters: { binary_data_output: true },
    }, [new Uint8Array(data.buffer)]);
    const res = await fetch(`${fx.base}/v2/models/iris/infer`, { method: 'POST', headers: { ...headers, ...auth(fx.tokens.reader) }, body });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const { header, blobs } = await readBinary(res);
    expect(header.id).toBe('bin-1');
    expect(header.outputs.map((o) => [o.name, o.datatype, o.shape, o.data])).toEqual([
      ['label', 'INT64', [ROWS.length], undefined], ['probabilities', 'FP64', [ROWS.length, 3], undefined], ['decision_function', 'FP64', [ROWS.length, 3], undefined],
    ]);
    expect(i64(blobs.get('label')!)).toEqual(LABELS);
    // FP32 inputs: the rows are rounded to float32 first, so compare loosely
    close(f64(blobs.get('probabilities')!), PROBA.flat(), 1e-5);
  });

  it('per-output binary_data overrides the default; JSON and binary outputs mix', async () => {
    const data = Float64Array.from(ROW);
    const { body, headers } = tritonBody({
      inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP64', parameters: { binary_data_size: 32 } }],
      outputs: [{ name: 'label', parameters: { binary_data: false } }, { name: 'probabilities', parameters: { binary_data: true } }],
    }, [new Uint8Array(data.buffer)]);
    const res = await fetch(`${fx.base}/v2/models/iris/versions/1/infer`, { method: 'POST', headers: { ...headers, ...auth(fx.tokens.reader) }, body });
    const { header, blobs } = await readBinary(res);
    expect(header.outputs[0]).toMatchObject({ name: 'label', data: [LABELS[0]] });
    expect(header.outputs[1]!.parameters).toEqual({ binary_data_size: 24 });
    close(f64(blobs.get('probabilities')!), PROBA[0]!);
  });

  it('JSON input with binary outputs only (no input blobs)', async () => {
    const res = await infer(inferBody([ROW], { parameters: { binary_data_output: true } }));
    const { blobs } = await readBinary(res);
    expect(i64(blobs.get('label')!)).toEqual([LABELS[0]]);
  });

  it('raw binary request (Inference-Header-Content-Length: 0): the body is the single input, rows from its length, outputs binary', async () => {
    const raw = (bytes: Uint8Array) => fetch(`${fx.base}/v2/models/iris/infer`, {
      method: 'POST', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': '0', ...auth(fx.tokens.reader) }, body: bytes,
    });
    const res = await raw(new Uint8Array(Float64Array.from(ROWS.flat()).buffer));
    expect(res.status).toBe(200);
    const { header, blobs } = await readBinary(res);
    expect(header.outputs.map((o) => [o.name, o.shape])).toEqual([['label', [ROWS.length]], ['probabilities', [ROWS.length, 3]], ['decision_function', [ROWS.length, 3]]]);
    expect(i64(blobs.get('label')!)).toEqual(LABELS);
    close(f64(blobs.get('probabilities')!), PROBA.flat());
    // not a whole number of FP64 rows of 4 features, or empty
    for (const n of [33, 8, 0]) expect(await errorOf(await raw(new Uint8Array(n)))).toMatchObject({ status: 400, code: 'INPUT_INVALID' });
  });

  it('binary framing errors: sizes that do not add up, header length beyond the body, INT64 beyond 2^53', async () => {
    const data = new Uint8Array(32);
    const cases: { header: unknown; blobs: Uint8Array[]; hl?: string }[] = [
      { header: { inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP64', parameters: { binary_data_size: 40 } }] }, blobs: [data] },
      { header: { inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP64', parameters: { binary_data_size: 24 } }] }, blobs: [data] },
      { header: { inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 32 } }] }, blobs: [data] },
      { header: { inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP64', parameters: { binary_data_size: 32 } }] }, blobs: [data], hl: '99999' },
      { header: { inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP64', parameters: { binary_data_size: 32 } }] }, blobs: [data], hl: '-1' },
      { header: { inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'INT64', parameters: { binary_data_size: 32 } }] }, blobs: [new Uint8Array(BigInt64Array.of(2n ** 60n, 1n, 1n, 1n).buffer)] },
    ];
    for (const c of cases) {
      const { body, headers } = tritonBody(c.header, c.blobs);
      if (c.hl) headers['inference-header-content-length'] = c.hl;
      const res = await fetch(`${fx.base}/v2/models/iris/infer`, { method: 'POST', headers: { ...headers, ...auth(fx.tokens.reader) }, body });
      expect(await errorOf(res)).toMatchObject({ status: 400, code: 'INPUT_INVALID' });
    }
  });
});

describe('bad input', () => {
  const bad = async (body: unknown, status = 400, headers: Record<string, string> = {}) => {
    const e = await errorOf(await infer(body, '/v2/models/iris/infer', headers));
    expect(e.status).toBe(status);
    return e;
  };

  it('malformed JSON, missing inputs, wrong input name', async () => {
    for (const b of ['{"inputs": [', 'null', '[]', '{}', '{"inputs": []}', '"x"']) expect((await bad(b)).code).toBe('INPUT_INVALID');
    await bad({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP64', data: ROW }] });
    await bad({ inputs: [{ shape: [1, 4], datatype: 'FP64', data: ROW }] });
    await bad({ id: 7, inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP64', data: ROW }] });
  });

  it('wrong shape, wrong datatype, element count != product(shape), ragged nesting', async () => {
    const inp = (o: Record<string, unknown>) => ({ inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP64', data: ROW, ...o }] });
    for (const o of [
      { shape: [1, 3] }, { shape: [1, 4, 1] }, { shape: [-1, 4] }, { shape: [1.5, 4] }, { shape: [] }, { shape: 'x' },
      { datatype: 'BYTES' }, { datatype: 'FP16' }, { datatype: 'NOPE' }, { datatype: 'INT32', data: [1.5, 2, 3, 4] },
      { data: [1, 2, 3] }, { data: [1, 2, 3, 4, 5] }, { shape: [2, 4], data: ROW },
      { shape: [2, 4], data: [[1, 2, 3], [4, 5, 6, 7, 8]] }, { shape: [2, 4], data: [[1, 2, 3, 4], 5, 6, 7, 8] },
      { shape: [1, 4], data: [[[1, 2, 3, 4]]] }, { data: ['a', 'b', 'c', 'd'] }, { data: [true, 1, 2, 3] }, { data: 'abcd' },
    ]) expect((await bad(inp(o))).code).toBe('INPUT_INVALID');
  });

  it('JSON INT64 beyond ±2^53 is refused; the largest safe integer is accepted', async () => {
    const body = (x: string) => `{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"INT64","data":[${x},1,1,1]}]}`;
    expect((await bad(body('9007199254740993'))).code).toBe('INPUT_INVALID');
    expect((await bad(body('-9007199254740993'))).code).toBe('INPUT_INVALID');
    expect((await infer(body('9007199254740991'))).status).toBe(200);
  });

  it('NaN/Infinity are not JSON; null is refused for a model without missing-value support', async () => {
    expect((await bad('{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP64","data":[NaN,1,1,1]}]}')).code).toBe('INPUT_INVALID');
    await bad({ inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP64', data: [null, 1, 1, 1] }] });
  });

  it('oversize body → 413; HTML-form content types → 415', async () => {
    const big = JSON.stringify(inferBody()).padEnd(2 * 1024 * 1024, ' ');
    expect(await errorOf(await infer(big))).toMatchObject({ status: 413, code: 'LIMIT_EXCEEDED' });
    for (const ct of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain']) {
      expect(await errorOf(await infer(inferBody(), '/v2/models/iris/infer', { 'content-type': ct }))).toMatchObject({ status: 415 });
    }
  });

  it('the registry API refuses unsupported content types with 415', async () => {
    const res = await fetch(`${fx.base}/api/v1/models/iris/aliases/staging`, { method: 'PUT', headers: { 'content-type': 'text/csv', ...auth(fx.tokens.approver) }, body: 'version,1' });
    expect(await errorOf(res)).toMatchObject({ status: 415 });
  });
});

describe('hot path (node:http in front of Fastify) and the Fastify route', () => {
  // A body without Content-Length (chunked) is handed to Fastify; the same body with one takes the hot path.
  const viaFastify = (body: string, headers: Record<string, string>) => fetch(`${fx.base}/v2/models/iris/infer`, {
    method: 'POST', headers: { ...headers, ...auth(fx.tokens.reader) }, duplex: 'half',
    body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(body)); c.close(); } }),
  } as RequestInit);
  const direct = (body: string, headers: Record<string, string>) => fetch(`${fx.base}/v2/models/iris/infer`, { method: 'POST', headers: { ...headers, ...auth(fx.tokens.reader) }, body });

  it('answer identically: status, body, content type and security headers, for good and bad requests', async () => {
    const json = { 'content-type': 'application/json' };
    const cases = [
      JSON.stringify(inferBody(ROWS, { id: 'same' })), JSON.stringify(inferBody([ROW], { outputs: [{ name: 'label' }] })),
      '{"inputs": [', 'null', JSON.stringify({ inputs: [{ name: 'input-0', shape: [1, 3], datatype: 'FP64', data: [1, 2, 3] }] }),
      JSON.stringify(inferBody([ROW], { parameters: { binary_data_output: true } })),
    ];
    for (const body of cases) {
      const [a, b] = [await direct(body, json), await viaFastify(body, json)];
      expect(a.status).toBe(b.status);
      expect(a.headers.get('content-type')).toBe(b.headers.get('content-type'));
      expect(a.headers.get('inference-header-content-length')).toBe(b.headers.get('inference-header-content-length'));
      for (const h of ['content-security-policy', 'x-content-type-options', 'strict-transport-security', 'x-frame-options']) expect(a.headers.get(h)).toBe(b.headers.get(h));
      expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
      expect(Buffer.from(await a.arrayBuffer()).equals(Buffer.from(await b.arrayBuffer()))).toBe(true);
    }
    const noTok = await fetch(`${fx.base}/v2/models/iris/infer`, { method: 'POST', headers: json, body: cases[0] });
    expect(await errorOf(noTok)).toMatchObject({ status: 401, code: 'AUTH_REQUIRED' });
  });
});

describe('headers, metrics, logs', () => {
  it('security headers and request ids on every response (success and error)', async () => {
    for (const res of [await get('/v2/health/live'), await infer(inferBody()), await get('/v2/models/nope', fx.tokens.reader), await get('/api/v1/models')]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
      expect(res.headers.get('x-powered-by')).toBeNull();
      await res.arrayBuffer();
    }
    // the interactive docs are an HTML page: helmet's document policies, with inline scripts allowed
    const docs = await fetch(`${fx.base}/docs/`);
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
    expect(docs.headers.get('content-security-policy')).toContain("script-src 'self' 'unsafe-inline'");
    expect(docs.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(docs.headers.get('x-content-type-options')).toBe('nosniff');
    await docs.arrayBuffer();
    const mine = await fetch(`${fx.base}/v2/health/live`, { headers: { 'x-request-id': 'client-id-1' } });
    expect(mine.headers.get('x-request-id')).toBe('client-id-1');
  });

  it('/metrics: per-model/version request counters and latency histograms, batch sizes, worker restarts', async () => {
    await infer(inferBody());
    expect((await get('/metrics')).status).toBe(401);
    const text = await (await get('/metrics', fx.tokens.reader)).text();
    expect(text).toMatch(/modelvault_http_requests_total\{route="\/v2\/models\/:name\/infer",method="POST",status="200",model="iris",version="1"\} \d+/);
    expect(text).toMatch(/modelvault_http_request_duration_seconds_bucket\{le="0\.005",route="\/v2\/models\/:name\/infer",model="iris",version="1"\} \d+/);
    expect(text).toMatch(/modelvault_batch_requests_count \d+/);
    expect(text).toMatch(/modelvault_batch_rows_bucket/);
    expect(text).toMatch(/# TYPE modelvault_worker_restarts_total counter/);
    expect(text).toMatch(/modelvault_models_loaded 1/);
  });

  it('structured JSON logs: one line per non-inference or failed request, with the request id', async () => {
    const res = await get('/v2/models/nope', fx.tokens.reader);
    const id = res.headers.get('x-request-id');
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 50));
    const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const hit = lines.find((l) => l.reqId === id && l.msg === 'request');
    expect(hit).toMatchObject({ level: 30, method: 'GET', url: '/v2/models/nope', status: 404 });
    expect(typeof hit!.time).toBe('number');
    for (const l of logLines) expect(l).not.toContain(fx.tokens.reader);
  });

  it('no error body anywhere leaks a stack trace or an internal path', async () => {
    const probes = [
      await get('/v2/models/..%2F..%2Fetc%2Fpasswd', fx.tokens.reader),
      await get('/v2/models/iris/versions/0', fx.tokens.reader),
      await get('/api/v1/models/iris/versions/abc', fx.tokens.reader),
      await get('/api/v1/audit/proof/inclusion?index=999999', fx.tokens.reader),
      await infer('{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP64","data":{"__proto__":1}}]}'),
      await fetch(`${fx.base}/api/v1/models/iris/versions`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...auth(fx.tokens.publisher) }, body: Buffer.from('not a model') }),
    ];
    for (const r of probes) {
      expect(r.status).toBeGreaterThanOrEqual(400);
      assertNoLeak(await r.text());
    }
  });
});
