"""Focal losses: sigmoid (binary / multi-label) and softmax (multi-class).

The modulating factor :math:`(1 - p_t)^\\gamma` is always computed as
:math:`\\exp(\\gamma \\log(1 - p_t))`, never as a power of ``1 - p_t``: the naive power
has a NaN gradient at :math:`1 - p_t = 0` for :math:`\\gamma < 1` (and for
``gamma=0.0`` given as a float in JAX), and ``1 - p_t`` itself loses all precision when
:math:`p_t` rounds to 1.  Here :math:`\\log(1 - p_t)` is exactly :math:`-\\mathrm{softplus}
(\\mp x)` for hard (bool / integer) targets, and for floating targets the log of the
mixture :math:`y\\,\\sigma(-x) + (1 - y)\\,\\sigma(x)` of two exact sigmoids (never a
difference from 1), floored at the dtype's smallest normal number where the example is
so easy that the factor is 0 anyway.  Loss, gradient and second derivative are finite
for every finite logit (±1e4 included) and every :math:`\\gamma \\ge 0`.
"""

from __future__ import annotations

import math
import numbers

from ._classes import (
    check_ignore_index,
    check_indices,
    class_inputs,
    class_vector,
    index_masks,
    take_class,
    target_weight,
)
from ._compat import Array
from ._declare import declare
from ._primitives import (
    alpha_factor,
    express_sigmoid_focal,
    express_softmax_focal,
    focal_bce,
    gather_at_class,
    hard_target,
    log_one_minus_softmax,
    neg_log_softmax_at,
    one_hot,
)
from ._reduction import finish
from ._validation import check_reduction, elementwise_inputs, python_number

__all__ = ["sigmoid_focal_loss", "softmax_focal_loss"]


@declare(prediction="logits", target="binary",
         options={"alpha": "alpha", "gamma": "gamma", "weight": "element_weight"},
         peers={"pytorch": ("torchvision.ops.sigmoid_focal_loss",),
                "optax": ("optax.losses.sigmoid_focal_loss",),
                "keras": ("keras.losses.BinaryFocalCrossentropy",
                          "keras.losses.binary_focal_crossentropy")})
def sigmoid_focal_loss(logits: Array, target: Array, *, alpha: float | None = 0.25,
                       gamma: float = 2.0, weight: Array | None = None,
                       reduction: str = "mean") -> Array:
    r"""Sigmoid focal loss (Lin et al. 2017), binary or multi-label, element-wise.

    .. math::
        \ell_i = w_i\, \alpha_t\, (1 - p_t)^\gamma\, \mathrm{BCE}(x_i, y_i), \quad
        p_t = y p + (1 - y)(1 - p), \quad \alpha_t = \alpha y + (1 - \alpha)(1 - y)

    with :math:`p = \sigma(x)` and BCE the stable binary cross-entropy with logits
    (:func:`binary_cross_entropy_with_logits`).  Soft targets in [0, 1] use the same
    formulas (as torchvision and optax do).

    Parameters
    ----------
    logits : array
        Real floating dtype.
    target : array
        Targets in [0, 1] (floating, integer or bool) of exactly ``logits``' shape.
        Checked at the value-check level ``"all"`` only (:func:`value_checks`; no
        peer checks a target): outside [0, 1] or NaN, ``ValueError`` where the values
        can be read eagerly, a NaN result (every element) where they cannot
        (``jax.jit``, ``torch.compile``, Dask, an accelerator).
    alpha : float in [0, 1] or None
        Weight of the positive class; ``None`` disables the balancing (torchvision's
        ``alpha=-1``, optax's ``alpha=None``).  Default 0.25: the paper's best value
        with γ = 2 (Table 1b), also torchvision's default.
    gamma : float >= 0
        Focusing parameter, default 2 (paper and torchvision).  ``gamma=0`` (int or
        float) is the α-balanced BCE.
    weight : array or sequence, optional
        Element weights broadcastable to ``logits.shape`` (e.g. a mask of the anchors
        to keep); they multiply the loss and do not change the mean's denominator.
    reduction : {'mean', 'sum', 'none'}
        ``mean`` divides the sum by the number of elements (as torchvision), ``sum``
        is the plain sum (RetinaNet then divides by the number of positive anchors,
        see below), ``none`` is element-wise.

    Notes
    -----
    Equals ``torchvision.ops.sigmoid_focal_loss`` and ``optax.losses.sigmoid_focal_loss``
    (to 1e-12 in float64) wherever those are finite.  torchvision computes
    ``(1 - p_t) ** gamma`` from ``p = sigmoid(x)``, which rounds to 1 for large logits:
    an easy example's factor becomes exactly 0 and its gradient NaN for ``gamma < 1``
    (``0 ** (gamma - 1) · 0``; the same power written in JAX is NaN even for
    ``gamma=0.0`` given as a float).  Here :math:`\log(1 - p_t)` comes from
    exact sigmoids (see the module notes), so for logits of ±100 and ±1e4 and any
    :math:`\gamma \ge 0` the loss, gradient and second derivative are finite; half
    precision is computed in float32 and returned in the input dtype.  On PyTorch, with
    a floating target and a whole :math:`\gamma` (0, 1, 2, ...; finite derivatives
    there too), it is by default torchvision's form around PyTorch's fused
    ``binary_cross_entropy_with_logits`` kernel (fewer passes over memory): the same
    numbers, but for the loss of an element below ``eps``, rounded to within
    ``eps / 2`` absolute; the exact form in an :func:`exact_tails` block
    (``docs/numerics.md``, "Exact tails").

    **RetinaNet / keras-retinanet recipe** (anchor states −1 ignore, 0 background,
    1 object; one-hot class targets per anchor, all zeros for background): drop the
    ignored anchors through ``weight`` and normalise the sum by the number of positive
    anchors, at least 1 (see ``docs/recipes/retinanet_focal.md``).

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

    The RetinaNet normalisation, for 4 anchors and 2 classes:

    >>> logits = np.array([[2.0, -1.0], [-3.0, 0.5], [0.2, 0.1], [-2.0, -4.0]])
    >>> state = np.array([1, 0, -1, 1])  # object, background, ignored, object
    >>> onehot = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    >>> keep = (state != -1).astype(float)[:, None]  # broadcasts to (4, 2)
    >>> n_pos = np.maximum(np.sum(state == 1), 1)  # xp.clip(..., min=1)
    >>> loss = lx.sigmoid_focal_loss(logits, onehot, weight=keep, reduction="sum") / n_pos
    >>> round(float(loss), 6)
    0.635332
    """
    check_reduction(reduction)
    g = python_number(gamma, "gamma", minimum=0.0)
    a = None if alpha is None else python_number(alpha, "alpha", minimum=0.0, maximum=1.0)
    if weight is None:
        fast = express_sigmoid_focal(logits, target, g, a, reduction)
        if fast is not None:
            return fast
    xp, x, y, out, invalid, (w,) = elementwise_inputs(
        logits, target, ("logits", "target"), {"weight": weight}, binary=True)
    loss = focal_bce(xp, x, y, g, hard_target(xp, target),  # α_t (1 - p_t)^γ BCE
                     alpha_factor(a, y))
    return finish(xp, loss if w is None else loss * w, out, reduction, invalid=invalid)


@declare(prediction="logits", target="index", class_axis="axis",
         options={"axis": "axis", "alpha": "class_alpha", "gamma": "gamma",
                  "weight": "class_weight", "ignore_index": "ignore_index"},
         unit="kept", min_ndim=1,
         peers={"keras": ("keras.losses.CategoricalFocalCrossentropy",)})
def softmax_focal_loss(logits: Array, target: Array, *, axis: int | None = None,
                       alpha: float | Array | None = None, gamma: float = 2.0,
                       weight: Array | None = None, ignore_index: int = -100,
                       reduction: str = "mean") -> Array:
    r"""Multi-class focal loss on the softmax, per sample (Lin et al. 2017, Eq. 5).

    .. math::
        \ell_i = -w_{y_i}\, \alpha_{y_i}\, (1 - p_{i,y_i})^\gamma \log p_{i,y_i},
        \qquad
        \text{mean} = \frac{\sum_{i \text{ kept}} \ell_i}{\sum_{i \text{ kept}} w_{y_i}}

    with :math:`\log p = \operatorname{log\_softmax}(x)` along ``axis`` and
    :math:`\log(1 - p_{i,y_i}) = \log \sum_{c \ne y_i} e^{x_{i,c}} - \log \sum_c
    e^{x_{i,c}}` (two shifted sums, never ``1 - exp(log p)``), exact even when
    :math:`p_{i,y_i}` rounds to 1 or when the target's logit lies far below the
    others.  The modulating factor is applied per sample, before any reduction
    (applying it to the batch-mean cross-entropy, a common shortcut, is a different
    and wrong loss).

    ``weight`` and the mean follow :func:`cross_entropy` and
    ``torch.nn.functional.cross_entropy``: ``weight`` holds one rescaling factor per
    class, and ``mean`` divides by the summed weights :math:`w_{y_i}` of the targets
    that are not ``ignore_index`` (by their count without ``weight``; NaN when every
    target is ignored).  ``alpha`` is the focal paper's balancing factor: it multiplies
    each sample's loss and does **not** enter the denominator.  Hence ``gamma=0`` with
    ``alpha=None`` is :func:`cross_entropy` with the same ``weight`` and
    ``ignore_index`` (value and gradient, to rounding: on PyTorch ``cross_entropy`` is
    the fused ``torch.nn.functional.cross_entropy``, which rounds differently in the
    last bits).

    Parameters
    ----------
    logits : array
        Real floating dtype, classes along ``axis``.
    target : array
        Integer class indices of ``logits``' shape without ``axis``.
    axis : int, optional
        The class axis; ``1`` for PyTorch's ``(N, C, d1, ...)`` layout.  Not given: the
        last axis, except where a class-index ``target`` fits both the last axis and
        axis 1 of a 3-d or higher input (``(N, C, L)`` with ``L == C`` and an ``(N, L)``
        target): a ``ValueError`` asks for ``axis=1`` or ``axis=-1`` instead of a guess.
    alpha : float, sequence, array or None
        ``None`` (default): no balancing; a float (Python or NumPy scalar): one factor
        for every sample; a sequence or array of shape ``(C,)``: the factor of each
        sample's true class.
        The paper's α = 0.25 is for the sigmoid (binary) form, so there is no
        multi-class default.
    gamma : float >= 0
        Focusing parameter, default 2 (the paper's).  ``gamma=0`` (int or float) is
        the (α-weighted) cross-entropy.
    weight : array or sequence of shape ``(C,)``, optional
        Per-class weights, as in :func:`cross_entropy` (they enter the mean's
        denominator).  For per-sample weights use ``reduction="none"`` and reduce
        yourself.
    ignore_index : int
        Targets equal to it contribute 0 and are not counted.  Default -100
        (PyTorch's).
    reduction : {'mean', 'sum', 'none'}
        ``none`` has ``target``'s shape (0 at ignored targets); ``sum`` the plain sum.

    Notes
    -----
    There is no torchvision multi-class focal loss.  Compared with common
    implementations (kornia's ``focal_loss``, many RetinaNet forks): the factor is
    :math:`\exp(\gamma \log(1 - p_t))` from the log-softmax, never
    ``(1 - p_t) ** gamma`` with ``p_t = exp(log p_t)``, so a confident correct sample
    has a small loss as accurate as :math:`-\log p_t` itself (it underflows to 0 only
    where :math:`-\log p_t` rounds to 0 in the dtype, e.g. logits ``[30, 0, -30]`` in
    float32, whose true loss is 2.9e-20 at ``gamma=0.5``), and gradients (also second
    derivatives) stay finite for logits of ±1e4 and any :math:`\gamma \ge 0`
    (``gamma=0.5`` included, whose naive power has an infinite derivative at
    :math:`p_t = 1`).  Half precision is computed in float32 and returned in the input
    dtype.  In eager PyTorch, for ``(N, C)`` logits, integer targets, a whole γ (0, 1,
    2, ...), one α or none and no ``weight``, the loss is PyTorch's fused
    ``cross_entropy`` times :math:`(-\operatorname{expm1}(\log p_t))^\gamma` (the
    accuracy of the form above wherever :math:`\log p_t` is not rounded to 0; where it
    is the loss is 0 either way, ``-0.0`` with ``reduction="none"`` as PyTorch's own):
    the cost of the cross-entropy plus a few operations on ``N`` values, where the
    general form makes several passes over the ``(N, C)`` logits.  An index outside
    ``[0, C)`` that is not
    ``ignore_index`` raises when the values are readable eagerly and gives NaN
    otherwise (under ``jit``/``compile``/Dask), as :func:`cross_entropy`.

    References
    ----------
    T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár, "Focal Loss for Dense Object
    Detection", ICCV 2017 (multi-class form of Eq. 5).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> x = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    >>> y = np.array([0, 2])
    >>> round(float(lx.softmax_focal_loss(x, y, gamma=0.0)), 6)  # == cross_entropy
    0.175456
    >>> round(float(lx.softmax_focal_loss(x, y)), 6)             # gamma=2
    0.006137
    """
    check_reduction(reduction)
    g = python_number(gamma, "gamma", minimum=0.0)
    ignore = check_ignore_index(ignore_index)
    number = not isinstance(alpha, bool) and isinstance(alpha, (float, int, numbers.Real))
    if weight is None and (alpha is None or number):
        a = None if alpha is None else python_number(alpha, "alpha", minimum=0.0)
        fast = express_softmax_focal(logits, target, axis, ignore, g, a, reduction)
        if fast is not None:
            return fast
    xp, x, ax, out, _, _ = class_inputs(logits, target, axis, "logits",
                                        {"alpha": None if number else alpha, "weight": weight})
    num_classes = x.shape[ax]
    check_indices(xp, target, num_classes, ignore)
    kept, invalid, safe = index_masks(xp, target, num_classes, ignore)
    picked = gather_at_class(xp, x, safe, ax)
    loss = xp.where(kept, neg_log_softmax_at(xp, x, picked, ax), 0.0)  # -log p_y
    if g != 0.0 and num_classes > 1:  # (one class: p_y = 1 and the loss is 0 already)
        hot = one_hot(xp, safe, num_classes, ax)
        loss = xp.exp(g * log_one_minus_softmax(xp, x, hot, ax)) * loss  # (1 - p_y)^γ
    if number:  # one α for every sample (a Python or NumPy number)
        loss = loss * python_number(alpha, "alpha", minimum=0.0)
    elif alpha is not None:  # α of each target's class
        a = class_vector(xp, alpha, "alpha", num_classes, x.dtype, x,
                         must="be a float or have one value per class")
        loss = loss * take_class(xp, a, safe)
    w = None if weight is None else class_vector(xp, weight, "weight", num_classes, x.dtype, x)
    w_t = target_weight(xp, w, kept, safe, x.dtype)
    if w is not None:
        loss = loss * w_t
    loss = xp.where(invalid, math.nan, loss)  # an index out of range: NaN
    return finish(xp, loss, out, reduction, weight=w_t)
