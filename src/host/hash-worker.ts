/**
 * Source of the hashing worker thread, started with `new Worker(HASH_WORKER_SOURCE, { eval: true })`.
 * It is a constant string of our own code (never derived from input) so the same worker runs from
 * `dist/` and under vitest from `src/`, where a `.ts` worker file could not be loaded by Node 20.
 *
 * Protocol — in: `{ id, algorithm, chunkBytes, tasks: [{ path, start, end, whole }] }`;
 * out: `{ kind: 'progress', bytes }`, `{ kind: 'done', id, digests }`, `{ kind: 'error', id, message }`.
 * Reads go into two reused buffers: while one chunk is hashed the next is being read (fs.read on the
 * libuv pool), so I/O overlaps hashing; a file is never held in memory whole.
 */
export const HASH_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
let bufs = null;
const REPORT = 16 * 1024 * 1024;
let unreported = 0;
function progress(n) {
  unreported += n;
  if (unreported >= REPORT) { parentPort.postMessage({ kind: 'progress', bytes: unreported }); unreported = 0; }
}
function readAt(fd, buf, len, pos) {
  return new Promise((res, rej) => fs.read(fd, buf, 0, len, pos, (err, n) => (err ? rej(err) : res(n))));
}
function fail(msg) { const e = new Error(msg); e.mv = true; return e; }
async function hashRange(t, algorithm, chunk) {
  const fd = fs.openSync(t.path, 'r');
  try {
    const h = createHash(algorithm);
    let pos = t.start;
    const end = t.end;
    if (end - pos <= chunk) {
      while (pos < end) {
        const n = fs.readSync(fd, bufs[0], 0, end - pos, pos);
        if (n === 0) throw fail('file shrank while hashing');
        h.update(bufs[0].subarray(0, n));
        pos += n;
        progress(n);
      }
    } else {
      let cur = 0;
      let pending = readAt(fd, bufs[0], Math.min(chunk, end - pos), pos);
      while (pending) {
        const n = await pending;
        if (n === 0) throw fail('file shrank while hashing');
        const b = bufs[cur];
        pos += n;
        pending = pos < end ? readAt(fd, bufs[cur ^ 1], Math.min(chunk, end - pos), pos) : null;
        h.update(n === b.length ? b : b.subarray(0, n));
        cur ^= 1;
        progress(n);
      }
    }
    if (t.whole && fs.readSync(fd, bufs[0], 0, 1, end) !== 0) throw fail('file grew while hashing');
    return h.digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}
parentPort.on('message', async (job) => {
  try {
    if (!bufs || bufs[0].length !== job.chunkBytes) bufs = [Buffer.allocUnsafe(job.chunkBytes), Buffer.allocUnsafe(job.chunkBytes)];
    const digests = [];
    for (const t of job.tasks) {
      try {
        digests.push(await hashRange(t, job.algorithm, job.chunkBytes));
      } catch (e) {
        const why = e && e.mv ? e.message : (e && e.code) || 'read error';
        throw fail(t.path + ': ' + why);
      }
    }
    if (unreported) { parentPort.postMessage({ kind: 'progress', bytes: unreported }); unreported = 0; }
    parentPort.postMessage({ kind: 'done', id: job.id, digests });
  } catch (e) {
    parentPort.postMessage({ kind: 'error', id: job.id, message: String(e && e.message) });
  }
});
`;
