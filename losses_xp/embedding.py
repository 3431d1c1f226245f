"""Embedding losses: cosine, triplet and contrastive (NT-Xent, SupCon, InfoNCE, CLIP) losses.

Conventions shared by this module:

* Embeddings are rows of real vectors along ``axis`` (default the last); every other
  axis is a batch axis.  The arrays compared have exactly one shape (no broadcasting),
  a real floating dtype each (a gradient is taken with respect to every embedding), and
  are computed in the first one's compute dtype (float32 for float16 / bfloat16,
  returned in the input dtype).
* The unit is a sample (a row): ``none`` returns one value per row (the shape without
  ``axis``), ``mean`` divides the sum of those by the number of rows (NaN for an empty
  batch), ``sum`` sums them.
* Norms are taken of the row divided by its largest magnitude (a stopped-gradient
  scale): no overflow of the squares of large embeddings, no underflow of small ones,
  and the exact gradient of the norm (a homogeneous function of degree 1).  A norm of
  exactly 0 has a zero gradient (a double ``where``), never the NaN of ``sqrt`` at 0.
* Cosines divide each row by its norm clamped below at ``eps`` (PyTorch's
  ``cosine_similarity`` convention); the default ``eps`` is the machine epsilon of the
  input dtype, so that the gradient, at most ``1 / eps`` per row, is finite in every
  dtype even at a zero vector (1024 in float16, 128 in bfloat16).
"""

from __future__ import annotations

import math
from typing import Any

from ._compat import (
    Array,
    Namespace,
    device,
    is_empty,
    namespace,
    stop_gradient,
    values_readable,
)
from ._declare import declare
from ._primitives import clip
from ._reduction import cast, finish
from ._settings import runs
from ._validation import (
    check_reduction,
    floating_input,
    normalize_axis,
    numeric_target,
    python_number,
    same_shape,
)

__all__ = ["cosine_distance", "cosine_embedding_loss", "triplet_margin_loss"]


# ----------------------------------------------------------------- cosine and triplet


def _embeddings(arrays: dict[str, Array], axis: object, others: dict[str, Array] | None = None
                ) -> tuple[Namespace, list[Array], int, Any]:
    """The beginning of a loss of same-shaped embedding arrays (names in order): one
    library and device (``others`` too: a target), real floating dtypes, one shape, at
    least 1-d, ``axis``.  Returns ``(xp, arrays in the first one's compute dtype, axis,
    out_dtype)``."""
    xp = namespace({**arrays, **(others or {})})
    names = list(arrays)
    out_dtype, dtype = floating_input(xp, arrays[names[0]], names[0])
    for name in names[1:]:
        floating_input(xp, arrays[name], name)
        same_shape(arrays[names[0]], arrays[name], (names[0], name))
    ax = normalize_axis(arrays[names[0]].ndim, axis)
    return xp, [cast(xp, a, dtype) for a in arrays.values()], ax, out_dtype


def _row_signs(xp: Namespace, target: Array, rows: tuple[int, ...], first: str, ax: int,
               dtype: Any) -> tuple[Array, Array | None]:
    """A target of one -1 or +1 per row (real numeric; bool: True = +1, False = -1) of
    the shape ``rows`` (the first input's shape without ``ax``), as ``(target in
    dtype, invalid)``: a value that is not -1 or +1 (NaN, 0 or 2 included) raises
    ``ValueError`` where the values can be read eagerly, and is the 0-d flag ``invalid``
    (the result NaN, ``_reduction.finish``) where they cannot (an essential check)."""
    numeric_target(xp, target, "target")
    if tuple(target.shape) != rows:
        raise ValueError(
            f"`target` must have one value per row, the shape of `{first}` without axis "
            f"{ax}: {rows}; got shape {tuple(target.shape)}")
    if target.dtype == xp.bool:
        one = xp.ones(target.shape, dtype=dtype, device=device(target))
        return xp.where(target, one, -one), None
    y = cast(xp, target, dtype)
    if is_empty(y) or not runs(True):
        return y, None
    bad = (y != 1.0) & (y != -1.0)
    if not values_readable(target):
        return y, xp.any(stop_gradient(xp, bad))
    if bool(xp.any(bad)):
        yf = stop_gradient(xp, y)
        nan = bool(xp.any(xp.isnan(yf)))
        lo = float(xp.min(xp.where(xp.isnan(yf), math.inf, yf)))
        hi = float(xp.max(xp.where(xp.isnan(yf), -math.inf, yf)))
        got = (f"values in [{lo:g}, {hi:g}]" + (" and NaN" if nan else "")
               if lo <= hi else "only NaN")
        raise ValueError(f"`target` must hold -1 or +1 (one per row; 0/1 labels: pass "
                         f"2 * target - 1); got {got}")
    return y, None


def _scaled(xp: Namespace, x: Array, ax: int) -> tuple[Array, Array]:
    """``(x / m, m)``: the rows of ``x`` along ``ax`` divided by their largest magnitude
    ``m`` (kept as an axis of size 1, its gradient stopped), ``m`` clipped to the
    normal range (``[tiny, 1 / tiny]``, a power of two each: the XLA CPU divides through
    a reciprocal, which a subnormal flushes to 0), so the scaled row's largest magnitude
    is in [1, 4] unless the row is zero or subnormal."""
    a = xp.abs(x)
    tiny = float(xp.finfo(x.dtype).smallest_normal)
    if is_empty(a):  # (no row, or rows of no element)
        m = xp.sum(a, axis=ax, keepdims=True) + tiny
    else:
        m = clip(xp, stop_gradient(xp, xp.max(a, axis=ax, keepdims=True)), min=tiny,
                 max=1.0 / tiny)
    return x / m, m


def _root(xp: Namespace, r: Array, ax: int, p: float) -> Array:
    """The p-norm of each row of the scaled ``r`` (an axis of size 1): ``(sum |r|^p)^(1/p)``,
    0 with a zero gradient where the sum is 0 (a double ``where``: no infinite derivative
    of the root at 0); ``p`` = inf: the largest magnitude."""
    a = xp.abs(r)
    if p == float("inf"):
        return xp.max(a, axis=ax, keepdims=True) if not is_empty(a) else xp.sum(
            a, axis=ax, keepdims=True)
    s = xp.sum(a * a if p == 2.0 else (a if p == 1.0 else a ** p), axis=ax, keepdims=True)
    if p == 1.0:
        return s
    pos = s > 0.0
    ss = xp.where(pos, s, xp.ones_like(s))
    return xp.where(pos, xp.sqrt(ss) if p == 2.0 else ss ** (1.0 / p), xp.zeros_like(s))


def _eps(xp: Namespace, eps: object, out_dtype: Any) -> float:
    """``eps`` (``None``: the machine epsilon of the input dtype ``out_dtype``)."""
    if eps is None:
        return float(xp.finfo(out_dtype).eps)
    return python_number(eps, "eps", minimum=0.0, strict=True, maximum=1.0)


def _unit(xp: Namespace, x: Array, ax: int, eps: float) -> Array:
    """``x / max(||x||, eps)`` along ``ax``, as ``r / max(||r||, eps / m)`` of the
    scaled row ``r = x / m`` (:func:`_scaled`): no overflow, no underflow, a zero row 0
    with the gradient ``1 / eps``."""
    r, m = _scaled(xp, x, ax)
    eps = max(eps, float(xp.finfo(x.dtype).smallest_normal))  # (not 0 in the dtype)
    return r / xp.maximum(_root(xp, r, ax, 2.0), eps / m)


def _cosine(xp: Namespace, a: Array, b: Array, ax: int, eps: float) -> Array:
    """cos(a, b) per row: the sum of ``a / max(||a||, eps) * b / max(||b||, eps)``."""
    return xp.sum(_unit(xp, a, ax, eps) * _unit(xp, b, ax, eps), axis=ax)


@declare(prediction="embeddings", target="embeddings", class_axis="axis",
         options={"axis": "axis", "eps": "eps_or_none"}, differentiable=(0, 1),
         growth="bounded", unit="sample", min_ndim=1,
         peers={"optax": ("optax.losses.cosine_distance",),
                "keras": ("keras.losses.CosineSimilarity", "keras.losses.cosine_similarity"),
                "pytorch": ("1 - F.cosine_similarity(x1, x2, dim=-1)",)})
def cosine_distance(pred: Array, target: Array, *, axis: int = -1, eps: float | None = None,
                    reduction: str = "mean") -> Array:
    r"""Cosine distance, one minus the cosine similarity of two rows of embeddings.

    .. math:: \ell_i = 1 - \sum_k \frac{p_{i,k}}{\max(\|p_i\|_2, \epsilon)}\,
                       \frac{t_{i,k}}{\max(\|t_i\|_2, \epsilon)}

    over the rows :math:`p_i, t_i` along ``axis``, clipped to :math:`[0, 2]` (the
    rounding of the cosine of parallel rows may exceed 1 by an ulp).  Each norm is
    clamped below at :math:`\epsilon` (as PyTorch's ``cosine_similarity``): a zero row
    has the cosine 0 with every row, so the distance 1, with a finite gradient.  The
    norms are taken of the row scaled by its largest magnitude (no overflow of the
    squares of rows of 1e20 in float32, no underflow of rows of 1e-30).  The gradient
    with respect to a row has a norm of at most :math:`1 / \max(\|p_i\|, \epsilon)`.

    Parameters
    ----------
    pred, target : array
        Embeddings of one shape (real floating dtypes; ``target`` is cast to ``pred``'s),
        at least 1-d.  Both are differentiable.
    axis : int
        The embedding axis (default -1, the last).
    eps : float or None
        The smallest norm a row is divided by, a Python number in (0, 1].  Default
        ``None``: the machine epsilon of ``pred``'s dtype (``finfo(dtype).eps``: 2.2e-16
        for float64, 1.2e-7 for float32, 9.8e-4 for float16, 7.8e-3 for bfloat16).  It
        bounds the gradient by :math:`1/\epsilon` at a zero row (4.5e15, 8.4e6, 1024,
        128): finite in every dtype, where a fixed 1e-8 gives 1e8, infinite in float16;
        and it only changes rows whose norm is below the rounding error of a unit row.
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per row (the shape without ``axis``); ``mean`` divides the
        sum over rows by the number of rows (NaN for an empty batch).

    Notes
    -----
    Differences from peers:

    * optax ``cosine_distance(predictions, targets, *, epsilon=0.0, axis=-1)`` is the
      same per-row value without a reduction; its ``epsilon`` clamps the *squared* norms
      and defaults to 0, so a zero row gives NaN (value and gradient), and its squares
      overflow for float32 rows beyond ~1.8e19 (the parallel rows (1e20, 0) and (3e20, 0)
      give 1 there, 0 here).  Here ``eps`` clamps the norm: optax's
      ``epsilon=e**2`` is ``eps=e``.
    * Keras ``CosineSimilarity(axis=-1)`` / ``cosine_similarity(y_true, y_pred)``
      (target first) return the *negative* similarity, ``-cos`` (``cosine_distance - 1``
      here), l2-normalising with the squared norm clamped at 1e-12 (a norm at 1e-6), in
      float32.
    * PyTorch has no cosine distance; ``1 - F.cosine_similarity(x1, x2, dim=-1,
      eps=1e-8)`` is the ``none`` value with a fixed ``eps=1e-8`` (pass ``eps=1e-8`` for
      the same clamp) and a gradient of up to 1e8 at a zero row.  PyTorch's default
      ``dim`` is 1, here the last axis.

    References
    ----------
    A. Singhal, "Modern Information Retrieval: A Brief Overview", IEEE Data Eng. Bull.
    24 (2001) (the cosine measure).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> p = np.array([[1.0, 0.0], [0.0, 3.0], [0.0, 0.0]])
    >>> t = np.array([[0.0, 2.0], [0.0, -1.0], [1.0, 0.0]])
    >>> lx.cosine_distance(p, t, reduction="none")  # orthogonal, opposite, a zero row
    array([1., 2., 1.])
    >>> float(lx.cosine_distance(p, t))
    1.3333333333333333
    >>> round(float(lx.cosine_distance(np.array([3.0, 4.0]), np.array([4.0, 3.0]))), 6)
    0.04
    """
    check_reduction(reduction)
    xp, (p, t), ax, out = _embeddings({"pred": pred, "target": target}, axis)
    e = _eps(xp, eps, out)
    return finish(xp, clip(xp, 1.0 - _cosine(xp, p, t, ax, e), min=0.0, max=2.0), out,
                  reduction)


@declare(prediction="embeddings", target="embeddings", inputs={"target": "sample_sign"},
         class_axis="axis", options={"margin": "real", "axis": "axis"},
         differentiable=(0, 1), growth="bounded", unit="sample", min_ndim=1,
         peers={"pytorch": ("F.cosine_embedding_loss", "torch.nn.CosineEmbeddingLoss")})
def cosine_embedding_loss(x1: Array, x2: Array, target: Array, *, margin: float = 0.0,
                          axis: int = -1, reduction: str = "mean") -> Array:
    r"""Cosine embedding loss: pulls rows labelled +1 together, pushes rows labelled -1
    below a cosine of ``margin``.

    .. math:: \ell_i = \begin{cases} 1 - \cos(x_{1,i}, x_{2,i}) & y_i = 1 \\
                                     \max(0, \cos(x_{1,i}, x_{2,i}) - m) & y_i = -1
                       \end{cases}

    with the cosine of :func:`cosine_distance` (each norm clamped at the machine epsilon
    of ``x1``'s dtype: a zero row has the cosine 0 and a finite gradient).

    Parameters
    ----------
    x1, x2 : array
        Embeddings of one shape (real floating), at least 1-d; both differentiable.
    target : array
        One -1 or +1 per row: the shape of ``x1`` without ``axis`` (real numeric, or bool
        with True = +1 and False = -1).  Any other value (0/1 labels, NaN) raises
        ``ValueError`` where the values can be read eagerly and makes the result NaN
        where they cannot (an essential check: ``losses_xp.value_checks``).
    margin : float
        The cosine below which a pair labelled -1 costs nothing, a Python number
        (default 0.0; PyTorch suggests 0 to 0.5, any value is accepted).
    axis : int
        The embedding axis (default -1, the last).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per row (the shape of ``target``); ``mean`` divides the sum
        over rows by the number of rows (NaN for an empty batch).

    Notes
    -----
    Differences from peers: PyTorch's ``F.cosine_embedding_loss(x1, x2, y, margin=0.0)``
    (``nn.CosineEmbeddingLoss``) has the same values, reductions and defaults, with the
    rows along dim 1 (here ``axis``, default the last); it computes the cosine as
    :math:`\langle x_1, x_2\rangle / \sqrt{(\|x_1\|^2 + 10^{-12})(\|x_2\|^2 + 10^{-12})}`
    (its squares overflow for float32 rows beyond ~1.8e19; its gradient at a zero row is
    up to 1e6, infinite in float16), and a target other than ±1 (0, say) silently
    contributes 0 where here it is an error.  optax and Keras have no cosine embedding
    loss.

    References
    ----------
    PyTorch documentation, ``torch.nn.CosineEmbeddingLoss``; J. Bromley et al.,
    "Signature verification using a Siamese time delay neural network", NIPS 1993.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> x1 = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
    >>> x2 = np.array([[0.0, 2.0], [4.0, 0.0], [0.0, 1.0]])
    >>> lx.cosine_embedding_loss(x1, x2, np.array([1, -1, -1]), reduction="none")
    array([1., 1., 1.])
    >>> lx.cosine_embedding_loss(x1, x2, np.array([-1, 1, -1]), margin=0.5,
    ...                          reduction="none")
    array([0. , 0. , 0.5])
    """
    m = python_number(margin, "margin")
    check_reduction(reduction)
    xp, (a, b), ax, out = _embeddings({"x1": x1, "x2": x2}, axis, {"target": target})
    shape = tuple(x1.shape)
    y, invalid = _row_signs(xp, target, shape[:ax] + shape[ax + 1:], "x1", ax, a.dtype)
    cos = _cosine(xp, a, b, ax, float(xp.finfo(out).eps))
    loss = xp.where(y > 0.0, 1.0 - cos, clip(xp, cos - m, min=0.0))
    return finish(xp, clip(xp, loss, min=0.0), out, reduction, invalid=invalid)


def _distance(xp: Namespace, a: Array, b: Array, ax: int, p: float, eps: float) -> Array:
    """PyTorch's ``pairwise_distance``: the p-norm of ``a - b + eps`` along ``ax``
    (scaled by its largest magnitude: :func:`_scaled`, :func:`_root`), 0 with a zero
    gradient where that difference is 0."""
    r, m = _scaled(xp, a - b + eps if eps else a - b, ax)
    return xp.squeeze(m * _root(xp, r, ax, p), axis=ax)


@declare(prediction="embeddings", target="embeddings", inputs={"negative": "embeddings"},
         class_axis="axis",
         options={"margin": "real", "p": "norm_p", "eps": "non_negative", "swap": "flag",
                  "axis": "axis"},
         differentiable=(0, 1, 2), growth="linear", unit="sample", min_ndim=1,
         peers={"pytorch": ("F.triplet_margin_loss", "torch.nn.TripletMarginLoss"),
                "optax": ("optax.losses.triplet_margin_loss",)})
def triplet_margin_loss(anchor: Array, positive: Array, negative: Array, *,
                        margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                        swap: bool = False, axis: int = -1, reduction: str = "mean") -> Array:
    r"""Triplet margin loss: the anchor nearer its positive than its negative by ``margin``.

    .. math:: \ell_i = \max\big(0,\ m + d(a_i, p_i) - d(a_i, n_i)\big), \qquad
              d(x, y) = \Big(\sum_k |x_k - y_k + \epsilon|^p\Big)^{1/p}

    over the rows along ``axis`` (PyTorch's ``pairwise_distance``, with its
    :math:`\epsilon` added to the difference); with ``swap=True`` the negative's
    distance is :math:`\min(d(a_i, n_i), d(p_i, n_i))` (Balntas et al.'s distance swap).
    Correct for every :math:`p \ge 1` (absolute values) and for :math:`p = \infty` (the
    largest magnitude).  Each norm is taken of the difference divided by its largest
    magnitude (no overflow of the powers, no underflow), and a difference of exactly 0
    (``eps=0`` at ``anchor == positive``) has the distance 0 with a zero gradient: the
    gradient is finite everywhere.

    Parameters
    ----------
    anchor, positive, negative : array
        Embeddings of one shape (real floating), at least 1-d; all three differentiable.
    margin : float
        The margin :math:`m`, a Python number (default 1.0; PyTorch requires > 0, here
        any value: the loss stays >= 0).
    p : float
        The norm's degree, a Python number >= 1 or ``math.inf`` (default 2.0).
    eps : float
        Added to each difference before the norm, a Python number >= 0 (default 1e-6,
        PyTorch's).
    swap : bool
        Whether to use the smaller of the anchor's and the positive's distance to the
        negative (default False).
    axis : int
        The embedding axis (default -1, the last).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per row (the shape without ``axis``); ``mean`` divides the
        sum over rows by the number of rows (NaN for an empty batch).

    Notes
    -----
    Differences from peers:

    * PyTorch's ``F.triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2,
      eps=1e-6, swap=False)`` (``nn.TripletMarginLoss``) has the same values, defaults
      and reductions, for 1-d or 2-d inputs with the rows along the last dim; here any
      number of batch axes and any ``axis``, no broadcasting, and a ``margin`` <= 0 is
      accepted (PyTorch raises).
    * optax ``triplet_margin_loss(anchors, positives, negatives, axis=-1, norm_degree=2,
      margin=1.0, eps=1e-6)`` raises the *signed* differences to ``norm_degree`` and adds
      ``eps`` to the sum, :math:`(\sum_k (a_k - p_k)^p + \epsilon)^{1/p}`: the p-norm only
      for even p.  With ``norm_degree=1``, ``a = (0, 0)``, ``p = (1, -1)``, ``n = (3, 0)``
      its "distances" are the sums of the differences, :math:`\epsilon` and
      :math:`-3 + \epsilon`, and it returns 4 where the L1 triplet loss is 0 (here 0);
      an odd ``norm_degree`` of 3 gives NaN for negative sums.  optax returns the
      per-row values unreduced and has no ``swap``.
    * Keras has no triplet loss.

    References
    ----------
    V. Balntas, E. Riba, D. Ponsa, K. Mikolajczyk, "Learning local feature descriptors
    with triplets and shallow convolutional neural networks", BMVC 2016.
    F. Schroff, D. Kalenichenko, J. Philbin, "FaceNet: A Unified Embedding for Face
    Recognition and Clustering", CVPR 2015.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> a, pos, neg = np.array([[0.0, 0.0]]), np.array([[1.0, -1.0]]), np.array([[3.0, 0.0]])
    >>> lx.triplet_margin_loss(a, pos, neg, p=1, eps=0.0, reduction="none")  # 1 + 2 - 3
    array([0.])
    >>> lx.triplet_margin_loss(a, pos, neg, eps=0.0, margin=2.0, reduction="none")
    array([0.41421356])
    """
    m = python_number(margin, "margin")
    deg = python_number(p, "p", minimum=1.0)
    e = python_number(eps, "eps", minimum=0.0)
    if not isinstance(swap, bool):
        raise TypeError(f"`swap` must be a bool; got {type(swap).__name__}")
    check_reduction(reduction)
    xp, (a, pos, neg), ax, out = _embeddings(
        {"anchor": anchor, "positive": positive, "negative": negative}, axis)
    d_pos = _distance(xp, a, pos, ax, deg, e)
    d_neg = _distance(xp, a, neg, ax, deg, e)
    if swap:
        d_neg = xp.minimum(d_neg, _distance(xp, pos, neg, ax, deg, e))
    return finish(xp, clip(xp, m + d_pos - d_neg, min=0.0), out, reduction)
