import type { Command } from 'commander';
import { MvError } from '../../core/index.js';
import type { CliContext } from '../main.js';
import { repeatable, withRegistry, type RegistryCliOptions } from './registry-options.js';

export interface ServeCliOptions extends RegistryCliOptions {
  host: string;
  port: number;
  workers?: number;
  publicModel?: string[];
  logLevel: string;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `--port`: 0..65535 (0 = any free port). */
export function portOption(v: string): number {
  const n = Number(v);
  if (!/^[0-9]{1,5}$/.test(v) || n > 65535) throw new MvError('USAGE_INVALID', `--port must be 0..65535, got ${JSON.stringify(v)}`);
  return n;
}

export function workersOption(v: string): number {
  const n = Number(v);
  if (!/^[0-9]{1,3}$/.test(v) || n < 1 || n > 64) throw new MvError('USAGE_INVALID', `--workers must be 1..64, got ${JSON.stringify(v)}`);
  return n;
}

export function logLevelOption(v: string): string {
  if (!(LOG_LEVELS as readonly string[]).includes(v)) throw new MvError('USAGE_INVALID', `--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  return v;
}

export function registerServe(program: Command, ctx: CliContext): void {
  withRegistry(
    program
      .command('serve')
      .description('Serve the registry over HTTP: Open Inference Protocol (KServe V2 / Triton), registry API, /metrics, /docs; models run in sandboxed workers.')
      .option('--host <HOST>', 'address to listen on (anything but loopback exposes the server to the network)', '127.0.0.1')
      .option('--port <PORT>', 'TCP port (0 = any free port)', portOption, 8080)
      .option('--workers <N>', 'sandboxed model worker processes', workersOption)
      .option('--public-model <NAME>', 'model whose inference needs no token (repeatable; a serve.public=true tag does the same)', repeatable)
      .option('--log-level <LEVEL>', `JSON log level (${LOG_LEVELS.join(', ')})`, logLevelOption, 'info'),
    false,
  )
    .addHelpText('after', `
The server acts as the OS user, who must be an identity of the registry (its admin if they ran init).
Clients authenticate with bearer tokens (modelvault token create). Logs are JSON lines on stdout.
SIGINT/SIGTERM stop it gracefully (in-flight requests finish). See docs/serving.md.`)
    .action(async (o: ServeCliOptions) => {
      const { runServe } = await import('./serve-run.js');
      await runServe(o, ctx);
    });
}
