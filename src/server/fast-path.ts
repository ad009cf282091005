import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { isMvError } from '../core/index.js';
import { errorBody } from './errors.js';
import { runInference, servedFor, servedNow, type InferDeps } from './infer.js';
import type { ServerMetrics } from './metrics.js';
import { FORM_TYPES } from './plugins/oip.js';
import { API_SECURITY_HEADERS } from './security-headers.js';

/**
 * The inference hot path in front of Fastify: plain `POST /v2/models/{m}[/versions/{v}]/infer`
 * requests are answered by node:http directly, with the same inference core (infer.ts), security
 * headers, request ids, error bodies, metrics and logs as the Fastify route — but without Fastify's
 * request/reply objects, hook chain, router and content-type machinery (≈ a third of the main
 * thread's time per single-row request). Anything unusual (no Content-Length or one above the body
 * limit, percent-encoded names, a form Content-Type, a closing server) is handed to Fastify unchanged
 * before the body is read, so Fastify's own answer applies.
 */
export interface FastPathOptions extends InferDeps {
  readonly metrics: ServerMetrics;
  readonly log: () => FastifyBaseLogger;
  readonly bodyLimit: number;
  readonly nextId: () => string;
  readonly closing: () => boolean;
}

const NAME = /^[A-Za-z0-9._@~-]{1,256}$/;
const ROUTE = '/v2/models/:name/infer';
const ROUTE_V = '/v2/models/:name/versions/:version/infer';
const STATIC_HEADERS: readonly string[] = Object.entries(API_SECURITY_HEADERS).flat();

/** `/v2/models/NAME/infer` or `/v2/models/NAME/versions/V/infer` → its parts, else undefined. */
export function matchInfer(url: string): { name: string; version?: string } | undefined {
  if (!url.startsWith('/v2/models/') || !url.endsWith('/infer')) return undefined;
  const parts = url.slice(11, -6).split('/');
  if (parts.length === 1 && NAME.test(parts[0]!)) return { name: parts[0]! };
  if (parts.length === 3 && parts[1] === 'versions' && NAME.test(parts[0]!) && NAME.test(parts[2]!)) return { name: parts[0]!, version: parts[2]! };
  return undefined;
}

/** Returns a request listener that answers hot-path requests itself and passes everything else on. */
export function fastPath(o: FastPathOptions, next: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const m = req.method === 'POST' ? matchInfer(req.url ?? '') : undefined;
    const len = req.headers['content-length'];
    const ct = req.headers['content-type'];
    const n = len === undefined ? NaN : Number(len);
    if (!m || !(n >= 0 && n <= o.bodyLimit) || o.closing() || (ct !== undefined && FORM_TYPES.test(ct)) || req.headers.expect !== undefined) {
      next(req, res);
      return;
    }
    const started = process.hrtime.bigint();
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && given.length > 0 && given.length <= 200 ? given : o.nextId();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => void answer(o, req, res, m, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), id, started));
  };
}

async function answer(o: FastPathOptions, req: IncomingMessage, res: ServerResponse, m: { name: string; version?: string }, body: Buffer, id: string, started: bigint): Promise<void> {
  let model = '';
  let version = '';
  let status = 200;
  let type: string;
  let payload: string | Buffer;
  let headerLength: number | undefined;
  try {
    const s = servedNow(o, req, m.name, m.version) ?? (await servedFor(o, req, m.name, m.version));
    model = s.model;
    version = String(s.version);
    const a = await runInference(o, s, req.headers, body);
    type = a.type;
    payload = a.payload;
    headerLength = a.headerLength;
  } catch (e) {
    const r = errorBody(e);
    status = r.status;
    if (status >= 500) o.log().error({ reqId: id, err: e, ...(isMvError(e) ? { code: e.code } : {}) }, isMvError(e) ? 'request failed' : 'internal error');
    type = 'application/json; charset=utf-8';
    payload = r.body;
  }
  if (res.destroyed) return;
  // One flat header list for writeHead: no per-header setHeader bookkeeping on the hot path.
  const headers = STATIC_HEADERS.slice();
  headers.push('x-request-id', id, 'content-type', type, 'content-length', String(typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length));
  if (headerLength !== undefined) headers.push('inference-header-content-length', String(headerLength));
  res.writeHead(status, headers);
  res.end(payload);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  o.metrics.observe(m.version === undefined ? ROUTE : ROUTE_V, 'POST', status, model, version, seconds);
  if (status >= 400) {
    o.log().info({ reqId: id, method: 'POST', url: req.url, status, ms: Math.round(seconds * 1e4) / 10, ...(model ? { model, version } : {}) }, 'request');
  }
}
