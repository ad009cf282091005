import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/core/index.js';
import { scanSource } from '../../src/scan/index.js';

// ../shared/corpora/picklescan: picklescan's regression corpus, with the verdicts modelvault must give
// (README "modelvault" column): every malicious file blocked with exit 1, benign files clean except three
// that a fail-closed scanner must report as incomplete.
const ROOT = new URL('../../../shared/corpora/picklescan/', import.meta.url);
const README = readFileSync(new URL('README.md', ROOT), 'utf8');
const LIST = README.slice(README.indexOf('## Machine-readable list'));
const ROWS = [...LIST.matchAll(/^(malicious|benign) ([0-9a-f]{64}) (\S+)$/gm)].map((m) => ({ verdict: m[1]!, sha256: m[2]!, path: m[3]! }));
const INCOMPLETE = new Set(['data/bad_pytorch.pt', 'data/not_a_pickle.bin', 'data/benign_password_protected.zip']);

describe('picklescan corpus', () => {
  it('has all 109 files', () => {
    expect(ROWS.length).toBe(109);
    expect(ROWS.filter((r) => r.verdict === 'malicious').length).toBe(95);
  });

  for (const row of ROWS) {
    const expected = row.verdict === 'malicious' ? 'blocked (malicious or unsafe)' : INCOMPLETE.has(row.path) ? 'incomplete' : 'clean';
    it(`${row.path} is ${expected}`, async () => {
      const bytes = readFileSync(new URL(row.path, ROOT));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(row.sha256);
      const r = await scanSource(bytesSource(bytes), row.path);
      if (row.verdict === 'malicious') {
        expect(r.status, JSON.stringify(r.errors)).toBe('blocked');
        // 7z is unsupported: blocked as incomplete is the documented outcome (threats.md §3.1).
        if (row.path.endsWith('.7z')) expect(r.class).toBe('incomplete');
        else expect(['malicious', 'unsafe']).toContain(r.class);
      } else if (INCOMPLETE.has(row.path)) {
        expect(r.class).toBe('incomplete');
      } else {
        expect({ status: r.status, findings: r.findings, errors: r.errors }).toEqual({ status: 'clean', findings: [], errors: [] });
      }
    });
  }
});
