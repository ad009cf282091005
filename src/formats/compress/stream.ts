import type { Duplex } from 'node:stream';
import { MvError } from '../../core/index.js';
import type { OutputCap } from './cap.js';

/** Input is fed in chunks of this size so the ratio cap sees how much input produced the output. */
export const FEED_CHUNK_BYTES = 64 * 1024;

/**
 * Pushes `bytes` through a decompressing Duplex (node:zlib, liblzma) in chunks, collecting output and
 * checking the caps on every output chunk; the stream is destroyed as soon as a cap is passed.
 * `mapError` turns the library's errors into MvErrors.
 */
export function runCapped(stream: Duplex, bytes: Uint8Array, cap: OutputCap, mapError: (e: Error) => MvError): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let fed = 0;
    let done = false;
    const finish = (err: MvError | undefined): void => {
      if (done) return;
      done = true;
      if (err) {
        chunks.length = 0;
        stream.destroy();
        reject(err);
      } else {
        const out = Buffer.concat(chunks, total);
        chunks.length = 0;
        resolve(new Uint8Array(out.buffer, out.byteOffset, out.length));
      }
    };
    stream.on('data', (chunk: Buffer) => {
      if (done) return;
      total += chunk.length;
      try {
        cap.check(total, fed);
      } catch (e) {
        finish(e as MvError);
        return;
      }
      chunks.push(chunk);
    });
    stream.on('error', (e: Error) => finish(e instanceof MvError ? e : mapError(e)));
    stream.on('end', () => finish(undefined));
    const feed = (): void => {
      while (!done && fed < bytes.length) {
        const chunk = bytes.subarray(fed, Math.min(bytes.length, fed + FEED_CHUNK_BYTES));
        fed += chunk.length;
        if (!stream.write(chunk)) {
          stream.once('drain', feed);
          return;
        }
      }
      if (!done) stream.end();
    };
    feed();
  });
}
