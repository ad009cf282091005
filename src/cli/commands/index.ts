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
import { registerAlias } from './alias.js';
import { registerAudit } from './audit.js';
import { registerDelete } from './delete.js';
import { registerDeprecate } from './deprecate.js';
import { registerIdentity } from './identity.js';
import { registerInit } from './init.js';
import { registerList } from './list.js';
import { registerPull } from './pull.js';
import { registerPush } from './push.js';
import { registerQuickstart } from './quickstart.js';
import { registerServe } from './serve.js';
import { registerShow } from './show.js';
import { registerTag } from './tag.js';
import { registerToken } from './token.js';

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
  registerAlias,
  registerAudit,
  registerDelete,
  registerDeprecate,
  registerIdentity,
  registerInit,
  registerList,
  registerPull,
  registerPush,
  registerQuickstart,
  registerServe,
  registerShow,
  registerTag,
  registerToken,
];
