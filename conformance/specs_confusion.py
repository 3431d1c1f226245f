"""Conformance spec entry of ``soft_confusion_matrix`` (``losses_xp/anyloss.py``), and
the cases and soft-count oracle that the AnyLoss metric losses (specs_anyloss.py) share.

Oracle: the AnyLoss paper's soft counts (Han, Moniz & Chawla 2024, and the reference
Keras code) evaluated by PyTorch in float64, computed *directly* element-wise —
TP = Σ y·A, FN = Σ y·(1 − A), FP = Σ (1 − y)·A, TN = Σ (1 − y)·(1 − A) with the
approximation A(p) = sigmoid(L (p − 0.5)) — not by our subtractions from Σy, ΣA and N;
gradients are PyTorch autograd through them.

Cross-check and pinned value: ``sklearn.metrics.confusion_matrix`` on thresholded
predictions, for the inputs with L = 1e4 and |p − 0.5| ≥ 0.01 (A is then the 0/1
prediction to float64 precision).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

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

from .registry import EXACT, Pinned, Tol, torch, torch_spec

# --------------------------------------------------------------------------- cases

C = 4


def _away(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Probabilities in [0.02, 0.45] ∪ [0.55, 0.98]: A(p) is 0/1 at L = 1e4."""
    p = rng.uniform(0.02, 0.45, size=shape)
    return np.where(rng.uniform(size=shape) < 0.5, p, 1.0 - p)


def steep(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Probabilities in [0.3, 0.7], where A(p) at L = 73 has a gradient that half
    precision can represent (A'(0.3) = 73 e^{-14.6} ~ 3e-5; at p = 0.02 it is 4e-14,
    below float16's smallest subnormal)."""
    return probabilities(rng, shape, 0.3, 0.7)


def mixed_binary(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """0/1 targets with both classes present (the first two elements are 0 and 1)."""
    t = binary_targets(rng, shape).reshape(-1)
    if t.size >= 2:
        t[:2] = (0.0, 1.0)
    return t.reshape(shape)


def common_cases(rng: np.random.Generator) -> list[Case]:
    """Binary and multi-class inputs (the AnyLoss metric losses add their metrics)."""
    pr, bt, ci = steep, mixed_binary, class_indices
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


def extreme_cases(rng: np.random.Generator) -> list[Case]:
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


def imbalanced_binary() -> tuple[np.ndarray, np.ndarray]:
    """300 probabilities in [0.01, 0.45] ∪ [0.55, 0.99] and 0/1 targets, ~20 % positive
    (imbalanced), ~70 % of the predictions on the right side of 0.5, the rest at random."""
    rng = np.random.default_rng(0)
    y = (rng.uniform(size=(300,)) < 0.2).astype(np.float64)
    p = rng.uniform(0.01, 0.45, size=(300,))
    p = np.where(rng.uniform(size=(300,)) < 0.5, p, 1.0 - p)
    p = np.where(rng.uniform(size=(300,)) < 0.7,
                 np.where(y > 0, np.maximum(p, 1 - p), np.minimum(p, 1 - p)), p)
    return p, y


# --------------------------------------------------------------------------- oracles

DIFFERENCES = (
    "The reference code is binary-only and uses the training-set size for N; the oracle "
    "uses N = the number of elements reduced (ours), equal to the reference's N for a "
    "full batch (checked in specs_anyloss.py). The reference divides without a guard: "
    "a zero denominator (one-class batch) gives NaN there, 0 (score) here, like "
    "scikit-learn's zero_division=0; the oracle guards the same way and the value cases "
    "keep both classes present. Multi-class (one-vs-rest, macro/micro), logits, and "
    "precision/recall/MCC/Jaccard (not in the reference code) follow their textbook "
    "definitions in the directly computed counts."
)


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


def _scm_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    return torch().stack(counts_torch(t, kw))


# ------------------------------------------------------------------ scikit-learn


def hard_indicators(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
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


def _scm_sklearn(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                 reduction: str) -> np.ndarray | None:
    """``sklearn.metrics.confusion_matrix`` per class column."""
    from sklearn.metrics import confusion_matrix

    hard = hard_indicators(args, kwargs)
    if hard is None:
        return None
    Y, P = hard
    cols = []
    for c in range(Y.shape[1]):
        tn, fp, fn, tp = confusion_matrix(Y[:, c], P[:, c], labels=[0, 1]).ravel()
        cols.append([tp, fn, fp, tn])
    out = np.asarray(cols, np.float64).T  # (4, C)
    return out[:, 0] if kwargs.get("axis") is None else out


# --------------------------------------------------------------------------- pinned

_PINNED_SOFT_CONFUSION_MATRIX = (
    Pinned("0d-counts-are-arrays", (np.array([0.9, 0.2]), np.array([1, 0])), value="oracle"),
    # L = 1e4 on an imbalanced batch: the counts are scikit-learn's confusion matrix to
    # a few ulps of a sum of 300 terms in float32
    Pinned("imbalanced-L1e4-is-sklearn-confusion-matrix", imbalanced_binary(), {"L": 1e4},
           value=lambda a, kw, r, d: _scm_sklearn(a, kw, r), dtypes=FULL,
           tol={"float32": Tol(rtol=2e-6, atol=0.0), "float64": Tol(rtol=1e-12, atol=0.0)}),
    # (fuzzer) the generic log-softmax, x - logsumexp(x), rounded at the magnitude of the
    # maximum: sample 1 (class axis 0, true class 1) has two float16 logits of 65504, in
    # classes 1 and 4; its probability 1/2 (A(1/2) = 1/2: TP 0.5 in class 1) was 0.5009
    Pinned("softmax-of-two-float16-maxima", (np.array(
        [[8232.0, -8656.0, 41952.0, 6872.0, -35104.0],
         [23680.0, 65504.0, 62048.0, -46112.0, -65504.0],
         [-40832.0, 2708.0, -65504.0, -14328.0, -65504.0],
         [-47968.0, -35648.0, -20720.0, 26960.0, 65504.0],
         [-8416.0, 65504.0, -43584.0, 23024.0, 59168.0]]), np.array([3, 1, 2, 4, 4])),
           {"axis": 0, "from_logits": True}, value="oracle", tol=Tol(rtol=1e-3, atol=1e-6)),
)

SPECS = [
    torch_spec("soft_confusion_matrix", _scm_torch,
               "AnyLoss (Han et al. 2024) soft counts, computed directly in PyTorch",
               common_cases, extreme_cases,
               differences=DIFFERENCES + " The four counts are compared stacked "
               "(shape (4,) or (4, C)).",
               cross_checks=(("sklearn.metrics.confusion_matrix (L=1e4)", _scm_sklearn, EXACT),),
               extreme_oracle=True, pinned=_PINNED_SOFT_CONFUSION_MATRIX),
]
