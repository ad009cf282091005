import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODES } from '../../src/core/index.js';

describe('error code catalogue', () => {
  it('docs/errors.md lists exactly the codes in core/codes.ts', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    expect([...documented].sort()).toEqual(Object.keys(CODES).sort());
  });

  it('every code is LAYER_WHAT with a doc, a status and an exit code', () => {
    for (const [code, info] of Object.entries(CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^INTERNAL$/);
      expect(info.doc.length).toBeGreaterThan(10);
      expect(info.http).toBeGreaterThanOrEqual(400);
      expect(info.exit).toBeGreaterThan(0);
    }
  });
});
