import { spawnSync } from 'node:child_process';

const BIN = new URL('../../bin/modelvault.js', import.meta.url).pathname;

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI (dist/, built by `npm test`'s pretest) as a real child process. */
export function runCli(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd, encoding: 'utf8', input: opts.input,
    env: { ...process.env, NO_COLOR: '1', ...opts.env }, timeout: 120_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
