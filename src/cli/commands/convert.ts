import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { MvError } from '../../core/index.js';
import type { FileReport } from '../../scan/index.js';
import { ExitCode, type CliContext } from '../main.js';
import { headText, paint, type Output } from '../output.js';

interface ConvertCliOptions {
  output: string;
  format: 'text' | 'json';
  force?: boolean;
  parity: boolean;
}

/** Writes through a temporary file and a rename, so a failed write never leaves half an artifact. */
function writeAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    throw new MvError('IO_ERROR', `cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

const kib = (n: number): string => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`);

function printBlocked(out: Output, r: FileReport): void {
  out.err(`${paint(out, 'red', 'REFUSED')} ${r.path}: the scanner reports it ${r.class ?? 'blocked'}${r.reason ? ` (${r.reason})` : ''}; nothing was converted.`);
  for (const f of r.findings) {
    const loc = [f.member, f.offset !== undefined ? `byte ${f.offset}` : undefined].filter(Boolean).join(' @ ');
    out.err(`    ${f.severity.padEnd(8)} ${f.rule}: ${f.message}${loc ? `  [${loc}]` : ''}`);
  }
  for (const e of r.errors) out.err(`    not read ${e.code}: ${e.message}`);
}

export function registerConvert(program: Command, ctx: CliContext): void {
  program
    .command('convert')
    .description('Convert a scanned-clean legacy model (scikit-learn/XGBoost/LightGBM pickle or joblib, XGBoost/LightGBM model, PyTorch checkpoint) into safe safetensors.')
    .argument('<IN>', 'model file: joblib/pickle (any joblib compressor), XGBoost JSON/UBJSON, LightGBM text, or a PyTorch checkpoint')
    .requiredOption('-o, --output <OUT>', 'output .safetensors file')
    .addOption(new Option('-f, --format <format>', 'report format').choices(['text', 'json']).default('text'))
    .option('--force', 'overwrite OUT if it exists')
    .option('--no-parity', 'skip the parity check (artifact vs in-memory conversion on synthetic rows)')
    .addHelpText('after', `
The file is scanned first (as \`modelvault scan\`); anything not clean is refused with the findings.
Nothing from the file is ever executed: the pickle is interpreted into an inert graph and mapped to
built-in operators. scikit-learn models become a modelvault/1 artifact (run it with \`modelvault
predict\`); PyTorch checkpoints become plain safetensors of every tensor. An unsupported estimator
names every unsupported type found in the file.
Exit codes: 0 converted, 1 refused by the scanner or unsupported/invalid model, 2 I/O error, 4 usage.`)
    .action(async (input: string, o: ConvertCliOptions) => {
      const out = ctx.output;
      if (resolve(input) === resolve(o.output)) throw new MvError('USAGE_INVALID', 'OUT must differ from IN');
      if (existsSync(o.output) && !o.force) throw new MvError('USAGE_INVALID', `${o.output} exists (use --force to overwrite)`);
      const { openFileSource } = await import('../../host/index.js');
      const { scanSource } = await import('../../scan/index.js');
      const { sha256Hex } = await import('../../core/index.js');
      const { convertFile } = await import('../../convert/index.js');
      // One ByteSource for scan and conversion: what is converted is exactly what was scanned, and a
      // large checkpoint is read by ranges rather than held twice.
      const opened = openFileSource(input);
      let c;
      let sha256: string;
      let millis: number;
      try {
        const report = await scanSource(opened.source, input, { hash: true, now: () => performance.now() });
        if (report.status !== 'clean') {
          if (o.format === 'json') out.out(JSON.stringify({ converted: false, input, scan: report }, null, 2));
          else printBlocked(out, report);
          throw new ExitCode(1);
        }
        sha256 = report.sha256 ?? sha256Hex(opened.source.read(0, opened.source.size));
        const started = performance.now();
        c = await convertFile(opened.source, { sourceSha256: sha256, created: new Date().toISOString(), converterVersion: ctx.version, parity: o.parity });
        millis = performance.now() - started;
      } finally {
        opened.close();
      }
      writeAtomic(o.output, c.bytes);
      if (o.format === 'json') {
        out.out(JSON.stringify(
          c.kind === 'model'
            ? { converted: true, input, output: o.output, kind: 'modelvault/1', source: { ...c.source, sha256 }, report: c.report, input_schema: c.ir.input, output_schema: c.ir.output, parity: c.parity ?? null, bytes: c.bytes.length, millis: Math.round(millis) }
            : { converted: true, input, output: o.output, kind: 'safetensors', source: { ...c.source, sha256 }, tensors: c.torch.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, shared: t.shared })), skipped: c.torch.skipped, bytes: c.bytes.length, millis: Math.round(millis) },
          null, 2,
        ));
        return;
      }
      const ok = paint(out, 'green', 'CONVERTED');
      if (c.kind === 'tensors') {
        const shared = c.torch.tensors.filter((t) => t.shared).length;
        out.out(`${ok} ${input} (${c.source.container}${c.torch.bigEndian ? ', big-endian' : ''}) → ${o.output}`);
        out.out(`  tensors: ${c.torch.tensors.length} (${shared} sharing storage, materialised contiguously), ${kib(c.bytes.length)}`);
        if (c.torch.skipped.length) out.out(`  not tensors (left out): ${c.torch.skipped.map((s) => `${s.name} (${s.type})`).join(', ')}`);
        return;
      }
      const r = c.report;
      const src = [c.source.container, c.source.compression, c.source.protocol !== undefined ? `protocol ${c.source.protocol}` : undefined].filter(Boolean).join(', ');
      out.out(`${ok} ${input} (${src}; ${r.library.name} ${r.library.version}) → ${o.output}`);
      out.out(`  model: ${r.root.slice(r.root.lastIndexOf('.') + 1)} (${r.role}${headText(c.ir.output)})`);
      const f = c.ir.input.features;
      const text = f.filter((x) => x.type === 'string').length;
      const missing = f.filter((x) => x.missing).length;
      out.out(`  input: ${f.length} features${c.ir.input.named ? ` (${f.map((x) => x.name).join(', ')})` : ''}${text ? `, ${text} text` : ''}${missing ? `, ${missing} accept missing values` : ''}`);
      out.out(`  methods: ${c.ir.output.methods.join(', ')}`);
      out.out(`  artifact: ${r.tensorCount} tensors, ${kib(c.bytes.length)} (converted in ${Math.round(millis)} ms)`);
      if (c.parity) {
        out.out(c.parity.skipped
          ? `  parity: skipped (${c.parity.skipped})`
          : `  parity: ${c.parity.rows} synthetic rows × ${c.parity.methods.length} method${c.parity.methods.length === 1 ? '' : 's'} identical (artifact vs conversion)`);
      }
      for (const n of r.notes) out.out(`  note: ${n}`);
    });
}
