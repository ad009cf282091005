import { describe, expect, it } from 'vitest';
import type { ServedVersion } from '../../src/server/models.js';
import { inputsOf, toFrame } from '../../src/server/oip.js';

// A feature typed `any` (a column the model never reads, e.g. one a ColumnTransformer drops) is
// advertised as FP64 and takes a numeric or a BYTES tensor; a `string` feature still needs BYTES.
const served: ServedVersion = {
  model: 'ct', version: 1, digest: 'sha256:' + '0'.repeat(64), key: 'ct/1', methods: ['transform'],
  input: { n_features: 3, named: true, features: [{ name: 'x', type: 'number', missing: false }, { name: 'id', type: 'any', missing: true }, { name: 'colour', type: 'string', missing: false }] },
  output: { kind: 'transformer', n_outputs: 2, methods: ['transform'] },
};
const colour = { name: 'colour', datatype: 'BYTES', shape: [2], data: ['red', 'blue'] };

describe('OIP input of an `any` feature', () => {
  it('is advertised as FP64 and accepts numbers or text', () => {
    expect(inputsOf(served).map((i) => [i.name, i.datatype])).toEqual([['x', 'FP64'], ['id', 'FP64'], ['colour', 'BYTES']]);
    const x = { name: 'x', datatype: 'FP64', shape: [2], data: [1, 2] };
    const numeric = toFrame(served, { inputs: [x, { name: 'id', datatype: 'INT64', shape: [2], data: [7, 8] }, colour] });
    expect([0, 1, 3, 4].map((k) => numeric.data[k])).toEqual([1, 7, 2, 8]);
    const text = toFrame(served, { inputs: [x, { name: 'id', datatype: 'BYTES', shape: [2], data: ['a-1', 'b-2'] }, colour] });
    expect(text.text?.[1]).toEqual(['a-1', 'b-2']);
    expect(() => toFrame(served, { inputs: [x, { name: 'id', datatype: 'FP64', shape: [2], data: [1, 2] }, { ...colour, datatype: 'FP64', data: [1, 2] }] })).toThrow(/colour: a text feature needs datatype BYTES/);
  });
});
