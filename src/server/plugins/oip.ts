import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MvError } from '../../core/index.js';
import type { ServerMetrics } from '../metrics.js';
import type { ServedVersion } from '../models.js';
import { checkAccess, runInference, servedFor, type InferDeps } from '../infer.js';
import { inputsOf, jsonData, outputsOf, toOutput } from '../oip.js';

export interface OipOptions extends InferDeps {
  readonly metrics: ServerMetrics;
  readonly serverName: string;
  readonly serverVersion: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    mvModel?: { model: string; version: string };
  }
}

const NAME = { type: 'string', minLength: 1, maxLength: 256 } as const;
const PARAMS = { type: 'object', properties: { name: NAME, version: NAME }, required: ['name'] } as const;
const ERROR = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] } as const;
const TENSOR_META = {
  type: 'object', required: ['name', 'datatype', 'shape'],
  properties: { name: { type: 'string' }, datatype: { type: 'string' }, shape: { type: 'array', items: { type: 'integer' } } },
} as const;

/**
 * Open Inference Protocol REST (KServe V2 / Triton / MLServer; ../shared/spec/serving.md §1): health,
 * server and model metadata, readiness and inference, with the optional `/versions/{v}` segment (a
 * number or an alias), JSON and binary tensors. Plus KServe V1-style `:predict` over rows or records.
 */
export async function oipPlugin(app: FastifyInstance, o: OipOptions): Promise<void> {
  // Raw bodies for inference: a binary-extension request is JSON followed by tensor bytes, so the JSON
  // parser must not see it whole. Encapsulated: other plugins keep Fastify's JSON parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const access = (req: FastifyRequest, model: string): Promise<void> => checkAccess(o, req, model);

  const served = async (req: FastifyRequest, name: string, version: string | undefined): Promise<ServedVersion> => {
    const s = await servedFor(o, req, name, version);
    req.mvModel = { model: s.model, version: String(s.version) };
    return s;
  };

  app.get('/v2/health/live', { schema: { tags: ['health'], response: { 200: { type: 'object', properties: { live: { type: 'boolean' } } } } } },
    async () => ({ live: true }));
  app.get('/v2/health/ready', { schema: { tags: ['health'], response: { 200: { type: 'object', properties: { ready: { type: 'boolean' } } }, 503: ERROR } } },
    async (_req, reply) => (o.models.pool.isReady() ? { ready: true } : reply.code(503).send({ error: 'SANDBOX_UNAVAILABLE: model workers are starting' })));

  const serverMeta = { name: o.serverName, version: o.serverVersion, extensions: ['binary_tensor_data'] };
  const metaSchema = { schema: { tags: ['oip'], response: { 200: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' }, extensions: { type: 'array', items: { type: 'string' } } } } } } };
  app.get('/v2', metaSchema, async () => serverMeta);
  app.get('/v2/', metaSchema, async () => serverMeta);

  const modelMeta = async (req: FastifyRequest<{ Params: { name: string; version?: string } }>) => {
    const s = await served(req, req.params.name, req.params.version);
    const versions = (await o.models.registry.showModel(o.models.actor, s.model)).versions.filter((v) => v.status !== 'deleted').map((v) => String(v.version));
    return {
      name: s.model, versions, platform: 'modelvault', inputs: inputsOf(s), outputs: outputsOf(s).map(({ method: _m, ...t }) => t),
      properties: { version: String(s.version), digest: s.digest, kind: s.output.kind },
    };
  };
  const modelMetaSchema = {
    schema: {
      tags: ['oip'], params: PARAMS,
      response: {
        200: { type: 'object', properties: { name: { type: 'string' }, versions: { type: 'array', items: { type: 'string' } }, platform: { type: 'string' }, inputs: { type: 'array', items: TENSOR_META }, outputs: { type: 'array', items: TENSOR_META }, properties: { type: 'object', additionalProperties: { type: 'string' } } } },
        404: ERROR,
      },
    },
  };
  app.get('/v2/models/:name', modelMetaSchema, modelMeta);
  app.get('/v2/models/:name/versions/:version', modelMetaSchema, modelMeta);

  const ready = async (req: FastifyRequest<{ Params: { name: string; version?: string } }>) => {
    await access(req, req.params.name);
    const v = await o.models.resolve({ model: req.params.name, ...(req.params.version !== undefined ? { version: req.params.version } : {}) });
    await o.models.ensure(v);
    return { name: v.model, ready: true };
  };
  const readySchema = { schema: { tags: ['oip'], params: PARAMS, response: { 200: { type: 'object', properties: { name: { type: 'string' }, ready: { type: 'boolean' } } }, 404: ERROR } } };
  app.get('/v2/models/:name/ready', readySchema, ready);
  app.get('/v2/models/:name/versions/:version/ready', readySchema, ready);

  // The same call as the hot path in front of Fastify (fast-path.ts), which takes the plain requests.
  const infer = async (req: FastifyRequest<{ Params: { name: string; version?: string } }>, reply: FastifyReply) => {
    refuseFormTypes(req);
    const s = await served(req, req.params.name, req.params.version);
    const a = await runInference(o, s, req.headers, req.body);
    if (a.headerLength !== undefined) void reply.header('Inference-Header-Content-Length', String(a.headerLength));
    return reply.type(a.type).send(a.payload);
  };
  const inferSchema = { schema: { tags: ['oip'], params: PARAMS, description: 'Inference (JSON, or JSON + binary tensors with Inference-Header-Content-Length)' } };
  app.post('/v2/models/:name/infer', inferSchema, infer);
  app.post('/v2/models/:name/versions/:version/infer', inferSchema, infer);

  // KServe V1-style predict over rows or records: {"instances": [[...], ...]} or [{"feature": v, ...}].
  app.post('/v1/models/:target', { schema: { tags: ['oip'], params: { type: 'object', properties: { target: { type: 'string', pattern: '^[^:]{1,256}:predict$' } }, required: ['target'] } } },
    async (req: FastifyRequest<{ Params: { target: string } }>) => {
      refuseFormTypes(req);
      const name = req.params.target.slice(0, -':predict'.length);
      const s = await served(req, name, undefined);
      let body: { instances?: unknown; inputs?: unknown };
      try {
        body = JSON.parse((req.body as Buffer).toString('utf8'));
      } catch {
        throw new MvError('INPUT_INVALID', 'the request body is not valid JSON');
      }
      if (body === null || typeof body !== 'object') throw new MvError('INPUT_INVALID', 'send {"instances": [row, ...]}');
      const rows = body.instances ?? body.inputs;
      if (!Array.isArray(rows) || rows.length === 0) throw new MvError('INPUT_INVALID', 'send {"instances": [row, ...]} with rows (arrays) or records (objects)');
      const frame = rowsToFrame(s, rows);
      const r = await o.models.run(s, s.methods.includes('predict') ? 'predict' : 'transform', frame);
      return { predictions: r.shape.length === 1 ? jsonData(toOutput({ name: 'p', datatype: 'FP64', shape: [], binary: false }, r)) : chunk(r) };
    });
}

/**
 * Inference bodies are JSON (or JSON + tensors with Inference-Header-Content-Length, under any type, as
 * tritonclient sends them). The HTML-form types are refused with 415: a browser can post them cross-site
 * without a preflight, and `curl -d` without a Content-Type sends one of them by mistake.
 */
export const FORM_TYPES = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\b/i;
function refuseFormTypes(req: FastifyRequest): void {
  const ct = req.headers['content-type'];
  if (ct !== undefined && req.headers['inference-header-content-length'] === undefined && FORM_TYPES.test(ct)) {
    throw Object.assign(new Error(`unsupported Content-Type ${ct.split(';')[0]!.trim().slice(0, 64)}; send application/json`), { statusCode: 415 });
  }
}

function chunk(r: { shape: readonly number[]; data: ArrayLike<unknown> }): unknown[][] {
  const w = r.shape[1] ?? 1;
  const out: unknown[][] = [];
  for (let i = 0; i < r.shape[0]!; i++) out.push(Array.from({ length: w }, (_, j) => r.data[i * w + j]));
  return out;
}

/** Rows (arrays in feature order) or records (objects keyed by feature name) → a frame. */
function rowsToFrame(s: ServedVersion, rows: unknown[]): { rows: number; cols: number; data: Float64Array; text?: ((string | null)[] | undefined)[] } {
  const F = s.input.n_features;
  const feats = s.input.features;
  const data = new Float64Array(rows.length * F);
  const text = feats.map((f) => (f.type === 'string' ? new Array<string | null>(rows.length).fill(null) : undefined));
  rows.forEach((r, i) => {
    const cells = Array.isArray(r) ? r : r && typeof r === 'object' ? feats.map((f) => (r as Record<string, unknown>)[f.name]) : undefined;
    if (!cells) throw new MvError('INPUT_INVALID', `instance ${i} is neither a row nor a record`);
    if (Array.isArray(r) && r.length !== F) throw new MvError('INPUT_INVALID', `instance ${i} has ${r.length} values, the model takes ${F}`);
    if (!Array.isArray(r)) {
      const extra = Object.keys(r as object).filter((k) => !feats.some((f) => f.name === k));
      if (extra.length) throw new MvError('INPUT_INVALID', `instance ${i} has unknown fields ${extra.join(', ')}`);
    }
    cells.forEach((v, j) => {
      const f = feats[j]!;
      if (f.type === 'any' && typeof v === 'string') data[i * F + j] = NaN; // a column the model never reads
      else if (f.type === 'string') {
        if (typeof v === 'string' || (v === null && f.missing)) text[j]![i] = v as string | null;
        else throw new MvError('INPUT_INVALID', `instance ${i}, feature ${f.name}: expected text`);
      } else if (typeof v === 'number') data[i * F + j] = v;
      else if (v === null && f.missing) data[i * F + j] = NaN;
      else throw new MvError('INPUT_INVALID', `instance ${i}, feature ${f.name}: expected a number, got ${JSON.stringify(v)?.slice(0, 40)}`);
    });
  });
  return { rows: rows.length, cols: F, data, ...(text.some(Boolean) ? { text } : {}) };
}
