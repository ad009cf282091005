"""Reference server for bench/serve (../shared/spec/serving.md §7.1): Flask + joblib serving the same
example model over the same OIP route. The model is our own bundled example (trusted, locally made);
loading it with joblib executes its pickle, which is exactly what modelvault never does.

    python3 flask_app.py PORT                                   # Flask dev server (threaded)
    gunicorn -w 2 -b 127.0.0.1:PORT --chdir bench/serve flask_app:app
"""
import os
import sys

import joblib
import numpy as np
from flask import Flask, jsonify, request

HERE = os.path.dirname(os.path.abspath(__file__))
app = Flask(__name__)
model = joblib.load(os.path.join(HERE, "..", "..", "examples", "predictor.joblib"))


@app.get("/")
def hello():
    return jsonify(hello="world", ok=True)


@app.post("/v2/models/<name>/infer")
def infer(name):
    req = request.get_json()
    inp = req["inputs"][0]
    x = np.asarray(inp["data"], dtype=np.float64).reshape(inp["shape"])
    p = model.predict_proba(x)
    return jsonify(model_name=name, id=req.get("id", ""), outputs=[
        {"name": "label", "datatype": "INT64", "shape": [len(p)], "data": model.classes_[p.argmax(1)].tolist()},
        {"name": "probabilities", "datatype": "FP64", "shape": list(p.shape), "data": p.ravel().tolist()}])


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
