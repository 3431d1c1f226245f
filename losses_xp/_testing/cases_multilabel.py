"""Catalogue entries (see :mod:`losses_xp._testing.cases`) of the multilabel family.

``multilabel_categorical_crossentropy`` (ZLPR), ``class_balanced_loss``,
``class_balanced_weights`` and the metrics ``hamming_loss`` and ``top_k_accuracy``.

* The metrics and the class weights are not differentiable (``differentiable=()``):
  the conformance suite checks their values only.
* ``hamming_loss`` and ``class_balanced_weights`` take no ``reduction``
  (``takes_reduction=False``): their one output is listed as ``"mean"`` (a scalar) and
  ``"none"`` (one weight per class) respectively.
* Scores that are thresholded (``hamming_loss``) or ranked (``top_k_accuracy``) are
  kept well away from the threshold and from each other, so the rounding to float16 or
  bfloat16 neither moves a score across the threshold nor creates ties.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

from .cases import (
    EXTREME_LOGIT,
    FULL,
    HALF,
    REDUCTIONS,
    ArgKinds,
    Case,
    LossCases,
    binary_targets,
    class_indices,
    logits,
    weights,
)

# ----------------------------------------------------------------- ZLPR


def _zlpr_cases(rng: np.random.Generator) -> list[Case]:
    lg, bt = logits, binary_targets
    C = 5
    edge = bt(rng, (4, C))
    edge[0] = 1.0  # no negatives: the negative term is exactly 0
    edge[1] = 0.0  # no positives
    return [
        Case("1d-0d", (lg(rng, (C,)), bt(rng, (C,))), tags=frozenset({"0d"})),
        Case("empty", (lg(rng, (0, C)), bt(rng, (0, C))),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d", (lg(rng, (6, C)), bt(rng, (6, C))), tags=frozenset({"2d"})),
        Case("2d-all-pos-all-neg-rows", (lg(rng, (4, C)), edge), tags=frozenset({"2d"})),
        Case("2d-int-target", (lg(rng, (6, C)), rng.integers(0, 2, size=(6, C))),
             tags=frozenset({"2d", "int-target"})),
        Case("2d-bool-target", (lg(rng, (6, C)), rng.integers(0, 2, size=(6, C)).astype(bool)),
             tags=frozenset({"2d", "bool-target"})),
        Case("nd", (lg(rng, (2, 3, 4)), bt(rng, (2, 3, 4))), tags=frozenset({"nd"})),
        Case("nd-axis1", (lg(rng, (2, 6, 3)), bt(rng, (2, 6, 3))), {"axis": 1},
             tags=frozenset({"nd"})),
    ]


def _zlpr_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * np.array([[1.0, -1.0, 0.5, -0.5], [-1.0, 1.0, 1.0, -1.0],
                          [1.0, 1.0, -1.0, -1.0]])
        y = np.array([[0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
        out += [
            Case(f"logits-pm{m:g}-wrong", (x, y), dtypes=dtypes, tags=frozenset({"2d"})),
            Case(f"logits-pm{m:g}-right", (x, 1.0 - y), dtypes=dtypes, tags=frozenset({"2d"})),
        ]
    return out


# ----------------------------------------------------------------- class-balanced


def _cb_loss_cases(rng: np.random.Generator) -> list[Case]:
    lg, ci = logits, class_indices
    C = 5
    counts = [40, 7, 120, 1, 15]
    return [
        Case("1d-0d-target", (lg(rng, (C,)), ci(rng, (), C)), {"samples_per_class": counts},
             tags=frozenset({"0d"})),
        Case("empty", (lg(rng, (0, C)), ci(rng, (0,), C)), {"samples_per_class": counts},
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d-focal", (lg(rng, (6, C)), ci(rng, (6,), C)), {"samples_per_class": counts},
             tags=frozenset({"2d"})),
        Case("2d-sigmoid", (lg(rng, (6, C)), ci(rng, (6,), C)),
             {"samples_per_class": counts, "loss_type": "sigmoid"}, tags=frozenset({"2d"})),
        Case("2d-softmax", (lg(rng, (6, C)), ci(rng, (6,), C)),
             {"samples_per_class": counts, "loss_type": "softmax"}, tags=frozenset({"2d"})),
        Case("2d-focal-gamma0.5-beta0.99", (lg(rng, (6, C)), ci(rng, (6,), C)),
             {"samples_per_class": counts, "gamma": 0.5, "beta": 0.99},
             tags=frozenset({"2d"})),
        Case("2d-beta0", (lg(rng, (6, C)), ci(rng, (6,), C)),
             {"samples_per_class": counts, "beta": 0.0}, tags=frozenset({"2d"})),
        Case("2d-int-counts-array", (lg(rng, (6, C)), ci(rng, (6,), C)),
             {"samples_per_class": np.array(counts, dtype=np.int64), "beta": 0.999},
             tags=frozenset({"2d"})),
        Case("2d-float-counts-array-softmax", (lg(rng, (6, C)), ci(rng, (6,), C)),
             {"samples_per_class": np.array([3.0, 9.0, 1.0, 30.0, 2.0]), "beta": 0.9,
              "loss_type": "softmax"}, tags=frozenset({"2d"})),
        Case("2d-zero-count", (lg(rng, (6, C)), ci(rng, (6,), C)),
             {"samples_per_class": [0, 7, 3, 1, 0], "beta": 0.9}, tags=frozenset({"2d"})),
        Case("nd-axis1-sigmoid", (lg(rng, (2, 4, 3)), ci(rng, (2, 3), 4)),
             {"samples_per_class": [5, 1, 2, 9], "axis": 1, "loss_type": "sigmoid",
              "beta": 0.99}, tags=frozenset({"nd"})),
        Case("nd-last-focal", (lg(rng, (2, 3, 4)), ci(rng, (2, 3), 4)),
             {"samples_per_class": [5, 1, 2, 9], "gamma": 1.0}, tags=frozenset({"nd"})),
        Case("nd-axis1-softmax", (lg(rng, (2, 4, 3)), ci(rng, (2, 3), 4)),
             {"samples_per_class": [5, 1, 2, 9], "axis": 1, "loss_type": "softmax"},
             tags=frozenset({"nd"})),
    ]


def _cb_loss_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * np.array([[1.0, -1.0, 0.5, -0.5], [-1.0, -1.0, 1.0, 0.0],
                          [1.0, 1.0, -1.0, -1.0]])
        y = np.array([1, 0, 2], dtype=np.int64)  # the true classes at the lowest logits
        for lt in ("focal", "sigmoid", "softmax"):
            out.append(Case(f"logits-pm{m:g}-{lt}", (x, y),
                            {"samples_per_class": [10, 1, 100, 3], "loss_type": lt},
                            dtypes=dtypes, tags=frozenset({"2d"})))
    return out


def _cb_weights_cases(rng: np.random.Generator) -> list[Case]:
    def counts(n: int) -> np.ndarray:
        return rng.integers(1, 500, size=(n,)).astype(np.float64)

    return [
        Case("empty", (np.zeros((0,)),), tags=frozenset({"empty"})),
        Case("1d", (counts(6),), tags=frozenset({"1d"})),
        Case("1d-beta0.99", (counts(6),), {"beta": 0.99}, tags=frozenset({"1d"})),
        Case("1d-beta0.5", (counts(4),), {"beta": 0.5}, tags=frozenset({"1d"})),
        Case("1d-beta0", (counts(4),), {"beta": 0.0}, tags=frozenset({"1d"})),
        Case("1d-zero-count", (np.array([0.0, 3.0, 1.0, 0.0, 50.0]),), {"beta": 0.9},
             tags=frozenset({"1d"})),
        Case("1d-one-class", (np.array([17.0]),), tags=frozenset({"1d"})),
        Case("1d-equal-counts", (np.full((3,), 25.0),), {"beta": 0.999},
             tags=frozenset({"1d"})),
    ]


def _cb_weights_extreme(rng: np.random.Generator) -> list[Case]:
    return [
        # β^n underflows to 0: every such class has the weight of (1 - β)
        Case("counts-1e9", (np.array([1e9, 1e6, 1.0, 0.0, 2e5]),), dtypes=FULL,
             tags=frozenset({"1d"})),
        Case("counts-1e9-beta-0.999999", (np.array([1e9, 1e6, 1.0, 0.0]),),
             {"beta": 0.999999}, dtypes=FULL, tags=frozenset({"1d"})),
        Case("counts-6e4", (np.array([60000.0, 1.0, 0.0, 2048.0]),), dtypes=HALF,
             tags=frozenset({"1d"})),
    ]


# ----------------------------------------------------------------- metrics


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
    ]


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
    ]


def _top_k_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = _ranked(rng, (4, 5), scale=m / 2.0)
        out.append(Case(f"scores-pm{m:g}-k2", (x, class_indices(rng, (4,), 5)), {"k": 2},
                        dtypes=dtypes, tags=frozenset({"2d"})))
    return out


# ----------------------------------------------------------------- entries


_Make = Callable[[np.random.Generator], list[Case]]
#: the package itself, by module path (a vendored copy under another name works too)
_PACKAGE = sys.modules[__name__.rsplit(".", 2)[0]]


def _make(name: str, make_cases: _Make, make_extreme: _Make, *,
          differentiable: tuple[int, ...] = (0,), reductions: tuple[str, ...] = REDUCTIONS,
          takes_reduction: bool = True,
          shape_tags: frozenset[str] = frozenset({"0d", "empty", "2d", "nd"}),
          kinds: ArgKinds | None = None) -> LossCases:
    return LossCases(name, getattr(_PACKAGE, name), differentiable, reductions, True,
                     make_cases, make_extreme, takes_reduction=takes_reduction,
                     shape_tags=shape_tags, kinds=kinds)


ENTRIES: dict[str, LossCases] = {
    "multilabel_categorical_crossentropy": _make(
        "multilabel_categorical_crossentropy", _zlpr_cases, _zlpr_extreme,
        kinds=ArgKinds("logits", "binary", "axis", {"axis": "axis"}, unit="sample",
                       min_ndim=1)),
    "class_balanced_loss": _make(
        "class_balanced_loss", _cb_loss_cases, _cb_loss_extreme,
        kinds=ArgKinds("logits", "index", "axis",
                       {"samples_per_class": "counts", "beta": "beta_cb", "gamma": "gamma",
                        "loss_type": ("focal", "sigmoid", "softmax"), "axis": "axis"},
                       unit="sample", min_ndim=1)),
    "class_balanced_weights": _make(
        "class_balanced_weights", _cb_weights_cases, _cb_weights_extreme, differentiable=(),
        reductions=("none",), takes_reduction=False,
        shape_tags=frozenset({"empty", "1d"}),
        kinds=ArgKinds("counts", None, options={"beta": "beta_cb", "like": "like"},
                       growth="bounded", min_ndim=1, max_ndim=1)),
    "hamming_loss": _make(
        "hamming_loss", _hamming_cases, _hamming_extreme, differentiable=(),
        reductions=("mean",), takes_reduction=False,
        shape_tags=frozenset({"empty", "1d", "2d", "nd"}),
        kinds=ArgKinds("scores", "binary",
                       options={"threshold": "threshold", "sample_weight": "sample_weight"},
                       growth="bounded", unit="batch", min_ndim=1)),
    "top_k_accuracy": _make(
        "top_k_accuracy", _top_k_cases, _top_k_extreme, differentiable=(),
        kinds=ArgKinds("scores", "index", "axis", {"k": "k", "axis": "axis"},
                       growth="bounded", unit="sample", min_ndim=1)),
}
