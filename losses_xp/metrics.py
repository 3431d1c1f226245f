"""Metrics: Hamming loss and top-k accuracy (not differentiable; jit-safe, no sort)."""

from __future__ import annotations

import math
import numbers
from typing import Any

from ._classes import check_indices, class_inputs, index_masks
from ._compat import Array, Namespace, default_float, namespace
from ._declare import declare
from ._primitives import gather_at_class
from ._reduction import cast, finish, mean
from ._validation import check_reduction, option_array, python_number, same_shape

__all__ = ["hamming_loss", "top_k_accuracy"]


def _as_bool(xp: Namespace, labels: Array) -> Array:
    """0/1 labels as bool: floating ones above 0.5, integer ones non-zero."""
    if labels.dtype == xp.bool:
        return labels
    if xp.isdtype(labels.dtype, "real floating"):
        return labels > 0.5
    return labels != 0


def hamming_terms(input: Array, target: Array, threshold: float = 0.5,
                  sample_weight: Array | None = None
                  ) -> tuple[Namespace, Array, Array | None, Any]:
    """``(xp, terms, weight, dtype)``: the per-sample terms of :func:`hamming_loss`
    (``s_i HL_i``, or ``HL_i`` without sample weights), the weights (``None``: each
    sample counts 1), in the compute dtype, and the result's dtype.  The loss is
    ``sum(terms) / sum(weight)`` (``/ N`` without weights): :func:`hamming_loss` and the
    streaming ``losses_xp.streaming.HammingLossState`` both sum these terms."""
    t = python_number(threshold, "threshold")
    xp = namespace({"input": input, "target": target}, {"sample_weight": sample_weight})
    same_shape(input, target, ("input", "target"))
    if input.ndim == 0:
        raise ValueError("`input` must have at least 1 dimension (samples); got a 0-d array")
    floating = xp.isdtype(input.dtype, "real floating")
    dtype = input.dtype if floating else default_float(xp, input)  # the result's
    if floating:
        pred = cast(xp, input, xp.float32 if xp.finfo(dtype).bits < 32 else dtype) > t
        wrong = pred != _as_bool(xp, target)
    elif input.dtype == xp.bool or target.dtype == xp.bool:
        wrong = _as_bool(xp, input) != _as_bool(xp, target)
    elif xp.isdtype(target.dtype, "real floating"):  # integer labels, floating 0/1 target
        wrong = cast(xp, input, target.dtype) != target
    else:
        wrong = input != target
    compute = xp.float32 if xp.finfo(dtype).bits < 32 else dtype
    per_sample = cast(xp, wrong, compute)
    if per_sample.ndim > 1:
        per_sample = mean(xp, per_sample, axis=tuple(range(1, per_sample.ndim)))
    if sample_weight is None:
        return xp, per_sample, None, dtype
    w = option_array(xp, sample_weight, "sample_weight", compute, input)
    if tuple(w.shape) != (input.shape[0],):
        raise ValueError(
            f"`sample_weight` must have one weight per sample, shape ({input.shape[0]},); "
            f"got shape {tuple(w.shape)}"
        )
    return xp, per_sample * w, w, dtype


@declare(prediction="scores", target="binary",
         options={"threshold": "threshold", "sample_weight": "sample_weight"},
         reductions=("mean",), differentiable=(), growth="bounded", unit="batch", min_ndim=1,
         peers={"keras": ("keras.metrics.BinaryAccuracy",),
                "sklearn": ("metrics.hamming_loss",)})
def hamming_loss(input: Array, target: Array, *, threshold: float = 0.5,
                 sample_weight: Array | None = None) -> Array:
    r"""Fraction of wrong labels (``sklearn.metrics.hamming_loss``).

    .. math::
        \mathrm{HL} = \frac{\sum_i s_i \sum_l [\hat y_{il} \ne y_{il}]}{L \sum_i s_i}

    over samples :math:`i` (the first axis) and labels :math:`l` (the remaining axes,
    :math:`L` of them; 1-d inputs are multi-class labels, :math:`L = 1`).

    Parameters
    ----------
    input : array
        Hard labels (integer or bool), compared as they are (a bool side against
        0/1 labels: non-zero is true, floating above 0.5 is true), or scores (floating),
        binarised as ``input > threshold`` (strictly greater, as Keras's binary
        accuracy; a score equal to the threshold is a negative).  For logits pass
        ``threshold=0.0``.
    target : array
        True labels (integer, bool, or floating 0/1) of exactly ``input``'s shape.
    threshold : float
        Default 0.5 (for probabilities, as torchmetrics and Keras's binary accuracy;
        scikit-learn takes hard labels only).  torchmetrics applies a sigmoid to
        inputs outside [0, 1] automatically; here logits need ``threshold=0.0``.
    sample_weight : array or sequence, optional
        One weight per sample, shape ``(N,)``.

    Returns
    -------
    array
        0-d: the (sample-weighted) mean over every label; there is no ``reduction``
        argument (as scikit-learn).  In ``input``'s floating dtype (the library's
        default float for hard labels).  An empty input gives NaN.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> s = np.array([[0.1, 0.9, 0.3], [0.8, 0.2, 0.6], [0.4, 0.5, 0.7]])
    >>> y = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 1]])
    >>> float(lx.hamming_loss(s, y, threshold=0.0)) == 4 / 9
    True
    """
    xp, terms, weight, dtype = hamming_terms(input, target, threshold, sample_weight)
    # Σ s_i HL_i / Σ s_i (NaN for a zero Σ s_i without a 0/0), or the mean of HL_i
    return finish(xp, terms, dtype, "mean", weight=weight)


@declare(prediction="scores", target="index", class_axis="axis",
         options={"k": "k", "axis": "axis"}, differentiable=(), growth="bounded",
         unit="sample", min_ndim=1,
         peers={"keras": ("keras.metrics.sparse_top_k_categorical_accuracy",
                          "keras.metrics.top_k_categorical_accuracy"),
                "sklearn": ("metrics.top_k_accuracy_score", "metrics.accuracy_score")})
def top_k_accuracy(scores: Array, target: Array, *, k: int = 1, axis: int | None = None,
                   reduction: str = "mean") -> Array:
    r"""Whether the true class is among the ``k`` highest scores.

    .. math::
        a_i = \big[\,\#\{c : s_{i,c} > s_{i,y_i}\} < k\,\big]

    i.e. the rank of the true class, counted as the number of classes with a strictly
    higher score, is below ``k``.  No sort: one comparison against the true class's
    score, so it is jit-safe and :math:`O(NC)`.

    **Tie rule**: a class tied with the true class does not push it down, so ties are
    resolved in favour of the true class (an optimistic count, as TensorFlow's
    ``in_top_k`` documents).  ``sklearn.metrics.top_k_accuracy_score`` agrees on
    tie-free inputs; on ties it follows its ``argsort`` order and torchmetrics its
    ``topk`` order, so they may count a tied true class as a miss.  Default ``k=1``
    (plain accuracy), class axis last.

    Parameters
    ----------
    scores : array
        Real floating scores (logits or probabilities), classes along ``axis``.
    target : array
        Integer class indices of ``scores``' shape without ``axis``.  An index outside
        ``[0, C)`` raises ``ValueError`` when readable and gives NaN under tracing.
    k : int >= 1
        A Python or NumPy integer (not a bool).  ``k >= C`` counts every sample as
        correct.
    axis : int, optional
        The class axis; ``1`` for PyTorch's ``(N, C, d1, ...)`` layout.  Not given: the
        last axis, except where a class-index ``target`` fits both the last axis and
        axis 1 of a 3-d or higher input (``(N, C, L)`` with ``L == C`` and an ``(N, L)``
        target): a ``ValueError`` asks for ``axis=1`` or ``axis=-1`` instead of a guess.
    reduction : {'mean', 'sum', 'none'}
        ``none``: 1.0 or 0.0 per sample; ``mean``: the accuracy; ``sum``: the number of
        hits.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> s = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]])
    >>> float(lx.top_k_accuracy(s, np.array([2, 1]), k=2))
    0.5
    """
    check_reduction(reduction)
    k = _top_k(k)
    xp, s, ax, out, _, _ = class_inputs(scores, target, axis, "scores")
    check_indices(xp, target, s.shape[ax], None)
    _, invalid, safe = index_masks(xp, target, s.shape[ax], None)
    true_score = xp.expand_dims(gather_at_class(xp, s, safe, ax), axis=ax)
    above = xp.sum(cast(xp, s > true_score, xp.int32), axis=ax)  # classes ranked above
    hit = cast(xp, above < k, s.dtype)
    return finish(xp, xp.where(invalid, math.nan, hit), out, reduction)


def _top_k(k: object) -> int:
    """``k`` as a Python int: any integer type (``numbers.Integral``, e.g. a NumPy
    ``int64`` taken from an array's shape or a config), never a bool or a float."""
    if type(k) is int and k >= 1:  # the common case, without an ABC check under tracing
        return k
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"`k` must be an int (Python or NumPy integer); got {type(k).__name__}")
    if k < 1:
        raise ValueError(f"`k` must be >= 1; got {int(k)}")
    return int(k)
