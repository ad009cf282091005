import type { ErrorCode } from '../core/index.js';

/** critical ⇒ malicious; high/medium ⇒ unsafe (blocking by default); low/info ⇒ reported only. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export interface Finding {
  /** The stable LAYER_WHAT rule code (core/codes.ts). */
  readonly rule: ErrorCode;
  readonly severity: Severity;
  readonly message: string;
  readonly global?: { readonly module: string; readonly name: string };
  /** Byte offset inside `member` (or the file when no member). */
  readonly offset?: number;
  /** Container member path, outermost first, joined with `#`. */
  readonly member?: string;
}

/** Something that could not be analysed: the file can then never be `clean`. */
export interface ScanError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly offset?: number;
  readonly member?: string;
}

export interface MemberReport {
  readonly name: string;
  readonly format: string;
  readonly size: number;
  /** What was done with it: scanned, or why it was not read (tensor data is accounted for, not parsed). */
  readonly action: 'scanned' | 'tensor-data' | 'data' | 'skipped';
}

export type Verdict = 'clean' | 'malicious' | 'unsafe' | 'incomplete';

export interface FileReport {
  readonly path: string;
  readonly size: number;
  /** SHA-256 of the whole file when it was read in full (or when asked for). */
  readonly sha256?: string;
  /** Outer format as sniffed from content. */
  readonly format: string;
  readonly status: 'clean' | 'blocked';
  readonly class?: 'malicious' | 'unsafe' | 'incomplete';
  /** One line saying why the file is blocked. */
  readonly reason?: string;
  readonly members: MemberReport[];
  readonly findings: Finding[];
  readonly errors: ScanError[];
  /** Every global referenced, with how often and how the policy judged it (for --list-globals). */
  readonly globals: GlobalUse[];
  readonly millis: number;
}

export interface GlobalUse {
  readonly module: string;
  readonly name: string;
  readonly count: number;
  readonly verdict: 'allowed' | 'blocked';
}

export interface Summary {
  readonly files: number;
  readonly scanned: number;
  readonly clean: number;
  readonly malicious: number;
  readonly unsafe: number;
  readonly incomplete: number;
  /** Files with any finding at or above the threshold. */
  readonly findings: number;
}

/** Verdict precedence (threats.md §1): any blocking finding ⇒ 1, else any error ⇒ incomplete, else clean. */
export function verdictOf(findings: readonly Finding[], errors: readonly ScanError[], threshold: Severity = 'medium'): Verdict {
  const min = SEVERITY_RANK[threshold];
  let blocking = false;
  for (const f of findings) {
    if (f.severity === 'critical') return 'malicious';
    if (SEVERITY_RANK[f.severity] >= min) blocking = true;
  }
  if (blocking) return 'unsafe';
  return errors.length ? 'incomplete' : 'clean';
}

export function summarise(reports: readonly FileReport[]): Summary {
  const count = (c: FileReport['class']) => reports.filter((r) => r.class === c).length;
  return {
    files: reports.length,
    scanned: reports.filter((r) => r.errors.length === 0 || r.findings.length > 0).length,
    clean: reports.filter((r) => r.status === 'clean').length,
    malicious: count('malicious'),
    unsafe: count('unsafe'),
    incomplete: count('incomplete'),
    findings: reports.filter((r) => r.class === 'malicious' || r.class === 'unsafe').length,
  };
}

/** Process exit code for a set of reports (threats.md §1): 0 all clean, 1 malicious/unsafe, 2 incomplete. */
export function exitCodeOf(reports: readonly FileReport[]): 0 | 1 | 2 {
  if (reports.length === 0) return 2;
  if (reports.some((r) => r.class === 'malicious' || r.class === 'unsafe')) return 1;
  if (reports.some((r) => r.class === 'incomplete')) return 2;
  return 0;
}
