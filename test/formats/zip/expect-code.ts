// Shared test helpers for the container readers: assert codes (and offsets), not prose.
import { expect } from 'vitest';
import { MvError, type ErrorCode } from '../../../src/core/index.js';

export function thrown(fn: () => unknown): MvError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MvError) return e;
    throw new Error(`expected an MvError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected an MvError, nothing was thrown');
}

export async function thrownAsync(fn: () => Promise<unknown>): Promise<MvError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof MvError) return e;
    throw new Error(`expected an MvError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected an MvError, nothing was thrown');
}

export function expectCode(fn: () => unknown, code: ErrorCode, offset?: number): MvError {
  const e = thrown(fn);
  expect(e.code).toBe(code);
  if (offset !== undefined) expect(e.at.offset).toBe(offset);
  return e;
}

/** Runs `fn`; returns normally or throws an MvError, anything else fails the property. */
export function onlyMvError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof MvError)) throw e;
  }
}

export async function onlyMvErrorAsync(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof MvError)) throw e;
  }
}
