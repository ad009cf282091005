/**
 * libsvm SVC / SVR / NuSVC / NuSVR (formats.md §4.9). The private `_dual_coef_` / `_intercept_`
 * (libsvm sign) are stored, never the public properties (binary: public = −private).
 */
import type { SvmKernel } from '../../runtime/index.js';
import { addTensor, CLASSIFIER_METHODS, featureNamesIn, requireFitted, type Ctx, type Mapped, type State } from './common.js';

const KERNELS = ['linear', 'rbf', 'poly', 'sigmoid'] as const;

function kernelOf(s: State): SvmKernel {
  const k = s.raw('kernel');
  if (typeof k !== 'string') return s.unsupported('a callable kernel', 'kernel');
  if (!(KERNELS as readonly string[]).includes(k)) return s.unsupported(`kernel=${JSON.stringify(k)}`, 'kernel');
  return { kind: k as SvmKernel['kind'], gamma: s.num('_gamma'), coef0: s.num('coef0'), degree: s.num('degree') };
}

function mapSvm(s: State, ctx: Ctx, task: 'svc' | 'svr'): Mapped {
  requireFitted(s, 'support_vectors_');
  if (s.bool('_sparse', false)) s.unsupported('models fitted on sparse input (_sparse=True)', '_sparse');
  const kernel = kernelOf(s);
  const sv = s.mat('support_vectors_');
  const dual = s.mat('_dual_coef_');
  const intercept = s.vec('_intercept_');
  const nSupport = Array.from(s.vec('_n_support'));
  const classes = task === 'svc' ? s.labels() : undefined;
  const nClass = classes?.length ?? 2;
  if (dual.cols !== sv.rows) s.fail(`_dual_coef_ has ${dual.cols} columns for ${sv.rows} support vectors`, '_dual_coef_');
  if (task === 'svc') {
    if (nSupport.length !== nClass || nSupport.reduce((a, b) => a + b, 0) !== sv.rows) s.fail('_n_support does not add up to the support vectors', '_n_support');
    if (dual.rows !== nClass - 1) s.fail(`_dual_coef_ has ${dual.rows} rows for ${nClass} classes`, '_dual_coef_');
    if (intercept.length !== (nClass * (nClass - 1)) / 2) s.fail(`_intercept_ has ${intercept.length} values for ${nClass} classes`, '_intercept_');
  } else if (dual.rows !== 1 || intercept.length !== 1) {
    s.fail('SVR needs one row of _dual_coef_ and one intercept', '_dual_coef_');
  }
  const probA = s.optVec('_probA');
  const probB = s.optVec('_probB');
  const proba = task === 'svc' && s.bool('probability', false) && probA !== undefined && probA.length > 0;
  const nPairs = intercept.length;
  if (proba && (probA!.length !== nPairs || probB?.length !== nPairs)) s.fail('_probA/_probB must have one value per class pair', '_probA');
  const dfs = s.optStr('decision_function_shape') ?? 'ovr';
  if (dfs !== 'ovr' && dfs !== 'ovo') s.unsupported(`decision_function_shape=${dfs}`, 'decision_function_shape');
  const op = {
    kind: 'svm' as const,
    name: s.shortName,
    task,
    kernel,
    support_vectors: addTensor(ctx, s, 'support_vectors', 'F64', [sv.rows, sv.cols], sv.data),
    dual_coef: addTensor(ctx, s, 'dual_coef', 'F64', [dual.rows, dual.cols], dual.data),
    intercept: addTensor(ctx, s, 'intercept', 'F64', [intercept.length], intercept),
    // libsvm regression reports [n_SV, n_SV]; the IR wants counts that sum to n_SV.
    n_support: task === 'svc' ? nSupport : [sv.rows],
    ...(proba
      ? { prob_a: addTensor(ctx, s, 'prob_a', 'F64', [nPairs], probA!), prob_b: addTensor(ctx, s, 'prob_b', 'F64', [nPairs], probB!) }
      : {}),
    decision_function_shape: dfs as 'ovr' | 'ovo',
    break_ties: s.bool('break_ties', false),
  };
  return task === 'svc'
    ? { op, role: 'classifier', nIn: sv.cols, nOut: nClass, classes: classes!, methods: CLASSIFIER_METHODS(proba, true), featureNames: featureNamesIn(s) }
    : { op, role: 'regressor', nIn: sv.cols, nOut: 1, methods: ['predict'], featureNames: featureNamesIn(s) };
}

export const mapSvc = (s: State, ctx: Ctx): Mapped => mapSvm(s, ctx, 'svc');
export const mapSvr = (s: State, ctx: Ctx): Mapped => mapSvm(s, ctx, 'svr');
