import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MvError } from '../../core/index.js';
import { parseMetaPairs, parseVersionNumber, type Registry } from '../../registry/index.js';
import type { Authenticator } from '../auth.js';
import type { ModelService } from '../models.js';

export interface RegistryApiOptions {
  readonly registry: Registry;
  readonly auth: Authenticator;
  readonly models: ModelService;
  readonly maxUploadBytes: number;
}

const NAME = { type: 'string', minLength: 1, maxLength: 256 } as const;
const ERROR = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] } as const;
const ANY = { type: 'object', additionalProperties: true } as const;

/**
 * The registry over HTTP (`/api/v1`): list and show models and versions, upload, aliases with history,
 * the audit log, checkpoints and proofs. Every route needs a bearer token; the registry itself checks the
 * role each action needs and audits every change.
 */
export async function registryApiPlugin(app: FastifyInstance, o: RegistryApiOptions): Promise<void> {
  const { registry: reg, auth } = o;
  const reader = (req: FastifyRequest) => auth.require(req, 'reader');

  app.get('/models', { schema: { tags: ['registry'], response: { 200: { type: 'object', properties: { models: { type: 'array', items: ANY } } }, 401: ERROR } } },
    async (req) => ({ models: await reg.listModels(await reader(req)) }));

  app.get('/models/:name', { schema: { tags: ['registry'], params: { type: 'object', properties: { name: NAME }, required: ['name'] }, response: { 200: ANY, 404: ERROR } } },
    async (req: FastifyRequest<{ Params: { name: string } }>) => reg.showModel(await reader(req), req.params.name));

  app.get('/models/:name/versions/:version', {
    schema: { tags: ['registry'], params: { type: 'object', properties: { name: NAME, version: { type: 'string', pattern: '^[1-9][0-9]{0,8}$' } }, required: ['name', 'version'] }, response: { 200: ANY, 404: ERROR } },
  }, async (req: FastifyRequest<{ Params: { name: string; version: string } }>) =>
    reg.showVersion(await reader(req), { kind: 'version', model: req.params.name, version: parseVersionNumber(req.params.version) }));

  // Upload: the body is the model file itself; an OMS signature bundle may come base64 in a header.
  app.register(async (up) => {
    up.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: o.maxUploadBytes }, (_req, body, done) => done(null, body));
    up.post('/models/:name/versions', {
      bodyLimit: o.maxUploadBytes,
      schema: {
        tags: ['registry'], description: 'Upload a model file (raw body). Optional headers: X-Modelvault-Signature (base64 OMS bundle). Query: meta=KEY=VALUE (repeatable).',
        params: { type: 'object', properties: { name: NAME }, required: ['name'] },
        querystring: { type: 'object', properties: { meta: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 64 }] } } },
        response: { 201: ANY, 200: ANY, 400: ERROR, 401: ERROR, 403: ERROR, 422: ERROR },
      },
    }, async (req: FastifyRequest<{ Params: { name: string }; Querystring: { meta?: string | string[] } }>, reply) => {
      const actor = await auth.require(req, 'publisher');
      if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw new MvError('INPUT_INVALID', 'the body must be the model file');
      const meta = parseMetaPairs(([] as string[]).concat(req.query.meta ?? []));
      const dir = join(reg.layout.tmp, `.tmp-${process.pid}-${randomBytes(8).toString("hex")}`);
      await mkdir(dir, { mode: 0o700 });
      try {
        const file = join(dir, 'model');
        await writeFile(file, req.body, { mode: 0o600 });
        let signature: string | undefined;
        const sig = req.headers['x-modelvault-signature'];
        if (typeof sig === 'string') {
          signature = join(dir, 'model.sig');
          await writeFile(signature, Buffer.from(sig, 'base64'), { mode: 0o600 });
        }
        const r = await reg.push(actor, { file, name: req.params.name, meta, ...(signature ? { signature } : {}) });
        return reply.code(r.created ? 201 : 200).send(r);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  app.put('/models/:name/aliases/:alias', {
    schema: {
      tags: ['registry'], params: { type: 'object', properties: { name: NAME, alias: NAME }, required: ['name', 'alias'] },
      body: { type: 'object', properties: { version: { type: 'integer', minimum: 1 } }, required: ['version'], additionalProperties: false },
      response: { 200: ANY, 403: ERROR, 404: ERROR, 409: ERROR },
    },
  }, async (req: FastifyRequest<{ Params: { name: string; alias: string }; Body: { version: number } }>) => {
    const actor = await auth.require(req, 'publisher');
    const r = await reg.setAlias(actor, req.params.name, req.params.alias, req.body.version);
    o.models.invalidate(req.params.name);
    return r;
  });

  app.get('/models/:name/aliases/:alias/history', {
    schema: { tags: ['registry'], params: { type: 'object', properties: { name: NAME, alias: NAME }, required: ['name', 'alias'] }, response: { 200: { type: 'object', properties: { moves: { type: 'array', items: ANY } } } } },
  }, async (req: FastifyRequest<{ Params: { name: string; alias: string } }>) => ({ moves: await reg.aliasHistory(await reader(req), req.params.name, req.params.alias) }));

  app.get('/audit/log', {
    schema: { tags: ['audit'], querystring: { type: 'object', properties: { from: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1, maximum: 1000 }, model: NAME } }, response: { 200: { type: 'object', properties: { entries: { type: 'array', items: ANY } } } } },
  }, async (req: FastifyRequest<{ Querystring: { from?: number; limit?: number; model?: string } }>) =>
    ({ entries: await reg.auditEntries(await reader(req), { ...req.query }) }));

  const text = { 200: { type: 'string' } } as const;
  app.get('/audit/checkpoint', { schema: { tags: ['audit'], description: 'Latest signed checkpoint (C2SP signed note)', response: text } },
    async (req, reply) => reply.type('text/plain; charset=utf-8').send(await reg.auditCheckpoint(await reader(req))));
  app.get('/audit/vkey', { schema: { tags: ['audit'], description: 'Verifier key of the log', response: text } },
    async (_req, reply) => reply.type('text/plain; charset=utf-8').send(`${reg.vkey()}\n`));
  app.get('/audit/proof/inclusion', {
    schema: { tags: ['audit'], description: 'tlog-proof receipt for one entry', querystring: { type: 'object', properties: { index: { type: 'integer', minimum: 0 }, size: { type: 'integer', minimum: 1 } }, required: ['index'] }, response: text },
  }, async (req: FastifyRequest<{ Querystring: { index: number; size?: number } }>, reply) =>
    reply.type('text/plain; charset=utf-8').send(await reg.auditReceipt(await reader(req), req.query.index, req.query.size)));
  app.get('/audit/proof/consistency', {
    schema: { tags: ['audit'], querystring: { type: 'object', properties: { from: { type: 'integer', minimum: 1 }, to: { type: 'integer', minimum: 1 } }, required: ['from'] }, response: text },
  }, async (req: FastifyRequest<{ Querystring: { from: number; to?: number } }>, reply) =>
    reply.type('text/plain; charset=utf-8').send(await reg.auditConsistency(await reader(req), req.query.from, req.query.to)));
}
