import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Ajv, type ValidateFunction } from 'ajv';
import { convertGraph } from '../../src/convert/index.js';
import { TRUST_POLICY_VALIDATOR } from '../../src/integrity/policy.js';
import { MODEL_SCHEMA_VALIDATOR } from '../../src/runtime/artifact.js';
import { listExpected, loadGraph } from '../convert/fixtures.js';

// The validators `npm run build` prebuilds (scripts/gen-validators.mjs) against the schemas compiled
// from src/ with the same options: same verdict and same errors on real documents and on random
// mutations of them (artifact descriptions, trust policies).
const dir = mkdtempSync(join(tmpdir(), 'mv-validators-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
execFileSync(process.execPath, [new URL('../../scripts/gen-validators.mjs', import.meta.url).pathname, dir]);
const load = (file: string): ValidateFunction => createRequire(import.meta.url)(join(dir, file)) as ValidateFunction;
const prebuilt = load('runtime/schema/model-v1.validate.cjs');
const compiled = new Ajv({ allErrors: true, strict: true, ...MODEL_SCHEMA_VALIDATOR.options }).compile(MODEL_SCHEMA_VALIDATOR.schema);

const OPTS = { sourceSha256: '0'.repeat(64), created: '2026-01-01T00:00:00Z' };
const descriptions: unknown[] = [];
for (const e of listExpected().filter((_, i) => i % 3 === 0)) {
  try {
    descriptions.push(JSON.parse(JSON.stringify(convertGraph((await loadGraph(e.file)).value, OPTS).ir)));
  } catch {
    // fixtures of unsupported models
  }
}

const verdict = (v: ValidateFunction, x: unknown): unknown => (v(x) ? true : v.errors);

/** x with the value at a random path replaced (or the member removed). */
function mutate(x: unknown, picks: number[], replacement: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(x)) as unknown;
  let node = copy as Record<string, unknown> | unknown[];
  for (const p of picks) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const k = keys[p % keys.length]!;
    const child = (node as Record<string, unknown>)[k];
    if (child === null || typeof child !== 'object' || p % 5 === 0) {
      if (replacement === undefined && !Array.isArray(node)) delete (node as Record<string, unknown>)[k];
      else (node as Record<string, unknown>)[k] = replacement ?? null;
      return copy;
    }
    node = child as Record<string, unknown>;
  }
  return copy;
}

describe('prebuilt model-description validator', () => {
  it(`agrees with the compiled schema on ${descriptions.length} converted descriptions`, () => {
    expect(descriptions.length).toBeGreaterThan(10);
    for (const d of descriptions) {
      expect(verdict(prebuilt, d)).toBe(true);
      expect(verdict(compiled, d)).toBe(true);
    }
  });

  it('gives the same verdict and errors on random mutations', () => {
    const value = fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('linear', 'tree-ensemble', 'F64', -1, 1.5, 2 ** 53, ''));
    fc.assert(fc.property(fc.nat(descriptions.length - 1), fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), value, (i, picks, v) => {
      const x = mutate(descriptions[i], picks, v);
      expect(verdict(prebuilt, x)).toEqual(verdict(compiled, x));
    }), { numRuns: 500 });
  });

  it('trust policies: the prebuilt validator agrees with the compiled schema on random mutations', () => {
    const policy = load('integrity/trust-policy.validate.cjs');
    const schemaPolicy = new Ajv({ allErrors: true, strict: true, ...TRUST_POLICY_VALIDATOR.options }).compile(TRUST_POLICY_VALIDATOR.schema);
    const base = { version: 1, requireSignature: true, keys: [{ name: 'release', publicKey: 'k.pub' }], certificateAuthorities: [{ name: 'ca', root: 'r.pem', identities: ['a'] }], sigstore: [{ name: 's', identity: 'i', issuer: 'u' }], ignorePaths: ['x'], ignoreUnsignedFiles: false };
    expect(verdict(policy, base)).toEqual(verdict(schemaPolicy, base));
    const value = fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('', 2, true, [], {}));
    fc.assert(fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), value, (picks, v) => {
      const x = mutate(base, picks, v);
      expect(verdict(policy, x)).toEqual(verdict(schemaPolicy, x));
    }), { numRuns: 300 });
  });
});
