#!/usr/bin/env node
// Where `loadModel` time goes: median ms of each load phase per model.
//   npm run build && node bench/predict/load.mjs [--dir DIR] [--reps 15] [--model NAME]
// DIR holds the *.joblib files of bench/predict/sklearn_side.py (kernels.mjs makes /tmp/mv-bench-kernels).
import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DIST, arg, median } from './common.mjs';

const DIR = arg('--dir', '/tmp/mv-bench-kernels');
const REPS = Number(arg('--reps', '15'));
const ONLY = arg('--model', null);
const { convertFile } = await import(join(DIST, 'convert/index.js'));
const { loadModel, decodeArtifact, compileModel, readDescription, predict } = await import(join(DIST, 'runtime/index.js'));
const { parseSafetensors } = await import(join(DIST, 'formats/safetensors/index.js'));
function time(fn) {
  for (let i = 0; i < 3; i++) fn();
  const ts = [];
  for (let i = 0; i < REPS; i++) {
    const t = performance.now();
    fn();
    ts.push(performance.now() - t);
  }
  return median(ts);
}
const X1 = new Float64Array(20).fill(0.5);
const out = mkdtempSync(join(tmpdir(), 'mv-bench-load-'));
console.log(`bench/predict/load — node ${process.version}, median of ${REPS} ms, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
for (const file of readdirSync(DIR).filter((f) => f.endsWith('.joblib')).sort()) {
  const name = file.replace(/\.joblib$/, '');
  if (ONLY && name !== ONLY) continue;
  const conv = await convertFile(new Uint8Array(readFileSync(join(DIR, file))), { sourceSha256: '0'.repeat(64), created: '2026-01-01T00:00:00Z' });
  const p = join(out, `${name}.safetensors`);
  writeFileSync(p, conv.bytes);
  const bytes = new Uint8Array(readFileSync(p));
  const row = { model: name };
  row.read = time(() => readFileSync(p));
  row.load = time(() => loadModel(readFileSync(p)));
  row.load_first_predict = time(() => predict(loadModel(readFileSync(p)), X1));
  row.parse = time(() => parseSafetensors(bytes, { strict: true }));
  const st = parseSafetensors(bytes, { strict: true });
  row.description = time(() => readDescription(st));
  row.decode = time(() => decodeArtifact(bytes));
  const a = decodeArtifact(bytes);
  row.compile = time(() => compileModel(a));
  console.log(Object.entries(row).map(([k, v]) => `${k} ${typeof v === 'number' ? v.toFixed(3) : v}`).join(' | '));
}
