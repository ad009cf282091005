import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMvError } from '../../src/core/index.js';
import { onnxFrame, onnxServed, parseOnnxInfo } from '../../src/server/onnx.js';
import type { InferRequest } from '../../src/server/oip.js';

// The request and worker-answer parsers of src/server/onnx.ts, in process (no workers): valid requests
// decode exactly; random and mutated ones only ever throw MvError, quickly.
const INFO = {
  inputs: [
    { name: 'x', tensor: true, type: 'float32', shape: ['', 2] },
    { name: 'ids', tensor: true, type: 'int64', shape: [''] },
    { name: 'flag', tensor: true, type: 'bool', shape: ['N'] },
    { name: 'text', tensor: true, type: 'string', shape: [''] },
    { name: 'h', tensor: true, type: 'float16', shape: [1] },
  ],
  outputs: [{ name: 'y', tensor: true, type: 'float32', shape: ['', 1] }, { name: 'zipmap', tensor: false }],
  irVersion: 8, producer: 'p', opsets: [{ domain: '', version: 13 }],
};
const served = onnxServed({ model: 'm', version: 1, digest: 'sha256:00', key: 'm@1' }, parseOnnxInfo(INFO));

const VALID: InferRequest = {
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [2, 2], data: [[1, 2], [3, 4.5]] },
    { name: 'ids', datatype: 'INT64', shape: [2], data: [-5, 9007199254740991] },
    { name: 'flag', datatype: 'BOOL', shape: [2], data: [true, false] },
    { name: 'text', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: 11 } },
    { name: 'h', datatype: 'FP16', shape: [1], parameters: { binary_data_size: 2 } },
  ],
};
const BLOBS = Buffer.from([2, 0, 0, 0, 0x68, 0x69, 1, 0, 0, 0, 0x21, 0x00, 0x3c]);

const onlyMvError = (f: () => unknown): void => {
  try {
    f();
  } catch (e) {
    if (!isMvError(e)) throw e;
  }
};

describe('onnxFrame', () => {
  it('decodes a valid mixed JSON + binary request into typed feeds', () => {
    const f = onnxFrame(served, VALID, BLOBS);
    expect(f.onnx.outputs).toEqual(['y']);
    expect(f.onnx.feeds.x).toEqual({ type: 'float32', dims: [2, 2], data: Float32Array.of(1, 2, 3, 4.5) });
    expect(f.onnx.feeds.ids!.data).toEqual(BigInt64Array.of(-5n, 9007199254740991n));
    expect(f.onnx.feeds.flag!.data).toEqual(Uint8Array.of(1, 0));
    expect(f.onnx.feeds.text!.data).toEqual(['hi', '!']);
    expect(f.onnx.feeds.h!.data).toEqual(Uint16Array.of(0x3c00));
  });

  it('random requests only ever throw MvError', () => {
    fc.assert(fc.property(fc.anything(), fc.option(fc.uint8Array({ maxLength: 64 })), (req, blob) => {
      onlyMvError(() => onnxFrame(served, req as InferRequest, blob ? Buffer.from(blob) : undefined));
    }), { numRuns: 2000 });
  });

  it('mutated valid requests only ever throw MvError', () => {
    const leaf = fc.oneof(fc.anything(), fc.integer(), fc.double(), fc.constant(2 ** 53), fc.constant(-1), fc.string());
    fc.assert(fc.property(fc.nat(4), fc.constantFrom('name', 'datatype', 'shape', 'data', 'parameters'), leaf, fc.uint8Array({ maxLength: 20 }), (i, field, v, blob) => {
      const inputs = VALID.inputs.map((x, j) => (j === i ? { ...x, [field]: v } : x));
      const t = Date.now();
      onlyMvError(() => onnxFrame(served, { inputs }, Buffer.from(blob)));
      onlyMvError(() => onnxFrame(served, { inputs }, BLOBS));
      expect(Date.now() - t).toBeLessThan(200);
    }), { numRuns: 2000 });
  });

  it('worker answers are validated: random graph descriptions only ever throw MvError', () => {
    fc.assert(fc.property(fc.anything(), (info) => onlyMvError(() => parseOnnxInfo(info))), { numRuns: 1000 });
    expect(() => parseOnnxInfo({ ...INFO, inputs: [{ name: 'c', tensor: true, type: 'complex64', shape: [] }] })).toThrow(expect.objectContaining({ code: 'SANDBOX_ONNX_LOAD_FAILED' }));
  });
});
