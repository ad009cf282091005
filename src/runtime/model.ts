import { MvError, assertNever } from '../core/index.js';
import { decodeArtifact, type Artifact, type DecodeOptions } from './artifact.js';
import { outputOffsets, type EstimatorOp, type InputSchema, type Label, type Method, type ModelIR, type MultiOutputOp, type Op, type ScaleOp, type VoteOp } from './ir.js';
import type { EstimatorKernel, HeadInfo, TransformKernel } from './kernels/common.js';
import { argmaxRow, checkFinite, type Frame, type KernelOut } from './kernels/frame.js';
import { compileKnn } from './kernels/knn.js';
import { compileMlp } from './kernels/mlp.js';
import { compileLinear, compileScaleLinear, type FusedKernel } from './kernels/linear.js';
import { compileGaussianNb } from './kernels/nb.js';
import { compileSvm } from './kernels/svm.js';
import { compileTransform } from './kernels/transforms.js';
import { compileTrees } from './kernels/trees.js';
import { toFrame, type PredictInput } from './input.js';
import type { IrTensor } from './tensors.js';
import { estimatorMethods, splitGraph, splitSub } from './validate.js';

/** A loaded, validated, compiled model. Immutable; safe to share between concurrent predictions. */
export interface Model {
  readonly ir: ModelIR;
  readonly tensors: ReadonlyMap<string, IrTensor>;
  /** Methods this model answers, in the order of the description. */
  readonly methods: readonly Method[];
  /** `predict` for estimators, `transform` for transformers. */
  readonly defaultMethod: Method;
  /** @internal compiled graph */
  readonly compiled: {
    readonly transforms: readonly TransformKernel[];
    readonly estimator: EstimatorKernel | null;
    readonly estimatorLabel: string;
    /** scale… → linear graphs on numeric inputs: one pass over a Float64Array (falls back to the general path on a non-finite value). */
    readonly fused: FusedKernel | null;
  };
}

/** A prediction: row-major values with their shape; classifier `predict` gives the original class labels. */
export interface Prediction {
  readonly method: Method;
  readonly shape: readonly number[];
  readonly data: Float64Array | readonly Label[];
}

export interface PredictOptions {
  readonly method?: Method;
}

function compileEstimator(op: EstimatorOp, t: ReadonlyMap<string, IrTensor>, head: HeadInfo): EstimatorKernel {
  switch (op.kind) {
    case 'linear':
      return compileLinear(op, t, head);
    case 'tree-ensemble':
      return compileTrees(op, t, head);
    case 'svm':
      return compileSvm(op, t, head);
    case 'knn':
      return compileKnn(op, t, head);
    case 'gaussian-nb':
      return compileGaussianNb(op, t);
    case 'mlp':
      return compileMlp(op, t, head);
    case 'multi-output':
      return compileMultiOutput(op, t, head);
    case 'vote':
      return compileVote(op, t, head);
    default:
      return assertNever(op, 'estimator');
  }
}

/** A part of a composite estimator (multi-output, vote): its own steps and its own input check, as each of scikit-learn's estimators validates X itself. */
interface SubKernel {
  run(f: Frame, method: Method): Float64Array;
  readonly estimator: EstimatorKernel;
}

function compileSub(sub: Op, t: ReadonlyMap<string, IrTensor>, head: HeadInfo, q: number, label: string): SubKernel {
  const { transforms, estimator } = splitSub(sub, []);
  const steps = transforms.map((tr, i) => compileTransform(tr, t, `graph > estimators[${q}] > steps[${i}] (${tr.kind})`));
  const kernel = compileEstimator(estimator as EstimatorOp, t, head);
  const where = `the ${estimator!.kind} estimator of ${label}`;
  return {
    estimator: kernel,
    run(f, method) {
      let g = f;
      for (const s of steps) g = s.run(g);
      checkFinite(g, kernel.finite, where);
      return kernel.run(g, method).data as Float64Array;
    },
  };
}

/** The shared part of a composite's kernel: it checks nothing itself (its parts do) and warms every part. */
function composite(subs: readonly SubKernel[], run: EstimatorKernel['run']): EstimatorKernel {
  return { finite: 'any', nFeatures: subs[0]?.estimator.nFeatures ?? 0, run, prepare: () => subs.forEach((s) => s.estimator.prepare?.()) };
}

/**
 * One estimator per output (sklearn.multioutput). Classifier `predict` gives [n, outputs] indices into
 * all the outputs' classes, `predict_proba` their probabilities in turn; a regressor's `predict` is
 * [n, outputs].
 */
function compileMultiOutput(op: MultiOutputOp, t: ReadonlyMap<string, IrTensor>, head: HeadInfo): EstimatorKernel {
  const first = head.outputs ? outputOffsets(head.outputs) : op.estimators.map(() => 0);
  const subs = op.estimators.map((sub, q) => compileSub(sub, t, { classifier: head.classifier, nClasses: head.outputs?.[q] ?? 0, outputs: null }, q, `output ${q}`));
  const S = subs.length;
  return composite(subs, (f, method) => {
    const n = f.rows;
    const proba = method === 'predict_proba';
    const K = proba ? head.nClasses : S;
    const out = new Float64Array(n * K);
    subs.forEach((s, q) => {
      const r = s.run(f, method);
      const w = r.length / n; // k_q probabilities, or one label index / value
      const col = proba ? first[q]! : q;
      const add = head.classifier && !proba ? first[q]! : 0;
      for (let i = 0; i < n; i++) for (let c = 0; c < w; c++) out[i * K + col + c] = r[i * w + c]! + add;
    });
    return { shape: [n, K], data: out };
  });
}

/**
 * Voting (sklearn VotingClassifier / VotingRegressor), as numpy computes it: np.average over the
 * estimators in their order — Σ w·x / Σ w, or Σ x / n without weights — and for hard voting
 * argmax(bincount(predicted classes, weights)).
 */
function compileVote(op: VoteOp, t: ReadonlyMap<string, IrTensor>, head: HeadInfo): EstimatorKernel {
  const subs = op.estimators.map((sub, q) => compileSub(sub, t, head, q, `voter ${q}`));
  const w = op.weights ?? null;
  const total = w ? w.reduce((a, b) => a + b, 0) : subs.length;
  const K = head.classifier ? head.nClasses : 1;
  return composite(subs, (f, method) => {
    const n = f.rows;
    if (op.voting === 'hard') {
      // predict only (estimatorMethods): the classes each voter predicts, weighted
      const votes = new Float64Array(n * K);
      subs.forEach((s, q) => {
        const idx = s.run(f, 'predict');
        for (let i = 0; i < n; i++) {
          const c = i * K + idx[i]!;
          votes[c] = votes[c]! + (w ? w[q]! : 1);
        }
      });
      const idx = new Float64Array(n);
      for (let i = 0; i < n; i++) idx[i] = argmaxRow(votes, i, K);
      return { shape: [n], data: idx };
    }
    const avg = new Float64Array(n * K);
    subs.forEach((s, q) => {
      const r = s.run(f, op.voting === 'soft' ? 'predict_proba' : 'predict');
      for (let i = 0; i < avg.length; i++) avg[i] = avg[i]! + (w ? r[i]! * w[q]! : r[i]!);
    });
    for (let i = 0; i < avg.length; i++) avg[i] = avg[i]! / total;
    if (!head.classifier || method === 'predict_proba') return { shape: head.classifier ? [n, K] : [n], data: avg };
    const idx = new Float64Array(n);
    for (let i = 0; i < n; i++) idx[i] = argmaxRow(avg, i, K);
    return { shape: [n], data: idx };
  });
}

/** The fused kernel when the graph is scale… → linear on plain numeric features, else null. */
function compileFused(ir: ModelIR, transforms: readonly Op[], estimator: Op | null, tensors: ReadonlyMap<string, IrTensor>, head: HeadInfo): FusedKernel | null {
  if (estimator?.kind !== 'linear' || ir.input.n_features === 0) return null;
  if (!ir.input.features.every((f) => f.type === 'number')) return null;
  if (!transforms.every((op) => op.kind === 'scale')) return null;
  return compileScaleLinear(transforms as readonly ScaleOp[], estimator, tensors, head);
}

/**
 * The row-major values the fused kernel may read directly, when toFrame would pass them on unchanged
 * (a Float64Array of whole rows, or a numeric Frame with the model's columns in order); otherwise
 * null, and the general path checks the input and gives its errors. The fused kernel itself falls
 * back on a NaN or ±Infinity, so only numeric-feature schemas get here (compileFused).
 */
function fusedInput(schema: InputSchema, X: PredictInput): Float64Array | null {
  const F = schema.n_features;
  if (X instanceof Float64Array) return X.length % F === 0 ? X : null;
  if (Array.isArray(X) || !(X instanceof Object) || !('data' in X) || !((X as Frame).data instanceof Float64Array)) return null;
  const f = X as Frame;
  if (f.cols !== F || f.data.length !== f.rows * F || f.text?.some((t) => t !== undefined)) return null;
  if (f.names && schema.named && (f.names.length !== F || f.names.some((n, j) => n !== schema.features[j]!.name))) return null;
  return f.data;
}

/** Classifier `predict`: class indices → the original labels. */
function labelsOf(classes: readonly Label[], idx: Float64Array): Label[] {
  const labels = new Array<Label>(idx.length);
  for (let i = 0; i < idx.length; i++) labels[i] = classes[idx[i]! | 0]!;
  return labels;
}

/** Compiles a decoded artifact (already validated by decodeArtifact). */
export function compileModel(a: Artifact): Model {
  const { ir, tensors } = a;
  const { transforms, estimator } = splitGraph(ir.graph);
  const o = ir.output;
  const head: HeadInfo = o.kind === 'classifier' ? { classifier: true, nClasses: o.classes.length, outputs: o.n_classes ?? null } : { classifier: false, nClasses: 0, outputs: null };
  const compiledTransforms = transforms.map((op, i) => compileTransform(op, tensors, transforms.length === 1 && op === ir.graph ? 'graph' : `graph > steps[${i}] (${op.kind})`));
  const compiledEstimator = estimator ? compileEstimator(estimator as EstimatorOp, tensors, head) : null;
  const available = estimator ? estimatorMethods(estimator, head.classifier) : (['transform'] as Method[]);
  const methods = ir.output.methods.filter((m) => available.includes(m));
  return Object.freeze({
    ir,
    tensors,
    methods,
    defaultMethod: estimator ? 'predict' : 'transform',
    compiled: {
      transforms: compiledTransforms,
      estimator: compiledEstimator,
      estimatorLabel: `the ${estimator?.kind ?? 'model'} estimator`,
      fused: compileFused(ir, transforms, estimator, tensors, head),
    },
  });
}

/**
 * Decodes, validates and compiles an artifact (`.safetensors` bytes). Never executes anything from the
 * file. The model keeps its own copy of the tensor data unless `opts.adopt` (see {@link DecodeOptions}).
 */
export function loadModel(bytes: Uint8Array, opts: DecodeOptions = {}): Model {
  return compileModel(decodeArtifact(bytes, opts));
}

/**
 * Does now the work kernels would otherwise do on the first predict (the packed layout of tree
 * ensembles): for servers, so the first request after a load is not the slow one.
 */
export function prepareModel(model: Model): void {
  model.compiled.estimator?.prepare?.();
}

/**
 * Runs one method over a batch. X is a row-major Float64Array (n × n_features), an array of rows
 * (numbers, strings, null for missing) or a Frame from the input readers; it is validated against
 * the input schema first (INPUT_INVALID naming row and column; nothing is coerced).
 */
export function predict(model: Model, X: PredictInput, opts: PredictOptions = {}): Prediction {
  const method = opts.method ?? model.defaultMethod;
  if (!model.methods.includes(method)) {
    throw new MvError('USAGE_INVALID', `method ${method} is not available for this model (available: ${model.methods.join(', ')})`);
  }
  const fused = model.compiled.fused;
  const x = fused !== null ? fusedInput(model.ir.input, X) : null;
  if (x !== null) {
    const n = x.length / model.ir.input.n_features;
    const o = model.ir.output;
    if (o.kind === 'classifier' && method === 'predict') {
      const labels = fused!.labels(x, n, o.classes);
      if (labels !== null) return { method, shape: [n], data: labels };
    } else {
      const out = fused!.run(x, n, method);
      if (out !== null) return withLabels(model, method, out);
    }
  }
  let f: Frame = toFrame(model.ir.input, X);
  for (const t of model.compiled.transforms) f = t.run(f);
  const est = model.compiled.estimator;
  if (!est) {
    if (f.text?.some(Boolean)) checkFinite(f, 'any', 'the transformer output');
    return { method, shape: [f.rows, f.cols], data: f.data };
  }
  checkFinite(f, est.finite, model.compiled.estimatorLabel);
  return withLabels(model, method, est.run(f, method));
}

function withLabels(model: Model, method: Method, out: KernelOut): Prediction {
  const o = model.ir.output;
  if (o.kind === 'classifier' && method === 'predict') return { method, shape: out.shape, data: labelsOf(o.classes, out.data) };
  return { method, shape: out.shape, data: out.data };
}

/** A short, JSON-able summary of an operator tree. */
function describeOp(op: Op): Record<string, unknown> {
  const base: Record<string, unknown> = { kind: op.kind, ...(op.name ? { name: op.name } : {}) };
  switch (op.kind) {
    case 'pipeline':
      return { ...base, steps: op.steps.map(describeOp) };
    case 'concat':
      return { ...base, parts: op.parts.map(describeOp) };
    case 'multi-output':
      return { ...base, estimators: op.estimators.map(describeOp) };
    case 'vote':
      return { ...base, voting: op.voting, ...(op.weights ? { weights: op.weights } : {}), estimators: op.estimators.map(describeOp) };
    case 'tree-ensemble':
      return { ...base, split: op.split, trees: op.n_trees, nodes: op.n_nodes, outputs: op.n_outputs, aggregation: op.aggregation, activation: op.activation.kind };
    case 'linear':
      return { ...base, targets: op.coef.shape[0], features: op.coef.shape[1], ...(op.proba ? { proba: op.proba.kind } : {}) };
    case 'svm':
      return { ...base, task: op.task, kernel: op.kernel.kind, support_vectors: op.support_vectors.shape[0] };
    case 'knn':
      return { ...base, task: op.task, k: op.k, weights: op.weights, samples: op.fit_x.shape[0] };
    case 'mlp':
      return { ...base, layers: [op.weights[0]!.shape[0], ...op.weights.map((w) => w.shape[1])], hidden: op.hidden, output: op.activation.kind };
    case 'column-select':
      return { ...base, columns: op.columns };
    default:
      return base;
  }
}

/** What a model is: head, inputs, outputs, methods, operator tree and provenance. */
export function describeModel(model: Model): Record<string, unknown> {
  const { ir } = model;
  return {
    format: 'modelvault/1',
    kind: ir.output.kind,
    ...(ir.output.kind === 'classifier' ? { classes: ir.output.classes, ...(ir.output.n_classes ? { n_classes: ir.output.n_classes } : {}) } : { n_outputs: ir.output.n_outputs }),
    methods: model.methods,
    input: ir.input,
    graph: describeOp(ir.graph),
    provenance: ir.provenance,
    tensors: model.tensors.size,
  };
}
