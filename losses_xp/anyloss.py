"""AnyLoss: confusion-matrix metrics as differentiable losses (Han, Moniz & Chawla, 2024).

Probabilities are pushed towards 0/1 by the approximation function

.. math:: A(p) = \\frac{1}{1 + e^{-L (p - 1/2)}}

(:math:`L = 73` recommended by the paper) and a *soft* confusion matrix is built from
sums over the batch; any metric of (TP, FN, FP, TN) then becomes a loss
:math:`1 - \\mathrm{metric}`.  Differences from the reference code, which is binary-only
and written for Keras: :math:`N` is the number of elements actually reduced (the batch,
never the training-set size, so TN, accuracy, G-mean and balanced accuracy are right
under mini-batching); every denominator is guarded, so a batch in which one class is
absent gives a finite value and finite gradients; multi-class one-vs-rest counts with
macro or micro averaging; logits accepted with ``from_logits=True``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._classes import check_indices, class_inputs, index_masks
from ._compat import Array, Namespace
from ._declare import declare
from ._primitives import log_softmax, one_hot
from ._reduction import cast, finish
from ._validation import (
    check_reduction,
    either,
    elementwise_inputs,
    python_number,
    refuse_parts,
    values_in_range,
)

__all__ = ["any_loss", "soft_confusion_matrix"]

Counts = tuple[Array, Array, Array, Array]


def _sigmoid_pair(xp: Namespace, x: Array) -> tuple[Array, Array]:
    """``(sigmoid(x), sigmoid(-x)) = (A, 1 - A)``, both to full relative precision (no
    ``1 - A`` cancellation when A is close to 1); see :func:`_sigmoid`."""
    pos = x >= 0.0
    e = xp.exp(xp.where(pos, -x, x))
    big, small = 1.0 / (1.0 + e), e / (1.0 + e)
    return xp.where(pos, big, small), xp.where(pos, small, big)


def _sigmoid(xp: Namespace, x: Array) -> Array:
    """1 / (1 + e^{-x}) to full relative precision in both tails: ``e / (1 + e)`` with
    ``e = exp(-|x|)``, ``|x|`` as a ``where`` of the two signs (the derivative at 0 is
    1/4 on every backend)."""
    return _sigmoid_pair(xp, x)[0]


def _counts(probs: Array, target: Array, L: float, axis: int | None, from_logits: bool
            ) -> tuple[Namespace, Any, Array | None, Counts]:
    """Validate and return ``(xp, out dtype, invalid, (tp, fn, fp, tn))`` in the compute
    dtype; ``invalid``: the 0-d flag of values that could not be checked eagerly (an
    invalid value makes every count NaN, in ``finish``)."""
    L = python_number(L, "L", minimum=0.0, strict=True)
    if not isinstance(from_logits, bool):
        raise TypeError(f"`from_logits` must be a bool; got {type(from_logits).__name__}")
    reduce_axes: tuple[int, ...] | None = None
    if axis is None:
        xp, p, y, out_dtype, invalid, _ = elementwise_inputs(
            probs, target, ("probs", "target"), binary=True, probs=not from_logits)
        if from_logits:
            p = _sigmoid(xp, p)
    else:
        xp, p, ax, out_dtype, _, invalid = class_inputs(probs, target, axis, "probs")
        if from_logits:
            p = xp.exp(log_softmax(xp, p, ax))
        else:
            invalid = values_in_range(xp, probs, 0.0, 1.0, "probs", essential=True)
        num_classes = p.shape[ax]
        check_indices(xp, target, num_classes, None)
        _, bad, safe = index_masks(xp, target, num_classes, None)
        y = cast(xp, one_hot(xp, safe, num_classes, ax), p.dtype)
        reduce_axes = tuple(a for a in range(probs.ndim) if a != ax)
        invalid = either(invalid, xp.any(bad))  # an index out of range: every count NaN
    # Each count its own sum of non-negative terms, 1 - A as A(-x): no cancellation
    a, abar = _sigmoid_pair(xp, L * (p - 0.5))
    ybar = 1.0 - y
    tp = xp.sum(y * a, axis=reduce_axes)
    fn = xp.sum(y * abar, axis=reduce_axes)
    fp = xp.sum(ybar * a, axis=reduce_axes)
    tn = xp.sum(ybar * abar, axis=reduce_axes)
    return xp, out_dtype, invalid, (tp, fn, fp, tn)


@declare(prediction="probs_or_logits", target="binary_or_index", class_axis="optional",
         options={"L": "steepness", "axis": "axis_or_none", "from_logits": "flag"},
         reductions=("none",), growth="bounded", unit="class", tuple_output=True,
         peers={"keras": ("keras.metrics.TruePositives", "keras.metrics.FalseNegatives",
                          "keras.metrics.FalsePositives", "keras.metrics.TrueNegatives"),
                "sklearn": ("metrics.confusion_matrix", "metrics.multilabel_confusion_matrix")})
def soft_confusion_matrix(probs: Array, target: Array, *, L: float = 73.0,
                          axis: int | None = None, from_logits: bool = False) -> Counts:
    r"""Soft confusion-matrix counts ``(tp, fn, fp, tn)`` from approximated probabilities.

    .. math::
        \mathrm{TP} = \sum y A, \quad \mathrm{FN} = \sum y - \mathrm{TP}, \quad
        \mathrm{FP} = \sum A - \mathrm{TP}, \quad
        \mathrm{TN} = N - \sum y - \sum A + \mathrm{TP}

    with :math:`A = A(p)` the approximation function (module docstring) and :math:`N`
    the number of elements reduced.  Each count is evaluated as its own sum,
    :math:`\mathrm{FN} = \sum y (1 - A)`, :math:`\mathrm{FP} = \sum (1 - y) A`,
    :math:`\mathrm{TN} = \sum (1 - y)(1 - A)` with :math:`1 - A = A` of the negated
    argument (equal to the formulas above, without their cancellation in float32).

    Parameters
    ----------
    probs : array
        Probabilities (or logits with ``from_logits=True``), real floating dtype.
        Probabilities outside [0, 1] (or NaN), and at the value-check level ``"all"``
        (:func:`value_checks`) 0/1 targets outside it: ``ValueError`` where the
        values can be read eagerly, every count NaN where they cannot (``jax.jit``,
        ``torch.compile``, Dask, an accelerator).
    target : array
        ``axis=None`` (binary / multi-label): 0/1 labels of ``probs``' shape; every
        element is pooled into one set of scalar counts, :math:`N` = ``probs.size``.
        ``axis`` given (multi-class): integer class indices of ``probs``' shape without
        ``axis``, one-hot encoded along it; the counts are one-vs-rest per class, shape
        ``(C,)``, :math:`N` = ``target.size``.
    L : float > 0
        Steepness of :math:`A`; 73 as recommended by the paper.
    axis : int or None
        Class axis of ``probs`` for multi-class inputs.
    from_logits : bool
        Apply a sigmoid (``axis=None``) or a softmax over ``axis`` first.

    Returns
    -------
    tuple of arrays
        ``(tp, fn, fp, tn)`` in ``probs``' dtype (half precision is computed in float32).
        There is no ``reduction``: the counts are sums over every element (binary) or
        over the samples of each class (multi-class).  A class index outside ``[0, C)``
        raises ``ValueError`` when readable and makes every count NaN under tracing.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> tp, fn, fp, tn = lx.soft_confusion_matrix(np.array([0.9, 0.2, 0.8]),
    ...                                           np.array([1, 0, 0]))
    >>> [round(float(c), 4) for c in (tp, fn, fp, tn)]
    [1.0, 0.0, 1.0, 1.0]
    """
    xp, out_dtype, invalid, counts = _counts(probs, target, L, axis, from_logits)
    tp, fn, fp, tn = (finish(xp, c, out_dtype, invalid=invalid) for c in counts)
    return tp, fn, fp, tn


def _div(xp: Namespace, num: Array, den: Array) -> Array:
    """num / den, and 0 where den == 0 (double where: no 0/0 in value or gradient)."""
    ok = den != 0.0
    return xp.where(ok, num / xp.where(ok, den, 1.0), 0.0)


def _sqrt(xp: Namespace, x: Array) -> Array:
    """sqrt with a 0 (not infinite) derivative at 0."""
    ok = x > 0.0
    return xp.where(ok, xp.sqrt(xp.where(ok, x, 1.0)), 0.0)


def _metric(name: str, beta: float) -> Callable[[Namespace, Array, Array, Array, Array], Array]:
    b2 = beta * beta
    table: dict[str, Callable[[Namespace, Array, Array, Array, Array], Array]] = {
        "accuracy": lambda xp, tp, fn, fp, tn: _div(xp, tp + tn, tp + fn + fp + tn),
        "f1": lambda xp, tp, fn, fp, tn: _div(xp, 2.0 * tp, 2.0 * tp + fn + fp),
        "fbeta": lambda xp, tp, fn, fp, tn: _div(
            xp, (1.0 + b2) * tp, (1.0 + b2) * tp + b2 * fn + fp),
        "precision": lambda xp, tp, fn, fp, tn: _div(xp, tp, tp + fp),
        "recall": lambda xp, tp, fn, fp, tn: _div(xp, tp, tp + fn),
        "gmean": lambda xp, tp, fn, fp, tn: _sqrt(
            xp, _div(xp, tp, tp + fn) * _div(xp, tn, tn + fp)),
        "balanced_accuracy": lambda xp, tp, fn, fp, tn: 0.5 * (
            _div(xp, tp, tp + fn) + _div(xp, tn, tn + fp)),
        "mcc": lambda xp, tp, fn, fp, tn: _div(
            xp, tp * tn - fp * fn, _sqrt(xp, (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))),
        "jaccard": lambda xp, tp, fn, fp, tn: _div(xp, tp, tp + fn + fp),
    }
    return table[name]


METRICS = ("accuracy", "f1", "fbeta", "precision", "recall", "gmean", "balanced_accuracy",
           "mcc", "jaccard")


@declare(prediction="probs_or_logits", target="binary_or_index", class_axis="optional",
         options={"metric": METRICS, "L": "steepness", "beta": "positive",
                  "axis": "axis_or_none", "average": ("macro", "micro"),
                  "from_logits": "flag"},
         growth="bounded", unit="class",
         peers={"keras": ("keras.metrics.F1Score", "keras.metrics.FBetaScore",
                          "keras.metrics.Precision", "keras.metrics.Recall"),
                "sklearn": ("metrics.f1_score", "metrics.fbeta_score", "metrics.precision_score",
                            "recall_score", "balanced_accuracy_score", "matthews_corrcoef",
                            "jaccard_score")})
def any_loss(probs: Array, target: Array, *,
             metric: str | Callable[[Array, Array, Array, Array], Array] = "f1",
             L: float = 73.0, beta: float = 1.0, axis: int | None = None,
             average: str = "macro", from_logits: bool = False,
             reduction: str = "mean") -> Array:
    r"""AnyLoss: one minus a confusion-matrix metric of the soft confusion matrix.

    .. math::
        \ell = 1 - \mathrm{metric}(\mathrm{TP}, \mathrm{FN}, \mathrm{FP}, \mathrm{TN})

    with the soft counts of :func:`soft_confusion_matrix` (one set for binary /
    multi-label inputs; one per class, one-vs-rest, for multi-class inputs).

    Built-in metrics (a zero denominator gives a score of 0, as scikit-learn's
    ``zero_division=0``, with a finite gradient):

    ============================  ====================================================
    ``accuracy``                  :math:`(TP + TN) / N`
    ``f1``                        :math:`2TP / (2TP + FN + FP)`
    ``fbeta``                     :math:`(1+\beta^2) TP / ((1+\beta^2) TP + \beta^2 FN + FP)`
    ``precision``                 :math:`TP / (TP + FP)`
    ``recall``                    :math:`TP / (TP + FN)`
    ``gmean``                     :math:`\sqrt{\mathrm{recall} \cdot \mathrm{specificity}}`,
                                  specificity :math:`= TN / (TN + FP)`
    ``balanced_accuracy``         :math:`(\mathrm{recall} + \mathrm{specificity}) / 2`
    ``mcc``                       :math:`(TP\,TN - FP\,FN) / \sqrt{(TP+FP)(TP+FN)(TN+FP)(TN+FN)}`
    ``jaccard``                   :math:`TP / (TP + FN + FP)`
    ============================  ====================================================

    ``metric`` may instead be a callable ``(tp, fn, fp, tn) -> score`` written with
    array-API operations (on the counts' arrays), which is the point of "any".

    Parameters
    ----------
    probs, target, L, axis, from_logits
        As in :func:`soft_confusion_matrix`.
    metric : str or callable
        Default ``"f1"``.
    beta : float > 0
        For ``"fbeta"``.
    average : {'macro', 'micro'}
        Multi-class only: ``macro`` scores each class one-vs-rest, ``micro`` scores the
        counts summed over classes.
    reduction : {'mean', 'sum', 'none'}
        Multi-class ``macro`` only: ``none`` returns the per-class losses (shape
        ``(C,)``), ``mean`` their mean (the macro average), ``sum`` their sum.  Binary
        and ``micro`` losses are one scalar for every reduction.

    Notes
    -----
    With a large ``L`` (e.g. 1e4) and probabilities away from 0.5, :math:`A(p)` is the
    0/1 prediction and the soft metric equals the hard one (e.g.
    ``sklearn.metrics.f1_score``); for multi-class inputs that holds where each sample
    has one class above 0.5 (one-vs-rest thresholding equals the argmax then).

    References
    ----------
    D. Han, N. Moniz, N. V. Chawla, "AnyLoss: Transforming Classification Metrics into
    Loss Functions", KDD 2024 (arXiv:2405.14745).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> p = np.array([0.9, 0.2, 0.8, 0.1]); y = np.array([1, 0, 0, 1])
    >>> round(float(lx.any_loss(p, y, metric="f1")), 4)
    0.5
    """
    refuse_parts(check_reduction(reduction), "any_loss",
                 "a metric of the batch's confusion counts is not a sum over samples; "
                 "accumulate the counts (losses_xp.streaming, or soft_confusion_matrix "
                 "summed over the shards) and take the metric of their sum")
    if average not in ("macro", "micro"):
        raise ValueError(f"`average` must be one of 'macro', 'micro'; got {average!r}")
    score_fn: Callable[[Namespace, Array, Array, Array, Array], Array]
    if callable(metric):
        user = metric

        def user_score(xp: Namespace, tp: Array, fn: Array, fp: Array, tn: Array) -> Array:
            return user(tp, fn, fp, tn)
        score_fn = user_score
    elif isinstance(metric, str) and metric in METRICS:
        score_fn = _metric(metric, python_number(beta, "beta", minimum=0.0, strict=True))
    else:
        valid = ", ".join(repr(m) for m in METRICS)
        raise ValueError(f"`metric` must be a callable or one of {valid}; got {metric!r}")
    xp, out_dtype, invalid, (tp, fn, fp, tn) = _counts(probs, target, L, axis, from_logits)
    if axis is not None and average == "micro":
        tp, fn, fp, tn = (xp.sum(c) for c in (tp, fn, fp, tn))
    loss = 1.0 - score_fn(xp, tp, fn, fp, tn)
    return finish(xp, loss, out_dtype, reduction if loss.ndim else "none", invalid=invalid)
