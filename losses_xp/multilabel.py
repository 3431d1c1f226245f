"""Imbalance and multi-label losses: ASL, ZLPR (multilabel categorical CE), class-balanced."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ._classes import check_indices, class_inputs, index_masks, take_class
from ._compat import (
    Array,
    Namespace,
    default_float,
    device,
    is_array,
    is_empty,
    namespace,
    stop_gradient,
)
from ._declare import declare
from ._primitives import clip as clip_values  # `clip` is an option of asymmetric_loss
from ._primitives import focal_bce, gather_at_class, log_softmax, one_hot, relu, softplus_pair
from ._reduction import cast, finish
from ._validation import (
    check_reduction,
    elementwise_inputs,
    normalize_axis,
    python_number,
    values_in_range,
)

__all__ = [
    "asymmetric_loss",
    "class_balanced_loss",
    "class_balanced_weights",
    "multilabel_categorical_crossentropy",
]


# bounded: -log max(p, eps) <= -log(eps) with eps >= the smallest normal number
@declare(prediction="logits", target="binary",
         options={"gamma_pos": "gamma", "gamma_neg": "gamma", "clip": "unit", "eps": "eps",
                  "detach_focusing": "flag"},
         growth="bounded", no_peer="ASL (Ridnik et al. 2021): no peer library ships it")
def asymmetric_loss(logits: Array, target: Array, *, gamma_pos: float = 0.0,
                    gamma_neg: float = 4.0, clip: float = 0.05, eps: float = 1e-8,
                    detach_focusing: bool = False, reduction: str = "mean") -> Array:
    r"""Asymmetric loss (ASL, Ridnik et al., ICCV 2021) for multi-label classification.

    With :math:`p = \sigma(x)` and the shifted probability of a negative
    :math:`p_m = \max(p - m, 0)` (:math:`m` = ``clip``):

    .. math::
        \ell = -y\,(1 - p)^{\gamma_+} \log(\max(p, \epsilon))
               - (1 - y)\, p_m^{\gamma_-} \log(\max(1 - p_m, \epsilon))

    element-wise: the official implementation's formula (``AsymmetricLoss`` of
    github.com/Alibaba-MIIL/ASL, ``src/loss_functions/losses.py``) term by term.
    ``reduction="sum"`` equals the official value (which returns ``-loss.sum()``);
    ``mean`` divides that sum by the number of elements; ``none`` is element-wise.

    Parameters
    ----------
    logits : array
        Real floating dtype.
    target : array
        0/1 labels (floating, integer or bool) of ``logits``' shape.
        Checked at the value-check level ``"all"`` only (:func:`value_checks`; no
        peer checks a target): outside [0, 1] or NaN, ``ValueError`` where the values
        can be read eagerly, a NaN result (every element) where they cannot
        (``jax.jit``, ``torch.compile``, Dask, an accelerator).
    gamma_pos, gamma_neg : float >= 0
        Focusing of positives and negatives.  Defaults 0 and 4: the paper's
        recommended setting (Sec. 4); the official ``AsymmetricLoss`` class defaults
        to ``gamma_pos=1``.
    clip : float in [0, 1]
        Probability margin :math:`m` of the negatives; 0 disables the shifting.
        Default 0.05 (paper and official code).
    eps : float in (0, 1]
        Lower clamp of the probabilities inside the logs; default 1e-8, the official
        value.  Half-precision inputs are computed in float32, where 1e-8 is a normal
        number, so ``eps`` keeps its value (in float16 itself it would round to 0 and
        the clamp would let ``log 0 = -inf`` through); the result is cast back to the
        input dtype.  An ``eps`` below the compute dtype's smallest normal number
        (``finfo(float32).smallest_normal`` for half and single precision) is raised
        to it.
    detach_focusing : bool
        Stop the gradient through the focusing weights :math:`(1 - p)^{\gamma_+}` and
        :math:`p_m^{\gamma_-}`: the official ``disable_torch_grad_focal_loss=True``
        (the default of the official ``AsymmetricLoss``; ``AsymmetricLossOptimized``
        and some copies of the code default to ``False``).  Done with a per-backend
        stop-gradient (``Tensor.detach``, ``jax.lax.stop_gradient``), never by toggling
        a global grad mode.  Default False: the full gradient.
    reduction : {'mean', 'sum', 'none'}

    Notes
    -----
    Differences from the official code: it computes ``1 - sigmoid(x)`` and
    ``(1 - p_t) ** gamma`` in probability space; here everything comes from
    log-sigmoids: :math:`\log\max(p, \epsilon) = \max(\log\sigma(x), \log
    \epsilon)`, :math:`(1 - p)^{\gamma_+} = \exp(\gamma_+ \log\sigma(-x))` and
    :math:`1 - p_m = \min(\sigma(-x) + m, 1)` (no cancellation), so values are finite
    and non-negative, and gradients finite, for logits of ±100 (and beyond) with
    ``clip`` 0 or 0.05, in float16 too.  :math:`p_m^{\gamma_-}` is 0 where the shift
    clips, with a zero gradient there (no :math:`0^{\gamma - 1}`).  For hard 0/1
    targets the values are the official ones; a soft target :math:`y \in (0, 1)`
    interpolates the two terms above, whereas the official code also interpolates the
    exponent (``gamma_pos * y + gamma_neg * (1 - y)``) and :math:`p_t`.  Not to be
    confused with a weighted BCE that some tutorials also call "ASL".

    References
    ----------
    T. Ridnik, E. Ben-Baruch, N. Zamir, A. Noy, I. Friedman, M. Protter, L. Zelnik-Manor,
    "Asymmetric Loss For Multi-Label Classification", ICCV 2021.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> x = np.array([[2.0, -1.0, 0.5]]); y = np.array([[1, 0, 0]])
    >>> round(float(lx.asymmetric_loss(x, y, reduction="sum")), 6)
    0.218749
    """
    check_reduction(reduction)
    gp = python_number(gamma_pos, "gamma_pos", minimum=0.0)
    gn = python_number(gamma_neg, "gamma_neg", minimum=0.0)
    m = python_number(clip, "clip", minimum=0.0, maximum=1.0)
    e = python_number(eps, "eps", minimum=0.0, strict=True, maximum=1.0)
    if not isinstance(detach_focusing, bool):
        raise TypeError(f"`detach_focusing` must be a bool; got {type(detach_focusing).__name__}")
    xp, x, y, out, invalid, _ = elementwise_inputs(logits, target, ("logits", "target"),
                                                   binary=True)
    e = max(e, float(xp.finfo(x.dtype).smallest_normal))  # a smaller eps: log 0
    sp_neg, sp_pos = softplus_pair(xp, x)  # -log σ(x), -log σ(-x)
    log_eps = math.log(e)
    # positives: log max(p, eps) = max(log p, log eps); focusing (1 - p)^γ+ = exp(γ+ log σ(-x))
    log_pos = clip_values(xp, -sp_neg, min=log_eps)
    w_pos = xp.exp(gp * -sp_pos) if gp != 0.0 else None
    if m > 0.0:
        # 1 - p_m = min(σ(-x) + m, 1): a sum of positives, no cancellation near p = 1
        log_neg = xp.log(clip_values(xp, xp.exp(-sp_pos) + m, min=e, max=1.0))
        if gn != 0.0:
            p_m = relu(xp, xp.exp(-sp_neg) - m)  # shifted probability, exact 0 below the margin
            live = p_m > 0.0
            w_neg = xp.where(live, xp.exp(gn * xp.log(xp.where(live, p_m, 1.0))), 0.0)
        else:
            w_neg = None
    else:
        log_neg = clip_values(xp, -sp_pos, min=log_eps)
        w_neg = xp.exp(gn * -sp_neg) if gn != 0.0 else None
    if detach_focusing:
        w_pos = None if w_pos is None else stop_gradient(xp, w_pos)
        w_neg = None if w_neg is None else stop_gradient(xp, w_neg)
    pos = y * log_pos if w_pos is None else y * w_pos * log_pos
    neg = (1.0 - y) * log_neg if w_neg is None else (1.0 - y) * w_neg * log_neg
    # 0 - (pos + neg), not -(pos + neg): a loss of exactly 0 is +0, never -0.0
    return finish(xp, 0.0 - (pos + neg), out, reduction, invalid=invalid)


@declare(prediction="logits", target="binary", class_axis="axis", options={"axis": "axis"},
         unit="sample", min_ndim=1,
         no_peer="ZLPR / bert4keras: no peer library ships it")
def multilabel_categorical_crossentropy(logits: Array, target: Array, *, axis: int | None = None,
                                        reduction: str = "mean") -> Array:
    r"""Multi-label categorical cross-entropy (Su Jianlin's "softmax + CE for multi-label", ZLPR).

    .. math::
        \ell_i = \log\Big(1 + \sum_{c \in \Omega_{neg}} e^{s_{i,c}}\Big)
               + \log\Big(1 + \sum_{c \in \Omega_{pos}} e^{-s_{i,c}}\Big)

    over the class ``axis`` (the last by default); predict class :math:`c` iff
    :math:`s_c > 0`.  ``none`` gives one value per sample, ``mean`` averages samples.

    Each term is a log-sum-exp over the masked scores and a fixed 0 (the "1 +"),
    shifted by :math:`\max(0, \max s)`, so no :math:`10^{12}` sentinel is needed: the
    result is right in float16 (computed in float32) and under ``jax.jit``, and a
    sample without negatives (or positives) has exactly 0 for that term, with finite
    gradients.

    Differences from the reference code (bert4keras ``multilabel_categorical_crossentropy``):
    it masks with a :math:`10^{12}` sentinel (``s - y·1e12``), which overflows float16
    (``inf - inf`` = NaN) and must be a float64 constant under ``jax.jit``; the values
    agree otherwise.  A widely copied article prints ``[1.4417, 1.6109, 1.5661]`` for
    the example below, which its own code does not reproduce (it gives these values).
    Targets are hard labels: a floating target counts as positive above 0.5.  There is
    no option to tune: the formula has no hyper-parameter (the "1 +" is the threshold
    0 of the decision rule).

    Parameters
    ----------
    logits : array
        Real floating dtype.
    target : array
        0/1 labels of ``logits``' shape (bool, integer or floating; 1 = positive).
        Checked at the value-check level ``"all"`` only (:func:`value_checks`; no
        peer checks a target): outside [0, 1] or NaN, ``ValueError`` where the values
        can be read eagerly, a NaN result (every sample) where they cannot
        (``jax.jit``, ``torch.compile``, Dask, an accelerator).
    axis : int, optional
        The class axis (not given: the last, as the reference).
    reduction : {'mean', 'sum', 'none'}
        Default ``"mean"`` over samples (the reference returns per-sample values, which
        Keras then averages).

    References
    ----------
    J. Su, "将"softmax+交叉熵"推广到多标签分类问题" (2020); Su et al., "ZLPR: A Novel Loss
    for Multi-label Classification" (arXiv:2208.02955).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> s = np.array([[0.9, 0.1, 0.8, 0.3], [0.3, 0.2, 0.5, 0.7], [0.7, 0.6, 0.1, 0.3]])
    >>> y = np.array([[1, 0, 1, 0], [0, 0, 1, 1], [1, 0, 0, 0]])
    >>> lx.multilabel_categorical_crossentropy(s, y, reduction="none").round(4)
    array([1.8582, 2.0163, 2.0666])
    """
    check_reduction(reduction)
    xp, s, y, out, invalid, _ = elementwise_inputs(logits, target, ("logits", "target"),
                                                   binary=True)
    ax = normalize_axis(logits.ndim, -1 if axis is None else axis)
    pos = y > 0.5
    neg_term = _log1p_sum_exp(xp, xp.where(pos, -math.inf, s), ax)
    pos_term = _log1p_sum_exp(xp, xp.where(pos, -s, -math.inf), ax)
    return finish(xp, neg_term + pos_term, out, reduction, invalid=invalid)


def _log1p_sum_exp(xp: Namespace, z: Array, axis: int) -> Array:
    """log(1 + Σ exp(z)) along ``axis``; entries of -inf drop out (an all -inf row gives 0)."""
    if is_empty(z):  # Dask's max of an empty chunk raises; no shift is needed
        shift = xp.zeros_like(xp.sum(z, axis=axis, keepdims=True))
    else:
        shift = stop_gradient(xp, clip_values(xp, xp.max(z, axis=axis, keepdims=True), min=0.0))
    total = xp.exp(-shift) + xp.sum(xp.exp(z - shift), axis=axis, keepdims=True)
    return xp.squeeze(xp.log(total) + shift, axis=axis)


# -------------------------------------------------------------------- class-balanced


@declare(prediction="counts", options={"beta": "beta_cb", "like": "like"}, reductions=("none",),
         differentiable=(), growth="bounded", min_ndim=1, max_ndim=1,
         no_peer="effective-number weights; scikit-learn's 'balanced' is n / (C n_c)")
def class_balanced_weights(samples_per_class: Array | Sequence[int], *, beta: float = 0.9999,
                           like: Array | None = None) -> Array:
    r"""Class-balanced weights from the effective number of samples (Cui et al., CVPR 2019).

    .. math::
        w_c \propto \frac{1 - \beta}{1 - \beta^{n_c}}, \qquad \sum_c w_c = C

    (the official TensorFlow code's ``main``: ``(1 - beta) / (1 - beta**n)``, divided by
    its sum and multiplied by :math:`C`).  :math:`1 - \beta^{n}` is evaluated as
    :math:`-\tanh(x/2)(e^x + 1)` with :math:`x = n \log\beta`, i.e.
    :math:`-\mathrm{expm1}(x)`: no cancellation for β close to 1 (the reference's
    ``1 - np.power(beta, n)`` loses ~1e-12 relative in float64 at β = 0.9999, ~1e-3 in
    float32), and accurate under ``torch.compile``, whose CPU ``expm1`` is not.
    Half precision is computed in float32 and rounded once.

    ``beta=0`` gives uniform weights (all 1).  **A class with 0 samples** is given the
    weight of a class with one sample (its effective number is taken as 1, the smallest
    a seen class can have), which keeps every weight finite; the official code (and
    the popular PyTorch port) divides by :math:`1 - \beta^0 = 0` there.

    Parameters
    ----------
    samples_per_class : array or sequence of non-negative numbers
        :math:`n_c`, shape ``(C,)``.  A negative or NaN count: ``ValueError`` where the
        values can be read eagerly, every weight NaN where they cannot (``jax.jit``,
        ``torch.compile``, Dask, an accelerator).
    beta : float in [0, 1)
        Default 0.9999 (the paper's choice for long-tailed CIFAR/ImageNet).
    like : array, optional
        Create the result in this array's library, device and (floating) dtype.  By
        default the result follows ``samples_per_class``: an array gives an array of
        its library (its floating dtype, or the library's default float for integer
        counts); a plain sequence gives a NumPy float64 array.

    Returns
    -------
    array
        Shape ``(C,)``, one weight per class (not a loss: there is no ``reduction``;
        :func:`class_balanced_loss` takes the weight of each sample's class).

    Examples
    --------
    >>> import losses_xp as lx
    >>> lx.class_balanced_weights([10, 10], beta=0.9)
    array([1., 1.])
    >>> lx.class_balanced_weights([0, 1, 9], beta=0.5).round(4)
    array([1.1995, 1.1995, 0.6009])
    """
    b = _beta(beta)
    if like is not None:
        xp = namespace({"like": like})
        n = _counts(xp, samples_per_class, like)
        dtype = like.dtype if xp.isdtype(like.dtype, "real floating") else None
    elif is_array(samples_per_class):
        xp = namespace({"samples_per_class": samples_per_class})
        n, dtype = samples_per_class, None
    else:
        import numpy as np

        xp = namespace({"samples_per_class": np.zeros(0)})
        n, dtype = _counts(xp, samples_per_class, np.zeros(0)), xp.float64
    if dtype is None:
        dtype = n.dtype if xp.isdtype(n.dtype, "real floating") else default_float(xp, n)
    # half precision is computed in float32 and rounded once to the output dtype
    compute = xp.float32 if xp.finfo(dtype).bits < 32 else dtype
    return finish(xp, _effective_number_weights(xp, n, b, compute), dtype)


def _beta(beta: object) -> float:
    b = python_number(beta, "beta", minimum=0.0)
    if b >= 1.0:
        raise ValueError(f"`beta` must be in [0, 1); got {beta!r}")
    return b


def _effective_number_weights(xp: Namespace, n: Array, beta: float, dtype: Any) -> Array:
    if n.ndim != 1:
        raise ValueError(f"`samples_per_class` must be 1-d, shape (C,); got shape {tuple(n.shape)}")
    n = cast(xp, n, dtype)
    # a negative (or NaN) count that could not be checked eagerly makes every weight NaN
    invalid = values_in_range(xp, n, 0.0, math.inf, "samples_per_class",
                             essential=True)
    if beta == 0.0 or n.shape[0] == 0:  # (static shape: no 0/0 for no classes)
        return finish(xp, xp.ones_like(n), dtype, invalid=invalid)
    # 1 - β^n = -expm1(x) = -tanh(x/2) (e^x + 1), x = n log β: no cancellation near β = 1
    # (and not expm1 itself: inaccurate under torch.compile's CPU kernels)
    x = clip_values(xp, n, min=1.0) * math.log(beta)
    inv = 1.0 / (-xp.tanh(0.5 * x) * (xp.exp(x) + 1.0))  # 1 / (1 - β^n)
    return finish(xp, inv * (n.shape[0] / xp.sum(inv)), dtype, invalid=invalid)


def _counts(xp: Namespace, values: object, like: Array) -> Array:
    if is_array(values):
        namespace({"samples_per_class": values, "like": like})
        return values
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(
            "`samples_per_class` must be an array or a sequence of counts; got "
            f"{type(values).__name__}"
        )
    return xp.asarray(values, device=device(like))


_LOSS_TYPES = ("focal", "sigmoid", "softmax")  # (the default first)


@declare(prediction="logits", target="index", class_axis="axis",
         options={"samples_per_class": "counts", "beta": "beta_cb", "gamma": "gamma",
                  "loss_type": ("focal", "sigmoid", "softmax"), "axis": "axis"},
         unit="sample", min_ndim=1,
         no_peer="Cui et al. 2019: no peer library ships it")
def class_balanced_loss(logits: Array, target: Array,
                        samples_per_class: Array | Sequence[int], *, beta: float = 0.9999,
                        gamma: float = 2.0, loss_type: str = "focal", axis: int | None = None,
                        reduction: str = "mean") -> Array:
    r"""Class-balanced loss (Cui et al., CVPR 2019), as the official TensorFlow code.

    .. math::
        \ell_i = w_{y_i} \sum_c (1 - p_{t,ic})^{\gamma}\,
                 \mathrm{BCE}(x_{ic}, [c = y_i])
        \quad\text{("focal")}, \qquad
        \ell_i = w_{y_i}\, \mathrm{CE}(x_i, y_i) \quad\text{("softmax")}

    Each sample is weighted by :math:`w_{y_i}` from :func:`class_balanced_weights` and:

    * ``"sigmoid"``: :math:`\ell_i = w_{y_i} \sum_c \mathrm{BCE}(x_{i,c}, [c = y_i])`;
    * ``"focal"``: :math:`\ell_i = w_{y_i} \sum_c (1 - p_t)^\gamma \mathrm{BCE}(x_{i,c},
      [c = y_i])` (sigmoid focal loss without α, its modulator from log-sigmoids: a
      hard positive at logit −12 in float16 has modulator 1, not 0 as in the popular
      PyTorch port);
    * ``"softmax"``: :math:`\ell_i = w_{y_i}\, \mathrm{CE}(x_i, y_i)`.

    ``mean`` is :math:`\sum_i \ell_i / N`: for ``"sigmoid"``/``"focal"`` that is the
    official division by the number of positive labels (one per sample), for
    ``"softmax"`` the official mean over samples of :math:`w_{y_i}\,\mathrm{CE}` — not
    PyTorch's weighted mean, which divides by :math:`\sum_i w_{y_i}`.  ``sum`` is
    :math:`\sum_i \ell_i`, ``none`` is :math:`\ell_i` per sample.

    The official code (richardaecn/class-balanced-loss, ``src/cifar_main.py``) writes
    the focal modulator as ``exp(-γ·y·x - γ·log1p(exp(-x)))``, whose ``exp(-x)``
    overflows for logits below -88 (float32) or -11 (float16); here it is
    :math:`\exp(-\gamma\,\mathrm{softplus}(\pm x))`, finite for any logit.  The
    popular PyTorch port (vandit15/Class-balanced-loss-pytorch) differs: its
    ``"softmax"`` is a weighted binary cross-entropy of the softmax probabilities and
    its modulator underflows to 0 for a hard positive in float16.  Counts of 0: see
    :func:`class_balanced_weights`.

    Parameters
    ----------
    logits : array
        Real floating dtype, classes along ``axis``.
    target : array
        Integer class indices of ``logits``' shape without ``axis``.
    samples_per_class : array or sequence
        Training-set counts :math:`n_c`, length :math:`C`.  A negative or NaN count,
        or a class index outside ``[0, C)``: ``ValueError`` where the values can be read
        eagerly, NaN where they cannot (every sample for a bad count, that sample for
        a bad index).
    beta, gamma : float
        Defaults 0.9999 and 2.0 (the paper's choice for its long-tailed CIFAR runs and
        the focal loss paper's γ; the official scripts pass them as flags).
        ``gamma`` only matters for ``"focal"`` (``gamma=0`` is ``"sigmoid"``).
    loss_type : {'focal', 'sigmoid', 'softmax'}
        Default ``"focal"`` (the paper's best variant on long-tailed CIFAR).
    axis : int, optional
        The class axis; ``1`` for PyTorch's ``(N, C, d1, ...)`` layout.  Not given: the
        last axis, except where a class-index ``target`` fits both the last axis and
        axis 1 of a 3-d or higher input (``(N, C, L)`` with ``L == C`` and an ``(N, L)``
        target): a ``ValueError`` asks for ``axis=1`` or ``axis=-1`` instead of a guess.
    reduction : {'mean', 'sum', 'none'}

    References
    ----------
    Y. Cui, M. Jia, T.-Y. Lin, Y. Song, S. Belongie, "Class-Balanced Loss Based on
    Effective Number of Samples", CVPR 2019.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> x = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    >>> round(float(lx.class_balanced_loss(x, np.array([0, 2]), [5, 1, 1],
    ...                                    loss_type="softmax", beta=0.0)), 6)
    0.175456
    >>> round(float(lx.class_balanced_loss(x, np.array([0, 2]), [5, 1, 1])), 4)
    0.3593
    """
    check_reduction(reduction)
    if loss_type not in _LOSS_TYPES:
        valid = ", ".join(repr(t) for t in _LOSS_TYPES)
        raise ValueError(f"`loss_type` must be one of {valid}; got {loss_type!r}")
    g = python_number(gamma, "gamma", minimum=0.0)
    xp, x, ax, out, _, _ = class_inputs(logits, target, axis, "logits",
                                        {"samples_per_class": samples_per_class})
    num_classes = x.shape[ax]
    counts = _counts(xp, samples_per_class, logits)
    if tuple(counts.shape) != (num_classes,):
        raise ValueError(
            f"`samples_per_class` must have one count per class, length {num_classes}; "
            f"got shape {tuple(counts.shape)}"
        )
    w = _effective_number_weights(xp, counts, _beta(beta), x.dtype)
    check_indices(xp, target, num_classes, None)
    _, invalid, safe = index_masks(xp, target, num_classes, None)
    if loss_type == "softmax":
        per_sample = 0.0 - gather_at_class(xp, log_softmax(xp, x, ax), safe, ax)  # (+0)
    else:
        hot = one_hot(xp, safe, num_classes, ax)  # hard targets: the exact 0/1 algebra
        focal_gamma = g if loss_type == "focal" else 0.0
        per_sample = xp.sum(focal_bce(xp, x, cast(xp, hot, x.dtype), focal_gamma, hot),
                            axis=ax)
    loss = xp.where(invalid, math.nan, per_sample * take_class(xp, w, safe))
    return finish(xp, loss, out, reduction)
