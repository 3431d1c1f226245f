"""Conformance spec entries of the focal losses (``losses_xp/focal.py``) and the tests only
they need (the asymmetric loss shares :func:`binary_extreme`: ``specs_asymmetric.py``).

Oracles (float64, PyTorch ops, autograd for the gradients), none a copy of our log-space
formulas: torchvision's sigmoid focal loss in torch ops (optax's as a cross-check,
keras-retinanet's ``focal`` for the RetinaNet recipe); the softmax focal loss from
``F.cross_entropy`` (``p_t = exp(-ce)``), which is ``cross_entropy`` for γ = 0.  The
extreme cases put logits at ±1e4 (±1e2 in half precision) with every γ ∈ {0, 0.0, 0.5,
1, 2}: the naive ``(1 - p_t) ** gamma`` has a NaN/inf gradient there (shown on PyTorch);
ours, and its second derivative, must stay finite.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._testing import inputs as gen
from losses_xp._testing.backends import Backend
from losses_xp._testing.inputs import (
    EXTREME_LOGIT,
    FULL,
    HALF,
    Case,
    extreme_class_logits,
    quantize,
    weights,
)

from .helpers import full_dtypes, lazy, need_autodiff
from .registry import EXACT, TOLERANCES, Pinned, Tol, np_reduce, t_reduce, tensor, torch, torch_spec

#: the focusing exponents of the extreme cases (0 as an int and as a float)
GAMMAS: tuple[float, ...] = (0, 0.0, 0.5, 1, 2)


def _t(*names: str) -> frozenset[str]:
    return frozenset(names)


# ------------------------------------------------------------------ cases


def _sigmoid_focal_cases(rng: np.random.Generator) -> list[Case]:
    lg, bt, st = gen.logits, gen.binary_targets, gen.soft_targets
    anchors = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])[:, None]  # a RetinaNet-style mask
    return [
        Case("0d", (lg(rng, ()), bt(rng, ())), tags=_t("0d")),
        Case("empty", (lg(rng, (0, 4)), bt(rng, (0, 4))), tags=_t("empty", "nan-mean"), grad=False),
        Case("1d", (lg(rng, (8,)), bt(rng, (8,))), tags=_t("1d")),
        Case("2d", (lg(rng, (4, 5)), bt(rng, (4, 5))), tags=_t("2d")),
        Case("2d-soft", (lg(rng, (4, 5)), st(rng, (4, 5))), tags=_t("2d")),
        Case("nd", (lg(rng, (2, 3, 4, 5)), bt(rng, (2, 3, 4, 5))), tags=_t("nd")),
        Case("nd-soft-alpha-none", (lg(rng, (2, 3, 4)), st(rng, (2, 3, 4))),
             {"alpha": None}, tags=_t("nd")),
        Case("bool-target", (lg(rng, (6,)), rng.integers(0, 2, size=(6,)).astype(bool)),
             tags=_t("1d", "bool-target")),
        Case("int-target", (lg(rng, (6,)), rng.integers(0, 2, size=(6,))),
             tags=_t("1d", "int-target")),
        *(Case(f"2d-{name}", (lg(rng, (4, 5)), tg(rng, (4, 5))), kw, tags=_t("2d"))
          for name, tg, kw in [("alpha-none", bt, {"alpha": None}),
                               ("alpha-0.6-gamma-1", bt, {"alpha": 0.6, "gamma": 1}),
                               ("gamma-0", st, {"gamma": 0}), ("gamma-0.0", bt, {"gamma": 0.0}),
                               ("gamma-0.5", bt, {"gamma": 0.5}),
                               ("gamma-3.5-soft", st, {"gamma": 3.5})]),
        Case("2d-weight", (lg(rng, (4, 5)), st(rng, (4, 5))), {"weight": weights(rng, (4, 5))},
             tags=_t("2d", "weight")),
        Case("2d-weight-list", (lg(rng, (4, 5)), bt(rng, (4, 5))),
             {"weight": [float(w) for w in weights(rng, (5,))]}, tags=_t("2d", "weight")),
        Case("2d-anchor-mask", (lg(rng, (6, 3)), bt(rng, (6, 3))),
             {"weight": anchors, "alpha": 0.25, "gamma": 2.0}, tags=_t("2d", "weight")),
    ]


def binary_extreme(magnitudes: Sequence[tuple[str, tuple[str, ...], float]], gamma_key: str,
                   extra: list[dict[str, object]]) -> list[Case]:
    """Logits at ±m against agreeing, disagreeing and soft targets, for every γ (the
    sigmoid focal and the asymmetric loss).  ``magnitudes``: ``(name tag, dtypes, m)``."""
    out = []
    for tag, dtypes, m in magnitudes:
        x = m * np.array([[1.0, -1.0, 1.0, -1.0], [1.0, -1.0, 0.5, -0.5]])
        y = np.array([[1.0, 0.0, 0.0, 1.0], [0.3, 0.7, 1.0, 0.0]])
        hard = np.array([[1.0, 0.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0]])
        for g in GAMMAS:
            name = f"logits-pm{tag}-{gamma_key}-{g!r}"
            out.append(Case(name, (x, hard), {gamma_key: g}, dtypes=dtypes, tags=_t("2d")))
            # bool targets take the hard-target algebra (chosen from the dtype)
            out.append(Case(f"{name}-bool", (x, hard > 0), {gamma_key: g}, dtypes=dtypes,
                            tags=_t("2d", "bool-target")))
        for i, kw in enumerate(extra):
            out.append(Case(f"logits-pm{tag}-opts{i}", (x, y if "soft" in kw else hard),
                            {k: v for k, v in kw.items() if k != "soft"}, dtypes=dtypes,
                            tags=_t("2d")))
        out.append(Case(f"logit-pm{tag}-0d", (np.array(-m), np.array(1.0)), dtypes=dtypes,
                        tags=_t("0d")))
    return out


def _sigmoid_focal_extreme(rng: np.random.Generator) -> list[Case]:
    mags = [(f"{EXTREME_LOGIT[d[0]]:g}", d, EXTREME_LOGIT[d[0]]) for d in (FULL, HALF)]
    extra: list[dict[str, object]] = [
        {"soft": True, "gamma": 0.5, "alpha": None}, {"soft": True, "gamma": 2.0},
        {"gamma": 0.0, "alpha": None}, {"weight": weights(rng, (4,)), "gamma": 0.5}]
    return binary_extreme(mags, "gamma", extra)


def _softmax_focal_cases(rng: np.random.Generator) -> list[Case]:
    lg, ci, ign = gen.logits, gen.class_indices, gen.with_ignored
    C = 5
    alpha = weights(rng, (C,)) / 2.0
    return [
        Case("1d-logits-0d-target", (lg(rng, (C,)), ci(rng, (), C)), tags=_t("0d")),
        Case("empty", (lg(rng, (0, C)), ci(rng, (0,), C)), tags=_t("empty", "nan-mean"),
             grad=False),
        Case("2d", (lg(rng, (6, C)), ci(rng, (6,), C)), tags=_t("2d")),
        Case("nd-axis1", (lg(rng, (2, 3, 4, 5)), ci(rng, (2, 4, 5), 3)), {"axis": 1},
             tags=_t("nd")),
        Case("nd-last", (lg(rng, (2, 3, 4)), ci(rng, (2, 3), 4)), tags=_t("nd")),
        *(Case(f"2d-{name}", (lg(rng, (6, C)), ci(rng, (6,), C)), kw, tags=_t("2d"))
          for name, kw in [("gamma-0", {"gamma": 0}), ("gamma-0.0", {"gamma": 0.0}),
                           ("gamma-0.5", {"gamma": 0.5}), ("gamma-1", {"gamma": 1}),
                           ("alpha-scalar", {"alpha": 0.25}), ("alpha-array", {"alpha": alpha})]),
        Case("2d-alpha-list", (lg(rng, (6, C)), ci(rng, (6,), C)),
             {"alpha": [float(a) for a in weights(rng, (C,)) / 2.0]}, tags=_t("2d")),
        Case("2d-weight", (lg(rng, (6, C)), ci(rng, (6,), C)), {"weight": weights(rng, (C,))},
             tags=_t("2d", "class-weight")),
        Case("2d-ignore", (lg(rng, (8, C)), ign(rng, ci(rng, (8,), C), -100)),
             tags=_t("2d", "ignore")),
        Case("2d-ignore-in-range", (lg(rng, (8, C)), ci(rng, (8,), C)), {"ignore_index": 2},
             tags=_t("2d", "ignore")),
        Case("2d-gamma-0.5-ignore", (lg(rng, (8, C)), ign(rng, ci(rng, (8,), C), -100)),
             {"gamma": 0.5}, tags=_t("2d", "ignore")),
        Case("nd-axis1-alpha-weight-ignore",
             (lg(rng, (2, 4, 3, 2)), ign(rng, ci(rng, (2, 3, 2), 4), 7)),
             {"axis": 1, "alpha": [0.1, 0.2, 0.3, 0.4], "ignore_index": 7, "gamma": 1.5,
              "weight": [float(w) for w in weights(rng, (4,))]},
             tags=_t("nd", "class-weight", "ignore")),
        Case("all-ignored", (lg(rng, (4, C)), np.full((4,), -100, dtype=np.int64)),
             tags=_t("2d", "ignore", "nan-mean"), grad=False),
    ]


def _softmax_focal_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x, y = extreme_class_logits(m)  # wrong, right, wrong, right
        tag = f"{m:g}"
        out += [Case(f"logits-pm{tag}-gamma-{g!r}", (x, y), {"gamma": g}, dtypes=dtypes,
                     tags=_t("2d")) for g in GAMMAS]
        out += [
            Case(f"logits-pm{tag}-alpha-weight", (x, y),
                 {"gamma": 0.5, "alpha": weights(rng, (4,)) / 2, "weight": weights(rng, (4,))},
                 dtypes=dtypes, tags=_t("2d", "class-weight")),
            Case(f"logits-pm{tag}-nd-axis1",
                 (m * rng.choice([-1.0, 1.0], size=(2, 3, 2)), gen.class_indices(rng, (2, 2), 3)),
                 {"axis": 1}, dtypes=dtypes, tags=_t("nd")),
        ]
    return out


# --------------------------------------------------------------------------- oracles


def torchvision_sigmoid_focal(inputs: Any, targets: Any, alpha: float | None = 0.25,
                              gamma: float = 2.0) -> Any:
    """``torchvision.ops.sigmoid_focal_loss(..., reduction="none")`` (torchvision 0.19),
    transcribed in torch ops; ``alpha=None`` is torchvision's ``alpha=-1``."""
    F = torch().nn.functional
    p = torch().sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha is not None and alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    return loss


def _sigmoid_focal_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    x, y = t[0], t[1].to(t[0].dtype)
    loss = torchvision_sigmoid_focal(x, y, alpha=kw.get("alpha", 0.25),
                                     gamma=float(kw.get("gamma", 2.0)))
    if "weight" in kw:
        loss = loss * kw["weight"]
    return t_reduce(loss, reduction)


def _sigmoid_focal_optax(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                         reduction: str) -> np.ndarray | None:
    """``optax.losses.sigmoid_focal_loss`` (element-wise) in float64, then weights and
    our reductions (a value cross-check: it agrees with torchvision's formula to ~1e-12)."""
    try:
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError:  # pragma: no cover - jax/optax missing from the environment
        return None
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        x = jnp.asarray(np.asarray(args[0], np.float64))
        y = jnp.asarray(np.asarray(args[1], np.float64))
        loss = optax.losses.sigmoid_focal_loss(x, y, alpha=kwargs.get("alpha", 0.25),
                                               gamma=float(kwargs.get("gamma", 2.0)))
        value = np.asarray(loss, dtype=np.float64)
    finally:
        jax.config.update("jax_enable_x64", old)
    if "weight" in kwargs:
        value = value * np.asarray(kwargs["weight"], dtype=np.float64)
    return np_reduce(value, reduction)


def _softmax_focal_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """Focal loss from ``F.cross_entropy(reduction="none")``: ``p_t = exp(-ce)``,
    ``α_t (1 - p_t) ** γ · ce · w[y]``; the mean divides by Σ w[y] over the kept
    targets (PyTorch's weighted-mean convention)."""
    th = torch()
    F = th.nn.functional
    logits, target = t[0], t[1]
    axis = int(kw.get("axis", -1)) % logits.ndim
    x = logits if logits.ndim == 1 or axis == 1 else logits.movedim(axis, 1)
    ignore = int(kw.get("ignore_index", -100))
    gamma = float(kw.get("gamma", 2.0))
    kept = target != ignore
    safe = th.where(kept, target, th.zeros_like(target))
    ce = F.cross_entropy(x, target, ignore_index=ignore, reduction="none")
    ce = th.where(kept, ce, th.ones_like(ce))  # ignored: any safe value, masked below
    pt = th.exp(-ce)
    loss = (1 - pt) ** gamma * ce
    alpha = kw.get("alpha")
    if alpha is not None:
        loss = loss * (alpha[safe] if isinstance(alpha, th.Tensor) else float(alpha))
    w_t = kept.to(logits.dtype)
    if kw.get("weight") is not None:
        w_t = th.where(kept, kw["weight"][safe], th.zeros_like(w_t))
    loss = th.where(kept, loss * w_t, th.zeros_like(loss))
    return loss.sum() / w_t.sum() if reduction == "mean" else t_reduce(loss, reduction)


# --------------------------------------------------------------------------- specs

_X = np.array([[0.1, 0.9, 0.3], [0.8, 0.2, 0.6], [0.4, 0.5, 0.7]])
_Y = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 1]])


def _torchvision_on_exact_example(*_: Any) -> np.ndarray:
    """torchvision's formula on the unrounded example (float64): the published 0.1430."""
    want = float(torchvision_sigmoid_focal(tensor(_X), tensor(_Y * 1.0), None, 2.0).mean())
    assert round(want, 4) == 0.1430, want
    return np.asarray(want)


_PINNED_SIGMOID_FOCAL_LOSS = (
    # logits in both tails with soft targets of 0 and 1 (torchvision's formula in float64
    # as the oracle): exact tail gradients of ~1e-9 in float32, eager and compiled
    Pinned("tail-gradients-are-exact", (np.array([20.0, -20.0, 15.0, -15.0, 0.5]),
                                        np.array([1.0, 0.0, 1.0, 0.0, 1.0])),
           value="oracle", grad="oracle", reductions=("sum",), dtypes=("float32",),
           tol=Tol(1e-5, 0.0), grad_tol=Tol(1e-5, 0.0), compiled=True,
           exact_tails=True),
    Pinned("empty-mean-is-nan", (np.zeros((0, 4)), np.zeros((0, 4))), value=np.nan,
           reductions=("mean",)),
    # the example, mean = 0.1430 (4 decimals, within twice the dtype's rtol), and
    # torchvision's float64 value of the unrounded example to the dtype's tolerance
    Pinned("published-value", (_X, _Y), {"alpha": None, "gamma": 2}, value=0.1430,
           reductions=("mean",), tol={d: Tol(2 * t.rtol, 5e-5) for d, t in TOLERANCES.items()}),
    Pinned("published-value-torchvision", (_X, _Y), {"alpha": None, "gamma": 2},
           value=_torchvision_on_exact_example, reductions=("mean",)),
)

# One class: p_y = 1, the loss is exactly +0, its gradient 0.  The focal factor took the
# log of the empty sum of the other classes (a NumPy "divide by zero in log" warning), and
# a γ that rounds to 0 in float32 (4.3e-158, the fuzzer's) made it 0 · -inf = NaN.
_ONE_CLASS = (np.array([[0.125732421875], [3.0]]), np.array([0, 0]))
_EXACT_ZERO = Tol(0.0, 0.0)

_PINNED_SOFTMAX_FOCAL_LOSS = (
    Pinned("empty-mean-is-nan", (np.zeros((1, 0)), np.zeros(0, dtype=np.int64)),
           {"axis": 0, "alpha": np.array([0.63671875])}, value=np.nan, reductions=("mean",)),
    Pinned("zero-loss-is-positive-zero", (np.array([0.125732421875]), np.array(0)),
           {"gamma": 0.0}, value=0.0),
    *(Pinned(f"one-class-is-zero-gamma-{g!r}", _ONE_CLASS, {"gamma": g}, value=0.0,
             dtypes=("float16", "float32"), tol=_EXACT_ZERO)
      for g in (2.0, 4.2960684680389425e-158)),
    Pinned("one-class-gradient-is-zero", _ONE_CLASS, {"gamma": 0.5}, value=0.0, grad=0.0,
           reductions=("sum",), dtypes=("float16", "float32"), tol=_EXACT_ZERO,
           grad_tol=_EXACT_ZERO),
)

SPECS = [
    torch_spec(
        "sigmoid_focal_loss", _sigmoid_focal_torch,
        "torchvision.ops.sigmoid_focal_loss (formula in torch ops)",
        _sigmoid_focal_cases, _sigmoid_focal_extreme,
        differences="torchvision is not installed: its formula is transcribed in torch ops. "
        "torchvision has no element weight: the oracle multiplies its reduction='none' output "
        "by the weights, then our documented mean (sum / element count). torchvision's "
        "(1 - p_t) ** gamma loses precision and has NaN gradients where p_t rounds to 1 "
        "(gamma < 1): the extreme cases compare only values where it is finite; finiteness "
        "of our gradients is checked on its own.",
        cross_checks=(("optax.losses.sigmoid_focal_loss (JAX float64)", _sigmoid_focal_optax,
                       EXACT),),
        pinned=_PINNED_SIGMOID_FOCAL_LOSS),
    torch_spec(
        "softmax_focal_loss", _softmax_focal_torch,
        "focal loss from torch.nn.functional.cross_entropy(reduction='none')",
        _softmax_focal_cases, _softmax_focal_extreme,
        differences="No library ships a multi-class softmax focal loss with PyTorch's "
        "conventions: the oracle is the common recipe p_t = exp(-ce) on top of F.cross_entropy, "
        "with (1 - p_t) ** gamma in probability space, per-class alpha/weight read at the "
        "target and the weighted mean of F.cross_entropy (denominator Σ w[y], alpha excluded).",
        pinned=_PINNED_SOFTMAX_FOCAL_LOSS, torch_negative_zero=True),
]


# --------------------------------------------------------------------------- tests

GRAD_GAMMAS = (0.0, 0.5, 1, 2)
_EPS = {"float16": 2**-10, "bfloat16": 2**-7, "float32": 2**-23, "float64": 2**-52}


def _finite_to_second_order(bk: Backend, f: Any, x: Any, what: Any,
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Value and gradient of the scalar ``f`` at ``x``, after checking that they and the
    gradient of ``sum(gradient)`` (the Hessian times ones; its diagonal for element-wise
    losses) are finite."""
    value = bk.to_numpy(f(x))
    if bk.name == "torch":
        leaf = x.detach().clone().requires_grad_(True)
        (g,) = torch().autograd.grad(f(leaf), leaf, create_graph=True)
        (h,) = torch().autograd.grad(g.sum(), leaf)
    else:
        import jax

        g, h = jax.grad(f)(x), jax.grad(lambda z: jax.grad(f)(z).sum())(x)
    g, h = bk.to_numpy(g), bk.to_numpy(h)
    for name, v in (("value", value), ("gradient", g), ("second derivative", h)):
        assert np.all(np.isfinite(v)), (what, name, v)
    return value, g


@pytest.mark.parametrize("gamma", GRAD_GAMMAS, ids=[repr(g) for g in GRAD_GAMMAS])
@pytest.mark.parametrize("alpha", [0.25, None], ids=["alpha", "no-alpha"])
def test_sigmoid_focal_extreme_second_derivative(bk: Backend, gamma: float,
                                                 alpha: float | None) -> None:
    need_autodiff(bk)
    for dtype in full_dtypes(bk):
        yb = bk.asarray(np.array([1.0, 0.0, 0.0, 1.0, 0.3, 0.7, 1.0]), dtype)
        for m in (100.0, 1e4):
            x = bk.asarray(m * np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 0.5]), dtype)
            _, g = _finite_to_second_order(bk, lambda z, yb=yb: lx.sigmoid_focal_loss(
                z, yb, alpha=alpha, gamma=gamma, reduction="sum"), x, (dtype, m))
            # confident and right: (almost) no loss and no gradient; wrong: the
            # gradient of alpha_t * |x| is ±alpha_t
            assert abs(g[0]) < 1e-30, g
            assert abs(g[1]) < 1e-30, g
            want = [1.0, -1.0] if alpha is None else [1.0 - alpha, -alpha]
            np.testing.assert_allclose(g[2:4], want, rtol=1e-6)


def test_torchvision_formula_gradient_is_nan_where_ours_is_finite() -> None:
    """Why the factor comes from log-probabilities: the torchvision formula's gradient
    at logit 100 with target 1 and gamma=0.5 is NaN in float64 (0 ** -0.5 * 0)."""
    th = torch()  # the oracles' library: installed in every conformance session
    x = tensor(np.array([100.0, -40.0]), requires_grad=True)
    y = tensor(np.array([1.0, 0.0]))
    (g_ref,) = th.autograd.grad(torchvision_sigmoid_focal(x, y, gamma=0.5).sum(), x)
    assert th.isnan(g_ref).any()
    (g,) = th.autograd.grad(lx.sigmoid_focal_loss(x, y, gamma=0.5, reduction="sum"), x)
    assert th.isfinite(g).all()


def _retinanet_inputs(no_positive: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(B, A, C) logits, one-hot labels and (B, A) anchor states in {-1, 0, 1}."""
    rng = np.random.default_rng(11)
    B, A, C = 2, 9, 4
    logits = rng.normal(0.0, 2.0, size=(B, A, C))
    state = rng.choice([-1, 0, 1], size=(B, A), p=[0.2, 0.5, 0.3])
    state[0, :3] = [1, 0, -1]
    if no_positive:
        state[state == 1] = 0
    cls = rng.integers(0, C, size=(B, A))
    labels = np.where(state[..., None] == 1, np.eye(C)[cls], 0.0)  # one-hot, positives only
    return logits, labels, state


def keras_retinanet_focal(logits: Any, labels: Any, state: Any, alpha: float = 0.25,
                          gamma: float = 2.0) -> Any:
    """``keras_retinanet.losses.focal()._focal`` (keras-retinanet 1.0) in PyTorch:
    boolean-index the non-ignored anchors, alpha/focal weights with ``where`` on the
    labels, Keras's ``binary_crossentropy`` of probabilities, normalised by
    max(1, number of positive anchors)."""
    th = torch()
    classification = th.sigmoid(logits)  # keras-retinanet's model ends in a sigmoid
    indices = state != -1  # filter out "ignore" anchors
    labels = labels[indices]
    classification = classification[indices]
    alpha_factor = th.ones_like(labels) * alpha
    alpha_factor = th.where(labels == 1, alpha_factor, 1 - alpha_factor)
    focal_weight = th.where(labels == 1, 1 - classification, classification)
    focal_weight = alpha_factor * focal_weight ** gamma
    bce = -(labels * th.log(classification) + (1 - labels) * th.log(1 - classification))
    cls_loss = focal_weight * bce
    n_positive = th.nonzero(state == 1).shape[0]
    normalizer = max(1.0, float(n_positive))
    return cls_loss.sum() / normalizer


def _ours_retinanet(xp: Any, logits: Any, labels: Any, state: Any) -> Any:
    keep = xp.expand_dims(xp.astype(state != -1, logits.dtype), axis=-1)
    n_pos = xp.clip(xp.sum(xp.astype(state == 1, logits.dtype)), min=1.0)
    return lx.sigmoid_focal_loss(logits, labels, weight=keep, reduction="sum") / n_pos


@pytest.mark.backend_paths  # (the soft-target log-space branch of JAX)
@pytest.mark.parametrize("no_positive", [False, True], ids=["positives", "no-positive"])
def test_retinanet_recipe_matches_keras_retinanet(bk: Backend, no_positive: bool) -> None:
    """The value in every dtype; with positive anchors also the gradient (autodiff
    backends, float32/float64), which is exactly 0 at the ignored anchors."""
    x, y, s = _retinanet_inputs(no_positive)
    for dtype in bk.dtypes:
        xq = tensor(quantize(x, dtype), requires_grad=True)
        want = keras_retinanet_focal(xq, tensor(y), tensor(s * 1.0))
        xb, yb, sb = bk.asarray(x, dtype), bk.asarray(y, dtype), bk.asarray(s)
        out = lazy(bk, _ours_retinanet, bk.namespace_of(xb), xb, yb, sb)
        assert bk.dtype_name(out) == dtype
        tol = TOLERANCES[dtype]
        np.testing.assert_allclose(bk.to_numpy(out), want.item(), rtol=tol.rtol, atol=tol.atol,
                                   err_msg=dtype)
        if no_positive or not bk.autodiff or dtype not in FULL:
            continue
        g_want = torch().autograd.grad(want, xq)[0].numpy()
        _, (g,) = bk.value_and_grad(
            lambda a, yb=yb, sb=sb: _ours_retinanet(bk.namespace_of(a), a, yb, sb), [xb], [0])
        np.testing.assert_allclose(g, g_want, rtol=tol.rtol,
                                   atol=tol.atol * float(np.abs(g_want).max()), err_msg=dtype)
        assert np.all(g[s == -1] == 0.0)  # ignored anchors get no gradient


def _ce_inputs(dtype: str, bk: Backend) -> tuple[Any, Any, list[float]]:
    rng = np.random.default_rng(7)
    x = rng.normal(0.0, 3.0, size=(10, 5))
    t = rng.integers(0, 5, size=(10,))
    t[[1, 4]] = -100
    return bk.asarray(x, dtype), bk.asarray(t), [float(w) for w in rng.uniform(0.5, 2, 5)]


@pytest.mark.parametrize("gamma", [0, 0.0], ids=["int", "float"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weight"])
def test_softmax_focal_gamma_0_is_cross_entropy(bk: Backend, gamma: float, reduction: str,
                                                weighted: bool) -> None:
    """Values equal to rounding (on PyTorch lx.cross_entropy is the fused F.cross_entropy,
    whose log-softmax rounds differently in the last bits); so are the gradients of the
    mean with γ = 0.0 (autodiff backends)."""
    for dtype in bk.dtypes:
        x, t, w = _ce_inputs(dtype, bk)
        kw: dict[str, Any] = {"weight": w} if weighted else {}
        got = bk.to_numpy(lazy(bk, lx.softmax_focal_loss, x, t, gamma=gamma,
                               reduction=reduction, **kw))
        want = bk.to_numpy(lazy(bk, lx.cross_entropy, x, t, reduction=reduction, **kw))
        rtol = 8 * _EPS[dtype]
        np.testing.assert_allclose(got, want, rtol=rtol, atol=0, err_msg=dtype)
        if not bk.autodiff or reduction != "mean" or repr(gamma) != "0.0":
            continue
        _, (g,) = bk.value_and_grad(
            lambda a, t=t, kw=kw: lx.softmax_focal_loss(a, t, gamma=0.0, **kw), [x], [0])
        _, (g_ce,) = bk.value_and_grad(lambda a, t=t, kw=kw: lx.cross_entropy(a, t, **kw),
                                       [x], [0])
        np.testing.assert_allclose(g, g_ce, rtol=rtol, atol=rtol * float(np.max(np.abs(g_ce))),
                                   err_msg=dtype)


def test_softmax_focal_factor_is_per_sample(bk: Backend) -> None:
    """mean = mean_i (1 - p_i)^γ ce_i, not (1 - exp(-mean ce))^γ · mean ce."""
    for dtype in full_dtypes(bk):
        x, t, _ = _ce_inputs(dtype, bk)
        ce = bk.to_numpy(lx.cross_entropy(x, t, reduction="none"))
        kept = bk.to_numpy(t) != -100
        per_sample = (1.0 - np.exp(-ce)) ** 2 * ce
        got = float(bk.to_numpy(lazy(bk, lx.softmax_focal_loss, x, t)))
        tol = TOLERANCES[dtype]
        np.testing.assert_allclose(got, per_sample[kept].mean(), rtol=tol.rtol * 10)
        mean_ce = ce[kept].mean()
        assert abs(got - (1.0 - math.exp(-mean_ce)) ** 2 * mean_ce) > 1e-2


@pytest.mark.parametrize("gamma", GRAD_GAMMAS, ids=[repr(g) for g in GRAD_GAMMAS])
def test_softmax_focal_extreme_second_derivative(bk: Backend, gamma: float) -> None:
    need_autodiff(bk)
    tb = bk.asarray(np.array([0, 0, 2]))  # right, wrong, wrong (tied max)
    for dtype in full_dtypes(bk):
        for m in (100.0, 1e4):
            x = bk.asarray(m * np.array([[1.0, -1.0, 0.5], [-1.0, -1.0, 1.0], [1.0, 1.0, -1.0]]),
                           dtype)
            value, g = _finite_to_second_order(bk, lambda z: lx.softmax_focal_loss(
                z, tb, gamma=gamma, reduction="sum"), x, (dtype, m))
            # a wrong sample's loss is ~ its margin, with gradient -1 at the target
            np.testing.assert_allclose(g[1], [-1.0, 0.0, 1.0], atol=1e-6)
            np.testing.assert_allclose(value, 2 * m + (m * 2 + math.log(2.0)), rtol=1e-6)
