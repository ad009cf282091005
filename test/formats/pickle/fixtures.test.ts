import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePickle, type PickleOptions } from '../../../src/formats/pickle/index.js';
import { toJson } from './json.js';

// Differential test: decoded values match what the producing libraries wrote (expected.json by gen/gen.py).
const FIX = new URL('../../fixtures/pickle/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', FIX), 'utf8')) as { files: Record<string, unknown> };

const profileOf = (rel: string): PickleOptions['profile'] => // sklearn/ and numpy/ are plain pickles

  rel.startsWith('joblib/') ? 'joblib' : rel.startsWith('torch/') ? 'torch' : 'plain';

describe('real fixtures decode to the producer values', () => {
  const entries = Object.entries(expected.files);
  it('has fixtures', () => expect(entries.length).toBeGreaterThan(80));
  for (const [rel, want] of entries) {
    it(rel, () => {
      const bytes = new Uint8Array(readFileSync(new URL(rel, FIX)));
      const r = parsePickle(bytes, { profile: profileOf(rel), stopAtEnd: true });
      const err = (want as { error?: string } | null)?.error;
      if (err) {
        expect(r.error?.code).toBe(err);
        return;
      }
      expect(r.error?.describe()).toBeUndefined();
      expect(r.end).toBe(bytes.length);
      const globals = (want as { globals?: [string, string][] } | null)?.globals;
      if (globals) {
        // the (module, name) pairs CPython's find_class received, in order, as spelled in the file
        const seen = r.events.flatMap((e) => (e.kind === 'global' ? [[e.global.raw?.module ?? e.global.module, e.global.raw?.name ?? e.global.name]] : []));
        expect(seen).toEqual(globals);
        return;
      }
      expect(toJson(r.value)).toEqual(want);
    });
  }
});
