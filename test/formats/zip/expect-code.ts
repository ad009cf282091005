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

/** Per-call time budget in property tests: every reader is bounded, so one input never takes long. */
export const CALL_BUDGET_MS = 500;

const withinBudget = (t0: number): void => {
  const ms = performance.now() - t0;
  if (ms > CALL_BUDGET_MS) throw new Error(`one call took ${ms.toFixed(0)} ms (budget ${CALL_BUDGET_MS} ms)`);
};

/** Runs `fn`; returns normally or throws an MvError within the time budget, anything else fails the property. */
export function onlyMvError(fn: () => unknown): void {
  const t0 = performance.now();
  try {
    fn();
  } catch (e) {
    if (!(e instanceof MvError)) throw e;
  }
  withinBudget(t0);
}

export async function onlyMvErrorAsync(fn: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof MvError)) throw e;
  }
  withinBudget(t0);
}
