"""Segmentation losses: overlap (Dice, Tversky, Jaccard, generalized Dice) and Lovász losses.

Conventions shared by this module are stated here as its losses land.

Lovász losses (:func:`lovasz_hinge_loss`, :func:`lovasz_softmax_loss`): the pixels are
every axis of the target but its first (``per_sample=True``: axis 0 holds the samples)
or every axis (``per_sample=False``: one set for the batch); the softmax's class axis is
``axis``.  ``ignore_index`` (default None) takes a pixel out of every count; a set with
no pixel left is 0 with a zero gradient and leaves ``mean``'s denominator (the samples
with a pixel that counts; 0 where none has, NaN for an empty batch).  Both sort the
errors of a set (a stable ``argsort``, descending) and take cumulative sums along it: on
Dask the pixel axes must each be one chunk (a ``ValueError`` names the argument and the
axis otherwise; ``x.rechunk({axis: -1})``); the batch axis may be chunked with
``per_sample=True`` for the hinge (each block sorts its own samples).
"""

from __future__ import annotations

import math
import sys
from typing import Any

from ._classes import check_indices, class_inputs, index_masks
from ._compat import Array, Namespace, array_namespace, is_dask, is_empty, is_jax, is_torch
from ._declare import declare
from ._primitives import log_softmax, one_hot, relu
from ._reduction import cast, finish
from ._validation import (
    check_reduction,
    elementwise_inputs,
    one_chunk_along,
    values_in_range,
)

__all__: list[str] = ["lovasz_hinge_loss", "lovasz_softmax_loss"]

# --- overlap losses: dice_loss, tversky_loss, jaccard_loss, generalized_dice_loss --------------

# (overlap losses go above this line)







# --- Lovász losses: lovasz_hinge_loss, lovasz_softmax_loss -------------------------------------

_SORTED = "holds pixels that the Lovász loss sorts together"


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be a bool; got {type(value).__name__}")
    return value


def _ignore_or_none(value: object) -> int | None:
    """``ignore_index`` as ``None`` or a Python int (never a bool)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"`ignore_index` must be None or a Python int; got "
                        f"{type(value).__name__}")
    return value


def _take_along_last(xp: Namespace, a: Array, perm: Array) -> Array:
    """``a`` gathered along its last axis at the integer array ``perm`` of its shape
    (``take_along_axis``; Dask, which has none: one ``take`` of the flattened array at
    the rows' offsets, lazily)."""
    if is_torch(xp):
        return sys.modules["torch"].take_along_dim(a, perm, dim=-1)
    if is_jax(xp):
        return sys.modules["jax"].numpy.take_along_axis(a, perm, axis=-1,
                                                        mode="promise_in_bounds")
    if is_dask(xp):  # (the last axis is one chunk: a gather within each block)
        return sys.modules["dask.array"].map_blocks(_take_block, a, perm, dtype=a.dtype)
    return xp.take_along_axis(a, perm, axis=-1)


def _take_block(a: Any, perm: Any) -> Any:
    """One Dask block's ``take_along_axis`` along the last axis (NumPy, CuPy blocks)."""
    return array_namespace(a).take_along_axis(a, perm, axis=-1)


def _lovasz(xp: Namespace, errors: Array, fg: Array, kept: Array) -> Array:
    r"""The Lovász extension of the Jaccard loss along the last (pixel) axis, one value
    per row of ``errors``: :math:`\sum_k \max(e_{\pi(k)}, 0)\,(J_k - J_{k-1})` for the
    errors sorted descending (:math:`\pi`, a stable ``argsort``), :math:`J_k = 1 -
    |\mathrm{fg} \setminus \pi(1..k)| / |\mathrm{fg} \cup \pi(1..k)|`, :math:`J_0 = 0`.

    ``fg``: the foreground in [0, 1] (0 where not kept), ``kept``: bool, the pixels
    that count.  An ignored pixel sorts last (key -inf) and adds nothing to either count,
    so its :math:`J_k - J_{k-1}` is exactly 0 wherever it lands; its error is replaced
    by 0 (the double ``where``: no NaN of an ignored pixel reaches a value or gradient).
    Only ``errors`` carries a gradient: the weights come from counts.
    """
    kept = xp.broadcast_to(kept, tuple(errors.shape))
    e = xp.where(kept, errors, 0.0)
    key = xp.where(kept, errors, -math.inf)
    perm = xp.argsort(key, axis=-1, descending=True, stable=True)
    e_s = _take_along_last(xp, e, perm)
    fg_s = _take_along_last(xp, fg, perm)
    bg_s = _take_along_last(xp, cast(xp, kept, fg.dtype), perm) - fg_s  # (0 where ignored)
    total = xp.sum(fg, axis=-1, keepdims=True)
    inter = total - _cumsum(xp, fg_s)  # |F \ pi(1..k)|
    union = total + _cumsum(xp, bg_s)  # |F u pi(1..k)|
    inter_0, union_0 = inter + fg_s, union - bg_s  # (k - 1)
    # J_k - J_{k-1} = I_{k-1} / U_{k-1} - I_k / U_k = (I_{k-1} bg_k + fg_k U_{k-1}) /
    # (U_{k-1} U_k): a sum of terms >= 0, no cancellation (the difference of the two
    # ratios loses up to log2(P) bits where the weights are small).  U_{k-1} = 0: no
    # foreground at all and no pixel so far (J_{k-1} = 0): 1 where pixel k counts.
    safe = xp.where(union_0 > 0.0, union_0 * union, 1.0)
    weight = xp.where(union_0 > 0.0, (inter_0 * bg_s + fg_s * union_0) / safe,
                      cast(xp, union > 0.0, union.dtype))
    return xp.sum(relu(xp, e_s) * weight, axis=-1)


def _cumsum(xp: Namespace, a: Array) -> Array:
    """The cumulative sum along the last axis (``torch.cumsum`` directly: array-api-
    compat's wrapper calls ``array_namespace``, whose cache Dynamo warns about)."""
    if is_torch(xp):
        return sys.modules["torch"].cumsum(a, dim=-1)
    return xp.cumulative_sum(a, axis=-1)


def _end_lovasz(xp: Namespace, loss: Array, counted: Array, per_sample: bool,
                out_dtype: Any, reduction: str, invalid: Array | None) -> Array:
    """Per-sample values (0 where a sample has no pixel that counts) reduced: ``mean``
    divides by the samples that have one (0 where none has; NaN for an empty batch).
    Without ``per_sample`` ``loss`` is the batch's one value, every reduction's result."""
    if not per_sample:
        return finish(xp, loss, out_dtype, "none", invalid=invalid)
    if reduction == "mean" and not is_empty(loss):
        n = xp.sum(cast(xp, counted, loss.dtype))
        loss = xp.sum(loss) / xp.where(n > 0.0, n, 1.0)
        reduction = "none"
    return finish(xp, loss, out_dtype, reduction, invalid=invalid)


@declare(prediction="logits", target="binary",
         options={"per_sample": "flag", "ignore_index": "ignore_index_or_none"},
         unit="image", growth="linear", min_ndim=1,
         no_peer="PyTorch, optax, Keras and scikit-learn have no Lovász loss; kornia "
                 "(kornia.losses.lovasz_hinge_loss) and segmentation-models-pytorch "
                 "(LovaszLoss) have no migration page: see docs/segmentation.md")
def lovasz_hinge_loss(logits: Array, target: Array, *, per_sample: bool = True,
                      ignore_index: int | None = None, reduction: str = "mean") -> Array:
    r"""Lovász hinge loss: the Lovász extension of the Jaccard (IoU) loss of a binary
    segmentation, evaluated at the hinge errors (Berman et al. 2018).

    .. math::
        \ell = \sum_{k=1}^{P} \max(0, e_{\pi(k)})\,\big(J_k - J_{k-1}\big),\qquad
        e_i = 1 - x_i (2 y_i - 1),\qquad
        J_k = 1 - \frac{|F \setminus \pi(1..k)|}{|F \cup \pi(1..k)|}

    over the P pixels of one image (``per_sample=True``) or of the whole batch
    (``per_sample=False``), :math:`\pi` sorting the errors descending (a stable sort),
    :math:`F` the foreground of ``target``, :math:`J_0 = 0`.  :math:`J_k - J_{k-1}
    \ge 0` are the Jaccard loss's marginal gains, so the loss is >= 0, 0 once every
    logit is on its side with a margin of 1, and a convex surrogate of :math:`1 -
    \mathrm{IoU}`: with logits of :math:`\pm 1` it is :math:`2(1 - \mathrm{IoU})` of
    the thresholded prediction.  The gradient with respect to :math:`x_i` is
    :math:`-(2 y_i - 1)` times pixel i's weight :math:`J_k - J_{k-1}` where
    :math:`e_i > 0`: ties among the errors make the weights, not the value, depend on
    the sort's order.  The counts are sums of 0 and 1 in the compute dtype (float32 for
    half precision: exact up to :math:`2^{24}` pixels per row).

    Layout: ``logits`` ``(N, *spatial)``, one logit per pixel (a single channel axis
    squeezed first); ``target`` of that shape.  ``per_sample=True`` (the default):
    axis 0 holds the samples and every other axis their pixels (1-d logits: one pixel
    per sample); ``False``: every pixel of the batch in one set.  On Dask the pixel
    axes must each be one chunk (a ``ValueError`` says so): the sort needs the whole
    set.

    Parameters
    ----------
    logits : array
        Real floating logits, ``(N, *spatial)`` (at least 1-d).
    target : array
        The foreground, ``logits``' shape: 0/1 (floating, integer or bool); a soft value
        in [0, 1] enters the signs and the counts as it is (the reference
        implementation's arithmetic; only 0/1 is the paper's loss).  A value outside
        [0, 1] that is not ``ignore_index`` raises at the value-check level ``"all"``.
    per_sample : bool
        One loss per sample (default True), or one for all the pixels of the batch.
    ignore_index : int or None
        Pixels whose target equals it count nowhere (default None: every pixel counts).
        A sample whose every pixel is ignored (or that has no pixel) has loss 0, a zero
        gradient, and leaves ``mean``'s denominator.
    reduction : {'mean', 'sum', 'none'}
        ``per_sample=True``: ``none`` gives one value per sample, shape ``(N,)``;
        ``mean`` divides their sum by the number of samples with a pixel that is not
        ignored (0 where none has, NaN for an empty batch).  ``per_sample=False``: every
        reduction gives the one value of the batch (0 when no pixel counts).

    Notes
    -----
    Differences from peers:

    * The reference implementation (``lovasz_hinge(logits, labels, per_image=True,
      ignore=None)``, github.com/bermanmaxim/LovaszSoftmax) and
      segmentation-models-pytorch's ``LovaszLoss(mode="binary", per_image=False)``
      compute the same per set; their ``per_image`` mean counts a wholly ignored image
      as 0 in the denominator, here it leaves it.  smp's default is ``per_image=False``
      (``per_sample=False`` here), the reference's ``per_image=True``.
    * kornia ``lovasz_hinge_loss(pred, target)``: ``pred`` ``(B, 1, H, W)``, target
      ``(B, H, W)``, always per image and averaged (``per_sample=True``, ``mean`` on the
      logits squeezed at axis 1); no ``ignore_index``, no ``reduction``.
    * PyTorch, optax, Keras and scikit-learn have no Lovász loss.

    References
    ----------
    M. Berman, A. Rannen Triki, M. B. Blaschko, "The Lovász-Softmax loss: A tractable
    surrogate for the optimization of the intersection-over-union measure in neural
    networks", CVPR (2018).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> x = np.array([[2.0, -1.0, 0.5, -3.0], [1.0, 1.0, -1.0, -1.0]])
    >>> y = np.array([[1, 0, 0, 0], [1, 0, 1, 0]])
    >>> lx.lovasz_hinge_loss(x, y, reduction="none")
    array([0.75      , 1.33333333])
    >>> lx.lovasz_hinge_loss(x, np.array([[1, 255, 255, 0], [255] * 4]), ignore_index=255)
    array(0.)
    """
    check_reduction(reduction)
    per = _flag(per_sample, "per_sample")
    ignore = _ignore_or_none(ignore_index)
    xp, x, t, out, invalid, _ = elementwise_inputs(logits, target, ("logits", "target"),
                                                   binary=ignore is None)
    if x.ndim < 1:
        raise ValueError("`logits` must have at least 1 dimension (samples); got a 0-d array")
    pixels = tuple(range(1 if per else 0, x.ndim))
    one_chunk_along(logits, pixels, "logits", _SORTED)
    one_chunk_along(target, pixels, "target", _SORTED)
    kept = xp.ones_like(t, dtype=xp.bool) if ignore is None else t != float(ignore)
    if ignore is not None:
        invalid = values_in_range(xp, xp.where(kept, t, 0.0), 0.0, 1.0, "target",
                                  essential=False)
    if is_empty(x):  # (no pixel counts: 0 per sample, 0 for the batch)
        loss = xp.sum(x, axis=pixels)
        return _end_lovasz(xp, loss, xp.zeros_like(loss, dtype=xp.bool), per, out,
                           reduction, invalid)
    x = xp.where(kept, x, 0.0)  # (an ignored pixel's NaN reaches no gradient)
    y = xp.where(kept, t, 0.0)
    rows = x.shape[0] if per else 1
    shape = (rows, math.prod(x.shape) // rows)
    errors = 1.0 - x * (2.0 * y - 1.0)
    kept2 = xp.reshape(kept, shape)
    loss = _lovasz(xp, xp.reshape(errors, shape), xp.reshape(y, shape), kept2)
    if not per:
        loss = xp.sum(loss)
    return _end_lovasz(xp, loss, xp.any(kept2, axis=-1), per, out, reduction, invalid)


_CLASSES = ("present", "all")


@declare(prediction="logits", target="index", class_axis="axis",
         options={"classes": _CLASSES, "per_sample": "flag",
                  "ignore_index": "ignore_index_or_none", "axis": "axis"},
         unit="image", growth="bounded", min_ndim=1,
         no_peer="PyTorch, optax, Keras and scikit-learn have no Lovász loss; kornia "
                 "(kornia.losses.lovasz_softmax_loss) and segmentation-models-pytorch "
                 "(LovaszLoss) have no migration page: see docs/segmentation.md")
def lovasz_softmax_loss(logits: Array, target: Array, *, classes: str = "present",
                        per_sample: bool = False, ignore_index: int | None = None,
                        axis: int = -1, reduction: str = "mean") -> Array:
    r"""Lovász-Softmax loss: the Lovász extension of each class's Jaccard (IoU) loss at
    the softmax errors, averaged over the classes (Berman et al. 2018).

    .. math::
        \ell = \frac{1}{|K|} \sum_{c \in K} \sum_{k=1}^{P} e^c_{\pi_c(k)}
               \big(J^c_k - J^c_{k-1}\big),\qquad
        e^c_i = \begin{cases} 1 - p_{i,c} & y_i = c \\ p_{i,c} & y_i \ne c \end{cases}

    over the P pixels of the set (one sample with ``per_sample=True``, the whole batch
    by default), :math:`p = \mathrm{softmax}(x)` along ``axis``, :math:`\pi_c` sorting
    class c's errors descending (a stable sort), :math:`J^c_k = 1 - |F_c \setminus
    \pi_c(1..k)| / |F_c \cup \pi_c(1..k)|` with :math:`F_c` the pixels of class c,
    :math:`J^c_0 = 0`.  :math:`K`: with ``classes="present"`` (the default) the classes
    that occur among the set's pixels that are not ignored (averaging over absent
    classes, each contributing its largest probability, is the reported cause of "it
    does not learn"); with ``"all"`` every one of the C classes.  The loss lies in
    [0, 1].  :math:`1 - p` is ``-expm1(log p)`` and :math:`p` ``exp(log p)`` of one
    log-softmax: finite for logits of any magnitude.  Ties among the errors make the
    gradient's weights, not the value, depend on the sort's order.  The counts are sums
    of 0 and 1 in the compute dtype (float32 for half precision: exact up to
    :math:`2^{24}` pixels per set).

    Layout: ``logits`` with the C classes along ``axis`` (default -1, channels last;
    ``axis=1`` for PyTorch's ``(N, C, H, W)``), ``target`` class indices of its shape
    without that axis.  ``target``'s first axis holds the samples and its other axes
    their pixels (``per_sample=True``), or every pixel of the batch is in one set
    (``per_sample=False``).  On Dask the pixel axes must each be one chunk (a
    ``ValueError`` says so): the sort needs the whole set.

    Parameters
    ----------
    logits : array
        Real floating logits, the classes along ``axis``.
    target : array
        Integer class indices, ``logits``' shape without ``axis``.  An index outside
        ``[0, C)`` that is not ``ignore_index`` raises ``ValueError`` where the values
        can be read eagerly and makes its set's loss NaN where they cannot (an
        essential check, :func:`value_checks`).
    classes : {'present', 'all'}
        The classes averaged over (default ``'present'``).  A sequence of class indices
        (the reference implementation's third form) is not accepted: a ``ValueError``.
    per_sample : bool
        One loss per sample, or (default False) one for all the pixels of the batch.
        1-d ``logits`` (one pixel, a 0-d ``target``) are one sample.
    ignore_index : int or None
        Pixels whose target equals it count nowhere (default None).  A set whose every
        pixel is ignored (or that has no pixel) has loss 0, a zero gradient, and leaves
        ``mean``'s denominator.
    axis : int
        The class axis of ``logits`` (default -1).
    reduction : {'mean', 'sum', 'none'}
        ``per_sample=True``: ``none`` gives one value per sample, ``target.shape[0]``
        values; ``mean`` divides their sum by the number of samples with a pixel that is
        not ignored (0 where none has, NaN for an empty batch).  ``per_sample=False``
        (the default): every reduction gives the one value of the batch (0 when no
        pixel counts).

    Notes
    -----
    Differences from peers:

    * The reference implementation (``lovasz_softmax(probas, labels, classes="present",
      per_image=False, ignore=None)``, github.com/bermanmaxim/LovaszSoftmax) takes
      probabilities with the classes at axis 1 (pass ``softmax`` of our logits); the
      same defaults.  Its ``per_image`` mean counts a wholly ignored image as 0 in the
      denominator, here it leaves it; its ``classes`` may also be a list of class
      indices (not accepted here).
    * segmentation-models-pytorch ``LovaszLoss(mode="multiclass", per_image=False,
      ignore_index=None)``: the same as the defaults here with ``axis=1``.
    * kornia ``lovasz_softmax_loss(pred, target)``: ``(B, C, H, W)`` logits, every
      class counted and each image on its own: ``classes="all", per_sample=True,
      axis=1``; no ``ignore_index``, no ``reduction``; its ``weight`` (a factor per
      class) has no counterpart here.
    * PyTorch, optax, Keras and scikit-learn have no Lovász loss.

    References
    ----------
    M. Berman, A. Rannen Triki, M. B. Blaschko, "The Lovász-Softmax loss: A tractable
    surrogate for the optimization of the intersection-over-union measure in neural
    networks", CVPR (2018).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> x = np.log(np.array([[[0.7, 0.2, 0.1], [0.2, 0.6, 0.2], [0.5, 0.3, 0.2]]]))
    >>> y = np.array([[0, 1, 1]])
    >>> lx.lovasz_softmax_loss(x, y)
    array(0.475)
    >>> lx.lovasz_softmax_loss(x, y, classes="all")
    array(0.38333333)
    """
    check_reduction(reduction)
    if not isinstance(classes, str) or classes not in _CLASSES:
        raise ValueError(f"`classes` must be one of 'present', 'all'; got {classes!r}")
    per = _flag(per_sample, "per_sample")
    ignore = _ignore_or_none(ignore_index)
    xp, x, ax, out, _, _ = class_inputs(logits, target, axis, "logits")
    C = x.shape[ax]
    pixels = tuple(range(1 if per else 0, target.ndim))
    one_chunk_along(logits, tuple(a + (a >= ax) for a in pixels), "logits", _SORTED)
    one_chunk_along(target, pixels, "target", _SORTED)
    check_indices(xp, target, C, ignore)
    kept, bad, safe = index_masks(xp, target, C, ignore)
    if is_empty(x):  # (no pixel counts: 0 per sample, 0 for the batch)
        loss = xp.sum(x, axis=ax)
        loss = xp.sum(loss, axis=pixels) if pixels else loss
        return _end_lovasz(xp, loss, xp.zeros_like(loss, dtype=xp.bool), per, out,
                           reduction, None)
    x = xp.where(xp.expand_dims(kept, axis=ax), x, 0.0)  # (no NaN of an ignored pixel)
    logp = log_softmax(xp, x, ax)
    order = (*(a for a in range(x.ndim) if a != ax), ax)
    logp = xp.permute_dims(logp, order)  # (..., C): the target's axes, then the classes
    hot = one_hot(xp, safe, C, target.ndim) & xp.expand_dims(kept, axis=-1)
    errors = xp.where(hot, -xp.expm1(logp), xp.exp(logp))
    rows = target.shape[0] if per and target.ndim else 1
    shape = (rows, math.prod(target.shape) // rows, C)

    def sets(a: Array) -> Array:  # (rows, C, P): each class's pixels of a set along the last axis
        return xp.permute_dims(xp.reshape(a, shape), (0, 2, 1))
    fg = sets(cast(xp, hot, errors.dtype))
    kept_p = xp.reshape(kept, (rows, 1, shape[1]))
    per_class = _lovasz(xp, sets(errors), fg, kept_p)  # (rows, C)
    any_kept = xp.any(kept_p, axis=(1, 2))
    counted = (xp.sum(fg, axis=-1) > 0.0 if classes == "present"
               else xp.broadcast_to(xp.expand_dims(any_kept, axis=-1), (rows, C)))
    n = xp.sum(cast(xp, counted, per_class.dtype), axis=-1)
    loss = xp.sum(xp.where(counted, per_class, 0.0), axis=-1) / xp.where(n > 0.0, n, 1.0)
    loss = xp.where(xp.any(xp.reshape(bad, (rows, shape[1])), axis=-1), math.nan, loss)
    if not per:
        loss = xp.sum(loss)
    elif target.ndim == 0:  # (one pixel, one sample: a 0-d result)
        loss, any_kept = xp.reshape(loss, ()), xp.reshape(any_kept, ())
    return _end_lovasz(xp, loss, any_kept, per, out, reduction, None)


# (Lovász losses go above this line)
