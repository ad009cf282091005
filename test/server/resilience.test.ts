import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, inferBody, postJson, startFixture, type Fixture } from './helpers.js';

// Failure and change under load, through HTTP on 127.0.0.1: a SIGKILLed worker, a stuck-free recovery,
// and a production alias moving from version 1 to 2 while requests are in flight.
let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ v2: true, server: { pool: { workers: 1, timeoutMs: 3000 } } });
}, 60_000);
afterAll(() => fx?.close());

const BODY = JSON.stringify(inferBody([[5.1, 3.5, 1.4, 0.2]], { outputs: [{ name: 'label' }, { name: 'probabilities' }] }));

/** Runs `conns` request loops until `stop()`; records status, body version and duration of each. */
function load(conns: number, path = '/v2/models/iris/infer') {
  let running = true;
  const results: { status: number; version?: string; ms: number; code?: string; error?: string }[] = [];
  const loops = Array.from({ length: conns }, async () => {
    while (running) {
      const t = performance.now();
      const res = await postJson(fx.base, path, BODY, fx.tokens.reader, {}).catch(() => undefined);
      if (!res) {
        results.push({ status: 0, ms: performance.now() - t });
        continue;
      }
      const body = (await res.json()) as { model_version?: string; error?: string };
      results.push({ status: res.status, ms: performance.now() - t, ...(body.model_version ? { version: body.model_version } : {}), ...(body.error ? { code: body.error.split(":")[0], error: body.error } : {}) });
    }
  });
  return { results, stop: async () => { running = false; await Promise.all(loops); } };
}

describe('resilience', () => {
  it('SIGKILL of the worker under load: in-flight requests fail fast with 503, none hangs, service recovers', async () => {
    // warm: the model is loaded (a kill during the first load fails that load, also with 503)
    expect((await postJson(fx.base, '/v2/models/iris/infer', BODY, fx.tokens.reader)).status).toBe(200);
    const l = load(20);
    await new Promise((r) => setTimeout(r, 300));
    // Kill while a batch is inside the worker, so there are in-flight requests to fail (on a loaded host
    // the kill could otherwise land between two batches, and then every request rightly succeeds).
    const until = Date.now() + 5000;
    while (fx.srv.pool.batchesInFlight() === 0 && Date.now() < until) await new Promise((r) => setImmediate(r));
    const pid = fx.srv.pool.pids()[0]!;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    await l.stop();
    const statuses = new Set(l.results.map((r) => r.status));
    expect([...statuses].every((s) => s === 200 || s === 503)).toBe(true);
    const failed = l.results.filter((r) => r.status === 503);
    // Usually some requests were inside the killed worker and fail; but its answer can already be in the
    // IPC pipe when the kill lands, and then every request rightly succeeds (seen under heavy host load).
    // Failing fast is pinned deterministically by test/sandbox/pool.test.ts (stuck worker, SANDBOX_TIMEOUT).
    expect(failed.length).toBeLessThan(l.results.length);
    for (const f of failed) expect(f.code).toMatch(/^SANDBOX_(UNAVAILABLE|TIMEOUT)$/);
    // fail fast: far below the 3 s batch deadline, and nothing hung until the loop was stopped
    if (failed.length) expect(Math.max(...failed.map((f) => f.ms))).toBeLessThan(2000);
    expect(Math.max(...l.results.map((r) => r.ms))).toBeLessThan(5000);
    await fx.srv.pool.whenReady();
    expect(fx.srv.pool.pids()[0]).not.toBe(pid);
    const after = await postJson(fx.base, '/v2/models/iris/infer', BODY, fx.tokens.reader);
    expect(after.status).toBe(200);
    const metrics = await (await fetch(`${fx.base}/metrics`, { headers: auth(fx.tokens.reader) })).text();
    expect(metrics).toMatch(/modelvault_worker_restarts_total\{reason="SIGKILL"\} [1-9]/);
    expect(metrics).not.toMatch(/spawn-error/);
    if (failed.length) expect(metrics).toMatch(/modelvault_http_requests_total\{route="\/v2\/models\/:name\/infer",method="POST",status="503",model="iris",version="1"\} [1-9]/);
  });

  it('zero-downtime alias move: no failed request while production moves 1 → 2 under load', async () => {
    const l = load(20);
    await new Promise((r) => setTimeout(r, 400));
    const move = await fetch(`${fx.base}/api/v1/models/iris/aliases/production`, {
      method: 'PUT', headers: { ...auth(fx.tokens.approver), 'content-type': 'application/json' }, body: JSON.stringify({ version: 2 }),
    });
    expect(move.status).toBe(200);
    const movedAt = l.results.length;
    const until = Date.now() + 5000;
    while (Date.now() < until && !l.results.slice(movedAt).some((r) => r.version === '2')) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    await l.stop();
    const bad = l.results.filter((r) => r.status !== 200);
    expect(bad).toEqual([]);
    const versions = l.results.map((r) => r.version);
    expect(versions).toContain('1');
    expect(versions).toContain('2');
    // once version 2 is served, no request goes back to version 1
    const first2 = versions.indexOf('2');
    expect(versions.slice(first2 + 20).every((v) => v === '2')).toBe(true);
  });

  it('closing the server while requests are in flight: every request completes or fails, none hangs', async () => {
    const l = load(10);
    await new Promise((r) => setTimeout(r, 200));
    const closing = fx.srv.app.close();
    await closing;
    await l.stop();
    expect(l.results.length).toBeGreaterThan(0);
    for (const r of l.results) expect([0, 200, 503]).toContain(r.status);
  });
});
