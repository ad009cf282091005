import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isMvError, MvError } from '../core/index.js';
import { makeOutput, type Output } from './output.js';
import type { RegisterCommand } from './commands/index.js';
import { COMMAND_LOADERS } from './commands/table.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
export const VERSION = pkg.version;

/** Thrown by a command to end with a given exit code after it has printed its own output. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export interface CliContext {
  readonly output: Output;
  readonly version: string;
}

export function buildProgram(ctx: CliContext, commands: readonly RegisterCommand[]): Command {
  const program = new Command('modelvault')
    .description('Load, check, version and serve model files safely — without ever executing them.')
    .version(ctx.version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.output.out(s.trimEnd()), writeErr: (s) => ctx.output.err(s.trimEnd()) });
  for (const register of commands) register(program, ctx);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI and resolves to the process exit code. User errors print one line, never a stack. */
export async function main(argv: readonly string[], output: Output = makeOutput()): Promise<number> {
  try {
    const one = Object.hasOwn(COMMAND_LOADERS, argv[2] ?? '') ? COMMAND_LOADERS[argv[2]!] : undefined;
    const commands = one ? [await one()] : (await import('./commands/index.js')).COMMANDS;
    const program = buildProgram({ output, version: VERSION }, commands);
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    if (e instanceof ExitCode) return e.code;
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 4;
    }
    if (isMvError(e)) {
      output.err(`modelvault: ${e.describe()}`);
      return e.exit;
    }
    const err = new MvError('INTERNAL', e instanceof Error ? e.message : String(e));
    output.err(`modelvault: ${err.describe()}`);
    if (process.env.MODELVAULT_DEBUG) output.err(String((e as Error)?.stack));
    else output.err('(set MODELVAULT_DEBUG=1 for a stack trace and report it as a bug)');
    return err.exit;
  }
}
