// Benchmark: registry push and pull of a 1 GB artifact vs a plain `cp` of the same file (same run),
// and `modelvault audit verify` over a registry with 100,000 audit entries.
// Run: npm run build && node bench/registry/run.mjs [--runs 3] [--gb 1] [--entries 100000]
// Data is generated under $TMPDIR (checked with df first) and deleted afterwards.
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Registry } from '../../dist/registry/index.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, gb: { type: 'string', default: '1' }, entries: { type: 'string', default: '100000' } } });
const RUNS = Number(values.runs);
const BYTES = Math.round(Number(values.gb) * 1024 ** 3);
const ENTRIES = Number(values.entries);
const admin = userInfo().username;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;
const mbps = (ms) => (BYTES / 1e6 / (ms / 1000)).toFixed(0);

const base = mkdtempSync(join(tmpdir(), 'mv-bench-reg-'));
const fs = statfsSync(base);
const free = fs.bavail * fs.bsize;
console.log(spawnSync('df', ['-h', base], { encoding: 'utf8' }).stdout.trim());
if (free < BYTES * 4.5) {
  console.error(`need ${(BYTES * 4.5 / 1e9).toFixed(1)} GB free in ${base}, have ${(free / 1e9).toFixed(1)} GB`);
  process.exit(2);
}
try {
  // ── a 1 GB safetensors artifact (one U8 tensor of random bytes), written in 64 MB chunks ──────
  const file = join(base, 'big.safetensors');
  const dataBytes = BYTES - 8 - 136;
  let header = JSON.stringify({ w: { dtype: 'U8', shape: [dataBytes], data_offsets: [0, dataBytes] } });
  header = header.padEnd(136, ' '); // not 128: a length byte 0x80 then 0x00 sniffs as pickle PROTO 0 (reported)
  const fd = openSync(file, 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  writeSync(fd, len);
  writeSync(fd, Buffer.from(header));
  const chunk = Buffer.alloc(64 * 1024 * 1024);
  for (let left = dataBytes; left > 0; left -= chunk.length) {
    randomFillSync(chunk);
    writeSync(fd, chunk, 0, Math.min(chunk.length, left));
  }
  closeSync(fd);
  spawnSync('sync');

  const cp = [], push = [], pull = [], cpSync = [], sum = [];
  for (let r = 0; r < RUNS; r++) {
    const dst = join(base, 'copy.bin');
    let t = now();
    spawnSync('cp', [file, dst]);
    cp.push(now() - t);
    rmSync(dst);
    t = now();
    spawnSync('sh', ['-c', `cp "${file}" "${dst}" && sync "${dst}"`]);
    cpSync.push(now() - t);
    rmSync(dst);

    t = now();
    spawnSync('sha256sum', [file]);
    sum.push(now() - t);

    const dir = join(base, `reg-${r}`);
    (await Registry.init(dir, { admin })).close();
    const reg = await Registry.open(dir);
    t = now();
    const res = await reg.push(admin, { file, name: 'big' });
    push.push(now() - t);
    const out = join(base, 'pulled.safetensors');
    t = now();
    await reg.pull(admin, { kind: 'version', model: 'big', version: res.version }, out);
    pull.push(now() - t);
    reg.close();
    rmSync(out);
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(file);
  const m = { cp: median(cp), cpSync: median(cpSync), sum: median(sum), push: median(push), pull: median(pull) };
  console.log(`\n1 GB artifact (${BYTES} bytes), ${RUNS} runs, medians:`);
  console.log(`  cp                ${m.cp.toFixed(0)} ms  (${mbps(m.cp)} MB/s)`);
  console.log(`  cp + sync         ${m.cpSync.toFixed(0)} ms  (${mbps(m.cpSync)} MB/s)`);
  console.log(`  sha256sum         ${m.sum.toFixed(0)} ms  (${mbps(m.sum)} MB/s)  (hashing floor: push and pull hash every byte)`);
  console.log(`  modelvault push   ${m.push.toFixed(0)} ms  (${mbps(m.push)} MB/s)  ratio vs cp ${(m.push / m.cp).toFixed(2)}, vs cp+sync ${(m.push / m.cpSync).toFixed(2)}`);
  console.log(`  modelvault pull   ${m.pull.toFixed(0)} ms  (${mbps(m.pull)} MB/s)  ratio vs cp ${(m.pull / m.cp).toFixed(2)}, vs cp+sync ${(m.pull / m.cpSync).toFixed(2)}`);

  // ── audit verify over ENTRIES entries ─────────────────────────────────────────────────────
  const dir = join(base, 'audit');
  (await Registry.init(dir, { admin })).close();
  const reg = await Registry.open(dir);
  const f = join(base, 'small.safetensors');
  {
    const h = JSON.stringify({ w: { dtype: 'U8', shape: [8], data_offsets: [0, 8] } });
    const b = Buffer.alloc(8 + h.length + 8);
    b.writeBigUInt64LE(BigInt(h.length));
    b.write(h, 8);
    const fd2 = openSync(f, 'w');
    writeSync(fd2, b);
    closeSync(fd2);
  }
  await reg.push(admin, { file: f, name: 'm' });
  let t = now();
  // registry-shaped events (tag.set on a version, with before/after) in batches, one checkpoint per batch
  for (let done = reg.store.audit.size(); done < ENTRIES; ) {
    const n = Math.min(5000, ENTRIES - done);
    await reg.store.write(async (tx) => {
      for (let i = 0; i < n; i++) {
        await tx.appendAudit({ actor: `user${i % 50}@example.com`, action: 'tag.set', subject: { model: 'm', version: 1, digest: null },
          before: { key: 'eval', value: String(done + i - 1) }, after: { key: 'eval', value: String(done + i) } });
      }
      await tx.checkpoint();
    });
    done += n;
  }
  const buildMs = now() - t;
  reg.close();
  const cli = [], api = [];
  for (let r = 0; r < RUNS; r++) {
    t = now();
    const p = spawnSync(process.execPath, [join(import.meta.dirname, '../../bin/modelvault.js'), 'audit', 'verify', '--registry', dir], { encoding: 'utf8' });
    cli.push(now() - t);
    if (p.status !== 0) throw new Error(`audit verify failed: ${p.stdout}${p.stderr}`);
    const reg2 = await Registry.open(dir);
    t = now();
    const v = await reg2.auditVerify(admin);
    api.push(now() - t);
    if (!v.ok) throw new Error('verify not ok');
    reg2.close();
  }
  console.log(`\naudit verify over ${ENTRIES} entries (built in ${(buildMs / 1000).toFixed(1)} s), ${RUNS} runs, medians:`);
  console.log(`  Registry.auditVerify (tree + checkpoints + state replay)  ${median(api).toFixed(0)} ms`);
  console.log(`  modelvault audit verify (whole CLI process)             ${median(cli).toFixed(0)} ms   target < 5000 ms`);
  console.log(`\nNode ${process.version}, ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, load avg ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
