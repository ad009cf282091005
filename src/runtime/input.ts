import { MvError, decodeUtf8 } from '../core/index.js';
import { readJson, toPlain } from '../formats/safetensors/index.js';
import type { FeatureSpec, InputSchema } from './ir.js';
import type { Frame } from './kernels/frame.js';
import { parseNpy } from './npy.js';

/**
 * Prediction input → a validated Frame. Every value is checked against the input schema: the
 * number and names of features, numbers where numbers are needed, integers for category codes, and
 * missing values only where the model declares it takes them. Nothing is coerced silently: a
 * problem is INPUT_INVALID naming the row and column.
 */
export type Cell = number | string | boolean | null;
export type PredictInput = Float64Array | readonly (readonly Cell[])[] | readonly Readonly<Record<string, Cell>>[] | Frame;

const isFrame = (x: unknown): x is Frame => typeof x === 'object' && x !== null && !Array.isArray(x) && 'rows' in x && 'cols' in x && 'data' in x;

const bad = (row: number, col: number, feature: FeatureSpec | undefined, msg: string): never => {
  const name = feature ? ` (feature ${JSON.stringify(feature.name)})` : '';
  throw new MvError('INPUT_INVALID', `row ${row}, column ${col}${name}: ${msg}`, { path: ['input', row, col] });
};

/** One cell: numbers stay numbers, strings stay strings; `null` is missing. */
function checkCell(v: Cell | undefined, row: number, col: number, f: FeatureSpec, out: Float64Array, text: (string | null)[] | undefined, idx: number): void {
  if (v === undefined) bad(row, col, f, 'value is absent');
  const missing = v === null || (typeof v === 'number' && Number.isNaN(v));
  if (missing) {
    if (!f.missing) bad(row, col, f, 'missing value where the model cannot take one');
    out[idx] = NaN;
    if (text) text[row] = null;
    return;
  }
  if (f.type === 'any') {
    if (typeof v !== 'number' && typeof v !== 'string') bad(row, col, f, `expected a number or text, got ${JSON.stringify(v)}`);
    out[idx] = typeof v === 'number' ? v : NaN;
    return;
  }
  if (f.type === 'string') {
    if (typeof v !== 'string') bad(row, col, f, `expected text, got ${JSON.stringify(v)}`);
    out[idx] = NaN;
    text![row] = v as string;
    return;
  }
  if (typeof v !== 'number') bad(row, col, f, `expected a number, got ${typeof v === 'string' ? 'text ' : ''}${JSON.stringify(v)}`);
  if (f.type === 'category' && !Number.isInteger(v)) bad(row, col, f, `expected an integer category code, got ${v as number}`);
  out[idx] = v as number;
}

/** Per-schema lookups, computed once: single-row prediction must not allocate them on every call. */
interface SchemaInfo {
  readonly names: readonly string[];
  readonly firstText: number;
  readonly noMissing: Uint8Array;
  readonly category: Uint8Array;
  readonly anyCategory: boolean;
}
const INFO = new WeakMap<InputSchema, SchemaInfo>();
function schemaInfo(schema: InputSchema): SchemaInfo {
  let i = INFO.get(schema);
  if (!i) {
    const feats = schema.features;
    const category = Uint8Array.from(feats, (f) => (f.type === 'category' ? 1 : 0));
    i = {
      names: feats.map((f) => f.name), firstText: feats.findIndex((f) => f.type === 'string'),
      noMissing: Uint8Array.from(feats, (f) => (f.missing ? 0 : 1)), category, anyCategory: category.includes(1),
    };
    INFO.set(schema, i);
  }
  return i;
}

/** Converts and validates any supported input against the schema. */
export function toFrame(schema: InputSchema, X: PredictInput): Frame {
  const F = schema.n_features;
  const feats = schema.features;
  const info = schemaInfo(schema);
  const names = info.names;
  if (X instanceof Float64Array) {
    if (X.length % Math.max(F, 1) !== 0) throw new MvError('INPUT_INVALID', `${X.length} values is not a multiple of ${F} features`);
    const j = info.firstText;
    if (j >= 0) throw new MvError('INPUT_INVALID', `column ${j} (feature ${JSON.stringify(feats[j]!.name)}) needs text; pass rows instead of a Float64Array`, { path: ['input', 0, j] });
    const rows = F === 0 ? 0 : X.length / F;
    const { noMissing, category, anyCategory } = info;
    for (let i = 0, o = 0; i < rows; i++) {
      for (let c = 0; c < F; c++, o++) {
        const v = X[o]!;
        if (v !== v) {
          if (noMissing[c]) bad(i, c, feats[c], 'missing value where the model cannot take one');
        } else if (anyCategory && category[c] && !Number.isInteger(v)) bad(i, c, feats[c], `expected an integer category code, got ${v}`);
      }
    }
    return { rows, cols: F, data: X, names };
  }
  if (isFrame(X)) return checkFrame(schema, X);
  const list = X as readonly unknown[];
  const n = list.length;
  const data = new Float64Array(n * F);
  const text = feats.map((f) => (f.type === 'string' ? new Array<string | null>(n).fill(null) : undefined));
  for (let i = 0; i < n; i++) {
    const r = list[i];
    if (Array.isArray(r)) {
      if (r.length !== F) throw new MvError('INPUT_INVALID', `row ${i} has ${r.length} values, the model takes ${F}`, { path: ['input', i] });
      for (let j = 0; j < F; j++) checkCell(r[j] as Cell, i, j, feats[j]!, data, text[j], i * F + j);
    } else if (r && typeof r === 'object') {
      const rec = r as Record<string, Cell>;
      const keys = Object.keys(rec);
      matchNames(keys, names, i);
      for (let j = 0; j < F; j++) checkCell(rec[names[j]!], i, j, feats[j]!, data, text[j], i * F + j);
    } else throw new MvError('INPUT_INVALID', `row ${i} is neither an array nor an object`, { path: ['input', i] });
  }
  return { rows: n, cols: F, data, names, ...(text.some(Boolean) ? { text } : {}) };
}

/** Validates a Frame (e.g. from the file readers) in place: column count, names, types, missing values. */
function checkFrame(schema: InputSchema, X: Frame): Frame {
  const F = schema.n_features;
  const feats = schema.features;
  if (X.cols !== F) throw new MvError('INPUT_INVALID', `input has ${X.cols} columns, the model takes ${F}`);
  const names = feats.map((f) => f.name);
  if (X.names && schema.named) {
    matchNames(X.names, names);
    if (X.names.some((n, j) => n !== names[j])) throw new MvError('INPUT_INVALID', "the input's columns are not in the model's feature order", { path: ['input', 'header'] });
  }
  for (let j = 0; j < F; j++) {
    const f = feats[j]!;
    const tc = X.text?.[j];
    if (f.type === 'any') continue;
    if (f.type === 'string') {
      if (!tc) bad(0, j, f, 'expected text, got numbers');
      for (let i = 0; i < X.rows; i++) if (tc![i] === null && !f.missing) bad(i, j, f, 'missing value where the model cannot take one');
      continue;
    }
    if (tc) bad(0, j, f, 'expected numbers, got text');
    for (let i = 0; i < X.rows; i++) {
      const v = X.data[i * F + j]!;
      if (v !== v) {
        if (!f.missing) bad(i, j, f, 'missing value where the model cannot take one');
      } else if (f.type === 'category' && !Number.isInteger(v)) bad(i, j, f, `expected an integer category code, got ${v}`);
    }
  }
  return { rows: X.rows, cols: F, data: X.data, names, ...(X.text?.some(Boolean) ? { text: X.text } : {}) };
}

/** Input names must be exactly the model's feature names (any order; columns are matched by name). */
function matchNames(got: readonly string[], want: readonly string[], row?: number): void {
  const w = new Set(want);
  const g = new Set(got);
  const missing = want.filter((n) => !g.has(n));
  const extra = got.filter((n) => !w.has(n));
  const dup = got.length !== g.size;
  if (missing.length || extra.length || dup) {
    const where = row === undefined ? 'the input header' : `row ${row}`;
    throw new MvError(
      'INPUT_INVALID',
      `${where} does not match the model's features: ${[missing.length ? `missing ${missing.map((s) => JSON.stringify(s)).join(', ')}` : '', extra.length ? `unexpected ${extra.map((s) => JSON.stringify(s)).join(', ')}` : '', dup ? 'repeated names' : ''].filter(Boolean).join('; ')}`,
      { path: row === undefined ? ['input', 'header'] : ['input', row] },
    );
  }
}

// ── file readers ────────────────────────────────────────────────────────────────────────────────

export type InputFormat = 'csv' | 'json' | 'npy';

/** Picks the reader from a file name (`.csv`, `.json`, `.npy`). */
export function inputFormatOf(fileName: string): InputFormat {
  const m = /\.(csv|json|npy)$/i.exec(fileName);
  if (!m) throw new MvError('USAGE_INVALID', `cannot tell the input format of ${fileName}: use .csv, .json or .npy`);
  return m[1]!.toLowerCase() as InputFormat;
}

/** RFC 4180 CSV: quoted fields with "" escapes, CRLF or LF line ends, optional final newline. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let fieldStart = true;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // BOM
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
      continue;
    }
    if (c === '"' && fieldStart) {
      quoted = true;
      fieldStart = false;
      continue;
    }
    if (c === '"') throw new MvError('INPUT_INVALID', `CSV line ${rows.length + 1}: a quote inside an unquoted field`, { path: ['input', rows.length] });
    if (c === ',') {
      row.push(field);
      field = '';
      fieldStart = true;
      continue;
    }
    if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      fieldStart = true;
      continue;
    }
    field += c;
    fieldStart = false;
  }
  if (quoted) throw new MvError('INPUT_INVALID', 'CSV ends inside a quoted field', { path: ['input', rows.length] });
  if (!fieldStart || row.length > 0 || field !== '') {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const NUM_RE = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const NAN_RE = /^(?:nan|NaN|NAN)$/;
const INF_RE = /^([+-]?)(?:inf|Inf|INF|infinity|Infinity)$/;

/** A CSV field for a numeric feature: a decimal number, empty / NaN for missing, inf. Anything else is text. */
function csvNumber(s: string): number | string | null {
  if (s === '' || NAN_RE.test(s)) return null;
  if (NUM_RE.test(s)) return Number(s);
  const m = INF_RE.exec(s);
  if (m) return m[1] === '-' ? -Infinity : Infinity;
  return s;
}

/** CSV with a header row naming the features. Empty fields are missing values. */
export function readCsvInput(bytes: Uint8Array, schema: InputSchema): Frame {
  const rows = parseCsv(decodeUtf8(bytes, 'INPUT_INVALID'));
  if (rows.length === 0) throw new MvError('INPUT_INVALID', 'the CSV is empty (a header row is required)', { path: ['input', 'header'] });
  const header = rows[0]!;
  const body = rows.slice(1).filter((r) => !(r.length === 1 && r[0] === ''));
  if (header.length !== schema.n_features) throw new MvError('INPUT_INVALID', `the CSV header has ${header.length} columns, the model takes ${schema.n_features}`, { path: ['input', 'header'] });
  let order = schema.features.map((_, j) => j);
  if (schema.named) {
    matchNames(header, schema.features.map((f) => f.name));
    order = schema.features.map((f) => header.indexOf(f.name));
  }
  const cells: Cell[][] = body.map((r, i) => {
    if (r.length !== header.length) throw new MvError('INPUT_INVALID', `CSV row ${i} has ${r.length} fields, the header has ${header.length}`, { path: ['input', i] });
    return order.map((src, j) => (schema.features[j]!.type === 'string' ? (r[src] === '' ? null : r[src]!) : csvNumber(r[src]!)));
  });
  return toFrame(schema, cells);
}

/** JSON: an array of rows (arrays) or of records (objects keyed by feature name). Duplicate keys are rejected. */
export function readJsonInput(bytes: Uint8Array, schema: InputSchema): Frame {
  const { value } = readJson(decodeUtf8(bytes, 'INPUT_INVALID'), { code: 'INPUT_INVALID', duplicateCode: 'INPUT_INVALID', maxDepth: 8 });
  const v = toPlain(value);
  if (!Array.isArray(v)) throw new MvError('INPUT_INVALID', 'JSON input must be an array of rows or of records');
  for (let i = 0; i < v.length; i++) {
    const r = v[i] as unknown;
    const cells = Array.isArray(r) ? r : r && typeof r === 'object' ? Object.values(r) : [r];
    for (const c of cells) {
      if (c !== null && typeof c === 'object') throw new MvError('INPUT_INVALID', `row ${i}: nested values are not features`, { path: ['input', i] });
    }
  }
  return toFrame(schema, v as PredictInput);
}

/** `.npy` of a numeric dtype with shape (n, n_features) (or (n_features,) for one row). */
export function readNpyInput(bytes: Uint8Array, schema: InputSchema): Frame {
  const a = parseNpy(bytes);
  const F = schema.n_features;
  let rows: number;
  if (a.shape.length === 2 && a.shape[1] === F) rows = a.shape[0]!;
  else if (a.shape.length === 1 && a.shape[0] === F) rows = 1;
  else throw new MvError('INPUT_INVALID', `.npy shape (${a.shape.join(', ')}) does not match ${F} features`);
  return toFrame(schema, a.data.length === rows * F ? a.data : new Float64Array(0));
}

/** Reads an input file of the given format into a validated Frame. */
export function readInput(bytes: Uint8Array, format: InputFormat, schema: InputSchema): Frame {
  switch (format) {
    case 'csv':
      return readCsvInput(bytes, schema);
    case 'json':
      return readJsonInput(bytes, schema);
    case 'npy':
      return readNpyInput(bytes, schema);
  }
}
