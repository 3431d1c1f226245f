"""Conformance spec entries of the focal losses (``losses_xp/focal.py``) and of the
asymmetric loss (``losses_xp/multilabel.py``), which shares their extreme cases.

Oracles (float64, PyTorch ops, autograd for the gradients), none a copy of our
log-space formulas:

* sigmoid focal loss: torchvision's ``torchvision.ops.sigmoid_focal_loss`` formula
  written out in torch ops (torchvision is not a dependency): ``p = sigmoid(x)``,
  ``p_t = p y + (1 - p)(1 - y)``, ``ce * (1 - p_t) ** gamma``, α-balance unless α is
  None; optax's ``optax.losses.sigmoid_focal_loss`` (JAX, float64) is a cross-check;
* softmax focal loss: the usual "focal from cross-entropy" recipe, ``ce =
  F.cross_entropy(..., reduction="none")``, ``p_t = exp(-ce)``, ``α_t (1 - p_t) ** γ
  ce``, PyTorch's per-class ``weight`` convention for the mean;
* asymmetric loss: the official ``AsymmetricLoss.forward`` of
  github.com/Alibaba-MIIL/ASL (``src/loss_functions/losses.py``), with its
  ``disable_torch_grad_focal_loss`` variant for ``detach_focusing=True``.

The extreme cases put logits at ±1e4 (±1e2 in half precision, and ±1e2 in every dtype
for ASL) with every focusing exponent γ ∈ {0, 0.0, 0.5, 1, 2}: the naive
``(1 - p_t) ** gamma`` has a NaN/inf gradient there, ours must stay finite.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._testing.backends import Backend
from losses_xp._testing.inputs import (
    EXTREME_LOGIT,
    FULL,
    HALF,
    Case,
    binary_targets,
    class_indices,
    logits,
    soft_targets,
    weights,
    with_ignored,
)

from .helpers import grad_of, no_runtime_warnings
from .registry import EXACT, Pinned, Tol, t_reduce, torch, torch_spec

#: the focusing exponents of the extreme cases (0 as an int and as a float)
GAMMAS: tuple[float, ...] = (0, 0.0, 0.5, 1, 2)


def _t(*names: str) -> frozenset[str]:
    return frozenset(names)


# ------------------------------------------------------------------ sigmoid focal


def _sigmoid_focal_cases(rng: np.random.Generator) -> list[Case]:
    lg, bt, st = logits, binary_targets, soft_targets
    anchors = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])[:, None]  # a RetinaNet-style mask
    return [
        Case("0d", (lg(rng, ()), bt(rng, ())), tags=_t("0d")),
        Case("empty", (lg(rng, (0, 4)), bt(rng, (0, 4))), tags=_t("empty", "nan-mean"),
             grad=False),
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
        Case("2d-alpha-none", (lg(rng, (4, 5)), bt(rng, (4, 5))), {"alpha": None},
             tags=_t("2d")),
        Case("2d-alpha-0.6-gamma-1", (lg(rng, (4, 5)), bt(rng, (4, 5))),
             {"alpha": 0.6, "gamma": 1}, tags=_t("2d")),
        Case("2d-gamma-0", (lg(rng, (4, 5)), st(rng, (4, 5))), {"gamma": 0}, tags=_t("2d")),
        Case("2d-gamma-0.0", (lg(rng, (4, 5)), bt(rng, (4, 5))), {"gamma": 0.0},
             tags=_t("2d")),
        Case("2d-gamma-0.5", (lg(rng, (4, 5)), bt(rng, (4, 5))), {"gamma": 0.5},
             tags=_t("2d")),
        Case("2d-gamma-3.5-soft", (lg(rng, (4, 5)), st(rng, (4, 5))), {"gamma": 3.5},
             tags=_t("2d")),
        Case("2d-weight", (lg(rng, (4, 5)), st(rng, (4, 5))), {"weight": weights(rng, (4, 5))},
             tags=_t("2d", "weight")),
        Case("2d-weight-list", (lg(rng, (4, 5)), bt(rng, (4, 5))),
             {"weight": [float(w) for w in weights(rng, (5,))]}, tags=_t("2d", "weight")),
        Case("2d-anchor-mask", (lg(rng, (6, 3)), bt(rng, (6, 3))),
             {"weight": anchors, "alpha": 0.25, "gamma": 2.0}, tags=_t("2d", "weight")),
    ]


def _binary_extreme(magnitudes: Sequence[tuple[str, tuple[str, ...], float]], gamma_key: str,
                    extra: list[dict[str, object]]) -> list[Case]:
    """Logits at ±m against agreeing, disagreeing and soft targets, for every γ.

    ``magnitudes``: ``(name tag, dtypes, m)`` triples."""
    out = []
    for tag, dtypes, m in magnitudes:
        x = m * np.array([[1.0, -1.0, 1.0, -1.0], [1.0, -1.0, 0.5, -0.5]])
        y = np.array([[1.0, 0.0, 0.0, 1.0], [0.3, 0.7, 1.0, 0.0]])
        hard = np.array([[1.0, 0.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0]])
        for g in GAMMAS:
            gname = f"{g!r}"
            out.append(Case(f"logits-pm{tag}-{gamma_key}-{gname}", (x, hard),
                            {gamma_key: g}, dtypes=dtypes, tags=_t("2d")))
            # bool targets take the hard-target algebra (chosen from the dtype)
            out.append(Case(f"logits-pm{tag}-{gamma_key}-{gname}-bool", (x, hard > 0),
                            {gamma_key: g}, dtypes=dtypes, tags=_t("2d", "bool-target")))
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
        {"soft": True, "gamma": 0.5, "alpha": None},
        {"soft": True, "gamma": 2.0},
        {"gamma": 0.0, "alpha": None},
        {"weight": weights(rng, (4,)), "gamma": 0.5},
    ]
    return _binary_extreme(mags, "gamma", extra)


# ------------------------------------------------------------------ softmax focal


def _softmax_focal_cases(rng: np.random.Generator) -> list[Case]:
    lg, ci = logits, class_indices
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
        Case("2d-gamma-0", (lg(rng, (6, C)), ci(rng, (6,), C)), {"gamma": 0}, tags=_t("2d")),
        Case("2d-gamma-0.0", (lg(rng, (6, C)), ci(rng, (6,), C)), {"gamma": 0.0},
             tags=_t("2d")),
        Case("2d-gamma-0.5", (lg(rng, (6, C)), ci(rng, (6,), C)), {"gamma": 0.5},
             tags=_t("2d")),
        Case("2d-gamma-1", (lg(rng, (6, C)), ci(rng, (6,), C)), {"gamma": 1}, tags=_t("2d")),
        Case("2d-alpha-scalar", (lg(rng, (6, C)), ci(rng, (6,), C)), {"alpha": 0.25},
             tags=_t("2d")),
        Case("2d-alpha-array", (lg(rng, (6, C)), ci(rng, (6,), C)), {"alpha": alpha},
             tags=_t("2d")),
        Case("2d-alpha-list", (lg(rng, (6, C)), ci(rng, (6,), C)),
             {"alpha": [float(a) for a in weights(rng, (C,)) / 2.0]}, tags=_t("2d")),
        Case("2d-weight", (lg(rng, (6, C)), ci(rng, (6,), C)), {"weight": weights(rng, (C,))},
             tags=_t("2d", "class-weight")),
        Case("2d-ignore", (lg(rng, (8, C)), with_ignored(rng, ci(rng, (8,), C), -100)),
             tags=_t("2d", "ignore")),
        Case("2d-ignore-in-range", (lg(rng, (8, C)), ci(rng, (8,), C)), {"ignore_index": 2},
             tags=_t("2d", "ignore")),
        Case("2d-gamma-0.5-ignore", (lg(rng, (8, C)), with_ignored(rng, ci(rng, (8,), C), -100)),
             {"gamma": 0.5}, tags=_t("2d", "ignore")),
        Case("nd-axis1-alpha-weight-ignore",
             (lg(rng, (2, 4, 3, 2)), with_ignored(rng, ci(rng, (2, 3, 2), 4), 7)),
             {"axis": 1, "alpha": [0.1, 0.2, 0.3, 0.4],
              "weight": [float(w) for w in weights(rng, (4,))], "ignore_index": 7,
              "gamma": 1.5},
             tags=_t("nd", "class-weight", "ignore")),
        Case("all-ignored", (lg(rng, (4, C)), np.full((4,), -100, dtype=np.int64)),
             tags=_t("2d", "ignore", "nan-mean"), grad=False),
    ]


def _softmax_focal_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * np.array([[1.0, -1.0, 0.5, -0.5], [-1.0, -1.0, 1.0, 0.0],
                          [1.0, 1.0, -1.0, -1.0], [1.0, -1.0, -1.0, -1.0]])
        y = np.array([1, 2, 2, 0], dtype=np.int64)  # wrong, right, wrong, right
        tag = f"{m:g}"
        for g in GAMMAS:
            out.append(Case(f"logits-pm{tag}-gamma-{g!r}", (x, y), {"gamma": g}, dtypes=dtypes,
                            tags=_t("2d")))
        out += [
            Case(f"logits-pm{tag}-alpha-weight", (x, y),
                 {"gamma": 0.5, "alpha": weights(rng, (4,)) / 2, "weight": weights(rng, (4,))},
                 dtypes=dtypes, tags=_t("2d", "class-weight")),
            Case(f"logits-pm{tag}-nd-axis1",
                 (m * rng.choice([-1.0, 1.0], size=(2, 3, 2)), class_indices(rng, (2, 2), 3)),
                 {"axis": 1}, dtypes=dtypes, tags=_t("nd")),
        ]
    return out


# ------------------------------------------------------------------ asymmetric


def _asymmetric_cases(rng: np.random.Generator) -> list[Case]:
    lg, bt = logits, binary_targets
    return [
        Case("0d", (lg(rng, ()), bt(rng, ())), tags=_t("0d")),
        Case("empty", (lg(rng, (0, 4)), bt(rng, (0, 4))), tags=_t("empty", "nan-mean"),
             grad=False),
        Case("1d", (lg(rng, (8,)), bt(rng, (8,))), tags=_t("1d")),
        Case("2d", (lg(rng, (4, 6)), bt(rng, (4, 6))), tags=_t("2d")),
        Case("nd", (lg(rng, (2, 3, 4, 5)), bt(rng, (2, 3, 4, 5))), tags=_t("nd")),
        Case("bool-target", (lg(rng, (6,)), rng.integers(0, 2, size=(6,)).astype(bool)),
             tags=_t("1d", "bool-target")),
        Case("int-target", (lg(rng, (3, 4)), rng.integers(0, 2, size=(3, 4))),
             tags=_t("2d", "int-target")),
        Case("2d-official-defaults", (lg(rng, (4, 6)), bt(rng, (4, 6))),
             {"gamma_pos": 1, "gamma_neg": 4, "clip": 0.05}, tags=_t("2d")),
        Case("2d-clip-0", (lg(rng, (4, 6)), bt(rng, (4, 6))), {"clip": 0.0}, tags=_t("2d")),
        Case("2d-bce", (lg(rng, (4, 6)), bt(rng, (4, 6))),
             {"gamma_pos": 0, "gamma_neg": 0, "clip": 0}, tags=_t("2d")),
        Case("2d-focal-clip-0", (lg(rng, (4, 6)), bt(rng, (4, 6))),
             {"gamma_pos": 2, "gamma_neg": 2, "clip": 0.0}, tags=_t("2d")),
        # γ- < 1 only without clip: with it the official pow(0, γ- - 1) gradient is NaN
        Case("2d-gamma-0.5-clip-0", (lg(rng, (4, 6)), bt(rng, (4, 6))),
             {"gamma_pos": 0.5, "gamma_neg": 0.5, "clip": 0.0}, tags=_t("2d")),
        Case("2d-gamma-1.5-clip-0.2", (lg(rng, (4, 6)), bt(rng, (4, 6))),
             {"gamma_pos": 0.5, "gamma_neg": 1.5, "clip": 0.2}, tags=_t("2d")),
        Case("2d-detach", (lg(rng, (4, 6)), bt(rng, (4, 6))),
             {"gamma_pos": 1, "detach_focusing": True}, tags=_t("2d")),
        Case("nd-detach-clip-0", (lg(rng, (2, 3, 4)), bt(rng, (2, 3, 4))),
             {"gamma_pos": 1, "gamma_neg": 3, "clip": 0.0, "detach_focusing": True},
             tags=_t("nd")),
        Case("2d-eps-1e-3", (lg(rng, (4, 6)), bt(rng, (4, 6))), {"eps": 1e-3}, tags=_t("2d")),
    ]


def _asymmetric_extreme(rng: np.random.Generator) -> list[Case]:
    # ±1e4 where the dtype holds it, and the issue's ±100 in every dtype
    mags = [("1e4", FULL, 1e4), ("100", FULL + HALF, 100.0)]
    extra: list[dict[str, object]] = [
        {"clip": 0.0},
        {"clip": 0.05, "gamma_pos": 1},
        {"clip": 0.0, "gamma_pos": 0.5, "gamma_neg": 0.5, "detach_focusing": True},
        {"clip": 0.05, "gamma_neg": 0.5},
    ]
    return _binary_extreme(mags, "gamma_neg", extra)


# --------------------------------------------------------------------------- sigmoid focal


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


@contextlib.contextmanager
def _jax_x64() -> Any:
    import jax

    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", old)


def _sigmoid_focal_optax(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                         reduction: str) -> np.ndarray | None:
    """``optax.losses.sigmoid_focal_loss`` (element-wise) in float64, then weights and
    our reductions (a value cross-check: it agrees with torchvision's formula to ~1e-12)."""
    try:
        import jax.numpy as jnp
        import optax
    except ImportError:  # pragma: no cover - jax/optax missing from the environment
        return None
    with _jax_x64():
        x = jnp.asarray(np.asarray(args[0], np.float64))
        y = jnp.asarray(np.asarray(args[1], np.float64))
        loss = optax.losses.sigmoid_focal_loss(x, y, alpha=kwargs.get("alpha", 0.25),
                                               gamma=float(kwargs.get("gamma", 2.0)))
        value = np.asarray(loss, dtype=np.float64)
    if "weight" in kwargs:
        value = value * np.asarray(kwargs["weight"], dtype=np.float64)
    if reduction == "none":
        return value
    if reduction == "sum":
        return np.asarray(np.sum(value))
    return np.asarray(np.sum(value) / value.size) if value.size else np.asarray(np.nan)


# --------------------------------------------------------------------------- softmax focal


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
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / w_t.sum()


# --------------------------------------------------------------------------- ASL


class OfficialAsymmetricLoss:
    """``AsymmetricLoss.forward`` of github.com/Alibaba-MIIL/ASL
    (``src/loss_functions/losses.py``), transcribed; ``disable_torch_grad_focal_loss``
    computes the focusing weight without autograd (the official code toggles
    ``torch.set_grad_enabled``; ``torch.no_grad`` is the same), and the official
    ``-loss.sum()`` is split into the element-wise ``-loss`` and a reduction."""

    def __init__(self, gamma_neg: float = 4, gamma_pos: float = 1, clip: float | None = 0.05,
                 eps: float = 1e-8, disable_torch_grad_focal_loss: bool = True) -> None:
        self.gamma_neg = gamma_neg
        self.gamma_pos = gamma_pos
        self.clip = clip
        self.disable_torch_grad_focal_loss = disable_torch_grad_focal_loss
        self.eps = eps

    def elementwise(self, x: Any, y: Any) -> Any:
        th = torch()
        # Calculating Probabilities
        x_sigmoid = th.sigmoid(x)
        xs_pos = x_sigmoid
        xs_neg = 1 - x_sigmoid
        # Asymmetric Clipping
        if self.clip is not None and self.clip > 0:
            xs_neg = (xs_neg + self.clip).clamp(max=1)
        # Basic CE calculation
        los_pos = y * th.log(xs_pos.clamp(min=self.eps))
        los_neg = (1 - y) * th.log(xs_neg.clamp(min=self.eps))
        loss = los_pos + los_neg
        # Asymmetric Focusing
        if self.gamma_neg > 0 or self.gamma_pos > 0:
            grad = contextlib.nullcontext() if not self.disable_torch_grad_focal_loss \
                else th.no_grad()
            with grad:
                pt0 = xs_pos * y
                pt1 = xs_neg * (1 - y)  # pt = p if t > 0 else 1-p
                pt = pt0 + pt1
                one_sided_gamma = self.gamma_pos * y + self.gamma_neg * (1 - y)
                one_sided_w = th.pow(1 - pt, one_sided_gamma)
            loss = loss * one_sided_w
        return -loss

    def __call__(self, x: Any, y: Any) -> Any:
        return self.elementwise(x, y).sum()


def official_asl(kw: Mapping[str, Any]) -> OfficialAsymmetricLoss:
    """The official loss configured with our options (and our defaults)."""
    return OfficialAsymmetricLoss(
        gamma_neg=float(kw.get("gamma_neg", 4.0)), gamma_pos=float(kw.get("gamma_pos", 0.0)),
        clip=float(kw.get("clip", 0.05)), eps=float(kw.get("eps", 1e-8)),
        disable_torch_grad_focal_loss=bool(kw.get("detach_focusing", False)))


def _asymmetric_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    x, y = t[0], t[1].to(t[0].dtype)
    return t_reduce(official_asl(kw).elementwise(x, y), reduction)


# --------------------------------------------------------------------------- specs

_PINNED_ASYMMETRIC_LOSS = (
    Pinned("0d-result-is-an-array", (np.array(0.12573242), np.array(1.0)), value="oracle"),
    # a loss of exactly 0 was -0.0 (a negated 0): now +0 (fuzzer)
    Pinned("zero-loss-is-positive-zero", (np.array(-4.25390625), np.array(0.0)), value=0.0),
)

_PINNED_SIGMOID_FOCAL_LOSS = (
    # logits in both tails with soft targets of 0 and 1 (torchvision's formula in float64
    # as the oracle): exact tail gradients of ~1e-9 in float32, eager and compiled
    Pinned("tail-gradients-are-exact", (np.array([20.0, -20.0, 15.0, -15.0, 0.5]),
                                        np.array([1.0, 0.0, 1.0, 0.0, 1.0])),
           value="oracle", grad="oracle", reductions=("sum",), dtypes=("float32",),
           tol=Tol(1e-5, 0.0), grad_tol=Tol(1e-5, 0.0), compiled=True),
    Pinned("empty-mean-is-nan", (np.zeros((0, 4)), np.zeros((0, 4))), value=np.nan,
           reductions=("mean",)),
)

_PINNED_SOFTMAX_FOCAL_LOSS = (
    Pinned("empty-mean-is-nan", (np.zeros((1, 0)), np.zeros(0, dtype=np.int64)),
           {"axis": 0, "alpha": np.array([0.63671875])}, value=np.nan, reductions=("mean",)),
    Pinned("zero-loss-is-positive-zero", (np.array([0.125732421875]), np.array(0)),
           {"gamma": 0.0}, value=0.0),
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
        pinned=_PINNED_SOFTMAX_FOCAL_LOSS),
    torch_spec(
        "asymmetric_loss", _asymmetric_torch,
        "AsymmetricLoss of github.com/Alibaba-MIIL/ASL (src/loss_functions/losses.py)",
        _asymmetric_cases, _asymmetric_extreme,
        differences="The official forward returns -loss.sum() (our reduction='sum'); 'none' is "
        "its element-wise -loss and 'mean' the sum over the element count. Its class defaults "
        "gamma_pos=1 and disable_torch_grad_focal_loss=True; the oracle is configured with our "
        "options (paper defaults gamma_pos=0, full gradient). For soft targets the official "
        "code interpolates the exponent and p_t, we interpolate the two terms: the cases use "
        "0/1 targets only.",
        pinned=_PINNED_ASYMMETRIC_LOSS),
]


@pytest.mark.parametrize("gamma", [2.0, 4.2960684680389425e-158])
def test_regression_softmax_focal_one_class(bk: Backend, gamma: float) -> None:
    """One class: p_y = 1 and the loss is 0.  The focal factor took the log of the empty
    sum of the other classes (a NumPy "divide by zero in log" warning), and a γ that
    rounds to 0 in float32 (4.3e-158, the fuzzer's) made it 0 · -inf = NaN."""
    dtype = "float16" if "float16" in bk.dtypes else "float32"
    x = bk.asarray(np.array([[0.125732421875], [3.0]]), dtype)
    y = bk.asarray(np.array([0, 0]))
    with no_runtime_warnings():
        out = lx.softmax_focal_loss(x, y, gamma=gamma, reduction="none")
    with no_runtime_warnings():
        value = bk.to_numpy(out)
    assert np.all(value == 0.0), value
    assert not np.any(np.signbit(value)), f"-0.0: {value}"
    if bk.autodiff:
        g = grad_of(bk, lambda z: lx.softmax_focal_loss(z, y, gamma=0.5, reduction="sum"), x)
        assert np.all(g == 0.0), g
