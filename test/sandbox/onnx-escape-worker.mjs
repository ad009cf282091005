// A hostile "ONNX worker" used by test/sandbox/onnx.test.ts: started by WorkerPool({ kind: 'onnx' }), so
// with the ONNX flags (--allow-addons); it loads ONNX Runtime's native binding, then tries to escape the
// sandbox and reports what the permission model, rlimits and network namespace allowed.
import * as fs from 'node:fs';
import * as cp from 'node:child_process';
import * as net from 'node:net';

const attempt = async (fn) => { try { await fn(); return 'allowed'; } catch (e) { return e.code ?? e.message; } };
// An absolute path: resolving a bare name from test/ would stat folders outside --allow-fs-read.
const ortUrl = new URL('../../node_modules/onnxruntime-node/dist/index.js', import.meta.url);

process.on('message', async (m) => {
  if (m.t === 'load') return process.send({ t: 'loaded', id: m.id, info: {} });
  if (m.t !== 'run') return;
  const { port, outside } = JSON.parse(m.feeds.request.data[0]);
  let ort;
  const outcome = {
    addon: await attempt(async () => { ort = (await import(ortUrl.href)).default; }),
    write: await attempt(() => fs.writeFileSync('/tmp/modelvault-onnx-sandbox-escape', 'x')),
    readOutside: await attempt(() => fs.readFileSync(outside)),
    spawn: await attempt(() => cp.execFileSync('/bin/true')),
    worker: await attempt(async () => { const { Worker } = await import('node:worker_threads'); new Worker('1', { eval: true }); }),
    // Loopback only: the test listens on this port on 127.0.0.1.
    socket: await attempt(() => new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => { s.destroy(); resolve(); });
      s.on('error', reject);
    })),
    // The documented gap (serving.md §2.1): native code does not ask the permission model. ORT opening a
    // model by path outside --allow-fs-read succeeds; this is why workers get bytes, never paths.
    nativeRead: ort ? await attempt(() => ort.InferenceSession.create(outside)) : 'no addon',
  };
  process.send({ t: 'tensors', id: m.id, tensors: { outcome: { type: 'string', dims: [1], data: [JSON.stringify(outcome)] } } });
});
process.on('disconnect', () => process.exit(0));
process.send({ t: 'ready' });
