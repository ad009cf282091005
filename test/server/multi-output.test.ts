import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, readBinary, startFixture, type Fixture } from './helpers.js';

// A multi-output classifier (scikit-learn fitted on a 2-D y) served over OIP by a real server: one
// label per output, each output's probabilities side by side, equal to scikit-learn's own outputs.
const FIXTURES = new URL('../fixtures/sklearn/', import.meta.url).pathname;
const E = JSON.parse(readFileSync(`${FIXTURES}extra_trees_classifier_multi.expected.json`, 'utf8')) as {
  input: number[][]; outputs: { predict: number[][]; predict_proba: number[][] }; n_classes: number[];
};
const ROWS = E.input.slice(0, 5);

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
  await fx.reg.push('pub', { file: `${FIXTURES}extra_trees_classifier_multi.joblib`, name: 'multi' });
}, 60_000);
afterAll(() => fx?.close());

const body = (extra: Record<string, unknown> = {}) => ({ inputs: [{ name: 'input-0', shape: [ROWS.length, 4], datatype: 'FP64', data: ROWS.flat() }], ...extra });
const K = E.n_classes.reduce((a, b) => a + b, 0);

describe('OIP: multi-output classifier', () => {
  it('metadata: label [-1, outputs], probabilities [-1, all classes]', async () => {
    const m = await (await fetch(`${fx.base}/v2/models/multi/versions/1`, { headers: { authorization: `Bearer ${fx.tokens.reader}` } })).json();
    expect(m.outputs).toEqual([
      { name: 'label', datatype: 'INT64', shape: [-1, 3] },
      { name: 'probabilities', datatype: 'FP64', shape: [-1, K] },
    ]);
  });

  it('JSON and binary answers equal scikit-learn', async () => {
    const res = await postJson(fx.base, '/v2/models/multi/versions/1/infer', body(), fx.tokens.reader);
    expect(res.status).toBe(200);
    const out = (await res.json()).outputs as { name: string; shape: number[]; data: number[] }[];
    expect(out[0]).toMatchObject({ name: 'label', shape: [5, 3], data: E.outputs.predict.slice(0, 5).flat() });
    expect(out[1]!.shape).toEqual([5, K]);
    out[1]!.data.forEach((p, i) => expect(Math.abs(p - E.outputs.predict_proba.slice(0, 5).flat()[i]!)).toBeLessThanOrEqual(1e-9));

    const bin = await readBinary(await postJson(fx.base, '/v2/models/multi/versions/1/infer', body({ parameters: { binary_data_output: true } }), fx.tokens.reader));
    const labels = bin.blobs.get('label')!;
    expect(Array.from({ length: 15 }, (_, i) => Number(labels.readBigInt64LE(8 * i)))).toEqual(E.outputs.predict.slice(0, 5).flat());
  });
});
