import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MvError } from '../../src/core/index.js';
import { predict, type Frame, type Method, type Model, type Op, type PredictInput, type Prediction } from '../../src/runtime/index.js';
import { build, feats } from './helpers.js';

/**
 * The fused scale… → linear kernel (kernels/linear.ts compileScaleLinear) against the general path
 * (toFrame, one frame per transform, checkFinite, linearRaw) on the same model: results must be
 * bit-identical (Object.is per element, so −0 and NaN count) and errors must have the same code,
 * message and path.
 */
const general = (m: Model): Model => ({ ...m, compiled: { ...m.compiled, fused: null } });

type Outcome = { ok: true; p: Prediction } | { ok: false; code: string; message: string; path: unknown };
function outcome(m: Model, X: PredictInput, method: Method): Outcome {
  try {
    return { ok: true, p: predict(m, X, { method }) };
  } catch (e) {
    if (!(e instanceof MvError)) throw e;
    return { ok: false, code: e.code, message: e.message, path: e.at.path };
  }
}

function expectSame(a: Outcome, b: Outcome): void {
  expect(a.ok).toBe(b.ok);
  if (!a.ok || !b.ok) {
    expect(a).toEqual(b);
    return;
  }
  expect(a.p.shape).toEqual(b.p.shape);
  expect(a.p.data.length).toBe(b.p.data.length);
  for (let i = 0; i < a.p.data.length; i++) {
    if (!Object.is(a.p.data[i], b.p.data[i])) expect.fail(`element ${i}: ${a.p.data[i]} vs ${b.p.data[i]}`);
  }
}

// doubles with the edge cases that matter: ±0, huge (overflow to ±Inf after scaling), tiny, NaN, ±Inf
const finite = fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constantFrom(0, -0, 1e308, -1e308, 5e-324, 1));
const anyValue = fc.oneof({ weight: 12, arbitrary: finite }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) });
const param = fc.oneof({ weight: 8, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(0, -0, 1e-300, 1e300) });

interface Spec {
  F: number;
  K: number;
  classifier: boolean;
  missing: boolean;
  skipMissing: boolean;
  scales: { sub: number[] | null; mul: number[] | null; div: number[] | null; add: number[] | null; clip: [number, number] | null }[];
  coef: number[];
  intercept: number[];
  rows: number;
  x: number[];
}

const spec: fc.Arbitrary<Spec> = fc
  .record({
    F: fc.integer({ min: 1, max: 6 }),
    K: fc.constantFrom(1, 2, 3, 4),
    classifier: fc.boolean(),
    missing: fc.boolean(),
    skipMissing: fc.boolean(),
    nScales: fc.integer({ min: 0, max: 3 }),
    plainStandard: fc.boolean(),
    rows: fc.integer({ min: 0, max: 11 }),
  })
  .chain((s) => {
    const vec = fc.array(param, { minLength: s.F, maxLength: s.F });
    const opt = fc.option(vec, { nil: null });
    const scale = s.plainStandard
      ? fc.record({ sub: vec, mul: fc.constant(null), div: fc.array(fc.oneof(param, fc.constant(1)), { minLength: s.F, maxLength: s.F }), add: fc.constant(null), clip: fc.constant(null) })
      : fc.record({ sub: opt, mul: opt, div: opt, add: opt, clip: fc.option(fc.tuple(param, param).map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a])), { nil: null }) });
    return fc.record({
      F: fc.constant(s.F),
      K: fc.constant(s.K),
      classifier: fc.constant(s.classifier),
      missing: fc.constant(s.missing),
      skipMissing: fc.constant(s.skipMissing),
      scales: fc.array(scale, { minLength: s.plainStandard ? 1 : s.nScales, maxLength: s.plainStandard ? 1 : s.nScales }),
      coef: fc.array(param, { minLength: s.K * s.F, maxLength: s.K * s.F }),
      intercept: fc.array(param, { minLength: s.K, maxLength: s.K }),
      rows: fc.constant(s.rows),
      x: fc.array(anyValue, { minLength: s.rows * s.F, maxLength: s.rows * s.F }),
    });
  });

function modelOf(s: Spec): { m: Model; methods: Method[] } {
  const nClasses = s.K === 1 ? 2 : s.K;
  const methods: Method[] = s.classifier ? ['predict', 'decision_function', 'predict_proba'] : ['predict'];
  const output = s.classifier
    ? ({ kind: 'classifier', classes: Array.from({ length: nClasses }, (_, i) => (i % 2 ? `c${i}` : i * 10)), methods } as const)
    : ({ kind: 'regressor', n_outputs: s.K, methods } as const);
  const m = build(feats(s.F, s.missing), output, (tb) => {
    const steps: Op[] = s.scales.map((sc, i) => ({
      kind: 'scale',
      n_features: s.F,
      ...(sc.sub ? { sub: tb.add(`s${i}.sub`, 'F64', [s.F], sc.sub) } : {}),
      ...(sc.mul ? { mul: tb.add(`s${i}.mul`, 'F64', [s.F], sc.mul) } : {}),
      ...(sc.div ? { div: tb.add(`s${i}.div`, 'F64', [s.F], sc.div) } : {}),
      ...(sc.add ? { add: tb.add(`s${i}.add`, 'F64', [s.F], sc.add) } : {}),
      ...(sc.clip ? { clip: sc.clip } : {}),
    }));
    const lin: Op = {
      kind: 'linear',
      coef: tb.add('coef', 'F64', [s.K, s.F], s.coef),
      intercept: tb.add('intercept', 'F64', [s.K], s.intercept),
      ...(s.classifier ? { proba: s.K === 1 ? { kind: 'logistic' as const } : { kind: 'softmax' as const } } : {}),
      ...(s.skipMissing ? { skip_missing: true } : {}),
    };
    return steps.length ? { kind: 'pipeline', steps: [...steps, lin] } : lin;
  });
  return { m, methods };
}

describe('fused scale → linear kernel', () => {
  it('is used for scale… → linear on numeric features', () => {
    const { m } = modelOf({ F: 2, K: 3, classifier: true, missing: false, skipMissing: false, scales: [{ sub: [1, 2], mul: null, div: [2, 4], add: null, clip: null }], coef: [1, 2, 3, 4, 5, 6], intercept: [0, 0, 0], rows: 0, x: [] });
    expect(m.compiled.fused).not.toBeNull();
    const cat = build(feats(1, false, 'category'), { kind: 'regressor', n_outputs: 1, methods: ['predict'] }, (tb) => ({ kind: 'linear', coef: tb.add('c', 'F64', [1, 1], [1]), intercept: tb.add('i', 'F64', [1], [0]) }));
    expect(cat.compiled.fused).toBeNull();
  });

  it('equals the general path bit for bit, and fails with the same error (random models and inputs, NaN/±Inf)', () => {
    fc.assert(
      fc.property(spec, (s) => {
        const { m, methods } = modelOf(s);
        expect(m.compiled.fused).not.toBeNull();
        const g = general(m);
        const X = Float64Array.from(s.x);
        const names = Array.from({ length: s.F }, (_, j) => `f${j}`);
        // Frames as the file readers and the sandbox pass them: named, unnamed, misnamed, too wide, with text
        const frames: Frame[] = [
          { rows: s.rows, cols: s.F, data: X, names },
          { rows: s.rows, cols: s.F, data: X },
          { rows: s.rows, cols: s.F, data: X, names: [...names].reverse() },
          { rows: s.rows, cols: s.F + 1, data: Float64Array.from({ length: s.rows * (s.F + 1) }, (_, i) => s.x[i % Math.max(1, s.x.length)] ?? 0) },
          { rows: s.rows, cols: s.F, data: X, text: [Array.from({ length: s.rows }, () => 'a')] },
        ];
        for (const method of methods) {
          expectSame(outcome(m, X, method), outcome(g, X, method));
          for (const f of frames) expectSame(outcome(m, f, method), outcome(g, f, method));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('equals the general path on blocks and four-row groups with tails (StandardScaler → 1 or 3 targets, tied classes)', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 3), fc.integer({ min: 1, max: 2100 }), fc.integer({ min: 0, max: 1 << 30 }), fc.boolean(), fc.constantFrom([], [1], [2], [1, 2]), (K, rows, seed, poison, tied) => {
        const F = 5;
        let r = seed;
        const rnd = (): number => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) / 2 ** 32) * 8 - 4;
        const x = Array.from({ length: rows * F }, rnd);
        if (poison) x[(seed % rows) * F + (seed % F)] = seed % 2 ? NaN : -Infinity;
        const s: Spec = {
          F, K, classifier: true, missing: seed % 3 === 0, skipMissing: false, rows, x,
          scales: [{ sub: Array.from({ length: F }, rnd), mul: null, div: Array.from({ length: F }, () => Math.abs(rnd()) + 0.1), add: null, clip: null }],
          coef: Array.from({ length: K * F }, rnd), intercept: Array.from({ length: K }, rnd),
        };
        // classes whose scores equal class 0's everywhere: predict must pick the first, as numpy's argmax
        for (const k of K === 3 ? tied : []) {
          for (let j = 0; j < F; j++) s.coef[k * F + j] = s.coef[j]!;
          s.intercept[k] = s.intercept[0]!;
        }
        const { m, methods } = modelOf(s);
        const X = Float64Array.from(x);
        for (const method of methods) expectSame(outcome(m, X, method), outcome(general(m), X, method));
      }),
      { numRuns: 60 },
    );
  });
});
