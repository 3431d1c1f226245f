"""Cross-entropy losses, binary and multi-class, their variants and label smoothing.

Binary (probabilities, logits), softmax, NLL, categorical, generalized, Poly-1, and
``smooth_labels``.

Conventions shared by this module:

* Prediction first, target second, options keyword-only.
* The class axis of multi-class losses is ``axis=-1``; PyTorch-layout ``(N, C, d1, ...)``
  inputs pass ``axis=1``.  Integer class-index targets have the logits' shape without
  the class axis; probability targets have the logits' shape.
* Logits are handled in log space (``log_softmax`` with the maximum subtracted,
  ``softplus``); probabilities are clamped to ``[eps, 1 - eps]`` with ``eps`` the
  machine epsilon of the input dtype (``finfo(dtype).eps``: 1.2e-7 for float32,
  9.8e-4 for float16, 7.8e-3 for bfloat16), never a fixed 1e-7.
* Invalid values (a class index outside ``[0, C)`` that is not ``ignore_index``, a
  probability outside [0, 1]) raise ``ValueError`` when the inputs can be read eagerly
  on the host (NumPy, array-api-strict, PyTorch CPU outside ``torch.compile``, concrete
  JAX CPU arrays).  Under ``jax.jit``, ``torch.compile``, Dask or on an accelerator
  nothing is read: an out-of-range class index then gives NaN for that element (and so
  for the mean and sum), and a probability or target outside [0, 1] (NaN included) a
  NaN result (every element), never a plausible number.  Which values are checked is
  the value-check level (``losses_xp.value_checks``): class indices and the ``probs``
  of ``binary_cross_entropy`` by default, targets in [0, 1] at ``"all"`` only.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from ._classes import (
    DEFAULT_IGNORE_INDEX,
    check_ignore_index,
    check_indices,
    class_inputs,
    class_vector,
    expand_at,
    index_masks,
    target_weight,
)
from ._compat import Array, Namespace, default_float, device, namespace
from ._declare import declare
from ._primitives import (
    binary_logit_loss,
    clip,
    exp_minus_one_plus,
    express_binary_cross_entropy,
    express_binary_logit_loss,
    express_class_nll,
    fused_nll,
    gather_at_class,
    hard_target,
    hard_target_logit,
    log_softmax,
    mix,
    neg_log_softmax_at,
    one_hot,
    smooth_binary,
    softplus,
    softplus_pair,
)
from ._reduction import cast, finish
from ._validation import (
    check_reduction,
    elementwise_inputs,
    floating_input,
    normalize_axis,
    python_number,
    values_in_range,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "cross_entropy",
    "generalized_cross_entropy",
    "nll_loss",
    "poly1_cross_entropy",
    "smooth_labels",
]


# --------------------------------------------------------------------------- binary


@declare(prediction="probs", target="binary",
         options={"weight": "element_weight", "label_smoothing": "smoothing"},
         growth="bounded",
         peers={"pytorch": ("F.binary_cross_entropy",),
                "keras": ("keras.losses.BinaryCrossentropy", "keras.losses.binary_crossentropy"),
                "sklearn": ("metrics.log_loss",)})
def binary_cross_entropy(probs: Array, target: Array, *, weight: Array | None = None,
                         label_smoothing: float = 0.0, reduction: str = "mean") -> Array:
    r"""Binary cross-entropy on probabilities.

    .. math:: \ell_i = -w_i\,\big[\tilde y_i \log p_i + (1 - \tilde y_i) \log(1 - p_i)\big],
              \quad p_i = \operatorname{clip}(\hat p_i, \epsilon, 1 - \epsilon),
              \quad \tilde y_i = (1 - \varepsilon)\, y_i + \varepsilon / 2

    with :math:`\epsilon` = ``finfo(probs.dtype).eps``, so the loss is finite at
    :math:`\hat p \in \{0, 1\}` in every dtype (PyTorch instead clamps each log at
    -100, Keras clips with a fixed 1e-7, and in float16 ``1 - 1e-7`` rounds to 1, so
    Keras's loss at :math:`\hat p = 1, y = 0` is inf there).  At a clamped
    probability the gradient is 0, as for Keras.  Prefer
    :func:`binary_cross_entropy_with_logits` when logits are available: it is exact.

    Parameters
    ----------
    probs : array
        Probabilities in [0, 1], real floating dtype.  Checked unless the value-check
        level is ``"none"`` (:func:`value_checks`; PyTorch checks them too).
        Outside [0, 1] or NaN: ``ValueError`` where the values can be read eagerly,
        a NaN result (every element) where they cannot (``jax.jit``,
        ``torch.compile``, Dask, an accelerator): never a plausible number.
    target : array
        Targets in [0, 1] (soft targets allowed) of exactly ``probs``' shape; invalid
        values as for ``probs``.
    weight : array or sequence, optional
        Element weights broadcastable to ``probs.shape``.
    label_smoothing : float
        :math:`\varepsilon` in [0, 1], default 0: the targets are pulled toward 0.5,
        :math:`\tilde y = y (1 - \varepsilon) + \varepsilon / 2` (Keras's binary
        smoothing; ``label_smoothing=1`` makes every target 0.5).  The value checks
        apply to the target as given.
    reduction : {'mean', 'sum', 'none'}
        ``mean`` divides the (weighted) sum by the number of elements, as in
        ``torch.nn.functional.binary_cross_entropy``.

    Notes
    -----
    Differences from peers: equals ``torch.nn.functional.binary_cross_entropy`` of the
    clipped probabilities and the smoothed target (PyTorch has no ``label_smoothing``
    for it); Keras's ``BinaryCrossentropy(label_smoothing=e)`` smooths the same way
    (toward 0.5, not :math:`\varepsilon / C` as its categorical losses and timm's
    binary cross-entropy do) but clips with a fixed 1e-7.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> round(float(lx.binary_cross_entropy(np.array([0.9, 0.2]), np.array([1.0, 0.0]))), 6)
    0.164252
    """
    check_reduction(reduction)
    smoothing = python_number(label_smoothing, "label_smoothing", minimum=0.0, maximum=1.0)
    fast = None if weight is not None else express_binary_cross_entropy(probs, target,
                                                                          reduction, smoothing)
    if fast is not None:
        return fast
    xp, p, y, out, invalid, (w,) = elementwise_inputs(
        probs, target, ("probs", "target"), {"weight": weight}, binary=True, probs=True)
    y = smooth_binary(y, smoothing)
    eps = float(xp.finfo(out).eps)  # the input dtype's: see "Where the epsilons come from"
    p = clip(xp, p, min=eps, max=1.0 - eps)
    loss = -(y * xp.log(p) + (1.0 - y) * xp.log1p(-p))
    return finish(xp, loss if w is None else loss * w, out, reduction, invalid=invalid)


@declare(prediction="logits", target="binary",
         options={"weight": "element_weight", "pos_weight": "pos_weight",
                  "label_smoothing": "smoothing"},
         peers={"pytorch": ("F.binary_cross_entropy_with_logits",),
                "optax": ("optax.losses.sigmoid_binary_cross_entropy",),
                "keras": ("keras.losses.binary_crossentropy",
                          "keras.losses.BinaryCrossentropy")})
def binary_cross_entropy_with_logits(logits: Array, target: Array, *,
                                     weight: Array | None = None,
                                     pos_weight: Array | None = None,
                                     label_smoothing: float = 0.0,
                                     reduction: str = "mean") -> Array:
    r"""Binary cross-entropy on logits (sigmoid + BCE in one stable step).

    .. math:: \ell_i = w_i\,\big[p_c\, \tilde y_i \operatorname{softplus}(-x_i)
                       + (1 - \tilde y_i) \operatorname{softplus}(x_i)\big],
              \quad \tilde y_i = (1 - \varepsilon)\, y_i + \varepsilon / 2

    which is :math:`-w_i[p_c \tilde y_i \log\sigma(x_i) + (1 - \tilde y_i)\log(1 -
    \sigma(x_i))]`.
    Each softplus is exact in its tails (on PyTorch and JAX it is their fused softplus,
    elsewhere one ``exp`` and one ``log1p`` of :math:`-|x|` shared by both terms), so the
    result is exact in both tails: :math:`x = 10^4, y = 0.3` gives 7000, and
    :math:`x = -20, y = 0` gives 2.06e-9 in float32.  On PyTorch with a floating target
    and no ``pos_weight`` it is, by default, PyTorch's fused
    ``binary_cross_entropy_with_logits`` kernel (one pass), which returns 0 at
    :math:`x = -20, y = 0` and a gradient of 0 at :math:`x \ge 17, y = 1` in float32:
    absolute errors below ``eps / 2``; the exact form there in an
    :func:`exact_tails` block (``docs/numerics.md``, "Exact tails").

    Parameters
    ----------
    logits : array
        Real floating dtype.
    target : array
        Targets in [0, 1] (soft targets allowed) of exactly ``logits``' shape.
        Checked at the value-check level ``"all"`` only (:func:`value_checks`; no
        peer checks a target): outside [0, 1] or NaN, ``ValueError`` where the values
        can be read eagerly, a NaN result (every element) where they cannot
        (``jax.jit``, ``torch.compile``, Dask, an accelerator).
    weight : array or sequence, optional
        Element weights broadcastable to ``logits.shape``.
    pos_weight : array or sequence, optional
        Weight :math:`p_c` of the positive term, broadcast against ``logits`` from the
        right (one value per class along the last axis), as in PyTorch.
    label_smoothing : float
        :math:`\varepsilon` in [0, 1], default 0: the targets are pulled toward 0.5,
        :math:`\tilde y = y (1 - \varepsilon) + \varepsilon / 2` (Keras's binary
        smoothing), before the loss (on PyTorch, the smoothed target goes to its fused
        kernel).  Hard (integer, bool) targets become soft.  The value checks apply to
        the target as given.
    reduction : {'mean', 'sum', 'none'}
        ``mean`` divides by the number of elements.

    Notes
    -----
    Equals ``torch.nn.functional.binary_cross_entropy_with_logits`` (on PyTorch, by
    default, it is that kernel) and ``optax.sigmoid_binary_cross_entropy``
    (element-wise) of the smoothed target, to rounding; exact where the loss of an
    element is below ``eps``, where PyTorch's kernel rounds (with :func:`exact_tails` on
    PyTorch).  Neither has ``label_smoothing``; Keras's
    ``BinaryCrossentropy(from_logits=True, label_smoothing=e)`` smooths the same way
    (toward 0.5, not :math:`\varepsilon / C` as its categorical losses and timm's
    binary cross-entropy do).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> float(lx.binary_cross_entropy_with_logits(np.array([1e4]), np.array([0.3])))
    7000.0
    """
    check_reduction(reduction)
    smoothing = python_number(label_smoothing, "label_smoothing", minimum=0.0, maximum=1.0)
    if weight is None and pos_weight is None:
        fast = express_binary_logit_loss(logits, target, reduction, smoothing)
        if fast is not None:
            return fast
    xp, x, y, out, invalid, (pw, w) = elementwise_inputs(
        logits, target, ("logits", "target"), {"pos_weight": pos_weight, "weight": weight},
        binary=True)
    # smoothed, a hard target is soft: the hard-target algebra is for ε = 0 only
    hard = hard_target(xp, target) if smoothing == 0.0 else None
    y = smooth_binary(y, smoothing)
    if hard is not None:
        # bool / integer targets are 0 or 1: the loss is softplus(±x), one pass
        loss = softplus(xp, hard_target_logit(xp, x, hard, y))
        if pw is not None:
            loss = loss * (y * (pw - 1.0) + 1.0)
    elif pw is None:
        loss = binary_logit_loss(xp, x, y)
    else:
        sp_neg, sp_pos = softplus_pair(xp, x)  # -log σ(x), -log(1-σ(x))
        loss = mix(xp, sp_pos, pw * sp_neg, y)
    return finish(xp, loss if w is None else loss * w, out, reduction, invalid=invalid)


# ---------------------------------------------------------------------- multi-class


def _nll(xp: Namespace, x: Array, target: Array, axis: int, weight: object,
         ignore_index: int | None, smoothing: float, reduction: str, out_dtype: Any, *,
         fused: str = "", invalid: Array | None = None) -> Array:
    """Negative log-likelihood of class indices, with PyTorch's ignore/weight/smoothing.

    Per target: ``(1 - ε) w[y] (-logp[y]) + ε/C Σ_c w_c (-logp_c)`` if kept, 0 if
    ignored, NaN if out of range; ``mean`` divides by ``Σ w[y]`` over the kept targets.
    ``x``: log-probabilities, or logits with ``fused="cross_entropy"`` (then
    ``-logp[y]`` comes from ``neg_log_softmax_at`` without the (N, C) log-softmax unless
    smoothing needs it).  ``fused``: the PyTorch function to try once the indices are
    checked (``"cross_entropy"``, ``"nll_loss"``; ``""``: none).
    """
    num_classes = x.shape[axis]
    checked = check_indices(xp, target, num_classes, ignore_index)
    w = None if weight is None else class_vector(xp, weight, "weight", num_classes, x.dtype, x)
    if checked and fused and ignore_index is not None:
        loss = fused_nll(xp, fused, x, target, axis, w, ignore_index, smoothing, reduction)
        if loss is not None:
            return finish(xp, loss, out_dtype, invalid=invalid)
    from_logits = fused == "cross_entropy" and smoothing == 0.0
    logp = x if fused != "cross_entropy" or from_logits else log_softmax(xp, x, axis)
    kept, bad, safe = index_masks(xp, target, num_classes, ignore_index)
    picked = gather_at_class(xp, logp, safe, axis)
    nll = neg_log_softmax_at(xp, x, picked, axis) if from_logits else 0.0 - picked  # (+0)
    w_t = target_weight(xp, w, kept, safe, x.dtype)
    loss = xp.where(kept, nll, 0.0)
    if w is not None:
        loss = loss * w_t
    if smoothing > 0.0:
        terms = logp if w is None else logp * expand_at(xp, w, logp.ndim, axis)
        smooth = xp.where(kept, 0.0 - xp.sum(terms, axis=axis), 0.0)
        loss = (1.0 - smoothing) * loss + (smoothing / num_classes) * smooth
    loss = xp.where(bad, math.nan, loss)
    return finish(xp, loss, out_dtype, reduction, weight=w_t, invalid=invalid)


def _soft_ce(xp: Namespace, logp: Array, target: Array, axis: int, weight: object,
             smoothing: float, reduction: str, out_dtype: Any, invalid: Array | None) -> Array:
    """Cross-entropy against class probabilities, ``-Σ_c w_c t_c logp_c``; mean over
    samples."""
    num_classes = logp.shape[axis]
    t = cast(xp, target, logp.dtype)
    if smoothing > 0.0:
        t = t * (1.0 - smoothing) + smoothing / num_classes
    zero = t == 0
    terms = t * xp.where(zero, 0.0, logp)  # double where: 0 · -inf is 0, value and gradient
    if weight is not None:
        w = class_vector(xp, weight, "weight", num_classes, logp.dtype, logp)
        terms = terms * expand_at(xp, w, logp.ndim, axis)
    loss = 0.0 - xp.sum(terms, axis=axis)  # (+0, not -0.0)
    return finish(xp, loss, out_dtype, reduction, invalid=invalid)


@declare(prediction="logits", target="index_or_probs", class_axis="axis",
         options={"axis": "axis", "weight": "class_weight", "ignore_index": "ignore_index",
                  "label_smoothing": "smoothing"},
         unit="kept", min_ndim=1,
         peers={"pytorch": ("F.cross_entropy",),
                "optax": ("optax.losses.softmax_cross_entropy",
                          "optax.losses.softmax_cross_entropy_with_integer_labels",
                          "optax.losses.safe_softmax_cross_entropy", "optax.smooth_labels"),
                "keras": ("keras.losses.categorical_crossentropy",
                          "keras.losses.sparse_categorical_crossentropy",
                          "keras.losses.SparseCategoricalCrossentropy")})
def cross_entropy(logits: Array, target: Array, *, axis: int | None = None,
                  weight: Array | None = None, ignore_index: int = -100,
                  label_smoothing: float = 0.0, reduction: str = "mean") -> Array:
    r"""Softmax cross-entropy (PyTorch ``torch.nn.functional.cross_entropy`` semantics).

    With class-index targets :math:`y_i` and :math:`\log p = \operatorname{log\_softmax}(x)`
    along ``axis``:

    .. math:: \ell_i = (1-\varepsilon)\, w_{y_i}\,(-\log p_{i,y_i})
              + \frac{\varepsilon}{C} \sum_c w_c\,(-\log p_{i,c})

    and with probability targets :math:`t` (same shape as ``logits``):

    .. math:: \ell_i = -\sum_c w_c\, \tilde t_{i,c} \log p_{i,c},
              \quad \tilde t = (1 - \varepsilon)\, t + \varepsilon / C

    Reductions (the exact denominators):

    * class indices, ``mean``: :math:`\sum_i \ell_i / \sum_{i \text{ kept}} w_{y_i}` — the
      summed weights of the targets that are not ``ignore_index`` (the count of kept
      targets without ``weight``).  When every target is ignored this is 0/0 = NaN,
      exactly as PyTorch (Keras returns 0).  Ignored targets are excluded from the
      numerator, the denominator and the smoothing term; ``none`` gives 0 there.
    * probability targets, ``mean``: the plain mean over samples (weights do not enter
      the denominator), as PyTorch.  ``ignore_index`` does not apply: any value but
      the default -100 raises ``ValueError`` (PyTorch raises too).
    * ``sum``: :math:`\sum_i \ell_i`.

    Label smoothing is :math:`\varepsilon / C` (PyTorch, optax, Keras categorical).  A
    ``-inf`` logit whose target probability is 0 contributes exactly 0 (not NaN).

    Parameters
    ----------
    logits : array
        Unnormalised scores, real floating dtype, classes along ``axis``.
    target : array
        Integer class indices with ``logits``' shape without ``axis`` or class
        probabilities with ``logits``' shape (floating).  Floating targets of the index
        shape are a ``TypeError`` (class indices must be integers).  At the value-check
        level ``"all"`` (:func:`value_checks`), a probability outside [0, 1] or NaN:
        ``ValueError`` where the values can be read eagerly, a NaN result (every
        sample) where they cannot (``jax.jit``, ``torch.compile``, Dask, an
        accelerator).  Class indices are checked from the default level on.
    axis : int, optional
        The class axis; ``1`` for PyTorch's ``(N, C, d1, ...)`` layout.  Not given: the
        last axis, except where a class-index ``target`` fits both the last axis and
        axis 1 of a 3-d or higher input (``(N, C, L)`` with ``L == C`` and an ``(N, L)``
        target): a ``ValueError`` asks for ``axis=1`` or ``axis=-1`` instead of a guess.
    weight : array or sequence, optional
        One weight per class, shape ``(C,)``.
    ignore_index : int
        Class-index targets equal to it are ignored.  Default -100 as in PyTorch.  With
        probability targets only the default is accepted.
    label_smoothing : float
        :math:`\varepsilon` in [0, 1].
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    array
        In ``logits``' library, device and dtype; ``none`` has the target's shape
        (index targets) or ``logits``' shape without ``axis`` (probability targets).

    Notes
    -----
    The log-softmax subtracts the row maximum (with its gradient stopped), so logits of
    ±1e4 in float32 and ±1e2 in float16 give finite values and gradients.  Class
    indices outside ``[0, C)``: ``ValueError`` when readable, NaN under tracing (see
    the module notes).

    References
    ----------
    PyTorch, ``torch.nn.CrossEntropyLoss``; Szegedy et al., "Rethinking the Inception
    Architecture for Computer Vision", CVPR 2016 (label smoothing).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    >>> round(float(lx.cross_entropy(logits, np.array([0, 2]))), 6)
    0.175456
    """
    check_reduction(reduction)
    eps = python_number(label_smoothing, "label_smoothing", minimum=0.0, maximum=1.0)
    ignore = check_ignore_index(ignore_index)
    fast = express_class_nll("cross_entropy", logits, target, axis, weight, ignore, eps,
                             reduction)
    if fast is not None:
        return fast
    xp, x, ax, out, probs, invalid = class_inputs(logits, target, axis, "logits",
                                                  {"weight": weight}, probs="floating")
    if not probs:
        return _nll(xp, x, target, ax, weight, ignore, eps, reduction, out, fused="cross_entropy")
    if ignore != DEFAULT_IGNORE_INDEX:
        raise ValueError(
            f"`ignore_index` applies to class-index targets only; got ignore_index={ignore} "
            "with class probabilities (a floating `target` of the logits' shape), which "
            f"have no index to ignore (PyTorch raises too). Leave it at {DEFAULT_IGNORE_INDEX}."
        )
    return _soft_ce(xp, log_softmax(xp, x, ax), target, ax, weight, eps, reduction, out,
                    invalid)


@declare(prediction="log_probs", target="index", class_axis="axis",
         options={"axis": "axis", "weight": "class_weight", "ignore_index": "ignore_index"},
         unit="kept", min_ndim=1, peers={"pytorch": ("F.nll_loss",)})
def nll_loss(log_probs: Array, target: Array, *, axis: int | None = None,
             weight: Array | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Array:
    r"""Negative log-likelihood of class indices (``torch.nn.functional.nll_loss``).

    .. math:: \ell_i = -w_{y_i} \log p_{i, y_i}

    ``log_probs`` are log-probabilities along ``axis`` (e.g. from a log-softmax); they
    are used as given.  ``mean`` divides by the summed weights of the targets that are
    not ``ignore_index`` (NaN when all are ignored), ``sum`` is the plain sum, ``none``
    has the target's shape with 0 at ignored targets.  Out-of-range indices as in
    :func:`cross_entropy`.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> logp = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]))
    >>> round(float(lx.nll_loss(logp, np.array([0, 2]))), 6)
    0.458145
    """
    check_reduction(reduction)
    ignore = check_ignore_index(ignore_index)
    fast = express_class_nll("nll_loss", log_probs, target, axis, weight, ignore, 0.0,
                             reduction)
    if fast is not None:
        return fast
    xp, logp, ax, out, _, _ = class_inputs(log_probs, target, axis, "log_probs",
                                           {"weight": weight})
    return _nll(xp, logp, target, ax, weight, ignore, 0.0, reduction, out, fused="nll_loss")


@declare(prediction="logits", target="index", class_axis="axis",
         options={"axis": "axis", "q": "eps"}, unit="sample", min_ndim=1,
         peers={"keras": ("keras.losses.CategoricalGeneralizedCrossEntropy",
                          "keras.losses.categorical_generalized_cross_entropy")})
def generalized_cross_entropy(logits: Array, target: Array, *, q: float = 0.7,
                              axis: int | None = None, reduction: str = "mean") -> Array:
    r"""Generalized cross-entropy (Zhang & Sabuncu 2018), a noise-robust loss on logits.

    .. math:: \ell_i = \frac{1 - p_{i, y_i}^{\,q}}{q}
                     = -\frac{\operatorname{expm1}(q \log p_{i, y_i})}{q}

    with :math:`p = \operatorname{softmax}(x)` along ``axis`` and :math:`y_i` a class
    index.  ``q`` in (0, 1], default 0.7 (the paper's): ``q = 1`` is the mean absolute
    error :math:`1 - p_y` of the probabilities, and :math:`q \to 0` the cross-entropy
    :math:`-\log p_y`.  Computed in log space from the logits (:math:`\log p_y` as in
    :func:`cross_entropy`, then one ``expm1``): no softmax of its own, no rounding of a
    small :math:`1 - p_y^q` against 1, and a gradient
    :math:`p_y^q\,(\operatorname{softmax}(x) - \text{onehot}(y))` that is finite for
    logits of ±1e4, where the probability form's :math:`q\,p^{q - 1}` is infinite at
    :math:`p = 0`.  The loss of a sample lies in :math:`[0, \min(1/q, -\log p_y)]`.
    A ``q`` below the compute dtype's smallest normal number is raised to it (the
    cross-entropy to rounding).

    Parameters
    ----------
    logits : array
        Real floating dtype, classes along ``axis``.
    target : array
        Integer class indices, ``logits``' shape without ``axis``.  An index outside
        ``[0, C)`` raises where the values can be read eagerly (an essential check,
        :func:`value_checks`) and makes that sample's loss NaN where they cannot.
    q : float
        The exponent, a Python or NumPy number in (0, 1].
    axis : int, optional
        The class axis; default the last (an error where indices fit axis 1 as well).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per sample (``target``'s shape); ``mean`` divides the sum by
        the number of samples.

    Notes
    -----
    Differences from peers: Keras's ``CategoricalGeneralizedCrossEntropy`` takes
    probabilities (``y_pred`` after a softmax) and integer indices, with ``q`` in
    (0, 1), and computes ``(1 - p ** q) / q`` in probability space: the same values at
    moderate logits, a loss rounded to a multiple of the dtype's epsilon near
    :math:`p = 1`, and an infinite gradient at a probability of 0.  Here ``q = 1`` is
    allowed.  PyTorch, optax and scikit-learn have no generalized cross-entropy.

    References
    ----------
    Z. Zhang, M. R. Sabuncu, "Generalized Cross Entropy Loss for Training Deep Neural
    Networks with Noisy Labels", NeurIPS 2018.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    >>> lx.generalized_cross_entropy(logits, np.array([0, 1]), q=0.7, reduction="none")
    array([0.22203109, 1.24220604])
    """
    qq = python_number(q, "q", minimum=0.0, strict=True, maximum=1.0)
    check_reduction(reduction)
    xp, x, ax, out, _, _ = class_inputs(logits, target, axis, "logits")
    # below the smallest normal number q would round to 0 in the compute dtype; there
    # -expm1(q log p)/q is -log p to rounding already (the q -> 0 limit)
    qq = max(qq, float(xp.finfo(x.dtype).smallest_normal))
    num_classes = x.shape[ax]
    check_indices(xp, target, num_classes, None)
    _, invalid, safe = index_masks(xp, target, num_classes, None)
    nll = neg_log_softmax_at(xp, x, gather_at_class(xp, x, safe, ax), ax)  # -log p_y
    loss = (0.0 - xp.expm1((-qq) * nll)) / qq  # (0 - : +0.0 where log p_y is 0)
    return finish(xp, xp.where(invalid, math.nan, loss), out, reduction)


#: below it, g(n) = n + expm1(-n) is summed from its series (its direct form cancels)
_POLY1_SERIES_BELOW = 0.1


def _poly1_of_nll(xp: Namespace, nll: Array, epsilon: float) -> Array:
    """Poly-1 of a negative log-probability ``nll`` >= 0: ``nll + ε (1 - p)`` with
    ``p = exp(-nll)``, element-wise, never negative for ε >= -1.

    ``1 - p`` is ``-expm1(-nll)`` (no rounding against 1).  For ε >= 0 both terms are
    non-negative.  For -1 <= ε < 0 the sum cancels (at ε = -1 the loss is
    ``-log p - (1 - p)``, about ``(1 - p)²/2`` near ``p = 1``): it is written as
    ``(1 + ε) nll + |ε| g(nll)`` with ``g(n) = n + expm1(-n) >= 0``: below ``n = 0.1``
    the series of ``g`` (``losses_xp._primitives.exp_minus_one_plus``; the direct form
    there loses ``2 eps / n`` relative), above it the direct form, each term
    non-negative.  The series' input goes through a double ``where`` (an infinite
    ``nll``, a logit of -inf at the target, would make its unused branch's gradient NaN).
    """
    one_minus_p = 0.0 - xp.expm1(0.0 - nll)  # (+0.0 where nll is 0)
    if epsilon >= 0.0:
        return nll + epsilon * one_minus_p
    small = nll < _POLY1_SERIES_BELOW
    n = xp.where(small, nll, 0.0)
    g = xp.where(small, exp_minus_one_plus(xp, n), nll - one_minus_p)
    if epsilon == -1.0:
        return g  # ((1 + ε) nll would be 0 · inf for a logit of -inf at the target)
    return (1.0 + epsilon) * nll + (-epsilon) * g


@declare(prediction="logits", target="index_or_probs", class_axis="axis",
         options={"axis": "axis", "epsilon": "poly_epsilon"}, unit="sample", min_ndim=1,
         peers={"optax": ("optax.losses.poly_loss_cross_entropy",)})
def poly1_cross_entropy(logits: Array, target: Array, *, epsilon: float = 2.0,
                        axis: int | None = None, reduction: str = "mean") -> Array:
    r"""Poly-1 cross-entropy (Leng et al. 2022): the cross-entropy plus
    :math:`\varepsilon (1 - p_t)`.

    With class indices :math:`y_i` and :math:`\log p = \operatorname{log\_softmax}(x)`
    along ``axis``:

    .. math:: \ell_i = -\log p_{i, y_i} + \varepsilon\,(1 - p_{i, y_i})

    and with class-probability targets :math:`t` (``logits``' shape), the
    target-weighted sum of the same per-class term:

    .. math:: \ell_i = \sum_c t_{i,c} \big[-\log p_{i,c}
                     + \varepsilon\,(1 - p_{i,c})\big]

    which for rows that sum to 1 is the cross-entropy plus :math:`\varepsilon (1 - p_t)`
    with :math:`p_t = \sum_c t_{i,c}\, p_{i,c}` (the paper's code).  ``epsilon`` >= -1,
    default 2.0 (the paper's for ImageNet; it recommends -1 for detection):
    :math:`\varepsilon = 0` is :func:`cross_entropy`, and at :math:`\varepsilon = -1`
    the loss :math:`-\log p - (1 - p)` is still >= 0 (below -1 it is not: hence the
    bound).  ``mean`` divides the sum by the number of samples.

    Computed from the logits in log space: :math:`-\log p_y` as in
    :func:`cross_entropy` (class indices: without the ``(N, C)`` log-softmax), then
    :math:`1 - p = -\operatorname{expm1}(\log p)`: no softmax of its own and no
    rounding of :math:`p` against 1.  For :math:`-1 \le \varepsilon < 0` the two terms
    cancel near :math:`p = 1` (at :math:`\varepsilon = -1` the loss is about
    :math:`(1 - p)^2 / 2`): there it is evaluated as :math:`(1 + \varepsilon)(-\log p)
    + |\varepsilon|\, g(-\log p)` with :math:`g(n) = n + \operatorname{expm1}(-n)
    \ge 0` (its series below :math:`n = 0.1`): a sum of non-negative terms, never negative
    by rounding, and as accurate as :math:`-\log p` itself (whose absolute error is
    about one ulp of 1, as in :func:`cross_entropy`).  A target probability of 0
    contributes exactly 0 (value and gradient), even at a logit of ``-inf``.

    Parameters
    ----------
    logits : array
        Real floating dtype, classes along ``axis``.
    target : array
        Integer class indices with ``logits``' shape without ``axis``, or class
        probabilities with ``logits``' shape (floating).  An index outside ``[0, C)``
        raises where the values can be read eagerly (an essential check,
        :func:`value_checks`) and makes that sample's loss NaN where they cannot; a
        probability outside [0, 1] is checked at the level ``"all"`` only (then NaN,
        every sample, where it cannot be read).
    epsilon : float
        The coefficient :math:`\varepsilon` of the first polynomial term, a Python or
        NumPy number >= -1.
    axis : int, optional
        The class axis; default the last (an error where class indices fit axis 1 as
        well).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per sample; ``mean`` divides the sum by the number of
        samples.

    Notes
    -----
    Differences from peers: optax's ``poly_loss_cross_entropy(logits, labels,
    epsilon=2.0)`` takes probability (one-hot) labels only, and computes
    :math:`\sum_c t_c (1 - p_c)` from a softmax of its own (rounded against 1 where
    :math:`p \approx 1`, so at :math:`\varepsilon = -1` its float32 loss can be negative):
    the same function, in which class indices are one-hot rows.  For targets whose rows
    do not sum to 1 optax and losses_xp agree (:math:`\sum_c t_c(1 - p_c)`), the
    paper's code's :math:`1 - \sum_c t_c p_c` differs by :math:`1 - \sum_c t_c`.
    PyTorch, Keras and scikit-learn have no Poly-1 loss.

    References
    ----------
    Z. Leng, M. Tan, C. Liu, E. D. Cubuk, X. Shi, S. Cheng, D. Anguelov, "PolyLoss: A
    Polynomial Expansion Perspective of Classification Loss Functions", ICLR 2022.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    >>> lx.poly1_cross_entropy(logits, np.array([0, 1]), reduction="none")
    array([0.67011723, 4.80060658])
    """
    eps = python_number(epsilon, "epsilon", minimum=-1.0)
    check_reduction(reduction)
    xp, x, ax, out, probs, invalid = class_inputs(logits, target, axis, "logits",
                                                  probs="floating")
    if probs:
        t = cast(xp, target, x.dtype)
        zero = t == 0
        # double where: a target of 0 contributes 0, value and gradient, also where
        # its logit is -inf (an infinite -log p)
        nll = 0.0 - xp.where(zero, 0.0, log_softmax(xp, x, ax))
        loss = xp.sum(t * _poly1_of_nll(xp, nll, eps), axis=ax)
        return finish(xp, loss, out, reduction, invalid=invalid)
    num_classes = x.shape[ax]
    check_indices(xp, target, num_classes, None)
    _, bad, safe = index_masks(xp, target, num_classes, None)
    nll = neg_log_softmax_at(xp, x, gather_at_class(xp, x, safe, ax), ax)  # -log p_y
    return finish(xp, xp.where(bad, math.nan, _poly1_of_nll(xp, nll, eps)), out, reduction)


@declare(prediction="class_probs", target="index_or_probs", class_axis="axis",
         options={"axis": "axis", "label_smoothing": "smoothing"}, growth="bounded",
         unit="sample", min_ndim=1,
         peers={"keras": ("keras.losses.categorical_crossentropy",
                          "keras.losses.sparse_categorical_crossentropy"),
                "sklearn": ("metrics.log_loss",)})
def categorical_cross_entropy(probs: Array, target: Array, *, axis: int | None = None,
                              label_smoothing: float = 0.0,
                              reduction: str = "mean") -> Array:
    r"""Categorical cross-entropy from probabilities (Keras ``categorical_crossentropy``).

    For models that end in a softmax, as Keras users write
    ``keras.losses.categorical_crossentropy(y_true, y_pred)`` — but prediction first:

    .. math:: \ell_i = -\sum_c \tilde t_{i,c} \log q_{i,c}, \quad
              q = \operatorname{clip}\Big(\frac{p}{\sum_c p_c}, \epsilon, 1 - \epsilon\Big)

    Like Keras, the probabilities are renormalised to sum to 1 along ``axis`` and
    clipped; unlike Keras, :math:`\epsilon` = ``finfo(probs.dtype).eps`` instead of a
    fixed 1e-7 (``1 - 1e-7`` rounds to 1 in float16, so Keras's clip does not keep the
    log finite there).  ``target`` is either one-hot/soft
    probabilities of ``probs``' shape (Keras ``categorical_crossentropy``; floating, or
    integer or bool one-hot rows, which Keras accepts too) or integer
    class indices of ``probs``' shape without ``axis`` (Keras
    ``sparse_categorical_crossentropy``).  Label smoothing is :math:`\varepsilon / C`.
    ``mean`` averages over samples.  A probability outside [0, 1] (or NaN), a class
    index outside ``[0, C)`` and, at the value-check level ``"all"``, a target
    probability outside [0, 1] raise ``ValueError`` where the values can be read
    eagerly; where they cannot (``jax.jit``, ``torch.compile``, Dask, an
    accelerator) the first gives a NaN result (every sample), the second NaN for that
    sample.  When logits are available, :func:`cross_entropy`
    is exact and should be preferred.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    >>> round(float(lx.categorical_cross_entropy(p, np.array([[1.0, 0, 0], [0, 0, 1]]))), 6)
    0.289909
    """
    check_reduction(reduction)
    smoothing = python_number(label_smoothing, "label_smoothing", minimum=0.0, maximum=1.0)
    xp, p, ax, out, probs_target, invalid = class_inputs(probs, target, axis, "probs",
                                                         probs="one_hot", pred_range=True)
    eps = float(xp.finfo(out).eps)  # the input dtype's: see "Where the epsilons come from"
    p = p / xp.sum(p, axis=ax, keepdims=True)
    logp = xp.log(clip(xp, p, min=eps, max=1.0 - eps))
    if probs_target:
        return _soft_ce(xp, logp, target, ax, None, smoothing, reduction, out, invalid)
    # every sample counts: the mean is the plain mean over samples
    return _nll(xp, logp, target, ax, None, None, smoothing, reduction, out, invalid=invalid)


# --------------------------------------------------------------------------- utilities


@declare(prediction="labels", class_axis="axis",
         options={"alpha": "smoothing", "axis": "axis", "num_classes": "num_classes"},
         reductions=("none",), growth="bounded", min_ndim=1,
         peers={"optax": ("optax.smooth_labels",)})
def smooth_labels(target: Array, alpha: float, *, axis: int | None = -1,
                  num_classes: int | None = None) -> Array:
    r"""Label smoothing of class targets, toward the uniform distribution over K classes.

    .. math:: \tilde y_{i,c} = (1 - \alpha)\, y_{i,c} + \frac{\alpha}{K}

    ``target`` is either class-probability (one-hot) rows along ``axis`` (floating), whose
    every entry becomes :math:`(1 - \alpha)\, y + \alpha / K` with :math:`K` the length
    of ``axis`` (``optax.smooth_labels``), or integer class indices with ``num_classes``
    :math:`= K`, which give the smoothed one-hot rows, :math:`1 - \alpha + \alpha / K`
    at the class and :math:`\alpha / K` elsewhere, along a new axis at position ``axis``
    of the result (``target``'s shape with :math:`K` inserted there).  Each row keeps its
    sum (1 for probability rows).  Not a loss (no ``reduction``, no mean): the input of a
    loss that takes probability targets, e.g. :func:`cross_entropy`, whose
    ``label_smoothing=`` is the same smoothing.

    Parameters
    ----------
    target : array
        Floating class-probability rows along ``axis`` (at least 1-d), or integer class
        indices (any shape, 0-d included).  An index outside ``[0, K)`` raises where the
        values can be read eagerly (an essential check, :func:`value_checks`) and makes
        its row NaN where they cannot.  A bool target is a ``TypeError``.
    alpha : float
        :math:`\alpha` in [0, 1], a Python or NumPy number: 0 returns the rows as they
        are, 1 the uniform rows :math:`1/K`.
    axis : int, optional
        The class axis of probability rows, or where the class axis goes in the result
        for class indices; default the last (``None``: the last too).
    num_classes : int, optional
        :math:`K`, required with class indices (``ValueError`` without it); with
        probability rows it may be given and must equal the length of ``axis``.

    Returns
    -------
    array
        The smoothed rows in ``target``'s library and device: in ``target``'s dtype for
        probability rows (half precision computed in float32, rounded once), in the
        library's default floating dtype for class indices (float64 on NumPy, float32
        on PyTorch and JAX).

    Notes
    -----
    Differences from peers: ``optax.smooth_labels(labels, alpha, axis=-1)`` takes
    floating one-hot labels only (class indices: ``jax.nn.one_hot`` first) and accepts
    any ``alpha``; the values agree.  PyTorch's and Keras's categorical losses smooth
    the same way internally (``label_smoothing=``), without a separate function.

    References
    ----------
    C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens, Z. Wojna, "Rethinking the Inception
    Architecture for Computer Vision", CVPR 2016 (label smoothing).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.smooth_labels(np.array([[0.0, 1.0, 0.0]]), 0.3)
    array([[0.1, 0.8, 0.1]])
    >>> lx.smooth_labels(np.array([1, 0]), 0.3, num_classes=3)
    array([[0.1, 0.8, 0.1],
           [0.8, 0.1, 0.1]])
    """
    a = python_number(alpha, "alpha", minimum=0.0, maximum=1.0)
    xp = namespace({"target": target})
    if xp.isdtype(target.dtype, "integral"):
        if num_classes is None:
            raise ValueError(
                "`num_classes` is required with integer class indices as `target` (the "
                "length of the class axis of the smoothed one-hot rows); got None")
        k = _num_classes(num_classes)
        ax = normalize_axis(target.ndim + 1, -1 if axis is None else axis)
        check_indices(xp, target, k, None)
        _, bad, safe = index_masks(xp, target, k, None)
        dtype = default_float(xp, target)
        lo = a / k
        rows = xp.where(one_hot(xp, safe, k, ax),
                        xp.asarray(1.0 - a + lo, dtype=dtype, device=device(target)),
                        xp.asarray(lo, dtype=dtype, device=device(target)))
        return xp.where(xp.expand_dims(bad, axis=ax), math.nan, rows)
    out, dtype = floating_input(xp, target, "target")
    if target.ndim == 0:
        normalize_axis(0, -1 if axis is None else axis)  # (raises: rows need an axis)
    ax = normalize_axis(target.ndim, -1 if axis is None else axis)
    k = target.shape[ax]
    if num_classes is not None and _num_classes(num_classes) != k:
        raise ValueError(
            f"`num_classes` must equal the length of the class axis {ax} of the "
            f"probability rows `target` {tuple(target.shape)}, {k}; got {num_classes}")
    invalid = values_in_range(xp, target, 0.0, 1.0, "target", essential=False)
    y = cast(xp, target, dtype)
    return finish(xp, y * (1.0 - a) + a / max(k, 1), out, invalid=invalid)


def _num_classes(value: object) -> int:
    """``num_classes``: a Python or NumPy integer >= 1 (never a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"`num_classes` must be an int (Python or NumPy integer); got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"`num_classes` must be >= 1; got {int(value)}")
    return int(value)
