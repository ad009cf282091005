#!/usr/bin/python3
"""scikit-learn side of bench/predict/run.mjs: fits the three benchmark models, saves them with
joblib (uncompressed) and writes the 100,000-row batch as raw little-endian float64; prints one JSON
line (files, sizes, the first 1,000 batch predictions), then times on request: each stdin line
`load|single|batch NAME N` is answered with one JSON line {"median_s": …} (the median of N timed
calls: joblib.load of the file, predict of one row, cycling over 300 different rows, or predict of
the whole batch, n_jobs=1; run with OMP_NUM_THREADS=1). Requests alternate with the Node side's
rounds, so both sides are measured under the same machine conditions. Exits at end of input."""
import itertools
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
loaded = {}
rows_single = itertools.cycle([Xb[i:i + 1] for i in range(300)])
for name, est in models.items():
    est.fit(X, y)
    path = os.path.join(out, name + '.joblib')
    joblib.dump(est, path)
    m = joblib.load(path)
    if hasattr(m, 'n_jobs'):
        m.n_jobs = 1
    loaded[name] = (path, m)
    result['models'][name] = {'file': path, 'bytes': os.path.getsize(path), 'first_1000_predict': m.predict(Xb[:1000]).tolist()}
print(json.dumps(result), flush=True)

for line in sys.stdin:
    what, name, n = line.split()
    path, m = loaded[name]
    if what == 'load':
        t = median_time(lambda: joblib.load(path), int(n))
    elif what == 'single':
        t = median_time(lambda: m.predict(next(rows_single)), int(n))
    else:
        t = median_time(lambda: m.predict(Xb), int(n))
    print(json.dumps({'median_s': t}), flush=True)
