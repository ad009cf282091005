import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { registerConvert } from './convert.js';
import { registerHash } from './hash.js';
import { registerInspect } from './inspect.js';
import { registerKeygen } from './keygen.js';
import { registerPredict } from './predict.js';
import { registerScan } from './scan.js';
import { registerSign } from './sign.js';
import { registerVerify } from './verify.js';

/** Registers one command on the program. Each command lives in its own file in this folder. */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;

// One line per command; keep alphabetical.
export const COMMANDS: readonly RegisterCommand[] = [
  registerConvert,
  registerHash,
  registerInspect,
  registerKeygen,
  registerPredict,
  registerScan,
  registerSign,
  registerVerify,
];
