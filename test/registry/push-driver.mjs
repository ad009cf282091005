// Child-process driver for the crash and concurrency tests, using the built Registry API (dist/).
//   node push-driver.mjs REGISTRY MODEL FILE...      push the files one after another, then exit
//   node push-driver.mjs --loop REGISTRY MODEL DIR   write fresh random safetensors files into DIR and
//                                                    push them forever (until killed)
// Acts as the OS user. Prints "ready" once the registry is open and the ingest code is loaded, then one
// JSON line per push.
import { randomFillSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '../../dist/formats/safetensors/index.js';
import { Registry } from '../../dist/registry/index.js';

const args = process.argv.slice(2);
const loop = args[0] === '--loop';
if (loop) args.shift();
const [dir, model, ...rest] = args;
const reg = await Registry.open(dir);
await import('../../dist/scan/index.js');
await import('../../dist/host/index.js'); // warm: kills should land in ingest, not imports
process.stdout.write('ready\n');
const actor = userInfo().username;
const push = async (file) => {
  const r = await reg.push(actor, { file, name: model, meta: { pid: String(process.pid) } });
  process.stdout.write(`${JSON.stringify({ version: r.version, digest: r.digest, created: r.created })}\n`);
};
if (loop) {
  for (let i = 0; ; i++) {
    const data = randomFillSync(new Uint8Array(4 * 1024 * 1024));
    const file = join(rest[0], `${process.pid}-${i}.safetensors`);
    writeFileSync(file, writeSafetensors({ w: { dtype: 'U8', shape: [data.length], data } }));
    await push(file);
  }
} else {
  for (const file of rest) await push(file);
}
reg.close();
