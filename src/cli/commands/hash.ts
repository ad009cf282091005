import type { Command } from 'commander';
import type { CliContext } from '../main.js';
import { repeatable } from './registry-options.js';
import { positiveInt } from './signing-options.js';

interface HashCliOptions {
  ignore?: string[];
  ignoreGitPaths: boolean;
  allowSymlinks?: boolean;
  shardSize?: number;
}

export function registerHash(program: Command, ctx: CliContext): void {
  program
    .command('hash')
    .description('Print the OMS manifest of a model (every file digest and the root digest) as JSON.')
    .argument('<MODEL_PATH>', 'model file or folder')
    .option('--ignore <PATH>', 'path to leave out (repeatable)', repeatable)
    .option('--no-ignore-git-paths', 'also hash top-level .git, .gitattributes, .github, .gitignore')
    .option('--allow-symlinks', 'hash symlinked files by their target (targets must stay inside the model)')
    .option('--shard-size <BYTES>', 'shards serialization with this shard size (default: files)', positiveInt('--shard-size'))
    .addHelpText('after', `
"digest" equals what \`model_signing digest\` prints for the same ignore paths (pass --ignore model.sig
to reproduce a signed subject). Store the output apart from the model. Exit codes: 0, 2 I/O error.`)
    .action(async (modelPath: string, o: HashCliOptions) => {
      const { hashModel, resolveIgnorePaths } = await import('../../host/index.js');
      const { resolve, dirname } = await import('node:path');
      const { statSync } = await import('node:fs');
      const st = statSync(modelPath, { throwIfNoEntry: false });
      const root = st?.isDirectory() ? resolve(modelPath) : dirname(resolve(modelPath));
      const h = await hashModel(modelPath, {
        ignorePaths: resolveIgnorePaths(root, o.ignore ?? []),
        ignoreGitPaths: o.ignoreGitPaths,
        allowSymlinks: o.allowSymlinks === true,
        ...(o.shardSize !== undefined ? { method: 'shards' as const, shardSize: o.shardSize } : {}),
        progress: ctx.output.isTTY,
      });
      const s = h.serialization;
      ctx.output.out(
        JSON.stringify(
          {
            model: h.modelName,
            digest: `sha256:${h.rootDigest}`,
            serialization: {
              method: s.method,
              hash_type: s.hashType,
              allow_symlinks: s.allowSymlinks,
              ...(s.method === 'shards' ? { shard_size: s.shardSize } : {}),
              ignore_paths: s.ignorePaths,
            },
            resources: h.resources,
          },
          null,
          2,
        ),
      );
    });
}
