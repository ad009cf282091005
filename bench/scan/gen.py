#!/usr/bin/python3
"""Generates the three scan benchmark inputs (never committed; written at bench time).

Usage (Debian's interpreter: torch 1.13, scikit-learn 1.2.1, joblib 1.2.0, numpy 1.24):

    /usr/bin/python3 bench/scan/gen.py OUT_DIR [--scale S]

Writes into OUT_DIR (created if missing; existing files are overwritten):

  a) torch-1g.pt      a ~1 GiB PyTorch zip checkpoint (torch.save of an OrderedDict of 64 float32
                      tensors of 4096 x 1024 = 16 MiB each, plus a few small bias tensors): the
                      scanner must read only archive/data.pkl, not the 1 GiB of storages.
  b) rf-200m.joblib   a ~200 MB uncompressed joblib.dump of a RandomForestClassifier fitted on
                      random data with random labels (fully grown trees => large node arrays); the
                      tree count is sized from a 2-tree pilot fit.
  c) pickles-10k/     10,000 small pickles (plain data, numpy arrays, a small LogisticRegression),
                      protocols 2-5: per-file overhead of directory scans.

--scale S multiplies every size (default 1.0; e.g. --scale 0.01 for a quick smoke run). The files
are benign; all of them must scan clean. Generation takes a few minutes at scale 1 (2 cores) and
needs ~2.5 GB of RAM and ~1.4 GB of disk.
"""
import collections
import os
import pickle
import sys
import time


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def torch_checkpoint(path, scale):
    import torch
    g = torch.Generator().manual_seed(0)
    n = max(1, int(64 * scale))
    sd = collections.OrderedDict()
    for i in range(n):
        sd[f"layers.{i}.weight"] = torch.randn(4096, 1024, generator=g)
        sd[f"layers.{i}.bias"] = torch.zeros(4096)
    torch.save(sd, path)


def random_forest(path, scale):
    import joblib
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    target = 200e6 * scale
    rng = np.random.RandomState(0)
    n = max(1000, int(40000 * min(1.0, scale * 10)))
    X = rng.rand(n, 20).astype(np.float32)
    y = rng.randint(0, 2, n)
    pilot = RandomForestClassifier(n_estimators=2, random_state=0).fit(X, y)
    joblib.dump(pilot, path)
    per_tree = os.path.getsize(path) / 2
    trees = max(1, round(target / per_tree))
    log(f"  pilot: {per_tree / 1e6:.2f} MB per tree on {n} samples -> {trees} trees")
    rf = RandomForestClassifier(n_estimators=trees, random_state=0, n_jobs=2).fit(X, y)
    joblib.dump(rf, path)


def small_pickles(folder, scale):
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    os.makedirs(folder, exist_ok=True)
    rng = np.random.RandomState(0)
    X = rng.randn(40, 4)
    lr = LogisticRegression().fit(X, (X[:, 0] > 0).astype(int))
    for i in range(max(1, int(10000 * scale))):
        kind = i % 4
        if kind == 0:
            obj = {"id": i, "name": f"item-{i}", "values": list(range(i % 50)), "ratio": i / 7}
        elif kind == 1:
            obj = {"id": i, "w": rng.rand(16), "b": np.arange(4, dtype=np.int64) * i}
        elif kind == 2:
            obj = lr
        else:
            obj = [collections.OrderedDict(k=i), (1.5, None, True), b"\x00" * (i % 64)]
        with open(os.path.join(folder, f"{i:05d}.pkl"), "wb") as f:
            pickle.dump(obj, f, protocol=2 + i % 4)


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__)
        return 2
    out = argv[0]
    scale = float(argv[argv.index("--scale") + 1]) if "--scale" in argv else 1.0
    os.makedirs(out, exist_ok=True)
    for name, fn in (("torch-1g.pt", torch_checkpoint), ("rf-200m.joblib", random_forest),
                     ("pickles-10k", small_pickles)):
        t = time.time()
        log(f"writing {name}")
        fn(os.path.join(out, name), scale)
        p = os.path.join(out, name)
        size = (os.path.getsize(p) if os.path.isfile(p)
                else sum(os.path.getsize(os.path.join(p, f)) for f in os.listdir(p)))
        log(f"  {name}: {size / 1e6:.1f} MB in {time.time() - t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
