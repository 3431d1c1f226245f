"""Focal losses: sigmoid (binary / multi-label) and softmax (multi-class).

The modulating factor :math:`(1 - p_t)^\\gamma` is always computed as
:math:`\\exp(\\gamma \\log(1 - p_t))` with :math:`\\log(1 - p_t)` taken from
log-probabilities, never as a power of a probability: the naive power has a NaN
gradient at :math:`1 - p_t = 0` for :math:`\\gamma < 1` (and for ``gamma=0.0`` given as a
float in JAX), underflows to 0 in float16 for a hard example, and loses all precision
when :math:`p_t` rounds to 1.  Here loss, gradient and second derivative are finite for
every finite logit (±1e4 included) and every :math:`\\gamma \\ge 0`.
"""

from __future__ import annotations

import math
from typing import Any

from ._compat import Array, Namespace, namespace
from ._primitives import log_softmax, logsumexp, one_hot, softplus_pair
from ._reduction import reduce
from ._validation import (
    broadcastable_to,
    check_reduction,
    floating_input,
    integer_input,
    normalize_axis,
    numeric_target,
    option_array,
    python_number,
    same_shape,
    values_in_range,
)
from .classification import (
    _ignore_index,
    _index_target_shape,
    pick_class,
    take_class,
)

__all__ = ["sigmoid_focal_loss", "softmax_focal_loss"]


def _log_one_minus_pt(xp: Namespace, y: Array, log_p: Array, log_q: Array) -> Array:
    """log(1 - p_t) for p_t = y p + (1 - y)(1 - p), i.e. log(y q + (1 - y) p).

    ``log_p = log σ(x)`` and ``log_q = log σ(-x)``.  For hard targets this is exactly
    ``log_q`` (y = 1) or ``log_p`` (y = 0); for soft targets a two-term logaddexp in
    which a zero coefficient drops its term (double ``where``: no log(0) reaches the
    value or the gradient).
    """
    pos = y > 0.0
    neg = y < 1.0
    a = xp.where(pos, xp.log(xp.where(pos, y, 1.0)) + log_q, -math.inf)
    b = xp.where(neg, xp.log1p(-xp.where(neg, y, 0.0)) + log_p, -math.inf)
    hi = xp.where(a > b, a, b)
    lo = xp.where(a > b, b, a)
    return hi + xp.log1p(xp.exp(lo - hi))


def sigmoid_focal_core(xp: Namespace, x: Array, y: Array, alpha: float | None,
                       gamma: float) -> Array:
    """Element-wise sigmoid focal loss on compute-dtype ``x`` and targets ``y``."""
    sp_neg, sp_pos = softplus_pair(xp, x)  # -log σ(x), -log σ(-x)
    ce = y * sp_neg + (1.0 - y) * sp_pos
    loss = ce
    if gamma != 0.0:
        loss = xp.exp(gamma * _log_one_minus_pt(xp, y, -sp_neg, -sp_pos)) * ce
    if alpha is not None:
        loss = (alpha * y + (1.0 - alpha) * (1.0 - y)) * loss
    return loss


def _focal_options(alpha: object, gamma: object) -> tuple[float | None, float]:
    g = python_number(gamma, "gamma", minimum=0.0)
    a = None if alpha is None else python_number(alpha, "alpha", minimum=0.0, maximum=1.0)
    return a, g


def sigmoid_focal_loss(logits: Array, target: Array, *, alpha: float | None = 0.25,
                       gamma: float = 2.0, weight: Array | None = None,
                       reduction: str = "mean") -> Array:
    r"""Sigmoid focal loss (Lin et al. 2017), binary or multi-label, element-wise.

    .. math::
        \ell_i = w_i\, \alpha_t\, (1 - p_t)^\gamma\, \mathrm{BCE}(x_i, y_i), \quad
        p_t = y p + (1 - y)(1 - p), \quad \alpha_t = \alpha y + (1 - \alpha)(1 - y)

    with :math:`p = \sigma(x)` and BCE the stable binary cross-entropy with logits.
    Soft targets in [0, 1] are allowed (the formulas above, as in torchvision).

    Parameters
    ----------
    logits : array
        Real floating dtype.
    target : array
        Targets in [0, 1] of exactly ``logits``' shape.
    alpha : float in [0, 1] or None
        Weight of the positive class; ``None`` disables the balancing (torchvision's
        ``alpha=-1``).  Default 0.25 as in the paper and torchvision.
    gamma : float >= 0
        Focusing parameter, default 2.  ``gamma=0`` (int or float) gives the
        α-balanced BCE with an exactly zero-free gradient.
    weight : array or sequence, optional
        Element weights broadcastable to ``logits.shape`` (e.g. an anchor mask).
    reduction : {'mean', 'sum', 'none'}
        ``mean`` divides by the number of elements, as torchvision.

    Notes
    -----
    Equals ``torchvision.ops.sigmoid_focal_loss`` and ``optax.sigmoid_focal_loss``
    wherever those are finite; :math:`\log(1 - p_t)` comes from log-sigmoids (see the
    module notes), so logits of ±1e4 and any :math:`\gamma \ge 0` give finite values,
    gradients and second derivatives, also in float16 (computed in float32).

    **RetinaNet / keras-retinanet recipe** (anchor states −1 ignore, 0 background,
    1 object; one-hot class targets per anchor): ignore anchors through ``weight`` and
    normalise the sum by the number of positive anchors::

        keep = (state != -1)[..., None]                       # (A, 1) → broadcasts
        n_pos = max(1, int((state == 1).sum()))               # or xp.clip(sum, min=1)
        loss = lx.sigmoid_focal_loss(logits, onehot, weight=keep,
                                     reduction="sum") / n_pos

    References
    ----------
    T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár, "Focal Loss for Dense Object
    Detection", ICCV 2017.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> x = np.array([[0.1, 0.9, 0.3], [0.8, 0.2, 0.6], [0.4, 0.5, 0.7]])
    >>> y = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 1]])
    >>> round(float(lx.sigmoid_focal_loss(x, y, alpha=None, gamma=2)), 4)
    0.143
    """
    check_reduction(reduction)
    a, g = _focal_options(alpha, gamma)
    xp = namespace({"logits": logits, "target": target}, {"weight": weight})
    out_dtype, dtype = floating_input(xp, logits, "logits")
    numeric_target(xp, target, "target")
    same_shape(logits, target, ("logits", "target"))
    values_in_range(xp, target, 0.0, 1.0, "target")
    loss = sigmoid_focal_core(xp, xp.astype(logits, dtype), xp.astype(target, dtype), a, g)
    if weight is not None:
        w = option_array(xp, weight, "weight", dtype, logits)
        broadcastable_to(w, tuple(logits.shape), "weight", "`logits`")
        loss = loss * w
    return reduce(xp, loss, reduction, out_dtype)


def softmax_focal_loss(logits: Array, target: Array, *, axis: int = -1,
                       alpha: float | Array | None = None, gamma: float = 2.0,
                       weight: Array | None = None, ignore_index: int = -100,
                       reduction: str = "mean") -> Array:
    r"""Multi-class focal loss on the softmax, per sample.

    .. math::
        \ell_i = -w_i\, \alpha_{y_i} (1 - p_{i,y_i})^\gamma \log p_{i,y_i}

    with :math:`\log p = \operatorname{log\_softmax}(x)` along ``axis`` and
    :math:`\log(1 - p_{i,y_i}) = \operatorname{logsumexp}_{c \ne y_i} \log p_{i,c}`,
    exact even when :math:`p_{i,y_i}` rounds to 1.  The factor is applied per sample
    (applying it to the batch-mean cross-entropy, a common shortcut, is a different
    and wrong loss).

    Parameters
    ----------
    logits : array
        Real floating dtype, classes along ``axis``.
    target : array
        Integer class indices of ``logits``' shape without ``axis``.
    axis : int
        Class axis (``1`` for PyTorch's ``(N, C, ...)``).
    alpha : float, sequence, array or None
        ``None``: no balancing; a float: one factor for every sample; a sequence or
        array of shape ``(C,)``: the factor of each sample's true class.
    gamma : float >= 0
        ``gamma=0`` is exactly :func:`cross_entropy` (value and gradient) for
        ``alpha=None``.
    weight : array or sequence, optional
        Per-sample weights broadcastable to ``target``'s shape.
    ignore_index : int
        Targets equal to it contribute 0 and are not counted.
    reduction : {'mean', 'sum', 'none'}
        ``mean`` divides the sum by the number of targets that are not
        ``ignore_index`` (NaN when all are ignored).  ``alpha`` and ``weight`` are
        factors of each sample's loss and do not enter the denominator (unlike
        ``cross_entropy(weight=...)``, whose mean divides by the summed class weights).

    References
    ----------
    Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017 (Eq. 5, multi-class
    form).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> x = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    >>> round(float(lx.softmax_focal_loss(x, np.array([0, 2]), gamma=0.0)), 6)
    0.175456
    """
    check_reduction(reduction)
    g = python_number(gamma, "gamma", minimum=0.0)
    ignore = _ignore_index(ignore_index)
    xp = namespace({"logits": logits, "target": target}, {"alpha": alpha, "weight": weight})
    out_dtype, dtype = floating_input(xp, logits, "logits")
    ax = normalize_axis(logits.ndim, axis)
    _index_target_shape(logits, target, ax, "logits")
    integer_input(xp, target, "target")
    num_classes = logits.shape[ax]
    logp = log_softmax(xp, xp.astype(logits, dtype), ax)
    picked, kept, invalid, safe = pick_class(xp, logp, target, ax, ignore)
    loss = -picked
    if g != 0.0:
        others = xp.where(one_hot(xp, safe, num_classes, ax), -math.inf, logp)
        loss = xp.exp(g * logsumexp(xp, others, ax)) * loss
    loss = _times_alpha(xp, loss, alpha, safe, num_classes, dtype, logits)
    if weight is not None:
        w = option_array(xp, weight, "weight", dtype, logits)
        broadcastable_to(w, tuple(target.shape), "weight", "`target`")
        loss = loss * w
    loss = xp.where(invalid, math.nan, xp.where(kept, loss, 0.0))
    if reduction == "mean":
        return reduce(xp, xp.sum(loss) / xp.sum(xp.astype(kept, dtype)), "none", out_dtype)
    return reduce(xp, loss, reduction, out_dtype)


def _times_alpha(xp: Namespace, loss: Array, alpha: object, safe: Array, num_classes: int,
                 dtype: Any, like: Array) -> Array:
    if alpha is None:
        return loss
    if isinstance(alpha, (int, float)) and not isinstance(alpha, bool):
        return loss * python_number(alpha, "alpha", minimum=0.0)
    a = option_array(xp, alpha, "alpha", dtype, like)
    if tuple(a.shape) != (num_classes,):
        raise ValueError(
            f"`alpha` must be a float or have one value per class, shape ({num_classes},); "
            f"got shape {tuple(a.shape)}"
        )
    return loss * take_class(xp, a, safe)
