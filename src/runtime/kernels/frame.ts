import { MvError } from '../../core/index.js';

/**
 * The matrix flowing between operators: n_rows × n_cols row-major f64. A text column (declared
 * `string` in the input schema) keeps its values in `text[col]` (null = missing) and NaN in `data`.
 * `names` is set while columns still correspond 1:1 to named input features (for error messages).
 */
export interface Frame {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
  readonly text?: readonly (readonly (string | null)[] | undefined)[];
  readonly names?: readonly string[];
}

/** A kernel result: row-major values and their shape ([n] or [n, k]). */
export interface KernelOut {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** Which non-finite values an operator takes (sklearn `force_all_finite`). */
export type FinitePolicy = 'finite' | 'allow-nan' | 'any';

export const numericFrame = (rows: number, cols: number, data: Float64Array, names?: readonly string[]): Frame => (names ? { rows, cols, data, names } : { rows, cols, data });

const colName = (f: Frame, j: number): string => (f.names?.[j] !== undefined ? ` (feature ${JSON.stringify(f.names[j])})` : '');

/** Throws INPUT_INVALID naming row and column when an operator meets text or a value it cannot take. */
export function checkFinite(f: Frame, policy: FinitePolicy, where: string): void {
  if (f.text?.some((t) => t !== undefined)) {
    const j = f.text.findIndex((t) => t !== undefined);
    throw new MvError('INPUT_INVALID', `${where} needs numbers, but column ${j}${colName(f, j)} is text`, { path: ['input', 'column', j] });
  }
  if (policy === 'any') return;
  const d = f.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v - v !== 0) {
      // NaN or ±Infinity
      if (policy === 'allow-nan' && v !== v) continue;
      const row = Math.floor(i / f.cols);
      const col = i % f.cols;
      const what = v !== v ? 'a missing value (NaN)' : String(v);
      throw new MvError('INPUT_INVALID', `row ${row}, column ${col}${colName(f, col)}: ${where} cannot take ${what}`, { path: ['input', row, col] });
    }
  }
}

/** Index of the first maximum of row i (numpy argmax). NaN never wins unless it is first (as numpy: NaN is the max). */
export function argmaxRow(data: Float64Array, i: number, k: number): number {
  return argmaxAt(data, i * k, k);
}

/** argmaxRow over the k values from `off`. */
export function argmaxAt(data: Float64Array, off: number, k: number): number {
  let best = 0;
  let bv = data[off]!;
  if (bv !== bv) return 0;
  for (let c = 1; c < k; c++) {
    const v = data[off + c]!;
    if (v !== v) return c;
    if (v > bv) {
      bv = v;
      best = c;
    }
  }
  return best;
}

/** Multi-output `predict`: per row and output, the index into `classes` of that output's most probable class ([n, outputs]). */
export function perOutputArgmax(proba: Float64Array, n: number, outputs: readonly number[]): KernelOut {
  const K = proba.length / n;
  const S = outputs.length;
  const idx = new Float64Array(n * S);
  for (let i = 0; i < n; i++) {
    for (let q = 0, c0 = 0; q < S; c0 += outputs[q]!, q++) idx[i * S + q] = c0 + argmaxAt(proba, i * K + c0, outputs[q]!);
  }
  return { shape: [n, S], data: idx };
}
