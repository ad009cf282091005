/**
 * Multi-output models — trees, forests and k nearest neighbours fitted on a 2-D y, and
 * sklearn.multioutput's one estimator per output — through the CLI, and the description checks that
 * keep their per-output head consistent.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { parseSafetensors, writeSafetensors } from '../../src/formats/safetensors/index.js';
import { decodeArtifact, describeModel, loadModel, predict } from '../../src/runtime/index.js';
import { SKLEARN_DIR, converted, edited, expectRefused, type Desc } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mv-multi-'));
const capture = (): Output & { stdout: string[]; stderr: string[] } => {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (s) => void stdout.push(s), err: (s) => void stderr.push(s), color: false, isTTY: false };
};
const run = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  const o = capture();
  const code = await main(['node', 'modelvault', ...args], o);
  return { code, stdout: o.stdout.join('\n'), stderr: o.stderr.join('\n') };
};

const E = JSON.parse(readFileSync(`${SKLEARN_DIR}random_forest_classifier_multi_str.expected.json`, 'utf8')) as {
  input: number[][]; outputs: { predict: string[][]; predict_proba: number[][] };
};
const artifact = join(dir, 'multi.safetensors');

describe('multi-output classifier', { timeout: 30_000 }, () => {
  let c: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    c = await run('convert', `${SKLEARN_DIR}random_forest_classifier_multi_str.joblib`, '-o', artifact);
  });
  it('convert, inspect and predict (JSON and CSV) through the CLI', async () => {
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('classifier, 2 outputs with classes ["cat","dog","emu"], ["no","yes"]');
    expect((await run('inspect', artifact)).stdout).toContain('2 outputs with classes ["cat","dog","emu"], ["no","yes"]; methods predict, predict_proba');
    const input = join(dir, 'in.csv');
    writeFileSync(input, ['x0,x1,x2,x3', ...E.input.slice(0, 3).map((r) => r.join(','))].join('\n'));
    const p = JSON.parse((await run('predict', artifact, '--input', input)).stdout);
    expect(p).toEqual({ method: 'predict', shape: [3, 2], data: E.outputs.predict.slice(0, 3).flat() });
    const csv = (await run('predict', artifact, '--input', input, '--format', 'csv')).stdout.split('\n');
    expect(csv).toEqual(['predict_0,predict_1', ...E.outputs.predict.slice(0, 3).map((r) => r.join(','))]);
    const proba = (await run('predict', artifact, '--input', input, '--method', 'predict_proba', '--format', 'csv')).stdout.split('\n');
    expect(proba[0]).toBe('0:cat,0:dog,0:emu,1:no,1:yes');
    proba.slice(1).forEach((line, i) => line.split(',').forEach((v, j) => expect(Math.abs(Number(v) - E.outputs.predict_proba[i]![j]!)).toBeLessThanOrEqual(1e-9)));
    const df = await run('predict', artifact, '--input', input, '--method', 'decision_function');
    expect(df.code).toBe(4);
    expect(df.stderr).toContain('available: predict, predict_proba');
  });

  const refused: [string, (d: Desc) => void, RegExp][] = [
    ['class counts that do not add up to the classes', (d) => (d.output.n_classes = [3, 3]), /not the 5 listed/],
    ['a label repeated within one output', (d) => (d.output.classes = ['cat', 'cat', 'emu', 'no', 'yes']), /class labels of output 0 repeat/],
    ['decision_function, even from trees that give raw scores', (d) => ((d.graph.decision = true), (d.output.methods = ['predict', 'predict_proba', 'decision_function'])), /no decision_function/],
    ['trees whose leaves are not normalised', (d) => (d.graph.leaf_normalize = false), /multi-output classifier needs scikit-learn decision trees/],
    ['no outputs', (d) => (d.output.n_classes = []), /n_classes must NOT have fewer than 1 items/],
  ];
  for (const [what, edit, message] of refused) {
    it(`refuses ${what}`, () => expectRefused(edited(readFileSync(artifact), edit), message));
  }
  it("refuses a knn training label outside its output's classes", async () => {
    const f = parseSafetensors(await converted('knn_classifier_multi'));
    const tensors = new Map(f.tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape, data: f.read(t.name).slice() }]));
    const y = [...tensors.entries()].find(([, t]) => t.dtype === 'I64')![1];
    expect(y.shape[1]).toBe(2);
    const write = (): Uint8Array => writeSafetensors(tensors, f.metadata!);
    expect(decodeArtifact(write()).ir.output).toMatchObject({ n_classes: [4, 3] });
    new BigInt64Array(y.data.buffer, y.data.byteOffset, y.data.length / 8)[1] = 0n; // row 0, output 1: a class of output 0
    expectRefused(write(), /row 0: class index 0 is not one of output 1's/);
  });

  describe('one estimator per output (sklearn.multioutput)', () => {
    it('each estimator checks its own input: infinity is refused naming the output', async () => {
      const model = loadModel(await converted('multi_output_logreg'));
      expect(() => predict(model, [[0, Number.POSITIVE_INFINITY, 0, 0]])).toThrow(/the linear estimator of output 0/);
      expect(describeModel(model).graph).toMatchObject({ kind: 'multi-output', estimators: [{ kind: 'linear' }, { kind: 'linear' }] });
    });
    const refusedPerOutput: [string, string, (d: Desc) => void, RegExp][] = [
      ['multi_output_logreg', 'class counts for another number of estimators', (d) => ((d.output.n_classes = [5]), (d.output.classes = [0, 1, 2, 3, 4])), /needs n_classes for 2 outputs/],
      ['multi_output_logreg', "an estimator that does not fit its output's classes", (d) => ((d.output.n_classes = [2, 3]), (d.output.classes = [0, 1, 0, 1, 2])), /2 classes for an estimator with 3 outputs/],
      ['multi_output_logreg', 'a multi-output estimator inside another', (d) => (d.graph.estimators![1] = { kind: 'multi-output', estimators: [d.graph.estimators![1]] }), /an estimator of its own/],
      ['multi_output_regressor_gb', 'another number of outputs', (d) => (d.output.n_outputs = 3), /2 estimators, n_outputs is 3/],
    ];
    for (const [fixture, what, edit, message] of refusedPerOutput) {
      it(`refuses ${what}`, async () => expectRefused(edited(await converted(fixture), edit), message));
    }
  });

  it('the same labels in two outputs are fine', () => {
    expect(decodeArtifact(edited(readFileSync(artifact), (d) => (d.output.classes = ['no', 'yes', 'emu', 'no', 'yes']))).ir.output).toMatchObject({ n_classes: [3, 2] });
  });
});
