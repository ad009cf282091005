import { readFileSync, readdirSync } from 'node:fs';
import { expect } from 'vitest';
import { DEFAULT_LIMITS, MvError, sha256Hex } from '../../src/core/index.js';
import { convertFile } from '../../src/convert/index.js';
import { decompress, detectCompression } from '../../src/formats/compress/index.js';
import { parsePickle, type PyValue } from '../../src/formats/pickle/index.js';
import { parseSafetensors, writeSafetensors } from '../../src/formats/safetensors/index.js';
import { decodeArtifact } from '../../src/runtime/index.js';

export const SKLEARN_DIR = new URL('../fixtures/sklearn/', import.meta.url).pathname;

export interface Expected {
  name: string;
  file: string;
  estimator: string;
  compress: string | null;
  protocol: number;
  missing_values: boolean;
  feature_names: string[] | null;
  input: (number | string | null)[][];
  classes: (number | string | boolean)[] | null;
  /** Multi-output classifiers: the class count of each output (`classes` lists them in turn). */
  n_classes?: number[];
  /** scikit-learn's get_feature_names_out() for transformers. */
  feature_names_out?: string[] | null;
  outputs: Partial<Record<'predict' | 'predict_proba' | 'decision_function' | 'transform', unknown[]>>;
}

export function listExpected(sub = ''): Expected[] {
  const dir = SKLEARN_DIR + sub;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.expected.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(dir + f, 'utf8')) as Expected);
}

/** Reads a fixture, decompresses it and parses the pickle (joblib profile). */
export async function loadGraph(file: string, sub = ''): Promise<{ value: PyValue; bytes: Uint8Array; sha256: string }> {
  const raw = new Uint8Array(readFileSync(SKLEARN_DIR + sub + file));
  const kind = detectCompression(raw.subarray(0, 32));
  const bytes = kind ? await decompress(kind, raw, DEFAULT_LIMITS) : raw;
  const r = parsePickle(bytes, { profile: 'joblib' });
  if (r.error) throw r.error;
  return { value: r.value!, bytes, sha256: sha256Hex(raw) };
}

const TOL = 1e-9;
function flat(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}
function shapeOf(v: unknown): number[] {
  return Array.isArray(v) ? [v.length, ...(v.length ? shapeOf(v[0]) : [])] : [];
}

/** Compares a runtime prediction with scikit-learn's output: labels exactly, numbers within `tol` (relative above 1). */
export function compare(e: Expected, method: string, got: { shape: readonly number[]; data: ArrayLike<unknown> }, want: unknown, tol = TOL): void {
  expect([...got.shape], `${e.name} ${method} shape`).toEqual(shapeOf(want));
  const w = flat(want);
  const g = Array.from(got.data as ArrayLike<unknown>);
  expect(g.length).toBe(w.length);
  for (let i = 0; i < w.length; i++) {
    const a = g[i];
    const b = w[i];
    if (typeof b === 'number' && typeof a === 'number') {
      const err = Math.abs(a - b);
      if (!(err <= tol * Math.max(1, Math.abs(b)))) {
        expect.fail(`${e.name} ${method}[${i}]: got ${a}, sklearn ${b} (|Δ| = ${err})`);
      }
    } else if (typeof b === 'boolean' && typeof a === 'number') {
      expect(a, `${e.name} ${method}[${i}] (bool as 0/1)`).toBe(b ? 1 : 0);
    } else if (b === null) {
      expect(Number.isNaN(a as number), `${e.name} ${method}[${i}] NaN`).toBe(true);
    } else {
      expect(a, `${e.name} ${method}[${i}]`).toEqual(b);
    }
  }
}

/** A fixture converted to an artifact. */
export const converted = async (name: string): Promise<Uint8Array> =>
  (await convertFile(new Uint8Array(readFileSync(`${SKLEARN_DIR}${name}.joblib`)), { sourceSha256: '0'.repeat(64), created: '2026-01-01T00:00:00Z' })).bytes;
export type Desc = { output: Record<string, unknown>; graph: Record<string, unknown> & { estimators?: unknown[] } };
/** An artifact with its description edited (tensors unchanged). */
export function edited(bytes: Uint8Array, edit: (d: Desc) => void): Uint8Array {
  const f = parseSafetensors(bytes);
  const d = JSON.parse(f.metadata!.model!) as Desc;
  edit(d);
  const tensors = new Map(f.tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape, data: f.read(t.name) }]));
  return writeSafetensors(tensors, { format: 'modelvault/1', model: JSON.stringify(d) });
}
/** decodeArtifact refuses `bytes` with ARTIFACT_INVALID and a message matching `message`. */
export function expectRefused(bytes: Uint8Array, message: RegExp): void {
  try {
    decodeArtifact(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(MvError);
    expect((e as MvError).code).toBe('ARTIFACT_INVALID');
    expect((e as MvError).message).toMatch(message);
    return;
  }
  expect.fail('decoded');
}
