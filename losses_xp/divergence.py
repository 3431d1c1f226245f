"""Divergences between distributions: Kullback-Leibler, Jensen-Shannon, distillation.

Conventions shared by this module:

* Prediction first, target second, options keyword-only; both arguments have one shape,
  with the distribution along ``axis`` (default the last).
* The unit is a distribution: the per-sample value sums over ``axis``; ``none`` returns
  one value per sample (the input's shape without ``axis``), ``mean`` divides the sum
  of those by the number of samples (PyTorch's ``reduction="batchmean"`` for ``(N, C)``
  inputs, never PyTorch's element-wise ``"mean"``), ``sum`` sums them.
* A probability of exactly 0 in the first slot of a :math:`t \\log(t / q)` term
  contributes exactly 0 to the value and to the gradient (a double ``where``, as
  ``xlogy``): no ``0 · log 0`` or ``0 · (-inf)`` NaN reaches the result or the backward
  pass.
* Logits are handled in log space (``log_softmax``); probability rows are used as given
  (not renormalised).  Half precision is computed in float32 and returned in the input
  dtype.
* A divergence is >= 0: ``kl_div`` and ``distillation_loss`` return a per-sample value
  that rounds below 0 as +0.0; ``js_divergence``'s terms are >= 0 by construction.
* A target probability outside [0, 1] (or NaN) raises ``ValueError`` at the value-check
  level ``"all"`` where the values can be read eagerly, and makes the result NaN where
  they cannot (``losses_xp.value_checks``); the probabilities of ``js_divergence``'s
  prediction are checked by default, as every probability prediction.
"""

from __future__ import annotations

import math
from typing import Any

from ._compat import Array, Namespace, is_empty, namespace, stop_gradient
from ._declare import declare
from ._primitives import clip, exp_minus_one_plus, log_softmax, softplus
from ._reduction import cast, finish
from ._validation import (
    check_reduction,
    either,
    floating_input,
    normalize_axis,
    numeric_target,
    python_number,
    same_shape,
    values_in_range,
)

__all__ = ["distillation_loss", "js_divergence", "kl_div"]


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be a bool; got {type(value).__name__}")
    return value


def _rows(pred: Array, target: Array, axis: object, names: tuple[str, str], *,
          floating_target: bool = False) -> tuple[Namespace, Array, Array, int, Any]:
    """The beginning of a loss of two same-shaped arrays with a distribution along
    ``axis``: one library and device; a real floating first argument; a real numeric
    (or bool) second one, or with ``floating_target`` a real floating one; one shape;
    ``axis`` (``None``: the last).  Returns ``(xp, pred, target, axis, out_dtype)``,
    both arrays in the first one's compute dtype (float32 for half precision)."""
    xp = namespace({names[0]: pred, names[1]: target})
    out_dtype, dtype = floating_input(xp, pred, names[0])
    if floating_target:
        floating_input(xp, target, names[1])
    else:
        numeric_target(xp, target, names[1])
    same_shape(pred, target, names)
    ax = normalize_axis(pred.ndim, -1 if axis is None else axis)
    return xp, cast(xp, pred, dtype), cast(xp, target, dtype), ax, out_dtype


@declare(prediction="log_probs", target="class_probs_or_log_probs", class_axis="axis",
         options={"log_target": "flag", "axis": "axis"}, growth="linear", unit="sample",
         min_ndim=1,
         peers={"pytorch": ("F.kl_div", "torch.nn.KLDivLoss"),
                "optax": ("optax.losses.kl_divergence",
                          "optax.losses.kl_divergence_with_log_targets"),
                "keras": ("keras.losses.KLDivergence", "keras.losses.kl_divergence")})
def kl_div(log_pred: Array, target: Array, *, log_target: bool = False, axis: int = -1,
           reduction: str = "mean") -> Array:
    r"""Kullback-Leibler divergence KL(target ‖ pred) of log-probability predictions.

    .. math:: \ell_i = \sum_c t_{i,c} \,(\log t_{i,c} - \log q_{i,c})

    with ``log_pred`` :math:`= \log q` (e.g. a log-softmax) and ``target`` :math:`= t`
    the probabilities (``log_target=True``: :math:`\log t`, and the term is
    :math:`e^{\log t}(\log t - \log q)`), the distribution along ``axis``.  A zero
    target (``log_target=True``: a log-target of ``-inf``) contributes exactly 0 to the
    value and to the gradient, even where ``log_pred`` is ``-inf`` (a double ``where``);
    a positive target where ``log_pred`` is ``-inf`` gives ``inf``, the divergence.
    Inputs are used as given (rows are not renormalised and ``log_pred`` is not
    checked to be <= 0); the difference :math:`\log t - \log q` is taken before the
    product, so a divergence between close distributions keeps its digits.  The
    divergence of two distributions is >= 0 (Gibbs' inequality): a per-sample value
    below 0, the rounding of close rows (or rows that are not distributions), is
    returned as 0.

    Parameters
    ----------
    log_pred : array
        Log-probabilities, real floating dtype, the distribution along ``axis``.
    target : array
        ``log_pred``'s shape: probabilities (real floating, integer or bool one-hot
        rows), or log-probabilities with ``log_target=True``.  A probability outside
        [0, 1] raises at the value-check level ``"all"`` (``losses_xp.value_checks``).
    log_target : bool
        Whether ``target`` holds log-probabilities (default False).
    axis : int
        The distribution's axis (default -1, the last; ``None`` also means the last).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per sample (the shape without ``axis``); ``mean`` divides
        the sum over samples by the number of samples (NaN for an empty batch).

    Notes
    -----
    Differences from peers:

    * PyTorch ``F.kl_div(input, target)``: the same argument order and ``log_target``;
      its default ``reduction="mean"`` divides by the number of *elements* (N·C, with a
      warning): losses_xp's ``mean`` is PyTorch's ``reduction="batchmean"`` for
      ``(N, C)`` inputs, and of ``(N, C, d...)`` inputs the mean over the ``N·d...``
      samples (PyTorch's ``batchmean`` divides by N only).  ``none`` here is PyTorch's
      element-wise ``none`` summed over ``axis``.  PyTorch returns NaN for a zero target
      where ``input`` is ``-inf`` (``0 · -inf``) and for a log-target of ``-inf``
      (``log_target=True``); losses_xp returns 0 there.  PyTorch (and optax) return
      the negative sums of rows that are not distributions; losses_xp returns 0
      there (and its gradient is then 0).  PyTorch's class axis is
      whatever the reduction makes it; here it is ``axis``.
    * optax ``kl_divergence(log_predictions, targets, axis=-1)`` and
      ``kl_divergence_with_log_targets``: the same per-sample values (optax returns
      them unreduced: ``reduction="none"``); optax returns NaN where a zero target
      meets a ``log_predictions`` of ``-inf`` and for a log-target of ``-inf``.
      ``optax.losses.convex_kl_divergence`` adds ``sum(q - t)``: a different function
      for rows that are not normalised (the same for distributions).
    * Keras ``KLDivergence()(y_true, y_pred)``: target first, both *probabilities*,
      and both clipped to [1e-7, 1] (so its gradient is 0 below 1e-7, and a zero target
      contributes ``1e-7 · log(1e-7 / q)`` instead of 0); pass ``log(y_pred)`` here.

    References
    ----------
    S. Kullback, R. A. Leibler, "On Information and Sufficiency", Ann. Math. Statist.
    22 (1951).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> q = np.array([[0.5, 0.25, 0.25], [0.1, 0.2, 0.7]])
    >>> t = np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    >>> lx.kl_div(np.log(q), t, reduction="none")
    array([0.69314718, 0.09203285])
    >>> round(float(lx.kl_div(np.log(q), t)), 6)  # the mean over the 2 rows (batchmean)
    0.39259
    >>> round(float(lx.kl_div(np.log(q[1]), np.log(t[1]), log_target=True)), 6)
    0.092033
    """
    is_log = _flag(log_target, "log_target")
    check_reduction(reduction)
    xp, lq, t, ax, out = _rows(log_pred, target, axis, ("log_pred", "target"))
    invalid = None
    if not is_log:
        invalid = values_in_range(xp, target, 0.0, 1.0, "target", essential=False)
    # a zero probability's term is 0 * (0 - 0): the double where keeps log 0 and a
    # log_pred of -inf out of the value and the gradient
    if is_log:
        zero = t == -math.inf  # a probability of 0
        lt = xp.where(zero, 0.0, t)
        terms = xp.exp(lt) * (lt - xp.where(zero, 0.0, lq))
    else:
        zero = t == 0.0
        terms = t * (xp.log(xp.where(zero, 1.0, t)) - xp.where(zero, 0.0, lq))
    loss = xp.sum(terms, axis=ax)
    # Gibbs: >= 0 between distributions; rounded below 0 (close rows): +0.0
    return finish(xp, xp.where(loss < 0.0, 0.0, loss) + 0.0, out, reduction, invalid=invalid)


def _close_terms(xp: Namespace, d: Array, m: Array) -> Array:
    """``p log(p/m) + t log(t/m)`` of two probabilities with mean ``m`` and
    ``d = (p - t)/(p + t)``, ``|d| < 1/2``: with ``p = m (1 + d)``, ``t = m (1 - d)`` it
    is ``m (2 d atanh(d) + log1p(-d²)) ≈ m d²``, whose two terms differ by a factor of
    about 2 (exact to a few ulps and never negative), where the direct form's two terms
    of opposite sign (``≈ ±m d``) cancel to their rounding for close distributions."""
    return m * (2.0 * d * xp.atanh(d) + xp.log1p(0.0 - d * d))


@declare(prediction="class_probs_or_logits", target="class_probs_or_logits",
         class_axis="axis", options={"axis": "axis", "from_logits": "flag"},
         growth="bounded", unit="sample", min_ndim=1,
         no_peer="PyTorch, optax, Keras and scikit-learn have no Jensen-Shannon loss "
                 "(SciPy's scipy.spatial.distance.jensenshannon is its square root, "
                 "torchmetrics has js_divergence)")
def js_divergence(pred: Array, target: Array, *, axis: int = -1, from_logits: bool = False,
                  reduction: str = "mean") -> Array:
    r"""Jensen-Shannon divergence of two distributions, in nats (bounded by log 2).

    .. math:: \ell_i = \tfrac12 \sum_c \Big(p_{i,c} \log\frac{p_{i,c}}{m_{i,c}}
                       + t_{i,c} \log\frac{t_{i,c}}{m_{i,c}}\Big),
              \quad m = \tfrac12 (p + t)

    with ``pred`` :math:`= p` and ``target`` :math:`= t` probability rows along
    ``axis``, or, with ``from_logits=True``, both logits (:math:`p = \operatorname{
    softmax}(x)`, :math:`t = \operatorname{softmax}(y)`).  Symmetric (swapping the
    arguments gives the same value to the last bit), 0 for equal rows, at most
    :math:`\log 2` for normalised rows (reached for disjoint supports).  Per class, with
    :math:`d = (p - t)/(p + t)`: where :math:`|d| < 1/2` the term is
    :math:`m\,(2d \operatorname{atanh} d + \operatorname{log1p}(-d^2)) \approx m d^2`,
    so the divergence of close distributions keeps its digits and is never negative
    (the direct form's two terms :math:`\approx \pm m d` cancel to their rounding);
    elsewhere :math:`p \log(2p/(p + t)) + t \log(2t/(p + t))`.  With logits everything
    comes from the two log-softmaxes: :math:`d = \tanh((\log p - \log t)/2)` and
    :math:`\log(2p/(p + t)) = \log 2 - \operatorname{softplus}(\log t - \log p)`, finite
    for any finite logits.  A zero probability's own term is 0, value and gradient (the
    exact one-sided derivative there is :math:`-\infty`); rows are used as given (not
    renormalised).

    Parameters
    ----------
    pred, target : array
        Probability rows of one shape (real floating; ``target`` may be integer or
        bool one-hot rows), or both logits with ``from_logits=True``.  A probability of
        ``pred`` outside [0, 1] (or NaN) raises ``ValueError`` where the values can be
        read eagerly (``target``'s: at the value-check level ``"all"``) and makes the
        result NaN where they cannot.
    axis : int
        The distribution's axis (default -1, the last; ``None`` also means the last).
    from_logits : bool
        Whether both arguments are logits (default False).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per sample (the shape without ``axis``); ``mean`` divides
        the sum over samples by the number of samples (NaN for an empty batch).

    Notes
    -----
    Differences from peers: PyTorch, optax, Keras and scikit-learn have no
    Jensen-Shannon loss.  SciPy's ``scipy.spatial.distance.jensenshannon(p, t, base)``
    is the *distance*, the square root of this divergence (``base=e`` for nats; its
    default base is e too), and renormalises rows that do not sum to 1.  torchmetrics'
    ``js_divergence(p, q, log_prob=False, reduction="mean")`` renormalises as well and
    takes log-probabilities, not logits, with ``log_prob=True``.

    References
    ----------
    J. Lin, "Divergence measures based on the Shannon entropy", IEEE Trans. Inf. Theory
    37 (1991).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> p = np.array([[0.5, 0.5, 0.0], [0.1, 0.2, 0.7]])
    >>> t = np.array([[0.0, 0.0, 1.0], [0.2, 0.3, 0.5]])
    >>> lx.js_divergence(p, t, reduction="none")  # disjoint supports: log 2
    array([0.69314718, 0.02190118])
    >>> round(float(lx.js_divergence(np.log(p[1]), np.log(t[1]), from_logits=True)), 6)
    0.021901
    """
    logits_in = _flag(from_logits, "from_logits")
    check_reduction(reduction)
    xp, p, t, ax, out = _rows(pred, target, axis, ("pred", "target"))
    invalid = None
    if logits_in:
        # log-probabilities, -inf (a probability of 0 beyond the range) raised to the
        # lowest finite number: every difference below stays finite
        low = float(xp.finfo(p.dtype).min)
        lp = clip(xp, log_softmax(xp, p, ax), min=low)
        lt = clip(xp, log_softmax(xp, t, ax), min=low)
        p, t = xp.exp(lp), xp.exp(lt)
        d = xp.tanh(0.5 * (lp - lt))  # (p - t)/(p + t)
        far = (p * (math.log(2.0) - softplus(xp, lt - lp))
               + t * (math.log(2.0) - softplus(xp, lp - lt)))
    else:
        invalid = either(values_in_range(xp, pred, 0.0, 1.0, "pred", essential=True),
                         values_in_range(xp, target, 0.0, 1.0, "target", essential=False))
        s = p + t
        d = (p - t) / xp.where(s == 0.0, 1.0, s)  # (0 where both are 0)
        zp, zt = p == 0.0, t == 0.0  # a zero's own term is 0, value and gradient
        ps, ts = xp.where(zp, 1.0, p), xp.where(zt, 1.0, t)
        far = (xp.where(zp, 0.0, p * xp.log(2.0 * ps / (ps + t)))
               + xp.where(zt, 0.0, t * xp.log(2.0 * ts / (p + ts))))
    near = xp.abs(d) < 0.5
    close = _close_terms(xp, xp.where(near, d, 0.0), 0.5 * (p + t))
    terms = xp.where(near, close, far)
    return finish(xp, 0.5 * xp.sum(terms, axis=ax), out, reduction, invalid=invalid)


@declare(prediction="logits", target="logits", class_axis="axis",
         options={"temperature": "positive", "axis": "axis"}, growth="quadratic",
         unit="sample", min_ndim=1,
         peers={"pytorch": ("F.kl_div(F.log_softmax(s / T, -1), F.log_softmax(t / T, -1), "
                            "log_target=True, reduction='batchmean') * T**2",)})
def distillation_loss(student_logits: Array, teacher_logits: Array, *,
                      temperature: float = 1.0, axis: int = -1,
                      reduction: str = "mean") -> Array:
    r"""Knowledge-distillation loss (Hinton et al. 2015): T² · KL(teacher ‖ student).

    .. math:: \ell_i = T^2 \sum_c \tau_{i,c}\,(\log \tau_{i,c} - \log \sigma_{i,c}),
              \quad \tau = \operatorname{softmax}(y / T),\;
              \sigma = \operatorname{softmax}(x / T)

    with ``student_logits`` :math:`= x`, ``teacher_logits`` :math:`= y` along ``axis``
    and ``temperature`` :math:`= T` (default 1).  The factor :math:`T^2` keeps the
    gradients' scale independent of :math:`T` (the paper's advice), so the loss can be
    mixed with a hard-label cross-entropy at any temperature.  Both log-softmaxes are
    computed in log space (finite for any finite logits, tails included), and the
    teacher's gradient is stopped on every backend (``Tensor.detach`` in PyTorch,
    ``jax.lax.stop_gradient`` in JAX): the teacher is a fixed target.  Where every
    centred difference :math:`u_c = ((y_c - x_c) - E_\tau[y - x])/T` of a row is at
    most 1/2 in magnitude (close rows, or any rows at a high temperature, where the
    direct sum's terms cancel to their rounding, amplified by :math:`T^2`), the row's
    divergence is computed as the equal :math:`\operatorname{log1p}(E_\tau[e^{-u} - 1 +
    u])`, a mean of non-negative terms :math:`\approx u^2/2`.  A per-sample value that
    still rounds below 0 is returned as 0.

    Parameters
    ----------
    student_logits : array
        The student's logits, real floating dtype, classes along ``axis``.
    teacher_logits : array
        The teacher's logits, real floating, of the same shape (computed in the
        student's compute dtype).
    temperature : float
        :math:`T > 0`, a Python or NumPy number (default 1.0).
    axis : int
        The class axis (default -1, the last; ``None`` also means the last).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per sample (the shape without ``axis``); ``mean`` divides
        the sum over samples by the number of samples (NaN for an empty batch).

    Notes
    -----
    Mixing with the hard labels (Hinton et al.'s weighted average):

    >>> import numpy as np, losses_xp as lx
    >>> student = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    >>> teacher = np.array([[3.0, 0.0, -2.0], [0.0, 0.5, 2.5]])
    >>> labels = np.array([0, 2])
    >>> alpha, T = 0.5, 4.0
    >>> loss = (alpha * lx.distillation_loss(student, teacher, temperature=T)
    ...         + (1 - alpha) * lx.cross_entropy(student, labels))

    Differences from peers: PyTorch has no distillation loss; the usual expression
    ``F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction="batchmean") *
    T**2`` is the same for ``(N, C)`` logits (``log_target=True`` with a log-softmax
    teacher is the same again, without a ``0 · log 0``), but PyTorch's default
    ``reduction="mean"`` divides by N·C, the teacher needs an explicit ``.detach()``
    and the ``T**2`` is often forgotten or applied twice.  Keras's distillation
    tutorials use ``KLDivergence`` on probabilities, which clips them to [1e-7, 1].
    optax has no distillation loss (``kl_divergence_with_log_targets`` of the two
    log-softmaxes, times T², is the same per-sample value).

    References
    ----------
    G. Hinton, O. Vinyals, J. Dean, "Distilling the Knowledge in a Neural Network",
    NIPS 2014 Deep Learning Workshop, arXiv:1503.02531 (2015).

    Examples
    --------
    >>> lx.distillation_loss(student, teacher, temperature=2.0, reduction="none")
    array([0.28201298, 0.05193584])
    """
    T = python_number(temperature, "temperature", minimum=0.0, strict=True)
    check_reduction(reduction)
    xp, x, y, ax, out = _rows(student_logits, teacher_logits, axis,
                              ("student_logits", "teacher_logits"), floating_target=True)
    y = stop_gradient(xp, y)
    ls = log_softmax(xp, x * (1.0 / T), ax)
    lt = log_softmax(xp, y * (1.0 / T), ax)
    tau = xp.exp(lt)
    kl = xp.sum(tau * (lt - ls), axis=ax)
    if not is_empty(x):  # (Dask's max of an empty chunk raises; only the shape matters)
        # close rows (|u| <= 1/2, e.g. any logits at a high temperature): the same KL as
        # log1p(E_tau[e^-u - 1 + u]) of the centred differences u, without cancellation
        diff = y - x
        u = (diff - xp.sum(tau * diff, axis=ax, keepdims=True)) * (1.0 / T)
        close = xp.max(xp.abs(u), axis=ax, keepdims=True) <= 0.5
        u = xp.where(close, u, 0.0)  # (no e^-u overflow in the branch not taken)
        kl = xp.where(xp.squeeze(close, axis=ax),
                      xp.log1p(xp.sum(tau * exp_minus_one_plus(xp, u), axis=ax)), kl)
    loss = (T * T) * kl
    # a divergence of 0 rounded below it (two rows equal up to a shift): +0.0
    return finish(xp, xp.where(loss < 0.0, 0.0, loss) + 0.0, out, reduction)
