#!/usr/bin/env node
// Benchmark: modelvault convert + predict against scikit-learn, measured in the same run.
//   npm run build && node bench/predict/run.mjs [--rows 100000]
// Needs /usr/bin/python3 with scikit-learn, numpy and joblib (Debian python3-sklearn); it says what
// is missing instead of installing anything. Prints medians and ratios (sklearn time / modelvault time).
// The two sides are measured in alternating rounds (scikit-learn, then modelvault, then scikit-learn
// …; Python waits on stdin while Node measures), and each ratio is the median of the per-round
// ratios: on a shared machine whose speed drifts by 2× within a minute, only measurements taken
// side by side compare.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { DIST, arg, median } from './common.mjs';

const HERE = new URL('.', import.meta.url).pathname;
const ROWS = Number(arg('--rows', '100000'));
const PY = '/usr/bin/python3';

function missing(what) {
  console.error(`bench/predict: cannot run: ${what}`);
  process.exit(3);
}
if (!existsSync(join(DIST, 'convert/index.js'))) missing('dist/ is not built (run `npm run build` first)');
if (!existsSync(PY)) missing(`${PY} not found (Debian: apt-get install python3)`);
const probe = spawnSync(PY, ['-c', 'import sklearn, numpy, joblib; print(sklearn.__version__)'], { encoding: 'utf8' });
if (probe.status !== 0) missing(`python3 cannot import scikit-learn/numpy/joblib (Debian: python3-sklearn python3-joblib): ${probe.stderr.trim().split('\n').pop()}`);

const { convertFile } = await import(join(DIST, 'convert/index.js'));
const { loadModel, predict } = await import(join(DIST, 'runtime/index.js'));

const dir = mkdtempSync(join(tmpdir(), 'mv-bench-predict-'));
console.error(`fitting models with scikit-learn ${probe.stdout.trim()} (OMP_NUM_THREADS=1, n_jobs=1) …`);
const py = spawn(PY, [join(HERE, 'sklearn_side.py'), dir, String(ROWS)], {
  env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }, stdio: ['pipe', 'pipe', 'inherit'],
});
const pyLines = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
async function pyLine() {
  const { value, done } = await pyLines.next();
  if (done) missing('sklearn_side.py exited early (see its error above)');
  return JSON.parse(value);
}
/** scikit-learn's median seconds over n timed calls of `what` (load | single | batch). */
async function sklearnTime(what, name, n) {
  py.stdin.write(`${what} ${name} ${n}\n`);
  return (await pyLine()).median_s;
}
const sk = await pyLine();
const raw = readFileSync(join(dir, 'batch.f64'));
const batch = new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8).slice();
const F = batch.length / ROWS;

/** Median seconds over n timed calls of fn. */
function time(fn, n) {
  const ts = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    ts.push(performance.now() - t);
  }
  return median(ts) / 1000;
}
/** `rounds` alternating rounds; each ratio is scikit-learn's round median / modelvault's. */
async function paired(what, name, rounds, n, mine) {
  const sks = [], mvs = [], ratios = [];
  for (let r = 0; r < rounds; r++) {
    const a = await sklearnTime(what, name, n);
    const b = mine(n);
    sks.push(a);
    mvs.push(b);
    ratios.push(a / b);
  }
  return { sk: median(sks), mv: median(mvs), ratio: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

const results = [];
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
for (const [name, s] of Object.entries(sk.models)) {
  const src = new Uint8Array(readFileSync(s.file));
  const conv = await convertFile(src, { sourceSha256: '0'.repeat(64), created: new Date().toISOString() });
  const artifactPath = join(dir, `${name}.safetensors`);
  writeFileSync(artifactPath, conv.bytes);
  // load = read the file + strict decode + schema + graph validation + compile, against joblib.load of
  // the .joblib file. `cold`: the first 15 loads of this artifact in this process (V8 has not optimised
  // the load path yet, as for a CLI run); the paired rounds (`warm`) follow 2,000 more loads or 1.5 s
  // of them, whichever comes first (a server or registry that loads many artifacts); `first predict`:
  // a warm load plus the first single-row predict (tree ensembles build their packed layout then).
  const loadCold = time(() => loadModel(readFileSync(artifactPath)), 15);
  for (let i = 0, t0 = performance.now(); i < 2000 && performance.now() - t0 < 1500; i++) loadModel(readFileSync(artifactPath));
  const perLoad = await sklearnTime('load', name, 3);
  const loads = Math.max(5, Math.min(1000, Math.round(0.2 / perLoad))); // ≈ 0.2 s of joblib.load per round
  const load = await paired('load', name, 9, loads, (n) => time(() => loadModel(readFileSync(artifactPath)), n));
  // { adopt: true }: the caller hands its fresh buffer over, so tensors are views into it (no copy)
  const loadAdopt = time(() => loadModel(readFileSync(artifactPath), { adopt: true }), 15);
  const row0 = batch.slice(0, F);
  const loadFirst = time(() => predict(loadModel(readFileSync(artifactPath)), row0), 15);
  const model = loadModel(readFileSync(artifactPath));
  // correctness spot check against scikit-learn's own predictions
  const first = predict(model, batch.subarray(0, 1000 * F)).data;
  const agree = first.filter((v, i) => v === s.first_1000_predict[i]).length;
  const rowsSingle = Array.from({ length: 300 }, (_, i) => batch.slice(i * F, (i + 1) * F));
  // Warm up until V8 has optimised the predict path (a server answers many single-row requests), then time
  // each row as the mean of 50 back-to-back calls: one call is close to performance.now()'s own cost.
  // scikit-learn: one call per row, 300 rows per round (its calls take 50 µs or more).
  for (let i = 0; i < 20_000; i++) predict(model, rowsSingle[i % 300]);
  const REPEAT = 50;
  const single = await paired('single', name, 7, 300, () => median(rowsSingle.map((r) => {
    const t = performance.now();
    for (let k = 0; k < REPEAT; k++) predict(model, r);
    return (performance.now() - t) / REPEAT;
  })) / 1000);
  predict(model, batch);
  await sklearnTime('batch', name, 1);
  const batchRun = await paired('batch', name, 5, 3, (n) => time(() => predict(model, batch), n));
  results.push({
    model: name, artifact_bytes: conv.bytes.length, joblib_bytes: s.bytes, agree_first_1000: agree,
    load: { sklearn_ms: load.sk * 1e3, modelvault_ms: load.mv * 1e3, ratio: load.ratio, round_ratios: [load.min, load.max], target: 5, loads_per_round: loads,
      cold_ms: loadCold * 1e3, cold_ratio: load.sk / loadCold, adopt_ms: loadAdopt * 1e3, adopt_ratio: load.sk / loadAdopt, with_first_predict_ms: loadFirst * 1e3, with_first_predict_ratio: load.sk / loadFirst },
    single_row: { sklearn_us: single.sk * 1e6, modelvault_us: single.mv * 1e6, ratio: single.ratio, round_ratios: [single.min, single.max], target: 50 },
    batch: { rows: ROWS, sklearn_rows_per_s: ROWS / batchRun.sk, modelvault_rows_per_s: ROWS / batchRun.mv, ratio: batchRun.ratio, round_ratios: [batchRun.min, batchRun.max], target: 1.5 },
  });
}
py.stdin.end();

const cpu1 = process.cpuUsage(cpu0);
const f = (x, d = 1) => x.toFixed(d);
console.log(`modelvault predict benchmark — node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} (${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}), scikit-learn ${sk.sklearn}, numpy ${sk.numpy}`);
console.log('ratios: median of the paired rounds [lowest–highest round]; sk / mv are the medians of the rounds');
console.log('model                     | load ms (sk / mv warm / x) [mv adopt, x; mv cold, x; mv warm + 1st predict, x] | 1-row µs (sk / mv / x) | batch rows/s (sk / mv / x) | agree');
for (const r of results) {
  const ok = (m, t) => `${f(m.ratio)}x [${f(m.round_ratios[0])}–${f(m.round_ratios[1])}]${m.ratio >= t ? '' : ' (below target ' + t + 'x)'}`;
  console.log(
    `${r.model.padEnd(25)} | ${f(r.load.sklearn_ms, 3)} / ${f(r.load.modelvault_ms, 3)} / ${ok(r.load, 5)} [${f(r.load.adopt_ms, 3)}, ${f(r.load.adopt_ratio)}x; ${f(r.load.cold_ms, 3)}, ${f(r.load.cold_ratio)}x; ${f(r.load.with_first_predict_ms, 3)}, ${f(r.load.with_first_predict_ratio)}x] | ` +
    `${f(r.single_row.sklearn_us)} / ${f(r.single_row.modelvault_us)} / ${ok(r.single_row, 50)} | ` +
    `${Math.round(r.batch.sklearn_rows_per_s)} / ${Math.round(r.batch.modelvault_rows_per_s)} / ${ok(r.batch, 1.5)} | ${r.agree_first_1000}/1000`,
  );
}
console.log(`node side: ${f((performance.now() - wall0) / 1000)} s wall, ${f((cpu1.user + cpu1.system) / 1e6)} s CPU (a CPU time well above the wall time means other threads, e.g. GC; well below, that the process waited for the CPU — here also while scikit-learn ran)`);
if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2));
