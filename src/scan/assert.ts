import { MvError } from '../core/index.js';
import type { FileReport } from './report.js';

/** Throws SCAN_BLOCKED unless the report is clean (the throwing twin of scanSource, like zod's parse). */
export function assertSafe(report: FileReport): void {
  if (report.status === 'clean') return;
  const first = report.findings[0] ?? report.errors[0];
  const where = first && 'member' in first && first.member ? ` in ${first.member}` : '';
  throw new MvError('SCAN_BLOCKED', `${report.path} is ${report.class}: ${report.reason ?? 'blocked'}${where}`);
}
