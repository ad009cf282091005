import { MvError, type ErrorCode } from '../core/index.js';

/** One bad field: JSON path and what is wrong with it. */
export interface Issue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Collects every bad field before throwing once (sigstore-js `assertBundle`, zod issues), so a user
 * sees all problems of a bundle in one run. The thrown MvError names the first field in `at.path`
 * and keeps the full list in `cause`.
 */
export class IssueList {
  readonly items: Issue[] = [];
  add(path: readonly (string | number)[], message: string): void {
    if (this.items.length < 100) this.items.push({ path, message });
  }
  get empty(): boolean {
    return this.items.length === 0;
  }
  throwIfAny(code: ErrorCode, what: string): void {
    if (this.empty) return;
    const text = this.items.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
    throw new MvError(code, `${what}: ${text}`, { path: this.items[0]!.path }, { cause: this.items });
  }
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
