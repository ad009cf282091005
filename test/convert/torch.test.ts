import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, toHex } from '../../src/core/index.js';
import { convertTorch, readTorchCheckpoint } from '../../src/convert/index.js';
import { parseSafetensors } from '../../src/formats/safetensors/index.js';

const DIR = new URL('../fixtures/sklearn/torch/', import.meta.url).pathname;
interface TorchExpected {
  name: string;
  file: string;
  tensors: Record<string, { dtype: string; shape: number[]; hex: string }>;
  skipped: string[];
}
const CASES = readdirSync(DIR).filter((f) => f.endsWith('.expected.json')).sort()
  .map((f) => JSON.parse(readFileSync(DIR + f, 'utf8')) as TorchExpected);

describe('PyTorch checkpoints → safetensors', () => {
  it('has fixtures', () => expect(CASES.length).toBeGreaterThanOrEqual(5));
  for (const c of CASES) {
    it(c.name, () => {
      const bytes = new Uint8Array(readFileSync(DIR + c.file));
      const out = convertTorch(bytes, { limits: DEFAULT_LIMITS, sourceSha256: 'ab'.repeat(32), created: '2026-01-01T00:00:00Z' });
      const st = parseSafetensors(out.bytes, { strict: true });
      expect(st.metadata?.format).toBe('pt');
      const got = Object.fromEntries(st.tensors.map((t) => [t.name, { dtype: t.dtype, shape: [...t.shape], hex: toHex(st.read(t.name)) }]));
      expect(got).toEqual(c.tensors);
      expect(out.conversion.skipped.map((s) => s.name).sort()).toEqual([...c.skipped].sort());
    });
  }

  it('marks views and shared storages', () => {
    const r = readTorchCheckpoint(new Uint8Array(readFileSync(DIR + 'state_dict_zip.pt')), DEFAULT_LIMITS);
    const shared = r.tensors.filter((t) => t.shared).map((t) => t.name).sort();
    expect(shared).toEqual(['fc.transposed', 'fc.view', 'fc.weight']);
    expect(r.format).toBe('zip');
  });

  it('reads the big-endian byteorder record', () => {
    const r = readTorchCheckpoint(new Uint8Array(readFileSync(DIR + 'state_dict_big_endian.pt')), DEFAULT_LIMITS);
    expect(r.bigEndian).toBe(true);
  });
});
