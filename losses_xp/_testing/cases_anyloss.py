"""Catalogue entries (see :mod:`losses_xp._testing.cases`) of the anyloss family.

``soft_confusion_matrix`` has no ``reduction`` and returns four arrays: its entry has
``takes_reduction=False`` (the one reduction listed is ``"none"``) and
``tuple_output=True`` (the counts are compared stacked, shape ``(4,)`` or ``(4, C)``).

Probabilities are drawn from [0.02, 0.98] (the value cases) and the steep part of
:math:`A(p)` (|p - 0.5| < 0.05 at L = 73) is where the loss is most sensitive to the
input rounding of half precision; the oracle receives the rounded inputs, so that is
measured exactly.  The ``hard-L1e4`` cases keep |p - 0.5| >= 0.05 so that
:math:`A(p)` is the 0/1 prediction to float64 precision (scikit-learn cross-check); their gradient
(below 1e-100) is not compared (``grad=False``).
"""

from __future__ import annotations

import numpy as np

from ..anyloss import METRICS, any_loss, soft_confusion_matrix
from .cases import (
    FULL,
    HALF,
    REDUCTIONS,
    ArgKinds,
    Case,
    LossCases,
    binary_targets,
    class_indices,
    class_probabilities,
    logits,
    probabilities,
    soft_targets,
)

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


_COUNT_OPTIONS = {"L": "steepness", "axis": "axis_or_none", "from_logits": "flag"}

ENTRIES: dict[str, LossCases] = {
    "soft_confusion_matrix": LossCases(
        "soft_confusion_matrix", soft_confusion_matrix, (0,), ("none",), False,
        _scm_cases, _extreme, takes_reduction=False, tuple_output=True,
        kinds=ArgKinds("probs_or_logits", "binary_or_index", "optional", _COUNT_OPTIONS,
                       growth="bounded", unit="class")),
    "any_loss": LossCases(
        "any_loss", any_loss, (0,), REDUCTIONS, True, _any_cases, _any_extreme,
        kinds=ArgKinds("probs_or_logits", "binary_or_index", "optional",
                       {**_COUNT_OPTIONS, "metric": METRICS, "beta": "positive",
                        "average": ("macro", "micro")},
                       growth="bounded", unit="class")),
}
