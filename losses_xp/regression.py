"""Regression losses: squared, absolute, robust, relative, deviance and likelihood losses.

MSE, RMSE, L1/MAE, Huber, Smooth L1, log-cosh, Pseudo-Huber, Charbonnier, MAPE, MSLE,
the Tweedie (Poisson, gamma) deviances, and the probabilistic ones (Poisson and Gaussian
negative log-likelihoods, pinball).

All are element-wise, most on ``error = prediction - target`` (MAPE, MSLE and the
deviances on the pair, each in its domain).  ``prediction`` and ``target``
must have exactly the same shape (``(N, 1)`` against ``(N,)`` is an error, never an
``(N, N)`` broadcast).  ``weight`` is an optional array of element weights that must
broadcast to that shape; it multiplies the per-element loss, and ``reduction="mean"``
divides the weighted sum by the number of elements (not by the sum of the weights),
like the ``weight`` of PyTorch's BCE and Keras's sample weights.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from ._compat import (
    Array,
    Namespace,
    device,
    is_array,
    namespace,
    stop_gradient,
    values_readable,
)
from ._declare import declare
from ._primitives import clip, express_elementwise, fused_loss, log_cosh
from ._reduction import cast, finish, mean
from ._settings import runs
from ._validation import (
    check_reduction,
    either,
    elementwise_inputs,
    floating_input,
    numeric_target,
    option_array,
    python_number,
    values_in_range,
)

__all__ = [
    "charbonnier_loss",
    "gamma_deviance",
    "gaussian_nll_loss",
    "huber_loss",
    "l1_loss",
    "log_cosh_loss",
    "mae_loss",
    "mape_loss",
    "mse_loss",
    "msle_loss",
    "pinball_loss",
    "poisson_deviance",
    "poisson_nll_loss",
    "pseudo_huber_loss",
    "rmse_loss",
    "smooth_l1_loss",
    "tweedie_deviance",
]


@declare(prediction="regression", target="real", options={"weight": "element_weight"},
         growth="quadratic", zero_at_target=True,
         peers={"pytorch": ("F.mse_loss",),
                "optax": ("optax.losses.squared_error", "optax.losses.l2_loss"),
                "keras": ("keras.losses.MeanSquaredError", "keras.losses.mean_squared_error"),
                "sklearn": ("metrics.mean_squared_error",)})
def mse_loss(prediction: Array, target: Array, *, weight: Array | None = None,
             reduction: str = "mean") -> Array:
    r"""Mean squared error.

    .. math:: \ell_i = w_i\,(\hat y_i - y_i)^2

    ``mean`` is :math:`\frac1N\sum_i \ell_i` over all :math:`N` elements, ``sum`` is
    :math:`\sum_i \ell_i`, ``none`` returns :math:`\ell` with the inputs' shape.
    Same as ``torch.nn.functional.mse_loss`` and ``optax.squared_error`` followed by
    the reduction, without weights.  With ``weight``, PyTorch (checked on 2.13) divides the
    weighted sum by the sum of the weights; we divide by :math:`N`.

    Parameters
    ----------
    prediction : array
        Predictions, real floating dtype.
    target : array
        Targets of exactly the same shape (floating, integer or bool; cast to the
        prediction's dtype).
    weight : array or sequence, optional
        Element weights broadcastable to ``prediction.shape``.
    reduction : {'mean', 'sum', 'none'}
        See above.  The mean of an empty input is NaN.

    Returns
    -------
    array
        In ``prediction``'s library, device and dtype (half precision is computed in
        float32).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> float(lx.mse_loss(np.array([1.0, 2.0, 4.0]), np.array([1.0, 1.0, 1.0])))
    3.3333333333333335
    """
    check_reduction(reduction)
    fast = None if weight is not None else express_elementwise("mse_loss", prediction, target,
                                                               reduction)
    if fast is not None:
        return fast
    xp, p, t, out, _, (w,) = elementwise_inputs(prediction, target, weights={"weight": weight})
    fused = None if w is not None else fused_loss(xp, "mse_loss", p, t, reduction)
    if fused is not None:
        return finish(xp, fused, out)
    loss = xp.square(p - t)  # (JAX: one product in the gradient, 2e·g, not e·g + e·g)
    return finish(xp, loss if w is None else loss * w, out, reduction)


@declare(prediction="regression", target="real", options={"weight": "element_weight"},
         reductions=("mean",), growth="quadratic", zero_at_target=True,
         peers={"keras": ("keras.metrics.RootMeanSquaredError",),
                "sklearn": ("metrics.root_mean_squared_error",)})
def rmse_loss(prediction: Array, target: Array, *, weight: Array | None = None,
              reduction: str = "mean") -> Array:
    r"""Root mean squared error: the square root of :func:`mse_loss`'s mean.

    .. math:: \mathrm{RMSE} = \sqrt{\frac1N \sum_i w_i (\hat y_i - y_i)^2}

    Only ``reduction="mean"`` exists: a root of a per-element squared error would just
    be the absolute error (:func:`l1_loss`) and a root of the sum is not a common
    quantity, so ``"none"`` and ``"sum"`` raise ``ValueError`` rather than return
    something plausible but different.  The gradient at a zero error is 0 (the
    subgradient), not NaN: the square root is evaluated through a double ``where``.

    Matches ``sklearn.metrics.root_mean_squared_error`` on 1-D inputs without weights.
    On 2-D inputs scikit-learn averages the per-column RMSEs (``multioutput=
    "uniform_average"``); we take one root of the mean over all elements.  With
    ``sample_weight`` scikit-learn divides by the sum of the weights, we divide by
    :math:`N` as everywhere else in the regression family.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> float(lx.rmse_loss(np.array([3.0, 0.0]), np.array([0.0, 4.0])))
    3.5355339059327378
    """
    if reduction != "mean":
        check_reduction(reduction)
        raise ValueError(
            f"`reduction` must be 'mean' for rmse_loss (the root of the mean squared "
            f"error); got {reduction!r}. Use mse_loss or l1_loss for per-element values"
            + (", and mse_loss(..., reduction='sum_and_count') for the parts of the mean "
               "squared error (the root of total / count over every shard is the RMSE)"
               if reduction == "sum_and_count" else "") + ".")
    xp, p, t, out, _, (w,) = elementwise_inputs(prediction, target, weights={"weight": weight})
    mse = None if w is not None else fused_loss(xp, "mse_loss", p, t, "mean")
    if mse is None:
        e = p - t
        mse = mean(xp, e * e if w is None else e * e * w)
    # double where: no infinite derivative of sqrt at 0; "== 0" keeps a NaN mean NaN
    zero = mse == 0
    return finish(xp, xp.where(zero, 0.0, xp.sqrt(xp.where(zero, 1.0, mse))), out)


@declare(prediction="regression", target="real", options={"weight": "element_weight"},
         zero_at_target=True, aliases=("mae_loss",),
         peers={"pytorch": ("F.l1_loss",),
                "keras": ("keras.losses.MeanAbsoluteError", "keras.losses.mean_absolute_error"),
                "sklearn": ("metrics.mean_absolute_error",)})
def l1_loss(prediction: Array, target: Array, *, weight: Array | None = None,
            reduction: str = "mean") -> Array:
    r"""Mean absolute error (L1 loss).

    .. math:: \ell_i = w_i\,|\hat y_i - y_i|

    Reductions as in :func:`mse_loss`.  Same as ``torch.nn.functional.l1_loss`` without
    weights (with ``weight`` PyTorch divides by the sum of the weights, we by :math:`N`).
    The gradient at a zero error is the backend's subgradient of ``abs`` (0 in
    PyTorch, 1 in JAX).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> float(lx.l1_loss(np.array([1.0, 2.0, 4.0]), np.array([1.0, 1.0, 1.0])))
    1.3333333333333333
    """
    check_reduction(reduction)
    fast = None if weight is not None else express_elementwise("l1_loss", prediction, target,
                                                               reduction)
    if fast is not None:
        return fast
    xp, p, t, out, _, (w,) = elementwise_inputs(prediction, target, weights={"weight": weight})
    fused = None if w is not None else fused_loss(xp, "l1_loss", p, t, reduction)
    if fused is not None:
        return finish(xp, fused, out)
    loss = xp.abs(p - t)
    return finish(xp, loss if w is None else loss * w, out, reduction)


mae_loss = l1_loss


@declare(prediction="regression", target="real",
         options={"delta": "positive", "weight": "element_weight"},
         growth="quadratic", zero_at_target=True,
         peers={"pytorch": ("F.huber_loss",), "optax": ("optax.losses.huber_loss",),
                "keras": ("keras.losses.Huber", "keras.losses.huber")})
def huber_loss(prediction: Array, target: Array, *, delta: float = 1.0,
               weight: Array | None = None, reduction: str = "mean") -> Array:
    r"""Huber loss (PyTorch semantics).

    .. math::
        \ell_i = w_i \begin{cases} \tfrac12 e_i^2 & |e_i| < \delta \\
                 \delta\,(|e_i| - \tfrac12\delta) & \text{otherwise}\end{cases}

    computed branch-free as :math:`\tfrac12 q^2 + \delta(|e| - q)`, :math:`q = \min(|e|,
    \delta)`.  ``delta`` must be a Python or NumPy number > 0 (``ValueError``
    otherwise).  Equals ``torch.nn.functional.huber_loss`` and ``optax.huber_loss``
    (elementwise), and ``delta * smooth_l1_loss(beta=delta)``.  Reductions as in
    :func:`mse_loss`.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.huber_loss(np.array([0.5, 3.0]), np.array([0.0, 0.0]), reduction="none")
    array([0.125, 2.5  ])
    """
    d = python_number(delta, "delta", minimum=0.0, strict=True)
    check_reduction(reduction)
    fast = None if weight is not None else express_elementwise("huber_loss", prediction, target,
                                                               reduction, delta=d)
    if fast is not None:
        return fast
    xp, p, t, out, _, (w,) = elementwise_inputs(prediction, target, weights={"weight": weight})
    fused = None if w is not None else fused_loss(xp, "huber_loss", p, t, reduction, delta=d)
    if fused is not None:
        return finish(xp, fused, out)
    a = xp.abs(p - t)
    q = clip(xp, a, max=d)
    loss = 0.5 * xp.square(q) + d * (a - q)  # branch-free: both finite for a finite error
    return finish(xp, loss if w is None else loss * w, out, reduction)


@declare(prediction="regression", target="real",
         options={"beta": "non_negative", "weight": "element_weight"}, zero_at_target=True,
         peers={"pytorch": ("F.smooth_l1_loss",)})
def smooth_l1_loss(prediction: Array, target: Array, *, beta: float = 1.0,
                   weight: Array | None = None, reduction: str = "mean") -> Array:
    r"""Smooth L1 loss (PyTorch semantics).

    .. math::
        \ell_i = w_i \begin{cases} \tfrac{1}{2\beta} e_i^2 & |e_i| < \beta \\
                 |e_i| - \tfrac12\beta & \text{otherwise}\end{cases}

    ``beta`` must be a Python or NumPy number >= 0.  ``beta=0`` is exactly the L1 loss
    (PyTorch does the same) and its gradient at 0 is finite; for ``beta > 0`` this is
    ``huber_loss(delta=beta) / beta``.  Equals ``torch.nn.functional.smooth_l1_loss``.
    Reductions as in :func:`mse_loss`.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.smooth_l1_loss(np.array([0.5, 3.0]), np.array([0.0, 0.0]), reduction="none")
    array([0.125, 2.5  ])
    """
    b = python_number(beta, "beta", minimum=0.0)
    check_reduction(reduction)
    fast = None if weight is not None else express_elementwise("smooth_l1_loss", prediction, target,
                                                               reduction, beta=b)
    if fast is not None:
        return fast
    xp, p, t, out, _, (w,) = elementwise_inputs(prediction, target, weights={"weight": weight})
    fused = None if w is not None else fused_loss(xp, "smooth_l1_loss", p, t, reduction,
                                                  beta=b)
    if fused is not None:
        return finish(xp, fused, out)
    a = xp.abs(p - t)
    if b < float(xp.finfo(a.dtype).smallest_normal):
        loss = a  # β = 0 is L1; so is, to that precision, a β whose 1/β would overflow
    else:
        q = clip(xp, a, max=b)
        loss = (0.5 * q) * (q * (1.0 / b)) + (a - q)  # huber(β)/β without overflow
    return finish(xp, loss if w is None else loss * w, out, reduction)


@declare(prediction="regression", target="real", options={"weight": "element_weight"},
         zero_at_target=True,
         peers={"optax": ("optax.losses.log_cosh",),
                "keras": ("keras.losses.LogCosh", "keras.losses.log_cosh")})
def log_cosh_loss(prediction: Array, target: Array, *, weight: Array | None = None,
                  reduction: str = "mean") -> Array:
    r"""Log-cosh loss.

    .. math::

        \ell_i = w_i \log\cosh(e_i)
                = w_i\,\big(|e_i| + \log(1 + e^{-2|e_i|}) - \log 2\big)

    The right-hand form never evaluates ``cosh`` (which overflows for :math:`|e| > 710`
    in float64 and :math:`|e| > 89` in float32): ``log_cosh_loss`` of an error of 1e4
    is 1e4 - log 2 with gradient ±1.  Equals ``optax.log_cosh`` and Keras's
    ``log_cosh`` (element-wise, before Keras's mean over the last axis).
    Reductions as in :func:`mse_loss`.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> round(float(lx.log_cosh_loss(np.array([1.0]), np.array([0.0]))), 6)
    0.433781
    """
    check_reduction(reduction)
    xp, p, t, out, _, (w,) = elementwise_inputs(prediction, target, weights={"weight": weight})
    # log cosh(a) = a + log1p(e^{-2a}) - log 2 = a + log1p(expm1(-2a) / 2): no cancelling
    # "- log 2" for small errors, and one smooth expression (gradient exactly 0 at e = 0)
    loss = log_cosh(xp, p - t)
    return finish(xp, loss if w is None else loss * w, out, reduction)


@declare(prediction="regression", target="real", options={"delta": "positive"},
         growth="quadratic", zero_at_target=True,
         no_peer="no loss library ships it (SciPy's scipy.special.pseudo_huber is the "
                 "element-wise function)")
def pseudo_huber_loss(prediction: Array, target: Array, *, delta: float = 1.0,
                      reduction: str = "mean") -> Array:
    r"""Pseudo-Huber loss: a smooth Huber loss, quadratic near 0 and linear far from it.

    .. math::
        \ell_i = \delta^2\Big(\sqrt{1 + (e_i/\delta)^2} - 1\Big)
               = \frac{e_i^2}{\sqrt{1 + (e_i/\delta)^2} + 1}

    evaluated in the right-hand form as :math:`|e| \cdot |e| / (\mathrm{hypot}(|e|/\delta,
    1) + 1)`: no cancellation for small errors (the left-hand form loses every digit once
    :math:`(e/\delta)^2` is below the dtype's epsilon) and no overflow of :math:`e^2` for
    large ones (the loss is then :math:`\approx \delta |e|`).  ``delta`` must be a Python
    or NumPy number > 0, default 1.0; one below the compute dtype's smallest normal number
    is raised to it.  ``none`` returns one value per element, ``mean`` divides their sum
    by the number of elements (NaN for an empty input), as :func:`mse_loss`.

    Differences from peers: PyTorch, optax, Keras and scikit-learn have no Pseudo-Huber
    loss (their ``huber_loss`` is the piecewise one, :func:`huber_loss` here).  Equals
    ``scipy.special.pseudo_huber(delta, e)`` element-wise.

    References
    ----------
    R. Hartley, A. Zisserman, "Multiple View Geometry in Computer Vision", 2nd ed.,
    Cambridge University Press (2003), Appendix A6.8 (the Pseudo-Huber cost).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.pseudo_huber_loss(np.array([0.0, 1.0, -3.0]), np.zeros(3), reduction="none")
    array([0.        , 0.41421356, 2.16227766])
    """
    d = python_number(delta, "delta", minimum=0.0, strict=True)
    check_reduction(reduction)
    xp, p, t, out, _, _ = elementwise_inputs(prediction, target)
    d = max(d, float(xp.finfo(p.dtype).smallest_normal))  # (1/d must not overflow)
    a = xp.abs(p - t)
    return finish(xp, a * (a / (xp.hypot(a * (1.0 / d), xp.ones_like(a)) + 1.0)), out,
                  reduction)


@declare(prediction="regression", target="nonzero", growth="relative", zero_at_target=True,
         peers={"keras": ("keras.losses.MeanAbsolutePercentageError",
                          "keras.losses.mean_absolute_percentage_error"),
                "sklearn": ("metrics.mean_absolute_percentage_error",)})
def mape_loss(prediction: Array, target: Array, *, reduction: str = "mean") -> Array:
    r"""Mean absolute percentage error, as a fraction (scikit-learn semantics).

    .. math:: \ell_i = \frac{|p_i - t_i|}{\max(|t_i|, \epsilon)}

    :math:`\epsilon` is the machine epsilon of the inputs' dtype (``finfo(dtype).eps``:
    2.2e-16 in float64, 1.2e-7 in float32, 9.8e-4 in float16, 7.8e-3 in bfloat16): a
    zero target gives the large but finite :math:`|p| / \epsilon`, as in scikit-learn, and
    stays finite in the dtype for :math:`|p|` up to :math:`\epsilon` times its largest
    value (half precision is computed in float32 and the result rounded, so a dtype's
    own eps keeps the loss representable there).  ``mean`` divides by the number of
    elements, ``sum`` sums, ``none`` returns :math:`\ell` with the inputs' shape.  The
    gradient with respect to the prediction is :math:`\mathrm{sign}(e_i)/\max(|t_i|,
    \epsilon)` (the backend's subgradient of ``abs`` at a zero error).

    Differences from peers: ``sklearn.metrics.mean_absolute_percentage_error(t, p)``
    (target first) is the ``mean`` here for float64 inputs; scikit-learn's epsilon is
    float64's 2.2e-16 whatever the dtype, ours the dtype's, so the two differ where a
    float32 or half-precision target is below that dtype's eps (a zero target); on 2-D
    inputs scikit-learn averages per column (the same mean without ``sample_weight``).
    Keras's ``MeanAbsolutePercentageError`` is a percentage: 100 times this, its
    :math:`\epsilon` the fixed ``keras.config.epsilon()`` (1e-7), its ``none`` the mean
    over the last axis.

    References
    ----------
    A. de Myttenaere, B. Golden, B. Le Grand, F. Rossi, "Mean Absolute Percentage Error
    for regression models", Neurocomputing 192 (2016).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.mape_loss(np.array([1.5, 2.0, 9.0]), np.array([1.0, 2.0, 10.0]), reduction="none")
    array([0.5, 0. , 0.1])
    >>> float(lx.mape_loss(np.array([1.0]), np.array([0.0])))  # 1 / float64's eps
    4503599627370496.0
    """
    check_reduction(reduction)
    xp, p, t, out, _, _ = elementwise_inputs(prediction, target)
    eps = float(xp.finfo(out).eps)  # the inputs' dtype's (see above)
    return finish(xp, xp.abs(p - t) / clip(xp, xp.abs(t), min=eps), out, reduction)


def _log_ratio(xp: Namespace, r: Array, num: Array, den: Array) -> tuple[Array, Array]:
    """``log(num / den)`` from ``r = (num - den) / den``: ``log1p(r)`` where the ratio
    lies in (0.5, 1.5) (no cancellation, exactly 0 at ``num = den``), ``log(num) -
    log(den)`` elsewhere (``r`` rounds to -1 where ``num`` is negligible next to
    ``den``).  A double ``where``: neither branch sees the other's values, so an
    unused ``log1p(-1)`` or ``log(0)`` poisons no gradient.  Returns ``(close, log)``."""
    close = xp.abs(r) < 0.5
    near = xp.log1p(xp.where(close, r, 0.0))
    far = xp.log(xp.where(close, 1.0, num)) - xp.log(xp.where(close, 1.0, den))
    return close, xp.where(close, near, far)


@declare(prediction="above_minus_one", target="above_minus_one", zero_at_target=True,
         peers={"keras": ("keras.losses.MeanSquaredLogarithmicError",
                          "keras.losses.mean_squared_logarithmic_error"),
                "sklearn": ("metrics.mean_squared_log_error",)})
def msle_loss(prediction: Array, target: Array, *, reduction: str = "mean") -> Array:
    r"""Mean squared logarithmic error (scikit-learn semantics).

    .. math:: \ell_i = \big(\log(1 + p_i) - \log(1 + t_i)\big)^2
                     = \log^2\!\Big(1 + \frac{p_i - t_i}{1 + t_i}\Big)

    evaluated in the right-hand form, ``log1p((p - t) / (1 + t))``, where :math:`(1 + p) /
    (1 + t)` lies in (0.5, 1.5) (no cancellation of two logarithms near the
    target, exactly 0 there), and as the difference of the two logarithms elsewhere (the
    ratio would round to -1 where :math:`1 + p` is negligible next to :math:`1 + t`).
    Both arguments must lie in :math:`(-1, \infty]`; a value <= -1 (or NaN) is a
    ``ValueError`` where the values can be read and makes the result NaN where they
    cannot (``jax.jit``, ``torch.compile``, Dask).  The prediction is checked at the
    default value-check level ``"essential"`` (scikit-learn checks it), the target
    only at ``"all"``, as the targets of the binary losses (an unchecked target <= -1
    gives ``inf`` or NaN, never a plausible number).  Reductions as in
    :func:`mse_loss`: ``mean`` divides by the number of elements.

    Differences from peers: ``sklearn.metrics.mean_squared_log_error(t, p)`` (target
    first) is the ``mean`` here; it raises on values <= -1 too.  Keras's
    ``MeanSquaredLogarithmicError`` clips both arguments below at
    ``keras.config.epsilon()`` (1e-7) before the ``log(x + 1)``: values in (-1, 0) count
    as 0 there (and have no gradient), values <= -1 raise nothing; its ``none`` is the
    mean over the last axis.

    References
    ----------
    scikit-learn User Guide, "Mean squared logarithmic error" (sklearn.metrics,
    section 3.4.6).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.msle_loss(np.array([np.e - 1, 0.0, -0.5]), np.array([0.0, 0.0, 0.0]),
    ...              reduction="none")
    array([1.        , 0.        , 0.48045301])
    """
    check_reduction(reduction)
    xp, p, t, out, _, _ = elementwise_inputs(prediction, target)
    invalid = either(values_in_range(xp, p, -1.0, math.inf, "prediction", essential=True,
                                     open_lo=True),
                     values_in_range(xp, t, -1.0, math.inf, "target", essential=False,
                                     open_lo=True))
    # log1p(p) - log1p(t) = log((1 + p) / (1 + t)), near the target without cancellation
    _, d = _log_ratio(xp, (p - t) / (t + 1.0), p + 1.0, t + 1.0)
    return finish(xp, d * d, out, reduction, invalid=invalid)


def _tweedie(prediction: Array, target: Array, power: float, reduction: str) -> Array:
    """The mean Tweedie deviance of ``power`` (a checked Python float), element-wise then
    reduced: the one implementation behind :func:`tweedie_deviance`,
    :func:`poisson_deviance` (power 1) and :func:`gamma_deviance` (power 2)."""
    xp, mu, t, out, _, _ = elementwise_inputs(prediction, target)
    if power == 0.0:  # the normal distribution: the squared error, any real values
        return finish(xp, xp.square(mu - t), out, reduction)
    # (checked in the compute dtype: a bool target False is 0, outside (0, inf])
    invalid = values_in_range(xp, mu, 0.0, math.inf, "prediction", essential=True,
                              open_lo=True)
    if power >= 1.0:  # the target: >= 0 below power 2, > 0 from 2 on
        invalid = either(invalid, values_in_range(xp, t, 0.0, math.inf, "target",
                                                  essential=False, open_lo=power >= 2.0))
    a, b = 1.0 - power, 2.0 - power
    # where the target's power term is 0 (scikit-learn's max(t, 0)^b): t <= 0 for a
    # negative power, t = 0 for powers in [1, 2); formula below: 2 (mu^b / b - t mu^a / a)
    direct = t <= 0.0 if power < 0.0 else (t == 0.0 if power < 2.0 else None)
    r = (t - mu) / mu
    if direct is not None:
        r = xp.where(direct, 0.0, r)  # (a double where: log1p(-1) would poison the gradient)
    close, log_q = _log_ratio(xp, r, t, mu)  # L = log(t / mu)
    mu_a = mu ** a
    if abs(a) <= abs(b):  # power < 1.5: expm1(a L) / a, which is L at a = 0 (Poisson)
        e = log_q if a == 0.0 else xp.expm1(a * log_q) * (1.0 / a)
        dev = (mu_a * t * e - mu_a * (t - mu)) * (2.0 / b)
    else:  # power >= 1.5: expm1(b L) / b, which is L at b = 0 (gamma); a < 0 here
        e = log_q if b == 0.0 else xp.expm1(b * log_q) * (1.0 / b)
        dev = (mu_a * mu) * (r - e) * (2.0 / -a)  # (r - e: +0.0, never -0.0, at y = mu)
    if min(abs(a), abs(b)) >= 0.5:
        # away from the target and from powers 1 and 2, the three terms (nothing cancels
        # there; the product rule through expm1(a L) above cancels in the gradient where
        # t / mu is far from 1: a relative error of eps (t / mu)^2 at power -1)
        t_far = xp.where(close, 1.0, t)
        far = (t_far ** b * (1.0 / (a * b)) - t_far * mu_a * (1.0 / a)
               + (mu_a * mu) * (1.0 / b)) * 2.0
        dev = xp.where(close, dev, far)
    if direct is not None:
        dev0 = (mu_a * mu) * (2.0 / b)
        if power < 0.0:
            dev0 = dev0 - (mu_a * xp.where(direct, t, 0.0)) * (2.0 / a)
        dev = xp.where(direct, dev0, dev)
    return finish(xp, dev, out, reduction, invalid=invalid)




@declare(prediction="positive", target="positive", options={"power": "tweedie_power"},
         growth="quadratic", zero_at_target=True,
         peers={"sklearn": ("metrics.mean_tweedie_deviance",)})
def tweedie_deviance(prediction: Array, target: Array, *, power: float = 0.0,
                     reduction: str = "mean") -> Array:
    r"""Tweedie deviance of the mean ``prediction`` (scikit-learn semantics).

    .. math::
        d_i = 2\left(\frac{\max(y_i, 0)^{2-\rho}}{(1-\rho)(2-\rho)}
              - \frac{y_i\,\mu_i^{1-\rho}}{1-\rho} + \frac{\mu_i^{2-\rho}}{2-\rho}\right)

    for the prediction :math:`\mu` (a mean), the target :math:`y` and ``power``
    :math:`\rho`, with the limits :math:`(y - \mu)^2` at :math:`\rho = 0` (the squared
    error), :math:`2(y \log(y/\mu) - y + \mu)` at :math:`\rho = 1` (Poisson, 0 log 0 = 0)
    and :math:`2(\log(\mu/y) + y/\mu - 1)` at :math:`\rho = 2` (gamma).  ``power`` must
    be a Python or NumPy number <= 0 or >= 1 (no Tweedie distribution has a power in
    (0, 1): ``ValueError``), default 0.  Each power has its domain:

    =========  ============================  ==============================
    ``power``  distribution                  domain
    =========  ============================  ==============================
    < 0        extreme stable                :math:`\mu > 0`, any :math:`y`
    0          normal                        any real values
    1          Poisson                       :math:`\mu > 0, y \ge 0`
    (1, 2)     compound Poisson-gamma        :math:`\mu > 0, y \ge 0`
    2          gamma                         :math:`\mu > 0, y > 0`
    > 2        positive stable (3: inverse   :math:`\mu > 0, y > 0`
               Gaussian)
    =========  ============================  ==============================

    A value outside it (or NaN) is a ``ValueError`` where the values can be read and
    makes the result NaN where they cannot (``jax.jit``, ``torch.compile``, Dask): the
    prediction at the default value-check level ``"essential"`` (scikit-learn checks
    it), the target only at ``"all"``, as the targets of the binary losses (an
    unchecked target outside the domain gives inf or NaN but at powers above 2, where
    the formula may give a finite number).

    Evaluated as :math:`2\mu^{1-\rho}\,\big(y\,\frac{\exp((1-\rho)L) - 1}{1-\rho} - (y -
    \mu)\big) / (2-\rho)` with :math:`L = \log(y/\mu)` = ``log1p((y - mu) / mu)`` for
    :math:`\rho < 1.5`, and the same with the roles of :math:`1-\rho` and :math:`2-\rho`
    exchanged above: ``expm1`` and ``log1p`` (exactly 0 at :math:`y = \mu`), no powers
    of :math:`y` and :math:`\mu` apart that overflow where their combination does not,
    and no division by a small :math:`1-\rho` or :math:`2-\rho` (the deviance is
    continuous in :math:`\rho` through 1 and 2).  :math:`L` is ``log1p`` of the ratio
    where :math:`y/\mu` lies in (0.5, 1.5), :math:`\log y - \log \mu` elsewhere; there,
    at powers at least 0.5 from 1 and 2, the definition's three terms are summed as they
    are (nothing cancels, and their gradient keeps its accuracy where the product rule
    through ``expm1`` would not).  ``mean`` divides by the number of
    elements, ``sum`` sums, ``none`` returns :math:`d` with the inputs' shape.
    :func:`poisson_deviance` and :func:`gamma_deviance` are this function at powers 1
    and 2.

    Differences from peers: ``sklearn.metrics.mean_tweedie_deviance(y, mu, power=p)``
    (target first) is the ``mean`` here (its ``sample_weight`` mean divides by
    :math:`\sum w`; there is no weight here); scikit-learn raises on a target outside
    the domain whatever the value-check level.  ``torchmetrics``'
    ``tweedie_deviance_score(preds, targets, power)`` is prediction first, like this.
    LightGBM's and XGBoost's ``tweedie`` objectives take a log-link raw score and drop
    the terms of :math:`y` alone: a different value with the same gradient in
    :math:`\log\mu`.

    References
    ----------
    B. Jørgensen, "The Theory of Dispersion Models", Chapman & Hall (1997), Ch. 4
    (the Tweedie family and its unit deviances).
    P. McCullagh, J. A. Nelder, "Generalized Linear Models", 2nd ed., Chapman & Hall
    (1989), Sec. 2.3.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> mu, y = np.array([0.5, 0.5, 2.0, 2.0]), np.array([2.0, 0.0, 1.0, 4.0])
    >>> round(float(lx.tweedie_deviance(mu, y, power=1)), 6)  # scikit-learn's example
    1.426015
    >>> lx.tweedie_deviance(mu, y, power=1.5, reduction="none")
    array([2.82842712, 2.82842712, 0.48528137, 0.97056275])
    """
    pw = python_number(power, "power")
    if 0.0 < pw < 1.0:
        raise ValueError(f"`power` must be <= 0 or >= 1 (0 normal, 1 Poisson, 2 gamma); "
                         f"got {power!r}")
    check_reduction(reduction)
    return _tweedie(prediction, target, pw, reduction)


@declare(prediction="positive", target="non_negative", zero_at_target=True,
         peers={"sklearn": ("metrics.mean_poisson_deviance",)})
def poisson_deviance(prediction: Array, target: Array, *, reduction: str = "mean") -> Array:
    r"""Poisson deviance of the rate ``prediction``: :func:`tweedie_deviance` at power 1.

    .. math:: d_i = 2\,\big(y_i \log(y_i / \mu_i) - y_i + \mu_i\big), \qquad 0 \log 0 = 0

    for the rate :math:`\mu > 0` and the count :math:`y \ge 0`: a target of 0 gives
    :math:`2\mu` (value and gradient finite, the ``xlogy`` convention), a rate of 0 or
    below, or a negative target, is invalid as in :func:`tweedie_deviance` (the
    prediction checked at the value-check level ``"essential"``, the target at
    ``"all"``).  ``y log(y/mu) - (y - mu)`` is evaluated with ``log1p((y - mu) / mu)``:
    exactly 0 at :math:`y = \mu`.  Reductions as in :func:`mse_loss` (``mean`` divides
    by the number of elements).

    Differences from peers: ``sklearn.metrics.mean_poisson_deviance(y, mu)`` (target
    first) is the ``mean`` here.  PyTorch's ``poisson_nll_loss(mu, y, log_input=False)``
    and Keras's ``Poisson`` are the negative log-likelihood :math:`\mu - y \log(\mu +
    \epsilon)`: half the deviance minus :math:`y \log y - y`, a term of the target alone
    (the same gradient over 2; they are not 0 at :math:`\mu = y`).

    References
    ----------
    P. McCullagh, J. A. Nelder, "Generalized Linear Models", 2nd ed., Chapman & Hall
    (1989), Sec. 2.3 (the Poisson deviance).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.poisson_deviance(np.array([0.5, 0.5, 2.0, 2.0]), np.array([2.0, 0.0, 1.0, 4.0]),
    ...                     reduction="none")
    array([2.54517744, 1.        , 0.61370564, 1.54517744])
    """
    check_reduction(reduction)
    return _tweedie(prediction, target, 1.0, reduction)


@declare(prediction="positive", target="positive", zero_at_target=True,
         peers={"sklearn": ("metrics.mean_gamma_deviance",)})
def gamma_deviance(prediction: Array, target: Array, *, reduction: str = "mean") -> Array:
    r"""Gamma deviance of the mean ``prediction``: :func:`tweedie_deviance` at power 2.

    .. math:: d_i = 2\,\big(\log(\mu_i / y_i) + y_i / \mu_i - 1\big)

    for :math:`\mu > 0` and :math:`y > 0`; anything else is invalid as in
    :func:`tweedie_deviance` (the prediction checked at the value-check level
    ``"essential"``, the target at ``"all"``).  Scale-free: it depends on
    :math:`y/\mu` only.  Evaluated as :math:`2(r - \mathrm{log1p}(r))`, :math:`r = (y -
    \mu)/\mu`: exactly 0 at :math:`y = \mu`.  Reductions as in :func:`mse_loss`
    (``mean`` divides by the number of elements).

    Differences from peers: ``sklearn.metrics.mean_gamma_deviance(y, mu)`` (target
    first) is the ``mean`` here.

    References
    ----------
    P. McCullagh, J. A. Nelder, "Generalized Linear Models", 2nd ed., Chapman & Hall
    (1989), Sec. 2.3 (the gamma deviance).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.gamma_deviance(np.array([0.5, 0.5, 2.0, 2.0]), np.array([2.0, 0.5, 1.0, 4.0]),
    ...                   reduction="none")
    array([3.22741128, 0.        , 0.38629436, 0.61370564])
    """
    check_reduction(reduction)
    return _tweedie(prediction, target, 2.0, reduction)


@declare(prediction="regression", target="real", options={"eps": "eps"}, growth="linear",
         no_peer="PyTorch, optax, Keras and scikit-learn have no Charbonnier loss; "
                 "kornia's charbonnier_loss is sqrt(e^2 + 1) - 1 (eps = 1, shifted to 0)")
def charbonnier_loss(prediction: Array, target: Array, *, eps: float = 1e-3,
                     reduction: str = "mean") -> Array:
    r"""Charbonnier loss: a smooth L1 loss, :math:`\sqrt{e^2 + \epsilon^2}`.

    .. math:: \ell_i = \sqrt{e_i^2 + \epsilon^2}, \qquad e_i = p_i - t_i

    (Charbonnier et al. 1994; the "L1-L2" penalty of optical flow and image restoration,
    e.g. LapSRN).  Computed as ``hypot(e, eps)``: no overflow of :math:`e^2` for large
    errors (an error of 1e4 in float16 gives 1e4) and no underflow of :math:`\epsilon^2`
    for a small ``eps``.  It is :math:`\epsilon` (not 0) at a zero error, and its
    gradient :math:`e / \sqrt{e^2 + \epsilon^2}` is smooth everywhere, within
    :math:`\pm 1`.  ``eps`` must be a Python or NumPy number in (0, 1], default 1e-3.
    Reductions as in :func:`mse_loss` (``mean`` divides by the number of elements).

    Differences from peers: PyTorch, optax, Keras and scikit-learn have none.  kornia's
    ``charbonnier_loss`` is :math:`\sqrt{e^2 + 1} - 1`: ``eps = 1`` and shifted to 0 at
    a zero error (``charbonnier_loss(p, t, eps=1.0) - 1`` here).  Equals
    ``scipy.special.pseudo_huber(eps, e) / eps + eps``.

    References
    ----------
    P. Charbonnier, L. Blanc-Féraud, G. Aubert, M. Barlaud, "Two deterministic
    half-quadratic regularization algorithms for computed imaging", ICIP 1994.
    W.-S. Lai, J.-B. Huang, N. Ahuja, M.-H. Yang, "Deep Laplacian Pyramid Networks for
    Fast and Accurate Super-Resolution", CVPR 2017 (eps = 1e-3).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.charbonnier_loss(np.array([0.0, 3.0, -4.0]), np.zeros(3), eps=0.5,
    ...                     reduction="none")
    array([0.5       , 3.04138127, 4.03112887])
    """
    e = python_number(eps, "eps", minimum=0.0, strict=True, maximum=1.0)
    check_reduction(reduction)
    xp, p, t, out, _, _ = elementwise_inputs(prediction, target)
    r = p - t
    return finish(xp, xp.hypot(r, xp.asarray(e, dtype=r.dtype, device=device(r))), out,
                  reduction)


# ------------------------------------------------------------ probabilistic regression


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be a bool; got {type(value).__name__}")
    return value


@declare(prediction="log_rates_or_rates", target="real",
         options={"log_input": "flag", "full": "flag", "eps": "positive"},
         growth="exponential", signed=True,
         peers={"pytorch": ("F.poisson_nll_loss",),
                "keras": ("keras.losses.Poisson", "keras.losses.poisson")})
def poisson_nll_loss(input: Array, target: Array, *, log_input: bool = True,
                     full: bool = False, eps: float = 1e-8, reduction: str = "mean") -> Array:
    r"""Poisson negative log-likelihood (PyTorch semantics).

    .. math::
        \ell_i = \begin{cases} e^{x_i} - y_i x_i & \texttt{log\_input=True}
                  \ (x \text{ the log-rate}) \\
                  x_i - y_i \log(x_i + \epsilon) & \texttt{log\_input=False}
                  \ (x \text{ the rate}) \end{cases}
                  \; + \; [\texttt{full} \wedge y_i > 1]\,
                  \big(y_i \log y_i - y_i + \tfrac12 \log(2\pi y_i)\big)

    the negative log-likelihood of a count :math:`y` under a Poisson law of rate
    :math:`\lambda = e^x` (or :math:`x`), without the constant :math:`\log y!`; with
    ``full=True`` its Stirling approximation is added, only where :math:`y > 1` (as
    PyTorch and TensorFlow; 0 elsewhere, where :math:`\log y! = 0` for :math:`y \in
    \{0, 1\}`).  The loss can be negative (the constant is left out).  ``input`` is the
    log-rate by default (any real value; the loss grows like :math:`e^x`: in float32 it
    overflows to inf past :math:`x \approx 88`, as the exact value does), the rate
    :math:`\ge 0` with ``log_input=False``.  ``target`` holds the counts (floating,
    integer or bool; not checked, as in PyTorch and Keras); ``eps`` > 0 (default 1e-8,
    only used with ``log_input=False``; one below the compute dtype's smallest normal
    number is raised to it, so a zero rate gives a finite loss; its gradient
    :math:`1 - y/\epsilon` is beyond float16's range for a count above 6.5e-4 with the
    default ``eps``: a float16 rate of 0 then has the gradient -inf, the rounding of
    the exact value).  ``full`` and ``log_input`` are Python bools.  ``mean`` divides
    the sum by the number of elements, ``none`` returns the element-wise loss.

    Differences from peers: equals ``torch.nn.functional.poisson_nll_loss`` (without its
    deprecated ``size_average`` / ``reduce``).  Keras's ``Poisson`` takes the rate
    (``log_input=False``), target first, and clamps nothing: ``y_pred - y_true *
    log(y_pred + 1e-7)`` averaged over the last axis; ``poisson_nll_loss(rate, y,
    log_input=False, eps=1e-7)`` is that value.  scikit-learn's
    ``mean_poisson_deviance`` is the deviance (twice the likelihood ratio, 0 where
    the rate equals the count), not this likelihood.

    References
    ----------
    P. McCullagh, J. A. Nelder, "Generalized Linear Models", 2nd ed., Chapman & Hall
    (1989), Ch. 6 (the Poisson log-likelihood).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.poisson_nll_loss(np.array([0.0, 1.0]), np.array([1.0, 3.0]), reduction="none")
    array([ 1.        , -0.28171817])
    >>> lx.poisson_nll_loss(np.array([2.0]), np.array([3.0]), log_input=False, full=True,
    ...                     reduction="none")
    array([1.68463999])
    """
    log_in = _flag(log_input, "log_input")
    add_stirling = _flag(full, "full")
    e = python_number(eps, "eps", minimum=0.0, strict=True)
    check_reduction(reduction)
    xp, x, y, out, _, _ = elementwise_inputs(input, target, ("input", "target"))
    if log_in:
        loss = xp.exp(x) - y * x
    else:
        e = max(e, float(xp.finfo(x.dtype).smallest_normal))  # (log(0 + eps) finite)
        loss = x - y * xp.log(x + e)
    if add_stirling:
        big = y > 1.0
        ys = xp.where(big, y, 2.0)  # (no log of a count <= 0 in the branch not taken)
        stirling = ys * xp.log(ys) - ys + 0.5 * xp.log((2.0 * math.pi) * ys)
        loss = loss + xp.where(big, stirling, 0.0)
    return finish(xp, loss, out, reduction)


def _variance_shape(pshape: tuple[int, ...], vshape: tuple[int, ...]) -> bool:
    """Whether ``var`` of ``vshape`` must gain a last axis for an input of ``pshape``
    (PyTorch's shapes: the same, without the last axis, or one axis of size 1); a
    ``ValueError`` naming ``var`` for any other shape."""
    if vshape == pshape:
        return False
    if pshape and vshape == pshape[:-1]:
        return True  # one variance per row of the last axis
    differ = [i for i, (p, v) in enumerate(zip(pshape, vshape, strict=False)) if p != v]
    if len(vshape) == len(pshape) and len(differ) == 1 and vshape[differ[0]] == 1:
        return False  # one axis of size 1: shared along it
    raise ValueError(
        f"`var` must have the shape of `input` {pshape}, that shape without its last axis "
        f"{pshape[:-1]}, or that shape with one axis of size 1 (a shared variance); got "
        f"shape {vshape}")


@declare(prediction="regression", target="real", inputs={"var": "variance"},
         options={"full": "flag", "eps": "positive"}, differentiable=(0, 2),
         growth="quadratic", signed=True,
         peers={"pytorch": ("F.gaussian_nll_loss",)})
def gaussian_nll_loss(input: Array, target: Array, var: Array | float, *, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Array:
    r"""Gaussian negative log-likelihood with a predicted variance (PyTorch semantics).

    .. math::
        \ell_i = \tfrac12\Big(\log v_i + \frac{(x_i - y_i)^2}{v_i}\Big)
                 \; + \; [\texttt{full}]\,\tfrac12 \log 2\pi,
        \qquad v_i = \max(\mathrm{var}_i, \epsilon)

    the negative log-likelihood of ``target`` under :math:`\mathcal N(x, v)` (Nix &
    Weigend 1994), without its constant unless ``full=True``; it can be negative (a
    variance below :math:`1/(2\pi e)`).  ``var`` is **clamped** at ``eps``, not added
    (PyTorch #190058), and the clamp does not stop the gradient: as in PyTorch, whose
    ``clamp_`` runs under ``no_grad`` on a clone, the gradient with respect to ``var``
    is :math:`\partial\ell/\partial v` at the clamped :math:`v`, passed through as if
    unclamped (a straight-through clamp).  Evaluated as :math:`e \cdot (e / v)`: no
    overflow of :math:`e^2` unless the loss itself overflows.

    ``var`` has ``input``'s shape (one variance per element), that shape without its
    last axis (one per row, PyTorch's "homoscedastic" case), or that shape with one axis
    of size 1 (shared along it), else a ``ValueError`` naming ``var``; or a Python
    number >= 0 (one variance for all).  A negative (or NaN) variance is a
    ``ValueError`` where the values can be read and makes the loss NaN where they
    cannot (``jax.jit``, ``torch.compile``, Dask), at the value-check level
    ``"essential"`` (PyTorch checks it too).  ``var`` is real numeric (cast to the
    compute dtype); ``eps`` > 0 (default 1e-6; one below the compute dtype's smallest
    normal number is raised to it); ``full`` a Python bool.  ``mean`` divides the sum by
    the number of elements of ``input``; ``none`` returns the element-wise loss of
    ``input``'s shape.

    Differences from peers: equals ``torch.nn.functional.gaussian_nll_loss``, values and
    gradients (``input`` and ``var``), except that a NaN variance is refused with the
    negative ones (PyTorch's ``var < 0`` test lets it through).  MLX's
    ``gaussian_nll_loss`` requires ``var`` of ``input``'s shape.

    References
    ----------
    D. A. Nix, A. S. Weigend, "Estimating the mean and variance of the target
    probability distribution", ICNN 1994.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> x, y = np.array([[0.0, 1.0], [2.0, 2.0]]), np.array([[0.5, 1.0], [0.0, 2.5]])
    >>> lx.gaussian_nll_loss(x, y, np.array([[0.25, 1.0], [4.0, 0.5]]), reduction="none")
    array([[-0.19314718,  0.        ],
           [ 1.19314718, -0.09657359]])
    >>> round(float(lx.gaussian_nll_loss(x, y, np.array([1.0, 2.0]))), 6)  # one per row
    0.470162
    """
    add_constant = _flag(full, "full")
    e = python_number(eps, "eps", minimum=0.0, strict=True)
    check_reduction(reduction)
    va: Array | None = var if is_array(var) else None
    if va is None:  # a Python number: one variance for every element
        v0 = python_number(var, "var", minimum=0.0)
    else:
        namespace({"input": input, "target": target}, {"var": va})
    xp, x, y, out, _, _ = elementwise_inputs(input, target, ("input", "target"))
    e = max(e, float(xp.finfo(x.dtype).smallest_normal))
    invalid = None
    if va is not None:
        numeric_target(xp, va, "var")
        expand = _variance_shape(tuple(x.shape), tuple(va.shape))
        invalid = values_in_range(xp, va, 0.0, math.inf, "var", essential=True)
        v = xp.astype(va, x.dtype, copy=False)
        if expand:
            v = xp.expand_dims(v, axis=-1)
    else:
        v = xp.full_like(x, v0)
    # clamped at eps, the gradient passed straight through (PyTorch: clamp_ in no_grad)
    v = v + stop_gradient(xp, xp.maximum(v, xp.asarray(e, dtype=v.dtype, device=device(v)))
                          - v)
    r = x - y
    loss = 0.5 * (xp.log(v) + r * (r / v))
    if add_constant:
        loss = loss + 0.5 * math.log(2.0 * math.pi)
    return finish(xp, loss, out, reduction, invalid=invalid)


def _quantile_levels(xp: Namespace, q: Array) -> Array | None:
    """Quantile levels in the open interval (0, 1): a ``ValueError`` where the values
    can be read, else the 0-d "invalid" flag for :func:`finish` (``None``: valid, or not
    checked at the value-check level ``"none"``; scikit-learn checks its ``alpha`` too)."""
    if not runs(essential=True) or q.shape[0] == 0:
        return None
    qf = stop_gradient(xp, q)
    if not values_readable(q):
        return xp.logical_not((xp.min(qf) > 0.0) & (xp.max(qf) < 1.0))
    lo, hi = float(xp.min(qf)), float(xp.max(qf))
    if lo > 0.0 and hi < 1.0:
        return None
    got = "NaN" if math.isnan(lo) or math.isnan(hi) else f"values in [{lo:g}, {hi:g}]"
    raise ValueError(f"`quantile` levels must lie in (0, 1); got {got}")


@declare(prediction="regression", target="real", options={"quantile": "quantile"},
         zero_at_target=True,
         peers={"sklearn": ("metrics.mean_pinball_loss",)})
def pinball_loss(pred: Array, target: Array, *, quantile: float | Array | Sequence[float] = 0.5,
                 reduction: str = "mean") -> Array:
    r"""Pinball (quantile) loss: the loss whose minimiser is the ``quantile`` of the target.

    .. math::
        \ell_i = \begin{cases} q\,(y_i - p_i) & y_i \ge p_i \\
                 (1 - q)\,(p_i - y_i) & y_i < p_i \end{cases}
               = \max\big(q\,r_i, (q - 1)\,r_i\big), \qquad r_i = y_i - p_i

    (Koenker & Bassett 1978), computed as :math:`w\,|r|` with :math:`w = q` where
    :math:`r \ge 0` and :math:`1 - q` elsewhere (never ``-0.0``, no cancellation for
    :math:`q` near 1).  ``q = 0.5`` is half the absolute error.

    ``quantile`` is a Python (or NumPy) float in (0, 1) (default 0.5): ``pred`` and
    ``target`` then have one shape, and ``none`` returns the element-wise loss of that
    shape.  Or it is a 1-D array (or sequence) of Q levels in (0, 1), several quantiles
    in one call: ``pred`` has a last axis of length Q (one prediction per level) and
    ``target`` ``pred``'s shape without it; ``none`` then returns the loss of ``pred``'s
    shape (..., Q), element ``[..., j]`` at level ``quantile[j]``.  In both forms
    ``mean`` divides the sum by the number of elements of ``pred`` (N·Q with levels:
    the mean over the levels of each level's mean, i.e. of scikit-learn's
    ``mean_pinball_loss`` per level) and ``sum`` sums them.  A level outside (0, 1) (or
    NaN) is a ``ValueError`` where the values can be read and makes the loss NaN where
    they cannot, at the value-check level ``"essential"`` (scikit-learn checks
    ``alpha`` too); a float outside (0, 1) is always a ``ValueError``.

    Differences from peers: ``sklearn.metrics.mean_pinball_loss(y_true, y_pred,
    alpha=q)`` is target-first, takes ``alpha`` in [0, 1] (here the open interval: a
    level of 0 or 1 is no quantile), has one level per call and averages 2-D inputs per
    column (``multioutput="uniform_average"``, the same number for equal column sizes);
    with ``sample_weight`` it divides by the weights' sum.  PyTorch, optax and Keras
    have no pinball loss.

    References
    ----------
    R. Koenker, G. Bassett, "Regression quantiles", Econometrica 46(1), 1978.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.pinball_loss(np.array([1.0, 3.0]), np.array([2.0, 2.0]), quantile=0.9,
    ...                 reduction="none")
    array([0.9, 0.1])
    >>> p = np.array([[1.0, 2.0, 3.0]])  # one sample, predicted at three levels
    >>> lx.pinball_loss(p, np.array([2.0]), quantile=[0.1, 0.5, 0.9], reduction="none")
    array([[0.1, 0. , 0.1]])
    """
    check_reduction(reduction)
    if isinstance(quantile, bool) or not (
            is_array(quantile) or isinstance(quantile, numbers.Real)
            or (isinstance(quantile, Sequence) and not isinstance(quantile, (str, bytes)))):
        raise TypeError(f"`quantile` must be a float in (0, 1) or a 1-D array (or sequence) "
                        f"of levels; got {type(quantile).__name__}")
    if isinstance(quantile, numbers.Real) and not is_array(quantile):
        q = float(quantile)
        if not 0.0 < q < 1.0:  # (NaN too)
            raise ValueError(f"`quantile` must be in (0, 1); got {quantile!r}")
        xp, p, t, out, _, _ = elementwise_inputs(pred, target, ("pred", "target"))
        r = t - p
        w = xp.where(r >= 0, xp.asarray(q, dtype=r.dtype, device=device(r)),
                     xp.asarray(1.0 - q, dtype=r.dtype, device=device(r)))
        return finish(xp, w * xp.abs(r), out, reduction)
    # several levels along the prediction's last axis
    xp = namespace({"pred": pred, "target": target}, {"quantile": quantile})
    out, dtype = floating_input(xp, pred, "pred")
    numeric_target(xp, target, "target")
    levels = option_array(xp, quantile, "quantile", dtype, pred)
    pshape, tshape = tuple(pred.shape), tuple(target.shape)
    if levels.ndim != 1:
        raise ValueError(f"`quantile` must be a float in (0, 1) or a 1-D array of levels; "
                         f"got shape {tuple(levels.shape)}")
    n = levels.shape[0]
    if not pshape or pshape[-1] != n:
        raise ValueError(f"with {n} quantile levels, `pred` must have a last axis of length "
                         f"{n} (one prediction per level); got shape {pshape}")
    if tshape != pshape[:-1]:
        raise ValueError(f"with quantile levels, `target` must have the shape of `pred` "
                         f"{pshape} without its last axis, {pshape[:-1]}; got {tshape}")
    invalid = _quantile_levels(xp, levels)
    r = xp.expand_dims(cast(xp, target, dtype), axis=-1) - cast(xp, pred, dtype)
    w = xp.where(r >= 0, levels, 1.0 - levels)
    return finish(xp, w * xp.abs(r), out, reduction, invalid=invalid)
