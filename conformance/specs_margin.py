"""Conformance specs of ``losses_xp.margin`` (see ``conformance/registry.py`` for the fields).

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

from collections.abc import Mapping
from typing import Any

import numpy as np

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

from .registry import EXACT, Pinned, Spec, np_reduce, spec, t_reduce, torch, torch_spec


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
