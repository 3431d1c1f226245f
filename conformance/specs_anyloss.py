"""Conformance specs (see :mod:`conformance.registry`) of the anyloss family.

Oracle: the AnyLoss paper's formulas (Han, Moniz & Chawla 2024, and the reference Keras
code's loss functions) evaluated by PyTorch in float64, with the confusion-matrix
entries computed *directly* element-wise — TP = Σ y·A, FN = Σ y·(1 − A),
FP = Σ (1 − y)·A, TN = Σ (1 − y)·(1 − A) — not by our subtractions from Σy, ΣA and N.
The binary metrics are the reference code's expressions in the sums Σ y·A, Σ y, Σ A and
N (e.g. F1 = 2 Σ y·A / (Σ y + Σ A)); gradients are PyTorch autograd through them.

Cross-check: scikit-learn's hard metrics (``confusion_matrix``, ``f1_score`` …) on
thresholded predictions, for the cases with L = 1e4 and |p − 0.5| ≥ 0.05 (A is then
the 0/1 prediction to float64 precision).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losses_xp._testing.compare import TOLERANCES, Tol
from losses_xp._testing.inputs import (
    FULL,
    HALF,
    Case,
    binary_targets,
    class_indices,
    class_probabilities,
    logits,
    probabilities,
    soft_targets,
)
from losses_xp.anyloss import METRICS

from .registry import EXACT, Pinned, torch, torch_spec

# --------------------------------------------------------------------------- cases

C = 4


def _away(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Probabilities in [0.02, 0.45] ∪ [0.55, 0.98]: A(p) is 0/1 at L = 1e4."""
    p = rng.uniform(0.02, 0.45, size=shape)
    return np.where(rng.uniform(size=shape) < 0.5, p, 1.0 - p)


def _steep(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Probabilities in [0.3, 0.7], where A(p) at L = 73 has a gradient that half
    precision can represent (A'(0.3) = 73 e^{-14.6} ~ 3e-5; at p = 0.02 it is 4e-14,
    below float16's smallest subnormal)."""
    return probabilities(rng, shape, 0.3, 0.7)


def _mixed_binary(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """0/1 targets with both classes present (the first two elements are 0 and 1)."""
    t = binary_targets(rng, shape).reshape(-1)
    if t.size >= 2:
        t[:2] = (0.0, 1.0)
    return t.reshape(shape)


def _common(rng: np.random.Generator) -> list[Case]:
    """Binary and multi-class inputs shared by both functions."""
    pr, bt, ci = _steep, _mixed_binary, class_indices
    cp = class_probabilities
    return [
        Case("0d", (pr(rng, ()), bt(rng, ())), tags=frozenset({"0d"})),
        Case("empty", (pr(rng, (0, 4)), bt(rng, (0, 4))), tags=frozenset({"empty"})),
        Case("1d", (pr(rng, (8,)), bt(rng, (8,))), tags=frozenset({"1d"})),
        Case("2d", (pr(rng, (4, 5)), bt(rng, (4, 5))), tags=frozenset({"2d"})),
        Case("2d-soft", (pr(rng, (4, 5)), soft_targets(rng, (4, 5))), tags=frozenset({"2d"})),
        Case("nd", (pr(rng, (2, 3, 4, 5)), bt(rng, (2, 3, 4, 5))), tags=frozenset({"nd"})),
        Case("bool-target", (pr(rng, (6,)), np.array([0, 1, 1, 0, 1, 0], dtype=bool)),
             tags=frozenset({"1d", "bool-target"})),
        Case("int-target", (pr(rng, (6,)), np.array([1, 0, 0, 1, 1, 0], dtype=np.int64)),
             tags=frozenset({"1d", "int-target"})),
        Case("2d-L10", (pr(rng, (4, 5)), bt(rng, (4, 5))), {"L": 10.0}, tags=frozenset({"2d"})),
        Case("2d-logits", (logits(rng, (4, 5), 0.5), bt(rng, (4, 5))), {"from_logits": True},
             tags=frozenset({"2d"})),
        Case("hard-L1e4", (_away(rng, (5, 4)), bt(rng, (5, 4))), {"L": 1e4},
             tags=frozenset({"2d", "hard"}), grad=False),
        Case("mc-1d-0d-index", (cp(rng, (C,)), ci(rng, (), C)), {"axis": 0},
             tags=frozenset({"0d", "multiclass"})),
        Case("mc-2d", (cp(rng, (8, C), scale=1.0), ci(rng, (8,), C)), {"axis": -1},
             tags=frozenset({"2d", "multiclass"})),
        Case("mc-nd-axis1", (cp(rng, (2, C, 3, 2), axis=1, scale=1.0), ci(rng, (2, 3, 2), C)),
             {"axis": 1}, tags=frozenset({"nd", "multiclass"})),
        Case("mc-nd-axis1-logits", (logits(rng, (2, 3, 4), 1.0), ci(rng, (2, 4), 3)),
             {"axis": 1, "from_logits": True, "L": 20.0}, tags=frozenset({"nd", "multiclass"})),
    ]


def _scm_cases(rng: np.random.Generator) -> list[Case]:
    return _common(rng)


def _metric_f2ish(tp, fn, fp, tn):  # type: ignore[no-untyped-def]
    """A user metric written with array operations only: the critical success index
    weighted towards recall, (2 TP) / (2 TP + 2 FN + FP + 1)."""
    return 2.0 * tp / (2.0 * tp + 2.0 * fn + fp + 1.0)


def _any_cases(rng: np.random.Generator) -> list[Case]:
    pr, bt, ci = _steep, _mixed_binary, class_indices
    cp = class_probabilities
    cases = _common(rng)
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


def _extreme(rng: np.random.Generator) -> list[Case]:
    """One-class batches (zero denominators), probabilities exactly 0 and 1, and
    logits of ±1e4 (±1e2 in half precision): finite values and finite gradients."""
    p01 = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    out = [
        Case("all-negative", (p01, np.zeros((2, 3))), tags=frozenset({"2d"})),
        Case("all-positive", (p01, np.ones((2, 3))), tags=frozenset({"2d"})),
        Case("all-negative-predicted-negative", (np.zeros((2, 3)), np.zeros((2, 3))),
             tags=frozenset({"2d"})),
        Case("mc-probs-0-and-1", (np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
                                  np.array([0, 0])), {"axis": 1}, tags=frozenset({"2d"})),
    ]
    for dtypes in (FULL, HALF):
        m = 1e4 if dtypes is FULL else 1e2
        x = m * np.array([[1.0, -1.0, 1.0], [-1.0, -1.0, 0.5]])
        out += [
            Case(f"logits-pm{m:g}-all-negative", (x, np.zeros((2, 3))),
                 {"from_logits": True}, dtypes=dtypes, tags=frozenset({"2d"})),
            Case(f"mc-logits-pm{m:g}", (x, np.array([1, 1])), {"axis": 1, "from_logits": True},
                 dtypes=dtypes, tags=frozenset({"2d"})),
        ]
    return out


def _any_extreme(rng: np.random.Generator) -> list[Case]:
    out = _extreme(rng)
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

_DIFFERENCES = (
    "The reference code is binary-only and uses the training-set size for N; the oracle "
    "uses N = the number of elements reduced (ours), equal to the reference's N for a "
    "full batch (checked in test_anyloss.py). The reference divides without a guard: "
    "a zero denominator (one-class batch) gives NaN there, 0 (score) here, like "
    "scikit-learn's zero_division=0; the oracle guards the same way and the value cases "
    "keep both classes present. Multi-class (one-vs-rest, macro/micro), logits, and "
    "precision/recall/MCC/Jaccard (not in the reference code) follow their textbook "
    "definitions in the directly computed counts."
)


#: float32 gradients of a ratio metric x / (x + y) are, by autodiff, the difference of
#: two O(1/(x+y)) terms, 1/(x+y) - x/(x+y)^2: where y << x (precision of a class with
#: an FP of 1e-12) the result is rounding noise of a few ulp of 1/(x+y), ~1.5e-6 of the
#: gradient's scale in the cases here, over the default 1e-6.  Values are unaffected.
_TOLERANCES = {**TOLERANCES, "float32": Tol(rtol=1e-5, atol=1e-5)}


def _sum(x: Any, dims: tuple[int, ...] | None) -> Any:
    if dims is None:
        return x.sum()
    return x.sum(dim=dims) if dims else x


def counts_torch(t: list[Any], kw: Mapping[str, Any]) -> tuple[Any, Any, Any, Any]:
    """Direct soft counts ``(tp, fn, fp, tn)`` of the reference approximation."""
    th = torch()
    p, y = t[0], t[1]
    L = float(kw.get("L", 73.0))
    axis = kw.get("axis")
    if axis is None:
        if kw.get("from_logits", False):
            p = th.sigmoid(p)
        y = y.to(p.dtype)
        dims: tuple[int, ...] | None = None
    else:
        ax = int(axis) % p.ndim
        if kw.get("from_logits", False):
            p = th.softmax(p, dim=ax)
        y = th.nn.functional.one_hot(y, p.shape[ax]).movedim(-1, ax).to(p.dtype)
        dims = tuple(d for d in range(p.ndim) if d != ax)
    a = th.sigmoid(L * (p - 0.5))  # the paper's A(p) = 1 / (1 + exp(-L (p - 0.5)))
    return (_sum(y * a, dims), _sum(y * (1 - a), dims), _sum((1 - y) * a, dims),
            _sum((1 - y) * (1 - a), dims))


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


def _scm_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    return torch().stack(counts_torch(t, kw))


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


def _hard(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
          ) -> tuple[np.ndarray, np.ndarray] | None:
    """``(Y, P)`` 0/1 indicator matrices (samples × classes; one column if binary) of
    the targets and the predictions p > 0.5, for the large-L cases only."""
    if float(kwargs.get("L", 73.0)) < 1e3 or kwargs.get("from_logits", False):
        return None
    p, y = np.asarray(args[0], np.float64), np.asarray(args[1])
    if np.any(np.abs(p - 0.5) < 0.01):
        return None
    axis = kwargs.get("axis")
    if axis is None:
        return y.reshape(-1, 1).astype(int), (p > 0.5).reshape(-1, 1).astype(int)
    ax = int(axis) % p.ndim
    c = p.shape[ax]
    pm = np.moveaxis(p, ax, -1).reshape(-1, c)
    return np.eye(c, dtype=int)[y.reshape(-1)], (pm > 0.5).astype(int)


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


def _scm_sklearn(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                 reduction: str) -> np.ndarray | None:
    """``sklearn.metrics.confusion_matrix`` per class column."""
    from sklearn.metrics import confusion_matrix

    hard = _hard(args, kwargs)
    if hard is None:
        return None
    Y, P = hard
    cols = []
    for c in range(Y.shape[1]):
        tn, fp, fn, tp = confusion_matrix(Y[:, c], P[:, c], labels=[0, 1]).ravel()
        cols.append([tp, fn, fp, tn])
    out = np.asarray(cols, np.float64).T  # (4, C)
    return out[:, 0] if kwargs.get("axis") is None else out


def _any_sklearn(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                 reduction: str) -> np.ndarray | None:
    """1 − scikit-learn's metric: binary, per class (macro) or on the flattened
    one-vs-rest indicators (micro)."""
    hard = _hard(args, kwargs)
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

_PINNED_SOFT_CONFUSION_MATRIX = (
    Pinned("0d-counts-are-arrays", (np.array([0.9, 0.2]), np.array([1, 0])), value="oracle"),
)

SPECS = [
    torch_spec("soft_confusion_matrix", _scm_torch,
               "AnyLoss (Han et al. 2024) soft counts, computed directly in PyTorch",
               _scm_cases, _extreme,
                differences=_DIFFERENCES + " The four counts are compared stacked "
                "(shape (4,) or (4, C)).",
                cross_checks=(("sklearn.metrics.confusion_matrix (L=1e4)",
                               _scm_sklearn, EXACT),),
                extreme_oracle=True,
        pinned=_PINNED_SOFT_CONFUSION_MATRIX),
    torch_spec("any_loss", _any_torch,
               "AnyLoss (Han et al. 2024) reference formulas in PyTorch",
               _any_cases, _any_extreme,
                differences=_DIFFERENCES,
                cross_checks=(("sklearn.metrics hard metrics (L=1e4)", _any_sklearn, EXACT),),
                extreme_oracle=True, tolerances=_TOLERANCES,
        pinned=_PINNED_ANY_LOSS),
]

__all__ = ["SPECS", "counts_torch", "reference_score", "sklearn_score"]
