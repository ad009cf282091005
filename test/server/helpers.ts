import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '../../src/registry/index.js';
import { buildServer, type ModelvaultServer, type ServerOptions } from '../../src/server/index.js';

// A real registry (init → grant → push → alias) and a real server on 127.0.0.1 with the real sandbox
// (dist/sandbox/worker.js, built by `npm test`'s pretest). No mocks.
export const EXAMPLE = new URL('../../examples/predictor.joblib', import.meta.url).pathname;
export const TREE = new URL('../fixtures/server/iris_tree.joblib', import.meta.url).pathname;

export type Who = 'reader' | 'publisher' | 'approver' | 'admin' | 'expired' | 'revoked' | 'wrong';

export interface Fixture {
  readonly reg: Registry;
  readonly srv: ModelvaultServer;
  readonly base: string;
  readonly tokens: Readonly<Record<Who, string>>;
  /** The registry's clock (ms); tests may move it. */
  now: number;
  close(): Promise<void>;
}

/**
 * Registry with admin `admin`, reader `rd`, publisher `pub`, approver `appr`; `iris` v1 = the example
 * predictor pushed by `pub`, production → 1 set by `appr` (separation of duties on); optionally v2 =
 * iris_tree.joblib. Tokens for every role plus an expired, a revoked and a well-formed unknown one.
 */
export async function startFixture(o: { v2?: boolean; server?: Partial<ServerOptions> } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'mv-serve-'));
  const f = { now: Date.parse('2026-06-01T00:00:00Z') } as { now: number };
  const clock = () => f.now;
  const reg = await Registry.init(join(dir, 'reg'), { admin: 'admin', clock });
  await reg.grant('admin', 'rd', 'reader');
  await reg.grant('admin', 'pub', 'publisher');
  await reg.grant('admin', 'appr', 'approver');
  await reg.push('pub', { file: EXAMPLE, name: 'iris' });
  if (o.v2) await reg.push('pub', { file: TREE, name: 'iris' });
  await reg.setAlias('appr', 'iris', 'production', 1);
  const tok = async (who: string, secs?: number) => (await reg.createToken(who, secs ? { expiresInSeconds: secs } : {})).token;
  const expired = await tok('rd', 1);
  const revokedT = await reg.createToken('rd');
  await reg.revokeToken('rd', revokedT.id);
  const tokens: Record<Who, string> = {
    reader: await tok('rd'), publisher: await tok('pub'), approver: await tok('appr'), admin: await tok('admin'),
    expired, revoked: revokedT.token, wrong: `mvt_${'A'.repeat(43)}`,
  };
  f.now += 10_000; // the 1-second token is now expired
  const srv = await buildServer({ registry: reg, serviceActor: 'admin', version: 'test', logger: false, ...o.server });
  await srv.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(srv.app.server.address() as { port: number }).port}`;
  return Object.assign(f, {
    reg, srv, base, tokens,
    async close() {
      await srv.close();
      reg.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export const auth = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

export const ROW = [5.1, 3.5, 1.4, 0.2];

export function inferBody(rows: number[][] = [ROW], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { inputs: [{ name: 'input-0', shape: [rows.length, 4], datatype: 'FP64', data: rows.flat() }], ...extra };
}

export async function postJson(base: string, path: string, body: unknown, token?: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth(token), ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** `{"error": "CODE: message"}` → status + code; also checks that no error body leaks internals. */
export async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const text = await res.text();
  assertNoLeak(text);
  const body = JSON.parse(text) as { error?: unknown };
  if (typeof body.error !== 'string' || Object.keys(body).length !== 1) throw new Error(`not an OIP error body: ${text}`);
  return { status: res.status, code: body.error.split(':')[0]!, message: body.error };
}

/** No stack frames, source paths or module folders in anything sent to a client. */
export function assertNoLeak(text: string): void {
  const bad = [/\n\s+at /, /\/work\//, /node_modules/, /\/tmp\//, /\.[tj]s:\d+/, /file:\/\//, /\bstack\b/i];
  for (const r of bad) if (r.test(text)) throw new Error(`response leaks internals (${r}): ${text.slice(0, 300)}`);
}

/** A binary-extension body exactly as tritonclient builds it: JSON header, then the blobs in input order. */
export function tritonBody(header: unknown, blobs: readonly Uint8Array[]): { body: Buffer; headers: Record<string, string> } {
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  return {
    body: Buffer.concat([head, ...blobs]),
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.length) },
  };
}

/** Splits a binary-extension response into its JSON header and one blob per binary output. */
export async function readBinary(res: Response): Promise<{ header: { id: string; outputs: { name: string; datatype: string; shape: number[]; data?: unknown[]; parameters?: { binary_data_size?: number } }[] }; blobs: Map<string, Buffer> }> {
  const buf = Buffer.from(await res.arrayBuffer());
  const hl = Number(res.headers.get('inference-header-content-length'));
  if (!Number.isSafeInteger(hl) || hl > buf.length) throw new Error('bad Inference-Header-Content-Length');
  const header = JSON.parse(buf.subarray(0, hl).toString('utf8'));
  const blobs = new Map<string, Buffer>();
  let o = hl;
  for (const out of header.outputs) {
    const n = out.parameters?.binary_data_size;
    if (n === undefined) continue;
    blobs.set(out.name, buf.subarray(o, o + n));
    o += n;
  }
  if (o !== buf.length) throw new Error('binary response has unclaimed bytes');
  return { header, blobs };
}

export const f64 = (b: Buffer): number[] => Array.from(new Float64Array(new Uint8Array(b).buffer));
export const i64 = (b: Buffer): number[] => Array.from(new BigInt64Array(new Uint8Array(b).buffer), Number);
