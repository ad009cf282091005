// One timed sign or verify in a fresh process, so peak RSS (main thread + hash workers) is ours alone.
// Usage: node child.mjs sign|verify|hash MODEL SIG KEY_OR_PUB [chunkMiB]
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const dist = new URL('../../dist/host/model-signing.js', import.meta.url);
const { signModel, verifyModel, hashModel } = await import(dist.href);
const [op, model, sig, keyFile] = process.argv.slice(2);
const t0 = performance.now();
const c0 = process.cpuUsage();
let ok = true;
if (op === 'sign') {
  await signModel(model, { privateKey: readFileSync(keyFile, 'utf8'), signaturePath: sig });
} else if (op === 'verify') {
  const r = await verifyModel(model, { signature: sig, trust: { kind: 'key', publicKey: readFileSync(keyFile, 'utf8') } });
  ok = r.ok;
  if (!ok) console.error(r.code, r.reason);
} else {
  await hashModel(model);
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(c0); // all threads of the process (main + hash workers)
process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, ok, maxRssKiB: process.resourceUsage().maxRSS }));
