/**
 * The model scanner: content-sniffed containers, an inert pickle engine and an exact allow-list.
 * `scanSource` returns a report and never throws for bad input; `assertSafe` throws SCAN_BLOCKED.
 */
export { scanSource, type ScanOptions } from './scan-source.js';
export { buildPolicy, classifyGlobal, DEFAULT_POLICY, normaliseModule, type Policy, type PolicyFile, type GlobalVerdict } from './classify.js';
export { ALLOWLIST, type AllowEntry, type Profile, type Use } from './allowlist.js';
export {
  exitCodeOf, summarise, verdictOf, SEVERITY_RANK,
  type FileReport, type Finding, type GlobalUse, type MemberReport, type ScanError, type Severity, type Summary, type Verdict,
} from './report.js';
export { toSarif } from './sarif.js';
export { assertSafe } from './assert.js';
export { parsePolicyFile } from './policy-file.js';
