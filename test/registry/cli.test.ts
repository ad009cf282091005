/** The registry commands as real processes (bin/modelvault.js runs dist/), plus tamper detection. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { snapshotDist } from './dist-snapshot.js';
import { tempDir, writeSafetensorsFile, maliciousPickleFile } from './helpers.js';

const T = tempDir('mv-reg-cli-');
const DIST = snapshotDist();
const ROOT = DIST.root;
const BIN = DIST.bin;
const VERIFY = DIST.verifier;
afterAll(() => {
  DIST.cleanup();
  T.cleanup();
});
const REG = join(T.dir, 'reg');

function mv(args: string[], env: Record<string, string> = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, MODELVAULT_HOME: REG, NO_COLOR: '1', MODELVAULT_TOKEN: '', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('modelvault registry CLI', () => {
  it('init, push, list, show, alias, tag, pull, audit — end to end', () => {
    expect(mv(['init', '--no-separation-of-duties']).code).toBe(0);
    const f = writeSafetensorsFile(T.dir, 'm.safetensors', 1);
    const receipt = join(T.dir, 'receipt.txt');
    const push = mv(['push', f, '--name', 'iris', '--meta', 'data=sha256:abc', '--receipt', receipt, '--json']);
    expect(push.code, push.err).toBe(0);
    const pushed = JSON.parse(push.out) as { version: number; digest: string; auditIndex: number };
    expect(pushed.version).toBe(1);
    expect(mv(['push', maliciousPickleFile(T.dir), '--name', 'iris']).code).toBe(1); // SCAN_BLOCKED exit 1
    expect(mv(['push', f, '--name', 'bad/name']).code).toBe(4); // REG_INVALID_NAME is a usage error
    expect(mv(['list']).out).toMatch(/^iris {2}versions: 1/m);
    expect(mv(['alias', 'set', 'iris', 'production', '1']).code).toBe(0);
    expect(mv(['tag', 'set', 'iris:1', 'validation', 'passed']).code).toBe(0);
    const show = JSON.parse(mv(['show', 'iris@production', '--json']).out) as { aliases: string[]; tags: { key: string }[]; version: { provenance: { metadata: Record<string, string> } } };
    expect(show.aliases).toEqual(['production']);
    expect(show.version.provenance.metadata).toEqual({ data: 'sha256:abc' });
    expect(mv(['alias', 'history', 'iris']).out).toMatch(/@production {2}- → 1/);
    const out = join(T.dir, 'pulled');
    expect(mv(['pull', 'iris@production', '-o', out]).code).toBe(0);
    expect(readFileSync(out)).toEqual(readFileSync(f));
    // audit: verify, log, offline proof with the standalone verifier
    expect(mv(['audit', 'verify']).code).toBe(0);
    const log = mv(['audit', 'log', '--model', 'iris']).out;
    expect(log).toMatch(/version\.create iris:1/);
    expect(log).toMatch(/version\.reject iris/);
    const vkey = join(REG, 'log.vkey');
    const v1 = spawnSync(process.execPath, [VERIFY, '--vkey', `@${vkey}`, '--receipt', receipt], { encoding: 'utf8' });
    expect(v1.status, v1.stderr + v1.stdout).toBe(0);
    const proofFile = join(T.dir, 'proof.txt');
    writeFileSync(proofFile, mv(['audit', 'proof', String(pushed.auditIndex)]).out);
    expect(spawnSync(process.execPath, [VERIFY, '--vkey', `@${vkey}`, '--receipt', proofFile]).status).toBe(0);
    // a client that kept the first receipt checks that today's log extends it (consistency proof)
    const size0 = Number(readFileSync(receipt, 'utf8').split('\n').find((l, i, a) => i > 0 && /^\d+$/.test(l) && a[i - 1]!.includes('/'))!);
    const cpFile = join(T.dir, 'cp.txt');
    writeFileSync(cpFile, mv(['audit', 'checkpoint']).out);
    const consFile = join(T.dir, 'cons.txt');
    writeFileSync(consFile, mv(['audit', 'proof', '--from', String(size0)]).out);
    const v2 = spawnSync(process.execPath, [VERIFY, '--vkey', `@${vkey}`, '--receipt', receipt, '--checkpoint', cpFile, '--consistency', consFile], { encoding: 'utf8' });
    expect(v2.status, v2.stderr + v2.stdout).toBe(0);
    const exported = mv(['audit', 'export']).out.trim().split('\n').map((l) => JSON.parse(l) as { kind: string });
    expect(exported.filter((e) => e.kind === 'entry').length).toBeGreaterThan(4);
    expect(mv(['audit', 'checkpoint']).out).toMatch(/^modelvault\.local\/[0-9a-f]{16}\n\d+\n/);
  });

  it('acts as the identity of $MODELVAULT_TOKEN, and refuses a wrong one', () => {
    expect(mv(['identity', 'grant', 'ci-bot', 'reader']).code).toBe(0);
    const tok = mv(['token', 'create', '--identity', 'ci-bot', '--expires-in', '1h']);
    expect(tok.code, tok.err).toBe(0);
    const token = tok.out.trim();
    expect(token).toMatch(/^mvt_/);
    expect(mv(['identity', 'whoami'], { MODELVAULT_TOKEN: token }).out).toMatch(/^ci-bot \(reader\)/);
    const f = writeSafetensorsFile(T.dir, 'bot.safetensors', 2);
    expect(mv(['push', f, '--name', 'iris'], { MODELVAULT_TOKEN: token }).err).toMatch(/AUTH_FORBIDDEN/);
    expect(mv(['list'], { MODELVAULT_TOKEN: `${token.slice(0, -2)}xx` }).err).toMatch(/AUTH_REQUIRED/);
    const id = (JSON.parse(mv(['token', 'list', '--json']).out) as { id: string }[])[0]!.id;
    expect(mv(['token', 'revoke', id]).code).toBe(0);
    expect(mv(['list'], { MODELVAULT_TOKEN: token }).err).toMatch(/AUTH_TOKEN_REVOKED/);
    expect(mv(['token', 'list']).out).not.toContain(token.slice(4));
  });

  it('audit verify exits 1 when a row was edited behind the registry\'s back', async () => {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(REG, 'registry.db'));
    db.prepare("UPDATE versions SET digest = 'sha256:' || substr('0000000000000000000000000000000000000000000000000000000000000000', 1, 64)").run();
    db.close();
    const r = mv(['audit', 'verify']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/version-mismatch/);
    const db2 = new Database(join(REG, 'registry.db'));
    db2.prepare("UPDATE audit_leaves SET data = replace(data, 'ci-bot', 'ci-bob') WHERE idx = (SELECT max(idx) FROM audit_leaves)").run();
    db2.close();
    const r2 = mv(['audit', 'verify', '--json']);
    expect(r2.code).toBe(1);
    expect((JSON.parse(r2.out) as { log: { problems: { kind: string }[] } }).log.problems.map((p) => p.kind)).toContain('leaf-hash');
  });

  it('usage errors of sub-commands end with exit 4', () => {
    expect(mv(['alias', 'set', 'iris']).code).toBe(4); // missing arguments
    expect(mv(['delete', 'iris:1', '--reason', 'x']).code).toBe(4); // needs --yes
    expect(mv(['token', 'create', '--expires-in', 'forever']).code).toBe(4);
  });

  it('registering the commands does not load better-sqlite3 (scan start-up stays light)', () => {
    const probe = `const m = await import(${JSON.stringify(join(ROOT, 'dist/cli/main.js'))});
      const c = await import(${JSON.stringify(join(ROOT, 'dist/cli/commands/index.js'))});
      m.buildProgram({ output: { out() {}, err() {}, color: false, isTTY: false }, version: 'x' }, c.COMMANDS);
      const { createRequire } = await import('node:module');
      const cache = createRequire(import.meta.url).cache;
      console.log(Object.keys(cache).filter((k) => k.includes('better-sqlite3') || k.includes('better_sqlite3')).length);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
    expect(r.stdout.trim(), r.stderr).toBe('0');
  });

  it('has --help on commands and sub-commands', () => {
    for (const c of [['push'], ['alias', 'set'], ['audit', 'proof'], ['token', 'create']]) {
      const r = mv([...c, '--help']);
      expect(r.code, c.join(' ')).toBe(0);
      expect(r.out).toMatch(/Usage: modelvault/);
    }
  });
});
