/**
 * Feature selectors and the standalone MissingIndicator: transforms that only pick or flag columns.
 * The support mask is recomputed exactly as scikit-learn's `_get_support_mask` (1.2) does.
 */
import { featureCount, featureNamesIn, nFeaturesIn, requireFitted, type Ctx, type Mapped, type State } from './common.js';
import { scalarNumber } from '../py.js';
import { itemsOf } from '../state.js';

function selectOf(s: State, mask: readonly boolean[]): Mapped {
  const columns = mask.flatMap((m, j) => (m ? [j] : []));
  if (columns.length === 0) s.unsupported('a selector that keeps no feature');
  return { op: { kind: 'column-select', name: s.shortName, columns }, role: 'transformer', nIn: mask.length, nOut: columns.length, methods: ['transform'], featureNames: featureNamesIn(s) };
}

/** VarianceThreshold: variances_ > threshold. */
export function mapVarianceThreshold(s: State, _ctx: Ctx): Mapped {
  requireFitted(s, 'variances_');
  const t = s.num('threshold');
  return selectOf(s, Array.from(s.vec('variances_'), (v) => v > t));
}

/**
 * SelectKBest: NaN scores become the smallest float, then the last k of a stable ascending
 * argsort (numpy mergesort) are kept; k = 'all' keeps everything.
 */
export function mapSelectKBest(s: State, _ctx: Ctx): Mapped {
  requireFitted(s, 'scores_');
  const scores = Array.from(s.vec('scores_'), (v) => (Number.isNaN(v) ? -Number.MAX_VALUE : v));
  const kRaw = s.raw('k');
  if (kRaw === 'all') return selectOf(s, scores.map(() => true));
  const k = s.int('k');
  if (k < 0 || k > scores.length) s.fail(`k = ${k} for ${scores.length} features`, 'k');
  const order = scores.map((v, j) => [v, j] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, j]) => j);
  const mask = scores.map(() => false);
  for (const j of order.slice(order.length - k)) mask[j] = true;
  if (k === 0) s.unsupported('SelectKBest with k=0');
  return selectOf(s, mask);
}

/** RFE / RFECV used as a transformer: the stored support_ mask (the wrapped estimator_ is not used). */
export function mapRfe(s: State, ctx: Ctx): Mapped {
  requireFitted(s, 'support_');
  ctx.notes.push(`${s.shortName}: converted as a transformer (support_ mask); its estimator_'s predict is not offered`);
  return selectOf(s, itemsOf(s.req('support_'), s.at('support_')).map((v) => v === true || scalarNumber(v) === 1));
}

/** MissingIndicator on its own: one 0/1 column per features_ entry (an impute op that keeps nothing). */
export function mapMissingIndicator(s: State, ctx: Ctx): Mapped {
  requireFitted(s, 'features_');
  const n = nFeaturesIn(s) ?? featureCount(s, '_n_features');
  const features = itemsOf(s.req('features_'), s.at('features_')).map((x, i) => {
    const k = scalarNumber(x);
    if (k === undefined || !Number.isInteger(k) || k < 0 || k >= n) return s.fail(`features_[${i}] is not a feature index`, 'features_');
    return k;
  });
  const mv = s.raw('missing_values');
  const nan = mv === undefined || (typeof mv === 'object' && mv !== null && mv.kind === 'float' && Number.isNaN(mv.value));
  if (!nan) s.unsupported('MissingIndicator with missing_values other than NaN');
  const op = {
    kind: 'impute' as const,
    name: s.shortName,
    n_features: n,
    missing: { kind: 'nan' as const },
    statistics: ctx.tb.add(ctx.tb.fresh([...s.path.map(String), 'statistics'].join('.') || 'statistics'), 'F64', [n], new Float64Array(n).fill(NaN)),
    keep: [],
    indicator: features,
  };
  return { op, role: 'transformer', nIn: n, nOut: features.length, methods: ['transform'], featureNames: featureNamesIn(s) };
}
