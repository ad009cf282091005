/** GaussianNB: `theta_`, `var_` (≤ 0.24 `sigma_`), `class_prior_`. */
import { addTensor, CLASSIFIER_METHODS, featureNamesIn, requireFitted, type Ctx, type Mapped, type State } from './common.js';

export function mapGaussianNb(s: State, ctx: Ctx): Mapped {
  requireFitted(s, 'theta_');
  const classes = s.labels();
  const theta = s.mat('theta_');
  const variance = s.mat(s.has('var_') ? 'var_' : 'sigma_');
  const prior = s.vec('class_prior_', classes.length);
  if (theta.rows !== classes.length || variance.rows !== theta.rows || variance.cols !== theta.cols) {
    s.fail(`theta_/var_ shapes do not match ${classes.length} classes`, 'theta_');
  }
  const op = {
    kind: 'gaussian-nb' as const,
    name: s.shortName,
    theta: addTensor(ctx, s, 'theta', 'F64', [theta.rows, theta.cols], theta.data),
    var: addTensor(ctx, s, 'var', 'F64', [theta.rows, theta.cols], variance.data),
    class_prior: addTensor(ctx, s, 'class_prior', 'F64', [classes.length], prior),
  };
  return { op, role: 'classifier', nIn: theta.cols, nOut: classes.length, classes, methods: CLASSIFIER_METHODS(true, false), featureNames: featureNamesIn(s) };
}
