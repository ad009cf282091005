import { scanPaths } from '../../host/scan/index.js';
import { buildPolicy, exitCodeOf, parsePolicyFile, summarise, toSarif, type FileReport } from '../../scan/index.js';
import { ExitCode, type CliContext } from '../main.js';
import { paint, type Output } from '../output.js';
import { startProgress } from '../progress.js';
import { readPolicyText, type ScanCliOptions } from './scan.js';

export async function runScan(paths: string[], o: ScanCliOptions, ctx: CliContext): Promise<void> {
  const policy = o.policy ? buildPolicy(parsePolicyFile(readPolicyText(o.policy))) : undefined;
  const progress = startProgress(ctx.output, 'scanning');
  let reports: FileReport[];
  try {
    reports = await scanPaths(paths, {
      ...(policy ? { policy } : {}),
      threshold: o.failOn,
      hash: Boolean(o.hash),
      followSymlinks: Boolean(o.followSymlinks),
      ...(o.maxFileSeconds ? { limits: { maxMillisPerFile: o.maxFileSeconds * 1000 } } : {}),
      onProgress: (done, total) => progress.update(done, total),
    });
  } finally {
    progress.stop();
  }
  const out = ctx.output;
  if (o.format === 'json') {
    out.out(JSON.stringify(toJson(reports, ctx.version, o), null, 2));
  } else if (o.format === 'sarif') {
    out.out(JSON.stringify(toSarif(reports, { version: ctx.version }), null, 2));
  } else {
    printText(out, reports, o);
  }
  throw new ExitCode(exitCodeOf(reports));
}

/** The documented JSON shape (docs/scan.md). */
function toJson(reports: FileReport[], version: string, o: ScanCliOptions): object {
  return {
    tool: { name: 'modelvault', version },
    policy: { profile: 'default', threshold: o.failOn, custom: Boolean(o.policy) },
    summary: summarise(reports),
    files: reports.map(({ millis, globals, ...r }) => ({ ...r, ...(o.listGlobals ? { globals } : {}), millis: Math.round(millis * 10) / 10 })),
  };
}

const LABEL = { clean: 'CLEAN', malicious: 'MALICIOUS', unsafe: 'UNSAFE', incomplete: 'INCOMPLETE' } as const;
const COLOUR = { clean: 'green', malicious: 'red', unsafe: 'yellow', incomplete: 'magenta' } as const;

function printText(out: Output, reports: FileReport[], o: ScanCliOptions): void {
  for (const r of reports) {
    const v = r.class ?? 'clean';
    if (o.quiet && v === 'clean') continue;
    const what = r.members.length ? `${r.format}, ${r.members.length} member${r.members.length === 1 ? '' : 's'}` : r.format;
    out.out(`${paint(out, COLOUR[v], LABEL[v].padEnd(10))} ${r.path}  ${paint(out, 'gray', `(${what})`)}`);
    for (const f of r.findings) {
      const loc = [f.member, f.offset !== undefined ? `byte ${f.offset}` : undefined].filter(Boolean).join(' @ ');
      out.out(`    ${paint(out, f.severity === 'critical' ? 'red' : 'yellow', f.severity.padEnd(8))} ${f.rule}: ${f.message}${loc ? paint(out, 'gray', `  [${loc}]`) : ''}`);
    }
    for (const e of r.errors) {
      const loc = [e.member, e.offset !== undefined ? `byte ${e.offset}` : undefined].filter(Boolean).join(' @ ');
      out.out(`    ${paint(out, 'magenta', 'not read')} ${e.code}: ${e.message}${loc ? paint(out, 'gray', `  [${loc}]`) : ''}`);
    }
    if (o.listGlobals) {
      for (const g of r.globals) out.out(`    ${g.verdict === 'allowed' ? 'allowed' : paint(out, 'red', 'blocked')}  ${g.module}.${g.name}${g.count > 1 ? `  ×${g.count}` : ''}`);
    }
  }
  const s = summarise(reports);
  const parts = [`${s.clean} clean`, `${s.malicious} malicious`, `${s.unsafe} unsafe`, `${s.incomplete} incomplete`];
  out.out(`\n${s.files} file${s.files === 1 ? '' : 's'} scanned: ${parts.join(', ')}`);
  if (s.files === 0) out.out('nothing was scanned: no files found (exit 2)');
}
