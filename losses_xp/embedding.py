"""Embedding losses: cosine, triplet and contrastive (NT-Xent, SupCon, InfoNCE, CLIP) losses.

Conventions shared by this module:

* The contrastive losses (:func:`contrastive_loss`, :func:`info_nce_loss`; their helpers follow the
  ``contrastive`` banner) take rows of embeddings, a 2-d array with the vectors along
  ``axis`` (default the last: ``(N, D)``), and compare every row with every other row
  (an ``(N, N)`` similarity matrix: O(N² D) time, O(N²) memory).  The similarity is the
  cosine (each vector L2-normalised; a zero vector stays 0, with a zero gradient) over
  a ``temperature`` > 0.  The pairs a row leaves out (itself) are masked by a ``where``
  with a finite, very negative value (a quarter of the dtype's most negative), never
  ``-inf``; the loss is a log-softmax of that matrix.
* Their unit is a row (an *anchor*): ``none`` returns one value per row, 0 with a zero
  gradient for a row without a positive; ``mean`` divides the sum by the number of rows
  that have a positive and is 0 (never NaN) where none has, an empty batch included.
"""

from __future__ import annotations

from typing import Any

from ._compat import Array, Namespace, device, is_empty, namespace, stop_gradient
from ._declare import declare
from ._primitives import log_softmax
from ._reduction import cast, finish
from ._validation import (
    check_reduction,
    dtype_name,
    floating_input,
    normalize_axis,
    python_number,
    same_shape,
)

__all__: list[str] = ["contrastive_loss", "info_nce_loss"]


# --------------------------------------------------------------------------- contrastive
# (contrastive_loss, info_nce_loss: the similarity-matrix losses)


def _unit_rows(xp: Namespace, e: Array, axis: int) -> Array:
    """``e`` with each vector along ``axis`` divided by its L2 norm; a zero vector stays
    0 with a zero gradient (no 0/0).  Each vector is first divided by its largest
    magnitude (gradient stopped: the result does not depend on it), so the squared norm
    neither overflows nor underflows for any finite input (a vector of float32's largest
    values, or of 1e-30)."""
    m = stop_gradient(xp, xp.max(xp.abs(e), axis=axis, keepdims=True)) if not is_empty(e) \
        else xp.ones_like(xp.sum(e, axis=axis, keepdims=True))
    # (divided twice by sqrt(m): a compiler that turns the division into a product by
    # 1/m would flush 1/m to zero for m near the dtype's largest value on XLA's CPU)
    r = xp.sqrt(xp.where(m > 0, m, 1.0))
    u = (e / r) / r
    sq = xp.sum(u * u, axis=axis, keepdims=True)
    nonzero = sq > 0
    return xp.where(nonzero, u / xp.sqrt(xp.where(nonzero, sq, 1.0)), 0.0)


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


def _anchor_reduction(xp: Namespace, per_row: Array, anchors: Array, out_dtype: Any,
                      reduction: str) -> Array:
    """``none``: the rows; ``sum``: their sum; ``mean``: the sum divided by the number of
    rows that have a positive, 0 (never NaN) when none has."""
    if reduction == "sum":
        per_row = xp.sum(per_row)
    elif reduction == "mean":
        n = xp.sum(anchors)
        per_row = xp.sum(per_row) / xp.where(n > 0, n, 1.0)
    return finish(xp, per_row, out_dtype, "none")


def _row_labels(xp: Namespace, labels: Array, n: int, name: str, rows_of: str) -> None:
    if not xp.isdtype(labels.dtype, "integral"):
        raise TypeError(f"`{name}` must have an integer dtype (one label per row); got "
                        f"{dtype_name(labels.dtype)}")
    if tuple(labels.shape) != (n,):
        raise ValueError(f"`{name}` must have shape ({n},) (one label per row of "
                         f"`{rows_of}`); got {tuple(labels.shape)}")


@declare(prediction="embeddings", target="row_labels", class_axis="axis",
         options={"temperature": "temperature", "axis": "axis"}, growth="bounded",
         unit="anchor", min_ndim=2, max_ndim=2,
         peers={"optax": ("optax.losses.ntxent",)},
         unsupported={"vmap": "its rows interact (an N x N similarity matrix): a vmap over "
                              "the rows of one (N, D) batch is not a call on it"})
def contrastive_loss(embeddings: Array, labels: Array, *, temperature: float = 0.07,
                     axis: int = -1, reduction: str = "mean") -> Array:
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
    """
    check_reduction(reduction)
    xp = namespace({"embeddings": embeddings, "labels": labels})
    out_dtype, dtype = floating_input(xp, embeddings, "embeddings")
    ax = normalize_axis(embeddings.ndim, axis)
    if embeddings.ndim != 2:
        raise ValueError(f"`embeddings` must be 2-d (rows of vectors along `axis`); got "
                         f"shape {tuple(embeddings.shape)}")
    n = int(embeddings.shape[1 - ax])
    _row_labels(xp, labels, n, "labels", "embeddings")
    inv = _inverse_temperature(xp, temperature, dtype)
    z = _unit_rows(xp, cast(xp, embeddings, dtype), ax)
    if ax == 0:
        z = xp.permute_dims(z, (1, 0))
    logits = xp.matmul(z, xp.permute_dims(z, (1, 0))) * inv
    idx = xp.arange(n, device=device(logits))
    self_pair = idx[:, None] == idx[None, :]
    log_p = log_softmax(xp, _masked(xp, logits, self_pair), axis=1)
    positive = (labels[:, None] == labels[None, :]) & ~self_pair
    per_row, anchors = _mean_over_anchors(xp, logits, log_p, positive)
    return _anchor_reduction(xp, per_row, anchors, out_dtype, reduction)


@declare(prediction="embeddings", target="embeddings",
         options={"temperature": "temperature", "labels": "row_labels", "symmetric": "flag"},
         differentiable=(0, 1), growth="bounded", unit="anchor", min_ndim=2, max_ndim=2,
         no_peer="PyTorch, optax, Keras and scikit-learn have no InfoNCE / CLIP loss (the "
                 "usual code is F.cross_entropy of the similarity matrix against arange(N), "
                 "as open_clip's ClipLoss)",
         unsupported={"vmap": "its rows interact (an N x N similarity matrix): a vmap over "
                              "the rows of one (N, D) batch is not a call on it"})
def info_nce_loss(query: Array, key: Array, *, temperature: float = 0.07,
                  labels: Array | None = None, symmetric: bool = False,
                  reduction: str = "mean") -> Array:
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
    """
    check_reduction(reduction)
    xp = namespace({"query": query, "key": key}, {"labels": labels})
    out_dtype, dtype = floating_input(xp, query, "query")
    floating_input(xp, key, "key")
    if not isinstance(symmetric, bool):
        raise TypeError(f"`symmetric` must be a bool; got {type(symmetric).__name__}")
    if query.ndim == 0:
        raise ValueError("`query` must have at least 1 dimension (samples); got a 0-d array")
    same_shape(query, key, ("query", "key"))
    if query.ndim != 2:
        raise ValueError(f"`query` and `key` must be 2-d (rows of vectors along the last "
                         f"axis); got shape {tuple(query.shape)}")
    n = int(query.shape[0])
    if labels is not None:
        _row_labels(xp, labels, n, "labels", "query")
    inv = _inverse_temperature(xp, temperature, dtype)
    q = _unit_rows(xp, cast(xp, query, dtype), 1)
    k = _unit_rows(xp, cast(xp, key, dtype), 1)
    logits = xp.matmul(q, xp.permute_dims(k, (1, 0))) * inv
    if labels is None:
        idx = xp.arange(n, device=device(logits))
        positive = idx[:, None] == idx[None, :]
    else:
        positive = labels[:, None] == labels[None, :]
    per_row, anchors = _mean_over_anchors(xp, logits, log_softmax(xp, logits, axis=1),
                                          positive)
    if symmetric:  # the keys' losses: a softmax over the queries (positive is symmetric)
        log_p_keys = log_softmax(xp, xp.permute_dims(logits, (1, 0)), axis=1)
        per_key, _ = _mean_over_anchors(xp, logits, log_p_keys, positive)
        per_row = (per_row + per_key) * 0.5
    return _anchor_reduction(xp, per_row, anchors, out_dtype, reduction)
