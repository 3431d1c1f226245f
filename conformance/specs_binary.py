"""Conformance spec entries of the binary cross-entropies (``losses_xp/classification.py``).

Oracles (float64): PyTorch's ``torch.nn.functional.binary_cross_entropy`` and
``binary_cross_entropy_with_logits``.  The multi-class cross-entropies of the same module
are in ``specs_classification.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from losses_xp._testing.inputs import (
    EPS,
    EXTREME_LOGIT,
    FULL,
    HALF,
    Case,
    binary_targets,
    logits,
    probabilities,
    soft_targets,
    weights,
)

from .registry import KERAS, Pinned, Tol, from_torch, keras, np_reduce, torch, torch_spec

# --------------------------------------------------------------------------- cases


#: logits in both tails against agreeing targets (the loss there is ~exp(-|x|), e.g.
#: 2.06e-9 at |x| = 20: tiny next to 1), and one logit of order 1.  Not beyond 20:
#: PyTorch's fused kernel, the oracle, loses relative precision in its tails even in
#: float64 (3e-7 at x = -20, 1.3% at x = -30, where ours is exact)
TAIL_LOGITS = np.array([20.0, -20.0, 15.0, -15.0, 0.5])
TAIL_TARGETS = np.array([1.0, 0.0, 1.0, 0.0, 1.0])


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
            # label smoothing toward 0.5 (Keras's binary smoothing): hard, soft, integer
            # and bool targets, with weights, and ε = 1 (every target 0.5)
            Case("2d-smoothing", (pred(rng, (4, 5)), bt(rng, (4, 5))), {"label_smoothing": 0.1},
                 tags=frozenset({"2d", "smoothing"})),
            Case("0d-smoothing", (pred(rng, ()), bt(rng, ())), {"label_smoothing": 0.3},
                 tags=frozenset({"0d", "smoothing"})),
            Case("nd-soft-smoothing-weight", (pred(rng, (2, 3, 4)), st(rng, (2, 3, 4))),
                 {"label_smoothing": 0.25, "weight": weights(rng, (3, 4))},
                 tags=frozenset({"nd", "smoothing", "weight"})),
            Case("int-target-smoothing", (pred(rng, (6,)), rng.integers(0, 2, size=(6,))),
                 {"label_smoothing": 0.2}, tags=frozenset({"1d", "smoothing", "int-target"})),
            Case("bool-target-smoothing",
                 (pred(rng, (6,)), rng.integers(0, 2, size=(6,)).astype(bool)),
                 {"label_smoothing": 0.2}, tags=frozenset({"1d", "smoothing", "bool-target"})),
            Case("1d-smoothing-1", (pred(rng, (8,)), bt(rng, (8,))), {"label_smoothing": 1.0},
                 tags=frozenset({"1d", "smoothing"})),
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
                # hard (integer / bool) targets take their own algebra with pos_weight
                Case("2d-pos-weight-int-target",
                     (pred(rng, (4, 5)), rng.integers(0, 2, size=(4, 5))),
                     {"pos_weight": weights(rng, (5,)) * 2.0},
                     tags=frozenset({"2d", "pos-weight", "int-target"})),
                Case("nd-pos-weight-bool-target",
                     (pred(rng, (2, 3, 4)), rng.integers(0, 2, size=(2, 3, 4)).astype(bool)),
                     {"pos_weight": [float(w) for w in weights(rng, (4,)) * 2.0]},
                     tags=frozenset({"nd", "pos-weight", "bool-target"})),
                # the tails, exact in relative terms (float16 cannot hold 2e-9)
                Case("tails", (TAIL_LOGITS, TAIL_TARGETS), dtypes=FULL,
                     tags=frozenset({"1d", "tail"})),
                Case("tails-int-target", (TAIL_LOGITS, TAIL_TARGETS.astype(np.int64)),
                     dtypes=FULL, tags=frozenset({"1d", "tail", "int-target"})),
                Case("tails-pos-weight", (TAIL_LOGITS, TAIL_TARGETS),
                     {"pos_weight": np.full(5, 2.5)}, dtypes=FULL,
                     tags=frozenset({"1d", "tail", "pos-weight"})),
                Case("2d-pos-weight-smoothing", (pred(rng, (4, 5)), bt(rng, (4, 5))),
                     {"pos_weight": weights(rng, (5,)) * 2.0, "label_smoothing": 0.1},
                     tags=frozenset({"2d", "pos-weight", "smoothing"})),
                Case("nd-pos-weight-bool-target-smoothing",
                     (pred(rng, (2, 3, 4)), rng.integers(0, 2, size=(2, 3, 4)).astype(bool)),
                     {"pos_weight": weights(rng, (4,)), "label_smoothing": 0.3},
                     tags=frozenset({"nd", "pos-weight", "bool-target", "smoothing"})),
                Case("tails-smoothing", (TAIL_LOGITS, TAIL_TARGETS), {"label_smoothing": 0.05},
                     dtypes=FULL, tags=frozenset({"1d", "tail", "smoothing"})),
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
        Case("probs-0-and-1-smoothing", (p, y), {"label_smoothing": 0.1},
             tags=frozenset({"2d", "smoothing"})),
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
            Case(f"logits-pm{tag}-smoothing", (x, y), {"label_smoothing": 0.1},
                 dtypes=dtypes, tags=frozenset({"2d", "smoothing"})),
            Case(f"logits-pm{tag}-bool-target-smoothing", (x, y > 0.5),
                 {"label_smoothing": 0.2}, dtypes=dtypes,
                 tags=frozenset({"2d", "smoothing", "bool-target"})),
        ]
    return out


# --------------------------------------------------------------------------- oracles


def _smoothed(t: list[Any], kw: Mapping[str, Any]) -> Any:
    """The target pulled toward 0.5, y (1 - ε) + ε / 2 (Keras's binary label smoothing;
    PyTorch has none), in float64."""
    e = float(kw.get("label_smoothing", 0.0))
    return t[1].to(t[0].dtype) * (1.0 - e) + 0.5 * e


def _bce_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    F = torch().nn.functional
    return F.binary_cross_entropy(t[0], _smoothed(t, kw), weight=kw.get("weight"),
                                  reduction=reduction)


def _bce_clamped(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any], reduction: str,
                 dtype: str) -> np.ndarray:
    """The extreme cases' oracle: PyTorch's ``binary_cross_entropy`` of the probabilities
    clamped to [eps, 1 - eps] with eps = finfo(dtype).eps of the dtype under test, our
    documented clamp (PyTorch clamps each log at -100 instead, which a fixed 1e-7 or a
    float64 eps in a half-precision call would also pass)."""
    eps = EPS[dtype]
    return from_torch(_bce_torch)((np.clip(args[0], eps, 1.0 - eps), *args[1:]), kwargs,
                                  reduction)


def _bce_logits_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    F = torch().nn.functional
    return F.binary_cross_entropy_with_logits(
        t[0], _smoothed(t, kw), weight=kw.get("weight"), pos_weight=kw.get("pos_weight"),
        reduction=reduction)


#: Keras's NumPy backend takes logits through a float32 sigmoid, clips it at 1e-7 and
#: takes log(1 - p): it loses about eps · e^|x| (and everything beyond |x| ~ 16): the
#: cross-check leaves out logits beyond this magnitude, and meets Tol(2e-5, 2e-6) below
_KERAS_LOGITS_MAX = 5.0


def _keras_binary(from_logits: bool) -> Any:
    def oracle(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
               reduction: str) -> np.ndarray | None:
        """``keras.losses.binary_crossentropy(y, p, from_logits=..., label_smoothing=e)``
        element-wise (a trailing axis of 1, which Keras averages over), times the
        element weights, then our reductions; no ``pos_weight`` (Keras has none), no
        logits beyond ``_KERAS_LOGITS_MAX``."""
        if "pos_weight" in kwargs or (from_logits and args[0].size and np.max(
                np.abs(args[0])) > _KERAS_LOGITS_MAX):
            return None
        k = keras()
        pred = np.asarray(args[0], np.float64)
        y = np.asarray(args[1], np.float64)
        value = np.asarray(k.losses.binary_crossentropy(
            y.reshape(-1, 1), pred.reshape(-1, 1), from_logits=from_logits,
            label_smoothing=float(kwargs.get("label_smoothing", 0.0))), np.float64)
        value = value.reshape(pred.shape)
        if "weight" in kwargs:
            value = value * np.asarray(kwargs["weight"], np.float64)
        return np_reduce(value, reduction)
    return oracle


# --------------------------------------------------------------------------- specs

_EXACT_7000 = {"float32": Tol(0.0, 0.0), "float64": Tol(1e-15, 0.0)}

_PINNED_BINARY_CROSS_ENTROPY_WITH_LOGITS = (
    # logits in both tails with soft (floating) targets of 0 and 1: the gradient there is
    # σ(x) - y ≈ ∓2.06e-9 at |x| = 20 in float32, far below the O(1) terms that a
    # max(x, 0) + log1p(exp(-|x|)) form sums it with (which once returned exactly 0 under
    # jax.grad and torch.compile); relative 1e-5, no absolute floor
    Pinned("tail-gradients-are-exact", (np.array([20.0, -20.0, 15.0, -15.0, 0.5]),
                                        np.array([1.0, 0.0, 1.0, 0.0, 1.0])),
           value="oracle", grad="oracle", reductions=("sum",), dtypes=("float32",),
           tol=Tol(1e-5, 0.0), grad_tol=Tol(1e-5, 0.0), compiled=True,
           exact_tails=True),
    # published: x = 1e4, y = 0.3: (1 - y) x + softplus(-x) = 7000, exactly in float32
    # (float64: (1 - 0.3) · 1e4 rounds to 7000 within 1e-15)
    Pinned("logit-1e4-target-0.3-is-7000-0d", (np.array(1e4), np.array(0.3)), value=7000.0,
           reductions=("none", "mean", "sum"), dtypes=FULL, tol=_EXACT_7000),
    Pinned("logit-1e4-target-0.3-is-7000-1d", (np.array([1e4]), np.array([0.3])),
           value=7000.0, reductions=("none", "mean", "sum"), dtypes=FULL, tol=_EXACT_7000),
    # published: the tails x = -20, y = 0 and x = 20, y = 1 are log1p(exp(-20)) =
    # 2.0611536e-9, not 0
    Pinned("tail-minus-20-target-0", (np.array([-20.0]), np.array([0.0])),
           value=math.log1p(math.exp(-20.0)), dtypes=FULL, tol=Tol(1e-6, 0.0),
           exact_tails=True),
    Pinned("tail-plus-20-target-1", (np.array([20.0]), np.array([1.0])),
           value=math.log1p(math.exp(-20.0)), reductions=("sum",), dtypes=FULL,
           tol=Tol(1e-6, 0.0), exact_tails=True),
)

SPECS = [
    torch_spec("binary_cross_entropy", _bce_torch, "torch.nn.functional.binary_cross_entropy",
               _binary_cases(probabilities, with_pos_weight=False), _bce_extreme,
               differences="PyTorch clamps each log at -100, we clamp p to "
               "[eps, 1 - eps] with eps = finfo(dtype).eps: they differ only when p is "
               "within eps of 0 or 1, so value cases draw p from [0.02, 0.98]; p in "
               "{0, 1} (the extreme cases) is compared with PyTorch's BCE of p clamped as ours. "
               "PyTorch has no label_smoothing: the oracle smooths the target toward 0.5 "
               "as Keras does, y (1 - e) + e / 2; Keras's binary_crossentropy (which clips "
               "at 1e-7, inactive in the value cases) is a cross-check at float32 accuracy.",
               extreme_oracle=_bce_clamped,
               cross_checks=(("keras.losses.binary_crossentropy(label_smoothing=e) "
                              "(NumPy backend)", _keras_binary(False), KERAS),)),
    torch_spec("binary_cross_entropy_with_logits", _bce_logits_torch,
               "torch.nn.functional.binary_cross_entropy_with_logits",
               _binary_cases(logits, with_pos_weight=True), _bce_logits_extreme,
               differences="PyTorch has no label_smoothing: the oracle smooths the target "
               "toward 0.5 as Keras does, y (1 - e) + e / 2; Keras's "
               "binary_crossentropy(from_logits=True, label_smoothing=e) is a cross-check at "
               "float32 accuracy (without pos_weight, which Keras lacks; for logits up to 5 "
               "in magnitude: Keras's NumPy backend takes log(1 - sigmoid(x)) in float32, "
               "clipped at 1e-7).",
               cross_checks=(("keras.losses.binary_crossentropy(from_logits=True, "
                              "label_smoothing=e) (NumPy backend, |x| <= 5)",
                              _keras_binary(True), Tol(2e-5, 2e-6)),),
               pinned=_PINNED_BINARY_CROSS_ENTROPY_WITH_LOGITS),
]
