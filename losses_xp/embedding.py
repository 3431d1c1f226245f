"""Embedding losses: cosine, triplet and contrastive (NT-Xent, SupCon, InfoNCE, CLIP) losses.

Conventions shared by this module:

* Embeddings are rows of real vectors along ``axis`` (default the last); every other
  axis is a batch axis.  The arrays compared have exactly one shape (no broadcasting),
  a real floating dtype each (a gradient is taken with respect to every embedding), and
  are computed in the first one's compute dtype (float32 for float16 / bfloat16,
  returned in the input dtype).
* The unit of the cosine and triplet losses is a sample (a row): ``none`` returns one
  value per row (the shape without ``axis``), ``mean`` divides the sum of those by the
  number of rows (NaN for an empty batch), ``sum`` sums them.
* Norms are taken of the row divided by its largest magnitude (a stopped-gradient
  scale): no overflow of the squares of large embeddings, no underflow of small ones,
  and the exact gradient of the norm (a homogeneous function of degree 1).  A norm of
  exactly 0 has a zero gradient (a double ``where``), never the NaN of ``sqrt`` at 0.
* Cosines divide each row by its norm clamped below at ``eps`` (PyTorch's
  ``cosine_similarity`` convention); the default ``eps`` is the machine epsilon of the
  input dtype, so that the gradient, at most ``1 / eps`` per row, is finite in every
  dtype even at a zero vector (1024 in float16, 128 in bfloat16).
* The contrastive losses (:func:`~losses_xp.contrastive_loss`,
  :func:`~losses_xp.info_nce_loss`; their helpers follow the ``contrastive`` banner) take
  rows of embeddings, a 2-d array with the vectors along ``axis`` (default the last:
  ``(N, D)``), and compare every row with every other row (an ``(N, N)`` similarity
  matrix: O(N² D) time, O(N²) memory).  The similarity is the
  cosine (each vector L2-normalised; a zero vector stays 0, with a zero gradient) over
  a ``temperature`` > 0.  The pairs a row leaves out (itself) are masked by a ``where``
  with a finite, very negative value (a quarter of the dtype's most negative), never
  ``-inf``; the loss is a log-softmax of that matrix.
* Their unit is a row (an *anchor*): ``none`` returns one value per row, 0 with a zero
  gradient for a row without a positive; ``mean`` divides the sum by the number of rows
  that have a positive and is 0 (never NaN) where none has, an empty batch included.
* Over a batch split across processes, each process passes its own rows and the keys
  gathered from all of them with ``row_offset``, the key row of its first row: each row's
  value is then its value in the whole batch's loss (``docs/frameworks/distributed.md``).
"""

from __future__ import annotations

import numbers
from typing import Any

from ._compat import (
    Array,
    Namespace,
    device,
    is_array,
    is_empty,
    namespace,
    stop_gradient,
    values_readable,
)
from ._declare import declare
from ._primitives import clip, log_softmax
from ._reduction import cast, finish
from ._validation import (
    check_reduction,
    dtype_name,
    floating_input,
    normalize_axis,
    numeric_target,
    python_number,
    same_shape,
    sign_values,
)

__all__ = ["contrastive_loss", "cosine_distance", "cosine_embedding_loss", "info_nce_loss",
           "triplet_margin_loss"]


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
    (the result NaN, ``_reduction.finish``) where they cannot (an essential check: the
    margin losses' :func:`~losses_xp._validation.sign_values`)."""
    numeric_target(xp, target, "target")
    if tuple(target.shape) != rows:
        raise ValueError(
            f"`target` must have one value per row, the shape of `{first}` without axis "
            f"{ax}: {rows}; got shape {tuple(target.shape)}")
    invalid = sign_values(xp, target, "target")
    if target.dtype == xp.bool:
        one = xp.ones(target.shape, dtype=dtype, device=device(target))
        return xp.where(target, one, -one), None
    return cast(xp, target, dtype), invalid


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


# --------------------------------------------------------------------------- contrastive
# (contrastive_loss, info_nce_loss: the similarity-matrix losses)


def _unit_rows(xp: Namespace, e: Array, axis: int) -> Array:
    """``e`` with each vector along ``axis`` divided by its L2 norm; a zero vector stays
    0 with a zero gradient (a double ``where``: no 0/0).  The norm is that of the row
    scaled by its largest magnitude (:func:`_scaled`, :func:`_root`: the cosine losses'
    norms), so it neither overflows nor underflows for any finite input (a vector of
    float32's largest values, or of 1e-30)."""
    r, _ = _scaled(xp, e, axis)
    n = _root(xp, r, axis, 2.0)
    nonzero = n > 0.0
    return xp.where(nonzero, r / xp.where(nonzero, n, 1.0), 0.0)


def _inverse_temperature(xp: Namespace, temperature: object, dtype: Any) -> float:
    """1 / ``temperature`` (a Python number > 0), at most an eighth of the compute
    dtype's largest value: a cosine similarity times it, and the very negative value
    that masks a pair (:func:`_masked`), stay finite."""
    t = python_number(temperature, "temperature", minimum=0.0, strict=True)
    return min(1.0 / t, float(xp.finfo(dtype).max) / 8.0)


def _masked(xp: Namespace, logits: Array, drop: Array) -> Array:
    """``logits`` with the pairs ``drop`` set to a quarter of minus the dtype's largest
    value: finite (no ``-inf``, whose ``0 · inf`` would make a gradient NaN where a row
    has nothing else), yet ``exp`` of it minus any row maximum is exactly 0."""
    return xp.where(drop, -float(xp.finfo(logits.dtype).max) / 4.0, logits)


def _mean_over_anchors(xp: Namespace, loss: Array, log_p: Array, positive: Array,
                       ) -> tuple[Array, Array]:
    """``(per-row loss, 1.0 where the row has a positive)``: minus the mean of ``log_p``
    over each row's positives (SupCon's L_out), 0 with a zero gradient for a row
    without one (a ``where``; never 0/0)."""
    count = xp.sum(xp.astype(positive, loss.dtype), axis=1)
    has = count > 0
    total = xp.sum(xp.where(positive, -log_p, 0.0), axis=1)
    per_row = xp.where(has, total / xp.where(has, count, 1.0), 0.0)
    return per_row, xp.astype(has, loss.dtype)


def _row_labels(xp: Namespace, labels: Array, n: int, name: str, rows_of: str) -> None:
    if not xp.isdtype(labels.dtype, "integral"):
        raise TypeError(f"`{name}` must have an integer dtype (one label per row); got "
                        f"{dtype_name(labels.dtype)}")
    if tuple(labels.shape) != (n,):
        raise ValueError(f"`{name}` must have shape ({n},) (one label per row of "
                         f"`{rows_of}`); got {tuple(labels.shape)}")


def _offset_option(row_offset: object) -> tuple[int | None, Array | None]:
    """``row_offset`` as ``(a Python int, None)``, or ``(None, the 0-d integer array)``
    (a rank's offset computed under a transformation, ``jax.lax.axis_index(...) * n``:
    not read); a bool, a float or anything else raises ``TypeError``."""
    if type(row_offset) is int:  # the common case, without an ABC check under tracing
        off: int = row_offset
    elif isinstance(row_offset, numbers.Integral) and not isinstance(row_offset, bool):
        off = int(row_offset)
    else:
        # (is_array, then plain attribute reads: Dynamo before PyTorch 2.4 cannot trace
        # getattr(tensor, name, default), "hasattr TensorVariable dtype")
        if (is_array(row_offset) and row_offset.ndim == 0  # type: ignore[attr-defined]
                and "int" in str(row_offset.dtype)):  # type: ignore[attr-defined]
            return None, row_offset  # (checked against the namespace by the caller)
        raise TypeError(f"`row_offset` must be an int (Python or NumPy integer) or a 0-d "
                        f"integer array; got {type(row_offset).__name__}")
    if off < 0:
        raise ValueError(f"`row_offset` must be >= 0; got {off}")
    return off, None


def _row_offset(xp: Namespace, off: int | None, traced: Array | None, n: int, m: int,
                rows_of: str, keys_of: str) -> Any:
    """The row offset of ``n`` local rows among ``m`` key rows, checked: ``off +
    n <= m`` (``ValueError`` naming the arrays otherwise).  An array offset (``traced``)
    is checked where its value can be read eagerly (``values_readable``); under a
    transformation it is not (a key row beyond the last then matches no local row)."""
    if off is None:
        assert traced is not None
        if not values_readable(traced):
            return traced
        off = int(traced)
        if off < 0:
            raise ValueError(f"`row_offset` must be >= 0; got {off}")
    if off + n > m:
        raise ValueError(
            f"`row_offset` plus the rows of `{rows_of}` must be at most the rows of "
            f"`{keys_of}` (the local rows are key rows row_offset to row_offset + "
            f"{n} - 1); got {off} + {n} > {m}")
    return off


@declare(prediction="embeddings", target="row_labels", class_axis="axis",
         options={"temperature": "temperature", "axis": "axis", "keys": "key_rows",
                  "key_labels": "key_labels", "row_offset": "row_offset"}, growth="bounded",
         unit="anchor", min_ndim=2, max_ndim=2,
         peers={"optax": ("optax.losses.ntxent",)},
         unsupported={"vmap": "its rows interact (an N x N similarity matrix): a vmap over "
                              "the rows of one (N, D) batch is not a call on it"})
def contrastive_loss(embeddings: Array, labels: Array, *, temperature: float = 0.07,
                     axis: int = -1, keys: Array | None = None, key_labels: Array | None = None,
                     row_offset: int | Array = 0, reduction: str = "mean") -> Array:
    r"""Supervised contrastive loss (NT-Xent / SupCon): rows with one label attract.

    For ``N`` embeddings :math:`x_i` (the rows of a 2-d array, their features along
    ``axis``) with integer ``labels`` :math:`y_i`, the cosine similarities over the
    temperature :math:`\tau` are :math:`s_{ij} = \hat x_i \cdot \hat x_j / \tau` with
    :math:`\hat x = x / \lVert x \rVert_2` (a zero vector stays 0).  Every other row
    with the same label is a positive of row ``i``, :math:`P(i) = \{j \ne i : y_j =
    y_i\}`, and the softmax runs over every other row :math:`A(i) = \{k \ne i\}`:

    .. math::
        \ell_i = -\frac{1}{|P(i)|} \sum_{p \in P(i)}
                 \log \frac{e^{s_{ip}}}{\sum_{k \in A(i)} e^{s_{ik}}}

    the mean of the log-probabilities over the positives (SupCon's
    :math:`\mathcal{L}^{sup}_{out}`, Khosla et al. 2020, eq. 2); with two views per
    label (one positive per row) it is SimCLR's NT-Xent.  A row without a positive
    (a label of its own) has :math:`\ell_i = 0` with a zero gradient.

    Computed as the log-softmax of the ``(N, N)`` similarity matrix, the diagonal
    replaced (``where``) by a finite value a quarter of the dtype's most negative, so
    the self-similarity drops out exactly and no ``-inf`` enters a gradient; stable for
    small temperatures (0.01 in float16: computed in float32).  ``temperature`` must be a
    number > 0, default 0.07 (SimCLR's, as PyTorch Metric Learning's ``NTXentLoss``);
    ``axis`` is the feature axis of the 2-d ``embeddings`` (default the last: rows are
    ``(N, D)``).  ``none`` returns one value per row, ``(N,)``; ``mean`` divides their sum by
    the number of rows that have a positive, and is 0 (not NaN) where none has (an
    empty batch too); ``sum`` sums them.  The cost is O(N² D) time and O(N²) memory.

    Differences from peers: ``optax.ntxent`` (PyTorch Metric Learning's ``NTXentLoss``)
    averages over positive *pairs* and leaves the other positives out of each pair's
    softmax, so it equals this loss's ``mean`` when every row has exactly one positive
    (two views per label), and differs with more; it returns NaN when no row has a
    positive, and only a scalar.  PyTorch Metric Learning's ``SupConLoss`` is this
    loss with its own default temperature 0.1 (PML 2.9.0 agrees to 1e-10 in float64)
    where every row has a negative.  A row without a negative (a batch of one label):
    optax and PML give 0; here it is SupCon's value, at least :math:`\log |P(i)|` (the
    positives still compete in the softmax), as in Khosla et al.'s reference code.

    **A batch split over processes** (data-parallel training): each process passes its
    own rows as ``embeddings`` and ``labels``, the rows gathered from every process as
    ``keys`` and ``key_labels`` (``M`` rows, the same layout: features along ``axis``),
    and ``row_offset``, the key row of its first row (rank ``r`` of equal shards of
    ``n``: ``r * n``).  Row ``i`` is then compared with every key row but its own, ``i +
    row_offset``: its value is exactly the row ``i + row_offset`` of the loss of the
    whole batch, so the processes' ``sum`` add up to the global ``sum``, and the global
    ``mean`` is that sum over the global number of rows with a positive (the sum of
    the processes' counts; a mean of the processes' means is not it).  The gradient
    reaches the local ``embeddings`` only (the keys are constants here; an all-gather
    that carries the gradient, ``torch.distributed.nn.functional.all_gather``, adds the
    keys' part).  See :doc:`/frameworks/distributed`.

    Parameters
    ----------
    embeddings : array
        A 2-d array of real floating dtype: ``N`` rows, their features along ``axis``.
    labels : array
        One integer label per row, shape ``(N,)``: rows with one label are positives
        of each other.
    temperature : float
        A Python number > 0 that divides the cosine similarities (default 0.07).
    axis : int
        The feature axis of ``embeddings`` (default -1, the last).
    keys : array or None
        None (the default: the rows of ``embeddings`` are the keys), or the rows gathered
        from every process: a 2-d real floating array with the features of
        ``embeddings`` along ``axis`` and ``M >= N + row_offset`` rows, among them the
        rows of ``embeddings`` from ``row_offset`` on.  Given with ``key_labels``.
    key_labels : array or None
        The integer labels of ``keys``, shape ``(M,)`` (None without ``keys``).
    row_offset : int or array
        The key row of the first row of ``embeddings``: row ``i``'s own key row, left out
        of its softmax, is ``i + row_offset``.  An int >= 0 (default 0; only 0 without
        ``keys``), or a 0-d integer array (``jax.lax.axis_index("b") * n`` inside
        ``shard_map``: checked only where it can be read eagerly).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per row, 0 for a row without a positive; ``mean``: their
        sum divided by the number of rows with a positive, 0 where none has.

    References
    ----------
    T. Chen, S. Kornblith, M. Norouzi, G. Hinton, "A Simple Framework for Contrastive
    Learning of Visual Representations", ICML 2020, arXiv:2002.05709.
    P. Khosla et al., "Supervised Contrastive Learning", NeurIPS 2020, arXiv:2004.11362.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> x = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-1.0, 0.0]])
    >>> lx.contrastive_loss(x, np.array([0, 0, 1, 2]), temperature=0.5, reduction="none")
    array([0.20638002, 0.53712607, 0.        , 0.        ])

    The batch split over two processes: the second one holds rows 2 and 3 and the keys
    gathered from both, and computes rows 2 and 3 of the whole batch's loss:

    >>> y = np.array([0, 1, 1, 0])
    >>> lx.contrastive_loss(x, y, temperature=0.5, reduction="none")
    array([3.80638002, 0.93712607, 0.47149528, 2.29060166])
    >>> lx.contrastive_loss(x[2:], y[2:], keys=x, key_labels=y, row_offset=2,
    ...                     temperature=0.5, reduction="none")
    array([0.47149528, 2.29060166])
    """
    check_reduction(reduction)
    off, traced = _offset_option(row_offset)
    xp = namespace({"embeddings": embeddings, "labels": labels},
                   {"keys": keys, "key_labels": key_labels, "row_offset": traced})
    out_dtype, dtype = floating_input(xp, embeddings, "embeddings")
    ax = normalize_axis(embeddings.ndim, axis)
    if embeddings.ndim != 2:
        raise ValueError(f"`embeddings` must be 2-d (rows of vectors along `axis`); got "
                         f"shape {tuple(embeddings.shape)}")
    n = int(embeddings.shape[1 - ax])
    _row_labels(xp, labels, n, "labels", "embeddings")
    if (keys is None) != (key_labels is None):
        given, missing = ("keys", "key_labels") if key_labels is None else ("key_labels", "keys")
        raise ValueError("`keys` and `key_labels` go together (the rows gathered from "
                         f"every process and their labels); got `{given}` without `{missing}`")
    m = n
    if keys is None and off is not None and off != 0:
        raise ValueError(f"`row_offset` must be 0 without `keys` (the keys are then the rows "
                         f"of `embeddings` themselves); got {off}")
    if keys is not None:
        floating_input(xp, keys, "keys")
        if keys.ndim != 2 or int(keys.shape[ax]) != int(embeddings.shape[ax]):
            raise ValueError(
                f"`keys` must be 2-d with the features of `embeddings` along `axis` "
                f"({int(embeddings.shape[ax])} along axis {ax}); got shape "
                f"{tuple(keys.shape)}")
        m = int(keys.shape[1 - ax])
        _row_labels(xp, key_labels, m, "key_labels", "keys")
    offset = _row_offset(xp, off, traced, n, m, "embeddings",
                         "embeddings" if keys is None else "keys")
    inv = _inverse_temperature(xp, temperature, dtype)
    z = _unit_rows(xp, cast(xp, embeddings, dtype), ax)
    zk = z if keys is None else _unit_rows(xp, cast(xp, keys, dtype), ax)
    if ax == 0:
        z, zk = xp.permute_dims(z, (1, 0)), xp.permute_dims(zk, (1, 0))
    logits = xp.matmul(z, xp.permute_dims(zk, (1, 0))) * inv
    idx = xp.arange(n, device=device(logits))
    kdx = idx if keys is None else xp.arange(m, device=device(logits))
    self_pair = (idx[:, None] + offset) == kdx[None, :] if keys is not None else \
        idx[:, None] == kdx[None, :]
    log_p = log_softmax(xp, _masked(xp, logits, self_pair), axis=1)
    ylab = labels if key_labels is None else key_labels
    positive = (labels[:, None] == ylab[None, :]) & ~self_pair
    per_row, anchors = _mean_over_anchors(xp, logits, log_p, positive)
    return finish(xp, per_row, out_dtype, reduction, counted=anchors)


@declare(prediction="embeddings", target="embeddings",
         options={"temperature": "temperature", "labels": "row_labels", "symmetric": "flag",
                  "row_offset": "row_offset"},
         differentiable=(0, 1), growth="bounded", unit="anchor", min_ndim=2, max_ndim=2,
         no_peer="PyTorch, optax, Keras and scikit-learn have no InfoNCE / CLIP loss (the "
                 "usual code is F.cross_entropy of the similarity matrix against arange(N), "
                 "as open_clip's ClipLoss)",
         unsupported={"vmap": "its rows interact (an N x N similarity matrix): a vmap over "
                              "the rows of one (N, D) batch is not a call on it"})
def info_nce_loss(query: Array, key: Array, *, temperature: float = 0.07,
                  labels: Array | None = None, symmetric: bool = False,
                  row_offset: int | Array = 0, reduction: str = "mean") -> Array:
    r"""InfoNCE: each query picks its own key out of the batch (CLIP with ``symmetric``).

    For ``N`` queries :math:`q_i` and ``N`` keys :math:`k_j` (the rows of two ``(N, D)``
    arrays), both L2-normalised as CLIP does (:math:`\hat q = q / \lVert q \rVert_2`; a
    zero vector stays 0), the logits are :math:`s_{ij} = \hat q_i \cdot \hat k_j / \tau`
    and the positives of query ``i`` are :math:`P(i) = \{i\}` (row ``i`` of ``key``), or,
    with ``labels`` (one integer per row, shared by the two arrays), every key of its
    label, :math:`P(i) = \{j : y_j = y_i\}` (key ``i`` always among them):

    .. math::
        \ell_i = -\frac{1}{|P(i)|} \sum_{p \in P(i)}
                 \log \frac{e^{s_{ip}}}{\sum_{j=1}^{N} e^{s_{ij}}}

    the softmax over every key (the other keys are the negatives; without ``labels``
    this is ``F.cross_entropy(s, arange(N))`` row by row).  ``symmetric=True`` is the
    CLIP loss: each row's value is the mean of the query's :math:`\ell_i` and the
    key's, the same with the roles swapped (a softmax over the queries, column ``i``
    of :math:`s`).  Computed through the log-softmax of the similarity matrix; stable
    at small temperatures (0.01 in float16: computed in float32).

    ``temperature`` > 0, default 0.07 (CLIP's initial :math:`1/\tau = 1/0.07`, MoCo's
    0.07); ``labels`` default None; ``symmetric`` default False.  ``none`` returns one
    value per row, ``(N,)``; ``mean`` divides their sum by the number of rows with a
    positive, here every row (each has its own key), and is 0 for an empty batch (no
    positive anywhere: never NaN); ``sum`` sums them.  The embeddings are always
    normalised: for a raw dot product (CPC's bilinear score, an unnormalised logit
    scale) use :func:`cross_entropy` on your own ``q @ k.T``.  O(N² D) time, O(N²)
    memory.

    Differences from peers: PyTorch, optax, Keras and scikit-learn have no such loss.
    open_clip's ``ClipLoss`` is ``symmetric=True`` with ``temperature = 1 /
    logit_scale`` on features the model normalised already; sentence-transformers'
    ``MultipleNegativesRankingLoss(scale=20)`` is the non-symmetric loss at
    ``temperature=0.05``.  A row whose labels give it several positive keys averages
    their log-probabilities (SupCon's :math:`\mathcal{L}_{out}`), as
    :func:`contrastive_loss` does.

    **A batch split over processes**: each process passes its ``N`` queries and the keys
    gathered from every process (``M`` rows), with ``row_offset`` the key row of its first
    query (rank ``r`` of equal shards of ``n``: ``r * n``): query ``i``'s own key is key
    row ``i + row_offset``, every other key a negative.  Each value is then exactly that
    query's value in the loss of the whole batch: the processes' ``sum`` add up to the
    global one, and the global ``mean`` divides it by the global number of queries.
    ``labels`` then has one label per key, ``(M,)`` (query ``i`` has its key's).  The
    symmetric (CLIP) loss needs every query for each key's softmax: across processes,
    add ``info_nce_loss(q, all_keys, row_offset=o)`` and ``info_nce_loss(k, all_queries,
    row_offset=o)`` and halve (``symmetric=True`` with more keys than queries raises).
    More keys than queries with ``row_offset=0`` is also a queue of extra negatives
    (MoCo).  See :doc:`/frameworks/distributed`.

    Parameters
    ----------
    query, key : array
        Two 2-d arrays of one real floating dtype and vector length: ``(N, D)`` queries
        and ``(M, D)`` keys, ``M >= N + row_offset`` (default: ``M = N``); key row ``i +
        row_offset`` is the positive of query ``i``.
    temperature : float
        A Python number > 0 that divides the cosine similarities (default 0.07).
    labels : array or None
        None (the default: only query ``i``'s own key is its positive), or one integer
        label per key, shape ``(M,)`` (with ``M = N`` shared by ``query`` and ``key``):
        query ``i`` has the label of key ``i + row_offset``, and every key of its label
        is a positive.
    symmetric : bool
        Average the query-to-key and the key-to-query losses (CLIP; default False).
        Only with as many keys as queries and ``row_offset`` 0.
    row_offset : int or array
        The key row of query 0's own key (default 0): an int >= 0, or a 0-d integer array
        (``jax.lax.axis_index("b") * n`` inside ``shard_map``: checked only where it can
        be read eagerly).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per row; ``mean``: their sum divided by the number of rows
        with a positive (every row; 0 for an empty batch).

    References
    ----------
    A. van den Oord, Y. Li, O. Vinyals, "Representation Learning with Contrastive
    Predictive Coding", arXiv:1807.03748 (2018).
    A. Radford et al., "Learning Transferable Visual Models From Natural Language
    Supervision" (CLIP), ICML 2021, arXiv:2103.00020.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> q = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> k = np.array([[0.9, 0.1], [0.2, 1.0], [1.0, 0.8]])
    >>> lx.info_nce_loss(q, k, temperature=0.5, reduction="none")
    array([0.61836803, 0.51057091, 0.86566587])
    >>> lx.info_nce_loss(q, k, temperature=0.5, symmetric=True)
    array(0.67011285)

    The last query as the second process sees it (the keys of both, its own at row 2):

    >>> lx.info_nce_loss(q[2:], k, temperature=0.5, row_offset=2, reduction="none")
    array([0.86566587])
    """
    check_reduction(reduction)
    off, traced = _offset_option(row_offset)
    xp = namespace({"query": query, "key": key}, {"labels": labels, "row_offset": traced})
    out_dtype, dtype = floating_input(xp, query, "query")
    floating_input(xp, key, "key")
    if not isinstance(symmetric, bool):
        raise TypeError(f"`symmetric` must be a bool; got {type(symmetric).__name__}")
    if query.ndim == 0:
        raise ValueError("`query` must have at least 1 dimension (samples); got a 0-d array")
    if not (query.ndim == key.ndim == 2 and int(query.shape[0]) != int(key.shape[0])):
        same_shape(query, key, ("query", "key"))  # (more key rows: gathered ones)
    if query.ndim != 2 or key.ndim != 2 or int(key.shape[1]) != int(query.shape[1]):
        raise ValueError(f"`query` and `key` must be 2-d (rows of vectors along the last "
                         f"axis) of one vector length; got shapes {tuple(query.shape)} and "
                         f"{tuple(key.shape)}")
    n, m = int(query.shape[0]), int(key.shape[0])
    offset = _row_offset(xp, off, traced, n, m, "query", "key")
    if symmetric and (traced is not None or m != n):
        raise ValueError(
            "`symmetric=True` needs the queries of every key (the keys' softmax runs over "
            f"the queries): `key` must have the rows of `query` and `row_offset` be 0; got "
            f"{n} queries, {m} keys. Across processes, add info_nce_loss(query, "
            "all_keys, row_offset=o) and info_nce_loss(key, all_queries, row_offset=o) "
            "and halve (docs/frameworks/distributed.md)")
    if labels is not None:
        _row_labels(xp, labels, m, "labels", "key")
    inv = _inverse_temperature(xp, temperature, dtype)
    q = _unit_rows(xp, cast(xp, query, dtype), 1)
    k = _unit_rows(xp, cast(xp, key, dtype), 1)
    logits = xp.matmul(q, xp.permute_dims(k, (1, 0))) * inv
    idx = xp.arange(n, device=device(logits))
    kdx = idx if m == n and traced is None and off == 0 else xp.arange(m, device=device(logits))
    if labels is None:
        positive = (idx[:, None] + offset) == kdx[None, :] if kdx is not idx else \
            idx[:, None] == idx[None, :]
    else:  # (each query has the label of its own key, row i + row_offset)
        mine = labels if kdx is idx else xp.take(labels, idx + offset, axis=0)
        positive = mine[:, None] == labels[None, :]
    per_row, anchors = _mean_over_anchors(xp, logits, log_softmax(xp, logits, axis=1),
                                          positive)
    if symmetric:  # the keys' losses: a softmax over the queries (positive is symmetric)
        log_p_keys = log_softmax(xp, xp.permute_dims(logits, (1, 0)), axis=1)
        per_key, _ = _mean_over_anchors(xp, logits, log_p_keys, positive)
        per_row = (per_row + per_key) * 0.5
    return finish(xp, per_row, out_dtype, reduction, counted=anchors)
