import { readFileSync } from 'node:fs';
import { MvError } from '../core/index.js';

/** Reads a file the user named on the command line: a missing or unreadable file is a one-line user error, not a stack. */
export function readUserFile(path: string, what = 'file'): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MvError(code === 'ENOENT' ? 'IO_NOT_FOUND' : 'IO_ERROR', `cannot read ${what} ${path} (${code ?? 'error'})`);
  }
}
