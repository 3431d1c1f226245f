"""Structured prediction: sparsemax, the sparse projection onto the simplex, and its loss.

Conventions shared by this module:

* The class axis is ``axis`` (default -1, the last; ``None`` also means the last).
  Both functions sort along it (descending, ``xp.sort``), so on Dask that axis must be
  one chunk: a ``ValueError`` names the argument and the rechunk to do
  (``x.rechunk({axis: -1})``); the other axes may be chunked at will.
* The projection is computed on logits shifted by their row maximum (sparsemax is
  invariant to adding a constant to every logit of a row) and clamped at 2 below it
  (a logit more than 1 below the maximum is never in the support): the sorted values
  and their cumulative sums stay within ``[-2 C, 0]``, so logits of ±1e30 in float32
  (the float16 range in half precision) give finite values and gradients.
* The support and the threshold are found with the gradient stopped (the sort, the
  cumulative sums, the support size); the threshold is then recomputed from the support,
  :math:`\\tau = (\\sum_{j \\in S} z_j - 1)/|S|`, with its gradient.  So autodiff gives
  exactly the closed-form Jacobian of Martins & Astudillo (2016),
  :math:`\\partial p / \\partial z = \\operatorname{diag}(s) - s s^\\top / |S|`
  (:math:`s` the support's indicator), and the loss's gradient is
  :math:`\\operatorname{sparsemax}(z) - q`; no gradient flows through the sort.
* A row with a NaN or ``+inf`` logit is NaN (its projection is undefined); a logit of
  ``-inf`` is simply outside the support (probability 0).
* On JAX the computation after the checks is one ``jax.jit`` per function and axis: an
  eager call compiles one program per shape and dtype instead of one per operation;
  inside ``jax.jit`` / ``jax.grad`` / ``jax.vmap`` it is inlined.
* Half precision (float16, bfloat16) is computed in float32 and returned in the input
  dtype.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from ._classes import check_indices, class_inputs, index_masks
from ._compat import Array, Namespace, device, is_empty, is_jax, namespace, stop_gradient
from ._declare import declare
from ._primitives import cumulative_sum, gather_at_class, one_hot
from ._reduction import cast, finish
from ._validation import check_reduction, floating_input, normalize_axis, one_chunk_along

__all__ = ["sparsemax", "sparsemax_loss"]

#: below the row maximum by more than 1 a logit is never in the support (the threshold
#: is >= max - 1): such logits are clamped here before the sort and the cumulative sums
_CLAMP_BELOW_MAX = 2.0


def _fused(xp: Namespace, fn: Callable[..., Array], axis: int, *arrays: Array) -> Array:
    """``fn(xp, axis, *arrays)``; on JAX through one ``jax.jit`` per function and axis,
    so that an eager call compiles one program per shape and dtype instead of one per
    operation (about 30 here); inside a trace (``jax.jit``, ``jax.grad``, ``jax.vmap``)
    it is inlined as any function."""
    if is_jax(xp):
        return _jitted(fn, xp, axis)(*arrays)
    return fn(xp, axis, *arrays)


@functools.cache
def _jitted(fn: Callable[..., Array], xp: Namespace, axis: int) -> Callable[..., Array]:
    import jax

    jitted: Callable[..., Array] = jax.jit(functools.partial(fn, xp, axis))
    return jitted


def _projection(xp: Namespace, x: Array, axis: int) -> tuple[Array, Array, Array, Array]:
    """``(p, z, tau, undefined)`` of logits ``x`` (compute dtype) along ``axis``
    (non-negative, not empty): ``z`` the logits less their row maximum (gradient
    stopped), ``tau`` the threshold in ``z``'s terms (kept dims, with its gradient),
    ``undefined`` the rows with a NaN or ``+inf`` logit (kept dims; ``p`` is NaN there)
    and ``p = sparsemax(x)``."""
    m = xp.max(x, axis=axis, keepdims=True)
    z = x - stop_gradient(xp, xp.where(xp.isfinite(m), m, 0.0))
    zs = stop_gradient(xp, z)
    # the support size k(z) = max{k : 1 + k z_(k) > sum_{j<=k} z_(j)} and its partial
    # sum, all with the gradient stopped; logits far below the maximum clamped
    zc = xp.where(zs > -_CLAMP_BELOW_MAX, zs, -_CLAMP_BELOW_MAX)
    srt = xp.sort(zc, axis=axis, descending=True)
    csum = cumulative_sum(xp, srt, axis)
    n = x.shape[axis]
    shape = [1] * x.ndim
    shape[axis] = n
    k = xp.reshape(xp.arange(1, n + 1, dtype=x.dtype, device=device(x)), tuple(shape))
    k_z = xp.max(xp.where(1.0 + k * srt > csum, k, 1.0), axis=axis, keepdims=True)
    top = xp.sum(xp.where(k == k_z, csum, 0.0), axis=axis, keepdims=True)
    support = zs > (top - 1.0) / k_z  # (the k(z) largest: z_(k(z)) > tau >= z_(k(z)+1))
    # the threshold again, from the support, with its gradient: the closed-form Jacobian
    count = xp.sum(xp.astype(support, x.dtype), axis=axis, keepdims=True)
    tau = (xp.sum(xp.where(support, z, 0.0), axis=axis, keepdims=True) - 1.0) / xp.where(
        count > 0.0, count, 1.0)
    # a row with a NaN or +inf logit has no projection: NaN (a -inf logit is simply 0)
    undefined = xp.any(xp.isnan(zs) | (zs == math.inf), axis=axis, keepdims=True)
    p = xp.where(undefined, math.nan, xp.where(support, z - tau, 0.0))
    return p, z, tau, undefined


def _inputs(logits: Array, axis: object) -> tuple[Namespace, Array, int, Any]:
    xp = namespace({"logits": logits})
    out, dtype = floating_input(xp, logits, "logits")
    ax = normalize_axis(logits.ndim, -1 if axis is None else axis)
    one_chunk_along(logits, ax, "logits", "sparsemax sorts along")
    return xp, cast(xp, logits, dtype), ax, out


@declare(prediction="logits", class_axis="axis", options={"axis": "axis"},
         reductions=("none",), growth="bounded", min_ndim=1, sorts=True,
         peers={"optax": ("optax.projections.projection_simplex",)})
def sparsemax(logits: Array, *, axis: int | None = -1) -> Array:
    r"""Sparsemax (Martins & Astudillo 2016): the Euclidean projection of the logits onto
    the probability simplex, along ``axis``.

    .. math::
        \operatorname{sparsemax}(z) = \operatorname*{argmin}_{p \in \Delta} \|p - z\|^2,
        \qquad p_j = \max(z_j - \tau(z), 0)

    with the logits sorted descending, :math:`z_{(1)} \ge z_{(2)} \ge \dots`, the
    support size :math:`k(z) = \max\{k : 1 + k z_{(k)} > \sum_{j \le k} z_{(j)}\}` and
    the threshold :math:`\tau(z) = (\sum_{j \le k(z)} z_{(j)} - 1)/k(z)`.  Unlike the
    softmax the result has exact zeros (every logit at or below :math:`\tau`); each row
    sums to 1.  Tied logits get equal probabilities; a logit of ``-inf`` gets 0, a row
    with a NaN or ``+inf`` logit is NaN.  Not a loss (no ``reduction``):
    the probabilities themselves, whose loss is :func:`sparsemax_loss`.

    Parameters
    ----------
    logits : array
        Real floating dtype, at least 1-d, the classes along ``axis``.  On Dask,
        ``axis`` must be one chunk (a ``ValueError`` otherwise: the rows are sorted).
    axis : int, optional
        The class axis, default -1 (the last; ``None`` also means the last).

    Returns
    -------
    array
        The probabilities, ``logits``' shape, library, device and dtype (half precision
        computed in float32).

    Notes
    -----
    Computed on the logits less their row maximum, clamped at 2 below it (a logit more
    than 1 below the maximum is never in the support): finite for logits of ±1e30 in
    float32.  The support is found with the gradient stopped and the threshold
    recomputed from it, so the gradient is the closed form
    :math:`J = \operatorname{diag}(s) - s s^\top / |S|` (:math:`s` the support's
    indicator), a Jacobian-vector product :math:`s \odot (v - \bar v_S)`.

    Differences from peers: ``optax.projections.projection_simplex(x)`` projects a
    whole pytree (every leaf flattened into one vector) onto the simplex: for an
    ``(N, C)`` array it is *not* the row-wise sparsemax but
    ``sparsemax(x.reshape(-1)).reshape(x.shape)`` (row-wise:
    ``jax.vmap(projection_simplex)(x)``).  ``jax.nn.sparse_sigmoid(x)`` is the
    two-class case, ``sparsemax(stack([0, x]))[1]``.  PyTorch, Keras and scikit-learn
    have no sparsemax.

    References
    ----------
    A. F. T. Martins, R. F. Astudillo, "From Softmax to Sparsemax: A Sparse Model of
    Attention and Multi-Label Classification", ICML 2016 (Algorithm 1, Proposition 2).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.sparsemax(np.array([[1.0, 0.5, -1.0], [0.1, 0.2, 0.3]]))
    array([[0.75      , 0.25      , 0.        ],
           [0.23333333, 0.33333333, 0.43333333]])
    """
    xp, x, ax, out = _inputs(logits, axis)
    if is_empty(x):
        return finish(xp, x, out)
    return finish(xp, _fused(xp, _sparsemax_of, ax, x), out)


def _sparsemax_of(xp: Namespace, axis: int, x: Array) -> Array:
    return _projection(xp, x, axis)[0]


def _loss_of_probs(xp: Namespace, axis: int, x: Array, q: Array) -> Array:
    """The loss of class-probability rows ``q`` (compute dtype), one value per sample."""
    p, z, tau, undefined = _projection(xp, x, axis)
    gap = tau - z  # (> 0 off the support only)
    below = xp.where(gap > 0.0, gap, 0.0)
    # double where: a class of probability 0 adds exactly 0 (also at a logit of -inf)
    linear = xp.sum(q * xp.where(q == 0.0, 0.0, below), axis=axis)
    d = p - q
    loss = 0.5 * xp.sum(d * d, axis=axis) + linear
    return xp.where(xp.squeeze(undefined, axis=axis), math.nan, loss)


def _loss_of_indices(xp: Namespace, axis: int, x: Array, target: Array) -> Array:
    """The loss of class indices (NaN where one is out of range), one value per sample."""
    num_classes = x.shape[axis]
    _, bad, safe = index_masks(xp, target, num_classes, None)
    p, z, tau, undefined = _projection(xp, x, axis)
    gap = tau - z
    below = xp.where(gap > 0.0, gap, 0.0)
    d = xp.where(one_hot(xp, safe, num_classes, axis), p - 1.0, p)
    loss = 0.5 * xp.sum(d * d, axis=axis) + gather_at_class(xp, below, safe, axis)
    return xp.where(bad | xp.squeeze(undefined, axis=axis), math.nan, loss)


@declare(prediction="logits", target="index_or_probs", class_axis="axis",
         options={"axis": "axis"}, growth="linear", unit="sample", min_ndim=1, sorts=True,
         peers={"optax": ("optax.losses.multiclass_sparsemax_loss",
                          "optax.losses.sparsemax_loss")})
def sparsemax_loss(logits: Array, target: Array, *, axis: int | None = -1,
                   reduction: str = "mean") -> Array:
    r"""The sparsemax loss (Martins & Astudillo 2016): the Fenchel-Young loss whose
    prediction is :func:`sparsemax`, a sparse counterpart of the softmax cross-entropy.

    With class indices :math:`y` (the paper's multi-class loss):

    .. math::
        \ell(z, y) = -z_y + \tfrac12 \sum_{j \in S(z)} \big(z_j^2 - \tau(z)^2\big)
                   + \tfrac12

    and with class-probability rows :math:`q` (``logits``' shape; the paper's
    multi-label form, :math:`\tfrac12 \|q\|^2` in place of :math:`\tfrac12`):

    .. math::
        \ell(z, q) = -q^\top z + \tfrac12 \sum_{j \in S(z)} \big(z_j^2 - \tau(z)^2\big)
                   + \tfrac12 \|q\|^2

    :math:`S(z)` and :math:`\tau(z)` the support and threshold of :func:`sparsemax`
    along ``axis``.  The loss is >= 0, 0 exactly where ``sparsemax(z)`` equals the
    target, and its gradient is :math:`\operatorname{sparsemax}(z) - q`
    (:math:`q` the one-hot row of :math:`y`).  ``mean`` divides the sum by the number
    of samples (NaN for an empty batch); ``none`` has one value per sample.

    It is evaluated without cancellation as

    .. math::
        \ell = \tfrac12 \|p - q\|^2 + \sum_j q_j \max(\tau - z_j, 0),
        \qquad p = \operatorname{sparsemax}(z)

    (the two forms agree for rows :math:`q` that sum to 1: expand
    :math:`z_j = p_j + \tau` on the support), a sum of non-negative terms with no
    :math:`z^2`: the paper's form loses every digit to cancellation for logits of
    1e4 in float32 and overflows beyond 1e19.  Finite values and gradients for logits
    of ±1e30 in float32 (the loss then grows like the gap between the largest logit
    and the target's).

    Parameters
    ----------
    logits : array
        Real floating dtype, at least 1-d, the classes along ``axis``.  On Dask,
        ``axis`` must be one chunk (a ``ValueError`` otherwise).
    target : array
        Integer class indices with ``logits``' shape without ``axis`` (as
        :func:`cross_entropy`), or floating class-probability rows of ``logits``' shape
        (one-hot rows included).  An index outside ``[0, C)`` raises where the values
        can be read eagerly (an essential check, :func:`value_checks`) and makes that
        sample's loss NaN where they cannot; a probability outside [0, 1] is checked at
        the level ``"all"`` only (then NaN, every sample, where it cannot be read).
    axis : int, optional
        The class axis, default -1 (the last; ``None`` also means the last, with an
        error where class indices fit axis 1 as well, as :func:`cross_entropy`).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per sample; ``mean`` divides the sum by the number of
        samples.

    Notes
    -----
    Rows :math:`q` that do not sum to 1: the paper's expression is then not invariant
    to adding a constant to every logit (sparsemax is); the value here is the paper's
    expression at the logits shifted so that :math:`\tau = 0`, i.e. the paper's value
    less :math:`\tau (1 - \sum_j q_j)`, which keeps it >= 0 and shift-invariant.

    Differences from peers:

    * ``optax.losses.multiclass_sparsemax_loss(scores, labels)`` (optax 0.2.8) is this
      loss for integer labels only (no probability rows), over a 2-d ``(N, C)`` batch
      only (``jax.vmap`` over the first axis; a 1-d row is an error), classes last, per
      sample (``none``); the values and gradients agree, at logits of ±1e30 too.
    * ``optax.losses.sparsemax_loss(logits, labels)`` is the *binary* sparsemax loss
      (Blondel et al. 2020), ``sparse_plus(-logit)`` for label 1 and
      ``sparse_plus(logit)`` for 0: the two-class case,
      ``sparsemax_loss(stack([zeros_like(x), x], axis=-1), y, reduction="none")`` for
      labels ``y`` in {0, 1} (an int array).
    * PyTorch, Keras and scikit-learn have no sparsemax loss.

    References
    ----------
    A. F. T. Martins, R. F. Astudillo, "From Softmax to Sparsemax: A Sparse Model of
    Attention and Multi-Label Classification", ICML 2016 (eq. 21, Proposition 3, and
    the multi-label loss of Section 3.3); M. Blondel, A. F. T. Martins, V. Niculae,
    "Learning with Fenchel-Young Losses", JMLR 21 (2020).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> logits = np.array([[1.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    >>> lx.sparsemax_loss(logits, np.array([0, 0]), reduction="none")
    array([0.0625    , 0.44333333])
    """
    check_reduction(reduction)
    xp, x, ax, out, probs, invalid = class_inputs(logits, target, axis, "logits",
                                                  probs="floating")
    one_chunk_along(logits, ax, "logits", "sparsemax sorts along")
    if is_empty(x):
        return finish(xp, xp.sum(x, axis=ax), out, reduction, invalid=invalid)
    if probs:
        loss = _fused(xp, _loss_of_probs, ax, x, cast(xp, target, x.dtype))
        return finish(xp, loss, out, reduction, invalid=invalid)
    check_indices(xp, target, x.shape[ax], None)
    return finish(xp, _fused(xp, _loss_of_indices, ax, x, target), out, reduction)
