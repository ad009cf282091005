import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MvError } from '../../src/core/index.js';
import {
  NAME_LIMITS, Registry, assertAliasName, assertMetadata, assertModelName, parseMetaPairs, parseRef,
} from '../../src/registry/index.js';
import { codeOf, tempDir, writeSafetensorsFile } from './helpers.js';

const T = tempDir();
let reg: Registry;
let now = Date.UTC(2026, 11, 1, 12, 0, 0);
const clock = () => now;

beforeAll(async () => {
  reg = await Registry.init(join(T.dir, 'reg'), { admin: 'admin', clock });
  await reg.grant('admin', 'pub', 'publisher');
  await reg.grant('admin', 'rdr', 'reader');
  await reg.grant('admin', 'appr', 'approver');
  await reg.push('pub', { file: writeSafetensorsFile(T.dir, 'a.safetensors', 1), name: 'm' });
});
afterAll(() => {
  reg?.close();
  T.cleanup();
});

describe('names', () => {
  const bad = ['a/b', 'a\\b', '../x', 'a..b', '.hidden', '-x', 'a b', 'a\nb', 'a\u0000b', 'a\u007fb', 'é', '', 'x'.repeat(129), 'a\u202eb'];
  it.each(bad)('refuses model name %j', (n) => {
    expect(() => assertModelName(n)).toThrowError(MvError);
  });
  it('refuses bad names on every entry point before touching anything', async () => {
    const f = writeSafetensorsFile(T.dir, 'n.safetensors', 2);
    const size = reg.store.audit.size();
    for (const n of ['a/b', '..', 'a\u0007']) {
      expect(await codeOf(reg.push('pub', { file: f, name: n }))).toBe('REG_INVALID_NAME');
      expect(await codeOf(reg.setAlias('pub', 'm', n, 1))).toBe('REG_INVALID_NAME');
      expect(await codeOf(reg.setTag('pub', 'm', 1, n, 'v'))).toBe('REG_INVALID_NAME');
      expect(await codeOf(reg.grant('admin', n, 'reader'))).toBe('REG_INVALID_NAME');
    }
    expect(reg.store.audit.size()).toBe(size); // nothing stored, nothing logged
  });
  it('aliases cannot be numbers; refs parse strictly', () => {
    expect(() => assertAliasName('42')).toThrowError(MvError);
    expect(parseRef('m:3')).toEqual({ kind: 'version', model: 'm', version: 3 });
    expect(parseRef('m@prod')).toEqual({ kind: 'alias', model: 'm', alias: 'prod' });
    for (const r of ['m:0', 'm:01', 'm:-1', 'm:1.5', 'm:x', 'm@', '@a', 'a/b:1']) expect(() => parseRef(r)).toThrowError(MvError);
  });
  it('name validation only ever throws MvError (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (s) => {
      for (const f of [assertModelName, assertAliasName, parseRef]) {
        try {
          f(s);
        } catch (e) {
          expect(e).toBeInstanceOf(MvError);
        }
      }
    }));
  });
});

describe('metadata', () => {
  it('refuses oversized or malformed metadata', async () => {
    const f = writeSafetensorsFile(T.dir, 'meta.safetensors', 3);
    const cases: Record<string, string>[] = [
      { k: 'x'.repeat(NAME_LIMITS.maxValueChars + 1) },
      Object.fromEntries(Array.from({ length: NAME_LIMITS.maxEntries + 1 }, (_, i) => [`k${i}`, 'v'])),
      Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, 'v'.repeat(4000)])), // > 16 KiB in total
      { 'bad/key': 'v' },
      { k: 'line\u0000' },
      { k: '\ud800' },
    ];
    for (const meta of cases) expect(await codeOf(reg.push('pub', { file: f, name: 'm', meta }))).toBe('REG_METADATA_INVALID');
    expect(() => parseMetaPairs(['a=1', 'a=2'])).toThrowError(MvError);
    expect(() => parseMetaPairs(['novalue'])).toThrowError(MvError);
    expect(parseMetaPairs(['a=b=c', 'empty='])).toEqual({ a: 'b=c', empty: '' });
    expect(assertMetadata({ __proto__: 'x' } as unknown as Record<string, string>)).toEqual({});
  });
});

describe('tokens', () => {
  it('authenticates a fresh token and refuses wrong, expired and revoked ones', async () => {
    const t = await reg.createToken('rdr', { expiresInSeconds: 60 });
    expect(t.token).toMatch(/^mvt_[A-Za-z0-9_-]{43}$/);
    expect(await reg.authenticate(t.token)).toBe('rdr');
    // only the hash is stored
    const row = (await reg.store.listTokens('rdr')).find((r) => r.id === t.id)!;
    expect(row.hash).not.toContain(t.token.slice(4));
    expect(JSON.stringify(await reg.listTokens('rdr'))).not.toContain(t.token.slice(4));
    // wrong token: one character changed, or malformed
    const wrong = t.token.slice(0, -1) + (t.token.endsWith('A') ? 'B' : 'A');
    expect(await codeOf(reg.authenticate(wrong))).toBe('AUTH_REQUIRED');
    expect(await codeOf(reg.authenticate('Bearer nonsense'))).toBe('AUTH_REQUIRED');
    expect(await codeOf(reg.authenticate(''))).toBe('AUTH_REQUIRED');
    // expired
    now += 61_000;
    expect(await codeOf(reg.authenticate(t.token))).toBe('AUTH_TOKEN_EXPIRED');
    // revoked
    const t2 = await reg.createToken('rdr');
    expect(await codeOf(reg.revokeToken('pub', t2.id))).toBe('AUTH_FORBIDDEN'); // not theirs
    await reg.revokeToken('rdr', t2.id);
    expect(await codeOf(reg.authenticate(t2.token))).toBe('AUTH_TOKEN_REVOKED');
    // disabled identity
    await reg.grant('admin', 'tmp', 'reader');
    const t3 = await reg.createToken('admin', { identity: 'tmp' });
    await reg.disableIdentity('admin', 'tmp');
    expect(await codeOf(reg.authenticate(t3.token))).toBe('AUTH_TOKEN_REVOKED');
    expect(await codeOf(reg.createToken('rdr', { identity: 'pub' }))).toBe('AUTH_FORBIDDEN');
    expect(await codeOf(reg.createToken('rdr', { expiresInSeconds: 10 ** 9 }))).toBe('USAGE_INVALID');
    const actions = (await reg.auditEntries('rdr')).map((e) => e.event.action);
    expect(actions.filter((a) => a === 'token.create').length).toBe(3);
    expect(actions).toContain('token.revoke');
  });
});

describe('roles', () => {
  it('refuses every action beyond the actor\'s role, and unknown identities entirely', async () => {
    const f = writeSafetensorsFile(T.dir, 'r.safetensors', 9);
    expect(await codeOf(reg.push('rdr', { file: f, name: 'm' }))).toBe('AUTH_FORBIDDEN');
    expect(await codeOf(reg.push('mallory', { file: f, name: 'm' }))).toBe('AUTH_FORBIDDEN');
    expect(await codeOf(reg.listModels('mallory'))).toBe('AUTH_FORBIDDEN');
    expect(await codeOf(reg.setTag('rdr', 'm', 1, 'k', 'v'))).toBe('AUTH_FORBIDDEN');
    expect(await codeOf(reg.setAlias('rdr', 'm', 'staging', 1))).toBe('AUTH_FORBIDDEN');
    expect(await codeOf(reg.setAlias('pub', 'm', 'production', 1))).toBe('AUTH_FORBIDDEN');
    expect(await codeOf(reg.deprecate('pub', 'm', 1, 'x'))).toBe('AUTH_FORBIDDEN');
    expect(await codeOf(reg.deleteVersion('appr', 'm', 1, 'x'))).toBe('AUTH_FORBIDDEN');
    expect(await codeOf(reg.deleteModel('pub', 'm', 'x'))).toBe('AUTH_FORBIDDEN');
    expect(await codeOf(reg.grant('appr', 'pub', 'admin'))).toBe('AUTH_FORBIDDEN');
    expect(await codeOf(reg.grant('pub', 'pub', 'approver'))).toBe('AUTH_FORBIDDEN');
    expect(await codeOf(reg.disableIdentity('pub', 'rdr'))).toBe('AUTH_FORBIDDEN');
    expect(await codeOf(reg.grant('admin', 'admin', 'reader'))).toBe('REG_CONFLICT'); // last admin
    // a rejected push by an identity is audited
    const last = (await reg.auditEntries('rdr')).filter((e) => e.event.action === 'version.reject').at(-1)!;
    expect(last.event.reason).toMatch(/^AUTH_FORBIDDEN/);
    // approver (ranked above publisher) may push, but not promote its own upload to production
    const own = await reg.push('appr', { file: f, name: 'm' });
    expect(await codeOf(reg.setAlias('appr', 'm', 'production', own.version))).toBe('AUTH_FORBIDDEN');
    await reg.setAlias('appr', 'm', 'production', 1);
    expect((await reg.auditVerify('rdr')).ok).toBe(true);
  });
});

describe('argument parsers (property)', () => {
  it('parseMetaPairs and assertMetadata only ever throw MvError', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 60, unit: 'binary' }), { maxLength: 8 }), (pairs) => {
      try {
        const m = parseMetaPairs(pairs);
        for (const [k, v] of Object.entries(m)) expect(pairs).toContain(`${k}=${v}`);
      } catch (e) {
        expect(e).toBeInstanceOf(MvError);
      }
    }));
    fc.assert(fc.property(fc.dictionary(fc.string({ maxLength: 20 }), fc.oneof(fc.string(), fc.integer(), fc.constant(null))), (d) => {
      try {
        assertMetadata(d);
      } catch (e) {
        expect(e).toBeInstanceOf(MvError);
      }
    }));
  });
});
