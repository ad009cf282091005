/**
 * The registry folder. Every folder is 0700, blobs are 0444, the log key 0600.
 *
 *   <dir>/registry.db (+ -wal, -shm)   SQLite metadata + audit log
 *   <dir>/log.key                      Ed25519 log signing key (PKCS#8 PEM, 0600)
 *   <dir>/log.vkey                     its verifier key (C2SP vkey; name = log origin)
 *   <dir>/policy.json                  optional trust policy (docs/signing.md); can require signatures
 *   <dir>/blobs/sha256/ab/<64 hex>     content-addressed loadable artifacts (0444)
 *   <dir>/quarantine/sha256/ab/<hex>   originals kept with --keep-original: never loadable or pullable
 *   <dir>/tmp/.tmp-<pid>-<rand>/       per-upload staging; removed on success, or by the next open once <pid> is gone
 */
import { join, resolve } from 'node:path';

export interface RegistryLayout {
  readonly dir: string;
  readonly db: string;
  readonly key: string;
  readonly vkey: string;
  readonly policy: string;
  readonly blobs: string;
  readonly quarantine: string;
  readonly tmp: string;
}

export function layoutOf(dir: string): RegistryLayout {
  const d = resolve(dir);
  return {
    dir: d,
    db: join(d, 'registry.db'),
    key: join(d, 'log.key'),
    vkey: join(d, 'log.vkey'),
    policy: join(d, 'policy.json'),
    blobs: join(d, 'blobs'),
    quarantine: join(d, 'quarantine'),
    tmp: join(d, 'tmp'),
  };
}

/** `--registry DIR`, else `$MODELVAULT_HOME`, else `./.modelvault`. */
export function resolveRegistryDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  if (flag !== undefined && flag !== '') return resolve(cwd, flag);
  if (env.MODELVAULT_HOME) return resolve(cwd, env.MODELVAULT_HOME);
  return resolve(cwd, '.modelvault');
}
