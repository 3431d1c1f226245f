"""AnyLoss (``soft_confusion_matrix``, ``any_loss``) on every backend.

* L = 1e4 on probabilities away from 0.5: A(p) is the 0/1 prediction, so
  ``1 - any_loss`` equals scikit-learn's hard metric — binary, and multi-class macro /
  micro (scikit-learn's multi-class API where it averages the same way: F1, F-beta,
  precision, recall, Jaccard; its binary metric per one-vs-rest column (macro) or on
  the flattened indicators (micro) for accuracy, balanced accuracy, MCC and G-mean).
* L = 73: the binary losses equal the reference code's formulas, written here in NumPy
  (sums Σ y·A, Σ y, Σ A and N); with the reference's N = training-set size (> batch)
  its accuracy differs (the reference's mini-batch bug, fixed here).
* The segmentation call: softmax probabilities (1, 10, 512, 512), labels (1, 512, 512),
  ``axis=1``; the same value under ``jax.jit`` / ``torch.compile(fullgraph=True)``.
* A user metric (a callable of the counts) equals the built-in one.
* The training example runs (torch session): both F1 scores are reported.
"""

from __future__ import annotations

import importlib.util
import pathlib
import time
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._testing.backends import Backend
from losses_xp.anyloss import METRICS

from .specs_anyloss import sklearn_score

FULL = ("float32", "float64")
#: float32: a few ulps of sums over ~10³ terms; float64 near exact
TOL = {"float32": 2e-6, "float64": 1e-12}
#: measured max |deviation| per test, printed with ``-s`` (and in the helper's report)
DEVIATIONS: dict[str, float] = {}


def _full(bk: Backend) -> list[str]:
    return [d for d in FULL if d in bk.dtypes]


def _lazy(bk: Backend, fn: Any, *args: Any, **kw: Any) -> Any:
    with bk.forbid_compute():
        return fn(*args, **kw)


@pytest.fixture(scope="module", autouse=True)
def _report_deviations() -> Any:
    yield
    for key, dev in sorted(DEVIATIONS.items()):
        print(f"\nanyloss max |deviation| {key}: {dev:.3g}", end="")


def _note(key: str, dev: float) -> None:
    DEVIATIONS[key] = max(dev, DEVIATIONS.get(key, 0.0))


def _away(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    p = rng.uniform(0.01, 0.45, size=shape)
    return np.where(rng.uniform(size=shape) < 0.5, p, 1.0 - p)


# --------------------------------------------------------------------------- L = 1e4


def test_large_L_binary_equals_sklearn(bk: Backend) -> None:
    rng = np.random.default_rng(0)
    y = (rng.uniform(size=(300,)) < 0.2).astype(np.float64)  # imbalanced: ~20 % positive
    p = _away(rng, (300,))
    # ~70 % informative: on the right side of 0.5, the rest at random
    p = np.where(rng.uniform(size=(300,)) < 0.7,
                 np.where(y > 0, np.maximum(p, 1 - p), np.minimum(p, 1 - p)), p)
    pred = (p > 0.5).astype(int)
    for dtype in _full(bk):
        pa, ya = bk.asarray(p, dtype), bk.asarray(y, dtype)
        counts = [float(bk.to_numpy(c)) for c in
                  _lazy(bk, lx.soft_confusion_matrix, pa, ya, L=1e4)]
        from sklearn.metrics import confusion_matrix

        tn, fp, fn, tp = confusion_matrix(y.astype(int), pred).ravel()
        np.testing.assert_allclose(counts, [tp, fn, fp, tn], rtol=TOL[dtype], atol=0)
        for metric in METRICS:
            for beta in ((0.5, 2.0) if metric == "fbeta" else (1.0,)):
                out = _lazy(bk, lx.any_loss, pa, ya, metric=metric, beta=beta, L=1e4)
                assert bk.dtype_name(out) == dtype
                got = 1.0 - float(bk.to_numpy(out))
                want = sklearn_score(metric, y.astype(int), pred, beta)
                _note(f"binary {dtype}", abs(got - want))
                assert abs(got - want) <= TOL[dtype], (metric, beta, dtype, got, want)


def _multiclass_inputs(rng: np.random.Generator, n: int, c: int) -> tuple[np.ndarray, ...]:
    """Rows whose largest probability is > 0.55 and every other < 0.45 (so the
    one-vs-rest thresholding at 0.5 is the argmax), ~70 % of them right."""
    y = rng.choice(c, size=(n,), p=np.linspace(3, 1, c) / np.linspace(3, 1, c).sum())
    wrong = rng.uniform(size=(n,)) > 0.7
    pred = np.where(wrong, (y + rng.integers(1, c, size=(n,))) % c, y)
    top = rng.uniform(0.56, 0.95, size=(n,))
    rest = rng.dirichlet(np.ones(c - 1), size=(n,)) * (1 - top)[:, None]
    probs = np.empty((n, c))
    for i in range(n):
        probs[i] = np.insert(rest[i], pred[i], top[i])
    return probs, y, pred


@pytest.mark.parametrize("average", ["macro", "micro"])
def test_large_L_multiclass_equals_sklearn(bk: Backend, average: str) -> None:
    from sklearn import metrics as m

    c = 5
    probs, y, pred = _multiclass_inputs(np.random.default_rng(1), 400, c)
    Y, P = np.eye(c, dtype=int)[y], np.eye(c, dtype=int)[pred]
    labels = list(range(c))
    multiclass_api = {
        "f1": lambda: m.f1_score(y, pred, average=average, labels=labels, zero_division=0),
        "fbeta": lambda: m.fbeta_score(y, pred, beta=2.0, average=average, labels=labels,
                                       zero_division=0),
        "precision": lambda: m.precision_score(y, pred, average=average, labels=labels,
                                               zero_division=0),
        "recall": lambda: m.recall_score(y, pred, average=average, labels=labels,
                                         zero_division=0),
        "jaccard": lambda: m.jaccard_score(y, pred, average=average, labels=labels,
                                           zero_division=0),
    }
    for dtype in _full(bk):
        pa, ya = bk.asarray(probs, dtype), bk.asarray(y)
        for metric in METRICS:
            if metric in multiclass_api:
                want = float(multiclass_api[metric]())
            elif average == "micro":
                want = sklearn_score(metric, Y.ravel(), P.ravel())
            else:
                want = float(np.mean([sklearn_score(metric, Y[:, k], P[:, k])
                                      for k in range(c)]))
            # also through the (N, C, H, W) layout: samples moved to trailing axes
            p4 = bk.asarray(np.moveaxis(probs.reshape(4, 10, 10, c), -1, 1), dtype)
            y4 = bk.asarray(y.reshape(4, 10, 10))
            for pp, yy, axis in ((pa, ya, -1), (p4, y4, 1)):
                out = _lazy(bk, lx.any_loss, pp, yy, metric=metric, beta=2.0, L=1e4,
                            axis=axis, average=average)
                got = 1.0 - float(bk.to_numpy(out))
                _note(f"multiclass {average} {dtype}", abs(got - want))
                assert abs(got - want) <= TOL[dtype], (metric, average, dtype, got, want)
        if average == "macro":  # per-class losses = 1 - sklearn's average=None
            out = _lazy(bk, lx.any_loss, pa, ya, metric="f1", L=1e4, axis=1, reduction="none")
            want_c = 1.0 - m.f1_score(y, pred, average=None, labels=labels, zero_division=0)
            np.testing.assert_allclose(bk.to_numpy(out), want_c, rtol=0, atol=TOL[dtype])


# --------------------------------------------------------------------------- L = 73


def _reference_numpy(metric: str, p: np.ndarray, y: np.ndarray, n: float,
                     L: float = 73.0, beta: float = 1.0) -> float:
    """The AnyLoss reference code's binary losses (Keras in the original), in NumPy
    float64: A = 1/(1+exp(-L(p-0.5))) and the sums Σ y·A, Σ y, Σ A; ``n`` is the
    reference's N (a global: the training-set size)."""
    a = 1.0 / (1.0 + np.exp(-L * (p - 0.5)))
    s_ya, s_y, s_a = np.sum(y * a), np.sum(y), np.sum(a)
    tn = n - s_y - s_a + s_ya
    if metric == "accuracy":
        return 1.0 - (s_ya + tn) / n
    if metric == "f1":
        return 1.0 - 2.0 * s_ya / (s_y + s_a)
    if metric == "fbeta":
        b2 = beta * beta
        return 1.0 - (1.0 + b2) * s_ya / (b2 * s_y + s_a)
    if metric == "gmean":
        return 1.0 - np.sqrt(s_ya * tn / (s_y * (n - s_y)))
    if metric == "balanced_accuracy":
        return 1.0 - (s_ya / s_y + tn / (n - s_y)) / 2.0
    raise ValueError(metric)


REFERENCE_METRICS = ("accuracy", "f1", "fbeta", "gmean", "balanced_accuracy")


def test_L73_binary_equals_reference_formulas(bk: Backend) -> None:
    rng = np.random.default_rng(2)
    p = rng.uniform(0.0, 1.0, size=(64,))
    y = (rng.uniform(size=(64,)) < 0.3).astype(np.float64)
    tol = {"float32": 1e-5, "float64": 1e-12}
    for dtype in _full(bk):
        pa, ya = bk.asarray(p, dtype), bk.asarray(y, dtype)
        pq = bk.to_numpy(pa).astype(np.float64)
        for metric in REFERENCE_METRICS:
            for beta in ((0.5, 2.0) if metric == "fbeta" else (1.0,)):
                got = float(bk.to_numpy(_lazy(bk, lx.any_loss, pa, ya, metric=metric,
                                              beta=beta)))
                want = _reference_numpy(metric, pq, y, n=float(p.size), beta=beta)
                _note(f"L73 reference {dtype}", abs(got - want))
                assert abs(got - want) <= tol[dtype] * max(1.0, abs(want)), (metric, dtype)
    # the reference's N is the training-set size: on a mini-batch of 64 from 640
    # samples its TN (and accuracy, G-mean, balanced accuracy) is wrong; ours is not
    ref_minibatch = _reference_numpy("accuracy", p, y, n=640.0)
    ours = float(bk.to_numpy(lx.any_loss(bk.asarray(p, "float32"),
                                         bk.asarray(y, "float32"), metric="accuracy")))
    assert abs(ref_minibatch - ours) > 0.1
    assert ref_minibatch < 0.1  # TN inflated by 576 phantom negatives


def test_callable_metric_equals_builtin(bk: Backend) -> None:
    rng = np.random.default_rng(3)
    p = bk.asarray(rng.uniform(size=(4, 6)), "float32")
    y = bk.asarray((rng.uniform(size=(4, 6)) < 0.4).astype(np.float64), "float32")

    def f1(tp: Any, fn: Any, fp: Any, tn: Any) -> Any:
        return 2.0 * tp / (2.0 * tp + fn + fp)

    got = bk.to_numpy(_lazy(bk, lx.any_loss, p, y, metric=f1))
    want = bk.to_numpy(_lazy(bk, lx.any_loss, p, y, metric="f1"))
    np.testing.assert_allclose(got, want, rtol=1e-6)


# --------------------------------------------------------------------------- segmentation


@pytest.mark.filterwarnings("ignore:Dynamo detected a call to a `functools.lru_cache`")
def test_segmentation_call(bk: Backend) -> None:
    """probabilities (1, 10, 512, 512) after a softmax over axis 1, integer labels
    (1, 512, 512), ``axis=1``: equals a NumPy float64 evaluation of the per-class
    soft counts, and compiled (``jax.jit``, ``torch.compile(fullgraph=True)``) equals
    eager."""
    rng = np.random.default_rng(4)
    x = rng.normal(0.0, 2.0, size=(1, 10, 512, 512)).astype(np.float32)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    probs = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    labels = rng.integers(0, 10, size=(1, 512, 512))
    # NumPy reference (float64, direct per-class counts, macro F1)
    a = 1.0 / (1.0 + np.exp(-73.0 * (probs.astype(np.float64) - 0.5)))
    onehot = np.moveaxis(np.eye(10)[labels], -1, 1)
    tp = (onehot * a).sum(axis=(0, 2, 3))
    f1 = 2 * tp / (onehot.sum(axis=(0, 2, 3)) + a.sum(axis=(0, 2, 3)))
    want = 1.0 - f1.mean()

    p, t = bk.asarray(probs, "float32"), bk.asarray(labels)
    eager = _lazy(bk, lx.any_loss, p, t, axis=1)
    assert tuple(eager.shape) == ()
    assert bk.dtype_name(eager) == "float32"
    got = float(bk.to_numpy(eager))
    np.testing.assert_allclose(got, want, rtol=1e-5)
    if bk.compiles:
        if bk.name == "torch":
            import torch._dynamo

            torch._dynamo.reset()
        compiled = bk.compile(lambda pp, tt: lx.any_loss(pp, tt, axis=1))
        np.testing.assert_allclose(float(bk.to_numpy(compiled(p, t))), got, rtol=1e-5)


# --------------------------------------------------------------------------- example


def test_training_example_runs(bk: Backend) -> None:
    """docs/examples/anyloss_imbalanced.py (PyTorch): both trainings finish in under a
    minute and report a test F1 each (no claim which is higher)."""
    if bk.name != "torch":
        pytest.skip("the training example uses PyTorch: run in the torch session")
    path = pathlib.Path(__file__).parents[1] / "docs" / "examples" / "anyloss_imbalanced.py"
    spec = importlib.util.spec_from_file_location("anyloss_imbalanced", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    start = time.perf_counter()
    scores = module.main()
    elapsed = time.perf_counter() - start
    assert set(scores) == {"cross_entropy", "any_loss_f1"}
    for name, f1 in scores.items():
        assert 0.5 < f1 <= 1.0, (name, f1)  # both learn the task
    assert elapsed < 60.0, elapsed
