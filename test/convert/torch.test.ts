import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMvError } from '../../src/core/index.js';
import { DEFAULT_LIMITS, toHex } from '../../src/core/index.js';
import { convertTorch, materialise, readTorchCheckpoint } from '../../src/convert/index.js';
import { parseSafetensors } from '../../src/formats/safetensors/index.js';

const DIR = new URL('../fixtures/sklearn/torch/', import.meta.url).pathname;
const SCAN = new URL('../fixtures/scan/', import.meta.url).pathname;
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

  it('reads a whole pickled nn.Module as its state_dict (parameters and buffers, never instantiated)', () => {
    const r = readTorchCheckpoint(new Uint8Array(readFileSync(SCAN + 'benign/torch/whole_model_sequential.pt')), DEFAULT_LIMITS);
    expect(r.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ['0.weight', 'F32', [8, 4]], ['0.bias', 'F32', [8]], ['2.weight', 'F32', [3, 8]], ['2.bias', 'F32', [3]],
    ]);
    expect(r.modules).toContain('torch.nn.modules.container.Sequential');
  });

  it('converts every benign torch checkpoint of the scan corpus', () => {
    for (const f of readdirSync(SCAN + 'benign/torch').filter((x) => /\.(pt|pth)$/.test(x))) {
      const out = convertTorch(new Uint8Array(readFileSync(SCAN + 'benign/torch/' + f)), { limits: DEFAULT_LIMITS });
      expect(parseSafetensors(out.bytes, { strict: true }).tensors.length, f).toBeGreaterThan(0);
    }
  });

  it('refuses Python objects, TorchScript, tar checkpoints and out-of-range views', () => {
    const code = (f: string): string | undefined => {
      try {
        readTorchCheckpoint(new Uint8Array(readFileSync(SCAN + f)), DEFAULT_LIMITS);
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return undefined;
    };
    expect(code('malicious/torch/zip_payload_data_pkl.pt')).toBe('CONVERT_UNSUPPORTED');
    expect(code('malicious/torch/torchscript_module.pt')).toBe('CONVERT_UNSUPPORTED');
    expect(code('malicious/torch/T_legacy_tar.pt')).toBe('CONVERT_UNSUPPORTED');
    const bad = { shape: [2, 3], stride: [3, 1], offset: 4 };
    expect(() => materialise(bad, new Uint8Array(32), { bytes: 4, swap: 4 }, false, 'w')).toThrow(expect.objectContaining({ code: 'CONVERT_STATE_INVALID' }));
    const t = materialise({ shape: [2, 2], stride: [1, 2], offset: 0 }, Uint8Array.of(1, 2, 3, 4), { bytes: 1, swap: 1 }, false, 't');
    expect([...t]).toEqual([1, 3, 2, 4]);
  });

  it('reads the big-endian byteorder record', () => {
    const r = readTorchCheckpoint(new Uint8Array(readFileSync(DIR + 'state_dict_big_endian.pt')), DEFAULT_LIMITS);
    expect(r.bigEndian).toBe(true);
  });

  it('property: mutated checkpoints only raise MvError', () => {
    const files = ['state_dict_legacy.pt', 'state_dict_zip.pt', 'nested_legacy.pt'].map((f) => new Uint8Array(readFileSync(DIR + f)));
    fc.assert(
      fc.property(fc.nat(files.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 8 }), (fi, edits) => {
        const b = files[fi]!.slice();
        for (const [pos, v] of edits) b[pos % b.length] = v;
        try {
          convertTorch(b, { limits: DEFAULT_LIMITS });
        } catch (e) {
          if (!isMvError(e)) throw e;
        }
      }),
      { numRuns: 400 },
    );
  });
});
