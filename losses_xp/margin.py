"""Margin and hinge losses: binary and multi-class hinges, soft margins, margin ranking.

Conventions shared by this module:

* Prediction first (``scores``: real values that are compared with each other or with a
  margin, not probabilities), target second, options keyword-only, ``reduction="mean"``
  last.
* The multi-class margins (:func:`multi_margin_loss`, :func:`multiclass_hinge_loss`,
  :func:`multilabel_soft_margin_loss`) have a class axis ``axis``, the last by default
  (``axis=-1``, as the issue's API and PyTorch's ``(N, C)`` layout; an N-d input with the
  classes at axis 1 passes ``axis=1``).  Their ``none`` gives one value per sample (the
  input's shape without ``axis``) and ``mean`` divides the sum of those by the number
  of samples (NaN for an empty batch).  The per-sample value of PyTorch's two losses is
  divided by the number of classes ``C`` (PyTorch's definition; Crammer-Singer's hinge
  is not).
* Class-index targets have the scores' shape without the class axis and an integer
  dtype; an index outside ``[0, C)`` raises ``ValueError`` where the values can be read
  eagerly and makes that sample's loss NaN where they cannot (``jax.jit``,
  ``torch.compile``, Dask, an accelerator): never a plausible number.
* A hinge ``max(0, z)`` has the derivative 0 at its kink ``z = 0`` (PyTorch's choice).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ._classes import (
    check_indices,
    class_inputs,
    class_vector,
    expand_at,
    index_masks,
    take_class,
)
from ._compat import Array, is_empty, namespace
from ._declare import declare
from ._primitives import binary_logit_loss, gather_at_class, one_hot
from ._reduction import finish
from ._validation import check_reduction, elementwise_inputs, normalize_axis, python_number

__all__: list[str] = ["multi_margin_loss", "multiclass_hinge_loss",
                      "multilabel_soft_margin_loss"]


# ------------------------------------------------------------------ multi-class margins


@declare(prediction="logits", target="index", class_axis="axis",
         options={"p": (1, 2), "margin": "non_negative", "weight": "class_weight",
                  "axis": "axis"},
         growth="quadratic", unit="sample", min_ndim=1,
         peers={"pytorch": ("F.multi_margin_loss", "torch.nn.MultiMarginLoss")})
def multi_margin_loss(scores: Array, target: Array, *, p: int = 1, margin: float = 1.0,
                      weight: Array | Sequence[float] | None = None, axis: int = -1,
                      reduction: str = "mean") -> Array:
    r"""Multi-class margin loss (Weston-Watkins), PyTorch's ``multi_margin_loss``.

    .. math:: \ell_i = \frac{w_{y_i}}{C} \sum_{j \ne y_i}
              \max\big(0,\ m - s_{i, y_i} + s_{i, j}\big)^p

    for the scores :math:`s` with ``C`` classes along ``axis`` and class indices
    :math:`y`: every other class whose score comes within the margin :math:`m` of the
    target's is penalised (Weston & Watkins), and the sum is divided by ``C`` (PyTorch's
    normalisation, which counts the target's own class in ``C`` although it never
    contributes).  The hinge's derivative is 0 at its kink (as PyTorch).  The
    differences :math:`s_j - s_y` are formed first, so the loss is exactly 0 once every
    other class is a margin below the target, whatever the scores' magnitude.

    Parameters
    ----------
    scores : array
        Real floating dtype, classes along ``axis``.
    target : array
        Integer class indices, ``scores``' shape without ``axis``.  An index outside
        ``[0, C)`` raises ``ValueError`` where the values can be read eagerly and makes
        that sample's loss NaN where they cannot (an essential check,
        :func:`value_checks`).
    p : {1, 2}
        The hinge's power, default 1 (2: the squared hinge), as PyTorch.
    margin : float
        :math:`m` >= 0, default 1.0.
    weight : array or sequence, optional
        One weight :math:`w_c` >= 0 per class, shape ``(C,)``, applied at the target's
        class (PyTorch's ``weight``).  Default: all 1.
    axis : int
        The class axis, default -1 (the last).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per sample (``target``'s shape); ``mean`` divides their sum
        by the number of samples, with or without ``weight`` (PyTorch too: not the
        weighted mean of :func:`cross_entropy`); NaN for an empty batch.

    Notes
    -----
    Differences from peers: equals ``torch.nn.functional.multi_margin_loss`` (and
    ``torch.nn.MultiMarginLoss``), which takes only ``(C,)`` or ``(N, C)`` scores; here
    any number of batch axes and any class axis.  PyTorch accepts a negative margin,
    which makes the loss 0 for some wrongly ranked scores: here ``margin`` must be >= 0.
    PyTorch returns an uninitialised value for the ``mean`` of an empty batch; NaN here.
    optax, Keras (``categorical_hinge``) and scikit-learn (``hinge_loss``) implement
    the Crammer-Singer hinge instead, the maximum over the other classes without the
    division by ``C``: :func:`multiclass_hinge_loss`.

    References
    ----------
    J. Weston, C. Watkins, "Support Vector Machines for Multi-Class Pattern
    Recognition", ESANN 1999; PyTorch, ``torch.nn.MultiMarginLoss``.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> s = np.array([[0.1, 0.2, 0.4, 0.8], [2.0, -1.0, 0.5, 0.0]])
    >>> lx.multi_margin_loss(s, np.array([3, 0]), reduction="none")
    array([0.325, 0.   ])
    >>> lx.multi_margin_loss(s, np.array([3, 2]), p=2, weight=[1.0, 1.0, 2.0, 1.0],
    ...                      reduction="none")
    array([0.1525, 3.25  ])
    """
    if isinstance(p, bool) or p not in (1, 2):
        raise ValueError(f"`p` must be one of 1, 2; got {p!r}")
    m = python_number(margin, "margin", minimum=0.0)
    check_reduction(reduction)
    xp, s, ax, out, _, _ = class_inputs(scores, target, axis, "scores", {"weight": weight})
    num_classes = s.shape[ax]
    w = None if weight is None else class_vector(xp, weight, "weight", num_classes,
                                                   s.dtype, s)
    check_indices(xp, target, num_classes, None)
    _, bad, safe = index_masks(xp, target, num_classes, None)
    s_y = xp.expand_dims(gather_at_class(xp, s, safe, ax), axis=ax)
    z = (s - s_y) + m  # (the difference first: exact 0 far below the target)
    # the target's own class and the flat side of the hinge are 0 (derivative 0 at z = 0)
    h = xp.where(one_hot(xp, safe, num_classes, ax) | (z <= 0.0), 0.0, z)
    if p == 2:
        h = h * h
    loss = xp.sum(h, axis=ax) / num_classes
    if w is not None:
        loss = loss * take_class(xp, w, safe)
    return finish(xp, xp.where(bad, math.nan, loss), out, reduction)


@declare(prediction="logits", target="index", class_axis="axis", options={"axis": "axis"},
         unit="sample", min_ndim=1,
         peers={"optax": ("optax.losses.multiclass_hinge_loss",),
                "sklearn": ("metrics.hinge_loss",),
                "keras": ("keras.losses.categorical_hinge", "keras.losses.CategoricalHinge")})
def multiclass_hinge_loss(scores: Array, target: Array, *, axis: int = -1,
                          reduction: str = "mean") -> Array:
    r"""Multi-class hinge loss (Crammer-Singer): the margin of the best other class.

    .. math:: \ell_i = \max_j \big(s_{i, j} + [j \ne y_i]\big) - s_{i, y_i}
              = \max\Big(0,\ 1 + \max_{j \ne y_i} s_{i, j} - s_{i, y_i}\Big)

    for the scores :math:`s` with ``C`` classes along ``axis`` and class indices
    :math:`y`: 0 once the target's score leads every other by at least 1, else the
    shortfall.  Unlike :func:`multi_margin_loss` (Weston-Watkins) only the best other
    class counts and nothing is divided by ``C``.  Computed as the maximum of the
    differences :math:`s_j - s_y + [j \ne y]`, whose target term is exactly 0: the loss
    is never negative and has no rounding of :math:`s_j + 1` against large scores.
    The gradient is :math:`e_{j^*} - e_y` for the maximising class :math:`j^*` (shared
    equally among tied maxima, as ``jnp.max``'s and ``torch.amax``'s).

    Parameters
    ----------
    scores : array
        Real floating dtype, classes along ``axis``.
    target : array
        Integer class indices, ``scores``' shape without ``axis``.  An index outside
        ``[0, C)`` raises ``ValueError`` where the values can be read eagerly and makes
        that sample's loss NaN where they cannot (an essential check,
        :func:`value_checks`).
    axis : int
        The class axis, default -1 (the last).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per sample (``target``'s shape); ``mean`` divides their sum
        by the number of samples (NaN for an empty batch).

    Notes
    -----
    Differences from peers: ``optax.losses.multiclass_hinge_loss(scores, labels)`` is
    ``reduction="none"`` (classes last only), computed as :math:`\max_j(s_j + 1 -
    [j = y]) - s_y`, in which :math:`s_j + 1` rounds to :math:`s_j` beyond
    :math:`2^{24}` in float32: two equal float32 scores of :math:`2^{25}` give optax 0
    and the exact 1 here (a pinned case).  scikit-learn's
    ``metrics.hinge_loss(y, scores, labels=range(C))`` is the same mean for ``C >= 3``
    (``1 - (s_y - max_{j != y} s_j)`` clipped at 0); with two classes it takes one
    decision value per sample instead (its binary hinge).  Keras's
    ``categorical_hinge(one_hot(y), scores)`` takes the maximum of
    :math:`(1 - t_j) s_j`, which puts a 0 in the target's place: it is
    :math:`\max(0, 1 + \max(0, \max_{j \ne y} s_j) - s_y)`, the same only where some
    other score is >= 0 (probabilities), e.g. 2 instead of 0 for scores
    ``[-1, -2, -3]`` and target 0.  PyTorch has no Crammer-Singer loss
    (``F.multi_margin_loss`` is Weston-Watkins).

    References
    ----------
    K. Crammer, Y. Singer, "On the Algorithmic Implementation of Multiclass Kernel-based
    Vector Machines", JMLR 2 (2001).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> s = np.array([[0.1, 0.2, 0.4, 0.8], [2.0, -1.0, 0.5, 0.0], [-1.0, -2.0, -3.0, -4.0]])
    >>> lx.multiclass_hinge_loss(s, np.array([3, 2, 0]), reduction="none")
    array([0.6, 2.5, 0. ])
    """
    check_reduction(reduction)
    xp, s, ax, out, _, _ = class_inputs(scores, target, axis, "scores")
    num_classes = s.shape[ax]
    check_indices(xp, target, num_classes, None)
    _, bad, safe = index_masks(xp, target, num_classes, None)
    if is_empty(s):  # (Dask's max of an empty chunk raises; the samples' shape is enough)
        return finish(xp, xp.sum(s, axis=ax), out, reduction)
    s_y = xp.expand_dims(gather_at_class(xp, s, safe, ax), axis=ax)
    other = xp.astype(xp.logical_not(one_hot(xp, safe, num_classes, ax)), s.dtype)
    loss = xp.max((s - s_y) + other, axis=ax)  # (the target's term is exactly 0)
    return finish(xp, xp.where(bad, math.nan, loss), out, reduction)


@declare(prediction="logits", target="binary", class_axis="axis",
         options={"weight": "class_weight", "axis": "axis"}, unit="sample", min_ndim=1,
         peers={"pytorch": ("F.multilabel_soft_margin_loss",
                            "torch.nn.MultiLabelSoftMarginLoss")})
def multilabel_soft_margin_loss(scores: Array, target: Array, *,
                                weight: Array | Sequence[float] | None = None,
                                axis: int = -1, reduction: str = "mean") -> Array:
    r"""Multi-label soft margin loss, PyTorch's ``multilabel_soft_margin_loss``.

    .. math:: \ell_i = \frac{1}{C} \sum_c w_c \big[y_{i,c} \operatorname{softplus}(-x_{i,c})
              + (1 - y_{i,c}) \operatorname{softplus}(x_{i,c})\big]

    which is :math:`-\frac{1}{C}\sum_c w_c [y \log\sigma(x) + (1 - y)\log\sigma(-x)]`:
    the binary cross-entropy on logits of each of the ``C`` labels along ``axis``,
    averaged over the labels (PyTorch divides the per-sample sum by ``C``, the number of
    classes, whatever the weights: pytorch/pytorch#9301), so a sample's value is on
    the scale of one binary cross-entropy.  Computed in log space (each softplus exact
    in both tails, as :func:`binary_cross_entropy_with_logits`): finite values and
    gradients for logits of ±1e4.

    Parameters
    ----------
    scores : array
        Logits, real floating dtype, labels along ``axis``.
    target : array
        0/1 labels of ``scores``' shape (bool, integer or floating; soft targets in
        [0, 1] allowed, as PyTorch).  Checked at the value-check level ``"all"`` only
        (:func:`value_checks`; PyTorch does not check them): outside [0, 1] or NaN,
        ``ValueError`` where the values can be read eagerly, a NaN result (every sample)
        where they cannot.
    weight : array or sequence, optional
        One weight :math:`w_c` >= 0 per class, shape ``(C,)``; the division stays by
        ``C`` (not by the weights' sum).  Default: all 1.
    axis : int
        The class axis, default -1 (the last).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per sample (``scores``' shape without ``axis``); ``mean``
        divides their sum by the number of samples (NaN for an empty batch), so it
        equals the mean over every element of the element-wise binary cross-entropy
        (times the weights).

    Notes
    -----
    Differences from peers: equals ``torch.nn.functional.multilabel_soft_margin_loss``
    (and ``torch.nn.MultiLabelSoftMarginLoss``), which takes the classes on the last
    axis only and broadcasts any ``weight`` against the ``(N, C)`` loss; here ``weight``
    is one value per class and ``axis`` is any axis.  optax, Keras and scikit-learn have
    no multi-label soft margin loss: it is the mean over the labels of their sigmoid
    binary cross-entropy (``optax.losses.sigmoid_binary_cross_entropy(x, y).mean(-1)``,
    Keras's ``binary_crossentropy(y, x, from_logits=True)``).

    References
    ----------
    PyTorch, ``torch.nn.MultiLabelSoftMarginLoss``.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> x = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])
    >>> y = np.array([[1, 0, 1], [0, 1, 0]])
    >>> lx.multilabel_soft_margin_loss(x, y, reduction="none").round(6)
    array([0.304756, 0.289554])
    """
    check_reduction(reduction)
    namespace({"scores": scores, "target": target}, {"weight": weight})
    xp, x, y, out, invalid, _ = elementwise_inputs(scores, target, ("scores", "target"),
                                                   binary=True)
    ax = normalize_axis(x.ndim, axis)
    num_classes = x.shape[ax]
    loss = binary_logit_loss(xp, x, y)
    if weight is not None:
        w = class_vector(xp, weight, "weight", num_classes, x.dtype, x)
        loss = loss * expand_at(xp, w, x.ndim, ax)
    return finish(xp, xp.sum(loss, axis=ax) / num_classes, out, reduction, invalid=invalid)
