#!/usr/bin/python3
"""scikit-learn side of bench/predict/run.mjs: fits the three benchmark models, saves them with
joblib (uncompressed), writes the 100,000-row batch as raw little-endian float64, and times
joblib.load, single-row predict and batch predict (n_jobs=1; run with OMP_NUM_THREADS=1).
Prints one JSON object on stdout."""
import json
import os
import statistics
import sys
import time

import joblib
import numpy as np
import sklearn
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

out = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
os.makedirs(out, exist_ok=True)
X, y = make_classification(n_samples=5000, n_features=20, n_informative=10, n_classes=3, random_state=0)
Xb, _ = make_classification(n_samples=rows, n_features=20, n_informative=10, n_classes=3, random_state=1)
Xb = np.ascontiguousarray(Xb, dtype='<f8')
Xb.tofile(os.path.join(out, 'batch.f64'))

models = {
    'random_forest_100': RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1),
    'hist_gradient_boosting': HistGradientBoostingClassifier(random_state=0),
    'pipeline_scaler_logreg': Pipeline([('scale', StandardScaler()), ('clf', LogisticRegression(max_iter=1000))]),
}


def median_time(fn, n):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


result = {'sklearn': sklearn.__version__, 'numpy': np.__version__, 'rows': rows, 'models': {}}
for name, est in models.items():
    est.fit(X, y)
    path = os.path.join(out, name + '.joblib')
    joblib.dump(est, path)
    load = median_time(lambda: joblib.load(path), 7)
    m = joblib.load(path)
    if hasattr(m, 'n_jobs'):
        m.n_jobs = 1
    rows_single = [Xb[i:i + 1] for i in range(300)]
    for r in rows_single[:20]:
        m.predict(r)
    ts = []
    for r in rows_single:
        t = time.perf_counter()
        m.predict(r)
        ts.append(time.perf_counter() - t)
    single = statistics.median(ts)
    m.predict(Xb)
    batch = median_time(lambda: m.predict(Xb), 11)
    pred = m.predict(Xb[:1000]).tolist()
    result['models'][name] = {'file': path, 'bytes': os.path.getsize(path), 'load_s': load, 'single_s': single,
                              'batch_s': batch, 'first_1000_predict': pred}
print(json.dumps(result))
