/**
 * Pipeline and ColumnTransformer (formats.md §4.7): composition of mapped estimators.
 */
import type { Op } from '../../runtime/index.js';
import { arrayItems, className, isArray, scalarNumber, scalarString, seqItems, typeName } from '../py.js';
import type { PyValue } from '../py.js';
import { featureNamesIn, nFeaturesIn, requireFitted, type Ctx, type Mapped, type Path, type State } from './common.js';

const isPassthrough = (v: PyValue | undefined): boolean => v === null || v === 'passthrough';

function identity(name: string, nIn: number | undefined): Mapped {
  return { op: { kind: 'identity', name }, role: 'transformer', nIn, nOut: nIn ?? -1, methods: ['transform'] };
}

/** The fitted parts of a composite (`estimators_`), each a `role` with one output of its own. */
function fittedParts(s: State, ctx: Ctx, role: 'classifier' | 'regressor'): Mapped[] {
  requireFitted(s, 'estimators_');
  const items = s.items('estimators_');
  if (items.length === 0) s.fail('estimators_ is empty', 'estimators_');
  return items.map((e, q) => {
    const m = ctx.map(e, s.at(`estimators_[${q}]`));
    if (m.role !== role) s.fail(`estimators_[${q}] is a ${m.role}, not a ${role}`, `estimators_[${q}]`);
    if (m.nClasses || (role === 'regressor' && m.nOut !== 1)) s.unsupported(`estimators_[${q}] with several outputs of its own`, `estimators_[${q}]`);
    const last = m.op.kind === 'pipeline' ? m.op.steps[m.op.steps.length - 1] : m.op;
    if (last?.kind === 'vote' || last?.kind === 'multi-output') s.unsupported(`estimators_[${q}] is itself a ${last.name ?? last.kind} (composites do not nest)`, `estimators_[${q}]`);
    return m;
  });
}

/** A composite's input width, feature names and computing library, from its own state or its first part. */
function partsInput(s: State, parts: readonly Mapped[]): Pick<Mapped, 'nIn' | 'featureNames' | 'library'> {
  const featureNames = featureNamesIn(s) ?? parts[0]!.featureNames;
  const library = parts.find((m) => m.library)?.library;
  return { nIn: nFeaturesIn(s) ?? parts[0]!.nIn, ...(featureNames ? { featureNames } : {}), ...(library ? { library } : {}) };
}

/**
 * MultiOutputClassifier / MultiOutputRegressor (sklearn.multioutput): one fitted estimator per output
 * in `estimators_`, each predicting its output from the same X; `predict_proba` when all have it.
 */
export function mapMultiOutput(s: State, ctx: Ctx, role: 'classifier' | 'regressor'): Mapped {
  const parts = fittedParts(s, ctx, role);
  const common = { op: { kind: 'multi-output', name: s.shortName, estimators: parts.map((m) => m.op) } as Op, role, ...partsInput(s, parts) };
  if (role === 'regressor') return { ...common, nOut: parts.length, methods: ['predict'] };
  const classes = parts.map((m) => m.classes ?? []);
  return {
    ...common,
    nOut: classes.reduce((a, c) => a + c.length, 0),
    classes: classes.flat(),
    nClasses: classes.map((c) => c.length),
    methods: parts.every((m) => m.methods.includes('predict_proba')) ? ['predict', 'predict_proba'] : ['predict'],
  };
}

/**
 * VotingClassifier / VotingRegressor (sklearn.ensemble): `estimators_` (the fitted, non-dropped ones)
 * vote soft, hard or by the mean; `weights` pair with `estimators` including dropped entries, so the
 * dropped ones' weights are left out (sklearn `_weights_not_none`). A classifier's estimators were fitted
 * on the label-encoded y, so their classes must be 0 … K−1 of `classes_`.
 */
export function mapVoting(s: State, ctx: Ctx, role: 'classifier' | 'regressor'): Mapped {
  const parts = fittedParts(s, ctx, role);
  let weights: number[] | undefined;
  const raw = s.raw('weights');
  if (raw !== undefined && raw !== null) {
    const all = s.vec('weights');
    const declared = s.items('estimators');
    if (all.length !== declared.length) s.fail(`${all.length} weights for ${declared.length} estimators`, 'weights');
    weights = declared.flatMap((pair, q) => (seqItems(pair)?.[1] === 'drop' ? [] : [all[q]!]));
    if (weights.length !== parts.length) s.fail(`${weights.length} weights for ${parts.length} fitted estimators`, 'weights');
  }
  const voting = role === 'regressor' ? 'mean' : s.str('voting');
  if (voting !== 'soft' && voting !== 'hard' && voting !== 'mean') return s.unsupported(`voting=${JSON.stringify(voting)}`, 'voting');
  parts.forEach((m, q) => {
    if (voting === 'soft' && !m.methods.includes('predict_proba')) s.unsupported(`soft voting over estimators_[${q}], which has no predict_proba`, `estimators_[${q}]`);
  });
  const op: Op = { kind: 'vote', name: s.shortName, voting, estimators: parts.map((m) => m.op), ...(weights ? { weights } : {}) };
  const common = { op, role, ...partsInput(s, parts) };
  if (role === 'regressor') return { ...common, nOut: 1, methods: ['predict'] };
  const classes = s.labels();
  parts.forEach((m, q) => {
    const own = m.classes ?? [];
    if (own.length !== classes.length || own.some((c, k) => c !== k)) s.fail(`estimators_[${q}] was not fitted on the label-encoded classes (its classes: ${JSON.stringify(own).slice(0, 80)})`, `estimators_[${q}]`);
  });
  return { ...common, nOut: classes.length, classes, methods: voting === 'soft' ? ['predict', 'predict_proba'] : ['predict'] };
}

/** Pipeline: transforms chained, the last step decides the role and methods. */
export function mapPipeline(s: State, ctx: Ctx): Mapped {
  const steps = s.items('steps');
  if (steps.length === 0) s.fail('a pipeline without steps', 'steps');
  const mapped: Mapped[] = [];
  let width: number | undefined;
  steps.forEach((st, i) => {
    const pair = seqItems(st);
    if (!pair || pair.length !== 2 || typeof pair[0] !== 'string') s.fail(`steps[${i}] must be a (name, estimator) pair`, 'steps');
    const [name, est] = pair as [string, PyValue];
    const path: Path = s.at('steps').concat([i, name]);
    const m = isPassthrough(est) ? identity(name, width) : ctx.map(est, path);
    if (i < steps.length - 1 && m.role !== 'transformer') s.fail(`step ${name} is a ${m.role} but is not the last step`, 'steps');
    if (width !== undefined && m.nIn !== undefined && m.nIn !== width) s.fail(`step ${name} expects ${m.nIn} features but receives ${width}`, 'steps');
    width = m.nOut >= 0 ? m.nOut : width;
    mapped.push(m);
  });
  const last = mapped[mapped.length - 1]!;
  const first = mapped.find((m) => m.op.kind !== 'identity') ?? last;
  // A nested pipeline that ends in an estimator is spliced in: the runtime wants one estimator, last.
  const ops = mapped.flatMap((m) => (m.op.kind === 'pipeline' && m.role !== 'transformer' ? m.op.steps : [m.op]));
  const op: Op = { kind: 'pipeline', name: s.shortName, steps: ops };
  return {
    op,
    role: last.role,
    nIn: mapped[0]!.op.kind === 'identity' ? first.nIn : mapped[0]!.nIn,
    nOut: width ?? -1,
    ...(last.classes ? { classes: last.classes } : {}),
    ...(last.nClasses ? { nClasses: last.nClasses } : {}),
    methods: last.methods,
    ...(first.featureNames ? { featureNames: first.featureNames } : {}),
    // The library whose arithmetic the final estimator follows (XGBoost/LightGBM in a sklearn pipeline).
    ...(last.library ? { library: last.library } : {}),
  };
}

/** Python slice semantics for integer bounds (string bounds: sklearn includes the stop name). */
function sliceIndices(args: PyValue[], n: number, names: readonly string[] | undefined, s: State): number[] {
  const bound = (v: PyValue | undefined, isStop: boolean): number | undefined => {
    if (v === null || v === undefined) return undefined;
    const str = scalarString(v);
    if (str !== undefined) {
      const k = names?.indexOf(str) ?? -1;
      if (k < 0) s.fail(`column ${JSON.stringify(str)} is not in feature_names_in_`, 'transformers_');
      return isStop ? k + 1 : k;
    }
    const k = scalarNumber(v);
    if (k === undefined || !Number.isInteger(k)) return s.fail(`slice bound ${typeName(v)}`, 'transformers_');
    return k;
  };
  const step = bound(args[2], false) ?? 1;
  if (step !== 1) s.unsupported('column slices with a step', 'transformers_');
  const norm = (k: number | undefined, d: number): number => (k === undefined ? d : k < 0 ? Math.max(0, n + k) : Math.min(k, n));
  const start = norm(bound(args[0], false), 0);
  const stop = norm(bound(args[1], true), n);
  const out: number[] = [];
  for (let i = start; i < stop; i++) out.push(i);
  return out;
}

/** Resolves a ColumnTransformer column spec to input indices. */
export function resolveColumns(spec: PyValue, n: number, names: readonly string[] | undefined, s: State): number[] {
  const one = (v: PyValue): number => {
    const str = scalarString(v);
    if (str !== undefined) {
      const k = names?.indexOf(str) ?? -1;
      if (k < 0) s.fail(`column ${JSON.stringify(str)} is not in feature_names_in_`, 'transformers_');
      return k;
    }
    const k = scalarNumber(v);
    if (k === undefined || !Number.isInteger(k) || k < -n || k >= n) return s.fail(`column ${typeName(v)} ${String(k)} is out of range for ${n} features`, 'transformers_');
    return k < 0 ? n + k : k;
  };
  if (typeof spec === 'string' || typeof spec === 'number' || typeof spec === 'bigint') return [one(spec)];
  if (spec && typeof spec === 'object' && spec.kind === 'call' && className(spec) === 'builtins.slice') {
    return sliceIndices(seqItems(spec.args) ?? [], n, names, s);
  }
  const items = seqItems(spec) ?? (isArray(spec) ? arrayItems(spec) : undefined);
  if (!items) return s.unsupported(`a column selector of type ${typeName(spec)}`, 'transformers_');
  if (items.length > 0 && items.every((x) => typeof x === 'boolean')) {
    if (items.length !== n) s.fail(`boolean column mask has ${items.length} entries for ${n} features`, 'transformers_');
    return items.flatMap((x, i) => (x ? [i] : []));
  }
  return items.map(one);
}

/** ColumnTransformer: each fitted (transformer, columns) applied to the same input, outputs concatenated. */
export function mapColumnTransformer(s: State, ctx: Ctx): Mapped {
  requireFitted(s, 'transformers_');
  const n = nFeaturesIn(s, '_n_features') ?? s.fail('no n_features_in_');
  const names = featureNamesIn(s);
  const parts: Op[] = [];
  let nOut = 0;
  s.items('transformers_').forEach((t, i) => {
    const triple = seqItems(t);
    if (!triple || triple.length !== 3 || typeof triple[0] !== 'string') s.fail(`transformers_[${i}] must be (name, transformer, columns)`, 'transformers_');
    const [name, est, spec] = triple as [string, PyValue, PyValue];
    if (est === 'drop') return;
    const cols = resolveColumns(spec, n, names, s);
    if (cols.length === 0) return;
    const select: Op = { kind: 'column-select', name, columns: cols };
    if (est === 'passthrough') {
      parts.push(select);
      nOut += cols.length;
      return;
    }
    const m = ctx.map(est, s.at('transformers_').concat([i, name]));
    if (m.role !== 'transformer') s.fail(`transformer ${name} is a ${m.role}`, 'transformers_');
    if (m.nIn !== undefined && m.nIn !== cols.length) s.fail(`transformer ${name} expects ${m.nIn} columns but is given ${cols.length}`, 'transformers_');
    parts.push(m.op.kind === 'identity' ? select : { kind: 'pipeline', name, steps: [select, m.op] });
    nOut += m.nOut >= 0 ? m.nOut : cols.length;
  });
  const op: Op = { kind: 'concat', name: s.shortName, parts };
  if (!s.bool('verbose_feature_names_out', true)) ctx.plainNames.add(op);
  return {
    op,
    role: 'transformer',
    nIn: n,
    nOut,
    methods: ['transform'],
    ...(names ? { featureNames: names } : {}),
  };
}
