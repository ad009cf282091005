import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE, auth, errorOf, inferBody, startFixture, type Fixture, type Who } from './helpers.js';

// The auth matrix: every route × no token, a malformed header, an unknown, expired and revoked token,
// and each role. Expected: the lowest role that passes; everything below gets 403, bad tokens 401.
let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ v2: true, server: { publicModels: ['open'] } });
}, 60_000);
afterAll(() => fx?.close());

type Need = 'public' | 'reader' | 'publisher' | 'approver' | 'admin';
interface Route { readonly method: string; readonly path: string; readonly need: Need; readonly body?: () => { body: BodyInit; type: string } }

const json = (v: unknown) => () => ({ body: JSON.stringify(v), type: 'application/json' });
const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/v2/health/live', need: 'public' },
  { method: 'GET', path: '/v2/health/ready', need: 'public' },
  { method: 'GET', path: '/v2', need: 'public' },
  { method: 'GET', path: '/v2/', need: 'public' },
  { method: 'GET', path: '/docs/json', need: 'public' },
  { method: 'GET', path: '/api/v1/audit/vkey', need: 'public' },
  { method: 'GET', path: '/v2/models/iris', need: 'reader' },
  { method: 'GET', path: '/v2/models/iris/versions/1', need: 'reader' },
  { method: 'GET', path: '/v2/models/iris/ready', need: 'reader' },
  { method: 'GET', path: '/v2/models/iris/versions/2/ready', need: 'reader' },
  { method: 'POST', path: '/v2/models/iris/infer', need: 'reader', body: json(inferBody()) },
  { method: 'POST', path: '/v2/models/iris/versions/production/infer', need: 'reader', body: json(inferBody()) },
  { method: 'POST', path: '/v1/models/iris:predict', need: 'reader', body: json({ instances: [[5.1, 3.5, 1.4, 0.2]] }) },
  { method: 'GET', path: '/metrics', need: 'reader' },
  { method: 'GET', path: '/api/v1/models', need: 'reader' },
  { method: 'GET', path: '/api/v1/models/iris', need: 'reader' },
  { method: 'GET', path: '/api/v1/models/iris/versions/1', need: 'reader' },
  { method: 'GET', path: '/api/v1/models/iris/aliases/production/history', need: 'reader' },
  { method: 'GET', path: '/api/v1/audit/log?limit=5', need: 'reader' },
  { method: 'GET', path: '/api/v1/audit/checkpoint', need: 'reader' },
  { method: 'GET', path: '/api/v1/audit/proof/inclusion?index=0', need: 'reader' },
  { method: 'GET', path: '/api/v1/audit/proof/consistency?from=1', need: 'reader' },
  // Same bytes as v1: accepted as a duplicate (200) without creating a version, so the matrix is repeatable.
  { method: 'POST', path: '/api/v1/models/iris/versions', need: 'publisher', body: () => ({ body: readFileSync(EXAMPLE), type: 'application/octet-stream' }) },
  { method: 'PUT', path: '/api/v1/models/iris/aliases/staging', need: 'publisher', body: json({ version: 1 }) },
  // Protected alias: approver; pub uploaded both versions, appr and admin did not (separation of duties).
  { method: 'PUT', path: '/api/v1/models/iris/aliases/production', need: 'approver', body: json({ version: 1 }) },
];

const RANK: Record<Need, number> = { public: -1, reader: 0, publisher: 1, approver: 2, admin: 3 };
const ROLE_OF: Partial<Record<Who, Need>> = { reader: 'reader', publisher: 'publisher', approver: 'approver', admin: 'admin' };
const CALLERS: readonly (Who | 'none' | 'malformed')[] = ['none', 'malformed', 'wrong', 'expired', 'revoked', 'reader', 'publisher', 'approver', 'admin'];

function expected(route: Route, who: Who | 'none' | 'malformed'): { status: number; code?: string } {
  if (route.need === 'public') return { status: 200 };
  const role = ROLE_OF[who as Who];
  if (!role) {
    const code = who === 'expired' ? 'AUTH_TOKEN_EXPIRED' : who === 'revoked' ? 'AUTH_TOKEN_REVOKED' : 'AUTH_REQUIRED';
    return { status: 401, code };
  }
  return RANK[role] >= RANK[route.need] ? { status: 200 } : { status: 403, code: 'AUTH_FORBIDDEN' };
}

describe('auth matrix', () => {
  for (const route of ROUTES) {
    it(`${route.method} ${route.path} needs ${route.need}`, async () => {
      for (const who of CALLERS) {
        const headers: Record<string, string> = who === 'none' ? {} : who === 'malformed' ? { authorization: 'Basic cm9vdDpyb290' } : auth(fx.tokens[who]);
        const b = route.body?.();
        if (b) headers['content-type'] = b.type;
        const res = await fetch(`${fx.base}${route.path}`, { method: route.method, headers, ...(b ? { body: b.body } : {}) });
        const want = expected(route, who);
        if (res.status >= 400) {
          const e = await errorOf(res);
          expect({ who, status: e.status, code: e.code }).toEqual({ who, status: want.status, code: want.code });
        } else {
          await res.arrayBuffer();
          expect({ who, status: res.status }).toEqual({ who, status: want.status });
        }
      }
    });
  }

  it('separation of duties holds over HTTP: the uploader cannot move production even as approver', async () => {
    await fx.reg.grant('admin', 'pub', 'approver');
    // a fresh token: the server caches a token's role for a few seconds
    const t = (await fx.reg.createToken('pub')).token;
    const res = await fetch(`${fx.base}/api/v1/models/iris/aliases/production`, { method: 'PUT', headers: { ...auth(t), 'content-type': 'application/json' }, body: JSON.stringify({ version: 2 }) });
    expect(await errorOf(res)).toMatchObject({ status: 403, code: 'AUTH_FORBIDDEN' });
    await fx.reg.grant('admin', 'pub', 'publisher');
  });

  it('public models need no token for inference; metadata stays public too; other models do not become public', async () => {
    await fx.reg.push('pub', { file: EXAMPLE, name: 'open' });
    await fx.reg.setAlias('appr', 'open', 'production', 1);
    const res = await fetch(`${fx.base}/v2/models/open/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inferBody()) });
    expect(res.status).toBe(200);
    expect((await fetch(`${fx.base}/v2/models/open`)).status).toBe(200);
    expect((await fetch(`${fx.base}/v2/models/iris`)).status).toBe(401);
    // public models do not look at the Authorization header at all (documented in docs/serving.md)
    const bad = await fetch(`${fx.base}/v2/models/open/infer`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth(fx.tokens.wrong) }, body: JSON.stringify(inferBody()) });
    expect(bad.status).toBe(200);
  });

  it('every admin action through the API is audited', async () => {
    const before = (await fx.reg.auditEntries('admin', { limit: 1000 })).length;
    const res = await fetch(`${fx.base}/api/v1/models/iris/aliases/canary`, { method: 'PUT', headers: { ...auth(fx.tokens.publisher), 'content-type': 'application/json' }, body: JSON.stringify({ version: 2 }) });
    expect(res.status).toBe(200);
    const entries = await fx.reg.auditEntries('admin', { limit: 1000 });
    expect(entries.length).toBe(before + 1);
    expect(JSON.stringify(entries.at(-1))).toContain('alias.set');
  });
});
