#!/usr/bin/python3
"""Builds the bundled example models used by the README quickstart:

  examples/predictor.joblib  scikit-learn Pipeline(StandardScaler, LogisticRegression) fitted on the
                             iris data set (bundled with scikit-learn; no download), joblib.dump
                             compress=3 (zlib)
  examples/iris-mlp.pt       a PyTorch state dict (torch.save, zip format) of a 4-16-3 MLP trained on
                             the same data
  examples/iris-sample.json  five iris rows with the expected predictions of both models

Run with Debian's interpreter (scikit-learn 1.2.1, joblib 1.2.0, torch 1.13):

    /usr/bin/python3 examples/gen/make_examples.py

Both models are plain, benign files: `modelvault scan examples/` must report them clean.
"""
import io
import json
import os
import struct

import joblib
import numpy as np
import torch
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

OUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def zero_zip_times(data):
    """Reset DOS timestamps in a zip (torch.save output) for reproducible bytes."""
    b = bytearray(data)
    e = data.rfind(b"PK\x05\x06")
    n = struct.unpack_from("<H", data, e + 10)[0]
    off = struct.unpack_from("<I", data, e + 16)[0]
    for _ in range(n):
        nlen, xlen, clen = struct.unpack_from("<HHH", data, off + 28)
        loc = struct.unpack_from("<I", data, off + 42)[0]
        struct.pack_into("<HH", b, loc + 10, 0, 0x21)
        struct.pack_into("<HH", b, off + 12, 0, 0x21)
        off += 46 + nlen + xlen + clen
    return bytes(b)


class IrisMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 16)
        self.fc2 = torch.nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def main():
    iris = load_iris()
    X, y = iris.data, iris.target
    pipe = Pipeline([("scaler", StandardScaler()), ("clf", LogisticRegression(max_iter=1000))]).fit(X, y)
    joblib.dump(pipe, os.path.join(OUT, "predictor.joblib"), compress=3)

    torch.manual_seed(0)
    net = IrisMLP()
    mean, std = X.mean(axis=0), X.std(axis=0)
    xt = torch.tensor((X - mean) / std, dtype=torch.float32)
    yt = torch.tensor(y)
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(200):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(xt), yt)
        loss.backward()
        opt.step()
    bio = io.BytesIO()
    torch.save(net.state_dict(), bio)
    with open(os.path.join(OUT, "iris-mlp.pt"), "wb") as f:
        f.write(zero_zip_times(bio.getvalue()))

    rows = [0, 25, 50, 75, 125]
    sample = X[rows]
    with torch.no_grad():
        mlp = net(torch.tensor((sample - mean) / std, dtype=torch.float32)).argmax(1).tolist()
    doc = {
        "feature_names": iris.feature_names,
        "target_names": iris.target_names.tolist(),
        "inputs": sample.tolist(),
        "predictor.joblib": {"predict": pipe.predict(sample).tolist(),
                             "predict_proba": np.round(pipe.predict_proba(sample), 6).tolist(),
                             "train_accuracy": round(float(pipe.score(X, y)), 4)},
        "iris-mlp.pt": {"input_standardisation": {"mean": mean.round(6).tolist(), "std": std.round(6).tolist()},
                        "argmax": mlp,
                        "train_accuracy": round(float((net(xt).argmax(1) == yt).float().mean()), 4)},
    }
    with open(os.path.join(OUT, "iris-sample.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(json.dumps(doc["predictor.joblib"]), json.dumps(doc["iris-mlp.pt"]["argmax"]))


if __name__ == "__main__":
    main()
