import { CODES } from '../core/index.js';
import type { FileReport, Severity } from './report.js';

const LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = {
  critical: 'error', high: 'error', medium: 'error', low: 'warning', info: 'note',
};

/** `file.pt#member` for archive members, as code-scanning UIs expect (threats.md §8). */
const uriOf = (path: string, member?: string): string => (member ? `${path}#${member}` : path);

/**
 * SARIF 2.1.0: one run; rules from the finding codes; incomplete files become
 * toolExecutionNotifications so code-scanning UIs never show them as passes.
 */
export function toSarif(reports: readonly FileReport[], tool: { version: string }): object {
  const ruleIds = [...new Set(reports.flatMap((r) => r.findings.map((f) => f.rule)))].sort();
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'modelvault', version: tool.version, informationUri: 'https://github.com/modelvault/modelvault',
          rules: ruleIds.map((id) => ({ id, shortDescription: { text: CODES[id].doc }, helpUri: `https://github.com/modelvault/modelvault/blob/main/docs/errors.md` })),
        },
      },
      results: reports.flatMap((r) => r.findings.map((f) => ({
        ruleId: f.rule,
        ruleIndex: ruleIds.indexOf(f.rule),
        level: LEVEL[f.severity],
        message: { text: f.message },
        properties: { severity: f.severity, verdict: r.class ?? 'clean', ...(f.global ? { global: `${f.global.module}.${f.global.name}` } : {}) },
        locations: [{
          physicalLocation: {
            artifactLocation: { uri: uriOf(r.path, f.member) },
            ...(f.offset !== undefined ? { region: { byteOffset: f.offset } } : {}),
          },
        }],
      }))),
      invocations: [{
        executionSuccessful: reports.every((r) => r.class !== 'incomplete'),
        toolExecutionNotifications: reports.flatMap((r) => r.errors.map((e) => ({
          level: 'error',
          descriptor: { id: e.code },
          message: { text: `${r.path} could not be fully analysed: ${e.message}` },
          locations: [{ physicalLocation: { artifactLocation: { uri: uriOf(r.path, e.member) }, ...(e.offset !== undefined ? { region: { byteOffset: e.offset } } : {}) } }],
        }))),
      }],
    }],
  };
}
