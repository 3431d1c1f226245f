"""Conformance specs (see :mod:`conformance.registry`) of the focal family.

Oracles (float64, PyTorch ops, autograd for the gradients), none a copy of our
log-space formulas:

* ``sigmoid_focal_loss``: torchvision's ``torchvision.ops.sigmoid_focal_loss``
  formula written out in torch ops (torchvision is not a dependency): ``p =
  sigmoid(x)``, ``p_t = p y + (1 - p)(1 - y)``, ``ce * (1 - p_t) ** gamma``, α-balance
  unless α is None; optax's ``optax.losses.sigmoid_focal_loss`` (JAX, float64) is a
  cross-check;
* ``softmax_focal_loss``: the usual "focal from cross-entropy" recipe, ``ce =
  F.cross_entropy(..., reduction="none")``, ``p_t = exp(-ce)``, ``α_t (1 - p_t) ** γ
  ce``, PyTorch's per-class ``weight`` convention for the mean;
* ``asymmetric_loss``: the official ``AsymmetricLoss.forward`` of
  github.com/Alibaba-MIIL/ASL (``src/loss_functions/losses.py``), with its
  ``disable_torch_grad_focal_loss`` variant for ``detach_focusing=True``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from .registry import EXACT, Spec, _t_reduce, _torch, _torch_spec

# --------------------------------------------------------------------------- sigmoid focal


def torchvision_sigmoid_focal(inputs: Any, targets: Any, alpha: float | None = 0.25,
                              gamma: float = 2.0) -> Any:
    """``torchvision.ops.sigmoid_focal_loss(..., reduction="none")`` (torchvision 0.19),
    transcribed in torch ops; ``alpha=None`` is torchvision's ``alpha=-1``."""
    F = _torch().nn.functional
    p = _torch().sigmoid(inputs)
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
    return _t_reduce(loss, reduction)


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
    torch = _torch()
    F = torch.nn.functional
    logits, target = t[0], t[1]
    axis = int(kw.get("axis", -1)) % logits.ndim
    x = logits if logits.ndim == 1 or axis == 1 else logits.movedim(axis, 1)
    ignore = int(kw.get("ignore_index", -100))
    gamma = float(kw.get("gamma", 2.0))
    kept = target != ignore
    safe = torch.where(kept, target, torch.zeros_like(target))
    ce = F.cross_entropy(x, target, ignore_index=ignore, reduction="none")
    ce = torch.where(kept, ce, torch.ones_like(ce))  # ignored: any safe value, masked below
    pt = torch.exp(-ce)
    loss = (1 - pt) ** gamma * ce
    alpha = kw.get("alpha")
    if alpha is not None:
        loss = loss * (alpha[safe] if isinstance(alpha, torch.Tensor) else float(alpha))
    w_t = kept.to(logits.dtype)
    if kw.get("weight") is not None:
        w_t = torch.where(kept, kw["weight"][safe], torch.zeros_like(w_t))
    loss = torch.where(kept, loss * w_t, torch.zeros_like(loss))
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
        torch = _torch()
        # Calculating Probabilities
        x_sigmoid = torch.sigmoid(x)
        xs_pos = x_sigmoid
        xs_neg = 1 - x_sigmoid
        # Asymmetric Clipping
        if self.clip is not None and self.clip > 0:
            xs_neg = (xs_neg + self.clip).clamp(max=1)
        # Basic CE calculation
        los_pos = y * torch.log(xs_pos.clamp(min=self.eps))
        los_neg = (1 - y) * torch.log(xs_neg.clamp(min=self.eps))
        loss = los_pos + los_neg
        # Asymmetric Focusing
        if self.gamma_neg > 0 or self.gamma_pos > 0:
            grad = contextlib.nullcontext() if not self.disable_torch_grad_focal_loss \
                else torch.no_grad()
            with grad:
                pt0 = xs_pos * y
                pt1 = xs_neg * (1 - y)  # pt = p if t > 0 else 1-p
                pt = pt0 + pt1
                one_sided_gamma = self.gamma_pos * y + self.gamma_neg * (1 - y)
                one_sided_w = torch.pow(1 - pt, one_sided_gamma)
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
    return _t_reduce(official_asl(kw).elementwise(x, y), reduction)


SPECS: list[Spec] = [
    _torch_spec(
        "sigmoid_focal_loss", _sigmoid_focal_torch,
        "torchvision.ops.sigmoid_focal_loss (formula in torch ops)",
        differences="torchvision is not installed: its formula is transcribed in torch ops. "
        "torchvision has no element weight: the oracle multiplies its reduction='none' output "
        "by the weights, then our documented mean (sum / element count). torchvision's "
        "(1 - p_t) ** gamma loses precision and has NaN gradients where p_t rounds to 1 "
        "(gamma < 1): the extreme cases compare only values where it is finite; finiteness "
        "of our gradients is checked on its own.",
        cross_checks=(("optax.losses.sigmoid_focal_loss (JAX float64)", _sigmoid_focal_optax,
                       EXACT),)),
    _torch_spec(
        "softmax_focal_loss", _softmax_focal_torch,
        "focal loss from torch.nn.functional.cross_entropy(reduction='none')",
        differences="No library ships a multi-class softmax focal loss with PyTorch's "
        "conventions: the oracle is the common recipe p_t = exp(-ce) on top of F.cross_entropy, "
        "with (1 - p_t) ** gamma in probability space, per-class alpha/weight read at the "
        "target and the weighted mean of F.cross_entropy (denominator Σ w[y], alpha excluded)."),
    _torch_spec(
        "asymmetric_loss", _asymmetric_torch,
        "AsymmetricLoss of github.com/Alibaba-MIIL/ASL (src/loss_functions/losses.py)",
        differences="The official forward returns -loss.sum() (our reduction='sum'); 'none' is "
        "its element-wise -loss and 'mean' the sum over the element count. Its class defaults "
        "gamma_pos=1 and disable_torch_grad_focal_loss=True; the oracle is configured with our "
        "options (paper defaults gamma_pos=0, full gradient). For soft targets the official "
        "code interpolates the exponent and p_t, we interpolate the two terms: the cases use "
        "0/1 targets only."),
]
