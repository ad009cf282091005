import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeEvent, formatCheckpoint, formatTlogProof, parseCheckpoint, parseConsistencyProof, parseEvent, parseTlogProof,
  parseVkey, signCheckpoint, verifyConsistency, verifyInclusion, verifyNote, verifyTlogProof,
} from '../../src/audit/index.js';
import { MvError } from '../../src/core/index.js';

const SEED = new Uint8Array(createHash('sha256').update('modelvault audit-log test key').digest());
const ORIGIN = 'example.com/modelvault/audit';
const VKEY = parseVkey('example.com/modelvault/audit+9020f8ce+AXvBukIEuZEb1W/9M2Vk18n5j0e92G9YzohIk8VYD8sx');
const NOTE = signCheckpoint({ origin: ORIGIN, size: 1, root: createHash('sha256').update('x').digest() }, { name: ORIGIN, privateKey: SEED });
const EVENT = encodeEvent({ seq: 0, time: '2026-12-01T00:00:00Z', actor: 'a', action: 'registry.init', subject: { model: null, version: null, digest: null }, before: null, after: null });
const RECEIPT = formatTlogProof({ extra: EVENT, index: 0, proof: [], checkpoint: NOTE });

/** Runs f; only MvError may escape. Returns true if it returned normally. */
function onlyMvError(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (!(e instanceof MvError)) throw e;
    return false;
  }
}

const PARSERS: [string, (s: string) => unknown][] = [
  ['parseCheckpoint', parseCheckpoint],
  ['verifyNote', (s) => verifyNote(s, [VKEY])],
  ['parseTlogProof', parseTlogProof],
  ['verifyTlogProof', (s) => verifyTlogProof(s, { verifiers: [VKEY] })],
  ['parseConsistencyProof', parseConsistencyProof],
  ['parseVkey', parseVkey],
  ['parseEvent', (s) => parseEvent(new TextEncoder().encode(s))],
];

// Text biased towards the grammar: newlines, em dashes, base64 characters, digits and keywords.
const token = fc.oneof(
  fc.constantFrom('\n', '\n\n', '— ', ' ', '+', '=', '0', '1', '08', 'index ', 'extra ', 'c2sp.org/tlog-proof@v1\n', ORIGIN, '{', '}', '"', '\u0000', '\ud800', '\u2014'),
  fc.string({ maxLength: 8 }),
  fc.base64String({ maxLength: 48 }),
);
const grammarText = fc.array(token, { maxLength: 40 }).map((a) => a.join(''));

const mutate = (s: string) => fc.tuple(fc.nat(s.length), fc.nat(s.length), fc.string({ maxLength: 4 })).map(([i, j, ins]) => {
  const [a, b] = i <= j ? [i, j] : [j, i];
  return s.slice(0, a) + ins + s.slice(Math.min(b, a + 3));
});

describe('parsers throw only MvError on arbitrary input', () => {
  for (const [name, parse] of PARSERS) {
    it(`${name}: random and grammar-shaped text`, () => {
      fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 }), grammarText), (s) => {
        onlyMvError(() => parse(s));
      }), { numRuns: 400 });
    });
  }

  it('mutated notes, receipts and events never verify with a changed signed part, and throw only MvError', () => {
    fc.assert(fc.property(mutate(NOTE), (s) => {
      const ok = onlyMvError(() => verifyNote(s, [VKEY]));
      if (ok) expect(verifyNote(s, [VKEY]).text).toBe(NOTE.slice(0, NOTE.indexOf('\n\n') + 1));
    }), { numRuns: 400 });
    fc.assert(fc.property(mutate(RECEIPT), (s) => {
      const ok = onlyMvError(() => verifyTlogProof(s, { verifiers: [VKEY] }));
      if (ok) expect(verifyTlogProof(s, { verifiers: [VKEY] }).data).toEqual(EVENT);
    }), { numRuns: 400 });
    fc.assert(fc.property(mutate(new TextDecoder().decode(EVENT)), (s) => {
      onlyMvError(() => parseEvent(new TextEncoder().encode(s)));
    }), { numRuns: 400 });
  });

  it('random bytes as UTF-8 input', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      onlyMvError(() => parseCheckpoint(b));
      onlyMvError(() => parseTlogProof(b));
      onlyMvError(() => verifyNote(b, [VKEY]));
      onlyMvError(() => parseEvent(b));
    }), { numRuns: 300 });
  });

  it('verifiers take arbitrary sizes and hashes', () => {
    const hash = fc.uint8Array({ minLength: 0, maxLength: 33 });
    fc.assert(fc.property(fc.bigInt({ min: -5n, max: 2n ** 65n }), fc.bigInt({ min: -5n, max: 2n ** 65n }), fc.array(hash, { maxLength: 70 }), hash, hash, (a, b, p, r1, r2) => {
      onlyMvError(() => verifyInclusion(r1, a, b, p, r2));
      onlyMvError(() => verifyConsistency(a, b, p, r1, r2));
    }), { numRuns: 300 });
  });
});

describe('round trips', () => {
  it('parseCheckpoint(formatCheckpoint(x)) = x', () => {
    const origin = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !/[\u0000-\u001f]/.test(s) && !/[\ud800-\udfff]/.test(s));
    fc.assert(fc.property(origin, fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (o, size, root) => {
      expect(parseCheckpoint(formatCheckpoint({ origin: o, size, root }))).toEqual({ origin: o, size, root, extensions: [] });
    }));
  });
  it('parseTlogProof(formatTlogProof(x)) = x', () => {
    fc.assert(fc.property(fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 64 }), (extra, index, proof) => {
      const p = extra === undefined ? { index, proof, checkpoint: NOTE } : { extra, index, proof, checkpoint: NOTE };
      expect(parseTlogProof(formatTlogProof(p))).toEqual(p);
    }));
  });
});
