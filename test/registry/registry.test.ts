import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTlogProof } from '../../src/audit/index.js';
import { Registry, parseRef } from '../../src/registry/index.js';
import { codeOf, maliciousPickleFile, tempDir, writeSafetensorsFile } from './helpers.js';

const T = tempDir();
afterAll(T.cleanup);
let reg: Registry;
let t = Date.UTC(2026, 11, 1, 12, 0, 0);
const clock = () => (t += 1000);

beforeAll(async () => {
  reg = await Registry.init(join(T.dir, 'reg'), { admin: 'alice', clock });
  await reg.grant('alice', 'bob', 'publisher');
  await reg.grant('alice', 'carol', 'approver');
  await reg.grant('alice', 'rita', 'reader');
});
afterAll(() => reg?.close());

describe('layout', () => {
  it('creates 0700 folders, a 0600 database and a 0600 log key', () => {
    const L = reg.layout;
    for (const d of [L.dir, L.blobs, L.quarantine, L.tmp]) expect(statSync(d).mode & 0o777).toBe(0o700);
    expect(statSync(L.key).mode & 0o777).toBe(0o600);
    expect(statSync(L.db).mode & 0o777).toBe(0o600);
    expect(readFileSync(L.vkey, 'utf8').trim()).toBe(reg.vkey());
  });
  it('refuses to init twice and to open a non-registry', async () => {
    expect(await codeOf(Registry.init(reg.layout.dir, { admin: 'alice' }))).toBe('REG_CONFLICT');
    expect(await codeOf(Registry.open(join(T.dir, 'nothing')))).toBe('REG_NOT_INITIALISED');
  });
});

describe('push / pull', () => {
  it('stores a clean artifact content-addressed, read-only, with provenance', async () => {
    const f = writeSafetensorsFile(T.dir, 'w.safetensors', 1);
    const r = await reg.push('bob', { file: f, name: 'iris', meta: { dataset_sha256: 'abc', team: 'ml' } });
    expect(r).toMatchObject({ model: 'iris', version: 1, created: true, converted: false, format: 'safetensors' });
    const hex = r.digest.slice(7);
    const blob = join(reg.layout.blobs, 'sha256', hex.slice(0, 2), hex);
    expect(statSync(blob).mode & 0o777).toBe(0o444);
    expect(parseTlogProof(r.receipt).index).toBe(r.auditIndex);
    const shown = await reg.showVersion('rita', parseRef('iris:1'));
    expect(shown.version.provenance).toMatchObject({ uploader: 'bob', metadata: { dataset_sha256: 'abc', team: 'ml' }, scan: { status: 'clean' }, signature: null });
    expect(shown.version.createdBy).toBe('bob');
  });

  it('numbers versions 1, 2, 3 and reports identical bytes instead of a new version', async () => {
    const r2 = await reg.push('bob', { file: writeSafetensorsFile(T.dir, 'w2.safetensors', 2), name: 'iris' });
    expect(r2.version).toBe(2);
    const again = await reg.push('bob', { file: writeSafetensorsFile(T.dir, 'w1copy.safetensors', 1), name: 'iris' });
    expect(again).toMatchObject({ version: 1, created: false });
    const r3 = await reg.push('bob', { file: writeSafetensorsFile(T.dir, 'w3.safetensors', 3), name: 'iris' });
    expect(r3.version).toBe(3);
    // the same bytes under another model name are a version of that model
    expect((await reg.push('bob', { file: writeSafetensorsFile(T.dir, 'w1b.safetensors', 1), name: 'other' })).version).toBe(1);
  });

  it('refuses a malicious upload, audits the refusal, stores nothing', async () => {
    const before = (await reg.store.listVersions('evil')).length;
    expect(await codeOf(reg.push('bob', { file: maliciousPickleFile(T.dir), name: 'evil' }))).toBe('SCAN_BLOCKED');
    expect((await reg.store.listVersions('evil')).length).toBe(before);
    const last = (await reg.auditEntries('rita')).at(-1)!;
    expect(last.event).toMatchObject({ action: 'version.reject', actor: 'bob', subject: { model: 'evil' } });
    expect(last.event.reason).toMatch(/^SCAN_BLOCKED/);
    expect(readdirSync(reg.layout.tmp)).toEqual([]);
  });

  it('pull re-verifies the digest and refuses a corrupted blob', async () => {
    const out = join(T.dir, 'pulled.safetensors');
    const p = await reg.pull('rita', parseRef('iris:2'), out);
    expect(p.version.version).toBe(2);
    expect(readFileSync(out)).toEqual(readFileSync(join(T.dir, 'w2.safetensors')));
    expect(await codeOf(reg.pull('rita', parseRef('iris'), out))).toBe('USAGE_INVALID');
    expect(await codeOf(reg.pull('rita', parseRef('iris:9'), out))).toBe('REG_NOT_FOUND');
    const { version, chunks } = await reg.openArtifact('rita', parseRef('iris:2'));
    const parts: Uint8Array[] = [];
    for await (const c of chunks) parts.push(c);
    expect(Buffer.concat(parts)).toEqual(readFileSync(join(T.dir, 'w2.safetensors')));
    expect(version.version).toBe(2);
    // flip one byte of the stored blob: pull refuses and writes nothing
    const v = await reg.resolve('rita', parseRef('iris:3'));
    const hex = v.digest.slice(7);
    const blob = join(reg.layout.blobs, 'sha256', hex.slice(0, 2), hex);
    const bytes = readFileSync(blob);
    bytes[bytes.length - 1]! ^= 1;
    chmodSync(blob, 0o644);
    writeFileSync(blob, bytes);
    const bad = join(T.dir, 'corrupt-out');
    expect(await codeOf(reg.pull('rita', parseRef('iris:3'), bad))).toBe('REG_BLOB_CORRUPT');
    const stream = (await reg.openArtifact('rita', parseRef('iris:3'))).chunks;
    expect(await codeOf(async () => {
      for await (const _ of stream) void _;
    })).toBe('REG_BLOB_CORRUPT');
    expect(existsSync(bad)).toBe(false);
    expect(readdirSync(T.dir).some((n) => n.startsWith('.tmp-'))).toBe(false);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(blob, bytes);
    chmodSync(blob, 0o444);
    expect(await reg.blobs.verify(v.digest)).toBe(true);
  });

  it('refuses a database written by a newer schema', async () => {
    const dir = join(T.dir, 'newer');
    (await Registry.init(dir, { admin: 'x' })).close();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(dir, 'registry.db'));
    db.pragma('user_version = 99');
    db.close();
    expect(await codeOf(Registry.open(dir))).toBe('REG_SCHEMA_UNSUPPORTED');
  });
});

describe('aliases, tags, lifecycle', () => {
  it('moves aliases with a full history (who, when, from, to)', async () => {
    await reg.setAlias('bob', 'iris', 'staging', 1);
    const moved = await reg.setAlias('bob', 'iris', 'staging', 2);
    expect(moved).toMatchObject({ from: 1, to: 2, changed: true });
    expect((await reg.setAlias('bob', 'iris', 'staging', 2)).changed).toBe(false);
    const h = await reg.aliasHistory('rita', 'iris', 'staging');
    expect(h.map((m) => [m.from, m.to, m.actor])).toEqual([[null, 1, 'bob'], [1, 2, 'bob']]);
    expect(h.every((m) => m.time > 0 && reg.store.audit.entry(m.auditIndex).event.action === 'alias.set')).toBe(true);
    expect((await reg.resolve('rita', parseRef('iris@staging'))).version).toBe(2);
  });

  it('protected aliases need an approver who did not upload the version', async () => {
    expect(await codeOf(reg.setAlias('bob', 'iris', 'production', 2))).toBe('AUTH_FORBIDDEN'); // publisher
    const own = await reg.push('carol', { file: writeSafetensorsFile(T.dir, 'c.safetensors', 5), name: 'iris' });
    expect(await codeOf(reg.setAlias('carol', 'iris', 'production', own.version))).toBe('AUTH_FORBIDDEN'); // separation of duties
    const ok = await reg.setAlias('carol', 'iris', 'production', 2); // uploaded by bob
    expect(ok.to).toBe(2);
    expect(reg.store.audit.entry(ok.auditIndex).event).toMatchObject({ action: 'alias.set', actor: 'carol', before: null, after: { alias: 'production', version: 2 } });
  });

  it('tags, deprecates and refuses a protected alias on a deprecated version', async () => {
    await reg.setTag('bob', 'iris', 1, 'validation_status', 'passed');
    await reg.setTag('bob', 'iris', null, 'owner', 'team-ml');
    expect((await reg.showVersion('rita', parseRef('iris:1'))).tags).toEqual([{ model: 'iris', version: 1, key: 'validation_status', value: 'passed' }]);
    expect(await codeOf(reg.deprecate('bob', 'iris', 1, 'old'))).toBe('AUTH_FORBIDDEN');
    await reg.deprecate('carol', 'iris', 1, 'superseded by 2');
    expect((await reg.showVersion('rita', parseRef('iris:1'))).version.status).toBe('deprecated');
    expect(await codeOf(reg.setAlias('carol', 'iris', 'production', 1))).toBe('REG_CONFLICT');
  });

  it('delete is admin-only, tombstones the version, drops its aliases and keeps the audit trail', async () => {
    expect(await codeOf(reg.deleteVersion('carol', 'iris', 2, 'x'))).toBe('AUTH_FORBIDDEN');
    const v2 = (await reg.resolve('rita', parseRef('iris:2')));
    const size = reg.store.audit.size();
    await reg.deleteVersion('alice', 'iris', 2, 'legal hold');
    expect(await codeOf(reg.pull('rita', parseRef('iris:2'), join(T.dir, 'x')))).toBe('REG_GONE');
    expect(await codeOf(reg.resolve('rita', parseRef('iris@production')))).toBe('REG_NOT_FOUND');
    const hex = v2.digest.slice(7);
    expect(existsSync(join(reg.layout.blobs, 'sha256', hex.slice(0, 2), hex))).toBe(false);
    const actions = (await reg.auditEntries('rita', { from: size })).map((e) => e.event.action);
    expect(actions).toEqual(['alias.delete', 'alias.delete', 'version.delete']);
    // numbers are never reused
    expect((await reg.push('bob', { file: writeSafetensorsFile(T.dir, 'w6.safetensors', 6), name: 'iris' })).version).toBe(5);
    await reg.deleteModel('alice', 'other', 'cleanup');
    expect(await codeOf(reg.push('bob', { file: writeSafetensorsFile(T.dir, 'w7.safetensors', 7), name: 'other' }))).toBe('REG_GONE');
    const verified = await reg.auditVerify('rita');
    expect(verified.ok, JSON.stringify(verified)).toBe(true);
  });
});
