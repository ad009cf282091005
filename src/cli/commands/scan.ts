import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { MvError } from '../../core/index.js';
import type { CliContext } from '../main.js';

export function registerScan(program: Command, ctx: CliContext): void {
  program
    .command('scan')
    .description('Scan model files and folders without executing them; every file gets a verdict.')
    .argument('<path...>', 'files or folders (folders are scanned recursively)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .option('-p, --policy <file>', 'JSON policy file extending the allow-list (see docs/scan.md)')
    .option('--list-globals', 'list every global each file imports and how the policy judges it')
    .addOption(new Option('--fail-on <severity>', 'lowest severity that blocks a file').choices(['critical', 'high', 'medium', 'low']).default('medium'))
    .option('--hash', 'compute the SHA-256 of every file, even large ones (reads all tensor bytes)')
    .option('--follow-symlinks', 'follow symbolic links that leave the scanned folder')
    .option('-q, --quiet', 'text format: print only blocked files and the summary')
    .option('--max-file-seconds <n>', 'wall-clock budget per file', (v) => positive(v, '--max-file-seconds'))
    .addHelpText('after', `
Verdicts: clean, or blocked as malicious (a known-dangerous global or gadget), unsafe (anything not on the
allow-list, or a structural anomaly) or incomplete (could not be fully read: never reported as clean).
Exit codes: 0 all clean, 1 any malicious or unsafe file, 2 nothing worse than incomplete, 4 usage error.`)
    .action(async (paths: string[], o: ScanCliOptions) => {
      const { runScan } = await import('./scan-run.js');
      await runScan(paths, o, ctx);
    });
}

export interface ScanCliOptions {
  format: 'text' | 'json' | 'sarif';
  policy?: string;
  listGlobals?: boolean;
  failOn: 'critical' | 'high' | 'medium' | 'low';
  hash?: boolean;
  followSymlinks?: boolean;
  quiet?: boolean;
  maxFileSeconds?: number;
}

function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new MvError('USAGE_INVALID', `${flag} must be a positive number, got ${JSON.stringify(v)}`);
  return n;
}

export function readPolicyText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new MvError('IO_ERROR', `cannot read policy file ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}
