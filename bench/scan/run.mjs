// Scan benchmark (issue 2 §7): whole-process wall time and peak RSS of `modelvault scan` on
//   (a) a 1 GB PyTorch zip checkpoint, (b) a 200 MB joblib RandomForest, (c) 10,000 small pickles,
// next to `cat` of the same bytes (the I/O floor) in the same run. picklescan is not installable here
// (no PyPI); its figures from the issue are printed for reference.
//
//   node bench/scan/run.mjs [--dir /tmp/mv-bench-scan] [--runs 5] [--scale 1]
//
// Inputs are generated once by bench/scan/gen.py (Debian python3 with torch, scikit-learn, joblib).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';

const arg = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
const dir = arg('--dir', '/tmp/mv-bench-scan');
const runs = Number(arg('--runs', '5'));
const scale = arg('--scale', '1');
const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'bin/modelvault.js');

if (!existsSync(join(dir, 'rf-200m.joblib'))) {
  console.error(`generating inputs in ${dir} (scale ${scale}) ...`);
  execFileSync('/usr/bin/python3', [join(root, 'bench/scan/gen.py'), dir, '--scale', scale], { stdio: 'inherit' });
}

/** Runs a command under /usr/bin/time -v; returns wall seconds and peak RSS in MB. */
function measure(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const line = r.stderr.trim().split('\n').pop();
  const [wall, rssKb, user, sys] = line.split(' ').map(Number);
  return { wall, rss: rssKb / 1024, cpu: user + sys, status: r.status };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

function bench(label, scanArgs, catArgs, target, ref) {
  const scans = [];
  const cats = [];
  for (let i = 0; i < runs; i++) {
    cats.push(measure('sh', ['-c', catArgs.length > 100 ? `find '${dirname(catArgs[0])}' -type f -exec cat {} + > /dev/null` : `cat ${catArgs.map((a) => `'${a}'`).join(' ')} > /dev/null`]));
    scans.push(measure('node', [cli, 'scan', '--quiet', ...scanArgs]));
  }
  const w = median(scans.map((s) => s.wall));
  const r = median(scans.map((s) => s.rss));
  const c = median(cats.map((s) => s.wall));
  const cpu = median(scans.map((s) => s.cpu));
  const exit = scans[0].status;
  console.log(`| ${label} | ${w.toFixed(3)} s | ${cpu.toFixed(2)} s | ${r.toFixed(0)} MB | ${c.toFixed(3)} s | ${target} | ${ref} | ${exit} |`);
}

console.log(`node ${process.version}, ${cpus()[0].model}, ${cpus().length} cores, ${runs} runs, medians`);
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log('| input | modelvault scan wall | CPU (user+sys) | peak RSS | cat (same bytes) | target | picklescan (issue) | exit |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
bench('(a) 1 GB PyTorch zip', [join(dir, 'torch-1g.pt')], [join(dir, 'torch-1g.pt')], '≤ 0.15 s, ≤ 100 MB', '0.09 s / 23 MB (pickle members only)');
bench('(b) 200 MB joblib RandomForest', [join(dir, 'rf-200m.joblib')], [join(dir, 'rf-200m.joblib')], '≤ 0.25 s', 'error at first array');
const small = join(dir, 'pickles-10k');
const files = existsSync(small) ? readdirSync(small).map((f) => join(small, f)) : [];
bench(`(c) ${files.length} small pickles`, [small], files, '≤ 1.5 s', '12.4 s');
