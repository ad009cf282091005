/**
 * OneHotEncoder and OrdinalEncoder (formats.md §4.7). `categories_` arrays are numeric (a tensor)
 * or text (inline strings); ≤ 1.1 `sparse` and ≥ 1.2 `sparse_output` only choose the output
 * container, the artifact always computes dense rows.
 */
import type { Categories } from '../../runtime/index.js';
import { arrayF64, isArray, isNumericDtype, scalarNumber, scalarString } from '../py.js';
import { addTensor, featureNamesIn, nFeaturesIn, requireFitted, type Ctx, type Mapped, type State } from './common.js';

function categoriesOf(s: State, ctx: Ctx): Categories[] {
  requireFitted(s, 'categories_');
  const cats = s.items('categories_');
  const n = nFeaturesIn(s);
  if (n !== undefined && cats.length !== n) s.fail(`categories_ has ${cats.length} entries for ${n} features`, 'categories_');
  return cats.map((c, j): Categories => {
    if (!isArray(c)) return s.fail(`categories_[${j}] must be an array`, 'categories_');
    if (c.data && isNumericDtype(c.dtype)) {
      const v = arrayF64(c).data;
      return { kind: 'number', values: addTensor(ctx, s, `categories.${j}`, 'F64', [v.length], v) };
    }
    const items = c.items;
    if (!items) return s.unsupported(`categories_[${j}] of dtype ${c.dtype.str}`, 'categories_');
    const strs = items.map((x) => scalarString(x));
    if (strs.every((x) => x !== undefined)) return { kind: 'string', values: strs as string[] };
    const nums = items.map((x) => scalarNumber(x));
    if (nums.every((x) => x !== undefined)) {
      return { kind: 'number', values: addTensor(ctx, s, `categories.${j}`, 'F64', [nums.length], nums as number[]) };
    }
    return s.unsupported(`categories_[${j}] mixes strings with other values (e.g. None)`, 'categories_');
  });
}

function catCount(c: Categories): number {
  return c.kind === 'string' ? c.values.length : c.values.shape[0]!;
}

function noInfrequent(s: State): void {
  if (s.bool('_infrequent_enabled', false)) s.unsupported('infrequent categories (min_frequency / max_categories)', '_infrequent_enabled');
}

export function mapOneHotEncoder(s: State, ctx: Ctx): Mapped {
  noInfrequent(s);
  const categories = categoriesOf(s, ctx);
  const hu = s.optStr('handle_unknown') ?? 'error';
  if (hu !== 'error' && hu !== 'ignore' && hu !== 'infrequent_if_exist') s.unsupported(`handle_unknown=${hu}`, 'handle_unknown');
  const drop: (number | null)[] = categories.map(() => null);
  if (s.has('drop_idx_')) {
    const d = s.items('drop_idx_');
    if (d.length !== categories.length) s.fail(`drop_idx_ has ${d.length} entries for ${categories.length} features`, 'drop_idx_');
    d.forEach((x, j) => {
      if (x === null) return;
      const k = scalarNumber(x);
      if (k === undefined || !Number.isInteger(k) || k < 0 || k >= catCount(categories[j]!)) s.fail(`drop_idx_[${j}] is not a category index`, 'drop_idx_');
      drop[j] = k;
    });
  }
  const nOut = categories.reduce((a, c, j) => a + catCount(c) - (drop[j] === null ? 0 : 1), 0);
  const op = {
    kind: 'one-hot' as const,
    name: s.shortName,
    categories,
    drop,
    // 'infrequent_if_exist' without infrequent categories behaves as 'ignore'.
    handle_unknown: hu === 'error' ? ('error' as const) : ('ignore' as const),
  };
  return { op, role: 'transformer', nIn: categories.length, nOut, methods: ['transform'], featureNames: featureNamesIn(s) };
}

function nanOr(v: number | undefined): number | 'nan' | undefined {
  return v === undefined ? undefined : Number.isNaN(v) ? 'nan' : v;
}

export function mapOrdinalEncoder(s: State, ctx: Ctx): Mapped {
  noInfrequent(s);
  const categories = categoriesOf(s, ctx);
  const hu = s.optStr('handle_unknown') ?? 'error';
  let unknown: number | 'nan' | null = null;
  if (hu === 'use_encoded_value') {
    unknown = nanOr(scalarNumber(s.req('unknown_value'))) ?? s.fail('unknown_value must be a number', 'unknown_value');
  } else if (hu !== 'error') {
    s.unsupported(`handle_unknown=${hu}`, 'handle_unknown');
  }
  const emv = s.raw('encoded_missing_value');
  const encodedMissing = emv === undefined ? 'nan' : (nanOr(scalarNumber(emv)) ?? s.fail('encoded_missing_value must be a number', 'encoded_missing_value'));
  const op = {
    kind: 'ordinal' as const,
    name: s.shortName,
    categories,
    unknown_value: unknown,
    encoded_missing_value: encodedMissing,
  };
  return { op, role: 'transformer', nIn: categories.length, nOut: categories.length, methods: ['transform'], featureNames: featureNamesIn(s) };
}
