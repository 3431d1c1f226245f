"""A project's own loss, proven on every backend with losses_xp's conformance kit.

The weighted Tversky loss of a binary segmentation: per sample,
``1 - (TP + s) / (TP + alpha * FP + beta * FN + s)`` with the soft counts
``TP = sum(w * p * t)``, ``FP = sum(w * p * (1 - t))``, ``FN = sum(w * (1 - p) * t)``
over every axis but the first, ``p = sigmoid(logits)`` and per-pixel weights ``w``
(Salehi et al., 2017, "Tversky loss function for image segmentation using 3D fully
convolutional deep networks").

Written once against the array API standard, it runs on whatever arrays it gets.
``python -m losses_xp check --module weighted_tversky`` runs the kit's matrix on it (from
this directory, or with it on ``PYTHONPATH``); docs/testing_your_loss.md walks through it.
"""

from __future__ import annotations

from typing import Any

import array_api_compat

from losses_xp.testing import declare, spec


@declare(prediction="logits", target="binary", unit="sample", growth="bounded",
         min_ndim=2, options={"alpha": "non_negative", "beta": "non_negative",
                              "weight": "element_weight"})
def weighted_tversky_loss(logits: Any, target: Any, *, alpha: float = 0.3,
                          beta: float = 0.7, weight: Any = None,
                          reduction: str = "mean") -> Any:
    """The weighted Tversky loss of logits against binary (or soft) targets."""
    xp = array_api_compat.array_namespace(logits, target)
    dtype = logits.dtype
    # half precision is computed in float32 and rounded once, at the end
    compute = xp.float32 if xp.finfo(dtype).bits < 32 else dtype
    x = xp.astype(logits, compute)
    # sigmoid in log space: exp(-log(1 + exp(-x))) stays finite, and so does its gradient
    p = xp.exp(-xp.logaddexp(xp.zeros_like(x), -x))
    loss = tversky_of_probabilities(xp, p, target, weight, alpha, beta, reduction)
    return xp.astype(loss, dtype)


def tversky_of_probabilities(xp: Any, p: Any, target: Any, weight: Any, alpha: float,
                             beta: float, reduction: str) -> Any:
    """The loss of probabilities ``p`` (in their dtype), reduced."""
    t = xp.astype(target, p.dtype)
    w = xp.ones_like(p) if weight is None else xp.astype(
        xp.asarray(weight, device=array_api_compat.device(p)), p.dtype)
    axes = tuple(range(1, p.ndim))
    tp = xp.sum(w * p * t, axis=axes)
    fp = xp.sum(w * p * (1 - t), axis=axes)
    fn = xp.sum(w * (1 - p) * t, axis=axes)
    loss = 1 - (tp + 1) / (tp + alpha * fp + beta * fn + 1)
    if reduction == "sum":
        return xp.sum(loss)
    return xp.mean(loss) if reduction == "mean" else loss


def tversky_reference(tensors: list[Any], kwargs: dict[str, Any], reduction: str) -> Any:
    """The oracle: the definition, plainly, on float64 PyTorch tensors (its autograd gives
    the gradient oracle)."""
    import torch

    x, t = tensors
    w = kwargs.get("weight")
    w = torch.ones_like(x) if w is None else torch.as_tensor(w, dtype=torch.float64)
    p = torch.sigmoid(x)
    dims = tuple(range(1, x.ndim))
    tp, fp, fn = ((w * p * t).sum(dims), (w * p * (1 - t)).sum(dims),
                  (w * (1 - p) * t).sum(dims))
    loss = 1 - (tp + 1) / (tp + kwargs.get("alpha", 0.3) * fp + kwargs.get("beta", 0.7) * fn + 1)
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


SPEC = spec(weighted_tversky_loss, torch_expr=tversky_reference,
            reference="the definition in float64 PyTorch")
