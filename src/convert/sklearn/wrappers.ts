/**
 * scikit-learn wrappers of other libraries (formats.md §5.5, §6): `xgboost.sklearn.XGB*` hold a
 * `xgboost.core.Booster` whose `handle` bytearray is a UBJSON (or JSON) snapshot; LightGBM's
 * `LGBM*` hold a `lightgbm.basic.Booster` whose state replaces the handle by `model_to_string()`
 * text. Both are parsed by the runtime engineer's readers (src/formats/xgboost, src/formats/lightgbm)
 * and mapped by src/convert/xgboost.ts / lightgbm.ts; here their tensors are adopted into the graph.
 */
import { MvError } from '../../core/index.js';
import { parseLightgbmModel } from '../../formats/lightgbm/index.js';
import { parseXgboostModel } from '../../formats/xgboost/index.js';
import type { IrTensor, Method, ModelDescription, Op, TensorRef } from '../../runtime/index.js';
import { lightgbmToDescription } from '../lightgbm.js';
import { scalarNumber, scalarString } from '../py.js';
import { bestRounds, xgboostToDescription } from '../xgboost.js';
import { featureNamesIn, tensorName, type Ctx, type Mapped, type State } from './common.js';

const isRef = (v: unknown): v is TensorRef =>
  typeof v === 'object' && v !== null && typeof (v as TensorRef).tensor === 'string' && typeof (v as TensorRef).dtype === 'string' && Array.isArray((v as TensorRef).shape);

/** Copies an operator tree, moving its tensors into the graph's builder under names prefixed by `prefix`. */
function adopt(op: Op, tensors: ReadonlyMap<string, IrTensor>, ctx: Ctx, prefix: string): Op {
  const renamed = new Map<string, TensorRef>();
  const walk = (v: unknown): unknown => {
    if (isRef(v)) {
      let r = renamed.get(v.tensor);
      if (!r) {
        const t = tensors.get(v.tensor);
        if (!t) throw new MvError('INTERNAL', `tensor ${v.tensor} missing from a library conversion`);
        r = ctx.tb.add(ctx.tb.fresh(`${prefix}${v.tensor}`), t.dtype, t.shape, t.data);
        renamed.set(v.tensor, r);
      }
      return r;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(op) as Op;
}

function fromDescription(s: State, ctx: Ctx, d: ModelDescription, tensors: ReadonlyMap<string, IrTensor>, methods: readonly Method[], library: Mapped['library']): Mapped {
  const prefix = tensorName(s, '').replace(/\.?$/, '.').replace(/^\.$/, '');
  const op = adopt(d.graph, tensors, ctx, prefix);
  const names = d.input.named ? d.input.features.map((f) => f.name) : featureNamesIn(s);
  const base = { op, nIn: d.input.n_features, methods, library, ...(names ? { featureNames: names } : {}) };
  return d.output.kind === 'classifier'
    ? { ...base, role: 'classifier', nOut: d.output.classes.length, classes: d.output.classes }
    : { ...base, role: d.output.kind, nOut: d.output.n_outputs };
}

function boosterBytes(s: State): Uint8Array {
  const b = s.child('_Booster');
  const h = b.req('handle');
  if (typeof h === 'object' && h !== null && h.kind === 'bytes') return h.data;
  return b.fail('Booster handle must be a bytearray snapshot (pre-1.0 binary handles are not supported)', 'handle');
}

/** XGBClassifier / XGBRegressor / XGBRFClassifier / XGBRFRegressor: the Booster snapshot plus the wrapper's labels and `missing`. */
export function mapXgbWrapper(s: State, ctx: Ctx): Mapped {
  const model = parseXgboostModel(boosterBytes(s));
  const classifier = s.has('classes_') || s.has('n_classes_');
  const missing = s.has('missing') ? scalarNumber(s.raw('missing')) : undefined;
  const names = featureNamesIn(s);
  // The wrappers predict with iteration_range (0, best_iteration + 1) after early stopping.
  const rounds = bestRounds(model);
  if (rounds !== undefined) ctx.notes.push(`${s.shortName}: early stopping at best_iteration ${rounds - 1}; later rounds are left out as XGBoost's predict does`);
  const conv = xgboostToDescription(model, {
    ...(rounds !== undefined ? { rounds } : {}),
    ...(classifier && s.has('classes_') ? { classes: s.labels() } : {}),
    ...(missing !== undefined ? { missing } : {}),
    ...(names ? { featureNames: names } : {}),
  });
  // The sklearn wrapper answers predict / predict_proba (classifier) or predict (regressor).
  const methods: Method[] = conv.description.output.kind === 'classifier' ? ['predict', 'predict_proba'] : ['predict'];
  ctx.notes.push(`${s.shortName}: XGBoost ${model.version.join('.') || '?'} ${model.booster} booster, objective ${model.objective} (float32 arithmetic, as XGBoost)`);
  return fromDescription(s, ctx, conv.description, conv.tensors, methods, { name: 'xgboost', version: model.version.join('.') || 'unknown' });
}

/** LGBMClassifier / LGBMRegressor: the Booster's `model_to_string()` text plus the wrapper's labels. */
export function mapLgbmWrapper(s: State, ctx: Ctx): Mapped {
  const b = s.child('_Booster');
  const text = scalarString(b.raw('_handle')) ?? scalarString(b.raw('handle'));
  if (text === undefined) return b.fail('LightGBM Booster state must hold the model_to_string() text in handle/_handle', 'handle');
  const parsed = parseLightgbmModel(text);
  // Booster.predict uses best_iteration (> 0 after early stopping) while model_to_string keeps every tree.
  const best = b.has('best_iteration') ? b.int('best_iteration') : 0;
  const keep = best > 0 ? best * parsed.numTreePerIteration : parsed.trees.length;
  const model = keep < parsed.trees.length ? { ...parsed, trees: parsed.trees.slice(0, keep) } : parsed;
  if (keep < parsed.trees.length) ctx.notes.push(`${s.shortName}: early stopping at best_iteration ${best}; later trees are left out as LightGBM's predict does`);
  const classesField = s.has('_classes') ? '_classes' : s.has('classes_') ? 'classes_' : undefined;
  const conv = lightgbmToDescription(model, classesField ? { classes: s.labels(classesField) } : {});
  const methods: Method[] = conv.description.output.kind === 'classifier' ? ['predict', 'predict_proba'] : ['predict'];
  ctx.notes.push(`${s.shortName}: LightGBM ${model.version} model, objective ${model.objective?.name ?? 'custom'}`);
  return fromDescription(s, ctx, conv.description, conv.tensors, methods, { name: 'lightgbm', version: model.version });
}
