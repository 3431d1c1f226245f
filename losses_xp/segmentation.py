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
"""

from __future__ import annotations

import math

from ._classes import check_ignore_index, check_indices, class_inputs, index_masks
from ._compat import Array, Namespace, is_empty
from ._declare import declare
from ._primitives import log_softmax, one_hot
from ._reduction import cast, finish
from ._validation import check_reduction, either, option_array, python_number

__all__ = ["dice_loss", "generalized_dice_loss", "jaccard_loss", "tversky_loss"]

# --- overlap losses: dice_loss, tversky_loss, jaccard_loss, generalized_dice_loss --------------

_OVERLAP_OPTIONS = {"from_logits": "flag", "axis": "axis", "per_sample": "flag",
                    "smooth": "non_negative", "ignore_index": "ignore_index",
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
        self.smooth = python_number(smooth, "smooth", minimum=0.0)
        ignore = None if ignore_index is None else check_ignore_index(ignore_index)
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
        b = next((a for a in range(x.ndim) if a != ax), None)  # the batch axis
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

# (Lovász losses go above this line)
