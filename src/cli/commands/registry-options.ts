/**
 * Options shared by the registry commands. Light on purpose: command registration must not load
 * better-sqlite3 or the registry (see registry-run.ts, imported lazily inside each action).
 */
import type { Command } from 'commander';

export interface RegistryCliOptions {
  registry?: string;
  json?: boolean;
}

/** `--registry DIR` (else $MODELVAULT_HOME, else ./.modelvault) and `--json`. */
export function withRegistry(cmd: Command, json = true): Command {
  // sub-commands (alias set, audit verify, …) are created before main.ts sets exitOverride on their
  // parent, so set it here: usage errors then end with exit 4 like every other command
  cmd.exitOverride();
  cmd.option('--registry <DIR>', 'registry folder (default: $MODELVAULT_HOME, else ./.modelvault)');
  if (json) cmd.option('--json', 'print JSON instead of text');
  return cmd;
}

/** Commander collector for repeatable options (`--meta a --meta b` → ['a', 'b']). */
export const repeatable = (v: string, prev: string[] = []): string[] => [...prev, v];

export const IDENTITY_HELP = `
The command acts as the OS user (admin of a registry they initialised), or as the identity of the API
token in $MODELVAULT_TOKEN when that is set.`;
