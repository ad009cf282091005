import { MvError } from '../../src/core/index.js';

/** The MvError code `f` throws, or 'OK' when it returns; anything else that is thrown propagates. */
export function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof MvError) return e.code;
    throw e;
  }
  return 'OK';
}
