"""Segmentation losses: overlap (Dice, Tversky, Jaccard, generalized Dice) and Lovász losses.

Conventions shared by this module
---------------------------------
**Overlap losses** (:func:`~losses_xp.dice_loss`, :func:`~losses_xp.jaccard_loss`,
:func:`~losses_xp.tversky_loss`, :func:`~losses_xp.generalized_dice_loss`) are one
implementation: soft confusion counts per class,
then a small formula on them.  Peers leave most of the following implicit; here each is
an explicit rule (``docs/segmentation.md`` maps every peer onto these arguments).

* **There is always a class axis**, ``axis`` (default ``-1``, channels last; ``1`` for
  PyTorch's ``(N, C, H, W, ...)`` layout).  A binary problem is one channel (``C = 1``).
* **The target's form chooses the activation** (as segmentation-models-pytorch's modes):

  - *multi-class*: integer class indices of the prediction's shape without ``axis``;
    they become one-hot along ``axis``, and ``from_logits=True`` (the default) applies a
    softmax along ``axis``;
  - *binary / multi-label*: a target of the prediction's own shape (floating in [0, 1],
    integer or bool 0/1: one-hot, multi-hot or soft), and ``from_logits=True`` applies
    an element-wise sigmoid.  (A multi-class problem with one-hot or soft targets and a
    softmax: pass ``softmax(logits)`` with ``from_logits=False``, or class indices.)

  With ``from_logits=False`` the prediction holds probabilities in [0, 1] as they are
  (rows need not sum to 1).
* **Counts.**  With :math:`p` the probabilities and :math:`y` the (one-hot) target,
  per class :math:`c`: :math:`TP_c = \\sum p y`, :math:`FP_c = \\sum p (1 - y)`,
  :math:`FN_c = \\sum (1 - p) y` (with a sigmoid, :math:`1 - p = \\sigma(-x)`
  exactly).  The sums run over every axis but the class axis and, with
  ``per_sample=True`` (the default, MONAI's ``batch=False``), the batch axis (the first
  axis that is not the class axis): each sample's own overlap.  ``per_sample=False``
  pools the batch (segmentation-models-pytorch, Keras ``axis=None``, MONAI
  ``batch=True``).  A prediction with only the class axis is one sample.
* **The loss is evaluated as error / denominator**, e.g. Dice's
  :math:`1 - D = (FP + FN) / (2 TP + FP + FN + s)`, never as ``1 - ratio``: a small
  loss keeps its relative precision, and its gradient too: the ratio
  :math:`e / (e + r)` is evaluated as :math:`1 / (1 + r/e)` where :math:`e \\ge r`
  and as :math:`q / (1 + q)`, :math:`q = e/r`, elsewhere, so no partial derivative is a
  difference of two large terms.  ``smooth`` :math:`s \\ge 0` is added to the
  numerator and the denominator of the overlap (default ``1e-5``, MONAI's
  ``smooth_nr = smooth_dr``); the divisor is floored at
  :math:`\\sqrt{\\text{smallest normal}}` of the compute dtype (1e-19 in float32,
  1.5e-154 in float64), so value and gradient stay finite even with ``smooth=0``.
* **A class empty in both prediction and target has overlap 1 (loss 0)**, whatever
  ``smooth`` (its error is exactly 0), with a finite gradient.
* ``ignore_index`` (class-index targets only): a pixel whose target equals it leaves
  every count, numerator and denominator alike (a ``where``, never boolean indexing).
  With a target of the prediction's shape a non-default ``ignore_index`` is an error.
* ``weight``: one weight per class; each sample's loss is
  :math:`\\frac{1}{C} \\sum_c w_c \\ell_c` (MONAI's and optax's: the weights multiply
  and do not divide).
* ``reduction``: ``none`` gives one value per sample (``per_sample=True``: shape
  ``(N,)``, or ``()`` for a prediction with only the class axis) or one value for the
  pooled batch (``per_sample=False``: shape ``()``); ``mean`` divides their sum by
  their number, :math:`N` (NaN for an empty batch), or 1; ``sum`` sums them.

Half precision is computed in float32 and returned in the input dtype.

**Lovász losses** (:func:`~losses_xp.lovasz_hinge_loss`,
:func:`~losses_xp.lovasz_softmax_loss`): the pixels are every axis of the target but its
first (``per_sample=True``: axis 0 holds the samples) or every axis
(``per_sample=False``: one set for the batch); the softmax's class axis is ``axis``.
``ignore_index`` (default None) takes a pixel out of every count; a set with no pixel
left is 0 with a zero gradient and leaves ``mean``'s denominator (the samples with a
pixel that counts; 0 where none has, NaN for an empty batch). Both sort the errors of a
set (a stable ``argsort``, descending) and take cumulative sums along it: on Dask the
pixel axes must each be one chunk (a ``ValueError`` names the argument and the axis
otherwise; ``x.rechunk({axis: -1})``); the batch axis may be chunked with
``per_sample=True`` for the hinge (each block sorts its own samples).
"""

from __future__ import annotations

import math
import sys
from typing import Any

from ._classes import check_ignore_index_or_none, check_indices, class_inputs, index_masks
from ._compat import Array, Namespace, array_namespace, is_dask, is_empty, is_jax, is_torch
from ._declare import declare
from ._primitives import cumulative_sum, log_softmax, one_hot, relu
from ._reduction import cast, finish
from ._validation import (
    check_reduction,
    either,
    elementwise_inputs,
    one_chunk_along,
    option_array,
    python_number,
    refuse_parts,
    values_in_range,
)

__all__ = ["dice_loss", "generalized_dice_loss", "jaccard_loss", "lovasz_hinge_loss",
           "lovasz_softmax_loss", "tversky_loss"]

# --- overlap losses: dice_loss, tversky_loss, jaccard_loss, generalized_dice_loss --------------

_OVERLAP_OPTIONS = {"from_logits": "flag", "axis": "axis", "per_sample": "flag",
                    "smooth": "non_negative", "ignore_index": "ignore_index_or_none",
                    "weight": "class_weight"}
_OVERLAP = {"prediction": "probs_or_logits", "target": "index_or_probs",
            "class_axis": "axis", "growth": "bounded", "unit": "image", "min_ndim": 1}


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be a bool; got {type(value).__name__}")
    return value


def _sigmoid_pair(xp: Namespace, x: Array) -> tuple[Array, Array]:
    """``(sigmoid(x), sigmoid(-x))``, both to full relative precision (no ``1 - p``)."""
    pos = x >= 0.0
    e = xp.exp(xp.where(pos, -x, x))
    big, small = 1.0 / (1.0 + e), e / (1.0 + e)
    return xp.where(pos, big, small), xp.where(pos, small, big)


def _ratio(xp: Namespace, err: Array, rest: Array) -> Array:
    """``err / (err + rest)`` for ``err, rest >= 0`` (0 where both are 0), with clean
    partial derivatives: ``1 / (1 + rest/err)`` where ``err >= rest``, ``q / (1 + q)``
    with ``q = err/rest`` elsewhere, so neither partial is a difference of two large
    terms (``1/den - err/den**2`` loses every digit in float32 when the loss is near 1).
    The divisor is floored at sqrt(smallest normal) of the dtype (1e-19 in float32):
    finite gradients for subnormal counts."""
    floor = math.sqrt(float(xp.finfo(err.dtype).smallest_normal))
    first = err >= rest
    some = first & (err > 0.0)
    v1 = 1.0 / (1.0 + rest / xp.where(some, xp.where(err > floor, err, floor), 1.0))
    q = err / xp.where(first, 1.0, xp.where(rest > floor, rest, floor))
    return xp.where(first, xp.where(some, v1, 0.0), q / (1.0 + q))


#: why a loss of the whole batch has no ``sum_and_count``
_POOLED_PARTS = ("the loss of a pooled batch is one ratio (or one sort) of the whole batch, "
                 "not a sum over its samples; use per_sample=True (a mean over samples), "
                 "or gather the predictions and targets of every shard")


class _Counts:
    """The soft counts of one call: ``tp``, ``fp``, ``fn``, ``ysum`` (sum of the target)
    per class, shape ``(C,)`` (pooled) or two axes, the batch and the class one (at
    position ``cls``); ``w`` the class weights shaped to broadcast against them."""

    def __init__(self, pred: Array, target: Array, axis: object, from_logits: object,
                 per_sample: object, smooth: object, ignore_index: object, weight: object,
                 reduction: object) -> None:
        check_reduction(reduction)
        _flag(from_logits, "from_logits")
        _flag(per_sample, "per_sample")
        if not per_sample:
            refuse_parts(str(reduction), "an overlap loss with per_sample=False",
                         _POOLED_PARTS)
        self.smooth = python_number(smooth, "smooth", minimum=0.0)
        ignore = check_ignore_index_or_none(ignore_index)
        xp, x, ax, self.out, soft, invalid = class_inputs(
            pred, target, axis, "pred", {"weight": weight}, probs="one_hot",
            pred_range=not from_logits)
        C = x.shape[ax]
        if soft:  # binary / multi-label: a target of the prediction's shape
            if ignore is not None:
                raise ValueError(
                    f"`ignore_index` applies to class-index targets only; got ignore_index="
                    f"{ignore} with class probabilities (a floating `target` of the pred' "
                    f"shape), which have no index to ignore (PyTorch raises too). Leave it "
                    f"at None.")
            y = cast(xp, target, x.dtype)
            p, q = _sigmoid_pair(xp, x) if from_logits else (x, 1.0 - x)
        else:  # multi-class: class indices, one-hot along the class axis
            check_indices(xp, target, C, ignore)
            kept, bad, safe = index_masks(xp, target, C, ignore)
            if not is_empty(target):
                invalid = either(invalid, xp.any(bad))  # out of range: every value NaN
            y = cast(xp, one_hot(xp, safe, C, ax), x.dtype)
            p = xp.exp(log_softmax(xp, x, ax)) if from_logits else x
            q = 1.0 - p
            if ignore is not None:  # an ignored pixel leaves every count
                k = xp.expand_dims(kept, axis=ax)
                p, q, y = xp.where(k, p, 0.0), xp.where(k, q, 0.0), xp.where(k, y, 0.0)
        # the batch axis: the first that is not the class axis (no generator: PyTorch
        # 2.3's Dynamo cannot trace one)
        b = (0 if ax != 0 else 1) if x.ndim > 1 else None
        per = per_sample and b is not None
        red = tuple(a for a in range(x.ndim) if a != ax and not (per and a == b))

        def total(v: Array) -> Array:  # (torch sums every axis for an empty tuple)
            return xp.sum(v, axis=red) if red else v
        self.xp, self.invalid, self.C = xp, invalid, C
        self.tp, self.fp, self.fn = total(p * y), total(p * (1.0 - y)), total(q * y)
        self.ysum = total(y)
        self.cls = 1 if per and b is not None and b < ax else 0
        self.w: Array | None = None
        if weight is not None:
            w = option_array(xp, weight, "weight", x.dtype, x)
            if tuple(w.shape) != (C,):
                raise ValueError(f"`weight` must have one value per class, shape ({C},); "
                                 f"got shape {tuple(w.shape)}")
            self.w = xp.reshape(w, (C, 1) if per and self.cls == 0 else
                                (1, C) if per else (C,))

    def per_class(self, k: float, a: float, b: float, gamma: float = 1.0) -> Array:
        """``(a FP + b FN) / (k TP + a FP + b FN + s)`` per class, to the power gamma."""
        xp = self.xp
        loss = _ratio(xp, a * self.fp + b * self.fn, k * self.tp + self.smooth)
        if gamma != 1.0:  # exp(γ log r): a finite gradient at r = 0 (0 ** γ there)
            tiny = float(xp.finfo(loss.dtype).smallest_normal)
            ok = loss > tiny
            loss = xp.where(ok, xp.exp(gamma * xp.log(xp.where(ok, loss, 1.0))), 0.0 ** gamma)
        return loss

    def finish(self, per_class: Array, reduction: str) -> Array:
        """The class-weighted mean over classes, then the reduction."""
        xp = self.xp
        if self.w is not None:
            per_class = per_class * self.w
        loss = xp.sum(per_class, axis=self.cls) / float(self.C)
        return finish(xp, loss, self.out, reduction, invalid=self.invalid)

    def generalized(self, reduction: str) -> Array:
        """Sudre et al.'s generalized Dice: the counts weighted by 1 / (sum of the
        target)^2 per class, summed over classes, then one ratio."""
        xp, cls = self.xp, self.cls
        ysum = self.ysum
        present = ysum > 0.0
        eps = float(xp.finfo(ysum.dtype).eps)
        ys = xp.where(ysum > eps, ysum, eps)  # (a class sum below eps: eps)
        W = xp.where(present, 1.0 / (ys * ys), 0.0)
        if not is_empty(W):  # an absent class: the largest weight of the present ones
            W = xp.where(present, W, xp.max(W, axis=cls, keepdims=True))
        if self.w is not None:
            W = W * self.w
        err = xp.sum(W * (self.fp + self.fn), axis=cls)
        rest = xp.sum(W * (2.0 * self.tp), axis=cls) + self.smooth
        return finish(xp, _ratio(xp, err, rest), self.out, reduction, invalid=self.invalid)


_PARAMETERS = """
    Parameters
    ----------
    pred : array
        Logits (``from_logits=True``, the default) or probabilities in [0, 1], real
        floating dtype, with a class axis ``axis`` (one channel for a binary problem).
    target : array
        Integer class indices of ``pred``'s shape without ``axis`` (multi-class: a
        softmax with ``from_logits``), or a target of ``pred``'s shape in [0, 1]
        (floating, integer or bool: binary / multi-label, a sigmoid with
        ``from_logits``).  See the module's conventions.
    from_logits : bool
        Whether ``pred`` holds logits (default True).
    axis : int
        The class axis (default -1; 1 for PyTorch's ``(N, C, ...)`` layout).
    per_sample : bool
        True (default): each sample's own counts (MONAI's default); False: counts pooled
        over the batch (segmentation-models-pytorch, Keras).
    smooth : float >= 0
        Added to the overlap's numerator and denominator (default 1e-5, MONAI's).
    ignore_index : int or None
        Class-index targets equal to it leave every count (default None).
    weight : array or sequence of shape ``(C,)``, optional
        Per-class weights: each sample's loss is :math:`\\frac1C \\sum_c w_c \\ell_c`.
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per sample, shape ``(N,)`` (``()`` pooled or without a batch
        axis); ``mean``: their sum divided by N (1 pooled; NaN for an empty batch).
"""
_TVERSKY = """    alpha, beta : float >= 0
        Weights of the false positives and of the false negatives (default 0.5 each).
    gamma : float >= 0
        The focal exponent (default 1: the Tversky loss).
"""


@declare(**_OVERLAP, options=_OVERLAP_OPTIONS,
         peers={"keras": ("keras.losses.Dice",), "optax": ("optax.losses.dice_loss",)})
def dice_loss(pred: Array, target: Array, *, from_logits: bool = True, axis: int = -1,
              per_sample: bool = True, smooth: float = 1e-5, ignore_index: int | None = None,
              weight: Array | None = None, reduction: str = "mean") -> Array:
    r"""Soft Dice loss (Milletari et al. 2016), binary, multi-class or multi-label.

    .. math::
        \ell_c = 1 - \frac{2\,TP_c + s}{2\,TP_c + FP_c + FN_c + s}
               = \frac{FP_c + FN_c}{\sum p_c + \sum y_c + s},
        \qquad \ell = \frac{1}{C} \sum_c w_c\, \ell_c

    per sample (``per_sample=True``) or over the pooled batch, with the soft counts of
    the module's conventions (the denominator is :math:`\sum p + \sum y`, not squared).
    ``mean`` divides the sum of the per-sample losses by the number of samples N.
    {parameters}
    Notes
    -----
    Differences from peers (``docs/segmentation.md`` has the exact arguments):

    * MONAI ``DiceLoss(smooth_nr=s, smooth_dr=s)``: the same value per sample and class
      (its ``batch=True`` is ``per_sample=False``); MONAI needs ``sigmoid=`` /
      ``softmax=`` / ``to_onehot_y=`` where the target's form decides here, and gives
      NaN for an empty class with ``smooth=0`` (0 here).
    * optax ``dice_loss(smooth=s')``: Tversky's form with α = β = 1/2, which is this
      Dice with ``smooth = 2 s'`` (optax's default ``smooth=1.`` is ``smooth=2.``
      here), per sample, channels last, a softmax (a sigmoid for one channel).
    * Keras ``Dice(axis=...)``: no numerator smoothing, ``epsilon()`` in the denominator;
      with ``axis=None`` every axis, classes included, is pooled into one ratio.
    * segmentation-models-pytorch ``DiceLoss`` (pooled, ``smooth=0, eps=1e-7``) zeroes
      the loss of a class absent from the target; kornia ``dice_loss`` is multi-class
      only, per sample, with ``eps=1e-8`` in the denominator.

    References
    ----------
    F. Milletari, N. Navab, S.-A. Ahmadi, "V-Net: Fully Convolutional Neural Networks
    for Volumetric Medical Image Segmentation", 3DV (2016).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> p = np.array([[0.9, 0.2, 0.7, 0.1], [0.6, 0.4, 0.3, 0.8]])[..., None]
    >>> y = np.array([[1, 0, 1, 0], [1, 1, 0, 0]])[..., None]  # binary, one channel
    >>> lx.dice_loss(p, y, from_logits=False, smooth=0.0, reduction="none")
    array([0.17948718, 0.51219512])
    """
    c = _Counts(pred, target, axis, from_logits, per_sample, smooth, ignore_index, weight,
                reduction)
    return c.finish(c.per_class(2.0, 1.0, 1.0), reduction)


@declare(**_OVERLAP, options=_OVERLAP_OPTIONS,
         no_peer="PyTorch, optax, Keras and scikit-learn have no Jaccard (IoU) loss "
                 "(MONAI's DiceLoss(jaccard=True) and smp's JaccardLoss: see the docstring)")
def jaccard_loss(pred: Array, target: Array, *, from_logits: bool = True, axis: int = -1,
                 per_sample: bool = True, smooth: float = 1e-5, ignore_index: int | None = None,
                 weight: Array | None = None, reduction: str = "mean") -> Array:
    r"""Soft Jaccard (IoU) loss, binary, multi-class or multi-label.

    .. math::
        \ell_c = 1 - \frac{TP_c + s}{TP_c + FP_c + FN_c + s}
               = \frac{FP_c + FN_c}{TP_c + FP_c + FN_c + s},
        \qquad \ell = \frac{1}{C} \sum_c w_c\, \ell_c

    the union :math:`TP + FP + FN = \sum p + \sum y - TP` of the soft counts (module
    conventions).  ``mean`` divides the sum of the per-sample losses by N.
    {parameters}
    Notes
    -----
    Differences from peers: MONAI ``DiceLoss(jaccard=True, smooth_nr=2s, smooth_dr=2s)``
    gives this value (it smooths :math:`(2 TP + s) / (2 \cdot \mathrm{union} + s)`);
    segmentation-models-pytorch ``JaccardLoss`` pools the batch (``per_sample=False``,
    ``smooth=0``, eps 1e-7) and zeroes classes absent from the target.  PyTorch, optax
    and Keras have no Jaccard loss.

    References
    ----------
    P. Jaccard, "The distribution of the flora in the alpine zone", New Phytologist
    11(2) (1912). M. A. Rahman, Y. Wang, "Optimizing intersection-over-union in deep
    neural networks for image segmentation", ISVC (2016).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> p = np.array([[0.9, 0.2, 0.7, 0.1], [0.6, 0.4, 0.3, 0.8]])[..., None]
    >>> y = np.array([[1, 0, 1, 0], [1, 1, 0, 0]])[..., None]
    >>> lx.jaccard_loss(p, y, from_logits=False, smooth=0.0, reduction="none")
    array([0.30434783, 0.67741935])
    """
    c = _Counts(pred, target, axis, from_logits, per_sample, smooth, ignore_index, weight,
                reduction)
    return c.finish(c.per_class(1.0, 1.0, 1.0), reduction)


@declare(**_OVERLAP, options={**_OVERLAP_OPTIONS, "alpha": "non_negative",
                              "beta": "non_negative", "gamma": "gamma"},
         peers={"keras": ("keras.losses.Tversky",), "optax": ("optax.losses.dice_loss",)})
def tversky_loss(pred: Array, target: Array, *, alpha: float = 0.5, beta: float = 0.5,
                 gamma: float = 1.0, from_logits: bool = True, axis: int = -1,
                 per_sample: bool = True, smooth: float = 1e-5,
                 ignore_index: int | None = None, weight: Array | None = None,
                 reduction: str = "mean") -> Array:
    r"""Tversky loss (Salehi et al. 2017) and focal Tversky loss (Abraham & Khan 2019).

    .. math::
        TI_c = \frac{TP_c + s}{TP_c + \alpha FP_c + \beta FN_c + s}, \qquad
        \ell_c = (1 - TI_c)^\gamma
               = \Big(\frac{\alpha FP_c + \beta FN_c}{TP_c + \alpha FP_c + \beta FN_c + s}
                 \Big)^\gamma,
        \qquad \ell = \frac{1}{C} \sum_c w_c\, \ell_c

    **α weights false positives, β false negatives** (as MONAI, optax and
    segmentation-models-pytorch).  α = β = 1/2 is :func:`dice_loss` with ``2 * smooth``,
    α = β = 1 :func:`jaccard_loss`.  γ ≠ 1 is the focal Tversky loss, per class and
    sample before any mean; the power is :math:`\exp(\gamma \log(1 - TI))` on the
    error ratio (never ``1 - TI``), 0 where :math:`TI = 1` (1 for γ = 0), with a finite
    gradient there.  ``mean`` divides the sum of the per-sample losses by N.

    {parameters_tversky}
    Notes
    -----
    Differences from peers:

    * Keras 3's ``tversky(alpha, beta)`` puts α on the **false negatives** (measured:
      one TP and one FP with α = 0.9, β = 0.1 give 0.0909, β on the FP): Keras's
      ``Tversky(alpha=a, beta=b)`` is ``alpha=b, beta=a`` here (pooled, ``smooth=0``,
      its ``epsilon()`` in the denominator only).
    * MONAI ``TverskyLoss(alpha, beta, smooth_nr=s, smooth_dr=s)``: the same value;
      no focal exponent.  optax ``dice_loss(alpha, beta, smooth=s)``: the same formula.
    * segmentation-models-pytorch ``TverskyLoss(gamma=...)`` raises the *class mean*
      to γ; here each class's (and sample's) loss is raised, as in the paper.

    References
    ----------
    S. S. M. Salehi, D. Erdogmus, A. Gholipour, "Tversky loss function for image
    segmentation using 3D fully convolutional deep networks", MLMI (2017).
    N. Abraham, N. M. Khan, "A Novel Focal Tversky loss function with improved
    Attention U-Net for lesion segmentation", ISBI (2019).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> p = np.array([[0.9, 0.2, 0.7, 0.1], [0.6, 0.4, 0.3, 0.8]])[..., None]
    >>> y = np.array([[1, 0, 1, 0], [1, 1, 0, 0]])[..., None]
    >>> lx.tversky_loss(p, y, alpha=0.7, beta=0.3, from_logits=False, smooth=0.0,
    ...                 reduction="none")
    array([0.17098446, 0.51690821])
    """
    a = python_number(alpha, "alpha", minimum=0.0)
    b = python_number(beta, "beta", minimum=0.0)
    g = python_number(gamma, "gamma", minimum=0.0)
    c = _Counts(pred, target, axis, from_logits, per_sample, smooth, ignore_index, weight,
                reduction)
    return c.finish(c.per_class(1.0, a, b, g), reduction)


@declare(**_OVERLAP, options=_OVERLAP_OPTIONS,
         peers={"optax": ("optax.losses.multiclass_generalized_dice_loss",)})
def generalized_dice_loss(pred: Array, target: Array, *, from_logits: bool = True,
                          axis: int = -1, per_sample: bool = True, smooth: float = 1e-5,
                          ignore_index: int | None = None, weight: Array | None = None,
                          reduction: str = "mean") -> Array:
    r"""Generalized Dice loss (Sudre et al. 2017): class counts weighted by
    :math:`1 / (\sum y_c)^2`, then one ratio.

    .. math::
        \ell = 1 - \frac{2 \sum_c W_c\, TP_c + s}{\sum_c W_c\,(2 TP_c + FP_c + FN_c) + s}
             = \frac{\sum_c W_c (FP_c + FN_c)}{\sum_c W_c\,(2 TP_c + FP_c + FN_c) + s},
        \qquad W_c = \frac{w_c}{(\sum y_c)^2}

    per sample (the sums over the sample's pixels) or over the pooled batch.  A class
    absent from the target (:math:`\sum y_c = 0`) takes the largest weight of the
    present ones, as MONAI does (never inf or NaN); with no class present the loss is 0
    (an empty numerator).  A target sum below the dtype's eps counts as eps (the weight
    stays finite).  ``weight`` (default none: 1) multiplies :math:`W_c`.  ``mean``
    divides the sum of the per-sample losses by N.
    {parameters}
    Notes
    -----
    Differences from peers: MONAI ``GeneralizedDiceLoss(smooth_nr=s, smooth_dr=s)``
    (``w_type="square"``) is the same value (its ``batch=True`` is
    ``per_sample=False``).  optax ``multiclass_generalized_dice_loss`` is a different
    loss: the mean of per-class Dice losses weighted by normalised batch weights
    :math:`1 / ((\sum y_c)^2 + 10^{-7})`, not one ratio of weighted sums.

    References
    ----------
    C. H. Sudre, W. Li, T. Vercauteren, S. Ourselin, M. J. Cardoso, "Generalised Dice
    overlap as a deep learning loss function for highly unbalanced segmentations",
    DLMIA (2017).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> x = np.array([[[2.0, 0.0, -1.0], [0.5, 1.5, 0.0], [0.0, 0.0, 3.0]]])  # (1, 3, 3)
    >>> y = np.array([[0, 1, 1]])  # one sample, 3 pixels, 3 classes: class 2 absent
    >>> round(float(lx.generalized_dice_loss(x, y)), 6)
    0.482092
    """
    c = _Counts(pred, target, axis, from_logits, per_sample, smooth, ignore_index, weight,
                reduction)
    return c.generalized(reduction)


for _fn in (dice_loss, jaccard_loss, tversky_loss, generalized_dice_loss):
    _fn.__doc__ = (_fn.__doc__ or "").replace("    {parameters}\n", _PARAMETERS).replace(
        "    {parameters_tversky}\n", _PARAMETERS + _TVERSKY)

# (overlap losses go above this line)







# --- Lovász losses: lovasz_hinge_loss, lovasz_softmax_loss -------------------------------------

_SORTED = "holds pixels that the Lovász loss sorts together"


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
    inter = total - cumulative_sum(xp, fg_s, -1)  # |F \ pi(1..k)|
    union = total + cumulative_sum(xp, bg_s, -1)  # |F u pi(1..k)|
    inter_0, union_0 = inter + fg_s, union - bg_s  # (k - 1)
    # J_k - J_{k-1} = I_{k-1} / U_{k-1} - I_k / U_k = (I_{k-1} bg_k + fg_k U_{k-1}) /
    # (U_{k-1} U_k): a sum of terms >= 0, no cancellation (the difference of the two
    # ratios loses up to log2(P) bits where the weights are small).  U_{k-1} = 0: no
    # foreground at all and no pixel so far (J_{k-1} = 0): 1 where pixel k counts.
    safe = xp.where(union_0 > 0.0, union_0 * union, 1.0)
    weight = xp.where(union_0 > 0.0, (inter_0 * bg_s + fg_s * union_0) / safe,
                      cast(xp, union > 0.0, union.dtype))
    return xp.sum(relu(xp, e_s) * weight, axis=-1)


def _end_lovasz(xp: Namespace, loss: Array, counted: Array, per_sample: bool,
                out_dtype: Any, reduction: str, invalid: Array | None) -> Array:
    """Per-sample values (0 where a sample has no pixel that counts) reduced: ``mean``
    divides by the samples that have one (0 where none has; NaN for an empty batch).
    Without ``per_sample`` ``loss`` is the batch's one value, every reduction's result."""
    if not per_sample:
        refuse_parts(reduction, "a Lovász loss with per_sample=False", _POOLED_PARTS)
        return finish(xp, loss, out_dtype, "none", invalid=invalid)
    # (an empty batch: the NaN of every empty mean)
    return finish(xp, loss, out_dtype, reduction, counted=None if is_empty(loss) else counted,
                  invalid=invalid)


@declare(prediction="logits", target="binary",
         options={"per_sample": "flag", "ignore_index": "ignore_index_or_none"},
         unit="kept_image", growth="linear", min_ndim=1, sorts=True,
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
    ignore = check_ignore_index_or_none(ignore_index)
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
         unit="kept_image", growth="bounded", min_ndim=1, sorts=True,
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
    ignore = check_ignore_index_or_none(ignore_index)
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
