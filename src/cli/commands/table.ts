import type { RegisterCommand } from './index.js';

/**
 * One loader per command name: `modelvault NAME …` imports only that command's registration module, so
 * start-up does not evaluate the other commands' modules. `--help`, `help` and unknown names load them all
 * (src/cli/commands/index.ts).
 */
export const COMMAND_LOADERS: Readonly<Record<string, () => Promise<RegisterCommand>>> = {
  convert: async () => (await import('./convert.js')).registerConvert,
  hash: async () => (await import('./hash.js')).registerHash,
  inspect: async () => (await import('./inspect.js')).registerInspect,
  keygen: async () => (await import('./keygen.js')).registerKeygen,
  predict: async () => (await import('./predict.js')).registerPredict,
  scan: async () => (await import('./scan.js')).registerScan,
  sign: async () => (await import('./sign.js')).registerSign,
  verify: async () => (await import('./verify.js')).registerVerify,
  alias: async () => (await import('./alias.js')).registerAlias,
  audit: async () => (await import('./audit.js')).registerAudit,
  delete: async () => (await import('./delete.js')).registerDelete,
  deprecate: async () => (await import('./deprecate.js')).registerDeprecate,
  identity: async () => (await import('./identity.js')).registerIdentity,
  init: async () => (await import('./init.js')).registerInit,
  list: async () => (await import('./list.js')).registerList,
  pull: async () => (await import('./pull.js')).registerPull,
  push: async () => (await import('./push.js')).registerPush,
  quickstart: async () => (await import('./quickstart.js')).registerQuickstart,
  serve: async () => (await import('./serve.js')).registerServe,
  show: async () => (await import('./show.js')).registerShow,
  tag: async () => (await import('./tag.js')).registerTag,
  token: async () => (await import('./token.js')).registerToken,
};
