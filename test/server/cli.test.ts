import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isLoopback } from '../../src/cli/commands/serve-run.js';
import { runCli } from '../support/cli.js';

// `modelvault quickstart` and `modelvault serve` as real processes (bin/modelvault.js → dist/), on
// 127.0.0.1 with --port 0; the printed curl command is run as printed.
const BIN = new URL('../../bin/modelvault.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mv-quickstart-'));
const home = join(dir, '.modelvault');
// A failed assertion must not leave a server (and its workers) running after the suite.
const started = new Set<ChildProcess>();
afterEach(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  started.clear();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the CLI and resolves once `until` matches its stdout. */
function start(args: string[], until: RegExp): Promise<{ proc: ChildProcess; out: () => string; err: () => string }> {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', MODELVAULT_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(proc);
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout; stdout: ${out}\nstderr: ${err}`)), 60_000);
    proc.stderr!.on('data', (d) => (err += d));
    proc.stdout!.on('data', (d) => {
      out += d;
      if (until.test(out)) {
        clearTimeout(t);
        resolve({ proc, out: () => out, err: () => err });
      }
    });
    proc.on('exit', (code) => reject(new Error(`exited ${code}; stdout: ${out}\nstderr: ${err}`)));
  });
}

const stop = (proc: ChildProcess, sig: NodeJS.Signals = 'SIGINT') => new Promise<number | null>((resolve) => {
  proc.removeAllListeners('exit');
  proc.on('exit', (code) => resolve(code));
  proc.kill(sig);
});

const curlOf = (out: string) => /^ {2}(curl .*)$/m.exec(out)![1]!;
const urlOf = (out: string) => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;

describe('quickstart', () => {
  it('first run: registry, dev key + policy, admin token printed once (0600), signed push, production alias, serving; the printed curl works', async () => {
    const q = await start(['quickstart', '--port', '0'], /Stop: Ctrl-C/);
    const out = q.out();
    expect(out).toMatch(/created registry .*\.modelvault \(admin \S+, separation of duties on\)/);
    expect(out).toMatch(/imported examples\/predictor\.joblib as iris:1 — scan clean, signed by key [0-9a-f]{12}…, converted to modelvault\/1/);
    expect(out).toMatch(/pushed by quickstart-publisher/);
    expect(out).toMatch(/alias iris@production set → 1/);
    expect(out).toMatch(/sandbox: node --(experimental-)?permission/);
    const token = /^ {4}(mvt_\S+)$/m.exec(out)![1]!;
    expect(out.split(token).length - 1).toBe(1); // printed once
    for (const f of ['admin-token', 'dev-signing-key.pem']) expect(statSync(join(home, f)).mode & 0o777).toBe(0o600);
    const curl = spawnSync('sh', ['-c', curlOf(out)], { encoding: 'utf8', timeout: 20_000 });
    expect(curl.status).toBe(0);
    const r = JSON.parse(curl.stdout);
    expect(r).toMatchObject({ model_name: 'iris', model_version: '1', id: 'quickstart-1' });
    expect(r.outputs[0]).toMatchObject({ name: 'label', datatype: 'INT64', shape: [2], data: [0, 2] });
    expect(await stop(q.proc)).toBe(0);
  });

  it('second run reuses everything: no new token, version, key or alias move', async () => {
    const q = await start(['quickstart', '--port', '0'], /Stop: Ctrl-C/);
    const out = q.out();
    expect(out).toMatch(/reusing registry/);
    expect(out).toMatch(/reusing development signing key/);
    expect(out).toMatch(/kept trust policy/);
    expect(out).toMatch(/reusing the admin token/);
    expect(out).not.toMatch(/mvt_/);
    expect(out).toMatch(/reusing examples\/predictor\.joblib as iris:1/);
    expect(out).toMatch(/alias iris@production already → 1/);
    const curl = spawnSync('sh', ['-c', curlOf(out)], { encoding: 'utf8', timeout: 20_000 });
    expect(JSON.parse(curl.stdout).model_version).toBe('1');
    expect(await stop(q.proc, 'SIGTERM')).toBe(0);
    const log = runCli(['audit', 'log', '--registry', home, '--json'], { cwd: dir });
    expect(log.status).toBe(0);
    expect((log.stdout.match(/"version\.create"/g) ?? []).length).toBe(1);
  });
});

describe('serve', () => {
  it('listens on loopback, prints the address and the isolation, answers, stops on SIGTERM', async () => {
    const s = await start(['serve', '--port', '0', '--log-level', 'silent', '--workers', '2'], /sandbox: .*\n/);
    expect(s.out()).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/m);
    const base = urlOf(s.out());
    expect(await (await fetch(`${base}/v2/health/ready`)).json()).toEqual({ ready: true });
    expect(s.err()).not.toMatch(/warning/);
    expect(await stop(s.proc, 'SIGTERM')).toBe(0);
  });

  it('usage errors: bad port, workers, log level; a port in use', async () => {
    for (const args of [['--port', '70000'], ['--port', 'x'], ['--workers', '0'], ['--log-level', 'loud']]) {
      const r = runCli(["serve", ...args], { cwd: dir, env: { MODELVAULT_HOME: home } });
      expect({ args, status: r.status, err: r.stderr }).toMatchObject({ status: 4 });
    }
    const s = await start(['serve', '--port', '0', '--log-level', 'silent'], /sandbox: .*\n/);
    const port = urlOf(s.out()).split(':').at(-1)!;
    const again = runCli(['serve', '--port', port], { cwd: dir, env: { MODELVAULT_HOME: home } });
    expect(again.status).toBe(4);
    expect(again.stderr).toMatch(/USAGE_INVALID.*already in use/);
    await stop(s.proc);
  });

  it('--help for both commands', () => {
    for (const c of ['serve', 'quickstart']) {
      const r = runCli([c, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/docs\/serving\.md/);
    }
  });

  it('isLoopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) expect(isLoopback(h)).toBe(false);
  });
});
