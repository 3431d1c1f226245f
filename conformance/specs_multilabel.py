"""Conformance spec entries of the multi-label and imbalance losses
(``losses_xp/multilabel.py``; the asymmetric loss's entry is with the focal losses).

Oracles (float64, independent of our code):

* ZLPR: the bert4keras reference formula (Su Jianlin's
  ``multilabel_categorical_crossentropy``: a ``1e12`` sentinel masks the other half of
  the classes, a zero is appended, ``logsumexp``) in PyTorch; exact in float64, also at
  the extreme logits of 1e4.  Gradients: PyTorch autograd.
* class-balanced loss: the official TensorFlow code (richardaecn/class-balanced-loss,
  ``src/cifar_main.py``: the effective-number weights of ``main``, the per-sample
  weights of ``_tower_fn``, ``focal_loss``) transcribed to PyTorch.
* class-balanced weights: the same official weight formula in NumPy.

Pinned and tested here: ZLPR of the article's example is ``[1.8582, 2.0163, 2.0666]``
(4 decimals), equal to the bert4keras reference; the values the article prints,
``[1.4417, 1.6109, 1.5661]``, are not what its own code computes.  Right in float16
(where the 1e12 sentinel overflows) and compiled; log(1 + #neg) + log(1 + #pos) at
s = 0.  ``class_balanced_loss`` of the published example (10 samples, 5 classes, counts
``[2, 3, 1, 2, 2]``, β = 0.9999, γ = 2, focal) is ``1.9583``; a hard positive at logit -12
in float16 keeps its modulator 1 (the popular PyTorch port gives 0); ``"softmax"``'s
mean is the mean over samples of ``w[y]·CE``, not PyTorch's ``Σw``-normalised weighted
mean.  ``class_balanced_weights``: sum = C, β = 0 uniform, zero counts finite (weight
of a one-sample class), the result's library / dtype rules.
"""

from __future__ import annotations

import math
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
    quantize,
)

from .helpers import close, compiled_call, full_dtypes, lazy
from .registry import Pinned, Tol, from_torch, spec, t_reduce, torch, torch_spec

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


# --------------------------------------------------------------------------- ZLPR


def _zlpr_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """bert4keras ``multilabel_categorical_crossentropy`` (class axis moved last)::

        y_pred = (1 - 2 * y_true) * y_pred
        y_pred_neg = y_pred - y_true * 1e12
        y_pred_pos = y_pred - (1 - y_true) * 1e12
        zeros = zeros_like(y_pred[..., :1])
        neg_loss = logsumexp(concat([y_pred_neg, zeros]), -1)
        pos_loss = logsumexp(concat([y_pred_pos, zeros]), -1)
        return neg_loss + pos_loss
    """
    th = torch()
    axis = int(kw.get("axis", -1))
    s = t[0].movedim(axis, -1)
    y = t[1].to(th.float64).movedim(axis, -1)
    y_pred = (1 - 2 * y) * s
    y_neg = y_pred - y * 1e12
    y_pos = y_pred - (1 - y) * 1e12
    zeros = th.zeros_like(y_pred[..., :1])
    loss = (th.logsumexp(th.cat([y_neg, zeros], dim=-1), dim=-1)
            + th.logsumexp(th.cat([y_pos, zeros], dim=-1), dim=-1))
    return t_reduce(loss, reduction)


# --------------------------------------------------------------------------- class-balanced


def _official_weights(n: np.ndarray, beta: float) -> np.ndarray:
    """``main`` of the official code, with a count of 0 taken as 1 (our documented
    choice; the official code divides by ``1 - β⁰ = 0``)::

        effective_num = 1.0 - np.power(beta, img_num_per_cls)
        weights = (1.0 - beta) / np.array(effective_num)
        weights = weights / np.sum(weights) * num_classes
    """
    n = np.maximum(np.asarray(n, dtype=np.float64), 1.0)
    effective_num = 1.0 - np.power(beta, n)
    weights = (1.0 - beta) / np.array(effective_num)
    return weights / np.sum(weights) * n.shape[0]


def _cb_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """The official ``_tower_fn`` + ``focal_loss`` (class axis moved last).

    ``log1p(exp(-x))`` of the official modulator is evaluated as
    ``max(-x, 0) + log1p(exp(-|x|))`` (the same number; the literal form overflows
    ``exp`` for logits below -709 in float64).  Reductions: ``none`` is the per-sample
    ``Σ_c`` of the weighted loss, ``sum`` the official numerator, ``mean`` the
    official value (sigmoid/focal: divided by the number of positive labels; softmax:
    ``tf.losses.softmax_cross_entropy``'s SUM_BY_NONZERO_WEIGHTS, i.e. the mean over
    samples since every weight is positive).
    """
    th = torch()
    F = th.nn.functional
    axis = int(kw.get("axis", -1))
    x = t[0].movedim(axis, -1)
    labels = t[1]
    C = x.shape[-1]
    beta = float(kw.get("beta", 0.9999))
    gamma = float(kw.get("gamma", 2.0))
    loss_type = kw.get("loss_type", "focal")
    w_class = th.as_tensor(_official_weights(np.asarray(kw["samples_per_class"]), beta))
    one_hot = F.one_hot(labels, C).to(th.float64)
    weights = (w_class * one_hot).sum(-1, keepdim=True).expand_as(one_hot)
    if loss_type == "softmax":
        ce = -(one_hot * th.log_softmax(x, dim=-1)).sum(-1)
        loss = weights[..., 0] * ce
        if reduction == "mean":
            return loss.sum() / loss.numel()
        return t_reduce(loss, reduction)
    bce = F.binary_cross_entropy_with_logits(x, one_hot, reduction="none")
    if loss_type == "focal" and gamma != 0.0:
        log1p_exp = th.clamp(-x, min=0) + th.log1p(th.exp(-x.abs()))
        modulator = th.exp(-gamma * one_hot * x - gamma * log1p_exp)
        bce = modulator * bce
    per_element = weights * bce
    if reduction == "mean":
        return per_element.sum() / one_hot.sum()
    return t_reduce(per_element.sum(-1), reduction)


def _cb_weights_numpy(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                      reduction: str) -> np.ndarray:
    n = np.asarray(args[0], dtype=np.float64)
    beta = float(kwargs.get("beta", 0.9999))
    if beta == 0.0:  # 0**0 = 1 would divide by zero for a zero count
        return np.ones_like(n)
    return _official_weights(n, beta)


# --------------------------------------------------------------------------- specs

_ZLPR_S = np.array([[0.9, 0.1, 0.8, 0.3], [0.3, 0.2, 0.5, 0.7], [0.7, 0.6, 0.1, 0.3]])
_ZLPR_Y = np.array([[1, 0, 1, 0], [0, 0, 1, 1], [1, 0, 0, 0]])
_ZLPR_PUBLISHED = np.array([1.8582, 2.0163, 2.0666])
_ZLPR_ARTICLE = np.array([1.4417, 1.6109, 1.5661])  # printed by the article, not reproduced
# at s = 0 the loss is log(1 + #neg) + log(1 + #pos); scores of the right sign (s_i > 0
# iff class i is positive) drive it to 0, of the wrong sign it grows like |s|
_SIGNS_Y = np.array([[1, 0, 1, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]])
_N_POS = _SIGNS_Y.sum(-1)

_PINNED_MULTILABEL_CATEGORICAL_CROSSENTROPY = (
    # no 1e12 sentinel: float16, and jit/torch.compile, give the reference value
    Pinned("float16-and-compiled", (_ZLPR_S, _ZLPR_Y), value="oracle",
           dtypes=("float16", "float32"), compiled=True),
    Pinned("zero-logits", (np.zeros((3, 5)), _SIGNS_Y),
           value=np.log1p(5 - _N_POS) + np.log1p(_N_POS)),
    Pinned("right-signs-cost-nothing", (20.0 * (2 * _SIGNS_Y - 1), _SIGNS_Y), value=0.0,
           tol=Tol(0.0, 1e-7)),
    Pinned("wrong-signs-grow-like-s", (-20.0 * (2 * _SIGNS_Y - 1), _SIGNS_Y),
           value=np.log1p((5 - _N_POS) * math.exp(20.0)) + np.log1p(_N_POS * math.exp(20.0))),
)

_CB_X = np.array([
    [0.1505, 0.9621, 0.8622, 0.0237, 0.0270], [0.6218, 0.2745, 0.3015, 0.1501, 0.1728],
    [0.3590, 0.1760, 0.0807, 0.7440, 0.6973], [0.9401, 0.7118, 0.1725, 0.1843, 0.3226],
    [0.4655, 0.8319, 0.4336, 0.8718, 0.5842], [0.9423, 0.3339, 0.1081, 0.4718, 0.4329],
    [0.5122, 0.7010, 0.1736, 0.5903, 0.0712], [0.6442, 0.1365, 0.1391, 0.8278, 0.5986],
    [0.1245, 0.5662, 0.9571, 0.8515, 0.9883], [0.4654, 0.8924, 0.0224, 0.9056, 0.4517]])
_CB_Y = np.array([0, 3, 4, 2, 2, 1, 4, 0, 1, 2])
_CB_COUNTS = [2, 3, 1, 2, 2]
_CB_PUBLISHED_OPTIONS = {"samples_per_class": _CB_COUNTS, "beta": 0.9999, "gamma": 2.0,
                         "loss_type": "focal"}


def _cb_reference(x: np.ndarray, y: np.ndarray, counts: Any, reduction: str = "mean",
                  **kw: Any) -> np.ndarray:
    """The official TensorFlow formula in float64 (the oracle)."""
    return from_torch(_cb_torch)((x, y), {"samples_per_class": counts, **kw}, reduction)


def _cb_published(*_: Any) -> np.ndarray:
    """The published 1.9583, which the official formula on the example reproduces."""
    assert round(float(_cb_reference(_CB_X, _CB_Y, _CB_COUNTS)), 4) == 1.9583
    return np.asarray(1.9583)


_PINNED_CLASS_BALANCED_LOSS = (
    Pinned("0d-result-is-an-array", (np.array([0.12573242]), np.array(0)),
           {"samples_per_class": [255]}, value="oracle", reductions=("mean",)),
    Pinned("zero-loss-is-positive-zero", (np.array([[2.0]]), np.array([0])),
           {"samples_per_class": [4], "loss_type": "softmax"}, value=0.0),
    # the published example: the official formula on the rounded inputs in every dtype,
    # 1.9583 to 4 decimals in float32/float64
    Pinned("published-example", (_CB_X, _CB_Y), _CB_PUBLISHED_OPTIONS, value="oracle",
           reductions=("mean",)),
    Pinned("published-value", (_CB_X, _CB_Y), _CB_PUBLISHED_OPTIONS, value=_cb_published,
           reductions=("mean",), dtypes=FULL, tol=Tol(0.0, 5e-5)),
)

SPECS = [
    torch_spec("multilabel_categorical_crossentropy", _zlpr_torch,
               cases=_zlpr_cases, extreme=_zlpr_extreme,
         reference="bert4keras multilabel_categorical_crossentropy (1e12 sentinel) in "
                   "PyTorch float64",
         differences="None on 0/1 targets. The reference masks with a 1e12 sentinel, exact "
                     "in float64 but wrong in float16 (1e12 overflows to inf, inf - inf = "
                     "NaN) and needing a float64 sentinel under jax.jit; ours masks with "
                     "-inf and a shifted log-sum-exp (a pinned float16 check).",
         pinned=_PINNED_MULTILABEL_CATEGORICAL_CROSSENTROPY),
    torch_spec("class_balanced_loss", _cb_torch, cases=_cb_loss_cases, extreme=_cb_loss_extreme,
         reference="official TensorFlow class-balanced loss (richardaecn/class-balanced-loss "
                   "src/cifar_main.py) transcribed to PyTorch float64",
         differences="A class with 0 samples: the official weight is (1-β)/0 = inf; ours (and "
                     "the oracle's) counts it as 1 sample. The official modulator's "
                     "log1p(exp(-x)) overflows for x < -709 (float64), -88 (float32): the "
                     "oracle evaluates the same quantity stably; ours is finite for any "
                     "logit (a hard positive at -12 has modulator 1 in float16). Not the "
                     "popular PyTorch port (vandit15): its 'softmax' is a weighted BCE of "
                     "softmax probabilities, its mean divides by the element count.",
        pinned=_PINNED_CLASS_BALANCED_LOSS),
    spec("class_balanced_weights", oracle=_cb_weights_numpy, cases=_cb_weights_cases,
         extreme=_cb_weights_extreme, shape_tags=frozenset({"empty", "1d"}),
         reference="official effective-number weights (richardaecn/class-balanced-loss "
                   "src/cifar_main.py main) in NumPy float64",
         differences="A count of 0 is taken as 1 (official: division by zero). Ours evaluates "
                     "1 - β^n as -expm1(n log β), no cancellation for β near 1; the "
                     "official 1 - np.power(β, n) loses ~1e-12 relative at β = 0.9999."),
]


# --------------------------------------------------------------------------- tests


def test_zlpr_published_values(bk: Backend) -> None:
    def reference(s: np.ndarray) -> np.ndarray:  # bert4keras's formula in float64
        return from_torch(_zlpr_torch)((s, _ZLPR_Y), {}, "none")

    np.testing.assert_array_equal(np.round(reference(_ZLPR_S), 4), _ZLPR_PUBLISHED)
    for dtype in bk.dtypes:
        s, y = bk.asarray(_ZLPR_S, dtype), bk.asarray(_ZLPR_Y)
        out = lazy(bk, lx.multilabel_categorical_crossentropy, s, y, reduction="none")
        assert bk.dtype_name(out) == dtype
        got = bk.to_numpy(out)
        if dtype in FULL:
            np.testing.assert_array_equal(np.round(got, 4), _ZLPR_PUBLISHED, err_msg=dtype)
        # in every dtype: the reference on the same (rounded) inputs, right in float16
        close(got, reference(quantize(_ZLPR_S, dtype)), dtype)
        assert np.all(np.abs(got - _ZLPR_ARTICLE) > 0.25), "the article's printed values"
        mean = bk.to_numpy(lazy(bk, lx.multilabel_categorical_crossentropy, s, y))
        close(mean, np.mean(got), dtype, "mean")


@pytest.mark.parametrize("loss_type", ["focal", "sigmoid", "softmax"])
def test_class_balanced_counts_as_array(bk: Backend, loss_type: str) -> None:
    """``samples_per_class`` as a list, an integer array and a floating array agree."""
    want = _cb_reference(_CB_X, _CB_Y, _CB_COUNTS, loss_type=loss_type, reduction="none")
    for dtype in full_dtypes(bk):
        x, y = bk.asarray(_CB_X, dtype), bk.asarray(_CB_Y)
        for counts in (_CB_COUNTS, bk.asarray(np.array(_CB_COUNTS)),
                       bk.asarray(np.array(_CB_COUNTS, dtype=np.float64), dtype)):
            got = bk.to_numpy(lazy(bk, lx.class_balanced_loss, x, y, counts,
                                   loss_type=loss_type, reduction="none"))
            close(got, want, dtype, loss_type)


def test_class_balanced_focal_hard_positive_float16(bk: Backend) -> None:
    """A hard positive (logit -12) keeps modulator (1 - p)^γ = 1: its loss is
    softplus(12) ≈ 12 in float16, not 0 (what ``exp(-γ y x - γ log1p(exp(-x)))``
    evaluated in float16 gives: exp(12) overflows float16's 65504)."""
    dtype = "float16" if "float16" in bk.dtypes else "float32"
    x = bk.asarray(np.array([[-12.0], [-12.0]]), dtype)
    y = bk.asarray(np.array([0, 0]))
    out = lazy(bk, lx.class_balanced_loss, x, y, [1], beta=0.0, gamma=2.0,
               loss_type="focal", reduction="none")
    assert bk.dtype_name(out) == dtype
    p = 1.0 / (1.0 + math.exp(12.0))  # σ(-12)
    want = math.log1p(math.exp(12.0)) * (1.0 - p) ** 2  # 11.99986 (modulator ≈ 1)
    close(bk.to_numpy(out), [want, want], dtype)
    # the naive float16 evaluation of the official formula, for contrast
    with np.errstate(over="ignore"):
        naive = np.exp(np.float16(24.0) - np.float16(2.0) * np.log1p(np.exp(np.float16(12.0))))
    assert naive == 0.0


def test_class_balanced_softmax_mean_is_not_torch_weighted_mean(bk: Backend) -> None:
    F = torch().nn.functional
    w = np.asarray(lx.class_balanced_weights(_CB_COUNTS, beta=0.99))
    ce = F.cross_entropy(torch().tensor(_CB_X), torch().tensor(_CB_Y),
                         weight=torch().tensor(w), reduction="none").numpy()
    official = ce.mean()  # Σ w_y CE / N
    torch_mean = ce.sum() / w[_CB_Y].sum()  # PyTorch's weighted mean: Σ w_y CE / Σ w_y
    assert abs(official - torch_mean) > 1e-2
    for dtype in full_dtypes(bk):
        got = bk.to_numpy(lazy(bk, lx.class_balanced_loss, bk.asarray(_CB_X, dtype),
                               bk.asarray(_CB_Y), _CB_COUNTS, beta=0.99, loss_type="softmax"))
        close(got, official, dtype)


@pytest.mark.backend_paths  # (the traced branches of the value checks)
def test_class_balanced_compiled(bk: Backend) -> None:
    """The counts as a (traced) array argument of the compiled function."""
    dtype = "float32"
    x, y = bk.asarray(_CB_X, dtype), bk.asarray(_CB_Y)
    counts = bk.asarray(np.array(_CB_COUNTS, dtype=np.float64), dtype)
    out = compiled_call(bk, lambda a, b, n: lx.class_balanced_loss(a, b, n), x, y, counts)
    if out is None:
        pytest.skip(f"{bk.name} has no compiler: checked on jax and torch")
    close(bk.to_numpy(out), _cb_reference(quantize(_CB_X, dtype), _CB_Y, _CB_COUNTS), dtype)


def test_class_balanced_weights_properties(bk: Backend) -> None:
    counts = np.array([0.0, 1.0, 4.0, 30.0, 500.0, 0.0])
    for dtype in bk.dtypes:
        n = bk.asarray(counts, dtype)
        w = lazy(bk, lx.class_balanced_weights, n, beta=0.99)
        assert bk.is_native(w)
        assert bk.dtype_name(w) == dtype
        got = bk.to_numpy(w)
        assert np.all(np.isfinite(got))
        close(np.sum(got), 6.0, dtype, "sum = C")
        # a class with 0 samples has the weight of a class with one sample
        assert got[0] == got[1] == got[5], got
        assert np.all(np.diff(got[1:5]) < 0), "fewer samples, larger weight"
        uniform = bk.to_numpy(lazy(bk, lx.class_balanced_weights, n, beta=0.0))
        np.testing.assert_array_equal(uniform, np.ones(6), err_msg=dtype)


def test_class_balanced_weights_result_library(bk: Backend) -> None:
    want = np.asarray(lx.class_balanced_weights([2, 3, 1]))
    assert isinstance(want, np.ndarray)
    assert want.dtype == np.float64
    # integer counts: the library's default floating dtype
    out = lx.class_balanced_weights(bk.asarray(np.array([2, 3, 1])))
    assert bk.is_native(out)
    xp = bk.namespace_of(out)
    assert out.dtype == xp.asarray(0.0, device=device(out)).dtype
    close(bk.to_numpy(out), want, bk.dtype_name(out))
    # like=: the library, device and floating dtype of another array
    for dtype in bk.dtypes:
        like = bk.asarray(np.zeros(2), dtype)
        out = lx.class_balanced_weights([2, 3, 1], like=like)
        assert bk.is_native(out)
        assert bk.dtype_name(out) == dtype
        assert bk.device_of(out) == bk.device_of(like)
        close(bk.to_numpy(out), want, dtype)
