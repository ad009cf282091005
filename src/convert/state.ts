/**
 * `State`: an estimator's BUILD dict read by attribute name, with the graph path carried for errors
 * (STYLE.md "parse at the boundary": every field is checked for type and shape where it is read).
 */
import { MvError } from '../core/index.js';
import {
  arrayF64, arrayItems, className, dictLookup, isArray, scalarNumber, scalarString, seqItems, stateDict, typeName,
  type F64Array, type PyDict, type PyValue,
} from './py.js';

export type Path = readonly (string | number)[];
export type Label = string | number | boolean;

export class State {
  private constructor(
    readonly node: PyValue,
    readonly cls: string,
    readonly dict: PyDict,
    readonly path: Path,
  ) {}

  /** Reads an instance with dict state; anything else is CONVERT_STATE_INVALID at `path`. */
  static of(v: PyValue | undefined, path: Path): State {
    const cls = className(v);
    const d = stateDict(v);
    if (!cls || !d || v === undefined) throw stateError(`expected a fitted estimator, got ${typeName(v)}`, path);
    return new State(v, cls, d, path);
  }

  /** `_sklearn_version` recorded by BaseEstimator.__getstate__, when present. */
  get sklearnVersion(): string | undefined {
    return scalarString(this.raw('_sklearn_version'));
  }

  /** Short class name (qualname without module). */
  get shortName(): string {
    return this.cls.slice(this.cls.lastIndexOf('.') + 1);
  }

  raw(name: string): PyValue | undefined {
    return dictLookup(this.dict, name);
  }

  /** Present and not None. */
  has(name: string): boolean {
    const v = this.raw(name);
    return v !== undefined && v !== null;
  }

  at(name: string | number): Path {
    return [...this.path, name];
  }

  fail(message: string, field?: string): never {
    throw stateError(message, field === undefined ? this.path : this.at(field));
  }

  unsupported(message: string, field?: string): never {
    throw new MvError('CONVERT_UNSUPPORTED', `${this.shortName}: ${message}`, { path: field === undefined ? this.path : this.at(field) });
  }

  req(name: string): PyValue {
    const v = this.raw(name);
    if (v === undefined) this.fail(`${this.shortName} state has no field ${name}`, name);
    return v;
  }

  num(name: string): number {
    const n = scalarNumber(this.req(name));
    if (n === undefined) this.fail(`${name} must be a number, got ${typeName(this.raw(name))}`, name);
    return n;
  }

  optNum(name: string): number | undefined {
    return this.has(name) ? this.num(name) : undefined;
  }

  int(name: string): number {
    const n = this.num(name);
    if (!Number.isSafeInteger(n)) this.fail(`${name} must be an integer, got ${n}`, name);
    return n;
  }

  str(name: string): string {
    const s = scalarString(this.req(name));
    if (s === undefined) this.fail(`${name} must be a string, got ${typeName(this.raw(name))}`, name);
    return s;
  }

  optStr(name: string): string | undefined {
    const v = this.raw(name);
    return typeof v === 'string' ? v : scalarString(v);
  }

  bool(name: string, dflt?: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v === 'boolean') return v;
    const n = scalarNumber(v);
    if (n === 0 || n === 1) return n === 1;
    return this.fail(`${name} must be a bool, got ${typeName(v)}`, name);
  }

  /** A numeric array (or scalar, shape []) as float64 in C order. */
  f64(name: string): F64Array {
    const v = this.req(name);
    if (isArray(v)) {
      try {
        return arrayF64(v);
      } catch (e) {
        if (e instanceof MvError) this.fail(`${name}: ${e.message}`, name);
        throw e;
      }
    }
    const n = scalarNumber(v);
    if (n !== undefined) return { data: Float64Array.of(n), shape: [] };
    const items = seqItems(v);
    if (items) {
      const data = new Float64Array(items.length);
      items.forEach((x, i) => {
        const k = scalarNumber(x);
        if (k === undefined) this.fail(`${name}[${i}] must be a number`, name);
        data[i] = k;
      });
      return { data, shape: [items.length] };
    }
    return this.fail(`${name} must be a numeric array, got ${typeName(v)}`, name);
  }

  /** A numeric vector: any array whose shape has one non-unit dimension, or a scalar. */
  vec(name: string, len?: number): Float64Array {
    const a = this.f64(name);
    if (a.shape.filter((d) => d !== 1).length > 1) this.fail(`${name} must be a vector, got shape ${JSON.stringify(a.shape)}`, name);
    if (len !== undefined && a.data.length !== len) this.fail(`${name} must have ${len} elements, got ${a.data.length}`, name);
    return a.data;
  }

  optVec(name: string, len?: number): Float64Array | undefined {
    return this.has(name) ? this.vec(name, len) : undefined;
  }

  /** A 2-D numeric matrix (a vector counts as one row). */
  mat(name: string): { data: Float64Array; rows: number; cols: number } {
    const a = this.f64(name);
    if (a.shape.length === 2) return { data: a.data, rows: a.shape[0]!, cols: a.shape[1]! };
    if (a.shape.length === 1) return { data: a.data, rows: 1, cols: a.shape[0]! };
    return this.fail(`${name} must be a matrix, got shape ${JSON.stringify(a.shape)}`, name);
  }

  /** Elements of a list, tuple or (object) array. */
  items(name: string): PyValue[] {
    return itemsOf(this.req(name), this.at(name));
  }

  /** A nested estimator. */
  child(name: string): State {
    return State.of(this.req(name), this.at(name));
  }

  /** Class labels (`classes_`): ints, floats, bools or strings. */
  labels(name = 'classes_'): Label[] {
    return labelsOf(this.req(name), this.at(name));
  }
}

export function stateError(message: string, path: Path): MvError {
  return new MvError('CONVERT_STATE_INVALID', message, { path: path.map(String) });
}

export function itemsOf(v: PyValue | undefined, path: Path): PyValue[] {
  const s = seqItems(v);
  if (s) return s;
  if (isArray(v)) {
    try {
      return arrayItems(v);
    } catch (e) {
      if (e instanceof MvError) throw stateError(e.message, path);
      throw e;
    }
  }
  throw stateError(`expected a sequence, got ${typeName(v)}`, path);
}

export function labelsOf(v: PyValue | undefined, path: Path): Label[] {
  return itemsOf(v, path).map((x, i) => {
    if (typeof x === 'string' || typeof x === 'boolean') return x;
    const s = scalarString(x);
    if (s !== undefined) return s;
    if (x && typeof x === 'object' && x.kind === 'npscalar' && x.dtype.char === 'b') return scalarNumber(x) === 1;
    const n = scalarNumber(x);
    if (n === undefined) throw stateError(`class label ${i} is a ${typeName(x)}`, path);
    return n;
  });
}
