r"""Learning-to-rank losses: listwise (ListNet, ListMLE) and pairwise (RankNet) losses.

Conventions shared by this module:

* ``scores`` first (real floating: any finite value, a model's output), ``relevance``
  second (graded relevance >= 0 of ``scores``' shape: floating, integer or bool; a
  larger value is more relevant), options keyword-only.  A *list* is a slice along
  ``axis`` (default the last); every other axis is a batch axis.
* ``where``: ``None`` (every item valid) or a bool array of ``scores``' shape, False
  for an item that is not in its list (padding).  A masked item takes no part in the
  value, and its score gets a zero gradient whatever it holds (``inf`` and NaN
  included: masked scores are replaced before any arithmetic).  Masks go through
  ``where``, never boolean indexing, so every list keeps its static length.
* A list *ranks something* when one of its valid items is strictly more relevant than
  another valid item.  A list that ranks nothing (every item masked, a single valid
  item, or all valid items equally relevant, e.g. no relevant item at all) has a value
  of exactly 0 with a zero gradient, and is left out of ``mean``'s denominator.
* ``none`` returns one value per list (the shape without ``axis``); ``sum`` sums them;
  ``mean`` divides that sum by the number of lists that rank something, and is 0 (with
  a zero gradient) where no list does: rax's and optax's ``safe_reduce``, never the
  NaN of 0/0.  An empty batch (no list at all) gives NaN for ``mean``, as every loss.
* Values and gradients stay finite for every finite score (log space: a log-sum-exp
  shifted by the maximum, whose gradient is stopped; ``softplus`` for the pairs).
  Half precision is computed in float32 and returned in the input dtype.
* The pairwise forms (``pairwise_logistic_loss``, ``listmle_loss``) build an
  ``(..., L, L)`` array per batch: memory grows with the square of the list length L.
  ``listmle_loss`` needs no sort: the position of item ``j`` after item ``i`` in the
  permutation that sorts relevance is a comparison of the pair, so a Dask array may
  be chunked along ``axis`` too.
* A negative (or NaN) relevance raises ``ValueError`` at the value-check level
  ``"all"`` where the values can be read eagerly, and makes the result NaN where they
  cannot (``losses_xp.value_checks``).
"""

from __future__ import annotations

import math
from typing import Any

from ._compat import Array, Namespace, device, is_array, is_empty, namespace, stop_gradient
from ._declare import declare
from ._primitives import softplus
from ._reduction import cast, finish
from ._validation import (
    check_reduction,
    dtype_name,
    floating_input,
    normalize_axis,
    numeric_target,
    same_shape,
    values_in_range,
)

__all__ = ["listmle_loss", "pairwise_logistic_loss", "softmax_ranking_loss"]

_NAMES = ("scores", "relevance")


def _lists(scores: Array, relevance: Array, where: Array | None, axis: object
           ) -> tuple[Namespace, Array, Array, Array, Array, Any, Array | None]:
    """The beginning of every ranking loss: the checks, then ``(xp, s, y, v, ranks,
    out_dtype, invalid)`` with the lists along the last axis: ``s`` the scores in the
    compute dtype (0 where masked), ``y`` the relevance in it, ``v`` the bool mask of
    valid items, ``ranks`` the bool "the list ranks something" (the shape without the
    axis), ``invalid`` the flag of relevance values that could not be checked eagerly."""
    xp = namespace(dict(zip(_NAMES, (scores, relevance), strict=True)), {"where": where})
    out_dtype, dtype = floating_input(xp, scores, "scores")
    numeric_target(xp, relevance, "relevance")
    same_shape(scores, relevance, _NAMES)
    if where is not None:
        if not is_array(where):
            raise TypeError("`where` must be None or a bool array of the shape of `scores` "
                            f"(True: a valid item); got {type(where).__name__}")
        if where.dtype != xp.bool:
            raise TypeError("`where` must be None or a bool array of the shape of `scores` "
                            f"(True: a valid item); got dtype {dtype_name(where.dtype)}")
        if tuple(where.shape) != tuple(scores.shape):
            raise ValueError(f"`where` must have the shape of `scores` {tuple(scores.shape)}; "
                             f"got shape {tuple(where.shape)}")
    ax = normalize_axis(scores.ndim, -1 if axis is None else axis)
    invalid = values_in_range(xp, relevance, 0.0, math.inf, "relevance", essential=False)
    s = xp.moveaxis(cast(xp, scores, dtype), ax, -1)
    y = xp.moveaxis(cast(xp, relevance, dtype), ax, -1)
    if where is None:
        v = xp.ones(s.shape, dtype=xp.bool, device=device(s))
    else:
        v = xp.moveaxis(where, ax, -1)
        s = xp.where(v, s, 0.0)  # (whatever a masked score holds: no inf, no NaN)
    if is_empty(s):  # (Dask's max of an empty chunk raises; only the shape matters)
        ranks = xp.zeros(s.shape[:-1], dtype=xp.bool, device=device(s))
    else:  # a valid item strictly more relevant than another valid one
        ranks = (xp.max(xp.where(v, y, -math.inf), axis=-1)
                 > xp.min(xp.where(v, y, math.inf), axis=-1))
    return xp, s, y, v, ranks, out_dtype, invalid


def _end(xp: Namespace, loss: Array, ranks: Array, out_dtype: Any, reduction: str,
         invalid: Array | None) -> Array:
    """The per-list values (0 where a list ranks nothing) reduced: ``mean`` divides by
    the number of lists that rank something (0 where none does; NaN for no list)."""
    # (>= 0: a value rounded below 0 is +0.0; NaN stays NaN)
    loss = xp.where(ranks, xp.where(loss < 0.0, 0.0, loss), 0.0) + 0.0
    # (no list at all: the NaN of every empty mean)
    counted = None if is_empty(loss) else ranks
    return finish(xp, loss, out_dtype, reduction, counted=counted, invalid=invalid)


def _shift(xp: Namespace, x: Array, keep: Array, axis: int) -> Array:
    """The maximum of ``x`` along ``axis`` over ``keep`` (kept dims; 0 where nothing is
    kept), its gradient stopped: the shift of a log-sum-exp."""
    m = xp.max(xp.where(keep, x, -math.inf), axis=axis, keepdims=True)
    return stop_gradient(xp, xp.where(xp.isfinite(m), m, 0.0))


@declare(prediction="logits", target="relevance", class_axis="axis",
         options={"axis": "axis", "where": "mask"}, growth="linear", unit="list",
         min_ndim=1,
         peers={"optax": ("optax.losses.ranking_softmax_loss",)})
def softmax_ranking_loss(scores: Array, relevance: Array, *, axis: int = -1,
                         where: Array | None = None, reduction: str = "mean") -> Array:
    r"""Softmax ranking loss (ListNet): the cross-entropy between the relevance, made a
    distribution over the list, and the softmax of the scores.

    .. math::
        \ell = -\sum_i p_i \log \frac{e^{s_i}}{\sum_j e^{s_j}}, \qquad
        p_i = \frac{y_i}{\sum_j y_j}

    over the valid items of one list (along ``axis``), evaluated as
    :math:`\sum_i p_i \,(\log \sum_j e^{s_j - m} - (s_i - m))` with the list's maximum
    score :math:`m`: every term is >= 0 and nothing overflows.  A list that ranks
    nothing (see the module's conventions: every item masked, or all valid items
    equally relevant, e.g. no relevant item) is 0 and leaves ``mean``'s denominator.

    Parameters
    ----------
    scores : array
        Real floating scores, the lists along ``axis``.
    relevance : array
        Graded relevance >= 0 of ``scores``' shape (floating, integer or bool).  A
        negative value raises at the value-check level ``"all"``.
    axis : int
        The list axis (default -1, the last; ``None`` also means the last).
    where : array or None
        A bool array of ``scores``' shape, False for items not in their list (default
        None: every item is valid).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per list; ``mean``: the sum over lists divided by the
        number of lists that rank something (0 where none does, NaN for an empty
        batch).

    Notes
    -----
    The relevance is normalised to sum to 1 over each list (the top-one probability of
    ListNet with a linear map, TF-Ranking's ``SoftmaxLoss``), so the value does not
    depend on the relevance's scale.

    Differences from peers:

    * optax ``ranking_softmax_loss(logits, labels, where=...)`` (and rax
      ``softmax_loss``, its default ``label_fn``): the labels are *not* normalised, so
      its per-list value is :math:`\sum_j y_j` times this one (the same for a single
      relevant item of relevance 1); lists without a relevant item count in its mean's
      denominator (as 0), and so do lists whose valid items are all equally relevant
      (their nonzero value here is 0: they rank nothing).  Its axis is always the last.
      rax ``softmax_loss(label_fn=rax.utils.normalize_probabilities)`` normalises like
      this function, but makes a list without a relevant item uniform.
    * PyTorch, Keras 3 and scikit-learn have no ListNet loss.

    References
    ----------
    Z. Cao, T. Qin, T.-Y. Liu, M.-F. Tsai, H. Li, "Learning to Rank: From Pairwise
    Approach to Listwise Approach", ICML (2007).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> s = np.array([[2.0, 1.0, 3.0], [1.0, 0.5, 1.5]])
    >>> y = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 2.0]])
    >>> lx.softmax_ranking_loss(s, y, reduction="none")
    array([1.40760596, 1.18026967])
    >>> lx.softmax_ranking_loss(s, y, where=np.array([[True, True, False], [True] * 3]),
    ...                         reduction="none")
    array([0.31326169, 1.18026967])
    """
    check_reduction(reduction)
    xp, s, y, v, ranks, out, invalid = _lists(scores, relevance, where, axis)
    if is_empty(s):
        return _end(xp, xp.sum(s, axis=-1), ranks, out, reduction, invalid)
    y = xp.where(v, y, 0.0)
    total = xp.sum(y, axis=-1, keepdims=True)
    p = y / xp.where(total > 0.0, total, 1.0)
    z = xp.where(v, s - _shift(xp, s, v, -1), 0.0)  # (0 where masked: no overflow)
    e = xp.where(v, xp.exp(z), 0.0)
    norm = xp.sum(e, axis=-1, keepdims=True)
    log_norm = xp.log(xp.where(norm > 0.0, norm, 1.0))
    loss = xp.sum(p * (log_norm - z), axis=-1)  # (>= 0 but for the rounding of log)
    return _end(xp, loss, ranks, out, reduction, invalid)


@declare(prediction="logits", target="relevance", class_axis="axis",
         options={"axis": "axis", "where": "mask"}, growth="linear", unit="list",
         min_ndim=1,
         no_peer="PyTorch, optax, Keras and scikit-learn have no RankNet loss (PyTorch's "
                 "margin_ranking_loss is a hinge on pairs the caller forms); rax has "
                 "rax.pairwise_logistic_loss, which has no migration page: see the docstring")
def pairwise_logistic_loss(scores: Array, relevance: Array, *, axis: int = -1,
                           where: Array | None = None, reduction: str = "mean") -> Array:
    r"""Pairwise logistic loss (RankNet): the mean over a list's ordered pairs of the
    logistic loss of their score difference.

    .. math::
        \ell = \frac{1}{|P|} \sum_{(i, j) \in P} \log\big(1 + e^{-(s_i - s_j)}\big),
        \qquad P = \{(i, j) : y_i > y_j\}

    over the valid items of one list (along ``axis``), each term a ``softplus`` of
    :math:`s_j - s_i` (exact in both tails, no overflow).  Items of equal relevance
    form no pair.  A list without a pair (every item masked, or all valid items equally
    relevant) is 0 and leaves ``mean``'s denominator.  The pairs make an
    ``(..., L, L)`` array: memory grows with the square of the list length L.

    Parameters
    ----------
    scores : array
        Real floating scores, the lists along ``axis``.
    relevance : array
        Graded relevance >= 0 of ``scores``' shape (floating, integer or bool).  A
        negative value raises at the value-check level ``"all"``.
    axis : int
        The list axis (default -1, the last; ``None`` also means the last).
    where : array or None
        A bool array of ``scores``' shape, False for items not in their list (default
        None: every item is valid).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per list (the mean over its pairs); ``mean``: the sum over
        lists divided by the number of lists with a pair (0 where none has one, NaN for
        an empty batch).

    Notes
    -----
    Differences from peers:

    * rax ``pairwise_logistic_loss(scores, labels, where=...)``: the same pairs and
      terms, but its ``reduce_fn=jnp.mean`` averages over *every pair of the batch*
      (a list weighs as many pairs as it has) where this function averages each list
      over its pairs, then the lists (each list weighs 1): the same for one list.  rax's
      ``reduce_fn=None`` returns one value per pair (``(..., L * L)``), its
      ``reduce_fn=jnp.sum`` the sum over every pair (``sum`` here sums per-list means).
    * RankNet (Burges et al. 2005) may also give pairs of equal relevance a target
      probability of 1/2; as rax and TF-Ranking, this function leaves them out.
    * PyTorch ``margin_ranking_loss`` is a hinge on pairs the caller forms; optax,
      Keras 3 and scikit-learn have no pairwise ranking loss (keras-rs, a separate
      package, has ``PairwiseLogisticLoss``: not compared here).

    References
    ----------
    C. Burges, T. Shaked, E. Renshaw, A. Lazier, M. Deeds, N. Hamilton, G. Hullender,
    "Learning to Rank using Gradient Descent", ICML (2005).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> s = np.array([[2.0, 1.0, 3.0], [1.0, 0.5, 1.5]])
    >>> y = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 1.0]])
    >>> lx.pairwise_logistic_loss(s, y, reduction="none")
    array([0.81326169, 0.92047189])
    """
    check_reduction(reduction)
    xp, s, y, v, ranks, out, invalid = _lists(scores, relevance, where, axis)
    if is_empty(s):
        return _end(xp, xp.sum(s, axis=-1), ranks, out, reduction, invalid)
    pair = ((xp.expand_dims(y, axis=-1) > xp.expand_dims(y, axis=-2))
            & xp.expand_dims(v, axis=-1) & xp.expand_dims(v, axis=-2))
    # softplus(s_j - s_i) = log(1 + exp(-(s_i - s_j))) for the pair (i more relevant)
    terms = softplus(xp, xp.expand_dims(s, axis=-2) - xp.expand_dims(s, axis=-1))
    n = xp.sum(xp.astype(pair, s.dtype), axis=(-2, -1))
    loss = xp.sum(xp.where(pair, terms, 0.0), axis=(-2, -1)) / xp.where(n > 0.0, n, 1.0)
    return _end(xp, loss, ranks, out, reduction, invalid)


@declare(prediction="logits", target="relevance", class_axis="axis",
         options={"axis": "axis", "where": "mask"}, growth="linear", unit="list",
         min_ndim=1,
         no_peer="PyTorch, optax, Keras and scikit-learn have no ListMLE loss; rax has "
                 "rax.listmle_loss, which has no migration page: see the docstring")
def listmle_loss(scores: Array, relevance: Array, *, axis: int = -1,
                 where: Array | None = None, reduction: str = "mean") -> Array:
    r"""ListMLE: the Plackett-Luce negative log-likelihood of the permutation that sorts
    the list by relevance, descending.

    .. math::
        \ell = \sum_{k=1}^{n} \Big(\log \sum_{r=k}^{n} e^{s_{\pi(r)}} - s_{\pi(k)}\Big)

    over the n valid items of one list (along ``axis``), :math:`\pi` the permutation
    that sorts their relevance descending, **ties broken by position**: of two items of
    equal relevance the one earlier along ``axis`` comes first (a stable sort).  No
    sort is done: item :math:`j` comes at or after item :math:`i` exactly when
    :math:`y_j < y_i`, or :math:`y_j = y_i` and :math:`j \ge i`, so each term is a
    log-sum-exp over that set, shifted by its own maximum (every term is >= 0 and
    nothing overflows).  That makes an ``(..., L, L)`` array: memory grows with the
    square of the list length L, and a Dask array may be chunked along ``axis``.  A
    list that ranks nothing (every item masked, a single valid item, all valid items
    equally relevant: the permutation would be the tie rule alone) is 0 and leaves
    ``mean``'s denominator.

    Parameters
    ----------
    scores : array
        Real floating scores, the lists along ``axis``.
    relevance : array
        Graded relevance >= 0 of ``scores``' shape (floating, integer or bool).  A
        negative value raises at the value-check level ``"all"``.
    axis : int
        The list axis (default -1, the last; ``None`` also means the last).
    where : array or None
        A bool array of ``scores``' shape, False for items not in their list (default
        None: every item is valid).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per list; ``mean``: the sum over lists divided by the number
        of lists that rank something (0 where none does, NaN for an empty batch).

    Notes
    -----
    Differences from peers:

    * rax ``listmle_loss(scores, labels, where=...)``: the same sum per list; rax breaks
      ties in relevance randomly with ``key=`` (by its sort's order without one) and
      counts every list with a valid item in its mean, all equally relevant ones too
      (as their likelihood under the tie rule); here those are 0 and leave the mean.
    * PyTorch, optax, Keras 3 and scikit-learn have no ListMLE loss (keras-rs, a
      separate package, has ``ListMLELoss``: not compared here).

    References
    ----------
    F. Xia, T.-Y. Liu, J. Wang, W. Zhang, H. Li, "Listwise Approach to Learning to
    Rank: Theory and Algorithm", ICML (2008).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> s = np.array([[2.0, 1.0, 3.0], [1.0, 0.5, 1.5]])
    >>> y = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 1.0]])
    >>> lx.listmle_loss(s, y, reduction="none")
    array([3.53453398, 2.15434665])
    """
    check_reduction(reduction)
    xp, s, y, v, ranks, out, invalid = _lists(scores, relevance, where, axis)
    if is_empty(s):
        return _end(xp, xp.sum(s, axis=-1), ranks, out, reduction, invalid)
    L = s.shape[-1]
    pos = xp.arange(L, device=device(s))
    yi, yj = xp.expand_dims(y, axis=-1), xp.expand_dims(y, axis=-2)
    later = (yj < yi) | ((yj == yi) & (xp.reshape(pos, (1, L)) >= xp.reshape(pos, (L, 1))))
    # row i: the valid items j at or after the valid item i in the permutation
    after = later & xp.expand_dims(v, axis=-1) & xp.expand_dims(v, axis=-2)
    sj = xp.expand_dims(s, axis=-2)
    m = _shift(xp, sj, after, -1)  # (..., L, 1): row i's maximum (>= s_i where valid)
    z = xp.where(after, sj - m, 0.0)
    total = xp.sum(xp.where(after, xp.exp(z), 0.0), axis=-1)  # >= 1 where i is valid
    terms = (xp.squeeze(m, axis=-1) - s) + xp.log(xp.where(total > 0.0, total, 1.0))
    loss = xp.sum(xp.where(v, terms, 0.0), axis=-1)
    return _end(xp, loss, ranks, out, reduction, invalid)
