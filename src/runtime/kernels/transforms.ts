import { MvError, assertNever } from '../../core/index.js';
import type { BinarizeOp, Categories, ImputeOp, NormalizeOp, OneHotOp, Op, OrdinalOp, PcaOp, PolynomialOp, ScaleOp } from '../ir.js';
import { f64, i32, type Tensors, type TransformKernel } from './common.js';
import { checkFinite, type Frame } from './frame.js';

/**
 * Transform kernels (formats.md §4.7). Each takes a Frame and returns a new one; text columns are
 * only read by impute / one-hot / ordinal and carried by column-select / concat.
 */
const at = (f: Frame, j: number): string => (f.names?.[j] !== undefined ? ` (feature ${JSON.stringify(f.names[j])})` : '');

/** A scale operator's parameters (absent steps null; no clip = ±Infinity), as the kernels read them. */
export interface ScaleStep {
  readonly sub: Float64Array | null;
  readonly mul: Float64Array | null;
  readonly div: Float64Array | null;
  readonly add: Float64Array | null;
  readonly clip: boolean;
  readonly lo: number;
  readonly hi: number;
}

export function scaleStep(op: ScaleOp, t: Tensors): ScaleStep {
  return {
    sub: op.sub ? f64(t, op.sub) : null,
    mul: op.mul ? f64(t, op.mul) : null,
    div: op.div ? f64(t, op.div) : null,
    add: op.add ? f64(t, op.add) : null,
    clip: Boolean(op.clip),
    lo: op.clip ? op.clip[0] : -Infinity,
    hi: op.clip ? op.clip[1] : Infinity,
  };
}

function compileScale(op: ScaleOp, t: Tensors): TransformKernel {
  const F = op.n_features;
  const { sub, mul, div, add, clip, lo, hi } = scaleStep(op, t);
  return {
    finite: 'allow-nan',
    run(f) {
      const n = f.rows;
      const x = f.data;
      const out = new Float64Array(n * F);
      // sklearn's order (X -= mean; X /= scale; …), one rounded operation per step: fusing the steps
      // into one expression per element rounds exactly as separate passes (JS never contracts to FMA)
      if (sub && div && !mul && !add) {
        for (let i = 0, o = 0; i < n; i++) for (let j = 0; j < F; j++, o++) out[o] = (x[o]! - sub[j]!) / div[j]!;
      } else {
        for (let i = 0, o = 0; i < n; i++) {
          for (let j = 0; j < F; j++, o++) {
            let v = x[o]!;
            if (sub) v -= sub[j]!;
            if (mul) v *= mul[j]!;
            if (div) v /= div[j]!;
            if (add) v += add[j]!;
            out[o] = v;
          }
        }
      }
      if (clip) for (let o = 0; o < out.length; o++) out[o] = out[o]! < lo ? lo : out[o]! > hi ? hi : out[o]!;
      return { rows: f.rows, cols: F, data: out, ...(f.names ? { names: f.names } : {}) };
    },
  };
}

function compileImpute(op: ImputeOp, t: Tensors): TransformKernel {
  const stats = f64(t, op.statistics);
  const m = op.missing;
  const isMissingNum = (v: number): boolean => (m.kind === 'nan' ? v !== v : m.kind === 'number' ? v === m.value : false);
  const isMissingText = (v: string | null): boolean => (m.kind === 'string' ? v === m.value : v === null);
  const outCols = op.keep.length + op.indicator.length;
  return {
    // SimpleImputer: force_all_finite = 'allow-nan' only when missing_values is NaN
    finite: m.kind === 'nan' ? 'allow-nan' : m.kind === 'number' ? 'finite' : 'allow-nan',
    run(f) {
      const n = f.rows;
      const out = new Float64Array(n * outCols);
      const text: ((string | null)[] | undefined)[] = new Array<(string | null)[] | undefined>(outCols).fill(undefined);
      op.keep.forEach((j, o) => {
        const tc = f.text?.[j];
        if (tc) {
          const fill = op.text_statistics![j]!;
          text[o] = tc.map((v) => (isMissingText(v) ? fill : v));
          for (let i = 0; i < n; i++) out[i * outCols + o] = NaN;
          return;
        }
        for (let i = 0; i < n; i++) {
          const v = f.data[i * f.cols + j]!;
          out[i * outCols + o] = isMissingNum(v) ? stats[j]! : v;
        }
      });
      op.indicator.forEach((j, q) => {
        const o = op.keep.length + q;
        const tc = f.text?.[j];
        for (let i = 0; i < n; i++) out[i * outCols + o] = (tc ? isMissingText(tc[i]!) : isMissingNum(f.data[i * f.cols + j]!)) ? 1 : 0;
      });
      const names = f.names ? op.keep.map((j) => f.names![j]!) : undefined;
      return { rows: n, cols: outCols, data: out, ...(text.some(Boolean) ? { text } : {}), ...(names && op.indicator.length === 0 ? { names } : {}) };
    },
  };
}

/** A lookup from a value to its category index (NaN-aware for numbers). */
interface CatIndex {
  readonly size: number;
  readonly nanIndex: number;
  lookupNum(v: number): number;
  lookupText(v: string | null): number;
}

function catIndex(c: Categories, t: Tensors): CatIndex {
  if (c.kind === 'string') {
    const m = new Map(c.values.map((v, i) => [v, i] as const));
    return { size: c.values.length, nanIndex: -1, lookupNum: () => -1, lookupText: (v) => (v === null ? -1 : (m.get(v) ?? -1)) };
  }
  const vals = f64(t, c.values);
  const m = new Map<number, number>();
  let nanIndex = -1;
  vals.forEach((v, i) => {
    if (v !== v) nanIndex = i;
    else if (!m.has(v)) m.set(v, i);
  });
  return { size: vals.length, nanIndex, lookupNum: (v) => (v !== v ? nanIndex : (m.get(v) ?? -1)), lookupText: () => -1 };
}

const unknown = (f: Frame, i: number, j: number, v: unknown, what: string): never => {
  throw new MvError('INPUT_INVALID', `row ${i}, column ${j}${at(f, j)}: unknown category ${JSON.stringify(v)} (${what} was fitted without it and handle_unknown='error')`, {
    path: ['input', i, j],
  });
};

function compileOneHot(op: OneHotOp, t: Tensors): TransformKernel {
  const idx = op.categories.map((c) => catIndex(c, t));
  const offsets: number[] = [];
  let width = 0;
  idx.forEach((c, j) => {
    offsets.push(width);
    width += c.size - (op.drop[j] === null || op.drop[j] === undefined ? 0 : 1);
  });
  return {
    finite: 'allow-nan',
    run(f) {
      const n = f.rows;
      const out = new Float64Array(n * width);
      for (let j = 0; j < idx.length; j++) {
        const c = idx[j]!;
        const tc = f.text?.[j];
        const d = op.drop[j];
        for (let i = 0; i < n; i++) {
          const k = tc ? c.lookupText(tc[i]!) : c.lookupNum(f.data[i * f.cols + j]!);
          if (k < 0) {
            if (op.handle_unknown === 'error') unknown(f, i, j, tc ? tc[i] : f.data[i * f.cols + j], 'OneHotEncoder');
            continue;
          }
          if (d !== null && d !== undefined) {
            if (k === d) continue;
            out[i * width + offsets[j]! + (k > d ? k - 1 : k)] = 1;
          } else out[i * width + offsets[j]! + k] = 1;
        }
      }
      return { rows: n, cols: width, data: out };
    },
  };
}

function compileOrdinal(op: OrdinalOp, t: Tensors): TransformKernel {
  const idx = op.categories.map((c) => catIndex(c, t));
  const missingOut = op.encoded_missing_value === 'nan' ? NaN : op.encoded_missing_value;
  return {
    finite: 'allow-nan',
    run(f) {
      const n = f.rows;
      const F = idx.length;
      const out = new Float64Array(n * F);
      for (let j = 0; j < F; j++) {
        const c = idx[j]!;
        const tc = f.text?.[j];
        for (let i = 0; i < n; i++) {
          const raw = tc ? tc[i]! : f.data[i * f.cols + j]!;
          const isMissing = tc ? raw === null : raw !== raw;
          const k = tc ? c.lookupText(raw as string | null) : c.lookupNum(raw as number);
          let v: number;
          // sklearn ≥ 1.1: a missing value seen at fit (NaN among categories_) encodes to encoded_missing_value
          if (isMissing && (k >= 0 || c.nanIndex >= 0)) v = missingOut;
          else if (k >= 0) v = k;
          else if (op.unknown_value === null) return unknown(f, i, j, raw, 'OrdinalEncoder');
          else v = op.unknown_value === 'nan' ? NaN : op.unknown_value;
          out[i * F + j] = v;
        }
      }
      return { rows: n, cols: F, data: out };
    },
  };
}

function compilePolynomial(op: PolynomialOp, t: Tensors): TransformKernel {
  const powers = i32(t, op.powers);
  const O = op.powers.shape[0]!;
  const F = op.n_features;
  return {
    finite: 'finite',
    run(f) {
      const n = f.rows;
      const out = new Float64Array(n * O);
      for (let i = 0; i < n; i++) {
        for (let o = 0; o < O; o++) {
          let prod = 1;
          let first = true;
          for (let j = 0; j < F; j++) {
            for (let r = powers[o * F + j]!; r > 0; r--) {
              prod = first ? f.data[i * F + j]! : prod * f.data[i * F + j]!;
              first = false;
            }
          }
          out[i * O + o] = prod;
        }
      }
      return { rows: n, cols: O, data: out };
    },
  };
}

function compilePca(op: PcaOp, t: Tensors): TransformKernel {
  const mean = f64(t, op.mean);
  const comp = f64(t, op.components);
  const K = op.components.shape[0]!;
  const F = op.components.shape[1]!;
  const scale = op.whiten && op.explained_variance ? Float64Array.from(f64(t, op.explained_variance), Math.sqrt) : null;
  return {
    finite: 'finite',
    run(f) {
      const n = f.rows;
      const out = new Float64Array(n * K);
      const c = new Float64Array(F);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < F; j++) c[j] = f.data[i * F + j]! - mean[j]!;
        for (let k = 0; k < K; k++) {
          let s = 0;
          for (let j = 0; j < F; j++) s += c[j]! * comp[k * F + j]!;
          out[i * K + k] = scale ? s / scale[k]! : s;
        }
      }
      return { rows: n, cols: K, data: out };
    },
  };
}

/** Largest norm sklearn `_handle_zeros_in_scale` replaces by 1 (10 · float64 epsilon). */
const ZERO_NORM = 10 * Number.EPSILON;

function compileNormalize(op: NormalizeOp): TransformKernel {
  const F = op.n_features;
  return {
    finite: 'finite',
    run(f) {
      const n = f.rows;
      const out = new Float64Array(n * F);
      for (let i = 0; i < n; i++) {
        const o = i * F;
        let s = 0;
        for (let j = 0; j < F; j++) {
          const v = f.data[o + j]!;
          if (op.norm === 'l2') s += v * v;
          else if (op.norm === 'l1') s += Math.abs(v);
          else if (Math.abs(v) > s) s = Math.abs(v);
        }
        let d = op.norm === 'l2' ? Math.sqrt(s) : s;
        if (d < ZERO_NORM) d = 1;
        for (let j = 0; j < F; j++) out[o + j] = f.data[o + j]! / d;
      }
      return { rows: n, cols: F, data: out };
    },
  };
}

function compileBinarize(op: BinarizeOp): TransformKernel {
  return {
    finite: 'finite',
    run: (f) => ({ rows: f.rows, cols: f.cols, data: f.data.map((v) => (v > op.threshold ? 1 : 0)) }),
  };
}

function selectColumns(f: Frame, cols: readonly number[]): Frame {
  const n = f.rows;
  const W = cols.length;
  const out = new Float64Array(n * W);
  for (let i = 0; i < n; i++) for (let o = 0; o < W; o++) out[i * W + o] = f.data[i * f.cols + cols[o]!]!;
  const text = f.text ? cols.map((j) => f.text![j]) : undefined;
  const names = f.names ? cols.map((j) => f.names![j]!) : undefined;
  return { rows: n, cols: W, data: out, ...(text?.some(Boolean) ? { text } : {}), ...(names ? { names } : {}) };
}

function concatFrames(frames: readonly Frame[], rows: number): Frame {
  const W = frames.reduce((a, f) => a + f.cols, 0);
  const out = new Float64Array(rows * W);
  const text: ((readonly (string | null)[]) | undefined)[] = [];
  let off = 0;
  for (const f of frames) {
    for (let i = 0; i < rows; i++) out.set(f.data.subarray(i * f.cols, (i + 1) * f.cols), i * W + off);
    for (let j = 0; j < f.cols; j++) text.push(f.text?.[j]);
    off += f.cols;
  }
  return { rows, cols: W, data: out, ...(text.some(Boolean) ? { text } : {}) };
}

/** Wraps a kernel so its input is checked against its finiteness policy first. */
export function guarded(k: TransformKernel, where: string, numericOnly: boolean): TransformKernel {
  return {
    finite: k.finite,
    run(f) {
      if (numericOnly || k.finite !== 'any') {
        if (numericOnly) checkFinite(f, k.finite, where);
        else checkFiniteNumeric(f, k.finite, where);
      }
      return k.run(f);
    },
  };
}

/** Like checkFinite but skips text columns (for operators that take text). */
function checkFiniteNumeric(f: Frame, policy: 'finite' | 'allow-nan' | 'any', where: string): void {
  if (policy === 'any') return;
  for (let i = 0; i < f.rows; i++) {
    for (let j = 0; j < f.cols; j++) {
      if (f.text?.[j]) continue;
      const v = f.data[i * f.cols + j]!;
      if (v - v === 0 || (policy === 'allow-nan' && v !== v)) continue;
      throw new MvError('INPUT_INVALID', `row ${i}, column ${j}${at(f, j)}: ${where} cannot take ${v !== v ? 'a missing value (NaN)' : String(v)}`, { path: ['input', i, j] });
    }
  }
}

/** Compiles a transform operator (recursively for pipeline / concat). */
export function compileTransform(op: Op, t: Tensors, where: string): TransformKernel {
  switch (op.kind) {
    case 'identity':
      return { finite: 'any', run: (f) => f };
    case 'scale':
      return guarded(compileScale(op, t), where, true);
    case 'impute':
      return guarded(compileImpute(op, t), where, false);
    case 'one-hot':
      return guarded(compileOneHot(op, t), where, false);
    case 'ordinal':
      return guarded(compileOrdinal(op, t), where, false);
    case 'polynomial':
      return guarded(compilePolynomial(op, t), where, true);
    case 'pca':
      return guarded(compilePca(op, t), where, true);
    case 'normalize':
      return guarded(compileNormalize(op), where, true);
    case 'binarize':
      return guarded(compileBinarize(op), where, true);
    case 'column-select':
      return { finite: 'any', run: (f) => selectColumns(f, op.columns) };
    case 'concat': {
      const parts = op.parts.map((p, i) => compileTransform(p, t, `${where} > parts[${i}] (${p.kind})`));
      return { finite: 'any', run: (f) => concatFrames(parts.map((p) => p.run(f)), f.rows) };
    }
    case 'pipeline': {
      const steps = op.steps.map((s, i) => compileTransform(s, t, `${where} > steps[${i}] (${s.kind})`));
      return { finite: 'any', run: (f) => steps.reduce((acc, s) => s.run(acc), f) };
    }
    case 'linear':
    case 'tree-ensemble':
    case 'svm':
    case 'knn':
    case 'gaussian-nb':
    case 'mlp':
    case 'multi-output':
    case 'vote':
      throw new MvError('ARTIFACT_INVALID', `${op.kind} used as a transform`);
    default:
      return assertNever(op, 'operator');
  }
}
