import { Option, type Command } from 'commander';
import { MvError, isMvError } from '../../core/index.js';
import { readUserFile } from '../files.js';
import type { CliContext } from '../main.js';
import { headText, paint, type HeadSummary, type Output } from '../output.js';

interface InspectCliOptions {
  format: 'text' | 'json';
}

const errorOf = (e: unknown): { code: string; message: string } =>
  isMvError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };

/** Everything `inspect` found, as printed by --format json (documented in docs/convert.md). */
type Inspection = Record<string, unknown> & { file: string; size: number; content: string };

async function inspectBytes(path: string, bytes: Uint8Array): Promise<Inspection> {
  const cv = await import('../../convert/index.js');
  const { bytesSource } = await import('../../core/index.js');
  const sniffed = cv.sniffBytes(bytes);
  const base: Inspection = { file: path, size: bytes.length, content: sniffed.kind, ...(sniffed.detail ? { detail: sniffed.detail } : {}) };

  if (sniffed.kind === 'safetensors') {
    const rt = await import('../../runtime/index.js');
    try {
      const model = rt.loadModel(bytes);
      return { ...base, what: 'modelvault/1 artifact (data-only model)', model: rt.describeModel(model) };
    } catch (e) {
      const { parseSafetensors } = await import('../../formats/safetensors/index.js');
      const st = parseSafetensors(bytes);
      return {
        ...base, what: 'plain safetensors (tensors only)', metadata: st.metadata,
        tensors: st.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })),
        ...(st.metadata?.format === 'modelvault/1' ? { artifact_error: errorOf(e) } : {}),
      };
    }
  }

  const scan = async (): Promise<Record<string, unknown>> => {
    const { scanSource } = await import('../../scan/index.js');
    const r = await scanSource(bytesSource(bytes), path, { now: () => performance.now() });
    return { status: r.status, ...(r.class ? { class: r.class } : {}), ...(r.reason ? { reason: r.reason } : {}), findings: r.findings.length };
  };

  let opened;
  try {
    opened = await cv.openModelFile(bytes);
  } catch (e) {
    return { ...base, what: 'unreadable model file', error: errorOf(e), scan: await scan() };
  }
  if (opened.kind === 'torch') {
    const { DEFAULT_LIMITS } = await import('../../core/index.js');
    try {
      const t = cv.readTorchCheckpoint(bytes, DEFAULT_LIMITS);
      return {
        ...base, what: `PyTorch checkpoint (${t.format}${t.bigEndian ? ', big-endian' : ''})`, scan: await scan(),
        tensors: t.tensors.map((x) => ({ name: x.name, dtype: x.dtype, shape: x.shape, ...(x.shared ? { shared: true } : {}) })),
        skipped: t.skipped,
        conversion: { supported: true, to: 'plain safetensors of every tensor' },
      };
    } catch (e) {
      return { ...base, what: 'PyTorch checkpoint', scan: await scan(), conversion: { supported: false, error: errorOf(e) } };
    }
  }
  if (opened.kind === 'other' && ['xgboost-json', 'xgboost-ubj', 'lightgbm'].includes(opened.sniffed)) {
    const what = opened.sniffed === 'lightgbm' ? 'LightGBM text model' : `XGBoost ${opened.sniffed === 'xgboost-ubj' ? 'UBJSON' : 'JSON'} model`;
    try {
      const c = await cv.convertFile(bytes, { sourceSha256: '0'.repeat(64), created: new Date(0).toISOString(), parity: false });
      if (c.kind !== 'model') throw new MvError('INTERNAL', 'unexpected tensor conversion');
      return { ...base, what, conversion: { supported: true, library: c.report.library, input: c.ir.input, output: c.ir.output, notes: c.report.notes } };
    } catch (e) {
      return { ...base, what, conversion: { supported: false, error: errorOf(e) } };
    }
  }
  if (opened.kind === 'other') {
    const what: Record<string, string> = {
      'xgboost-json': 'XGBoost JSON model', 'xgboost-ubj': 'XGBoost UBJSON model', lightgbm: 'LightGBM text model',
      onnx: 'ONNX model', hdf5: 'HDF5 (Keras) model', npy: 'numpy array', zip: 'ZIP archive',
    };
    return { ...base, what: what[opened.sniffed] ?? `${opened.sniffed} content`, conversion: { supported: false, reason: `modelvault convert does not read ${opened.sniffed} files in this build` } };
  }
  const support = cv.checkSupport(opened.value);
  const tree = cv.estimatorTree(opened.value);
  let conversion: Record<string, unknown>;
  try {
    const c = cv.convertGraph(opened.value, { sourceSha256: '0'.repeat(64), created: new Date(0).toISOString(), sourceFormat: opened.container });
    conversion = { supported: true, library: c.report.library, input: c.ir.input, output: c.ir.output, notes: c.report.notes };
  } catch (e) {
    conversion = { supported: false, error: errorOf(e), ...(support.unsupported.length ? { unsupported: support.unsupported.map((u) => u.cls) } : {}) };
  }
  return {
    ...base,
    what: `${opened.container === 'joblib' ? 'joblib' : 'pickle'} file${opened.compression ? ` (${opened.compression})` : ''}, pickle protocol ${opened.protocol}`,
    scan: await scan(),
    root: support.root ?? null,
    graph: tree ?? null,
    conversion,
  };
}

interface OpSummary { kind: string; name?: string; steps?: OpSummary[]; parts?: OpSummary[]; estimators?: OpSummary[]; [k: string]: unknown }

/** The runtime's operator summary as an indented tree. */
function opLines(op: OpSummary, indent = ''): string[] {
  const { kind, name, steps, parts, estimators, ...rest } = op;
  const detail = Object.entries(rest).map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`).join(' ');
  return [`${indent}${kind}${name ? ` ${name}` : ''}${detail ? `  (${detail})` : ''}`, ...(steps ?? parts ?? estimators ?? []).flatMap((c) => opLines(c, `${indent}  `))];
}

function printText(out: Output, r: Inspection): void {
  out.out(`${paint(out, 'bold', r.file)}: ${String(r.what ?? r.content)} (${r.size} bytes, sniffed as ${r.content})`);
  const scan = r.scan as { status: string; class?: string; reason?: string } | undefined;
  if (scan) out.out(`  scan: ${scan.status === 'clean' ? paint(out, 'green', 'clean') : paint(out, 'red', `blocked (${scan.class})`)}${scan.reason ? ` — ${scan.reason}` : ''}`);
  if (r.model) {
    const m = r.model as HeadSummary & { kind: string; input: { n_features: number; features: { name: string; type: string; missing: boolean }[] }; graph: unknown; provenance: Record<string, unknown> };
    out.out(`  model: ${m.kind}${headText(m)}; methods ${m.methods.join(', ')}`);
    out.out(`  input: ${m.input.n_features} features: ${m.input.features.map((f) => `${f.name}:${f.type}${f.missing ? '?' : ''}`).join(', ')}`);
    out.out('  graph:');
    for (const l of opLines(m.graph as OpSummary)) out.out(`    ${l}`);
    const p = m.provenance as { source_sha256: string; source_format: string; library: { name: string; version: string }; converter: { name: string; version: string }; created: string };
    out.out(`  provenance: ${p.library.name} ${p.library.version} ${p.source_format}, source sha256 ${p.source_sha256}, ${p.converter.name} ${p.converter.version}, ${p.created}`);
    return;
  }
  if (r.tensors) {
    const ts = r.tensors as { name: string; dtype: string; shape: number[]; shared?: boolean }[];
    out.out(`  tensors: ${ts.length}`);
    for (const t of ts.slice(0, 50)) out.out(`    ${t.name}  ${t.dtype} [${t.shape.join(', ')}]${t.shared ? '  (shares storage)' : ''}`);
    if (ts.length > 50) out.out(`    … ${ts.length - 50} more`);
  }
  if (r.graph) {
    out.out('  estimator graph:');
    for (const l of (r as { lines?: string[] }).lines ?? []) out.out(`    ${l}`);
  }
  const c = r.conversion as { supported: boolean; input?: { n_features: number; features: { name: string; type: string; missing: boolean }[] }; output?: HeadSummary & { kind: string }; error?: { code: string; message: string }; reason?: string; to?: string; notes?: string[] } | undefined;
  if (c?.input && c.output) {
    out.out(`  inputs: ${c.input.n_features} features: ${c.input.features.map((f) => `${f.name}:${f.type}${f.missing ? '?' : ''}`).join(', ')}`);
    out.out(`  outputs: ${c.output.kind}${headText(c.output)}; methods ${c.output.methods.join(', ')}`);
  }
  if (c) {
    const how = c.supported
      ? paint(out, 'green', `convertible${c.to ? ` to ${c.to}` : ''}`) + (scan && scan.status !== 'clean' ? ' once it scans clean' : '') + ' with `modelvault convert`'
      : paint(out, 'yellow', 'not convertible') + `: ${c.error ? `${c.error.code}: ${c.error.message}` : c.reason ?? ''}`;
    out.out(`  conversion: ${how}`);
    for (const n of c.notes ?? []) out.out(`    note: ${n}`);
  }
}

export function registerInspect(program: Command, ctx: CliContext): void {
  program
    .command('inspect')
    .description('Say what a model file is — by content — its estimator graph, inputs, outputs, provenance, and what converting it needs.')
    .argument('<FILE>', 'any model file: artifact, safetensors, joblib/pickle, PyTorch checkpoint, …')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', `
Nothing in the file is executed: pickles are read by the inert interpreter. For legacy files the
scanner verdict is shown too, since \`modelvault convert\` refuses anything not clean.
Exit codes: 0 inspected, 2 unreadable file, 4 usage error.`)
    .action(async (file: string, o: InspectCliOptions) => {
      const bytes = readUserFile(file);
      const r = await inspectBytes(file, bytes);
      if (r.graph) {
        const { treeLines } = await import('../../convert/index.js');
        (r as { lines?: string[] }).lines = treeLines(r.graph as Parameters<typeof treeLines>[0]);
      }
      if (o.format === 'json') {
        const { lines: _lines, ...rest } = r as Inspection & { lines?: string[] };
        ctx.output.out(JSON.stringify(rest, null, 2));
      } else printText(ctx.output, r);
    });
}
