#!/usr/bin/env node
// Micro-benchmark of the batch kernels behind `predict` (where the time of a 100k-row batch goes).
//   npm run build && node bench/predict/kernels.mjs [--dir DIR] [--rows N] [--reps 5] [--model NAME] [--sklearn]
// MV_DIST=/path/to/other/dist/ times another build (before/after comparisons in the same conditions).
// DIR holds the output of bench/predict/sklearn_side.py (batch.f64 + *.joblib); when it is missing
// the script runs sklearn_side.py once to make it (Debian /usr/bin/python3 with scikit-learn).
// For each model: median ms of the whole `predict`, and of its phases (input check, transforms,
// finiteness check, estimator kernel, label mapping). `--sklearn` re-times scikit-learn's batch
// predict (n_jobs=1) in the same run and prints the ratio.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DIST, arg, median } from './common.mjs';

const HERE = new URL('.', import.meta.url).pathname;
const DIR = arg('--dir', '/tmp/mv-bench-kernels');
const ROWS = Number(arg('--rows', '100000'));
const REPS = Number(arg('--reps', '5'));
const ONLY = arg('--model', null);
const PY = '/usr/bin/python3';
const ENV = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

if (!existsSync(join(DIST, 'convert/index.js'))) {
  console.error('bench/predict/kernels: dist/ is not built (run `npm run build` first)');
  process.exit(3);
}
if (!existsSync(join(DIR, 'batch.f64'))) {
  if (!existsSync(PY)) {
    console.error(`bench/predict/kernels: ${DIR} has no batch.f64 and ${PY} is missing`);
    process.exit(3);
  }
  mkdirSync(DIR, { recursive: true });
  console.error(`making ${DIR} with sklearn_side.py …`);
  execFileSync(PY, [join(HERE, 'sklearn_side.py'), DIR, String(ROWS)], { env: ENV, stdio: ['ignore', 'ignore', 'inherit'] });
}

const { convertFile } = await import(join(DIST, 'convert/index.js'));
const { loadModel, predict, toFrame, splitGraph } = await import(join(DIST, 'runtime/index.js'));
const { checkFinite } = await import(join(DIST, 'runtime/kernels/frame.js'));

const raw = readFileSync(join(DIR, 'batch.f64'));
const all = new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8).slice();
const F = 20;
const batch = all.subarray(0, Math.min(ROWS, all.length / F) * F);
const n = batch.length / F;

function time(fn) {
  fn();
  const ts = [];
  for (let i = 0; i < REPS; i++) {
    const t = performance.now();
    fn();
    ts.push(performance.now() - t);
  }
  return median(ts);
}

function sklearnBatch(file) {
  const code = `
import sys, time, statistics, joblib, numpy as np
m = joblib.load(sys.argv[1]); X = np.fromfile(sys.argv[2], dtype='<f8').reshape(-1, 20)[:int(sys.argv[3])]
if hasattr(m, 'n_jobs'): m.n_jobs = 1
m.predict(X); ts = []
for _ in range(int(sys.argv[4])):
    t = time.perf_counter(); m.predict(X); ts.append(time.perf_counter() - t)
print(statistics.median(ts) * 1e3)`;
  const r = spawnSync(PY, ['-c', code, file, join(DIR, 'batch.f64'), String(n), String(REPS)], { env: ENV, encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : NaN;
}

console.log(`bench/predict/kernels — node ${process.version}, ${n} rows, median of ${REPS}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
for (const file of readdirSync(DIR).filter((f) => f.endsWith('.joblib')).sort()) {
  const name = file.replace(/\.joblib$/, '');
  if (ONLY && name !== ONLY) continue;
  const conv = await convertFile(new Uint8Array(readFileSync(join(DIR, file))), { sourceSha256: '0'.repeat(64), created: '2026-01-01T00:00:00Z' });
  const model = loadModel(conv.bytes);
  const est = model.compiled.estimator;
  const kind = splitGraph(model.ir.graph).estimator?.kind;
  const methods = model.methods.filter((m) => m === 'predict' || m === 'predict_proba');
  const row = { model: name };
  for (const method of methods) row[method] = time(() => predict(model, batch, { method }));
  const fr = toFrame(model.ir.input, batch);
  row.input = time(() => toFrame(model.ir.input, batch));
  let tf = fr;
  row.transforms = time(() => {
    tf = fr;
    for (const t of model.compiled.transforms) tf = t.run(tf);
  });
  row.finite = time(() => checkFinite(tf, est.finite, kind));
  row.kernel = time(() => est.run(tf, 'predict'));
  const idx = est.run(tf, 'predict').data;
  const classes = model.ir.output.classes ?? [];
  row.labels = time(() => Array.from(idx, (i) => classes[i]));
  if (process.argv.includes('--sklearn')) {
    row.sklearn = sklearnBatch(join(DIR, file));
    row.ratio = row.sklearn / row.predict;
  }
  console.log(Object.entries(row).map(([k, v]) => `${k} ${typeof v === 'number' ? v.toFixed(k === 'ratio' ? 2 : 1) : v}`).join(' | '));
}
