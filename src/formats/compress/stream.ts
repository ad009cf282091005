import type { Duplex } from 'node:stream';
import { MvError } from '../../core/index.js';
import type { OutputCap } from './cap.js';

/** Input is fed in chunks of this size so the ratio cap sees how much input produced the output. */
export const FEED_CHUNK_BYTES = 64 * 1024;

/** A decoder for one stream, and how many input bytes it consumed once it ended. */
export interface StreamDecoder {
  readonly stream: Duplex;
  readonly consumed: () => number;
}

/**
 * Decodes `bytes` as one or more concatenated streams (Python's zlib/lzma/bz2 file readers continue
 * with a new decompressor after each stream end, so joblib would read them all): a new decoder from
 * `open()` starts where the previous one stopped, until the input is used up. The caps are checked
 * on every output chunk across all streams; `mapError` turns library errors into MvErrors. With
 * `single`, only the first stream is decoded and trailing bytes are ignored (Python's zlib.decompress).
 */
export async function runCapped(
  open: () => StreamDecoder, bytes: Uint8Array, cap: OutputCap, mapError: (e: Error) => MvError, opts: { single?: boolean } = {},
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  let offset = 0;
  do {
    const d = open();
    const out = await runOne(d.stream, bytes.subarray(offset), cap, mapError, total, offset);
    const used = d.consumed();
    if (used <= 0 || used > bytes.length - offset) {
      throw new MvError('DECOMPRESS_FAILED', `${cap.kind} stream made no progress`, { offset });
    }
    parts.push(out);
    total += out.length;
    offset += used;
  } while (!opts.single && offset < bytes.length);
  if (parts.length === 1) return parts[0]!;
  const all = new Uint8Array(total);
  let p = 0;
  for (const x of parts) {
    all.set(x, p);
    p += x.length;
  }
  return all;
}

/** One stream through a Duplex, fed in chunks; destroyed as soon as a cap is passed. */
function runOne(stream: Duplex, bytes: Uint8Array, cap: OutputCap, mapError: (e: Error) => MvError, outBefore: number, inBefore: number): Promise<Uint8Array> {
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
        cap.check(outBefore + total, inBefore + fed);
      } catch (e) {
        finish(e as MvError);
        return;
      }
      chunks.push(chunk);
    });
    stream.on('error', (e: Error) => finish(e instanceof MvError ? e : mapError(e)));
    stream.on('end', () => finish(undefined));
    const feed = (): void => {
      try {
        while (!done && fed < bytes.length) {
          const chunk = bytes.subarray(fed, Math.min(bytes.length, fed + FEED_CHUNK_BYTES));
          fed += chunk.length;
          if (!stream.write(chunk)) {
            stream.once('drain', feed);
            return;
          }
        }
        if (!done) stream.end();
      } catch (e) {
        finish(e instanceof MvError ? e : mapError(e as Error));
      }
    };
    feed();
  });
}
