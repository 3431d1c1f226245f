"""Conformance spec entries of the classification family (``losses_xp/classification.py``).

Oracles (float64): PyTorch's ``torch.nn.functional`` cross-entropies (the class axis
moved to 1 where ours is elsewhere); for ``categorical_cross_entropy`` PyTorch's
cross-entropy of ``log(p)`` (its log-softmax renormalises ``p`` exactly as Keras does),
with Keras 3's ``categorical_crossentropy`` / ``sparse_categorical_crossentropy`` as
cross-checks at float32 accuracy.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._testing.backends import Backend
from losses_xp._testing.compare import TOLERANCES
from losses_xp._testing.inputs import (
    EXTREME_LOGIT,
    FULL,
    HALF,
    Case,
    binary_targets,
    class_indices,
    class_probabilities,
    log_probabilities,
    logits,
    probabilities,
    quantize,
    soft_class_targets,
    soft_targets,
    weights,
    with_ignored,
)

from .helpers import full_dtypes, grad_of, lazy, need_autodiff, on
from .registry import KERAS, Pinned, Tol, class_first, keras, np_reduce, torch, torch_spec

# --------------------------------------------------------------------------- cases: binary


def _binary_cases(pred: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray],
                  with_pos_weight: bool) -> Callable[[np.random.Generator], list[Case]]:
    def make(rng: np.random.Generator) -> list[Case]:
        bt, st = binary_targets, soft_targets
        cases = [
            Case("0d", (pred(rng, ()), bt(rng, ())), tags=frozenset({"0d"})),
            Case("empty", (pred(rng, (0, 4)), bt(rng, (0, 4))),
                 tags=frozenset({"empty", "nan-mean"}), grad=False),
            Case("1d", (pred(rng, (8,)), bt(rng, (8,))), tags=frozenset({"1d"})),
            Case("2d", (pred(rng, (4, 5)), bt(rng, (4, 5))), tags=frozenset({"2d"})),
            Case("2d-soft", (pred(rng, (4, 5)), st(rng, (4, 5))), tags=frozenset({"2d"})),
            Case("nd", (pred(rng, (2, 3, 4, 5)), st(rng, (2, 3, 4, 5))),
                 tags=frozenset({"nd"})),
            Case("bool-target", (pred(rng, (6,)), rng.integers(0, 2, size=(6,)).astype(bool)),
                 tags=frozenset({"1d", "bool-target"})),
            Case("2d-weight", (pred(rng, (4, 5)), st(rng, (4, 5))),
                 {"weight": weights(rng, (4, 5))}, tags=frozenset({"2d", "weight"})),
            Case("2d-weight-list", (pred(rng, (4, 5)), bt(rng, (4, 5))),
                 {"weight": [float(w) for w in weights(rng, (5,))]},
                 tags=frozenset({"2d", "weight"})),
        ]
        if with_pos_weight:
            cases += [
                Case("2d-pos-weight", (pred(rng, (4, 5)), bt(rng, (4, 5))),
                     {"pos_weight": weights(rng, (5,)) * 2.0},
                     tags=frozenset({"2d", "pos-weight"})),
                Case("2d-pos-weight-list-weight", (pred(rng, (4, 5)), st(rng, (4, 5))),
                     {"pos_weight": [float(w) for w in weights(rng, (5,)) * 2.0],
                      "weight": weights(rng, (4, 1))},
                     tags=frozenset({"2d", "pos-weight", "weight"})),
                Case("nd-pos-weight", (pred(rng, (2, 3, 4)), bt(rng, (2, 3, 4))),
                     {"pos_weight": weights(rng, (4,))},
                     tags=frozenset({"nd", "pos-weight"})),
            ]
        return cases
    return make


def _bce_extreme(rng: np.random.Generator) -> list[Case]:
    # probabilities exactly 0 and 1, against agreeing, disagreeing and soft targets
    p = np.array([[0.0, 1.0, 0.0, 1.0], [0.0, 1.0, 0.5, 1.0]])
    y = np.array([[0.0, 1.0, 1.0, 0.0], [0.3, 0.7, 1.0, 1.0]])
    return [
        Case("probs-0-and-1", (p, y), tags=frozenset({"2d"})),
        Case("probs-0-and-1-weight", (p, y), {"weight": weights(rng, (4,))},
             tags=frozenset({"2d", "weight"})),
        Case("prob-0-0d", (np.array(0.0), np.array(1.0)), tags=frozenset({"0d"})),
    ]


def _bce_logits_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * np.array([[1.0, -1.0, 1.0, -1.0], [1.0, -1.0, 0.5, -0.5]])
        y = np.array([[0.0, 1.0, 1.0, 0.0], [0.3, 0.7, 1.0, 0.0]])
        tag = f"{m:g}"
        out += [
            Case(f"logits-pm{tag}", (x, y), dtypes=dtypes, tags=frozenset({"2d"})),
            Case(f"logits-pm{tag}-pos-weight", (x, y), {"pos_weight": weights(rng, (4,)) * 3},
                 dtypes=dtypes, tags=frozenset({"2d", "pos-weight"})),
            # integer targets take the hard-target path softplus(±x) (chosen from the dtype)
            Case(f"logits-pm{tag}-int-target", (x, (y > 0.5).astype(np.int64)),
                 dtypes=dtypes, tags=frozenset({"2d", "int-target"})),
            Case(f"logits-pm{tag}-bool-target-pos-weight", (x, y > 0.5),
                 {"pos_weight": weights(rng, (4,)) * 3}, dtypes=dtypes,
                 tags=frozenset({"2d", "pos-weight", "bool-target"})),
        ]
    return out


# --------------------------------------------------------------------------- cases: multi-class


def _cross_entropy_cases(rng: np.random.Generator) -> list[Case]:
    lg, ci = logits, class_indices
    C = 5
    w = weights(rng, (C,))
    cases = [
        Case("1d-logits-0d-target", (lg(rng, (C,)), ci(rng, (), C)), tags=frozenset({"0d"})),
        Case("empty", (lg(rng, (0, C)), ci(rng, (0,), C)),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d", (lg(rng, (6, C)), ci(rng, (6,), C)), tags=frozenset({"2d"})),
        Case("nd-axis1", (lg(rng, (2, 3, 4, 5)), ci(rng, (2, 4, 5), 3)), {"axis": 1},
             tags=frozenset({"nd"})),
        Case("nd-last", (lg(rng, (2, 3, 4)), ci(rng, (2, 3), 4)), tags=frozenset({"nd"})),
        Case("2d-weight", (lg(rng, (6, C)), ci(rng, (6,), C)), {"weight": w},
             tags=frozenset({"2d", "class-weight"})),
        Case("2d-weight-list", (lg(rng, (6, C)), ci(rng, (6,), C)),
             {"weight": [float(v) for v in weights(rng, (C,))]},
             tags=frozenset({"2d", "class-weight"})),
        Case("2d-ignore", (lg(rng, (8, C)), with_ignored(rng, ci(rng, (8,), C), -100)),
             tags=frozenset({"2d", "ignore"})),
        Case("2d-ignore-in-range", (lg(rng, (8, C)), ci(rng, (8,), C)), {"ignore_index": 2},
             tags=frozenset({"2d", "ignore"})),
        Case("2d-weight-ignore", (lg(rng, (8, C)), with_ignored(rng, ci(rng, (8,), C), 7)),
             {"weight": w, "ignore_index": 7}, tags=frozenset({"2d", "class-weight", "ignore"})),
        Case("2d-smoothing", (lg(rng, (6, C)), ci(rng, (6,), C)), {"label_smoothing": 0.1},
             tags=frozenset({"2d", "smoothing"})),
        Case("nd-axis1-weight-ignore-smoothing",
             (lg(rng, (2, 4, 3, 2)), with_ignored(rng, ci(rng, (2, 3, 2), 4), -100)),
             {"axis": 1, "weight": weights(rng, (4,)), "label_smoothing": 0.2},
             tags=frozenset({"nd", "class-weight", "ignore", "smoothing"})),
        Case("probs-target-1d", (lg(rng, (C,)), soft_class_targets(rng, (C,))),
             tags=frozenset({"1d", "probs-target"})),
        Case("probs-target-2d", (lg(rng, (6, C)), soft_class_targets(rng, (6, C))),
             tags=frozenset({"2d", "probs-target"})),
        Case("probs-target-zeros", (lg(rng, (6, C)), soft_class_targets(rng, (6, C), zeros=True)),
             tags=frozenset({"2d", "probs-target"})),
        Case("probs-target-nd-axis1",
             (lg(rng, (2, 3, 4)), soft_class_targets(rng, (2, 3, 4), axis=1)), {"axis": 1},
             tags=frozenset({"nd", "probs-target"})),
        Case("probs-target-weight-smoothing",
             (lg(rng, (6, C)), soft_class_targets(rng, (6, C))),
             {"weight": weights(rng, (C,)), "label_smoothing": 0.15},
             tags=frozenset({"2d", "probs-target", "weight", "smoothing"})),
        Case("all-ignored", (lg(rng, (4, C)), np.full((4,), -100, dtype=np.int64)),
             tags=frozenset({"2d", "ignore", "nan-mean"}), grad=False),
    ]
    return cases


def _cross_entropy_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * np.array([[1.0, -1.0, 0.5, -0.5], [-1.0, -1.0, 1.0, 0.0],
                          [1.0, 1.0, -1.0, -1.0]])
        y = np.array([1, 0, 2], dtype=np.int64)  # targets at very low probabilities
        t = np.array([[0.0, 1.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.5], [0.25, 0.25, 0.25, 0.25]])
        tag = f"{m:g}"
        out += [
            Case(f"logits-pm{tag}", (x, y), dtypes=dtypes, tags=frozenset({"2d"})),
            Case(f"logits-pm{tag}-smoothing-weight", (x, y),
                 {"label_smoothing": 0.1, "weight": weights(rng, (4,))},
                 dtypes=dtypes, tags=frozenset({"2d", "smoothing", "class-weight"})),
            Case(f"logits-pm{tag}-probs-target", (x, t), dtypes=dtypes,
                 tags=frozenset({"2d", "probs-target"})),
            Case(f"logits-pm{tag}-nd-axis1",
                 (m * rng.choice([-1.0, 1.0], size=(2, 3, 2)), class_indices(rng, (2, 2), 3)),
                 {"axis": 1}, dtypes=dtypes, tags=frozenset({"nd"})),
        ]
    # -inf logits with zero target probability contribute exactly 0
    xi = np.array([[-np.inf, 1.0, 2.0], [0.5, -np.inf, -np.inf]])
    ti = np.array([[0.0, 0.4, 0.6], [1.0, 0.0, 0.0]])
    out += [
        Case("neg-inf-logits-probs-target", (xi, ti), tags=frozenset({"2d", "probs-target"})),
        Case("neg-inf-logits-index-target", (xi, np.array([2, 0])), tags=frozenset({"2d"})),
    ]
    return out


def _nll_cases(rng: np.random.Generator) -> list[Case]:
    lp, ci = log_probabilities, class_indices
    C = 5
    return [
        Case("1d-0d-target", (lp(rng, (C,)), ci(rng, (), C)), tags=frozenset({"0d"})),
        Case("empty", (lp(rng, (0, C)), ci(rng, (0,), C)),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d", (lp(rng, (6, C)), ci(rng, (6,), C)), tags=frozenset({"2d"})),
        Case("nd-axis1", (lp(rng, (2, 3, 4, 5), axis=1), ci(rng, (2, 4, 5), 3)), {"axis": 1},
             tags=frozenset({"nd"})),
        Case("2d-weight", (lp(rng, (6, C)), ci(rng, (6,), C)), {"weight": weights(rng, (C,))},
             tags=frozenset({"2d", "class-weight"})),
        Case("2d-ignore", (lp(rng, (8, C)), with_ignored(rng, ci(rng, (8,), C), -100)),
             tags=frozenset({"2d", "ignore"})),
        Case("nd-axis1-weight-ignore",
             (lp(rng, (2, 4, 3), axis=1), with_ignored(rng, ci(rng, (2, 3), 4), 1)),
             {"axis": 1, "weight": [float(v) for v in weights(rng, (4,))], "ignore_index": 1},
             tags=frozenset({"nd", "class-weight", "ignore"})),
        Case("all-ignored", (lp(rng, (4, C)), np.full((4,), -100, dtype=np.int64)),
             tags=frozenset({"2d", "ignore", "nan-mean"}), grad=False),
    ]


def _nll_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * np.array([[1.0, -1.0, 0.5], [-1.0, -1.0, 1.0]])
        lp = x - np.max(x, axis=-1, keepdims=True)
        lp = lp - np.log(np.sum(np.exp(lp), axis=-1, keepdims=True))
        out.append(Case(f"log-probs-of-logits-pm{m:g}", (lp, np.array([1, 0])), dtypes=dtypes,
                        tags=frozenset({"2d"})))
    lpi = np.array([[-np.inf, np.log(0.5), np.log(0.5)], [0.0, -np.inf, -np.inf]])
    out.append(Case("neg-inf-log-probs-elsewhere", (lpi, np.array([1, 0])),
                    tags=frozenset({"2d"})))
    return out


def _categorical_cases(rng: np.random.Generator) -> list[Case]:
    cp, ci = class_probabilities, class_indices
    C = 5

    def onehot(t: np.ndarray, n: int, axis: int = -1) -> np.ndarray:
        return np.moveaxis(np.eye(n)[t], -1, axis)

    return [
        Case("1d-onehot", (cp(rng, (C,)), onehot(ci(rng, (), C), C)), tags=frozenset({"1d"})),
        Case("1d-0d-index", (cp(rng, (C,)), ci(rng, (), C)), tags=frozenset({"0d"})),
        Case("empty", (cp(rng, (0, C)), np.zeros((0, C))),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d-onehot", (cp(rng, (6, C)), onehot(ci(rng, (6,), C), C)),
             tags=frozenset({"2d", "probs-target"})),
        Case("2d-soft", (cp(rng, (6, C)), soft_class_targets(rng, (6, C), zeros=True)),
             tags=frozenset({"2d", "probs-target"})),
        Case("2d-index", (cp(rng, (6, C)), ci(rng, (6,), C)), tags=frozenset({"2d"})),
        Case("2d-unnormalised", (cp(rng, (6, C)) * 0.7, soft_class_targets(rng, (6, C))),
             tags=frozenset({"2d", "probs-target"})),
        Case("nd-axis1-soft", (cp(rng, (2, 3, 4, 5), axis=1),
                               soft_class_targets(rng, (2, 3, 4, 5), axis=1)), {"axis": 1},
             tags=frozenset({"nd", "probs-target"})),
        Case("nd-axis1-index", (cp(rng, (2, 3, 4), axis=1), ci(rng, (2, 4), 3)), {"axis": 1},
             tags=frozenset({"nd"})),
        Case("2d-smoothing-soft", (cp(rng, (6, C)), soft_class_targets(rng, (6, C))),
             {"label_smoothing": 0.1}, tags=frozenset({"2d", "probs-target", "smoothing"})),
        Case("2d-smoothing-index", (cp(rng, (6, C)), ci(rng, (6,), C)),
             {"label_smoothing": 0.2}, tags=frozenset({"2d", "smoothing"})),
    ]


def _categorical_extreme(rng: np.random.Generator) -> list[Case]:
    p = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.5, 0.5]])
    return [
        Case("probs-0-and-1-index", (p, np.array([1, 1, 0])), tags=frozenset({"2d"})),
        Case("probs-0-and-1-soft", (p, np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0],
                                                 [0.2, 0.0, 0.8]])),
             tags=frozenset({"2d", "probs-target"})),
        Case("probs-0-and-1-smoothing", (p, np.array([2, 1, 0])), {"label_smoothing": 0.1},
             tags=frozenset({"2d", "smoothing"})),
    ]


# --------------------------------------------------------------------------- oracles


def _bce_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    F = torch().nn.functional
    return F.binary_cross_entropy(t[0], t[1].to(t[0].dtype), weight=kw.get("weight"),
                                  reduction=reduction)


def _bce_logits_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    F = torch().nn.functional
    return F.binary_cross_entropy_with_logits(
        t[0], t[1].to(t[0].dtype), weight=kw.get("weight"), pos_weight=kw.get("pos_weight"),
        reduction=reduction)


def _cross_entropy_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    F = torch().nn.functional
    logits, target = t[0], t[1]
    axis = int(kw.get("axis", -1))
    x = class_first(logits, axis, logits.ndim)
    if target.is_floating_point():  # probability targets
        target = class_first(target, axis, logits.ndim)
    return F.cross_entropy(x, target, weight=kw.get("weight"),
                           ignore_index=int(kw.get("ignore_index", -100)),
                           label_smoothing=float(kw.get("label_smoothing", 0.0)),
                           reduction=reduction)


def _nll_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    F = torch().nn.functional
    log_probs = t[0]
    x = class_first(log_probs, int(kw.get("axis", -1)), log_probs.ndim)
    return F.nll_loss(x, t[1], weight=kw.get("weight"),
                      ignore_index=int(kw.get("ignore_index", -100)), reduction=reduction)


def _categorical_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """``torch.nn.functional.cross_entropy`` of ``log(p)``: its log-softmax of
    ``log p`` is ``log(p / Σp)``, i.e. exactly Keras's renormalisation, with PyTorch's
    ε/C label smoothing and both target kinds (class axis moved to 1).  PyTorch does
    not clip: the cases keep probabilities in the interior where clipping is inactive.
    """
    F = torch().nn.functional
    probs, target = t[0], t[1]
    axis = int(kw.get("axis", -1))
    x = class_first(torch().log(probs), axis, probs.ndim)
    if target.is_floating_point():
        target = class_first(target, axis, probs.ndim)
    return F.cross_entropy(x, target, label_smoothing=float(kw.get("label_smoothing", 0.0)),
                           reduction=reduction)


def _categorical_keras(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                       reduction: str) -> np.ndarray:
    """``keras.losses.categorical_crossentropy`` (class axis moved last; index targets
    one-hot encoded, which is what ``sparse_categorical_crossentropy`` does and lets
    Keras apply ``label_smoothing``), then the mean over samples."""
    k = keras()
    probs, target = np.asarray(args[0], np.float64), np.asarray(args[1])
    axis = int(kwargs.get("axis", -1)) % probs.ndim
    p = np.moveaxis(probs, axis, -1)
    c = p.shape[-1]
    if target.dtype.kind in "iu":
        y = np.eye(c)[target]
    else:
        y = np.moveaxis(target.astype(np.float64), axis, -1)
    loss = k.losses.CategoricalCrossentropy(
        label_smoothing=float(kwargs.get("label_smoothing", 0.0)), reduction=None,
        dtype="float64")
    value = np.asarray(loss(y, p), dtype=np.float64)
    return np_reduce(value.reshape(p.shape[:-1]), reduction)


def _sparse_categorical_keras(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                              reduction: str) -> np.ndarray | None:
    """``keras.losses.sparse_categorical_crossentropy`` for index targets without
    smoothing (a cross-check of the one-hot route above)."""
    target = np.asarray(args[1])
    if target.dtype.kind not in "iu" or kwargs.get("label_smoothing", 0.0) or target.ndim == 0:
        return None
    k = keras()
    axis = int(kwargs.get("axis", -1)) % args[0].ndim
    p = np.moveaxis(np.asarray(args[0], np.float64), axis, -1)
    loss = k.losses.SparseCategoricalCrossentropy(reduction=None, dtype="float64")
    value = np.asarray(loss(target, p), np.float64)
    return np_reduce(value.reshape(p.shape[:-1]), reduction)


# --------------------------------------------------------------------------- specs

_PINNED_CATEGORICAL_CROSS_ENTROPY = (
    Pinned("0d-result-is-an-array", (np.array([1.0]), np.array(0)), {"axis": 0},
           value="oracle", reductions=("sum",)),
)

_PINNED_NLL_LOSS = (
    # Dask cannot reshape an empty N-d array: take_class's reshapes raised there
    Pinned("empty-mean-is-nan", (np.zeros((1, 2, 0)), np.zeros((2, 0), dtype=np.int64)),
           {"axis": 0, "weight": np.array([1.3642578125])}, value=np.nan,
           reductions=("mean",)),
    # a loss of exactly 0 was -0.0 (a negated log-probability of 0); PyTorch's fused
    # nll_loss keeps its own -0.0 (docs/numerics.md)
    Pinned("zero-loss-is-positive-zero", (np.array([0.0]), np.array(0)), value=0.0,
           torch_negative_zero=True),
)

_PINNED_CROSS_ENTROPY = (
    # a loss of exactly 0 was -0.0 (a negated log-probability of 0): the generic formulas
    # give +0; PyTorch's fused cross_entropy keeps its own -0.0 (docs/numerics.md)
    Pinned("zero-loss-is-positive-zero-axis0", (np.array([[0.125732421875]]), np.array([0])),
           {"axis": 0}, value=0.0, torch_negative_zero=True),
    Pinned("zero-loss-is-positive-zero-confident", (np.array([[1e4, 0.0, -1e4]]),
                                                     np.array([0])),
           value=0.0, torch_negative_zero=True),
    Pinned("zero-loss-is-positive-zero-probs", (np.array([[0.5]]), np.array([[1.0]])),
           value=0.0),
    Pinned("zero-loss-is-positive-zero-smoothing-0", (np.array([[1e4, 0.0]]), np.array([0])),
           {"label_smoothing": 0.0}, value=0.0, torch_negative_zero=True),
)

_PINNED_BINARY_CROSS_ENTROPY_WITH_LOGITS = (
    # logits in both tails with soft (floating) targets of 0 and 1: the gradient there is
    # σ(x) - y ≈ ∓2.06e-9 at |x| = 20 in float32, far below the O(1) terms that a
    # max(x, 0) + log1p(exp(-|x|)) form sums it with (which once returned exactly 0 under
    # jax.grad and torch.compile); relative 1e-5, no absolute floor
    Pinned("tail-gradients-are-exact", (np.array([20.0, -20.0, 15.0, -15.0, 0.5]),
                                        np.array([1.0, 0.0, 1.0, 0.0, 1.0])),
           value="oracle", grad="oracle", reductions=("sum",), dtypes=("float32",),
           tol=Tol(1e-5, 0.0), grad_tol=Tol(1e-5, 0.0), compiled=True),
)

SPECS = [
    torch_spec("binary_cross_entropy", _bce_torch, "torch.nn.functional.binary_cross_entropy",
               _binary_cases(probabilities, with_pos_weight=False), _bce_extreme,
               differences="PyTorch clamps each log at -100, we clamp p to "
               "[eps, 1 - eps] with eps = finfo(dtype).eps: they differ only when p is "
               "within eps of 0 or 1, so value cases draw p from [0.02, 0.98]; p in "
               "{0, 1} is only checked for finiteness (extreme cases).",
               extreme_oracle=False),
    torch_spec("binary_cross_entropy_with_logits", _bce_logits_torch,
               "torch.nn.functional.binary_cross_entropy_with_logits",
               _binary_cases(logits, with_pos_weight=True), _bce_logits_extreme,
               pinned=_PINNED_BINARY_CROSS_ENTROPY_WITH_LOGITS),
    torch_spec("cross_entropy", _cross_entropy_torch, "torch.nn.functional.cross_entropy",
               _cross_entropy_cases, _cross_entropy_extreme,
               differences="PyTorch needs the class axis at 1: the oracle moves it. "
               "PyTorch gives NaN for a -inf logit whose target probability is 0 "
               "(0 · -inf); we give 0: checked against PyTorch on the finite classes "
               "(a pinned value).",
        pinned=_PINNED_CROSS_ENTROPY),
    torch_spec("nll_loss", _nll_torch, "torch.nn.functional.nll_loss", _nll_cases,
               _nll_extreme,
               differences="PyTorch needs the class axis at 1: the oracle moves it.",
        pinned=_PINNED_NLL_LOSS),
    torch_spec("categorical_cross_entropy", _categorical_torch,
               "torch.nn.functional.cross_entropy(log(probs))",
               _categorical_cases, _categorical_extreme,
               differences="Keras's categorical_crossentropy is the model, but its NumPy "
               "backend computes in float32: the float64 oracle is PyTorch's "
               "cross-entropy of log(p) (its log-softmax renormalises p exactly like "
               "Keras), Keras is a cross-check at float32 accuracy. Keras clips with a "
               "fixed 1e-7, we with finfo(dtype).eps, PyTorch not at all: the value "
               "cases keep probabilities in the interior (softmax rows, entries > 0.005); "
               "exact 0/1 probabilities are only checked for finiteness. Keras's label "
               "smoothing uses the size of the last axis: its oracle moves the class axis "
               "last.",
               extreme_oracle=False,
               cross_checks=(("keras.losses.categorical_crossentropy (NumPy backend)",
                              _categorical_keras, KERAS),
                             ("keras.losses.sparse_categorical_crossentropy (NumPy backend)",
                              _sparse_categorical_keras, KERAS)),
        pinned=_PINNED_CATEGORICAL_CROSS_ENTROPY),
]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_bce_with_logits_1e4_is_7000_exactly(bk: Backend, reduction: str) -> None:
    for dtype in full_dtypes(bk):
        for shape in [(), (1,)]:
            x = bk.asarray(np.full(shape, 1e4), dtype)
            y = bk.asarray(np.full(shape, 0.3), dtype)
            out = lazy(bk, lx.binary_cross_entropy_with_logits, x, y, reduction=reduction)
            assert bk.dtype_name(out) == dtype
            got = bk.to_numpy(out)
            if dtype == "float32":  # exactly, as published
                assert np.all(got == 7000.0), got
            else:  # (1 - 0.3) · 1e4 in float64 rounding
                np.testing.assert_allclose(got, 7000.0, rtol=1e-15, atol=0)


def test_bce_with_logits_tail_is_exact(bk: Backend) -> None:
    want = math.log1p(math.exp(-20.0))  # 2.0611536181902037e-09
    for dtype in full_dtypes(bk):
        x = bk.asarray(np.array([-20.0]), dtype)
        y = bk.asarray(np.array([0.0]), dtype)
        got = bk.to_numpy(lazy(bk, lx.binary_cross_entropy_with_logits, x, y,
                                reduction="none"))
        np.testing.assert_allclose(got, [want], rtol=1e-6, atol=0, err_msg=dtype)
        # and the mirrored tail: x = 20, y = 1
        got = bk.to_numpy(lazy(bk, lx.binary_cross_entropy_with_logits, -x,
                                bk.asarray(np.array([1.0]), dtype), reduction="sum"))
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=0, err_msg=dtype)


@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weight"])
def test_cross_entropy_all_ignored(bk: Backend, weighted: bool) -> None:
    rng = np.random.default_rng(4)
    for dtype in bk.dtypes:
        x = bk.asarray(rng.normal(size=(3, 4)), dtype)
        y = bk.asarray(np.full((3,), -100, dtype=np.int64))
        kw: dict[str, Any] = {"weight": [1.0, 2.0, 3.0, 4.0]} if weighted else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy reports the 0/0
            mean = bk.to_numpy(lazy(bk, lx.cross_entropy, x, y, reduction="mean", **kw))
            total = bk.to_numpy(lazy(bk, lx.cross_entropy, x, y, reduction="sum", **kw))
            none = bk.to_numpy(lazy(bk, lx.cross_entropy, x, y, reduction="none", **kw))
        assert np.isnan(mean), (dtype, mean)
        assert total == 0.0, (dtype, total)
        np.testing.assert_array_equal(none, np.zeros(3), err_msg=dtype)


_NEG_INF_X = np.array([[-np.inf, 1.0, 2.0], [0.5, -np.inf, -np.inf], [-np.inf, 0.0, 3.0]])


_NEG_INF_T = np.array([[0.0, 0.4, 0.6], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def _neg_inf_expected(dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's cross-entropy on each row's finite classes (value and gradient)."""
    import torch

    x = quantize(_NEG_INF_X, dtype)
    t = quantize(_NEG_INF_T, dtype)
    values, grads = [], np.zeros_like(x)
    for i in range(x.shape[0]):
        keep = np.isfinite(x[i])
        xi = torch.tensor(x[i][keep], dtype=torch.float64, requires_grad=True)
        loss = torch.nn.functional.cross_entropy(xi, torch.tensor(t[i][keep]))
        (g,) = torch.autograd.grad(loss, xi)
        values.append(loss.item())
        grads[i][keep] = g.numpy()
    return np.array(values), grads


def test_neg_inf_logits_with_zero_target_contribute_zero(bk: Backend) -> None:
    for dtype in bk.dtypes:
        want, _ = _neg_inf_expected(dtype)
        x, t = bk.asarray(_NEG_INF_X, dtype), bk.asarray(_NEG_INF_T, dtype)
        got = bk.to_numpy(lazy(bk, lx.cross_entropy, x, t, reduction="none"))
        assert np.all(np.isfinite(got)), (dtype, got)
        assert got[1] == 0.0, (dtype, got)
        tol = TOLERANCES[dtype]
        np.testing.assert_allclose(got, want, rtol=tol.rtol, atol=tol.atol, err_msg=dtype)


def test_neg_inf_logits_gradient(bk: Backend) -> None:
    need_autodiff(bk)
    for dtype in bk.dtypes:
        _, want = _neg_inf_expected(dtype)
        x, t = bk.asarray(_NEG_INF_X, dtype), bk.asarray(_NEG_INF_T, dtype)
        value, (g,) = bk.value_and_grad(
            lambda a, b: lx.cross_entropy(a, b, reduction="sum"), [x, t], [0])
        assert np.isfinite(value)
        tol = TOLERANCES[dtype]
        np.testing.assert_allclose(g, want, rtol=tol.rtol, atol=tol.atol, err_msg=dtype)


def test_regression_log_softmax_of_large_equal_logits(bk: Backend) -> None:
    """The generic log-softmax was x - logsumexp(x), whose m + log s rounds at the
    magnitude of the maximum m: two float16 logits of 65504 got probabilities 0.5009
    (computed in float32) and two float32 logits of 1e30 probabilities 1 (a loss of 0
    for log 2).  PyTorch's float64 cross_entropy and the exact sigmoid(0) = 1/2 are the
    oracles."""
    import torch
    import torch.nn.functional as F

    x = np.array([[1e30, 1e30, -1e30]])
    t = np.array([[1.0, 0.0, 0.0]])
    want = F.cross_entropy(torch.tensor(x), torch.tensor(t)).item()  # log 2
    got = bk.to_numpy(lx.cross_entropy(*on(bk, (x, t), "float32")))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    if "float16" in bk.dtypes:
        # the fuzzer's example: class 1 holds two logits of 65504 (sample 1 is class 1)
        s = np.array([[8232.0, -8656.0, 41952.0, 6872.0, -35104.0],
                      [23680.0, 65504.0, 62048.0, -46112.0, -65504.0],
                      [-40832.0, 2708.0, -65504.0, -14328.0, -65504.0],
                      [-47968.0, -35648.0, -20720.0, 26960.0, 65504.0],
                      [-8416.0, 65504.0, -43584.0, 23024.0, 59168.0]])
        tp, *_ = lx.soft_confusion_matrix(*on(bk, (s, np.array([3, 1, 2, 4, 4])), "float16"),
                                          axis=0, from_logits=True)
        # p = 1/2 for sample 1 in class 1, and A(1/2) = sigmoid(0) = 1/2
        np.testing.assert_allclose(bk.to_numpy(tp)[1], 0.5, rtol=1e-3)


def test_regression_nll_loss_4d_class_axis_0_gradient(bk: Backend) -> None:
    """PyTorch's 4-d nll_loss backward raised "grad_input must be contiguous" for the
    view that moves the class axis 0 to 1.  Oracle: PyTorch autograd in float64 on a
    contiguous (N, C, H, W) copy."""
    import torch
    import torch.nn.functional as F

    if not bk.autodiff:
        pytest.skip(f"{bk.name} has no autodiff: gradients are checked on torch and jax")
    lp = np.array([[[[-1.3349609375]], [[-0.9580078125]]], [[[-0.305419921875]],
                                                             [[-0.48388671875]]]])
    y = np.array([[[0]], [[1]]])
    for dtype in ("float16", "float32"):
        q = quantize(lp, dtype)
        z = torch.tensor(q, requires_grad=True)
        F.nll_loss(torch.movedim(z, 0, 1).contiguous(), torch.tensor(y), reduction="sum").backward()
        target = bk.asarray(y)
        g = grad_of(bk, lambda v, target=target: lx.nll_loss(v, target, axis=0, reduction="sum"),
                  bk.asarray(q, dtype))
        np.testing.assert_allclose(g, z.grad.numpy(), rtol=1e-3, err_msg=dtype)
