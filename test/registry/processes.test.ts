/**
 * Real processes against one registry folder: concurrent pushes to one model (versions unique and
 * gap-free), and SIGKILL at random points of a push, then proof that nothing partial is visible, every
 * referenced blob exists with its digest, the audit log verifies and the next open removes leftovers.
 * Children run a private snapshot of the built code (dist/, made by `npm test`'s build step).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../src/registry/index.js';
import { snapshotDist, type DistSnapshot } from './dist-snapshot.js';
import { tempDir, writeSafetensorsFile } from './helpers.js';

const T = tempDir('mv-reg-proc-');
const admin = (await import('node:os')).userInfo().username;
let DIST: DistSnapshot;
beforeAll(() => {
  DIST = snapshotDist();
});
afterAll(() => {
  DIST?.cleanup();
  T.cleanup();
});

function run(args: string[]): { done: Promise<{ code: number | null; signal: string | null; out: string; err: string }>; kill: () => void; ready: Promise<void> } {
  const child = spawn(process.execPath, [DIST.driver, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) onReady();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; out: string; err: string }>((res) => {
    child.on('close', (code, signal) => {
      onReady();
      res({ code, signal, out, err });
    });
  });
  return { done, ready, kill: () => child.kill('SIGKILL') };
}

/** Every invariant the registry promises after any crash. */
async function checkInvariants(dir: string, model: string): Promise<{ versions: number }> {
  const reg = await Registry.open(dir); // runs recovery
  try {
    const versions = await reg.store.listVersions(model);
    expect(versions.map((v) => v.version)).toEqual(versions.map((_, i) => i + 1)); // unique, gap-free
    for (const v of versions) expect(await reg.blobs.verify(v.digest), `blob of ${model}:${v.version}`).toBe(true);
    const refs = await reg.store.referencedDigests();
    expect(await reg.blobs.list()).toEqual([...refs.blobs].sort()); // no orphan blob
    expect(readdirSync(reg.layout.tmp)).toEqual([]); // no staging leftovers
    expect(existsSync(join(reg.layout.blobs, 'sha256', 'incoming')) ? readdirSync(join(reg.layout.blobs, 'sha256', 'incoming')) : []).toEqual([]);
    expect(await reg.store.listPending()).toEqual([]);
    const v = await reg.auditVerify(admin);
    expect(v.ok, JSON.stringify(v.log.problems.concat(v.state as never[]).slice(0, 5))).toBe(true);
    return { versions: versions.length };
  } finally {
    reg.close();
  }
}

describe('concurrent pushes from several processes', () => {
  it('numbers versions uniquely and without gaps', async () => {
    const dir = join(T.dir, 'conc');
    (await Registry.init(dir, { admin })).close();
    const procs = 3;
    const each = 4;
    const runs = Array.from({ length: procs }, (_, p) =>
      run([dir, 'shared', ...Array.from({ length: each }, (_, i) => writeSafetensorsFile(T.dir, `c-${p}-${i}.safetensors`, 1000 + p * 100 + i, 4096))]),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.err).toBe(0);
    const got = results.flatMap((r) => r.out.trim().split('\n').slice(1).map((l) => (JSON.parse(l) as { version: number }).version));
    expect(got.sort((a, b) => a - b)).toEqual(Array.from({ length: procs * each }, (_, i) => i + 1));
    expect((await checkInvariants(dir, 'shared')).versions).toBe(procs * each);
  });

  it('the same bytes pushed by several processes at once become exactly one version', async () => {
    const dir = join(T.dir, 'same');
    (await Registry.init(dir, { admin })).close();
    const f = writeSafetensorsFile(T.dir, 'same.safetensors', 77, 4096);
    const results = await Promise.all([0, 1, 2].map(() => run([dir, 'same', f]).done));
    const lines = results.map((r) => JSON.parse(r.out.trim().split('\n')[1]!) as { version: number; created: boolean });
    expect(lines.filter((l) => l.created).length).toBe(1);
    expect(new Set(lines.map((l) => l.version))).toEqual(new Set([1]));
    expect((await checkInvariants(dir, 'same')).versions).toBe(1);
  });
});

describe('SIGKILL during push', () => {
  it('leaves no partial version, no missing blob, a verifying log, and no leftovers after the next open', async () => {
    const dir = join(T.dir, 'crash');
    (await Registry.init(dir, { admin })).close();
    const work = join(T.dir, 'crash-files');
    mkdirSync(work);
    // three lanes push to their own model (and contend for the database lock); each child is killed
    // after a random delay while it is pushing 4 MB files in a loop: 3 x 10 = 30 kills.
    const lanes = 3;
    const killsPerLane = 10;
    let leftovers = 0;
    let acknowledged = 0;
    const lane = async (n: number): Promise<void> => {
      for (let i = 0; i < killsPerLane; i++) {
        const child = run(['--loop', dir, `crashy-${n}`, work]);
        await child.ready;
        await new Promise((r) => setTimeout(r, Math.random() * 400));
        child.kill();
        const r = await child.done;
        expect(r.signal, r.err).toBe('SIGKILL');
        acknowledged += r.out.split('\n').filter((l) => l.includes('"created":true')).length;
        leftovers += readdirSync(join(dir, 'tmp')).length;
      }
    };
    await Promise.all(Array.from({ length: lanes }, (_, n) => lane(n)));
    let total = 0;
    for (let n = 0; n < lanes; n++) total += (await checkInvariants(dir, `crashy-${n}`)).versions;
    expect(total).toBeGreaterThanOrEqual(acknowledged); // every acknowledged push survived
    expect(leftovers).toBeGreaterThan(0); // kills did interrupt pushes mid-way
    // and the registry still works afterwards
    const reg = await Registry.open(dir);
    try {
      const before = (await reg.store.listVersions('crashy-0')).length;
      const r = await reg.push(admin, { file: writeSafetensorsFile(T.dir, 'after.safetensors', 9999), name: 'crashy-0' });
      expect(r.version).toBe(before + 1);
    } finally {
      reg.close();
    }
  });
});
