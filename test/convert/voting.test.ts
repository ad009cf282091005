/**
 * Voting ensembles (sklearn.ensemble VotingClassifier / VotingRegressor as the `vote` operator): what
 * the artifact says of them, each voter's own input check, and the description checks of a vote.
 * test/convert/sklearn-diff checks their outputs against scikit-learn's.
 */
import { describe, expect, it } from 'vitest';
import { convertGraph } from '../../src/convert/index.js';
import type { PyDict, PyObject, PyValue } from '../../src/formats/pickle/index.js';
import { describeModel, loadModel, predict } from '../../src/runtime/index.js';
import { converted, edited, expectRefused, loadGraph, type Desc } from './fixtures.js';

describe('vote', () => {
  it("leaves out the weights of 'drop' entries and checks each voter's input", async () => {
    const model = loadModel(await converted('voting_hard_weighted'));
    expect(model.methods).toEqual(['predict']);
    expect(describeModel(model).graph).toMatchObject({ kind: 'vote', voting: 'hard', weights: [2, 1, 1], estimators: [{ kind: 'linear' }, { kind: 'tree-ensemble' }, { kind: 'knn' }] });
    expect(() => predict(model, [[0, Number.POSITIVE_INFINITY, 0, 0]])).toThrow(/the linear estimator of voter 0 cannot take Infinity/);
  });

  it('refuses a vote inside a MultiOutputClassifier with CONVERT_UNSUPPORTED (composites do not nest)', async () => {
    const outer = (await loadGraph('multi_output_logreg.joblib')).value as PyObject;
    const inner = (await loadGraph('voting_soft_str.joblib')).value;
    const state = outer.state as PyDict;
    const list = state.values[state.keys.indexOf('estimators_')] as { items: PyValue[] };
    list.items[0] = inner;
    expect(() => convertGraph(outer, { sourceSha256: '0'.repeat(64), created: '2026-01-01T00:00:00Z' })).toThrow(
      expect.objectContaining({ code: 'CONVERT_UNSUPPORTED', message: expect.stringMatching(/estimators_\[0\] is itself a VotingClassifier/) }),
    );
  });

  const refused: [string, string, (d: Desc) => void, RegExp][] = [
    ['voting_hard_weighted', 'weights for another number of voters', (d) => (d.graph.weights = [1, 2]), /2 weights for 3 estimators/],
    ['voting_hard_weighted', 'weights that sum to 0', (d) => (d.graph.weights = [1, -1, 0]), /not sum to 0/],
    ['voting_hard_weighted', 'soft voting by a voter without predict_proba', (d) => {
      d.graph.voting = 'soft';
      delete (d.graph.estimators![0] as Record<string, unknown>).proba; // a logistic regression without probabilities
    }, /estimator 0 has no predict_proba/],
    ['voting_regressor', 'a regressor voting soft', (d) => (d.graph.voting = 'soft'), /votes by the mean, not soft/],
    ['voting_soft_str', 'a classifier voting by the mean', (d) => ((d.graph.voting = 'mean'), (d.output.methods = ['predict'])), /votes soft or hard, not mean/],
    ['voting_soft_str', 'a vote inside a vote', (d) => (d.graph.estimators![0] = { kind: 'vote', voting: 'soft', estimators: [d.graph.estimators![0]] }), /an estimator of its own/],
    ['voting_soft_str', 'a voter that does not fit the classes', (d) => ((d.output.classes = ['cat', 'dog']), (d.output.methods = ['predict'])), /2 classes for an estimator with 3 outputs/],
  ];
  for (const [fixture, what, edit, message] of refused) {
    it(`refuses ${what}`, async () => expectRefused(edited(await converted(fixture), edit), message));
  }
});
