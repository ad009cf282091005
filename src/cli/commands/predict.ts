import { Option, type Command } from 'commander';
import { readUserFile } from '../files.js';
import type { CliContext } from '../main.js';
import type { Method, OutputSchema } from '../../runtime/index.js';

interface PredictCliOptions {
  input: string;
  method?: 'predict' | 'predict_proba' | 'decision_function' | 'transform';
  format: 'json' | 'csv';
  inputFormat?: 'csv' | 'json' | 'npy';
}

const jsonValue = (v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? null : v);

function csvField(v: unknown): string {
  if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function registerPredict(program: Command, ctx: CliContext): void {
  program
    .command('predict')
    .description('Run a converted model (.safetensors artifact) on an input file, natively, with no code from the model.')
    .argument('<MODEL>', 'a modelvault artifact (.safetensors) written by `modelvault convert`')
    .requiredOption('-i, --input <FILE>', 'input rows: CSV with a header row, JSON (array of rows or of records), or .npy')
    .addOption(new Option('-m, --method <method>', 'what to compute (default: predict, or transform for transformers)').choices(['predict', 'predict_proba', 'decision_function', 'transform']))
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'csv']).default('json'))
    .addOption(new Option('--input-format <format>', 'input format (default: from the file extension)').choices(['csv', 'json', 'npy']))
    .addHelpText(
      'after',
      `
JSON output: {"method": ..., "shape": [n] | [n, k], "data": [...]} with data flat in row-major order
(NaN as null). CSV output: a header row (the method, or the class labels / column numbers), one row
per input row. Input is validated against the model's features: a wrong count or name, text where a
number is needed, or a missing value the model cannot take stops with INPUT_INVALID naming the row
and column. Exit codes: 0 ok, 2 invalid input or artifact / I/O error, 4 usage error.`,
    )
    .action(async (modelPath: string, o: PredictCliOptions) => {
      const rt = await import('../../runtime/index.js');
      const model = rt.loadModel(readUserFile(modelPath, 'model'));
      const format = o.inputFormat ?? rt.inputFormatOf(o.input);
      const frame = rt.readInput(readUserFile(o.input, 'input'), format, model.ir.input);
      const method = o.method ?? model.defaultMethod;
      const p = rt.predict(model, frame, { method });
      const data = Array.from(p.data as ArrayLike<unknown>);
      if (o.format === 'json') {
        ctx.output.out(JSON.stringify({ method: p.method, shape: p.shape, data: data.map(jsonValue) }));
        return;
      }
      const k = p.shape.length === 2 ? p.shape[1]! : 1;
      const lines = [csvHeader(model.ir.output, p.method, k).map(csvField).join(',')];
      for (let i = 0; i < p.shape[0]!; i++) lines.push(data.slice(i * k, (i + 1) * k).map(csvField).join(','));
      ctx.output.out(lines.join('\n'));
    });
}

/** CSV column names: the method for one column, class labels for probabilities, output names, else 0, 1, …. */
function csvHeader(out: OutputSchema, method: Method, k: number): string[] {
  if (k === 1) return [method];
  if (out.kind === 'classifier' && out.n_classes) {
    // multi-output: predict gives one label per output; predict_proba each output's classes in turn
    if (method === 'predict') return out.n_classes.map((_, q) => `predict_${q}`);
    return out.n_classes.flatMap((c, q) => Array.from({ length: c }, () => q)).map((q, j) => `${q}:${String(out.classes[j])}`);
  }
  if (out.kind === 'classifier' && (method === 'predict_proba' || (method === 'decision_function' && k === out.classes.length))) return out.classes.map(String);
  if (out.kind !== 'classifier' && out.names?.length === k) return [...out.names];
  return Array.from({ length: k }, (_, j) => String(j));
}
