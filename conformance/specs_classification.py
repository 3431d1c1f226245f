"""Conformance spec entries of the multi-class cross-entropies (``losses_xp/classification.py``).

Oracles (float64): PyTorch's ``torch.nn.functional`` cross-entropies (the class axis
moved to 1 where ours is elsewhere); for ``categorical_cross_entropy`` PyTorch's
cross-entropy of ``log(p)`` (its log-softmax renormalises ``p`` exactly as Keras does),
with Keras 3's ``categorical_crossentropy`` / ``sparse_categorical_crossentropy`` as
cross-checks at float32 accuracy.  The binary cross-entropies of the same module are in
``specs_binary.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from losses_xp._compat import default_float
from losses_xp._testing.backends import Backend
from losses_xp._testing.compare import TOLERANCES
from losses_xp._testing.inputs import (
    EPS,
    EXTREME_LOGIT,
    FULL,
    HALF,
    Case,
    class_indices,
    class_probabilities,
    extreme_class_logits,
    log_probabilities,
    logits,
    soft_class_targets,
    weights,
    with_ignored,
)

from .helpers import close, compiled_call, lazy
from .registry import (
    EXACT,
    KERAS,
    Pinned,
    Tol,
    class_first,
    from_torch,
    keras,
    np_reduce,
    spec,
    t_reduce,
    torch,
    torch_spec,
)

# --------------------------------------------------------------------------- cases


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
    # a contiguous copy: PyTorch's 4-d nll_loss backward raises "grad_input must be
    # contiguous" for the view that moves a class axis 0 to 1
    x = class_first(log_probs, int(kw.get("axis", -1)), log_probs.ndim).contiguous()
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


def _categorical_clipped(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                         reduction: str, dtype: str) -> np.ndarray:
    """The extreme cases' oracle: Keras's ``categorical_crossentropy`` (which renormalises
    and clips as we do) with its clip epsilon set to finfo(dtype).eps of the dtype under
    test, our one documented difference (Keras's fixed 1e-7 is 0 for 1 - eps in half
    precision)."""
    k = keras()
    old = k.config.epsilon()
    k.config.set_epsilon(EPS[dtype])
    try:
        return _categorical_keras(args, kwargs, reduction)
    finally:
        k.config.set_epsilon(old)


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


# ---------------------------------------------------------- generalized cross-entropy


def _index_shape_cases(rng: np.random.Generator) -> list[Case]:
    """Logits with class indices in every shape a class-axis loss takes: 0-d target,
    empty batch, 2-d, N-d with axis=1 and the last axis, an int32 target."""
    lg, ci, c = logits, class_indices, 5
    t2 = frozenset({"2d"})
    return [
        Case("1d-logits-0d-target", (lg(rng, (c,)), ci(rng, (), c)), tags=frozenset({"0d"})),
        Case("empty", (lg(rng, (0, c)), ci(rng, (0,), c)),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d", (lg(rng, (6, c)), ci(rng, (6,), c)), tags=t2),
        Case("nd-axis1", (lg(rng, (2, 3, 4, 5)), ci(rng, (2, 4, 5), 3)), {"axis": 1},
             tags=frozenset({"nd"})),
        Case("nd-last", (lg(rng, (2, 3, 4)), ci(rng, (2, 3), 4)), tags=frozenset({"nd"})),
        Case("2d-int32-target", (lg(rng, (6, c)), ci(rng, (6,), c).astype(np.int32)), tags=t2),
    ]


def _gce_cases(rng: np.random.Generator) -> list[Case]:
    lg, ci, c = logits, class_indices, 5
    t2 = frozenset({"2d"})
    return [
        *_index_shape_cases(rng),
        *(Case(f"2d-q-{q:g}", (lg(rng, (6, c)), ci(rng, (6,), c)), {"q": q}, tags=t2)
          for q in (1e-3, 0.3, 1.0)),
    ]


def _gce_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x, y = extreme_class_logits(m)  # wrong, right, wrong, right
        out += [Case(f"logits-pm{m:g}-q-{q:g}", (x, y), {"q": q}, dtypes=dtypes,
                     tags=frozenset({"2d"})) for q in (0.1, 0.7, 1.0)]
    return out


def _gce_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """The definition (1 - p_y ** q) / q, p = torch.softmax in float64 (Zhang & Sabuncu
    2018, Eq. 6); one value per sample."""
    th = torch()
    logits, target = t[0], t[1].to(th.int64)
    q = float(kw.get("q", 0.7))
    axis = int(kw.get("axis", -1)) % logits.ndim
    p = th.softmax(logits, axis)
    p_y = th.take_along_dim(p, target.unsqueeze(axis), axis).squeeze(axis)
    loss = (1.0 - p_y ** q) / q
    return loss.mean() if reduction == "mean" else (loss.sum() if reduction == "sum" else loss)


def _gce_keras(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
               reduction: str) -> np.ndarray | None:
    """``keras.losses.categorical_generalized_cross_entropy`` of the softmax
    probabilities (class axis last; Keras takes q in (0, 1): q = 1 is left out, and so
    is q < 0.1, where its float32 1 - p ** q cancels beyond the cross-check's
    tolerance)."""
    q = float(kwargs.get("q", 0.7))
    target = np.asarray(args[1])
    if not 0.1 <= q < 1.0 or target.ndim == 0 or target.size == 0:
        return None
    from scipy.special import softmax

    axis = int(kwargs.get("axis", -1)) % args[0].ndim
    p = softmax(np.moveaxis(np.asarray(args[0], np.float64), axis, -1), axis=-1)
    k = keras()
    value = np.asarray(k.losses.categorical_generalized_cross_entropy(
        target.reshape(-1), p.reshape(-1, p.shape[-1]), q), np.float64)
    return np_reduce(value.reshape(p.shape[:-1]), reduction)


def _cross_entropy_value(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                         reduction: str, dtype: str) -> np.ndarray:
    """PyTorch's cross-entropy of the same (rounded) logits in float64: the limit q -> 0."""
    th = torch()
    x = th.asarray(np.asarray(args[0], np.float64))
    return np.asarray(th.nn.functional.cross_entropy(
        x, th.asarray(args[1]), reduction=reduction).numpy())


_PINNED_GCE = (
    # q -> 0: the cross-entropy (relative 1e-6 at q = 1e-8 in float64: -expm1(q l)/q = -l
    # (1 + q l / 2 + ...))
    Pinned("q-to-0-is-cross-entropy", (np.random.default_rng(11).normal(0.0, 2.0, (5, 4)),
                                       np.array([0, 3, 1, 2, 2])),
           {"q": 1e-8}, value=_cross_entropy_value, reductions=("none", "mean"),
           dtypes=("float64",), tol=Tol(1e-6, 0.0)),
    # q = 1: the probabilities' absolute error 1 - p_y
    Pinned("q-1-is-one-minus-p", (np.array([[0.0, 0.0]]), np.array([1])), {"q": 1.0},
           value=0.5, reductions=("none",)),
)


# --------------------------------------------------------------------------- Poly-1


def _poly1_cases(rng: np.random.Generator) -> list[Case]:
    lg, ci, st, c = logits, class_indices, soft_class_targets, 5
    t2 = frozenset({"2d"})
    p2 = frozenset({"2d", "probs-target"})
    return [
        *_index_shape_cases(rng),
        Case("probs-target-1d", (lg(rng, (c,)), st(rng, (c,))),
             tags=frozenset({"1d", "probs-target"})),
        Case("probs-target-2d", (lg(rng, (6, c)), st(rng, (6, c))), tags=p2),
        Case("probs-target-zeros", (lg(rng, (6, c)), st(rng, (6, c), zeros=True)), tags=p2),
        Case("probs-target-nd-axis1", (lg(rng, (2, 3, 4)), st(rng, (2, 3, 4), axis=1)),
             {"axis": 1}, tags=frozenset({"nd", "probs-target"})),
        *(Case(f"2d-epsilon-{e:g}", (lg(rng, (6, c)), ci(rng, (6,), c)), {"epsilon": e},
               tags=t2) for e in (-1.0, -0.3, 0.0, 7.5)),
        *(Case(f"probs-target-epsilon-{e:g}", (lg(rng, (6, c)), st(rng, (6, c), zeros=True)),
               {"epsilon": e}, tags=p2) for e in (-1.0, -0.3, 7.5)),
        # confident rows (p_y near 1, -log p_y below 0.1): the series of g at epsilon < 0
        Case("2d-confident-epsilon--1", (lg(rng, (6, c)) + 6.0 * np.eye(c)[[0, 1, 2, 3, 4, 0]],
                                         np.array([0, 1, 2, 3, 4, 0])), {"epsilon": -1.0},
             tags=t2),
    ]


def _poly1_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x, y = extreme_class_logits(m)  # wrong, right, wrong, right
        t = np.array([[0.0, 1.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.5], [0.0, 0.0, 1.0, 0.0],
                      [0.25, 0.25, 0.25, 0.25]])
        for e in (-1.0, 2.0):
            out += [Case(f"logits-pm{m:g}-epsilon-{e:g}", (x, y), {"epsilon": e},
                         dtypes=dtypes, tags=frozenset({"2d"})),
                    Case(f"logits-pm{m:g}-probs-target-epsilon-{e:g}", (x, t), {"epsilon": e},
                         dtypes=dtypes, tags=frozenset({"2d", "probs-target"}))]
    # -inf logits whose target probability is 0 contribute exactly 0 (optax: NaN)
    xi = np.array([[-np.inf, 1.0, 2.0], [0.5, -np.inf, -np.inf]])
    ti = np.array([[0.0, 0.4, 0.6], [1.0, 0.0, 0.0]])
    out += [Case(f"neg-inf-logits-probs-target-epsilon-{e:g}", (xi, ti), {"epsilon": e},
                 tags=frozenset({"2d", "probs-target"})) for e in (-1.0, -0.5, 2.0)]
    return out


def _poly1_optax(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                 reduction: str) -> np.ndarray:
    """``optax.losses.poly_loss_cross_entropy`` in float64 (JAX's x64 switched on for the
    call), class indices one-hot encoded along the class axis (optax takes probability
    labels only), then our reductions."""
    import jax
    import jax.numpy as jnp
    import optax

    x = np.asarray(args[0], np.float64)
    target = np.asarray(args[1])
    axis = int(kwargs.get("axis", -1)) % x.ndim
    if target.dtype.kind in "iu":
        target = np.moveaxis(np.eye(x.shape[axis])[target], -1, axis)
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        value = np.asarray(optax.losses.poly_loss_cross_entropy(
            jnp.asarray(x), jnp.asarray(np.asarray(target, np.float64)),
            epsilon=float(kwargs.get("epsilon", 2.0)), axis=axis), np.float64)
    finally:
        jax.config.update("jax_enable_x64", old)
    return np_reduce(value, reduction)


def _poly1_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """The definition, Σ_c t_c (-log p_c + ε (1 - p_c)) with ``torch.log_softmax`` and
    ``torch.softmax`` in float64 (Leng et al. 2022; class indices one-hot): the gradient
    oracle (autograd) and a value cross-check."""
    th = torch()
    logits, target = t[0], t[1]
    axis = int(kw.get("axis", -1)) % logits.ndim
    if not target.is_floating_point():
        target = th.movedim(th.nn.functional.one_hot(target.to(th.int64), logits.shape[axis]),
                            -1, axis).to(logits.dtype)
    eps = float(kw.get("epsilon", 2.0))
    terms = -th.log_softmax(logits, axis) + eps * (1.0 - th.softmax(logits, axis))
    loss = (target * terms).sum(axis)
    return t_reduce(loss, reduction)


def _poly1_near_one(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                    reduction: str, dtype: str) -> np.ndarray:
    """ε = -1 at p_y near 1: -log p - (1 - p) without cancellation, from the rounded
    logits (rows [a, 0, 0], target 0: -log p = log1p(2 e^-a))."""
    a = np.asarray(args[0], np.float64)[:, 0]
    n = np.log1p(2.0 * np.exp(-a))
    return np.asarray([math.fsum(n_i ** k * (-1.0) ** k / math.factorial(k)
                                 for k in range(2, 30)) for n_i in n])


_PINNED_POLY1 = (
    # epsilon = 0: PyTorch's cross-entropy
    Pinned("epsilon-0-is-cross-entropy", (np.random.default_rng(12).normal(0.0, 2.0, (5, 4)),
                                          np.array([0, 3, 1, 2, 2])),
           {"epsilon": 0.0}, value=_cross_entropy_value, reductions=("none", "mean"),
           dtypes=("float64",)),
    # epsilon = -1 near p = 1: -log p - (1 - p) ~ (1 - p)^2 / 2 >= 0, never negative by
    # rounding (optax's float32 value of the first row is -4.1e-9); float32 as accurate
    # as its -log p (~ulp(1) absolute), relative 2e-3 with no absolute floor
    Pinned("epsilon--1-near-p-1-is-positive", (np.array([[10.0, 0.0, 0.0], [5.0, 0.0, 0.0],
                                                          [3.0, 0.0, 0.0]]),
                                                np.array([0, 0, 0])),
           {"epsilon": -1.0}, value=_poly1_near_one, reductions=("none",),
           dtypes=FULL, tol={"float64": Tol(1e-9, 0.0), "float32": Tol(2e-3, 0.0)}),
    Pinned("docstring", (np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]]), np.array([0, 1])),
           value=np.array([0.67011723, 4.80060658]), dtypes=("float64",),
           tol=Tol(1e-8, 0.0)),
)


# --------------------------------------------------------------------------- smooth_labels


def _smooth_labels_cases(rng: np.random.Generator) -> list[Case]:
    st, c = soft_class_targets, 5

    def onehot(t: np.ndarray, n: int, axis: int = -1) -> np.ndarray:
        return np.asarray(np.moveaxis(np.eye(n)[t], -1, axis))

    a = {"alpha": 0.1}
    return [
        Case("1d-onehot", (onehot(class_indices(rng, (), c), c),), a, tags=frozenset({"1d"})),
        Case("empty", (np.zeros((0, c)),), a, tags=frozenset({"empty"})),
        Case("2d-onehot", (onehot(class_indices(rng, (6,), c), c),), a, tags=frozenset({"2d"})),
        Case("2d-soft", (st(rng, (6, c), zeros=True),), a, tags=frozenset({"2d"})),
        Case("nd-last", (st(rng, (2, 3, 4)),), {"alpha": 0.25}, tags=frozenset({"nd"})),
        Case("nd-axis1", (onehot(class_indices(rng, (2, 4, 3), 5), 5, axis=1),),
             {"alpha": 0.2, "axis": 1}, tags=frozenset({"nd"})),
        Case("2d-axis0", (st(rng, (c, 3), axis=0),), {"alpha": 0.3, "axis": 0},
             tags=frozenset({"2d"})),
        Case("2d-num-classes", (st(rng, (4, c)),), {"alpha": 0.3, "num_classes": c},
             tags=frozenset({"2d"})),
        Case("2d-axis-none", (st(rng, (4, c)),), {"alpha": 0.3, "axis": None},
             tags=frozenset({"2d"})),
        # (alpha = 1: the gradient is exactly 0, the finite differences' is rounding noise)
        *(Case(f"2d-alpha-{v!r}", (onehot(class_indices(rng, (6,), c), c),), {"alpha": v},
               tags=frozenset({"2d"}), grad=v != 1.0) for v in (0.0, 0, 1.0, 0.75)),
    ]


def _smooth_labels_extreme(rng: np.random.Generator) -> list[Case]:
    # one-hot rows (entries exactly 0 and 1) of many classes: alpha / K small
    t = np.moveaxis(np.eye(1000)[class_indices(rng, (3,), 1000)], -1, -1)
    return [Case(f"onehot-1000-classes-alpha-{v:g}", (t,), {"alpha": v},
                 tags=frozenset({"2d"})) for v in (1e-3, 0.5, 1.0)]


def _smooth_labels_optax(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                         reduction: str) -> np.ndarray:
    """``optax.smooth_labels`` of the float64 rows (a NumPy array in, NumPy arithmetic:
    float64 without JAX's x64), the class axis as given (optax's ``axis``)."""
    axis = kwargs.get("axis", -1)
    return _optax_smooth(np.asarray(args[0], np.float64), float(kwargs["alpha"]),
                         -1 if axis is None else int(axis))


def _optax_smooth(rows: np.ndarray, alpha: float, axis: int) -> np.ndarray:
    """``optax.smooth_labels`` along ``axis``: moved to the last axis and back (optax's
    own ``axis`` argument is recent; the minimums session's optax has none)."""
    import optax

    if rows.ndim == 0:
        return np.asarray(optax.smooth_labels(rows, alpha), np.float64)
    last = np.moveaxis(rows, axis, -1)
    return np.moveaxis(np.asarray(optax.smooth_labels(last, alpha), np.float64), -1, axis)


_PINNED_SMOOTH_LABELS = (
    Pinned("docstring", (np.array([[0.0, 1.0, 0.0]]),), {"alpha": 0.3},
           value=np.array([[0.1, 0.8, 0.1]])),
)


# --------------------------------------------------------------------------- specs

_ALL_IGNORED = (np.random.default_rng(4).normal(size=(3, 4)), np.full((3,), -100, dtype=np.int64))


def _all_ignored_value(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any], reduction: str,
                       dtype: str) -> np.ndarray:
    """Every target ignored: the mean is 0/0 = NaN (as PyTorch), the sum 0, `none` 0s."""
    return np.asarray({"mean": np.nan, "sum": 0.0, "none": np.zeros(3)}[reduction])


_NEG_INF_X = np.array([[-np.inf, 1.0, 2.0], [0.5, -np.inf, -np.inf], [-np.inf, 0.0, 3.0]])
_NEG_INF_T = np.array([[0.0, 0.4, 0.6], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def _finite_classes_torch(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's cross-entropy of each row on its finite classes: values and gradients."""
    th = torch()
    values, grads = [], np.zeros_like(x)
    for i in range(x.shape[0]):
        keep = np.isfinite(x[i])
        xi = th.tensor(x[i][keep], dtype=th.float64, requires_grad=True)
        loss = th.nn.functional.cross_entropy(xi, th.tensor(t[i][keep], dtype=th.float64))
        (g,) = th.autograd.grad(loss, xi)
        values.append(loss.item())
        grads[i][keep] = g.numpy()
    return np.array(values), grads


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
    # fuzzer: PyTorch's 4-d nll_loss backward raised "grad_input must be contiguous" for
    # the view that moves the class axis 0 to 1 (our torch fast path).  Oracle: PyTorch
    # autograd in float64 on a contiguous (N, C, H, W) copy
    Pinned("4d-class-axis-0-gradient",
           (np.array([[[[-1.3349609375]], [[-0.9580078125]]],
                      [[[-0.305419921875]], [[-0.48388671875]]]]), np.array([[[0]], [[1]]])),
           {"axis": 0}, value="oracle", grad="oracle", reductions=("sum",),
           dtypes=("float16", "float32"), grad_tol=Tol(1e-3, 0.0)),
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
    Pinned("all-ignored", _ALL_IGNORED, value=_all_ignored_value,
           reductions=("mean", "sum", "none"), tol=Tol(0.0, 0.0)),
    Pinned("all-ignored-weight", _ALL_IGNORED, {"weight": [1.0, 2.0, 3.0, 4.0]},
           value=_all_ignored_value, reductions=("mean", "sum", "none"), tol=Tol(0.0, 0.0)),
    # -inf logits whose target probability is 0 contribute exactly 0 (PyTorch: NaN); the
    # oracle is PyTorch on each row's finite classes.  No absolute floor: the row whose
    # only finite class is its target is exactly 0
    Pinned("neg-inf-logits-with-zero-target", (_NEG_INF_X, _NEG_INF_T),
           value=lambda a, k, r, d: np_reduce(_finite_classes_torch(a[0], a[1])[0], r),
           grad=lambda a, k, r, d: _finite_classes_torch(a[0], a[1])[1],
           reductions=("sum", "none"), tol={d: Tol(t.rtol, 0.0) for d, t in TOLERANCES.items()}),
    # fuzzer: the generic log-softmax was x - logsumexp(x), whose m + log s rounds at the
    # magnitude of the maximum m: two float32 logits of 1e30 got probabilities 1 (a loss
    # of 0 for log 2)
    Pinned("large-equal-logits", (np.array([[1e30, 1e30, -1e30]]), np.array([[1.0, 0.0, 0.0]])),
           value="oracle", reductions=("mean",), dtypes=("float32",), tol=Tol(1e-6, 0.0)),
)

SPECS = [
    torch_spec("cross_entropy", _cross_entropy_torch, "torch.nn.functional.cross_entropy",
               _cross_entropy_cases, _cross_entropy_extreme,
               differences="PyTorch needs the class axis at 1: the oracle moves it. "
               "PyTorch gives NaN for a -inf logit whose target probability is 0 "
               "(0 · -inf); we give 0: checked against PyTorch on the finite classes "
               "(a pinned value).",
               pinned=_PINNED_CROSS_ENTROPY,
               torch_negative_zero=True),
    torch_spec("nll_loss", _nll_torch, "torch.nn.functional.nll_loss", _nll_cases,
               _nll_extreme,
               differences="PyTorch needs the class axis at 1: the oracle moves it.",
               pinned=_PINNED_NLL_LOSS,
               torch_negative_zero=True),
    torch_spec("categorical_cross_entropy", _categorical_torch,
               "torch.nn.functional.cross_entropy(log(probs))",
               _categorical_cases, _categorical_extreme,
               differences="Keras's categorical_crossentropy is the model, but its NumPy "
               "backend computes in float32: the float64 oracle is PyTorch's "
               "cross-entropy of log(p) (its log-softmax renormalises p exactly like "
               "Keras), Keras is a cross-check at float32 accuracy. Keras clips with a "
               "fixed 1e-7, we with finfo(dtype).eps, PyTorch not at all: the value "
               "cases keep probabilities in the interior (softmax rows, entries > 0.005); "
               "exact 0/1 probabilities (the extreme cases) are compared with Keras's clip "
               "at finfo(dtype).eps. Keras's label "
               "smoothing uses the size of the last axis: its oracle moves the class axis "
               "last.",
               extreme_oracle=_categorical_clipped,
               cross_checks=(("keras.losses.categorical_crossentropy (NumPy backend)",
                              _categorical_keras, KERAS),
                             ("keras.losses.sparse_categorical_crossentropy (NumPy backend)",
                              _sparse_categorical_keras, KERAS)),
               pinned=_PINNED_CATEGORICAL_CROSS_ENTROPY),
    torch_spec("generalized_cross_entropy", _gce_torch,
               "(1 - torch.softmax(x)[y] ** q) / q (Zhang & Sabuncu 2018)",
               _gce_cases, _gce_extreme,
               differences="No PyTorch function: the oracle is the paper's definition in "
               "probability space, in float64 (its gradient is infinite where p_y = 0 for "
               "q < 1: the extreme cases compare finite values only). Keras's "
               "categorical_generalized_cross_entropy of the softmax probabilities is a "
               "cross-check at float32 accuracy (q < 1 only: Keras takes q in (0, 1)).",
               cross_checks=(("keras.losses.categorical_generalized_cross_entropy "
                              "(NumPy backend)", _gce_keras, KERAS),),
               pinned=_PINNED_GCE),
    spec("poly1_cross_entropy", _poly1_optax,
         "optax.losses.poly_loss_cross_entropy (JAX float64)", _poly1_cases, _poly1_extreme,
         differences="optax takes probability labels only: the oracle one-hot encodes class "
         "indices. optax computes 1 - p from a softmax of its own (rounded against 1) and "
         "0 · -inf for a -inf logit whose target probability is 0 (NaN; we give 0: finite "
         "values and gradients checked there). The definition in float64 PyTorch gives "
         "the gradients (autograd) and is a cross-check.",
         torch_expr=_poly1_torch,
         cross_checks=(("Σ t (-log_softmax + ε (1 - softmax)) (PyTorch float64)",
                        from_torch(_poly1_torch), EXACT),),
         pinned=_PINNED_POLY1),
    spec("smooth_labels", _smooth_labels_optax, "optax.smooth_labels (NumPy float64)",
         _smooth_labels_cases, _smooth_labels_extreme,
         shape_tags=frozenset({"1d", "empty", "2d", "nd"}),
         differences="None on probability rows. optax takes floating one-hot labels only: "
         "class indices (with num_classes) are checked against optax of their one-hot rows "
         "by test_smooth_labels_class_indices below, on every backend.",
         pinned=_PINNED_SMOOTH_LABELS),
]


# --------------------------------------------------------------------------- tests

_SMOOTH_INDEX_CASES = (  # (shape of the indices, axis, K, alpha)
    ((6,), -1, 5, 0.1), ((), -1, 4, 0.3), ((2, 3), 1, 4, 0.2), ((3,), 0, 6, 1.0),
    ((2, 3), None, 3, 0.0), ((0,), -1, 3, 0.5),
)


def _one_hot_optax(y: np.ndarray, k: int, axis: int | None, alpha: float) -> np.ndarray:
    ax = -1 if axis is None else axis
    rows = np.moveaxis(np.eye(k)[y], -1, ax % (y.ndim + 1))
    return _optax_smooth(rows, alpha, ax)


def test_smooth_labels_class_indices(bk: Backend) -> None:
    """Class indices with ``num_classes``: the smoothed one-hot rows along ``axis`` of the
    result, in the library's default floating dtype, lazily on Dask, equal to optax's
    ``smooth_labels`` of the one-hot rows; int32 indices too."""
    import losses_xp as lx

    rng = np.random.default_rng(17)
    for shape, axis, k, alpha in _SMOOTH_INDEX_CASES:
        y = class_indices(rng, shape, k)
        want = _one_hot_optax(y, k, axis, alpha)
        for dt in (np.int64, np.int32):
            out = lazy(bk, lx.smooth_labels, bk.asarray(y.astype(dt)), alpha, axis=axis,
                       num_classes=k)
            assert bk.is_native(out)
            xp = bk.namespace_of(out)
            assert out.dtype == default_float(xp, out), out.dtype
            got = bk.to_numpy(out)
            assert got.shape == want.shape, (got.shape, want.shape)
            close(got, want, bk.dtype_name(out), f"{shape} axis={axis}")


@pytest.mark.backend_paths  # (the traced branch of the index check)
def test_smooth_labels_class_indices_compiled(bk: Backend) -> None:
    """Under jax.jit / torch.compile: the same rows, and an index out of range gives a
    NaN row (it cannot raise there), never a plausible one."""
    import losses_xp as lx

    y = np.array([2, 0, 7, 1])
    out = compiled_call(bk, lambda t: lx.smooth_labels(t, 0.2, num_classes=3),
                        bk.asarray(y))
    if out is None:
        pytest.skip(f"{bk.name} has no compiler: checked on jax and torch")
    got = bk.to_numpy(out)
    assert np.all(np.isnan(got[2])), got
    ok = [0, 1, 3]
    close(got[ok], _one_hot_optax(y[ok], 3, -1, 0.2), bk.dtype_name(out))


def test_smooth_labels_errors() -> None:
    """Integer targets need num_classes; num_classes must fit probability rows; bool
    targets and indices out of range are refused (NumPy: eager values)."""
    import losses_xp as lx

    with pytest.raises(ValueError, match=r"^`num_classes` is required with integer class "):
        lx.smooth_labels(np.array([0, 1]), 0.1)
    with pytest.raises(ValueError, match=r"^`num_classes` must equal the length of the class "
                                         r"axis 1 of the probability rows `target` \(2, 3\), "
                                         r"3; got 4$"):
        lx.smooth_labels(np.full((2, 3), 1 / 3), 0.1, num_classes=4)
    with pytest.raises(TypeError, match=r"^`num_classes` must be an int"):
        lx.smooth_labels(np.array([0, 1]), 0.1, num_classes=3.0)
    with pytest.raises(ValueError, match=r"^`num_classes` must be >= 1; got 0$"):
        lx.smooth_labels(np.array([0, 1]), 0.1, num_classes=0)
    with pytest.raises(ValueError, match=r"^`target` class indices must be in \[0, 3\); "
                                         r"got 5$"):
        lx.smooth_labels(np.array([0, 5]), 0.1, num_classes=3)
    with pytest.raises(TypeError, match=r"^`target` must have a real floating dtype"):
        lx.smooth_labels(np.array([True, False]), 0.1)
    with pytest.raises(ValueError, match=r"^`alpha` must be <= 1.0; got 1.5$"):
        lx.smooth_labels(np.array([0, 1]), 1.5, num_classes=3)
