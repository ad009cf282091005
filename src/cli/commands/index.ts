import type { Command } from 'commander';
import type { CliContext } from '../main.js';

/** Registers one command on the program. Each command lives in its own file in this folder. */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;

// One line per command; keep alphabetical.
export const COMMANDS: readonly RegisterCommand[] = [
];
