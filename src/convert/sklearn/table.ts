/**
 * The dispatch table: the single source of truth for which classes convert, and how. Rows are keyed
 * by exact `module.qualname` as found in the pickle (after py2 name normalisation); classes that moved
 * between scikit-learn versions get one row per module path.
 *
 * `INNER_TYPES` lists the helper objects that legitimately appear INSIDE a supported estimator's
 * state (Cython trees, loss objects, neighbour trees, random states). They are read (or ignored) by
 * the estimator's mapper and are never converted on their own.
 */
import { indexUnique } from '../../core/index.js';
import { GB_LOSS_CLASSES } from './gb.js';
import { HGB_LOSS_CLASSES } from './hgb.js';
import type { Ctx, Mapped, State } from './common.js';
import { mapColumnTransformer, mapMultiOutput, mapPipeline, mapVoting } from './compose.js';
import { mapOneHotEncoder, mapOrdinalEncoder } from './encoders.js';
import { mapGbClassifier, mapGbRegressor } from './gb.js';
import { mapHgbClassifier, mapHgbRegressor } from './hgb.js';
import { mapKMeans, mapKnnClassifier, mapKnnRegressor, mapNearestCentroid } from './knn.js';
import { mapGlm, mapLda, mapOneVsRest, mapLinearRegressor, mapLinearSvc, mapLogisticRegression, mapRidgeClassifier, mapSgdClassifier } from './linear.js';
import { mapMlp } from './mlp.js';
import { mapGaussianNb } from './naive-bayes.js';
import { mapBinarizer, mapFunctionTransformer, mapNormalizer, mapTruncatedSvd, mapMaxAbsScaler, mapMinMaxScaler, mapPca, mapPolynomialFeatures, mapRobustScaler, mapSimpleImputer, mapStandardScaler } from './preprocess.js';
import { mapMissingIndicator, mapRfe, mapSelectKBest, mapVarianceThreshold } from './select.js';
import { mapSvc, mapSvr } from './svm.js';
import { mapLgbmWrapper, mapXgbWrapper } from './wrappers.js';
import { mapForestClassifier, mapForestRegressor, mapTreeClassifier, mapTreeRegressor } from './tree.js';

export type Family = 'linear' | 'svm' | 'neighbors' | 'naive-bayes' | 'tree' | 'forest' | 'gradient-boosting' | 'hist-gradient-boosting' | 'neural-network' | 'preprocessing' | 'composition' | 'xgboost' | 'lightgbm';

export interface EstimatorRow {
  /** Exact `module.qualname`. */
  readonly cls: string;
  readonly family: Family;
  /** scikit-learn versions whose layout this row is tested or specified against. */
  readonly versions: string;
  readonly doc: string;
  readonly map: (s: State, ctx: Ctx) => Mapped;
}

const SK = '0.24–1.6';

export const ESTIMATORS: readonly EstimatorRow[] = [
  // linear regressors (formats.md §4.1)
  { cls: 'sklearn.linear_model._base.LinearRegression', family: 'linear', versions: SK, doc: 'X·coef_ᵀ + intercept_, single or multi-target.', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._glm.glm.PoissonRegressor', family: 'linear', versions: '1.1–1.6', doc: 'exp(X·coef_ + intercept_) (log link, from _base_loss).', map: mapGlm },
  { cls: 'sklearn.linear_model._glm.glm.GammaRegressor', family: 'linear', versions: '1.1–1.6', doc: 'exp(X·coef_ + intercept_) (log link).', map: mapGlm },
  { cls: 'sklearn.linear_model._glm.glm.TweedieRegressor', family: 'linear', versions: '1.1–1.6', doc: 'Identity or log link, from the class of _base_loss.', map: mapGlm },
  { cls: 'sklearn.linear_model._ridge.Ridge', family: 'linear', versions: SK, doc: 'As LinearRegression.', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._coordinate_descent.Lasso', family: 'linear', versions: SK, doc: 'As LinearRegression.', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._coordinate_descent.ElasticNet', family: 'linear', versions: SK, doc: 'As LinearRegression.', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._stochastic_gradient.SGDRegressor', family: 'linear', versions: SK, doc: 'coef_ (n_f,), intercept_ (1,).', map: mapLinearRegressor },
  { cls: 'sklearn.svm._classes.LinearSVR', family: 'linear', versions: SK, doc: 'coef_ (n_f,), intercept_ (1,).', map: mapLinearRegressor },
  // linear classifiers (§4.2)
  { cls: 'sklearn.linear_model._logistic.LogisticRegression', family: 'linear', versions: SK, doc: 'ovr/multinomial/liblinear probabilities per multi_class and solver; binary multinomial = softmax([−d, d]).', map: mapLogisticRegression },
  { cls: 'sklearn.linear_model._stochastic_gradient.SGDClassifier', family: 'linear', versions: SK, doc: 'predict_proba for log_loss (≤ 1.0 "log") and modified_huber only.', map: mapSgdClassifier },
  { cls: 'sklearn.svm._classes.LinearSVC', family: 'linear', versions: SK, doc: 'Decision function only (ovr or crammer_singer).', map: mapLinearSvc },
  // further linear models with the same predict (X·coef_ᵀ + intercept_)
  { cls: 'sklearn.linear_model._ridge.RidgeCV', family: 'linear', versions: SK, doc: 'As Ridge.', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._coordinate_descent.LassoCV', family: 'linear', versions: SK, doc: 'As Lasso.', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._coordinate_descent.ElasticNetCV', family: 'linear', versions: SK, doc: 'As ElasticNet.', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._coordinate_descent.MultiTaskLasso', family: 'linear', versions: SK, doc: 'Multi-target coef_ (n_targets, n_f).', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._coordinate_descent.MultiTaskElasticNet', family: 'linear', versions: SK, doc: 'Multi-target coef_ (n_targets, n_f).', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._huber.HuberRegressor', family: 'linear', versions: SK, doc: 'predict = X·coef_ + intercept_ (scale_ is training only).', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._bayes.BayesianRidge', family: 'linear', versions: SK, doc: 'Mean prediction (return_std is not offered).', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._bayes.ARDRegression', family: 'linear', versions: SK, doc: 'Mean prediction (return_std is not offered).', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._theil_sen.TheilSenRegressor', family: 'linear', versions: SK, doc: 'As LinearRegression.', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._least_angle.Lars', family: 'linear', versions: SK, doc: 'As LinearRegression.', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._least_angle.LassoLars', family: 'linear', versions: SK, doc: 'As LinearRegression.', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._least_angle.LassoLarsIC', family: 'linear', versions: SK, doc: 'As LinearRegression.', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._least_angle.LarsCV', family: 'linear', versions: SK, doc: 'As LinearRegression.', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._least_angle.LassoLarsCV', family: 'linear', versions: SK, doc: 'As LinearRegression.', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._omp.OrthogonalMatchingPursuit', family: 'linear', versions: SK, doc: 'As LinearRegression.', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._passive_aggressive.PassiveAggressiveRegressor', family: 'linear', versions: SK, doc: 'coef_ (n_f,), intercept_ (1,).', map: mapLinearRegressor },
  { cls: 'sklearn.linear_model._logistic.LogisticRegressionCV', family: 'linear', versions: SK, doc: 'Refitted coef_/intercept_; probabilities as LogisticRegression.', map: mapLogisticRegression },
  { cls: 'sklearn.linear_model._perceptron.Perceptron', family: 'linear', versions: SK, doc: 'Decision function only.', map: mapLinearSvc },
  { cls: 'sklearn.linear_model._passive_aggressive.PassiveAggressiveClassifier', family: 'linear', versions: SK, doc: 'Decision function only.', map: mapLinearSvc },
  { cls: 'sklearn.linear_model._ridge.RidgeClassifier', family: 'linear', versions: SK, doc: 'Decision function only; labels from _label_binarizer.', map: mapRidgeClassifier },
  { cls: 'sklearn.linear_model._ridge.RidgeClassifierCV', family: 'linear', versions: SK, doc: 'As RidgeClassifier.', map: mapRidgeClassifier },
  { cls: 'sklearn.multiclass.OneVsRestClassifier', family: 'linear', versions: SK, doc: 'Over linear binary estimators: stacked decision rows; ovr-normalised σ probabilities for logistic ones.', map: mapOneVsRest },
  { cls: 'sklearn.discriminant_analysis.LinearDiscriminantAnalysis', family: 'linear', versions: SK, doc: 'predict/decision_function/predict_proba (σ binary, softmax multiclass); transform is not offered.', map: mapLda },
  // libsvm (§4.9)
  { cls: 'sklearn.svm._classes.SVC', family: 'svm', versions: SK, doc: 'One-vs-one libsvm with private _dual_coef_/_intercept_; probability=True via _probA/_probB.', map: mapSvc },
  { cls: 'sklearn.svm._classes.NuSVC', family: 'svm', versions: SK, doc: 'Same fitted state as SVC.', map: mapSvc },
  { cls: 'sklearn.svm._classes.SVR', family: 'svm', versions: SK, doc: 'Σ dual·K(x, s) + intercept.', map: mapSvr },
  { cls: 'sklearn.svm._classes.NuSVR', family: 'svm', versions: SK, doc: 'Same fitted state as SVR.', map: mapSvr },
  // neighbours, naive Bayes (§4.8)
  { cls: 'sklearn.neighbors._classification.KNeighborsClassifier', family: 'neighbors', versions: SK, doc: 'Brute force over _fit_X; Minkowski metrics; uniform/distance weights.', map: mapKnnClassifier },
  { cls: 'sklearn.neighbors._regression.KNeighborsRegressor', family: 'neighbors', versions: SK, doc: 'As the classifier, mean (or 1/d-weighted mean) of _y.', map: mapKnnRegressor },
  { cls: 'sklearn.cluster._kmeans.KMeans', family: 'neighbors', versions: SK, doc: 'predict = nearest cluster_centers_ row (1-NN over the centres).', map: mapKMeans },
  { cls: 'sklearn.cluster._kmeans.MiniBatchKMeans', family: 'neighbors', versions: SK, doc: 'As KMeans.', map: mapKMeans },
  { cls: 'sklearn.neighbors._nearest_centroid.NearestCentroid', family: 'neighbors', versions: SK, doc: 'classes_[argmin distance to centroids_] (euclidean/manhattan).', map: mapNearestCentroid },
  { cls: 'sklearn.naive_bayes.GaussianNB', family: 'naive-bayes', versions: SK, doc: 'theta_, var_ (≤ 0.24 sigma_), class_prior_.', map: mapGaussianNb },
  // trees (§4.3–§4.4)
  { cls: 'sklearn.tree._classes.DecisionTreeClassifier', family: 'tree', versions: SK, doc: 'Node dtype read by field name (56 B ≤ 1.2, 64 B with missing_go_to_left ≥ 1.3); counts or fractions.', map: mapTreeClassifier },
  { cls: 'sklearn.tree._classes.DecisionTreeRegressor', family: 'tree', versions: SK, doc: 'As DecisionTreeClassifier, values[leaf, 0, 0].', map: mapTreeRegressor },
  { cls: 'sklearn.tree._classes.ExtraTreeClassifier', family: 'tree', versions: SK, doc: 'Same state as DecisionTreeClassifier.', map: mapTreeClassifier },
  { cls: 'sklearn.tree._classes.ExtraTreeRegressor', family: 'tree', versions: SK, doc: 'Same state as DecisionTreeRegressor.', map: mapTreeRegressor },
  { cls: 'sklearn.ensemble._forest.RandomForestClassifier', family: 'forest', versions: SK, doc: 'Mean of normalised tree probabilities over estimators_.', map: mapForestClassifier },
  { cls: 'sklearn.ensemble._forest.RandomForestRegressor', family: 'forest', versions: SK, doc: 'Mean of tree values.', map: mapForestRegressor },
  { cls: 'sklearn.ensemble._forest.ExtraTreesClassifier', family: 'forest', versions: SK, doc: 'As RandomForestClassifier.', map: mapForestClassifier },
  { cls: 'sklearn.ensemble._forest.ExtraTreesRegressor', family: 'forest', versions: SK, doc: 'As RandomForestRegressor.', map: mapForestRegressor },
  // boosting (§4.5–§4.6)
  { cls: 'sklearn.ensemble._gb.GradientBoostingClassifier', family: 'gradient-boosting', versions: SK, doc: 'log_loss (binary, multiclass) and exponential; _gb_losses ≤ 1.3 or sklearn._loss ≥ 1.4.', map: mapGbClassifier },
  { cls: 'sklearn.ensemble._gb.GradientBoostingRegressor', family: 'gradient-boosting', versions: SK, doc: 'squared_error, absolute_error, huber, quantile; init_ Dummy or "zero".', map: mapGbRegressor },
  { cls: 'sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier', family: 'hist-gradient-boosting', versions: SK, doc: 'NaN routing and categorical bitsets; feature_idx u4 or intp.', map: mapHgbClassifier },
  { cls: 'sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor', family: 'hist-gradient-boosting', versions: SK, doc: 'Identity or log link (Poisson/Gamma).', map: mapHgbRegressor },
  // preprocessing (§4.7)
  { cls: 'sklearn.preprocessing._data.StandardScaler', family: 'preprocessing', versions: SK, doc: '(x − mean_) / scale_.', map: mapStandardScaler },
  { cls: 'sklearn.preprocessing._data.MinMaxScaler', family: 'preprocessing', versions: SK, doc: 'x·scale_ + min_, optional clip (≥ 1.0).', map: mapMinMaxScaler },
  { cls: 'sklearn.preprocessing._data.RobustScaler', family: 'preprocessing', versions: SK, doc: '(x − center_) / scale_.', map: mapRobustScaler },
  { cls: 'sklearn.preprocessing._data.MaxAbsScaler', family: 'preprocessing', versions: SK, doc: 'x / scale_.', map: mapMaxAbsScaler },
  { cls: 'sklearn.preprocessing._encoders.OneHotEncoder', family: 'preprocessing', versions: SK, doc: 'Numeric or string categories, drop, handle_unknown error/ignore; dense output (sparse ≤ 1.1, sparse_output ≥ 1.2 ignored).', map: mapOneHotEncoder },
  { cls: 'sklearn.preprocessing._encoders.OrdinalEncoder', family: 'preprocessing', versions: SK, doc: 'Category index; use_encoded_value for unknowns; encoded_missing_value (≥ 1.1).', map: mapOrdinalEncoder },
  { cls: 'sklearn.impute._base.SimpleImputer', family: 'preprocessing', versions: SK, doc: 'mean/median/most_frequent/constant, NaN/number/str/None markers, add_indicator, all-missing columns dropped.', map: mapSimpleImputer },
  { cls: 'sklearn.preprocessing._polynomial.PolynomialFeatures', family: 'preprocessing', versions: '1.0–1.6', doc: 'powers_ recomputed from degree/interaction_only/include_bias.', map: mapPolynomialFeatures },
  { cls: 'sklearn.preprocessing._data.PolynomialFeatures', family: 'preprocessing', versions: '0.24', doc: 'Module before 1.0.', map: mapPolynomialFeatures },
  { cls: 'sklearn.preprocessing._function_transformer.FunctionTransformer', family: 'preprocessing', versions: SK, doc: 'Only func=None (the identity; ColumnTransformer remainder="passthrough" ≥ 1.0).', map: mapFunctionTransformer },
  { cls: 'sklearn.feature_selection._variance_threshold.VarianceThreshold', family: 'preprocessing', versions: SK, doc: 'Column selection: variances_ > threshold.', map: mapVarianceThreshold },
  { cls: 'sklearn.feature_selection._univariate_selection.SelectKBest', family: 'preprocessing', versions: SK, doc: 'Column selection: top k scores_ (stable argsort, NaN lowest).', map: mapSelectKBest },
  { cls: 'sklearn.feature_selection._rfe.RFE', family: 'preprocessing', versions: SK, doc: 'Column selection by support_ (as a transformer only).', map: mapRfe },
  { cls: 'sklearn.feature_selection._rfe.RFECV', family: 'preprocessing', versions: SK, doc: 'Column selection by support_ (as a transformer only).', map: mapRfe },
  { cls: 'sklearn.impute._base.MissingIndicator', family: 'preprocessing', versions: SK, doc: 'Standalone: one 0/1 column per features_ (NaN marker).', map: mapMissingIndicator },
  { cls: 'sklearn.decomposition._incremental_pca.IncrementalPCA', family: 'preprocessing', versions: SK, doc: 'Same fitted state as PCA.', map: mapPca },
  { cls: 'sklearn.decomposition._truncated_svd.TruncatedSVD', family: 'preprocessing', versions: SK, doc: 'x·components_ᵀ (PCA operator, zero mean).', map: mapTruncatedSvd },
  { cls: 'sklearn.decomposition._pca.PCA', family: 'preprocessing', versions: SK, doc: '(x − mean_)·components_ᵀ, optional whitening.', map: mapPca },
  { cls: 'sklearn.preprocessing._data.Normalizer', family: 'preprocessing', versions: SK, doc: 'Rows divided by their l1, l2 or max norm (near-zero norms count as 1).', map: mapNormalizer },
  { cls: 'sklearn.preprocessing._data.Binarizer', family: 'preprocessing', versions: SK, doc: '1 where x > threshold, else 0.', map: mapBinarizer },
  // composition
  { cls: 'sklearn.compose._column_transformer.ColumnTransformer', family: 'composition', versions: SK, doc: 'int/str/slice/mask columns, remainder passthrough/drop, dense output.', map: mapColumnTransformer },
  { cls: 'sklearn.neural_network._multilayer_perceptron.MLPClassifier', family: 'neural-network', versions: SK, doc: 'coefs_/intercepts_ per layer; relu/tanh/logistic/identity hidden; softmax or logistic output (predict p > 0.5 when binary).', map: (s, ctx) => mapMlp(s, ctx, 'classifier') },
  { cls: 'sklearn.neural_network._multilayer_perceptron.MLPRegressor', family: 'neural-network', versions: SK, doc: 'coefs_/intercepts_ per layer; identity output, one or several targets.', map: (s, ctx) => mapMlp(s, ctx, 'regressor') },
  { cls: 'sklearn.ensemble._voting.VotingClassifier', family: 'composition', versions: SK, doc: "estimators_ vote soft (weighted mean of probabilities) or hard (weighted count of predicted classes); 'drop' entries' weights left out.", map: (s, ctx) => mapVoting(s, ctx, 'classifier') },
  { cls: 'sklearn.ensemble._voting.VotingRegressor', family: 'composition', versions: SK, doc: 'Weighted mean of the estimators_ predictions.', map: (s, ctx) => mapVoting(s, ctx, 'regressor') },
  { cls: 'sklearn.multioutput.MultiOutputClassifier', family: 'composition', versions: SK, doc: 'One estimator per output (estimators_): labels [n, outputs]; predict_proba side by side when all have it.', map: (s, ctx) => mapMultiOutput(s, ctx, 'classifier') },
  { cls: 'sklearn.multioutput.MultiOutputRegressor', family: 'composition', versions: SK, doc: 'One single-output regressor per output (estimators_): predictions [n, outputs].', map: (s, ctx) => mapMultiOutput(s, ctx, 'regressor') },
  // other libraries' scikit-learn wrappers (§5.5, §6)
  { cls: 'xgboost.sklearn.XGBClassifier', family: 'xgboost', versions: 'xgboost 1.0–3.x', doc: 'Booster handle = UBJSON/JSON snapshot; classes_ from the wrapper.', map: mapXgbWrapper },
  { cls: 'xgboost.sklearn.XGBRegressor', family: 'xgboost', versions: 'xgboost 1.0–3.x', doc: 'Booster handle = UBJSON/JSON snapshot.', map: mapXgbWrapper },
  { cls: 'xgboost.sklearn.XGBRFClassifier', family: 'xgboost', versions: 'xgboost 1.0–3.x', doc: 'Random-forest mode: same snapshot.', map: mapXgbWrapper },
  { cls: 'xgboost.sklearn.XGBRFRegressor', family: 'xgboost', versions: 'xgboost 1.0–3.x', doc: 'Random-forest mode: same snapshot.', map: mapXgbWrapper },
  { cls: 'lightgbm.sklearn.LGBMClassifier', family: 'lightgbm', versions: 'lightgbm 3–4 (hand-built fixtures)', doc: 'Booster state holds model_to_string() text; labels from _classes.', map: mapLgbmWrapper },
  { cls: 'lightgbm.sklearn.LGBMRegressor', family: 'lightgbm', versions: 'lightgbm 3–4 (hand-built fixtures)', doc: 'Booster state holds model_to_string() text.', map: mapLgbmWrapper },
  { cls: 'sklearn.pipeline.Pipeline', family: 'composition', versions: SK, doc: 'Steps chained; "passthrough"/None steps are identities.', map: mapPipeline },
];

export const ESTIMATOR_BY_CLASS: ReadonlyMap<string, EstimatorRow> = indexUnique(ESTIMATORS, (r) => r.cls);

/** Helper classes allowed inside supported estimators, with the reason each is harmless to skip or read. */
export const INNER_TYPES: Readonly<Record<string, string>> = {
  'sklearn.tree._tree.Tree': 'Cython tree of DecisionTree*: read field by field (nodes, values).',
  'sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor': 'HGB tree: nodes + categorical bitsets, read by field.',
  'sklearn.ensemble._hist_gradient_boosting.binning._BinMapper': 'HGB binning: only known categories are read; bin edges are training-only.',
  'sklearn.neural_network._stochastic_optimizers.AdamOptimizer': 'MLP _optimizer (adam training state): ignored, predict does not use it.',
  'sklearn.neural_network._stochastic_optimizers.SGDOptimizer': 'MLP _optimizer (sgd training state): ignored, predict does not use it.',
  'sklearn.dummy.DummyClassifier': 'GradientBoosting init_: class_prior_ read.',
  'sklearn.dummy.DummyRegressor': 'GradientBoosting init_: constant_ read.',
  'sklearn.neighbors._kd_tree.newObj': 'KNeighbors _tree (search index): ignored, brute force gives the same neighbours.',
  'sklearn.neighbors._ball_tree.newObj': 'KNeighbors _tree (search index): ignored.',
  'sklearn.metrics._dist_metrics.newObj': 'Distance metric object of the search index: ignored (metric read from effective_metric_).',
  'sklearn.linear_model._sgd_fast.Hinge': 'SGD loss_function_: training only.',
  'sklearn.linear_model._sgd_fast.SquaredHinge': 'SGD loss_function_: training only.',
  'sklearn.linear_model._sgd_fast.Log': 'SGD loss_function_: training only.',
  'sklearn.linear_model._sgd_fast.ModifiedHuber': 'SGD loss_function_: training only.',
  'sklearn.linear_model._sgd_fast.SquaredLoss': 'SGD loss_function_: training only.',
  'sklearn.linear_model._sgd_fast.Huber': 'SGD loss_function_: training only.',
  'sklearn.linear_model._sgd_fast.EpsilonInsensitive': 'SGD loss_function_: training only.',
  'sklearn.linear_model._sgd_fast.SquaredEpsilonInsensitive': 'SGD loss_function_: training only.',
  'sklearn._loss.link.IdentityLink': 'Loss link object: the link is derived from the loss class.',
  'sklearn._loss.link.LogLink': 'Loss link object.',
  'sklearn._loss.link.LogitLink': 'Loss link object.',
  'sklearn._loss.link.HalfLogitLink': 'Loss link object.',
  'sklearn._loss.link.MultinomialLogit': 'Loss link object.',
  'sklearn._loss.link.SymmetricMultinomialLogit': 'Loss link object (≥ 1.4 GradientBoosting).',
  'sklearn._loss.link.Interval': 'Loss link interval: training only.',
  'numpy.random._pickle.__randomstate_ctor': 'RandomState (GradientBoosting _rng): training only.',
  'numpy.random._pickle.__bit_generator_ctor': 'Bit generator of a RandomState: training only.',
  'numpy.random._pickle.__generator_ctor': 'numpy Generator: training only.',
  'numpy.random.mtrand.RandomState': 'RandomState instance: training only.',
  'builtins.slice': 'ColumnTransformer column slices and output_indices_.',
  'xgboost.core.Booster': 'XGBoost booster: handle bytes hold the model.',
  'lightgbm.basic.Booster': 'LightGBM booster: state holds model_to_string text.',
  'sklearn.preprocessing._label.LabelBinarizer': 'RidgeClassifier _label_binarizer: classes_ read.',
  'lightgbm.compat._LGBMLabelEncoder': 'LGBMClassifier _le: labels are read from _classes.',
  'sklearn.preprocessing._label.LabelEncoder': 'Label encoder inside wrappers: labels are read from classes_.',
  'sklearn._loss.loss.HalfTweedieLoss': 'TweedieRegressor _base_loss: its class gives the link (log).',
  'sklearn._loss.loss.HalfTweedieLossIdentity': 'TweedieRegressor _base_loss: its class gives the link (identity).',
  'sklearn.utils._bunch.Bunch': 'Voting named_estimators_: the same fitted estimators as estimators_, which is what is read.',
  'sklearn.utils.Bunch': 'named_estimators_ before scikit-learn 1.2 (sklearn.utils.Bunch).',
};

/** Cython loss objects pickled via `__pyx_unpickle_Cy*` and the loss classes the mappers read. */
export function isInnerType(cls: string): boolean {
  if (Object.hasOwn(INNER_TYPES, cls)) return true;
  if (GB_LOSS_CLASSES.includes(cls) || HGB_LOSS_CLASSES.includes(cls)) return true;
  if (/^sklearn\._loss\._loss\.__pyx_unpickle_Cy[A-Za-z]+$/.test(cls)) return true;
  if (/^sklearn\.metrics\._dist_metrics\.[A-Za-z]+Distance(64|32)?$/.test(cls)) return true;
  return false;
}
