"""Conformance specs of ``losses_xp.margin`` (see ``conformance/registry.py`` for the fields).

Oracles (float64, gradients by PyTorch autograd): the binary hinge and squared hinge
through PyTorch's multi-class ``F.multi_margin_loss`` of the two-class scores ``[0,
s]`` (``p=1`` and ``p=2``, times its division by C = 2), cross-checked with Keras's
``hinge`` / ``squared_hinge`` (float32) and scikit-learn's ``hinge_loss`` (the mean);
``F.soft_margin_loss``, ``F.hinge_embedding_loss`` and ``F.margin_ranking_loss`` for
the others.  The value and extreme cases are the declarations' own
(``losses_xp._testing.declared``): every shape, the labels as floats, integers and bools.
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

from .registry import EXACT, KERAS, Pinned, Spec, Tol, keras, np_reduce, t_reduce, torch, torch_spec


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
    """Every generated label of the margin losses is -1 or +1 (or bool)."""
    for spec in SPECS:
        rng = np.random.default_rng(0)
        for case in spec.entry.cases(rng) + spec.entry.extreme_cases(rng):
            labels = case.args[2] if spec.decl.inputs else case.args[1]
            assert labels.dtype == bool or np.all(np.abs(labels) == 1), (spec.name, case.name)


