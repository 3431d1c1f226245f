"""Conformance spec entries of the metrics (``losses_xp/metrics.py``): ``hamming_loss``
and ``top_k_accuracy``.

Oracles (float64): ``sklearn.metrics.hamming_loss`` on the binarised scores (Keras's
``binary_accuracy`` a cross-check of the threshold rule), and Keras's
``sparse_top_k_categorical_accuracy`` per sample (TensorFlow's tie rule, ours;
``sklearn.metrics.top_k_accuracy_score`` per sample and on the whole batch are
cross-checks where there are no ties).  Scores that are thresholded or ranked are kept
well away from the threshold and from each other, so the rounding to float16 or bfloat16
neither moves a score across the threshold nor creates ties, but in the cases that test
the rules: scores exactly on the threshold, and ties on a grid exact in every dtype.

Pinned values: the published Hamming example (4/9 as logits; 1/9 as probabilities, where
a score of exactly the threshold is a negative), the optimistic top-k tie rule, top-k of
normal scores against scikit-learn and k >= C, empty inputs.  The one test here: hard
labels against scikit-learn (their result is the default floating dtype).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._compat import device
from losses_xp._testing.backends import Backend
from losses_xp._testing.inputs import (
    EXTREME_LOGIT,
    FULL,
    HALF,
    Case,
    binary_targets,
    class_indices,
    logits,
    weights,
)

from .helpers import close, compiled_call, lazy
from .registry import EXACT, KERAS, Pinned, Tol, keras, np_reduce, spec

# --------------------------------------------------------------------------- cases


def _away_from(x: np.ndarray, t: float, margin: float) -> np.ndarray:
    """``x`` with every value closer than ``margin`` to ``t`` pushed to ``t ± margin``."""
    near = np.abs(x - t) < margin
    return np.where(near, t + np.where(x >= t, margin, -margin), x)


def _scores(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Probabilities in [0.02, 0.98], at least 0.02 away from the threshold 0.5."""
    return _away_from(rng.uniform(0.02, 0.98, size=shape), 0.5, 0.02)


def _hamming_cases(rng: np.random.Generator) -> list[Case]:
    bt = binary_targets
    return [
        Case("empty", (_scores(rng, (0, 4)), bt(rng, (0, 4))),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("1d", (_scores(rng, (9,)), bt(rng, (9,))), tags=frozenset({"1d"})),
        Case("2d", (_scores(rng, (6, 4)), bt(rng, (6, 4))), tags=frozenset({"2d"})),
        Case("2d-logits-threshold0", (_away_from(logits(rng, (6, 4)), 0.0, 0.05),
                                      bt(rng, (6, 4))),
             {"threshold": 0.0}, tags=frozenset({"2d"})),
        Case("2d-threshold0.3", (_away_from(rng.uniform(0.0, 1.0, (6, 4)), 0.3, 0.02),
                                 bt(rng, (6, 4))),
             {"threshold": 0.3}, tags=frozenset({"2d"})),
        Case("2d-int-target", (_scores(rng, (6, 4)), rng.integers(0, 2, size=(6, 4))),
             tags=frozenset({"2d", "int-target"})),
        Case("2d-bool-target",
             (_scores(rng, (6, 4)), rng.integers(0, 2, size=(6, 4)).astype(bool)),
             tags=frozenset({"2d", "bool-target"})),
        Case("2d-sample-weight", (_scores(rng, (6, 4)), bt(rng, (6, 4))),
             {"sample_weight": weights(rng, (6,))}, tags=frozenset({"2d", "weight"})),
        Case("2d-sample-weight-list", (_scores(rng, (5, 3)), bt(rng, (5, 3))),
             {"sample_weight": [float(w) for w in weights(rng, (5,))]},
             tags=frozenset({"2d", "weight"})),
        Case("nd", (_scores(rng, (3, 2, 4)), bt(rng, (3, 2, 4))), tags=frozenset({"nd"})),
        Case("nd-sample-weight", (_scores(rng, (4, 2, 3)), bt(rng, (4, 2, 3))),
             {"sample_weight": weights(rng, (4,))}, tags=frozenset({"nd", "weight"})),
        # the threshold rule: a score equal to the threshold is a negative (exact values
        # in every dtype)
        Case("2d-at-threshold", (_at(_scores(rng, (6, 4)), 0.5), _positive(bt(rng, (6, 4)))),
             tags=frozenset({"2d", "threshold"})),
        Case("2d-logits-at-threshold0", (_at(_away_from(logits(rng, (6, 4)), 0.0, 0.05), 0.0),
                                         _positive(bt(rng, (6, 4)))),
             {"threshold": 0.0}, tags=frozenset({"2d", "threshold"})),
    ]


def _at(x: np.ndarray, t: float) -> np.ndarray:
    """``x`` with its first column set to the threshold ``t`` exactly."""
    out = x.copy()
    out[:, 0] = t
    return out


def _positive(y: np.ndarray) -> np.ndarray:
    """0/1 labels whose first column is positive (a score on the threshold is then a
    wrong negative: the rule decides the count)."""
    out = y.copy()
    out[:, 0] = 1.0
    return out


def _hamming_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * np.array([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]])
        y = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        out.append(Case(f"logits-pm{m:g}", (x, y), {"threshold": 0.0}, dtypes=dtypes,
                        tags=frozenset({"2d"})))
    p = np.array([[0.0, 1.0, 1.0], [0.0, 0.0, 1.0]])
    out.append(Case("probs-0-and-1", (p, np.array([[0, 1, 0], [1, 0, 1]])),
                    tags=frozenset({"2d"})))
    return out


def _ranked(rng: np.random.Generator, shape: tuple[int, ...], axis: int = -1,
            scale: float = 1.0) -> np.ndarray:
    """Scores whose values along ``axis`` are a random permutation of well separated
    levels (0.5 apart, ± 0.1 noise, times ``scale``): no ties in any dtype."""
    C = shape[axis]
    moved = list(shape)
    moved.append(moved.pop(axis))
    ranks = np.argsort(rng.uniform(size=moved), axis=-1).astype(np.float64)
    x = (ranks - C / 2.0) * 0.5 + rng.uniform(-0.1, 0.1, size=moved)
    return np.moveaxis(x * scale, -1, axis)


def _top_k_cases(rng: np.random.Generator) -> list[Case]:
    ci = class_indices
    C = 6
    return [
        Case("1d-0d-target", (_ranked(rng, (C,)), ci(rng, (), C)), {"k": 2},
             tags=frozenset({"0d"})),
        Case("empty", (_ranked(rng, (0, C)), ci(rng, (0,), C)), {"k": 2},
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d", (_ranked(rng, (12, C)), ci(rng, (12,), C)), tags=frozenset({"2d"})),
        Case("2d-k2", (_ranked(rng, (12, C)), ci(rng, (12,), C)), {"k": 2},
             tags=frozenset({"2d"})),
        Case("2d-k3", (_ranked(rng, (12, C)), ci(rng, (12,), C)), {"k": 3},
             tags=frozenset({"2d"})),
        Case("2d-k-equals-C", (_ranked(rng, (5, C)), ci(rng, (5,), C)), {"k": C},
             tags=frozenset({"2d"})),
        Case("2d-k-above-C", (_ranked(rng, (5, C)), ci(rng, (5,), C)), {"k": C + 3},
             tags=frozenset({"2d"})),
        Case("nd-last-k2", (_ranked(rng, (2, 3, 5)), ci(rng, (2, 3), 5)), {"k": 2},
             tags=frozenset({"nd"})),
        Case("nd-axis1-k2", (_ranked(rng, (2, 5, 3), axis=1), ci(rng, (2, 3), 5)),
             {"k": 2, "axis": 1}, tags=frozenset({"nd"})),
        # the tie rule: a class tied with the true one does not push it down (scores on a
        # grid of 0.25, exact in every dtype, with many ties)
        *(Case(f"2d-ties-k{k}", (_tied(rng, (12, C)), ci(rng, (12,), C)), {"k": k},
               tags=frozenset({"2d", "ties"})) for k in (1, 2, 3)),
    ]


def _tied(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Scores on a coarse grid (0, 0.25, ..., 1): most rows have ties, exact in every
    dtype."""
    return rng.integers(0, 5, size=shape) * 0.25


def _top_k_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = _ranked(rng, (4, 5), scale=m / 2.0)
        out.append(Case(f"scores-pm{m:g}-k2", (x, class_indices(rng, (4,), 5)), {"k": 2},
                        dtypes=dtypes, tags=frozenset({"2d"})))
    return out


# --------------------------------------------------------------------------- oracles


def _hamming_sklearn(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                     reduction: str) -> np.ndarray:
    from sklearn.metrics import hamming_loss

    x, y = np.asarray(args[0]), np.asarray(args[1])
    if x.size == 0:
        return np.asarray(math.nan)
    threshold = float(kwargs.get("threshold", 0.5))
    pred = (x > threshold).astype(np.int64) if x.dtype.kind == "f" else x.astype(np.int64)
    truth = (y > 0.5).astype(np.int64) if y.dtype.kind == "f" else (y != 0).astype(np.int64)
    if x.ndim > 1:
        pred, truth = pred.reshape(x.shape[0], -1), truth.reshape(x.shape[0], -1)
    sw = kwargs.get("sample_weight")
    sw = None if sw is None else np.asarray(sw, dtype=np.float64)
    return np.asarray(hamming_loss(truth, pred, sample_weight=sw), dtype=np.float64)


def _flat_scores(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                 ) -> tuple[np.ndarray, np.ndarray, int]:
    s, t = np.asarray(args[0], np.float64), np.asarray(args[1])
    s = np.moveaxis(s, int(kwargs.get("axis", -1)) % s.ndim, -1)
    return s.reshape(-1, s.shape[-1]), t.reshape(-1), int(kwargs.get("k", 1))


def _hamming_keras(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                   reduction: str) -> np.ndarray | None:
    """1 - ``keras.metrics.binary_accuracy(y, scores, threshold)`` averaged: Keras's own
    threshold rule (``scores > threshold``), for scores without sample weights."""
    x, y = np.asarray(args[0]), np.asarray(args[1])
    if x.dtype.kind != "f" or x.size == 0 or "sample_weight" in kwargs:
        return None
    truth = (y > 0.5) if y.dtype.kind == "f" else (y != 0)
    acc = keras().metrics.binary_accuracy(truth.astype(np.float32), x.astype(np.float32),
                                          threshold=float(kwargs.get("threshold", 0.5)))
    return np.asarray(1.0 - np.mean(np.asarray(acc, np.float64)))


def _top_k_keras(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                 reduction: str) -> np.ndarray:
    """``keras.metrics.sparse_top_k_categorical_accuracy`` of each sample (TensorFlow's
    ``in_top_k`` rule: a class tied with the true one is within the top k), then our
    reductions; ``k >= C`` is every class."""
    s, t, k = _flat_scores(args, kwargs)
    if t.size == 0:
        return np_reduce(np.zeros(np.shape(args[1])), reduction)
    hits = keras().metrics.sparse_top_k_categorical_accuracy(t, s, k=min(k, s.shape[-1]))
    return np_reduce(np.asarray(hits, np.float64).reshape(np.shape(args[1])), reduction)


def _has_ties(s: np.ndarray) -> bool:
    srt = np.sort(s, axis=-1)
    return bool(np.any(srt[..., 1:] == srt[..., :-1]))


def _top_k_sklearn(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                   reduction: str) -> np.ndarray | None:
    """``sklearn.metrics.top_k_accuracy_score`` of each sample (``labels`` = every
    class), then our reductions; none for scores with ties (scikit-learn's argsort order
    decides them)."""
    from sklearn.metrics import top_k_accuracy_score

    s, t, k = _flat_scores(args, kwargs)
    if _has_ties(s):
        return None
    labels = np.arange(s.shape[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # k >= C: "will result in a perfect score"
        hits = np.array([top_k_accuracy_score([ti], si[None, :], k=k, labels=labels)
                         for si, ti in zip(s, t, strict=True)], dtype=np.float64)
    return np_reduce(hits.reshape(np.shape(args[1])), reduction)


def _top_k_sklearn_batch(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                         reduction: str) -> np.ndarray | None:
    """One call on the whole (flattened) batch: ``mean`` (normalize=True) and ``sum``
    (normalize=False)."""
    from sklearn.metrics import top_k_accuracy_score

    s, t, k = _flat_scores(args, kwargs)
    if reduction == "none" or t.size == 0 or _has_ties(s):
        return None
    labels = np.arange(s.shape[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # k >= C: "will result in a perfect score"
        value = top_k_accuracy_score(t, s, k=k, labels=labels, normalize=reduction == "mean")
    return np.asarray(value, dtype=np.float64)


# --------------------------------------------------------------------------- pinned

#: exact: the metrics count hits (0 or 1 per sample), in any dtype
EXACTLY = Tol(rtol=0.0, atol=0.0)

#: the published example: 3 samples × 3 labels, the scores both as logits and as
#: probabilities (the threshold rule: 0.5 itself is a negative)
_HL_S = np.array([[0.1, 0.9, 0.3], [0.8, 0.2, 0.6], [0.4, 0.5, 0.7]])
_HL_Y = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 1]])

_PINNED_HAMMING_LOSS = (
    Pinned("empty-is-nan", (np.zeros(0), np.zeros(0)), value=np.nan, reductions=("mean",)),
    Pinned("empty-weighted-is-nan", (np.zeros((0, 2)), np.zeros((0, 2))),
           {"sample_weight": np.zeros(0)}, value=np.nan, reductions=("mean",)),
    Pinned("no-labels-is-nan", (np.zeros((3, 0)), np.zeros((3, 0))), value=np.nan,
           reductions=("mean",)),
    # every score is above the threshold 0: the four 0 targets are wrong
    Pinned("published-scores-as-logits", (_HL_S, _HL_Y), {"threshold": 0.0}, value=4 / 9,
           reductions=("mean",)),
    # threshold 0.5: only the score of exactly 0.5 (a negative: not above) is wrong
    Pinned("published-scores-threshold-rule", (_HL_S, _HL_Y), value=1 / 9,
           reductions=("mean",)),
)

#: ties with the true class (its index: the last column) count as not above it (the
#: optimistic rule): row 0 is a hit at k = 1; rows 1 and 2 have one class above, hits
#: from k = 2
_TIE_S = np.array([[1.0, 1.0, 1.0, 0.0], [2.0, 1.0, 1.0, 0.0], [3.0, 2.0, 2.0, 2.0]])
_TIE_T = np.array([2, 2, 3])


def _normal_scores() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    return rng.normal(size=(40, 7)), rng.integers(0, 7, size=(40,))


_NORMAL_S, _NORMAL_T = _normal_scores()

_PINNED_TOP_K_ACCURACY = (
    Pinned("0d-result-is-an-array", (np.array([[0.1, 0.6, 0.3]]), np.array([2])), {"k": 2},
           value="oracle", reductions=("sum",)),
    Pinned("empty-mean-is-nan", (np.zeros((0, 3)), np.zeros(0, dtype=np.int64)), value=np.nan,
           reductions=("mean",)),
    Pinned("tie-rule-is-optimistic-k1", (_TIE_S, _TIE_T), {"k": 1}, value=[1.0, 0.0, 0.0],
           tol=EXACTLY),
    Pinned("tie-rule-is-optimistic-k2", (_TIE_S, _TIE_T), {"k": 2}, value=[1.0, 1.0, 1.0],
           tol=EXACTLY),
    Pinned("tie-rule-is-optimistic-k2-sum", (_TIE_S, _TIE_T), {"k": 2}, value=3.0,
           reductions=("sum",), tol=EXACTLY),
    # 40 samples of 7 normal scores: scikit-learn's batch top-k accuracy ...
    *(Pinned(f"normal-scores-k{k}-sklearn", (_NORMAL_S, _NORMAL_T), {"k": k},
             value=lambda a, kw, r, d: _top_k_sklearn_batch(a, kw, r),
             reductions=("mean",), dtypes=FULL) for k in (1, 2, 3, 6)),
    # ... and every sample a hit once k >= C
    *(Pinned(f"normal-scores-k{k}-at-least-C", (_NORMAL_S, _NORMAL_T), {"k": k}, value=1.0,
             tol=EXACTLY) for k in (7, 50)),
)

# --------------------------------------------------------------------------- specs

SPECS = [
    spec("hamming_loss", oracle=_hamming_sklearn, cases=_hamming_cases, extreme=_hamming_extreme,
         shape_tags=frozenset({"empty", "1d", "2d", "nd"}),
         reference="sklearn.metrics.hamming_loss on (scores > threshold)",
         differences="scikit-learn takes hard labels and 1-d/2-d inputs only: the oracle "
                     "binarises the scores and flattens the label axes (N, ...) -> (N, L); an "
                     "empty input is NaN for us (scikit-learn raises). Scores are kept away "
                     "from the threshold so half-precision rounding cannot cross it, but "
                     "where they sit exactly on it: a negative, as Keras's binary_accuracy "
                     "(a cross-check, float32).",
         cross_checks=(("1 - keras.metrics.binary_accuracy (NumPy backend)", _hamming_keras,
                        KERAS),),
         pinned=_PINNED_HAMMING_LOSS),
    spec("top_k_accuracy", oracle=_top_k_keras, cases=_top_k_cases, extreme=_top_k_extreme,
         reference="keras.metrics.sparse_top_k_categorical_accuracy per sample",
         differences="Ties: ours counts a class tied with the true one as not above it "
                     "(optimistic), as TensorFlow's in_top_k and Keras's "
                     "sparse_top_k_categorical_accuracy (the oracle; the '-ties' cases); "
                     "scikit-learn's argsort order decides ties, so its cross-checks skip "
                     "them. Empty input: NaN mean, 0 sum (scikit-learn raises). k >= C: 1 "
                     "for every sample (scikit-learn warns; the Keras oracle is given k = C).",
         cross_checks=(("sklearn.metrics.top_k_accuracy_score per sample", _top_k_sklearn,
                        EXACT),
                       ("sklearn.metrics.top_k_accuracy_score on the batch",
                        _top_k_sklearn_batch, EXACT)),
         pinned=_PINNED_TOP_K_ACCURACY),
]


# --------------------------------------------------------------------------- tests


def _hard_label_inputs() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    """``name -> (predicted labels, true labels, sample weights or None)``."""
    rng = np.random.default_rng(11)
    ml_t = rng.integers(0, 2, size=(7, 4))
    ml_p = rng.integers(0, 2, size=(7, 4))
    mc_t = rng.integers(0, 5, size=(9,))
    mc_p = np.where(rng.uniform(size=9) < 0.5, mc_t, rng.integers(0, 5, size=(9,)))
    w = rng.uniform(0.5, 2.0, size=(7,))
    return {"multilabel": (ml_p, ml_t, None),
            "multilabel-bool": (ml_p.astype(bool), ml_t.astype(bool), None),
            "multiclass": (mc_p, mc_t, None), "multilabel-weighted": (ml_p, ml_t, w)}


@pytest.mark.parametrize("which", ["multilabel", "multilabel-bool", "multiclass",
                                   "multilabel-weighted"])
def test_hamming_hard_labels_equal_sklearn(bk: Backend, which: str) -> None:
    """Hard labels (no floating input: the result is the default floating dtype) equal
    ``sklearn.metrics.hamming_loss``, eager (lazily on Dask) and compiled."""
    from sklearn.metrics import hamming_loss

    p, t, w = _hard_label_inputs()[which]
    want = hamming_loss(t, p, sample_weight=w)
    pb, tb = bk.asarray(p), bk.asarray(t)
    kw = {} if w is None else {"sample_weight": bk.asarray(w, "float32")}
    out = lazy(bk, lx.hamming_loss, pb, tb, **kw)
    default = bk.dtype_name(bk.namespace_of(out).asarray(0.0, device=device(pb)))
    assert bk.is_native(out)
    assert bk.dtype_name(out) == default
    close(bk.to_numpy(out), want, "float32")
    compiled = compiled_call(bk, lambda a, b: lx.hamming_loss(a, b, **kw), pb, tb)
    if compiled is not None:
        close(bk.to_numpy(compiled), want, "float32", "compiled")
