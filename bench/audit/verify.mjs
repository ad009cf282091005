// Benchmark: AuditStore.verifyAll() over 100,000 audit entries in a temporary SQLite (WAL) file.
// Run: npm run build && node bench/audit/verify.mjs [entries]
// Prints medians of 3 runs (wall and CPU time) and the ratio against a baseline measured in the same run: reading every
// leaf row and SHA-256 hashing its data (the floor for any verifier that recomputes leaf hashes).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditStore } from '../../dist/registry/audit-store.js';

const N = Number(process.argv[2] ?? 100_000);
const RUNS = 3;
const dir = mkdtempSync(join(tmpdir(), 'mv-bench-audit-'));
const file = join(dir, 'registry.db');
const seed = createHash('sha256').update('modelvault bench key').digest();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

// Realistic events: mostly version uploads with provenance, some alias moves and tags.
function event(i) {
  const model = `team-${i % 37}/model-${i % 211}`;
  const digest = `sha256:${createHash('sha256').update(`blob ${i}`).digest('hex')}`;
  switch (i % 10) {
    case 0: return { actor: `user${i % 50}@example.com`, action: 'alias.set', subject: { model, version: 1 + (i % 40), digest: null },
      before: { alias: 'production', version: i % 40 }, after: { alias: 'production', version: 1 + (i % 40) }, reason: 'promote after evaluation' };
    case 1: return { actor: `ci-bot-${i % 3}`, action: 'tag.set', subject: { model, version: 1 + (i % 40), digest: null }, before: null, after: { key: 'stage', value: 'qa' } };
    default: return { actor: `user${i % 50}@example.com`, action: 'version.create', subject: { model, version: 1 + (i % 40), digest }, before: null,
      after: { format: 'safetensors', bytes: 1_000_000 + i, source: { format: 'sklearn-joblib', digest: `sha256:${createHash('sha256').update(`src ${i}`).digest('hex')}` },
        scan: { verdict: 'clean', findings: 0, rules: 31 }, signer: { kind: 'key', id: 'SHA256:kq2Wbl9hUXt7w' }, meta: { dataset: 'iris-v3', commit: 'a1b2c3d4e5f6', framework: 'scikit-learn 1.2.1' } } };
  }
}

const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
let clock = Date.UTC(2026, 0, 1);
const store = new AuditStore(db, { origin: 'bench.example/modelvault/audit', signingKey: seed, clock: () => (clock += 37) });

// Build: every write appends its leaf and signs a checkpoint in one transaction, as the registry does.
let t0 = process.hrtime.bigint();
const write = db.transaction((i) => { store.append(event(i)); store.checkpoint(); });
for (let i = 0; i < N; i++) write(i);
const buildMs = ms(t0);
const cps = db.prepare('SELECT count(*) AS n FROM audit_checkpoints').get().n;
const bytes = db.prepare('SELECT sum(length(data)) AS b FROM audit_leaves').get().b;

const verifyTimes = [];
const verifyCpu = [];
const baseTimes = [];
let result;
for (let r = 0; r < RUNS; r++) {
  t0 = process.hrtime.bigint();
  let h = 0;
  for (const row of db.prepare('SELECT data FROM audit_leaves ORDER BY idx').iterate()) h ^= createHash('sha256').update(Buffer.from([0])).update(row.data).digest()[0];
  baseTimes.push(ms(t0));
  t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  result = store.verifyAll();
  const c = process.cpuUsage(c0);
  verifyTimes.push(ms(t0));
  verifyCpu.push((c.user + c.system) / 1000);
}
if (!result.ok || result.size !== N) throw new Error(`verifyAll failed: ${JSON.stringify(result.problems.slice(0, 3))}`);

const v = median(verifyTimes);
const b = median(baseTimes);
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}`);
console.log(`entries ${N}, avg event ${(bytes / N).toFixed(0)} B, stored checkpoints ${cps}, db ${(statSync(file).size / 1e6).toFixed(1)} MB`);
console.log(`build (append + checkpoint per write): ${(buildMs / 1000).toFixed(1)} s (${((buildMs * 1000) / N).toFixed(0)} µs/write)`);
console.log(`verifyAll median of ${RUNS}: ${(v / 1000).toFixed(2)} s  [runs: ${verifyTimes.map((x) => (x / 1000).toFixed(2)).join(', ')}]`);
console.log(`verifyAll CPU time median: ${(median(verifyCpu) / 1000).toFixed(2)} s (process user+system; robust to other load on the machine); load average ${loadavg()[0].toFixed(1)}`);
console.log(`baseline (read + SHA-256 every leaf) median: ${(b / 1000).toFixed(2)} s; ratio verifyAll/baseline: ${(v / b).toFixed(1)}x`);
db.close();
rmSync(dir, { recursive: true, force: true });
