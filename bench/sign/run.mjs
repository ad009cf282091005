#!/usr/bin/env node
// Benchmark: modelvault sign + verify vs `openssl dgst -sha256` over the same data, same run.
//   (a) one 4 GiB file   (b) 2,000 files totalling 2 GiB
// Data is generated under $TMPDIR (default /tmp) and deleted afterwards. Needs `npm run build`.
// Usage: node bench/sign/run.mjs [--runs N] [--scale F]   (--scale 0.1 for a quick smoke run)
import { execFileSync, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
const opt = (name, d) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const RUNS = opt('--runs', 3);
const SCALE = opt('--scale', 1);
const GiB = 1024 ** 3;
const BIG = Math.round(4 * GiB * SCALE);
const MANY_TOTAL = Math.round(2 * GiB * SCALE);
const MANY_N = 2000;

const child = new URL('./child.mjs', import.meta.url).pathname;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gbps = (bytes, ms) => bytes / 1e9 / (ms / 1000);

const root = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), 'mv-bench-sign-'));
const cleanup = () => rmSync(root, { recursive: true, force: true });
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

const free = (() => {
  const s = statfsSync(root);
  return s.bavail * s.bsize;
})();
if (free < (BIG + MANY_TOTAL) * 1.2) {
  console.error(`not enough space in ${root}: need ${((BIG + MANY_TOTAL) / 1e9).toFixed(1)} GB, have ${(free / 1e9).toFixed(1)} GB`);
  process.exit(2);
}

/** Writes `size` pseudo-random bytes (a 16 MiB random block, varied per block). */
function writeData(path, size, block) {
  const fd = openSync(path, 'w');
  try {
    for (let off = 0, k = 0; off < size; k++) {
      const n = Math.min(block.length, size - off);
      block.writeUInt32LE(k, 0);
      writeSync(fd, block, 0, n);
      off += n;
    }
  } finally {
    closeSync(fd);
  }
}

function gen() {
  const block = randomFillSync(Buffer.allocUnsafe(16 * 1024 * 1024));
  const big = join(root, 'big');
  mkdirSync(big);
  writeData(join(big, 'model.bin'), BIG, block);
  const many = join(root, 'many');
  const files = [];
  // Sizes vary ±50% around the mean, scaled to the exact total.
  const raw = Array.from({ length: MANY_N }, (_, i) => 0.5 + ((i * 7919) % 1000) / 1000);
  const sum = raw.reduce((a, b) => a + b, 0);
  let left = MANY_TOTAL;
  raw.forEach((r, i) => {
    const dir = join(many, `shard-${String(i % 20).padStart(2, '0')}`);
    mkdirSync(dir, { recursive: true });
    const size = i === MANY_N - 1 ? left : Math.floor((r / sum) * MANY_TOTAL);
    left -= size;
    const p = join(dir, `part-${String(i).padStart(4, '0')}.bin`);
    writeData(p, size, block);
    files.push(p);
  });
  return { big, bigFile: join(big, 'model.bin'), many, files };
}

function timeOpenssl(files) {
  // One openssl process over all files (single core), output discarded; bash's `time` gives its CPU.
  const list = join(root, 'files.txt');
  writeFileSync(list, files.join('\0'));
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', `TIMEFORMAT='%U %S'; time (xargs -0 openssl dgst -sha256 < '${list}' > /dev/null)`], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  const [u, s] = r.stderr.trim().split(/\s+/).slice(-2).map(Number);
  return { ms, cpuMs: (u + s) * 1000 };
}

function timeOurs(op, model, sig, key) {
  const r = spawnSync(process.execPath, [child, op, model, sig, key], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${op} failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout);
  if (!j.ok) throw new Error(`${op} did not verify`);
  return j;
}

console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, ${execFileSync('openssl', ['version']).toString().trim()}`);
console.log(`data: ${root}  (a) 1 file × ${(BIG / 1e9).toFixed(2)} GB  (b) ${MANY_N} files, ${(MANY_TOTAL / 1e9).toFixed(2)} GB total; ${RUNS} runs, medians`);
const t0 = performance.now();
const data = gen();
console.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// Key pair for the run (P-256).
const { generateKeyPairSync } = await import('node:crypto');
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const keyFile = join(root, 'k.pem');
const pubFile = join(root, 'k.pub');
writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }));

const results = [];
for (const [label, model, files, bytes] of [
  ['(a) 1 × 4 GiB', data.big, [data.bigFile], BIG],
  ['(b) 2000 files, 2 GiB', data.many, data.files, MANY_TOTAL],
]) {
  timeOpenssl(files); // warm the page cache for everyone
  const sig = join(root, `${label.slice(1, 2)}.sig`);
  const o = [], s = [], v = [], oc = [], sc = [], vc = [];
  let rss = 0;
  for (let i = 0; i < RUNS; i++) {
    // Alternate the order so neither tool always runs first after the other.
    const x = timeOpenssl(files);
    let a, b;
    if (i % 2) {
      b = timeOurs('verify', model, sig, pubFile); // the signature of the previous run
      a = timeOurs('sign', model, sig, keyFile);
    } else {
      a = timeOurs('sign', model, sig, keyFile);
      b = timeOurs('verify', model, sig, pubFile);
    }
    o.push(x.ms);
    oc.push(x.cpuMs);
    s.push(a.ms);
    sc.push(a.cpuMs);
    v.push(b.ms);
    vc.push(b.cpuMs);
    rss = Math.max(rss, a.maxRssKiB, b.maxRssKiB);
  }
  const row = {
    label,
    openssl: gbps(bytes, median(o)),
    sign: gbps(bytes, median(s)),
    verify: gbps(bytes, median(v)),
    // Throughput per CPU-second: independent of how busy the machine is.
    opensslCpu: gbps(bytes, median(oc)),
    signCpu: gbps(bytes, median(sc)),
    verifyCpu: gbps(bytes, median(vc)),
    rssMB: rss / 1024,
  };
  results.push(row);
  console.log(
    `${label.padEnd(24)} openssl ${row.openssl.toFixed(2)} GB/s | sign ${row.sign.toFixed(2)} GB/s (${(row.sign / row.openssl).toFixed(2)}x) | ` +
      `verify ${row.verify.toFixed(2)} GB/s (${(row.verify / row.openssl).toFixed(2)}x) | peak RSS ${row.rssMB.toFixed(0)} MB`,
  );
  console.log(
    `${''.padEnd(24)} per CPU-second: openssl ${row.opensslCpu.toFixed(2)} | sign ${row.signCpu.toFixed(2)} | verify ${row.verifyCpu.toFixed(2)} GB/s`,
  );
}
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (2 cores shared: wall-clock ratios need an idle machine)`);
const [a, b] = results;
const pass = (x, t) => (x >= t ? 'PASS' : 'FAIL');
console.log(
  `targets: (a) >= 0.9x: sign ${pass(a.sign / a.openssl, 0.9)}, verify ${pass(a.verify / a.openssl, 0.9)}; ` +
    `(b) >= 1.6x: sign ${pass(b.sign / b.openssl, 1.6)}, verify ${pass(b.verify / b.openssl, 1.6)}; ` +
    `RSS < 200 MB: ${pass(200 - Math.max(a.rssMB, b.rssMB), 0)}`,
);
