"""Conformance spec entry of ``any_loss`` (``losses_xp/anyloss.py``), and its tests.

Oracle: the AnyLoss paper's formulas (Han, Moniz & Chawla 2024, and the reference Keras
code's loss functions) evaluated by PyTorch in float64 on the directly computed soft
counts of specs_confusion.py (TP = Σ y·A, ...).  The binary metrics are the reference
code's expressions in the sums Σ y·A, Σ y, Σ A and N (e.g. F1 = 2 Σ y·A / (Σ y + Σ A));
gradients are PyTorch autograd through them.  Cross-check: scikit-learn's hard metrics
(``f1_score`` …) on thresholded predictions, for the cases with L = 1e4 and
|p − 0.5| ≥ 0.05 (A is then the 0/1 prediction to float64 precision).

The tests here (max |deviation| of each printed with ``-s``):

* L = 1e4 on probabilities away from 0.5: ``1 - any_loss`` equals scikit-learn's hard
  metric — binary, and multi-class macro / micro (scikit-learn's multi-class API where
  it averages the same way: F1, F-beta, precision, recall, Jaccard; its binary metric
  per one-vs-rest column (macro) or on the flattened indicators (micro) for accuracy,
  balanced accuracy, MCC and G-mean).
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
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._testing.backends import Backend
from losses_xp._testing.compare import TOLERANCES, Tol
from losses_xp._testing.inputs import Case, class_indices, class_probabilities, logits
from losses_xp.anyloss import METRICS

from .helpers import full_dtypes, lazy
from .registry import EXACT, Pinned, torch, torch_spec
from .specs_confusion import (
    DIFFERENCES,
    C,
    common_cases,
    counts_torch,
    extreme_cases,
    hard_indicators,
    imbalanced_binary,
    mixed_binary,
    steep,
)

# --------------------------------------------------------------------------- cases


def _metric_f2ish(tp, fn, fp, tn):  # type: ignore[no-untyped-def]
    """A user metric written with array operations only: the critical success index
    weighted towards recall, (2 TP) / (2 TP + 2 FN + FP + 1)."""
    return 2.0 * tp / (2.0 * tp + 2.0 * fn + fp + 1.0)


def _any_cases(rng: np.random.Generator) -> list[Case]:
    pr, bt, ci = steep, mixed_binary, class_indices
    cp = class_probabilities
    cases = common_cases(rng)
    for metric in METRICS:
        kw: dict[str, object] = {"metric": metric}
        if metric == "fbeta":
            kw["beta"] = 2.0
        cases.append(Case(f"2d-{metric}", (pr(rng, (4, 6)), bt(rng, (4, 6))), kw,
                          tags=frozenset({"2d", "metric"})))
        cases.append(Case(f"mc-2d-{metric}-micro", (cp(rng, (8, C), scale=1.0),
                                                    ci(rng, (8,), C)),
                          {**kw, "axis": 1, "average": "micro"},
                          tags=frozenset({"2d", "multiclass", "metric"})))
        cases.append(Case(f"mc-2d-{metric}-macro", (cp(rng, (8, C), scale=1.0),
                                                    ci(rng, (8,), C)),
                          {**kw, "axis": 1, "average": "macro"},
                          tags=frozenset({"2d", "multiclass", "metric"})))
    cases += [
        Case("2d-callable", (pr(rng, (4, 5)), bt(rng, (4, 5))), {"metric": _metric_f2ish},
             tags=frozenset({"2d", "metric"})),
        Case("mc-nd-axis1-mcc-micro-logits", (logits(rng, (2, 3, 4), 1.0), ci(rng, (2, 4), 3)),
             {"axis": 1, "from_logits": True, "L": 20.0, "metric": "mcc", "average": "micro"},
             tags=frozenset({"nd", "multiclass", "metric"})),
        Case("hard-L1e4-mc-macro", (cp(rng, (10, C), scale=3.0),
                                    np.concatenate([np.arange(C), ci(rng, (10 - C,), C)])),
             {"axis": 1, "L": 1e4, "metric": "f1"}, tags=frozenset({"2d", "multiclass", "hard"}),
             grad=False),
    ]
    return cases


def _any_extreme(rng: np.random.Generator) -> list[Case]:
    out = extreme_cases(rng)
    p01 = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    for metric in METRICS:
        for label, y in (("neg", np.zeros((2, 3))), ("pos", np.ones((2, 3)))):
            out.append(Case(f"all-{label}-{metric}", (p01, y), {"metric": metric},
                            tags=frozenset({"2d"})))
        out.append(Case(f"mc-one-class-{metric}-macro", (np.full((3, 3), 1 / 3),
                                                        np.array([2, 2, 2])),
                        {"metric": metric, "axis": 1}, tags=frozenset({"2d"})))
    return out


# --------------------------------------------------------------------------- oracles

#: float32 gradients of a ratio metric x / (x + y) are, by autodiff, the difference of
#: two O(1/(x+y)) terms, 1/(x+y) - x/(x+y)^2: where y << x (precision of a class with
#: an FP of 1e-12) the result is rounding noise of a few ulp of 1/(x+y), ~1.5e-6 of the
#: gradient's scale in the cases here, over the default 1e-6.  Values are unaffected.
_TOLERANCES = {**TOLERANCES, "float32": Tol(rtol=1e-5, atol=1e-5)}


def _div(num: Any, den: Any) -> Any:
    th = torch()
    ok = den != 0
    return th.where(ok, num / th.where(ok, den, th.ones_like(den)),
                       th.zeros_like(num))


def reference_score(metric: str, tp: Any, fn: Any, fp: Any, tn: Any, beta: float = 1.0) -> Any:
    """The paper's metric formulas in the sums the reference code uses."""
    th = torch()
    s_ya, s_y, s_a, n = tp, tp + fn, tp + fp, tp + fn + fp + tn
    tn_ref = n - s_y - s_a + s_ya
    if metric == "accuracy":
        return _div(s_ya + tn_ref, n)
    if metric == "f1":
        return _div(2 * s_ya, s_y + s_a)
    if metric == "fbeta":
        b2 = beta * beta
        return _div((1 + b2) * s_ya, b2 * s_y + s_a)
    if metric == "gmean":
        prod = _div(s_ya, s_y) * _div(tn_ref, n - s_y)
        ok = prod > 0
        return th.where(ok, th.sqrt(th.where(ok, prod, th.ones_like(prod))),
                           th.zeros_like(prod))
    if metric == "balanced_accuracy":
        return (_div(s_ya, s_y) + _div(tn_ref, n - s_y)) / 2
    if metric == "precision":
        return _div(tp, tp + fp)
    if metric == "recall":
        return _div(tp, tp + fn)
    if metric == "jaccard":
        return _div(tp, tp + fn + fp)
    if metric == "mcc":
        d = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)
        ok = d > 0
        return _div(tp * tn - fp * fn,
                    th.where(ok, th.sqrt(th.where(ok, d, th.ones_like(d))),
                                th.zeros_like(d)))
    raise ValueError(metric)


def _any_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    tp, fn, fp, tn = counts_torch(t, kw)
    if kw.get("axis") is not None and kw.get("average", "macro") == "micro":
        tp, fn, fp, tn = tp.sum(), fn.sum(), fp.sum(), tn.sum()
    metric = kw.get("metric", "f1")
    if callable(metric):
        score = metric(tp, fn, fp, tn)
    else:
        score = reference_score(metric, tp, fn, fp, tn, float(kw.get("beta", 1.0)))
    loss = 1 - score
    if loss.ndim == 0 or reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


# ------------------------------------------------------------------ scikit-learn


def sklearn_score(metric: str, y: np.ndarray, p: np.ndarray, beta: float = 1.0) -> float:
    """A binary metric of scikit-learn on 0/1 vectors (``zero_division=0``)."""
    from sklearn import metrics as m

    labels = [0, 1]
    if metric == "accuracy":
        return float(m.accuracy_score(y, p))
    if metric == "f1":
        return float(m.f1_score(y, p, labels=labels, zero_division=0))
    if metric == "fbeta":
        return float(m.fbeta_score(y, p, beta=beta, labels=labels, zero_division=0))
    if metric == "precision":
        return float(m.precision_score(y, p, labels=labels, zero_division=0))
    if metric == "recall":
        return float(m.recall_score(y, p, labels=labels, zero_division=0))
    if metric == "jaccard":
        return float(m.jaccard_score(y, p, labels=labels, zero_division=0))
    if metric == "mcc":
        return float(m.matthews_corrcoef(y, p))
    rec = m.recall_score(y, p, labels=labels, zero_division=0)
    spec = m.recall_score(y, p, labels=labels, pos_label=0, zero_division=0)
    if metric == "balanced_accuracy":  # sklearn's own needs both classes in y
        return float((rec + spec) / 2)
    if metric == "gmean":
        return float(np.sqrt(rec * spec))
    raise ValueError(metric)


def _any_sklearn(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                 reduction: str) -> np.ndarray | None:
    """1 − scikit-learn's metric: binary, per class (macro) or on the flattened
    one-vs-rest indicators (micro)."""
    hard = hard_indicators(args, kwargs)
    metric = kwargs.get("metric", "f1")
    if hard is None or callable(metric):
        return None
    Y, P = hard
    beta = float(kwargs.get("beta", 1.0))
    if kwargs.get("axis") is None:
        return np.asarray(1.0 - sklearn_score(metric, Y[:, 0], P[:, 0], beta))
    if kwargs.get("average", "macro") == "micro":
        return np.asarray(1.0 - sklearn_score(metric, Y.ravel(), P.ravel(), beta))
    loss = np.array([1.0 - sklearn_score(metric, Y[:, c], P[:, c], beta)
                     for c in range(Y.shape[1])])
    if reduction == "none":
        return loss
    return np.asarray(loss.sum() if reduction == "sum" else loss.mean())


_PINNED_ANY_LOSS = (
    # a 0-d NumPy result was a NumPy scalar (np.float16), not a 0-d ndarray (fuzzer)
    Pinned("0d-result-is-an-array", (np.array(0.63671875), np.array(1.0)), value="oracle",
           reductions=("mean",)),
)

SPECS = [
    torch_spec("any_loss", _any_torch, "AnyLoss (Han et al. 2024) reference formulas in PyTorch",
               _any_cases, _any_extreme, differences=DIFFERENCES,
               cross_checks=(("sklearn.metrics hard metrics (L=1e4)", _any_sklearn, EXACT),),
               extreme_oracle=True, tolerances=_TOLERANCES, pinned=_PINNED_ANY_LOSS),
]


# --------------------------------------------------------------------------- tests

#: float32: a few ulps of sums over ~10³ terms; float64 near exact
TOL = {"float32": 2e-6, "float64": 1e-12}
#: measured max |deviation| per test, printed with ``-s`` (by the fixture below)
DEVIATIONS: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def _report_deviations() -> Any:
    yield
    for key, dev in sorted(DEVIATIONS.items()):
        print(f"\nanyloss max |deviation| {key}: {dev:.3g}", end="")


def _note(key: str, dev: float) -> None:
    DEVIATIONS[key] = max(dev, DEVIATIONS.get(key, 0.0))


# --------------------------------------------------------------------------- L = 1e4


def test_large_L_binary_equals_sklearn(bk: Backend) -> None:
    """Every metric on the imbalanced batch whose soft counts are scikit-learn's
    confusion matrix (a pinned value of specs_confusion.py)."""
    p, y = imbalanced_binary()
    pred = (p > 0.5).astype(int)
    for dtype in full_dtypes(bk):
        pa, ya = bk.asarray(p, dtype), bk.asarray(y, dtype)
        for metric in METRICS:
            for beta in ((0.5, 2.0) if metric == "fbeta" else (1.0,)):
                out = lazy(bk, lx.any_loss, pa, ya, metric=metric, beta=beta, L=1e4)
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
    for dtype in full_dtypes(bk):
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
                out = lazy(bk, lx.any_loss, pp, yy, metric=metric, beta=2.0, L=1e4,
                            axis=axis, average=average)
                got = 1.0 - float(bk.to_numpy(out))
                _note(f"multiclass {average} {dtype}", abs(got - want))
                assert abs(got - want) <= TOL[dtype], (metric, average, dtype, got, want)
        if average == "macro":  # per-class losses = 1 - sklearn's average=None
            out = lazy(bk, lx.any_loss, pa, ya, metric="f1", L=1e4, axis=1, reduction="none")
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


@pytest.mark.backend_paths  # (two lazily checked inputs on Dask: their flags combined)
def test_L73_binary_equals_reference_formulas(bk: Backend) -> None:
    rng = np.random.default_rng(2)
    p = rng.uniform(0.0, 1.0, size=(64,))
    y = (rng.uniform(size=(64,)) < 0.3).astype(np.float64)
    tol = {"float32": 1e-5, "float64": 1e-12}
    for dtype in full_dtypes(bk):
        pa, ya = bk.asarray(p, dtype), bk.asarray(y, dtype)
        pq = bk.to_numpy(pa).astype(np.float64)
        for metric in REFERENCE_METRICS:
            for beta in ((0.5, 2.0) if metric == "fbeta" else (1.0,)):
                got = float(bk.to_numpy(lazy(bk, lx.any_loss, pa, ya, metric=metric,
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

    got = bk.to_numpy(lazy(bk, lx.any_loss, p, y, metric=f1))
    want = bk.to_numpy(lazy(bk, lx.any_loss, p, y, metric="f1"))
    np.testing.assert_allclose(got, want, rtol=1e-6)


# --------------------------------------------------------------------------- segmentation


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
    eager = lazy(bk, lx.any_loss, p, t, axis=1)
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
