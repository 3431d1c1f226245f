"""Conformance specs of ``losses_xp.margin`` (see ``conformance/registry.py`` for the fields).

Oracles (float64, gradients by PyTorch autograd): the binary hinge and squared hinge
through PyTorch's multi-class ``F.multi_margin_loss`` of the two-class scores ``[0,
s]`` (``p=1`` and ``p=2``, times its division by C = 2), cross-checked with Keras's
``hinge`` / ``squared_hinge`` (float32) and scikit-learn's ``hinge_loss`` (the mean);
``F.soft_margin_loss``, ``F.hinge_embedding_loss`` and ``F.margin_ranking_loss`` for
the others.  The value and extreme cases are the declarations' own
(``losses_xp._testing.declared``): every shape, the labels as floats, integers and bools.

Multi-class margins (``multi_margin_loss``, ``multiclass_hinge_loss``,
``multilabel_soft_margin_loss``).  Oracles (float64, independent of our code):

* ``multi_margin_loss``: ``torch.nn.functional.multi_margin_loss`` (values and
  gradients by autograd); PyTorch takes ``(C,)`` or ``(N, C)`` scores only, so the
  oracle moves the class axis last and flattens the batch axes.
* ``multiclass_hinge_loss``: ``optax.losses.multiclass_hinge_loss`` in float64 (JAX's x64
  switched on for the call; the class axis moved last), gradients by PyTorch autograd
  of optax's formula transcribed to PyTorch; scikit-learn's ``metrics.hinge_loss``
  (multi-class, ``C >= 3``) a cross-check.
* ``multilabel_soft_margin_loss``: ``torch.nn.functional.multilabel_soft_margin_loss``
  (values and autograd gradients; the class axis moved last and the batch flattened).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._declare import declaration
from losses_xp._testing import declared
from losses_xp._testing.backends import Backend
from losses_xp._testing.inputs import (
    EXTREME_LOGIT,
    FULL,
    HALF,
    Case,
    binary_targets,
    class_indices,
    extreme_class_logits,
    logits,
    soft_targets,
    weights,
)

from .registry import (
    EXACT,
    KERAS,
    Pinned,
    Spec,
    Tol,
    keras,
    np_reduce,
    spec,
    t_reduce,
    torch,
    torch_spec,
)

# ------------------------------------------------------------------ binary margins

def _cases(name: str) -> Any:
    return lambda rng: declared.value_cases(declaration(name), rng)


def _extremes(name: str) -> Any:
    return lambda rng: declared.extreme_cases(declaration(name), rng)


def _signs(y: Any) -> Any:
    """Labels as ±1.0 (a bool label arrives as 0/1 floats: True = +1)."""
    return torch().where(y > 0, 1.0, -1.0).to(torch().float64)


def _multi_margin(p: int) -> Any:
    def expr(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
        """2 * F.multi_margin_loss([0, s], y > 0, p=p) = max(0, 1 - y s)^p: PyTorch's
        Weston-Watkins hinge of two classes divides by C = 2."""
        th = torch()
        s = t[0]
        flat = s.reshape(-1, 1)
        two = th.cat([th.zeros_like(flat), flat], dim=1)
        cls = (t[1].reshape(-1) > 0).to(th.int64)
        loss = 2.0 * th.nn.functional.multi_margin_loss(two, cls, p=p, margin=1.0,
                                                        reduction="none")
        return t_reduce(loss.reshape(s.shape), reduction)
    return expr


def _keras_hinge(fn: str) -> Any:
    def oracle(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
               reduction: str) -> np.ndarray | None:
        """``keras.losses.<fn>(y, s)`` element-wise (a trailing axis of 1, which Keras
        averages over), the labels given as ±1 (bools converted: Keras would take 0/1
        itself), then our reductions; scores up to 1e3 (float32)."""
        s = np.asarray(args[0], np.float64)
        if s.size and np.max(np.abs(s)) > 1e3:
            return None
        y = np.where(np.asarray(args[1]) > 0, 1.0, -1.0)
        value = np.asarray(getattr(keras().losses, fn)(y.reshape(-1, 1), s.reshape(-1, 1)),
                           np.float64)
        return np_reduce(value.reshape(s.shape), reduction)
    return oracle


def _sklearn_hinge(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                   reduction: str) -> np.ndarray | None:
    """``sklearn.metrics.hinge_loss(y, s)`` (binary: the mean; the sum as n times it),
    with both labels present (else it cannot tell the positive class)."""
    from sklearn.metrics import hinge_loss

    y = np.where(np.asarray(args[1]).reshape(-1) > 0, 1, -1)
    s = np.asarray(args[0], np.float64).reshape(-1)
    if reduction == "none" or np.unique(y).size < 2:
        return None
    m = float(hinge_loss(y, s))
    return np.asarray(m if reduction == "mean" else m * y.size)


def _soft_margin(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    F = torch().nn.functional
    return t_reduce(F.soft_margin_loss(t[0], _signs(t[1]), reduction="none"), reduction)


def _soft_margin_bce(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                     reduction: str, dtype: str = "float64") -> np.ndarray:
    """``F.binary_cross_entropy_with_logits(s, (y + 1) / 2)`` in float64: the same
    function, stable where ``F.soft_margin_loss``'s ``log(1 + exp(-y s))`` overflows."""
    th = torch()
    s = th.from_numpy(np.array(args[0], np.float64, ndmin=0))
    y = th.from_numpy(np.array(np.asarray(args[1]) > 0, np.float64, ndmin=0))
    with th.no_grad():
        loss = th.nn.functional.binary_cross_entropy_with_logits(s, y, reduction="none")
    return np_reduce(loss.numpy(), reduction)


def _hinge_embedding(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    F = torch().nn.functional
    return t_reduce(F.hinge_embedding_loss(t[0], _signs(t[1]), margin=kw.get("margin", 1.0),
                                           reduction="none"), reduction)


def _margin_ranking(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    F = torch().nn.functional
    return t_reduce(F.margin_ranking_loss(t[0], t[1], _signs(t[2]),
                                          margin=kw.get("margin", 0.0), reduction="none"),
                    reduction)


# --------------------------------------------------------------------------- pinned

_S = np.array([0.5, -2.0, 2.0, 1.0])
_Y01 = np.array([0.0, 1.0, 1.0, 0.0])
_YPM = 2.0 * _Y01 - 1.0


def _keras_on_01(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any], reduction: str,
                 dtype: str) -> np.ndarray:
    """Keras's hinge of the same scores with the 0/1 labels (which Keras converts)."""
    value = np.asarray(keras().losses.hinge(_Y01.reshape(-1, 1),
                                            np.asarray(args[0], np.float64).reshape(-1, 1)),
                       np.float64)
    return np_reduce(value.reshape(-1), reduction)


_PINNED_HINGE = (
    # the docstring's values
    Pinned("docstring-none", (np.array([2.0, 0.5, -1.0]), np.array([1, 1, 1])),
           value=np.array([0.0, 0.5, 2.0])),
    Pinned("docstring-bool-mean", (np.array([2.0, 0.5, -1.0]), np.array([True, False, False])),
           value=0.5, reductions=("mean",)),
    # 0/1 labels converted with 2 y - 1: Keras's value on the 0/1 labels themselves
    # (optax.losses.hinge_loss gives [1, 3, 0, 1] there: test_optax_hinge_on_0_1_labels)
    Pinned("0-1-labels-converted-as-keras", (_S, _YPM), value=_keras_on_01,
           reductions=("none", "mean"), tol=KERAS),
)

_PINNED_SQUARED_HINGE = (
    Pinned("docstring-none", (np.array([2.0, 0.5, -1.0]), np.array([1.0, 1.0, 1.0])),
           value=np.array([0.0, 0.25, 4.0])),
)

_PINNED_SOFT_MARGIN = (
    Pinned("docstring-none", (np.array([2.0, 0.0, -1.0]), np.array([1, -1, 1])),
           value=np.array([math.log1p(math.exp(-2.0)), math.log(2.0),
                           math.log1p(math.exp(1.0))])),
    # the tails: y s = 20 gives log1p(exp(-20)) = 2.06e-9, not 0; y s = -1e4 gives 1e4
    # (PyTorch's log(1 + exp(1e4)) is inf)
    Pinned("tails", (np.array([20.0, -1e4]), np.array([1.0, 1.0])),
           value=np.array([math.log1p(math.exp(-20.0)), 1e4]), dtypes=("float32", "float64"),
           tol=Tol(1e-6, 0.0)),
)

_PINNED_HINGE_EMBEDDING = (
    Pinned("docstring-none", (np.array([0.3, 0.3, 2.0]), np.array([1, -1, -1])),
           value=np.array([0.3, 0.7, 0.0]), dtypes=("float64",)),
    # a negative x with the label +1: the loss is x itself (negative), PyTorch's
    Pinned("negative-x-label-plus-1", (np.array([-1.5, 0.25]), np.array([True, False])),
           {"margin": -0.5}, value=np.array([-1.5, 0.0])),
)

_PINNED_MARGIN_RANKING = (
    Pinned("docstring-none", (np.array([1.0, 0.2, 3.0]), np.array([0.5, 0.4, 1.0]),
                              np.array([1, 1, -1])),
           {"margin": 0.1}, value=np.array([0.0, 0.3, 2.1]), dtypes=("float64",)),
)


def _t(*tags: str) -> frozenset[str]:
    return frozenset(tags)


# ------------------------------------------------------------------ multi-class margins


def _rows_last(x: Any, axis: int) -> Any:
    """A PyTorch tensor with the class axis moved last and the batch axes flattened:
    ``(N, C)``."""
    x = x.movedim(axis % x.ndim, -1)
    return x.reshape(-1, x.shape[-1])


def _multi_margin_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    F = torch().nn.functional
    scores, target = t[0], t[1]
    rows = _rows_last(scores, int(kw.get("axis", -1)))
    loss = F.multi_margin_loss(rows, target.reshape(-1), p=int(kw.get("p", 1)),
                               margin=float(kw.get("margin", 1.0)), weight=kw.get("weight"),
                               reduction="none")
    return t_reduce(loss.reshape(target.shape), reduction)


def _class_index_cases(rng: np.random.Generator, extra: list[tuple[str, dict[str, Any]]],
                       weight: bool = False) -> list[Case]:
    """The shapes of a class-index loss (``(C,)`` with a 0-d target, an empty batch,
    ``(N, C)``, two classes, N-d with the classes last and at axis 1, axis 0) and
    ``extra`` option sets on ``(N, C)`` scores (few: each case runs in every dtype,
    reduction and transformation on five backends)."""
    lg, ci = logits, class_indices
    C = 5
    out = [
        Case("1d-0d-target", (lg(rng, (C,)), ci(rng, (), C)), tags=_t("0d")),
        Case("empty", (lg(rng, (0, C)), ci(rng, (0,), C)), tags=_t("empty", "nan-mean"),
             grad=False),
        Case("2d", (lg(rng, (6, C)), ci(rng, (6,), C)), tags=_t("2d")),
        Case("2d-two-classes", (lg(rng, (6, 2)), ci(rng, (6,), 2)), tags=_t("2d")),
        Case("nd-last", (lg(rng, (2, 3, 4)), ci(rng, (2, 3), 4)), tags=_t("nd")),
        Case("nd-axis1", (lg(rng, (2, 3, 4, 2)), ci(rng, (2, 4, 2), 3)), {"axis": 1},
             tags=_t("nd")),
        Case("2d-axis0", (lg(rng, (C, 3)), ci(rng, (3,), C)), {"axis": 0}, tags=_t("2d")),
    ]
    out += [Case(f"2d-{name}", (lg(rng, (6, C)), ci(rng, (6,), C)), kw, tags=_t("2d"))
            for name, kw in extra]
    if weight:
        out += [
            Case("2d-weight", (lg(rng, (6, C)), ci(rng, (6,), C)),
                 {"weight": weights(rng, (C,))}, tags=_t("2d")),
            Case("nd-axis1-weight-list-p2", (lg(rng, (2, 4, 3)), ci(rng, (2, 3), 4)),
                 {"axis": 1, "p": 2, "weight": [float(v) for v in weights(rng, (4,))]},
                 tags=_t("nd")),
        ]
    return out


def _multi_margin_cases(rng: np.random.Generator) -> list[Case]:
    return _class_index_cases(rng, [("margin-0", {"margin": 0.0}),
                                    ("margin-int-2-p2", {"margin": 2, "p": 2})], weight=True)


def _class_index_extreme(rng: np.random.Generator,
                         extra: list[tuple[str, dict[str, Any]]]) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x, y = extreme_class_logits(m)  # wrong, right, wrong, right
        out += [Case(f"logits-pm{m:g}{name}", (x, y), kw, dtypes=dtypes, tags=_t("2d"))
                for name, kw in extra]
    return out


def _multi_margin_extreme(rng: np.random.Generator) -> list[Case]:
    return _class_index_extreme(rng, [("", {}),
                                      ("-p2-weight", {"p": 2, "weight": weights(rng, (4,))})])


# PyTorch's mean of an empty batch is an uninitialised value; ours is NaN
_PINNED_MULTI_MARGIN = (
    Pinned("empty-mean-is-nan", (np.zeros((0, 3)), np.zeros((0,), dtype=np.int64)),
           value=np.nan, reductions=("mean",)),
    # the docstring's example
    Pinned("docstring", (np.array([[0.1, 0.2, 0.4, 0.8], [2.0, -1.0, 0.5, 0.0]]),
                         np.array([3, 0])), value=np.array([0.325, 0.0])),
)


def _hinge_optax(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                 reduction: str) -> np.ndarray:
    """``optax.losses.multiclass_hinge_loss`` in float64, the class axis moved last, then
    our reductions."""
    import jax
    import jax.numpy as jnp
    import optax

    x = np.moveaxis(np.asarray(args[0], np.float64), int(kwargs.get("axis", -1)), -1)
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        value = np.asarray(optax.losses.multiclass_hinge_loss(
            jnp.asarray(x), jnp.asarray(np.asarray(args[1]))), np.float64)
    finally:
        jax.config.update("jax_enable_x64", old)
    return np_reduce(value.reshape(np.shape(args[1])), reduction)


def _hinge_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """optax's formula, ``max(s + 1 - onehot(y)) - s_y``, transcribed to PyTorch (float64):
    the gradient oracle (autograd; ``amax`` shares the gradient among tied maxima)."""
    th = torch()
    scores, target = t[0], t[1]
    x = scores.movedim(int(kw.get("axis", -1)) % scores.ndim, -1)
    hot = th.nn.functional.one_hot(target, x.shape[-1]).to(x.dtype)
    loss = th.amax(x + 1.0 - hot, dim=-1) - (x * hot).sum(-1)
    return t_reduce(loss, reduction)


def _hinge_sklearn(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                   reduction: str) -> np.ndarray | None:
    """``sklearn.metrics.hinge_loss(y, scores, labels=range(C))`` of each sample (its
    multi-class branch: ``C >= 3``; with two classes it is the binary hinge of one
    decision value), then our reductions."""
    from sklearn.metrics import hinge_loss

    x = np.moveaxis(np.asarray(args[0], np.float64), int(kwargs.get("axis", -1)), -1)
    C = x.shape[-1]
    if C < 3 or x.size == 0:
        return None
    rows, y = x.reshape(-1, C), np.asarray(args[1]).reshape(-1)
    labels = np.arange(C)
    value = np.array([hinge_loss(y[i:i + 1], rows[i:i + 1], labels=labels)
                      for i in range(len(y))])
    return np_reduce(value.reshape(np.shape(args[1])), reduction)


def _hinge_cases(rng: np.random.Generator) -> list[Case]:
    return _class_index_cases(rng, [])


def _hinge_extreme(rng: np.random.Generator) -> list[Case]:
    return _class_index_extreme(rng, [("", {})])


_PINNED_MULTICLASS_HINGE = (
    # optax's max(s + 1 - onehot) - s_y rounds s_j + 1 to s_j beyond 2^24 in float32 (it
    # gives 0): the margin of two equal scores is 1
    Pinned("equal-scores-beyond-2**24", (np.array([[2.0**25, 2.0**25]]), np.array([0])),
           value=1.0, dtypes=("float32", "float64")),
    # Keras's categorical_hinge gives 2 here (a 0 in the target's place of its maximum)
    Pinned("negative-scores-target-leads", (np.array([[-1.0, -2.0, -3.0]]), np.array([0])),
           value=0.0),
    Pinned("docstring", (np.array([[0.1, 0.2, 0.4, 0.8], [2.0, -1.0, 0.5, 0.0],
                                   [-1.0, -2.0, -3.0, -4.0]]), np.array([3, 2, 0])),
           value=np.array([0.6, 2.5, 0.0])),
)


def _mlsm_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    F = torch().nn.functional
    scores, target = t[0], t[1]
    axis = int(kw.get("axis", -1))
    rows = _rows_last(scores, axis)
    sample_shape = _rows_last_shape(scores, axis)
    loss = F.multilabel_soft_margin_loss(rows, _rows_last(target.to(scores.dtype), axis),
                                         weight=kw.get("weight"), reduction="none")
    return t_reduce(loss.reshape(sample_shape), reduction)


def _rows_last_shape(x: Any, axis: int) -> tuple[int, ...]:
    """The shape of ``x`` without its class axis."""
    shape = tuple(x.shape)
    axis %= len(shape)
    return shape[:axis] + shape[axis + 1:]


def _mlsm_cases(rng: np.random.Generator) -> list[Case]:
    lg, bt = logits, binary_targets
    C = 5
    edge = bt(rng, (4, C))
    edge[0], edge[1] = 1.0, 0.0  # a row of positives only, one of negatives only
    return [
        Case("1d-0d", (lg(rng, (C,)), bt(rng, (C,))), tags=_t("0d")),
        Case("empty", (lg(rng, (0, C)), bt(rng, (0, C))), tags=_t("empty", "nan-mean"),
             grad=False),
        Case("2d", (lg(rng, (6, C)), bt(rng, (6, C))), tags=_t("2d")),
        Case("2d-all-pos-all-neg-rows", (lg(rng, (4, C)), edge), tags=_t("2d")),
        Case("2d-soft", (lg(rng, (6, C)), soft_targets(rng, (6, C))), tags=_t("2d")),
        Case("2d-int-target", (lg(rng, (6, C)), rng.integers(0, 2, size=(6, C))),
             tags=_t("2d", "int-target")),
        Case("2d-bool-target", (lg(rng, (6, C)), rng.integers(0, 2, size=(6, C)).astype(bool)),
             tags=_t("2d", "bool-target")),
        Case("2d-weight", (lg(rng, (6, C)), bt(rng, (6, C))), {"weight": weights(rng, (C,))},
             tags=_t("2d")),
        Case("nd", (lg(rng, (2, 3, 4)), bt(rng, (2, 3, 4))), tags=_t("nd")),
        Case("nd-axis1-weight-list", (lg(rng, (2, 4, 3)), bt(rng, (2, 4, 3))),
             {"axis": 1, "weight": [float(v) for v in weights(rng, (4,))]}, tags=_t("nd")),
    ]


def _mlsm_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * np.array([[1.0, -1.0, 0.5, -0.5], [-1.0, 1.0, 1.0, -1.0],
                          [1.0, 1.0, -1.0, -1.0]])
        y = np.array([[0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
        out += [
            Case(f"logits-pm{m:g}-wrong", (x, y), dtypes=dtypes, tags=_t("2d")),
            Case(f"logits-pm{m:g}-right", (x, 1.0 - y), dtypes=dtypes, tags=_t("2d")),
            Case(f"logits-pm{m:g}-weight", (x, y), {"weight": weights(rng, (4,))},
                 dtypes=dtypes, tags=_t("2d")),
        ]
    return out


_PINNED_MULTILABEL_SOFT_MARGIN = (
    Pinned("docstring", (np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]]),
                         np.array([[1, 0, 1], [0, 1, 0]])),
           value=np.array([0.3047555609137674, 0.2895541810588866])),
)


SPECS: list[Spec] = [
    torch_spec("hinge_loss", _multi_margin(1), "2 * torch.nn.functional.multi_margin_loss"
               "([0, s], y > 0) (the two-class hinge)", _cases("hinge_loss"),
               _extremes("hinge_loss"),
               differences="PyTorch has no binary hinge: its multi-class hinge of the scores "
               "[0, s] is max(0, 1 - y s) / 2. Keras's hinge (float32, labels first, the mean "
               "over the last axis, 0/1 labels converted) and scikit-learn's hinge_loss (the "
               "mean of binary labels) are cross-checks. optax's hinge_loss does not check "
               "its labels (a pinned test: wrong on 0/1 labels); we refuse a 0.",
               cross_checks=(("keras.losses.hinge (NumPy backend)", _keras_hinge("hinge"),
                              KERAS),
                             ("sklearn.metrics.hinge_loss (mean)", _sklearn_hinge, EXACT)),
               pinned=_PINNED_HINGE),
    torch_spec("squared_hinge_loss", _multi_margin(2), "2 * torch.nn.functional."
               "multi_margin_loss([0, s], y > 0, p=2) (the two-class squared hinge)",
               _cases("squared_hinge_loss"), _extremes("squared_hinge_loss"),
               differences="PyTorch has no binary squared hinge: its multi-class one of the "
               "scores [0, s] with p=2 is max(0, 1 - y s)^2 / 2. Keras's squared_hinge "
               "(float32, labels first, the mean over the last axis, 0/1 labels converted) "
               "is a cross-check.",
               cross_checks=(("keras.losses.squared_hinge (NumPy backend)",
                              _keras_hinge("squared_hinge"), Tol(2e-6, 1e-5)),),
               pinned=_PINNED_SQUARED_HINGE),
    torch_spec("soft_margin_loss", _soft_margin, "torch.nn.functional.soft_margin_loss",
               _cases("soft_margin_loss"), _extremes("soft_margin_loss"),
               differences="PyTorch takes any real label (a 0 gives log 2); we refuse labels "
               "other than -1 and +1. PyTorch computes log(1 + exp(-y s)), inf beyond "
               "-y s = 709 in float64: the extreme cases are compared with "
               "F.binary_cross_entropy_with_logits(s, (y + 1) / 2), the same function.",
               extreme_oracle=_soft_margin_bce,
               cross_checks=(("F.binary_cross_entropy_with_logits(s, (y + 1) / 2)",
                              _soft_margin_bce, EXACT),),
               pinned=_PINNED_SOFT_MARGIN),
    torch_spec("hinge_embedding_loss", _hinge_embedding,
               "torch.nn.functional.hinge_embedding_loss", _cases("hinge_embedding_loss"),
               _extremes("hinge_embedding_loss"),
               differences="PyTorch takes any real label (a 0 takes both terms, x + max(0, "
               "margin - x)); we refuse labels other than -1 and +1.",
               pinned=_PINNED_HINGE_EMBEDDING),
    torch_spec("margin_ranking_loss", _margin_ranking,
               "torch.nn.functional.margin_ranking_loss", _cases("margin_ranking_loss"),
               _extremes("margin_ranking_loss"),
               differences="PyTorch takes any real label (a 0 gives max(0, margin)); we "
               "refuse labels other than -1 and +1.",
               pinned=_PINNED_MARGIN_RANKING),
    torch_spec("multi_margin_loss", _multi_margin_torch,
               "torch.nn.functional.multi_margin_loss", _multi_margin_cases,
               _multi_margin_extreme,
               differences="PyTorch takes (C,) or (N, C) scores only: the oracle moves the "
               "class axis last and flattens the batch axes. PyTorch's mean of an empty "
               "batch is an uninitialised value, ours NaN (pinned). PyTorch accepts a "
               "negative margin; ours must be >= 0.",
               pinned=_PINNED_MULTI_MARGIN),
    spec("multiclass_hinge_loss", _hinge_optax, "optax.losses.multiclass_hinge_loss",
         _hinge_cases, _hinge_extreme,
         differences="optax takes the classes last: the oracle moves them. optax computes "
         "max(s + 1 - onehot) - s_y, whose s_j + 1 rounds beyond 2**24 in float32 (a pinned "
         "case; the float64 oracle is exact on the cases). scikit-learn's hinge_loss is the "
         "same for C >= 3 (a cross-check); with two classes it is its binary hinge of one "
         "decision value. Keras's categorical_hinge differs where every other score is "
         "negative (pinned).",
         cross_checks=(("sklearn.metrics.hinge_loss (multi-class, C >= 3)", _hinge_sklearn,
                        EXACT),),
         torch_expr=_hinge_torch, pinned=_PINNED_MULTICLASS_HINGE),
    torch_spec("multilabel_soft_margin_loss", _mlsm_torch,
               "torch.nn.functional.multilabel_soft_margin_loss", _mlsm_cases, _mlsm_extreme,
               differences="PyTorch takes the classes last ((C,) or (N, C)): the oracle "
               "moves them and flattens the batch. PyTorch broadcasts any weight against "
               "the loss; ours is one weight per class.",
               pinned=_PINNED_MULTILABEL_SOFT_MARGIN),
]


# --------------------------------------------------------------------------- tests


def test_optax_hinge_on_0_1_labels(bk: Backend) -> None:
    """optax's hinge_loss takes 0/1 labels without a word and returns a wrong number
    (the constant 1 for every 0 label); ours refuses them with the conversion to use,
    and its value on the converted labels is the hinge (Keras's on the 0/1 labels)."""
    optax = pytest.importorskip("optax")
    jnp = pytest.importorskip("jax.numpy")
    wrong = np.asarray(optax.losses.hinge_loss(jnp.asarray(_S), jnp.asarray(_Y01)))
    np.testing.assert_allclose(wrong, [1.0, 3.0, 0.0, 1.0])
    dtype = "float64" if "float64" in bk.dtypes else "float32"
    right = bk.to_numpy(lx.hinge_loss(bk.asarray(_S, dtype), bk.asarray(_YPM, dtype),
                                      reduction="none"))
    np.testing.assert_allclose(right, [1.5, 3.0, 0.0, 2.0])
    assert not np.allclose(wrong, right)
    if bk.name in ("numpy", "array_api_strict", "torch"):  # (values readable there)
        with pytest.raises(ValueError, match=r"2 \* target - 1"):
            lx.hinge_loss(bk.asarray(_S, dtype), bk.asarray(_Y01, dtype))


def test_cases_hold_no_zero_label() -> None:
    """Every generated sign label of the margin losses is -1 or +1 (or bool)."""
    for sp in SPECS:
        if "sign" not in (sp.decl.target, *sp.decl.inputs.values()):
            continue  # (class indices or multi-label 0/1 targets)
        rng = np.random.default_rng(0)
        for case in sp.entry.cases(rng) + sp.entry.extreme_cases(rng):
            labels = case.args[2] if sp.decl.inputs else case.args[1]
            assert labels.dtype == bool or np.all(np.abs(labels) == 1), (sp.name, case.name)


