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

/** Strict standard base64 (RFC 4648 §4, padded); returns null when `s` is not exactly that. */
export function decodeBase64Strict(s: unknown): Uint8Array | null {
  if (typeof s !== 'string' || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  const b = Buffer.from(s, 'base64');
  // Non-canonical trailing bits: re-encoding must give the same text.
  return b.toString('base64') === s ? new Uint8Array(b.buffer, b.byteOffset, b.length) : null;
}
