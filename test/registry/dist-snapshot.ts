/**
 * A private copy of the built CLI for the process tests. In a shared work tree other people rebuild
 * dist/ while tests run, and a child that imports a half-written file fails for reasons that have
 * nothing to do with the registry. The copy lives in the repository's git-ignored `tmp/` so that
 * node_modules still resolve; it is checked by importing it before use and retaken if torn.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

export interface DistSnapshot {
  readonly root: string;
  readonly bin: string;
  readonly verifier: string;
  readonly driver: string;
  cleanup(): void;
}

const SMOKE = `for (const m of ['registry/index.js', 'scan/index.js', 'host/index.js', 'convert/index.js', 'runtime/index.js', 'cli/main.js']) await import('./dist/' + m);`;

export function snapshotDist(): DistSnapshot {
  const root = join(ROOT, 'tmp', `mv-dist-${process.pid}-${Date.now()}`);
  for (let attempt = 0; ; attempt++) {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(join(root, 'test/registry'), { recursive: true });
    cpSync(join(ROOT, 'dist'), join(root, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'bin'), join(root, 'bin'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
    cpSync(join(import.meta.dirname, 'push-driver.mjs'), join(root, 'test/registry/push-driver.mjs'));
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', SMOKE], { cwd: root, encoding: 'utf8' });
    if (r.status === 0) break;
    if (attempt >= 10) throw new Error(`dist/ does not load (run npm run build): ${r.stderr}`);
    spawnSync('sleep', ['3']);
  }
  return {
    root,
    bin: join(root, 'bin/modelvault.js'),
    verifier: join(root, 'bin/modelvault-audit-verify.js'),
    driver: join(root, 'test/registry/push-driver.mjs'),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
