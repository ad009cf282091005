import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ESTIMATORS, INNER_TYPES } from '../../src/convert/index.js';

const DOC = readFileSync(new URL('../../docs/convert.md', import.meta.url), 'utf8');

describe('docs/convert.md and the dispatch table', () => {
  it('documents every supported class', () => {
    const missing = ESTIMATORS.map((r) => r.cls.slice(r.cls.lastIndexOf('.') + 1)).filter((n) => !DOC.includes(n));
    expect(missing).toEqual([]);
  });
  it('gives every table row and helper a doc', () => {
    for (const r of ESTIMATORS) expect(r.doc.length, r.cls).toBeGreaterThan(5);
    for (const [k, v] of Object.entries(INNER_TYPES)) expect(v.length, k).toBeGreaterThan(5);
  });
});
