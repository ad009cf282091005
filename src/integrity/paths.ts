import { MvError } from '../core/index.js';

/**
 * Resource names and their order (../shared/spec/signing.md §1.3). The reference sorts with Python's
 * PurePosixPath: split on '/', compare components by Unicode code point, shorter list first. JS `<`
 * compares UTF-16 code units, which puts U+1F600 before U+FF01 — so we compare code points.
 */
export function cmpCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(j)!;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  return (a.length - i) - (b.length - j);
}

/** PurePosixPath order: component lists compared element-wise by code point, then by length. */
export function cmpPosixPath(a: string, b: string): number {
  const A = a.split('/');
  const B = b.split('/');
  const n = Math.min(A.length, B.length);
  for (let k = 0; k < n; k++) {
    const d = cmpCodePoints(A[k]!, B[k]!);
    if (d !== 0) return d;
  }
  return A.length - B.length;
}

/**
 * Why a resource path is unsafe, or null. Attacker-controlled: names come from a bundle. `"."` is the
 * single-file model's name (§1.2); otherwise a relative POSIX path of non-empty components, without
 * `.`/`..`, backslashes, NUL or other control characters, and no leading '/'.
 */
export function unsafePathReason(path: string): string | null {
  if (path === '.') return null;
  if (path.length === 0) return 'empty name';
  if (path.startsWith('/')) return 'absolute path';
  if (path.includes('\\')) return 'backslash in name';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'control character in name';
  for (const c of path.split('/')) {
    if (c === '') return 'empty path component';
    if (c === '..') return "'..' component";
    if (c === '.') return "'.' component";
  }
  if (/^[A-Za-z]:/.test(path)) return 'drive-letter path';
  return null;
}

/** Throws SIG_PATH_UNSAFE when `path` is not a safe relative resource path. */
export function assertSafePath(path: string, at: readonly (string | number)[] = []): void {
  const why = unsafePathReason(path);
  if (why) throw new MvError('SIG_PATH_UNSAFE', `unsafe resource name ${JSON.stringify(path)}: ${why}`, { path: at });
}

/**
 * Normalises an ignore path relative to the model root: strips `./` and trailing '/', folds `a/../b`.
 * Returns null for paths escaping the root (the reference drops those, §1.2) or naming the root.
 */
export function normalizeIgnorePath(p: string): string | null {
  if (p.startsWith('/') || p.includes('\0')) return null;
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) return null;
      out.pop();
      continue;
    }
    out.push(c);
  }
  return out.length ? out.join('/') : null;
}

/** True when `path` equals or lies below one of `ignores` (component-prefix match, §1.2). */
export function isIgnored(path: string, ignores: readonly string[]): boolean {
  for (const ig of ignores) {
    if (path === ig || path.startsWith(`${ig}/`)) return true;
  }
  return false;
}
