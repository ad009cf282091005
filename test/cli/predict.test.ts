import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { TensorBuilder, encodeArtifact, type ModelDescription } from '../../src/runtime/index.js';
import { PROV } from '../runtime/helpers.js';

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (s) => void stdout.push(s), err: (s) => void stderr.push(s), color: false, isTTY: false };
}

const dir = mkdtempSync(join(tmpdir(), 'mv-predict-'));
const tb = new TensorBuilder();
const desc: ModelDescription = {
  input: { n_features: 2, named: true, features: [{ name: 'a', type: 'number', missing: false }, { name: 'b', type: 'number', missing: false }] },
  output: { kind: 'classifier', classes: ['no', 'yes, really'], methods: ['predict', 'predict_proba', 'decision_function'] },
  graph: { kind: 'linear', coef: tb.add('coef', 'F64', [1, 2], [1, -2]), intercept: tb.add('intercept', 'F64', [1], [0.5]), proba: { kind: 'logistic' } },
};
const model = join(dir, 'm.safetensors');
writeFileSync(model, encodeArtifact(desc, tb.tensors, PROV));
writeFileSync(join(dir, 'in.csv'), 'b,a\n1,1\n0,2\n');
writeFileSync(join(dir, 'in.json'), '[{"a": 1, "b": 1}, {"a": 2, "b": 0}]');
writeFileSync(join(dir, 'rows.json'), '[[1, 1], [2, 0]]');
writeFileSync(join(dir, 'bad.csv'), 'a,b\n1,1\n2,x\n');
writeFileSync(join(dir, 'names.csv'), 'a,c\n1,1\n');
// .npy v1, <f8, shape (2, 2)
const hdr = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
const pad = 64 - ((10 + hdr.length + 1) % 64);
const h = Buffer.from(hdr + ' '.repeat(pad) + '\n', 'latin1');
const npy = Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 255, h.length >> 8]), h, Buffer.from(new Float64Array([1, 1, 2, 0]).buffer)]);
writeFileSync(join(dir, 'in.npy'), npy);

describe('modelvault predict', () => {
  for (const input of ['in.csv', 'in.json', 'rows.json', 'in.npy']) {
    it(`predicts from ${input} (JSON output)`, async () => {
      const o = capture();
      expect(await main(['node', 'modelvault', 'predict', model, '--input', join(dir, input)], o)).toBe(0);
      expect(JSON.parse(o.stdout.join(''))).toEqual({ method: 'predict', shape: [2], data: ['no', 'yes, really'] });
    });
  }
  it('CSV output with class labels as header', async () => {
    const o = capture();
    expect(await main(['node', 'modelvault', 'predict', model, '-i', join(dir, 'in.csv'), '--method', 'predict_proba', '--format', 'csv'], o)).toBe(0);
    const lines = o.stdout.join('\n').split('\n');
    expect(lines[0]).toBe('no,"yes, really"');
    expect(lines).toHaveLength(3);
  });
  it('bad input: INPUT_INVALID naming row and column, exit 2', async () => {
    const o = capture();
    expect(await main(['node', 'modelvault', 'predict', model, '-i', join(dir, 'bad.csv')], o)).toBe(2);
    expect(o.stderr.join('')).toMatch(/INPUT_INVALID: row 1, column 1 \(feature "b"\)/);
    const o2 = capture();
    expect(await main(['node', 'modelvault', 'predict', model, '-i', join(dir, 'names.csv')], o2)).toBe(2);
    expect(o2.stderr.join('')).toMatch(/INPUT_INVALID/);
  });
  it('unavailable method and missing files', async () => {
    const o = capture();
    expect(await main(['node', 'modelvault', 'predict', model, '-i', join(dir, 'in.csv'), '-m', 'transform'], o)).toBe(4);
    const o2 = capture();
    expect(await main(['node', 'modelvault', 'predict', join(dir, 'nope.safetensors'), '-i', join(dir, 'in.csv')], o2)).toBe(2);
    expect(o2.stderr.join('')).toMatch(/IO_NOT_FOUND/);
  });
});
