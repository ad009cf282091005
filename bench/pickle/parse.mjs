// Pickle engine benchmark: parse a ~200 MB joblib RandomForest completely (every opcode, arrays
// skipped by length) and compare with the reference loader, joblib.load, timed in the same run.
//
//   npm run build && node bench/pickle/parse.mjs [--mb 200] [--runs 7]
//
// The model is generated once with /usr/bin/python3 (scikit-learn + joblib) into /tmp and reused.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { parsePickle } from '../../dist/formats/pickle/index.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const MB = arg('mb', 200);
const RUNS = arg('runs', 7);
const PATH = `/tmp/modelvault-bench-rf-${MB}mb.joblib`;

const GEN = `
import sys, numpy as np, joblib
from sklearn.ensemble import RandomForestClassifier
mb, path = int(sys.argv[1]), sys.argv[2]
rng = np.random.RandomState(0)
n = 40000
X = rng.rand(n, 5); y = rng.randint(0, 2, n)          # noise labels: fully grown trees
trees = max(1, round(160 * mb / 200))
m = RandomForestClassifier(n_estimators=trees, random_state=0, n_jobs=2).fit(X, y)
joblib.dump(m, path)
`;
const REF = `
import sys, time, joblib, statistics
ts = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter(); joblib.load(sys.argv[1]); ts.append(time.perf_counter() - t)
print(statistics.median(ts))
`;

if (!existsSync(PATH)) {
  process.stderr.write(`generating ${PATH} …\n`);
  execFileSync('/usr/bin/python3', ['-c', GEN, String(MB), PATH], { stdio: 'inherit' });
}
const bytes = new Uint8Array(readFileSync(PATH));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Wall time and process CPU time (all threads: JIT and GC included) — the bench machine is shared,
// so CPU time is the steadier number.
let last;
let cold = 0;
let coldCpu = 0;
const times = [];
const cpuTimes = [];
for (let i = 0; i < RUNS + 1; i++) {
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  last = parsePickle(bytes, { profile: 'joblib' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  const cu = process.cpuUsage(c);
  const cpu = (cu.user + cu.system) / 1000;
  if (i > 0) { times.push(ms); cpuTimes.push(cpu); }
  else { cold = ms; coldCpu = cpu; } // the first run includes JIT warm-up: what a one-shot CLI call pays
}
if (last.error) throw last.error;
const payloads = last.events.filter((e) => e.kind === 'array-payload');
const skipped = payloads.reduce((s, e) => s + e.length, 0);
const ours = median(times);
const ref = Number(execFileSync('/usr/bin/python3', ['-c', REF, PATH, String(Math.max(3, Math.min(RUNS, 5)))]).toString()) * 1000;

console.log(`file: ${PATH} (${(statSync(PATH).size / 1e6).toFixed(1)} MB, ${payloads.length} inline arrays, ${(skipped / 1e6).toFixed(1)} MB skipped, ${last.events.length} events)`);
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}`);
console.log(`parsePickle (joblib profile): first run ${cold.toFixed(1)} ms (cpu ${coldCpu.toFixed(1)} ms), then median ${ours.toFixed(1)} ms (cpu ${median(cpuTimes).toFixed(1)} ms) over ${RUNS} runs`);
console.log(`joblib.load (reference):      median ${ref.toFixed(1)} ms`);
console.log(`ratio ours/reference: ${(ours / ref).toFixed(3)}`);
