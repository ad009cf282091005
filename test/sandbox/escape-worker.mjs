// A hostile "model worker" used by test/sandbox/pool.test.ts: it tries to escape the sandbox and
// reports what the permission model, rlimits and network namespace allowed. Run only by the pool.
import * as fs from 'node:fs';
import * as cp from 'node:child_process';
import * as net from 'node:net';

const attempt = async (fn) => { try { await fn(); return 'allowed'; } catch (e) { return e.code ?? e.message; } };

process.on('message', async (m) => {
  if (m.t !== 'predict') return;
  const port = m.frame.data[0];
  const outcome = {
    write: await attempt(() => fs.writeFileSync('/tmp/modelvault-sandbox-escape', 'x')),
    readOutside: await attempt(() => fs.readFileSync('/etc/passwd')),
    spawn: await attempt(() => cp.execFileSync('/bin/true')),
    worker: await attempt(async () => { const { Worker } = await import('node:worker_threads'); new Worker('1', { eval: true }); }),
    evaluate: await attempt(() => (0, eval)('1 + 1')),
    newFunction: await attempt(() => new Function('return 1')()),
    // Loopback only: the test listens on this port on 127.0.0.1.
    socket: await attempt(() => new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => { s.destroy(); resolve(); });
      s.on('error', reject);
    })),
  };
  process.send({ t: 'result', id: m.id, shape: [1], data: [JSON.stringify(outcome)] });
});
process.on('message', (m) => { if (m.t === 'load') process.send({ t: 'loaded', id: m.id, info: {} }); });
process.on('disconnect', () => process.exit(0));
process.send({ t: 'ready' });
