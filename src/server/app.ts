import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Registry } from '../registry/index.js';
import { WorkerPool, type PoolOptions } from '../sandbox/index.js';
import { Authenticator } from './auth.js';
import { errorHandler } from './errors.js';
import { fastPath } from './fast-path.js';
import { ServerMetrics } from './metrics.js';
import { securityHeadersFor } from './security-headers.js';
import { ModelService } from './models.js';
import { oipPlugin } from './plugins/oip.js';
import { registryApiPlugin } from './plugins/registry-api.js';

export interface ServerOptions {
  readonly registry: Registry;
  /** Identity the server acts as when it reads the registry for serving (an admin or reader). */
  readonly serviceActor: string;
  readonly version: string;
  /** pino options, or false for no logs. Default: JSON logs at info to stdout. */
  readonly logger?: boolean | Record<string, unknown>;
  readonly pool?: PoolOptions;
  /** Largest request body for inference, in bytes. Default 16 MiB. */
  readonly bodyLimit?: number;
  /** Largest model upload, in bytes. Default 2 GiB. */
  readonly maxUploadBytes?: number;
  /** Requests per minute per client IP on the registry API. Default 600. */
  readonly apiRateLimit?: number;
  /** Requests per minute per client IP on inference routes; undefined = unlimited. */
  readonly inferRateLimit?: number;
  /** Alias served when a URL names no version. Default `production`. */
  readonly defaultAlias?: string;
  /** Models whose inference needs no token (also: a `serve.public=true` tag on the model). */
  readonly publicModels?: readonly string[];
  /** Per-request timeout, milliseconds. Default 30 s. */
  readonly requestTimeoutMs?: number;
}

export interface ModelvaultServer {
  readonly app: FastifyInstance;
  readonly pool: WorkerPool;
  readonly models: ModelService;
  readonly metrics: ServerMetrics;
  close(): Promise<void>;
}

/**
 * Builds the HTTP server: Open Inference Protocol, the registry API, /metrics, OpenAPI at /docs/json with
 * interactive docs at /docs. Model execution happens only in the sandboxed worker pool.
 */
export async function buildServer(o: ServerOptions): Promise<ModelvaultServer> {
  const metrics = new ServerMetrics();
  const pool = new WorkerPool({
    ...o.pool,
    onEvent: (e) => {
      o.pool?.onEvent?.(e);
      if (e.kind === 'batch') {
        metrics.batchSize.observe(e.requests);
        metrics.batchRows.observe(e.rows);
      } else if (e.kind === 'exit') metrics.workerRestarts.inc({ reason: e.signal ?? `exit ${e.code}` });
      else if (e.kind === 'timeout') metrics.workerRestarts.inc({ reason: 'timeout' });
    },
  });
  const models = new ModelService(o.registry, pool, o.serviceActor, { ...(o.defaultAlias ? { defaultAlias: o.defaultAlias } : {}) });
  const auth = new Authenticator(o.registry);
  const publicSet = new Set(o.publicModels ?? []);
  const publicCache = new Map<string, { v: boolean; at: number }>();
  const isPublicNow = (model: string): boolean | undefined => {
    if (publicSet.has(model)) return true;
    const hit = publicCache.get(model);
    return hit && Date.now() - hit.at < 5000 ? hit.v : undefined;
  };
  const isPublic = async (model: string): Promise<boolean> => {
    const now = isPublicNow(model);
    if (now !== undefined) return now;
    let v = false;
    try {
      v = (await o.registry.showModel(o.serviceActor, model)).tags.some((t) => t.version === null && t.key === 'serve.public' && t.value === 'true');
    } catch {
      v = false;
    }
    publicCache.set(model, { v, at: Date.now() });
    return v;
  };

  const bootId = randomBytes(4).toString('hex');
  let reqCounter = 0;
  const nextId = (): string => `${bootId}-${(++reqCounter).toString(36)}`;
  const bodyLimit = o.bodyLimit ?? 16 * 1024 * 1024;
  let closing = false;
  let appRef: FastifyInstance | undefined;
  const app = Fastify({
    // Plain inference requests are answered in front of Fastify (fast-path.ts: same core, headers,
    // errors, metrics and logs); everything else, and every unusual inference request, goes to Fastify.
    // Off when an inference rate limit is configured (that is a Fastify plugin).
    serverFactory: (handler) => {
      const server = createServer(o.inferRateLimit ? handler : fastPath({
        models, auth, isPublic, isPublicNow, metrics, bodyLimit, nextId, closing: () => closing, log: () => appRef!.log,
      }, handler));
      server.keepAliveTimeout = 72_000;
      server.requestTimeout = o.requestTimeoutMs ?? 30_000;
      server.setTimeout(60_000);
      return server;
    },
    logger: o.logger === undefined ? { level: 'info' } : o.logger,
    // Fastify's per-request logs are replaced by one structured line per non-inference request (onResponse).
    logController: new LogController({ disableRequestLogging: true }),
    // No pino child logger per request (a measurable cost on the hot path): every line we log names its
    // request id explicitly (onResponse, errors.ts).
    childLoggerFactory: (logger) => logger,
    bodyLimit,
    requestTimeout: o.requestTimeoutMs ?? 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 72_000,
    requestIdHeader: 'x-request-id',
    // Unique per process without a syscall per request: boot prefix + counter (a client's X-Request-Id wins).
    genReqId: nextId,
    trustProxy: false,
    return503OnClosing: true,
    ajv: { customOptions: { allErrors: false, coerceTypes: 'array', removeAdditional: false } },
  });
  appRef = app;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => void reply.code(404).send({ error: `REG_NOT_FOUND: no route ${req.method} ${req.url.split('?')[0]}` }));

  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      info: { title: 'modelvault', version: o.version, description: 'Open Inference Protocol (KServe V2) and the modelvault registry API' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // Security headers (computed once: security-headers.ts) and the request id, in one synchronous hook.
  app.addHook('onRequest', (req, reply, done) => {
    reply.headers(securityHeadersFor(req.url));
    void reply.header('x-request-id', req.id);
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unknown';
    const m = req.mvModel;
    metrics.observe(route, req.method, reply.statusCode, m?.model ?? '', m?.version ?? '', reply.elapsedTime / 1000);
    if (reply.statusCode >= 400 || !route.includes('infer')) {
      req.log.info({ reqId: req.id, method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, ...(m ?? {}) }, 'request');
    }
    done();
  });

  await app.register(async (scope) => {
    if (o.inferRateLimit) await scope.register(rateLimit, { max: o.inferRateLimit, timeWindow: '1 minute' });
    await oipPlugin(scope, { models, auth, metrics, serverName: 'modelvault', serverVersion: o.version, isPublic, isPublicNow });
  });
  await app.register(async (scope) => {
    await scope.register(rateLimit, { max: o.apiRateLimit ?? 600, timeWindow: '1 minute' });
    await registryApiPlugin(scope, { registry: o.registry, auth, models, maxUploadBytes: o.maxUploadBytes ?? 2 * 1024 ** 3 });
  }, { prefix: '/api/v1' });

  app.get('/metrics', { schema: { tags: ['health'], description: 'Prometheus metrics (needs a token)' } }, async (req, reply) => {
    await auth.require(req, 'reader');
    metrics.modelsLoaded.set(pool.loadedCount());
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  return {
    app, pool, models, metrics,
    async close() {
      await app.close();
      await pool.close();
      await models.close();
    },
  };
}
