"""Collects the (module, qualname) globals that real scikit-learn, numpy, scipy, XGBoost and PyTorch
pickles use, to seed src/scan/allowlist.ts. Run with Debian's python3 (sklearn 1.2.1, torch 1.13.1,
xgboost 1.7.4). It only *writes* pickles of locally fitted models and reads them with
pickletools.genops (which never executes anything). Output: JSON lines {profile, module, name}.
"""
import importlib, inspect, io, json, pickle, pickletools, sys, warnings
import numpy as np
warnings.filterwarnings("ignore")

def globals_of(data):
    # Protocol 2 only: every global is a GLOBAL opcode with its names inline (no memo tracking needed).
    out = set()
    for op, arg, pos in pickletools.genops(data):
        if op.name in ("GLOBAL", "INST"):
            m, n = arg.split(" ", 1); out.add((m, n))
        elif op.name == "STACK_GLOBAL":
            raise ValueError("protocol 2 expected")
    return out

seen = {}
def add(profile, obj, protos=(2,)):
    for p in protos:
        try:
            for g in globals_of(pickle.dumps(obj, protocol=p)):
                seen.setdefault(g, profile)
        except Exception as e:
            print("skip", type(obj).__name__, e, file=sys.stderr)

rng = np.random.RandomState(0)
X = rng.randn(60, 4); y = (X[:, 0] > 0).astype(int); y3 = rng.randint(0, 3, 60); yr = X @ [1, 2, 3, 4]
from sklearn.utils import all_estimators
for name, cls in all_estimators():
    try:
        est = cls()
    except Exception:
        continue
    for target in (y3, yr, None):
        try:
            est.fit(X if target is not None else X, target) if target is not None else est.fit(np.abs(X))
            add("sklearn", est); break
        except Exception:
            continue
    add("sklearn", cls())
# joblib wrapper and numpy specials
import joblib
buf = io.BytesIO(); joblib.dump({"a": np.arange(3), "o": np.array(["x", 1], dtype=object)}, buf)
for g in globals_of(buf.getvalue()[:0] or pickle.dumps(0)): pass
for obj in [np.float64(1), np.int64(2), np.float32(3), np.bool_(True), np.array([1.0]), np.array(["a"], dtype=object),
            np.random.RandomState(0), np.random.default_rng(0), np.dtype([("a", "<i8"), ("b", "<f8")]),
            np.ma.masked_array([1, 2]), np.matrix([[1]]), np.datetime64("2020-01-01"), np.array([1], dtype="M8[ns]")]:
    add("numpy", obj)
import scipy.sparse as sp
for obj in [sp.csr_matrix(np.eye(3)), sp.csc_matrix(np.eye(3)), sp.coo_matrix(np.eye(3))]:
    add("scipy", obj)
import xgboost as xgb
add("xgboost", xgb.XGBClassifier(n_estimators=2, max_depth=2).fit(X, y))
add("xgboost", xgb.XGBRegressor(n_estimators=2, max_depth=2).fit(X, yr))
import torch, torch.nn as nn
for name, cls in inspect.getmembers(nn, inspect.isclass):
    if issubclass(cls, nn.Module) and cls.__module__.startswith("torch.nn.modules"):
        seen.setdefault((cls.__module__, cls.__qualname__), "torch")
m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.BatchNorm1d(3), nn.Linear(3, 2))
for proto in (2,):
    b = io.BytesIO(); torch.save(m, b, _use_new_zipfile_serialization=False)
opt = torch.optim.Adam(m.parameters()); m(torch.randn(5, 4)).sum().backward(); opt.step()
for obj in [m.state_dict(), {"model": m.state_dict(), "optimizer": opt.state_dict(), "epoch": 3, "loss": 0.5}, m,
            torch.randn(2, 2).to(torch.bfloat16), torch.tensor([True]), torch.Size([2]), torch.device("cpu"), torch.float16]:
    import zipfile
    b = io.BytesIO(); torch.save(obj, b); z = zipfile.ZipFile(b)
    for n in z.namelist():
        if n.endswith("data.pkl"):
            for g in globals_of(z.read(n)): seen.setdefault(g, "torch")
def use_of(module, name):
    """'construct' for classes and pickle reconstructor functions, 'reference' for plain functions."""
    try:
        obj = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
    except Exception:
        return "construct"
    if isinstance(obj, type) or name.startswith("__pyx_unpickle") or name in ("newObj", "_reconstruct", "scalar", "_frombuffer",
            "__randomstate_ctor", "__bit_generator_ctor", "__generator_ctor", "_mareconstruct", "encode", "_reconstructor",
            "_rebuild_tensor_v2", "_rebuild_parameter", "_rebuild_parameter_with_state"):
        return "construct"
    return "reference"
for (m_, n_), prof in sorted(seen.items()):
    print(json.dumps({"profile": prof, "module": m_, "name": n_, "use": use_of(m_, n_)}))

# Every class defined in scikit-learn's model modules, so estimators we did not fit above are covered too.
# Excluded: utils (joblib Memory/Parallel wrappers create files or processes), datasets (fetchers use the
# network), tests, externals, experimental and build helpers.
import pkgutil, sklearn
EXCLUDE = ("sklearn.utils", "sklearn.datasets", "sklearn.externals", "sklearn.experimental", "sklearn._build_utils",
           "sklearn.__check_build", "sklearn._config", "sklearn.conftest")
for info in pkgutil.walk_packages(sklearn.__path__, "sklearn."):
    if info.name.startswith(EXCLUDE) or ".tests" in info.name or info.name.endswith("setup"):
        continue
    try:
        mod = importlib.import_module(info.name)
    except Exception:
        continue
    for cname, cls in inspect.getmembers(mod, inspect.isclass):
        if cls.__module__ == info.name and not issubclass(cls, (Warning, BaseException)):
            seen.setdefault((info.name, cls.__qualname__), "sklearn")
    # Functions are allowed as values only (e.g. GridSearchCV.scorer_ = _passthrough_scorer): never called.
    for fname, fn in inspect.getmembers(mod, inspect.isfunction):
        if fn.__module__ == info.name:
            seen.setdefault((info.name, fn.__qualname__), "sklearn")
    # Cython extension types pickle through a module-level __pyx_unpickle_<Class>(cls, checksum, state).
    for attr in dir(mod):
        if attr.startswith("__pyx_unpickle_"):
            seen.setdefault((info.name, attr), "sklearn")
for q in ("Bunch",):
    seen.setdefault(("sklearn.utils._bunch", q), "sklearn"); seen.setdefault(("sklearn.utils", q), "sklearn")

# With --ts: write the generated part of the allow-list (scikit-learn classes and torch.nn modules).
if "--ts" in sys.argv:
    rows = []
    for (m_, n_), prof in sorted(seen.items()):
        if not (m_.startswith("sklearn.") or m_.startswith("torch.nn.modules.")):
            continue
        use = use_of(m_, n_)
        if m_.startswith("torch."):
            why = "torch.nn module class: a whole model pickles as __new__ + __setstate__ of its attribute dict."
        elif n_.startswith("__pyx_unpickle_"):
            why = "Cython unpickle helper: rebuilds a scikit-learn extension type from (cls, checksum, state) only."
        elif n_ == "newObj":
            why = "scikit-learn Cython helper: cls.__new__(cls); state is set by BUILD."
        elif use == "reference":
            why = "scikit-learn function stored as a parameter value (e.g. score_func); never called by unpickling."
        else:
            why = "scikit-learn class: unpickled by __new__ + __setstate__ of a plain attribute dict."
        rows.append(f"  ['{m_}', '{n_}', '{use}', '{why}'],")
    with open(sys.argv[sys.argv.index("--ts") + 1], "w") as f:
        f.write("// Generated by src/scan/gen/collect_globals.py from scikit-learn 1.2.1 and torch 1.13.1 pickles of\n"
                "// locally fitted models (read with pickletools.genops, never unpickled). Do not edit by hand.\n"
                "export const GENERATED_ALLOW: readonly (readonly [module: string, name: string, use: 'construct' | 'reference', reason: string])[] = [\n"
                + "\n".join(rows) + "\n];\n")
