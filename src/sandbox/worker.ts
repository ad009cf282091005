/**
 * Entry point of a sandboxed model worker (a child process started by WorkerPool). It runs with Node's
 * permission model (read access to modelvault's own code only; no writes, child processes, worker
 * threads, addons or eval), under rlimits and, where the host allows it, in a network namespace of its own.
 * Models arrive as bytes over the IPC channel, never as paths; nothing from a model is executed: the
 * artifact is data, interpreted by the runtime's kernels.
 */
import { Socket } from 'node:net';
import { isMvError } from '../core/index.js';
import { loadModel, predict, prepareModel, type Model } from '../runtime/index.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { encodeFrame, FrameReader, MAX_RESULT_FRAME_BYTES } from './wire.js';

const models = new Map<string, Model>();
// After 'ready' (over IPC), everything travels as wire.ts frames on fd 4 (the pool's binary channel).
const pipe = new Socket({ fd: 4, readable: true, writable: true });
function send(m: FromWorker): void {
  const frame = encodeFrame(m);
  // An answer the pool would refuse (it replaces a worker that sends one) becomes an error for that batch.
  if (frame.length - 4 > MAX_RESULT_FRAME_BYTES && 'id' in m) {
    const mib = Math.ceil((frame.length - 4) / 2 ** 20);
    return send({ t: 'error', id: m.id, code: 'INPUT_INVALID', message: `the outputs of this request are ${mib} MiB, above the ${MAX_RESULT_FRAME_BYTES / 2 ** 20} MiB a model worker may answer; send fewer rows per request` });
  }
  pipe.write(frame);
}
const reader = new FrameReader();
pipe.on('data', (chunk: Buffer) => {
  for (const m of reader.push(chunk)) handle(m as ToWorker);
});
pipe.on('error', () => process.exit(0));
pipe.on('end', () => process.exit(0));

function fail(id: number, e: unknown): void {
  if (isMvError(e)) send({ t: 'error', id, code: e.code, message: e.message });
  else send({ t: 'error', id, code: 'INTERNAL', message: 'the model worker failed' });
}

function handle(m: ToWorker): void {
  switch (m.t) {
    case 'load':
      try {
        // The bytes came fresh off the wire and are never reused: the model may keep views into them.
        const model = loadModel(m.bytes, { adopt: true });
        prepareModel(model);
        models.set(m.key, model);
        send({ t: 'loaded', id: m.id, info: { input: model.ir.input, output: model.ir.output, methods: model.methods, provenance: model.ir.provenance } });
      } catch (e) {
        fail(m.id, e);
      }
      return;
    case 'unload':
      models.delete(m.key);
      return;
    case 'predict': {
      const model = models.get(m.key);
      if (!model) return fail(m.id, new Error('model not loaded'));
      try {
        const out = predict(model, m.frame, { method: m.method });
        send({ t: 'result', id: m.id, shape: out.shape, data: out.data as Float64Array });
      } catch (e) {
        fail(m.id, e);
      }
      return;
    }
    case 'predictAll': {
      const model = models.get(m.key);
      if (!model) return fail(m.id, new Error('model not loaded'));
      try {
        const results = m.methods.map((method) => {
          const out = predict(model, m.frame, { method });
          return { shape: out.shape, data: out.data as Float64Array };
        });
        send({ t: 'results', id: m.id, results });
      } catch (e) {
        fail(m.id, e);
      }
      return;
    }
  }
}
process.on('disconnect', () => process.exit(0));
process.send!({ t: 'ready', pipe: true } satisfies FromWorker);
