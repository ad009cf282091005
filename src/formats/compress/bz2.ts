import Bunzip from 'seek-bzip';
import { MvError } from '../../core/index.js';
import type { OutputCap } from './cap.js';

/**
 * bzip2 through seek-bzip (pure JS, synchronous, slow: ~8 MB/s, so the caps matter). Our input
 * stream throws at end of input (seek-bzip would otherwise read `undefined` past the end), our
 * output stream checks the caps whenever it must grow (the ratio against the input consumed so far), so memory stays bounded.
 */
export function decodeBz2(bytes: Uint8Array, cap: OutputCap): Uint8Array {
  let pos = 0;
  const input = {
    readByte: (): number => {
      if (pos >= bytes.length) throw new MvError('DECOMPRESS_FAILED', 'bz2 stream is truncated', { offset: bytes.length });
      return bytes[pos++]!;
    },
    read: (buf: Uint8Array, off: number, length: number): number => {
      const n = Math.min(length, bytes.length - pos);
      if (n <= 0) return -1;
      buf.set(bytes.subarray(pos, pos + n), off);
      pos += n;
      return n;
    },
    eof: (): boolean => pos >= bytes.length,
  };
  let out = new Uint8Array(Math.max(1, Math.min(cap.bound(bytes.length), Math.max(1024, bytes.length * 4))));
  let n = 0;
  const output = {
    writeByte: (b: number): void => {
      if (n >= out.length) {
        cap.check(n + 1, pos);
        const grown = new Uint8Array(Math.max(n + 1, Math.min(cap.bound(pos), out.length * 2)));
        grown.set(out);
        out = grown;
      }
      out[n++] = b;
    },
  };
  try {
    Bunzip.decode(input, output, true);
  } catch (e) {
    if (e instanceof MvError) throw e;
    throw new MvError('DECOMPRESS_FAILED', `bz2 stream is corrupt: ${(e as Error)?.message ?? String(e)}`, { offset: pos }, { cause: e });
  }
  return out.subarray(0, n);
}
