/**
 * KNeighbors{Classifier,Regressor} (formats.md §4.8): brute force over `_fit_X` (the KD/Ball tree in
 * `_tree` only accelerates the same search and is ignored).
 */
import { outputOffsets } from '../../runtime/index.js';
import { dictLookup, isDict, scalarNumber } from '../py.js';
import { labelsOf } from '../state.js';
import { addTensor, CLASSIFIER_METHODS, featureNamesIn, requireFitted, type Ctx, type Mapped, type State } from './common.js';

/** `effective_metric_` → Minkowski p. */
const METRIC_P: Readonly<Record<string, number | 'param'>> = {
  euclidean: 2, l2: 2, manhattan: 1, cityblock: 1, l1: 1, minkowski: 'param',
};

function minkowskiP(s: State): number {
  const m = s.optStr('effective_metric_') ?? s.optStr('metric');
  if (m === undefined) return s.unsupported('a callable or missing metric', 'effective_metric_');
  const row = METRIC_P[m];
  if (row === undefined) return s.unsupported(`metric=${JSON.stringify(m)}`, 'effective_metric_');
  if (row !== 'param') return row;
  const params = s.raw('effective_metric_params_');
  const p = (isDict(params) ? scalarNumber(dictLookup(params, 'p')) : undefined) ?? s.optNum('p') ?? 2;
  if (!(Number.isFinite(p) && p >= 1)) s.unsupported(`minkowski p=${p}`, 'p');
  const w = isDict(params) ? dictLookup(params, 'w') : undefined;
  if (w !== undefined && w !== null) s.unsupported('weighted minkowski (w=…)', 'effective_metric_params_');
  return p;
}

function mapKnn(s: State, ctx: Ctx, task: 'classifier' | 'regressor'): Mapped {
  requireFitted(s, '_fit_X');
  const weights = s.raw('weights') ?? 'uniform';
  if (weights !== 'uniform' && weights !== 'distance') s.unsupported('a callable weights function', 'weights');
  const p = minkowskiP(s);
  const fitX = s.mat('_fit_X');
  const k = s.int('n_neighbors');
  if (!(k >= 1 && k <= fitX.rows)) s.fail(`n_neighbors ${k} for ${fitX.rows} training samples`, 'n_neighbors');
  const y = s.f64('_y');
  if (y.shape[0] !== fitX.rows) s.fail(`_y has ${y.shape[0]} rows for ${fitX.rows} samples`, '_y');
  const nOutputs = y.shape.length === 2 ? y.shape[1]! : 1;
  if (task === 'classifier') {
    // fitted on a 2-D y (outputs_2d_): classes_ is one list per output and _y [n, outputs] indexes each;
    // the artifact lists the outputs' classes in turn, and y holds indices into that whole list
    const multi = s.bool('outputs_2d_', false) || nOutputs !== 1;
    const lists = multi ? s.items('classes_').map((c, o) => labelsOf(c, s.at(`classes_[${o}]`))) : [s.labels()];
    if (lists.length !== nOutputs) s.fail(`classes_ has ${lists.length} lists for ${nOutputs} outputs`, 'classes_');
    const offsets = outputOffsets(lists.map((l) => l.length));
    const yGlobal = new Float64Array(y.data.length);
    for (let i = 0; i < y.data.length; i++) {
      const c = y.data[i]!;
      const o = i % nOutputs;
      if (!(Number.isInteger(c) && c >= 0 && c < lists[o]!.length)) s.fail(`_y holds class index ${c}`, '_y');
      yGlobal[i] = offsets[o]! + c;
    }
    const classes = lists.flat();
    const op = {
      kind: 'knn' as const, name: s.shortName, task, k, weights: weights as 'uniform' | 'distance', p, n_classes: classes.length,
      fit_x: addTensor(ctx, s, 'fit_x', 'F64', [fitX.rows, fitX.cols], fitX.data),
      y: addTensor(ctx, s, 'y', 'I64', multi ? [fitX.rows, nOutputs] : [fitX.rows], yGlobal),
    };
    return {
      op, role: 'classifier', nIn: fitX.cols, nOut: classes.length, classes, ...(multi ? { nClasses: lists.map((l) => l.length) } : {}),
      methods: CLASSIFIER_METHODS(true, false), featureNames: featureNamesIn(s),
    };
  }
  const op = {
    kind: 'knn' as const, name: s.shortName, task, k, weights: weights as 'uniform' | 'distance', p,
    fit_x: addTensor(ctx, s, 'fit_x', 'F64', [fitX.rows, fitX.cols], fitX.data),
    y: addTensor(ctx, s, 'y', 'F64', [fitX.rows, nOutputs], y.data),
  };
  return { op, role: 'regressor', nIn: fitX.cols, nOut: nOutputs, methods: ['predict'], featureNames: featureNamesIn(s) };
}

export const mapKnnClassifier = (s: State, ctx: Ctx): Mapped => mapKnn(s, ctx, 'classifier');
export const mapKnnRegressor = (s: State, ctx: Ctx): Mapped => mapKnn(s, ctx, 'regressor');

/**
 * KMeans / MiniBatchKMeans `predict`: the nearest of `cluster_centers_` (Euclidean, first minimum) —
 * a 1-nearest-neighbour classifier over the centres whose labels are the cluster indices.
 */
export function mapKMeans(s: State, ctx: Ctx): Mapped {
  requireFitted(s, 'cluster_centers_');
  const c = s.mat('cluster_centers_');
  const labels = Array.from({ length: c.rows }, (_, i) => i);
  const op = {
    kind: 'knn' as const, name: s.shortName, task: 'classifier' as const, k: 1, weights: 'uniform' as const, p: 2, n_classes: c.rows,
    fit_x: addTensor(ctx, s, 'cluster_centers', 'F64', [c.rows, c.cols], c.data),
    y: addTensor(ctx, s, 'cluster_index', 'I64', [c.rows], labels),
  };
  ctx.notes.push(`${s.shortName}: predict = nearest cluster centre (transform/score are not offered)`);
  return { op, role: 'classifier', nIn: c.cols, nOut: c.rows, classes: labels, methods: ['predict'], featureNames: featureNamesIn(s) };
}

/** NearestCentroid: classes_[argmin distance to centroids_] (euclidean or manhattan) — 1-NN over the centroids. */
export function mapNearestCentroid(s: State, ctx: Ctx): Mapped {
  requireFitted(s, 'centroids_');
  const metric = s.optStr('metric') ?? 'euclidean';
  const p = metric === 'euclidean' ? 2 : metric === 'manhattan' ? 1 : s.unsupported(`metric=${JSON.stringify(metric)}`, 'metric');
  const c = s.mat('centroids_');
  const classes = s.labels();
  if (classes.length !== c.rows) s.fail(`${c.rows} centroids for ${classes.length} classes`, 'centroids_');
  const op = {
    kind: 'knn' as const, name: s.shortName, task: 'classifier' as const, k: 1, weights: 'uniform' as const, p, n_classes: c.rows,
    fit_x: addTensor(ctx, s, 'centroids', 'F64', [c.rows, c.cols], c.data),
    y: addTensor(ctx, s, 'class_index', 'I64', [c.rows], Array.from({ length: c.rows }, (_, i) => i)),
  };
  return { op, role: 'classifier', nIn: c.cols, nOut: c.rows, classes, methods: ['predict'], featureNames: featureNamesIn(s) };
}
