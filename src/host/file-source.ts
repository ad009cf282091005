import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { bytesSource, MvError, type ByteSource } from '../core/index.js';

/** Files up to this size are read whole: one syscall beats many small reads. */
const READ_WHOLE_BYTES = 4 * 1024 * 1024;

export interface OpenedSource {
  readonly source: ByteSource;
  close(): void;
}

/**
 * A ByteSource over a file: small files are read at once, large ones by positioned reads so that a
 * 1 GB checkpoint is scanned by reading its directory and pickles only.
 */
export function openFileSource(path: string): OpenedSource {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw ioError(path, e);
  }
  const size = fstatSync(fd).size;
  if (size <= READ_WHOLE_BYTES) {
    try {
      return { source: bytesSource(readFileSync(fd)), close: () => {} };
    } finally {
      closeSync(fd);
    }
  }
  const source: ByteSource = {
    size,
    read(offset, length) {
      const n = Math.max(0, Math.min(length, size - offset));
      const buf = Buffer.allocUnsafe(n);
      let got = 0;
      while (got < n) {
        const r = readSync(fd, buf, got, n - got, offset + got);
        if (r === 0) break;
        got += r;
      }
      return got === n ? buf : buf.subarray(0, got);
    },
  };
  return { source, close: () => closeSync(fd) };
}

export function ioError(path: string, e: unknown): MvError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new MvError('IO_NOT_FOUND', `${path} does not exist`, {}, { cause: e });
  return new MvError('IO_ERROR', `cannot read ${path}: ${code ?? (e as Error)?.message ?? e}`, {}, { cause: e });
}
