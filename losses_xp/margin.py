"""Margin and hinge losses: binary and multi-class hinges, soft margins, margin ranking.

Conventions shared by this module:

* Scores first (real floating), labels second, options keyword-only; every array of a
  call has exactly one shape (no broadcasting, as PyTorch's ``margin_ranking_loss``).
* Binary labels are **signs**: -1 or +1 in any real dtype (floating or integer), or a
  bool array (True = +1, False = -1).  A label of 0 is refused: 0/1 labels are the
  classic silent bug of the hinge (optax's ``hinge_loss`` returns the constant 1 for a
  0 label, and 3 instead of 0 for a score of 2 against 0/1), so a ``ValueError`` says
  how to convert them (``2 * target - 1``, or the bool array ``target == 1``).  The
  check runs at the default value-check level ``"essential"`` (``losses_xp.value_checks``):
  where the values cannot be read eagerly (``jax.jit``, ``torch.compile``, Dask, an
  accelerator) any label other than -1 or +1 makes the whole result NaN instead.  Keras
  converts labels itself where every one of them is 0 or 1
  (``convert_binary_labels_to_hinge``); we refuse rather than convert, so that one
  call is one formula whatever labels a batch happens to hold.
* The unit is an element: ``none`` returns one value per element, ``mean`` divides the
  sum by the number of elements (NaN for an empty input), ``sum`` sums.
* Half precision is computed in float32 and returned in the input dtype; the kink of
  ``max(0, .)`` takes the gradient 0 at exactly the margin on every library.
* The multi-class margins (:func:`~losses_xp.multi_margin_loss`,
  :func:`~losses_xp.multiclass_hinge_loss`, :func:`~losses_xp.multilabel_soft_margin_loss`)
  have a class axis ``axis``, the last by default
  (``axis=-1``, PyTorch's ``(N, C)`` layout; an N-d input with the
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
from typing import Any

from ._classes import (
    check_indices,
    class_inputs,
    class_vector,
    expand_at,
    index_masks,
    take_class,
)
from ._compat import Array, Namespace, is_empty, namespace
from ._declare import declare
from ._primitives import binary_logit_loss, gather_at_class, one_hot, relu, softplus
from ._reduction import cast, finish
from ._validation import (
    check_reduction,
    elementwise_inputs,
    floating_input,
    normalize_axis,
    python_number,
    same_shape,
    sign_values,
)

__all__ = ["hinge_embedding_loss", "hinge_loss", "margin_ranking_loss", "multi_margin_loss",
           "multiclass_hinge_loss", "multilabel_soft_margin_loss", "soft_margin_loss",
           "squared_hinge_loss"]


# ------------------------------------------------------------------ binary margins

def _signs(xp: Namespace, y: Array, given: Array) -> Array:
    """Labels as -1.0 / +1.0 in the compute dtype: a bool label (0/1 once cast) -> ±1."""
    return 2.0 * y - 1.0 if given.dtype == xp.bool else y


def _signed_pair(scores: Array, target: Array, names: tuple[str, str] = ("scores", "target")
                 ) -> tuple[Namespace, Array, Array, Any, Array | None]:
    """The beginning of a loss of scores and sign labels of one shape: the checks of
    ``elementwise_inputs`` and the labels' values.  Returns ``(xp, scores, labels,
    out_dtype, invalid)``, the labels as ±1.0 in the compute dtype."""
    xp, s, y, out, _, _ = elementwise_inputs(scores, target, names)
    invalid = sign_values(xp, target, names[1])
    return xp, s, _signs(xp, y, target), out, invalid


@declare(prediction="logits", target="sign", growth="linear",
         peers={"optax": ("optax.losses.hinge_loss",),
                "keras": ("keras.losses.Hinge", "keras.losses.hinge"),
                "sklearn": ("metrics.hinge_loss",)})
def hinge_loss(scores: Array, target: Array, *, reduction: str = "mean") -> Array:
    r"""Hinge loss of binary classification (the SVM's): :math:`\max(0, 1 - y s)`.

    .. math:: \ell_i = \max(0,\ 1 - y_i s_i), \quad y_i \in \{-1, +1\}

    Parameters
    ----------
    scores : array
        Real scores (decision values, any finite value), real floating dtype.
    target : array
        Labels -1 or +1 of exactly ``scores``' shape, any real dtype, or bool (True =
        +1).  A 0 (0/1 labels) or any other value raises ``ValueError`` where the values
        can be read eagerly (the message says how to convert 0/1 labels: ``2 * target -
        1``), and makes the result NaN where they cannot (``losses_xp.value_checks``,
        level ``"essential"``).
    reduction : {'mean', 'sum', 'none'}
        ``mean`` (the default) divides the sum by the number of elements (NaN for an
        empty input).

    Notes
    -----
    Differences from peers: ``optax.losses.hinge_loss(scores, targets)`` is the same
    element-wise function but does not check its labels: with 0/1 labels it returns a
    wrong number silently (the constant 1 for every 0 label: scores ``[0.5, -2]`` with
    labels ``[0, 1]`` give ``[1, 3]`` where the hinge of the labels ``[-1, 1]`` is
    ``[1.5, 3]``), which we refuse.  Keras's ``hinge(y_true, y_pred)`` takes the labels
    first, averages over the last axis, and converts the labels to ±1 itself where every
    one of them is 0 or 1: equal to ours after ``2 * y - 1`` with 0/1 labels.
    scikit-learn's ``hinge_loss(y_true, pred_decision)`` is the mean for binary labels
    (any two values: the larger is the positive class) and returns a Python float.
    PyTorch has no binary hinge:
    ``F.hinge_embedding_loss`` is another function (:func:`hinge_embedding_loss`).

    References
    ----------
    C. Cortes, V. Vapnik, "Support-vector networks", Machine Learning 20 (1995),
    273-297.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.hinge_loss(np.array([2.0, 0.5, -1.0]), np.array([1, 1, 1]), reduction="none")
    array([0. , 0.5, 2. ])
    >>> lx.hinge_loss(np.array([2.0, 0.5, -1.0]), np.array([True, False, False]))
    array(0.5)
    >>> lx.hinge_loss(np.array([2.0, 0.5]), np.array([1, 0]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `target` must hold -1 or +1 ...: 0/1 labels? Convert them with `2 * target - 1` ...
    """
    check_reduction(reduction)
    xp, s, y, out, invalid = _signed_pair(scores, target)
    return finish(xp, relu(xp, 1.0 - y * s), out, reduction, invalid=invalid)


@declare(prediction="logits", target="sign", growth="quadratic",
         peers={"keras": ("keras.losses.SquaredHinge", "keras.losses.squared_hinge")})
def squared_hinge_loss(scores: Array, target: Array, *, reduction: str = "mean") -> Array:
    r"""Squared hinge loss of binary classification (the L2-SVM's): :math:`\max(0, 1 - y
    s)^2`.

    .. math:: \ell_i = \max(0,\ 1 - y_i s_i)^2, \quad y_i \in \{-1, +1\}

    Differentiable everywhere (its gradient :math:`-2 y \max(0, 1 - y s)` is 0 at the
    margin).  In half precision the square is taken in float32: a score of 300 against
    the wrong label gives 90601, above float16's largest value, so a float16 result is
    ``inf`` there (as every float16 value above 65504).

    Parameters
    ----------
    scores : array
        Real scores, real floating dtype.
    target : array
        Labels -1 or +1 of exactly ``scores``' shape (any real dtype) or bool (True =
        +1); other values as in :func:`hinge_loss` (0/1 labels: ``ValueError`` with the
        conversion ``2 * target - 1``, NaN where the values cannot be read).
    reduction : {'mean', 'sum', 'none'}
        ``mean`` (the default) divides the sum by the number of elements (NaN for an
        empty input).

    Notes
    -----
    Differences from peers: Keras's ``squared_hinge(y_true, y_pred)`` takes the labels
    first, averages over the last axis and converts 0/1 labels itself (ours refuses
    them).  PyTorch, optax and scikit-learn have no binary squared hinge
    (``F.multi_margin_loss(p=2)`` is the multi-class Weston-Watkins one, divided by the
    number of classes).

    References
    ----------
    C. Cortes, V. Vapnik, "Support-vector networks", Machine Learning 20 (1995),
    273-297; the L2-SVM loss: R.-E. Fan et al., "LIBLINEAR: A library for large linear
    classification", JMLR 9 (2008), 1871-1874.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.squared_hinge_loss(np.array([2.0, 0.5, -1.0]), np.array([1.0, 1.0, 1.0]),
    ...                       reduction="none")
    array([0.  , 0.25, 4.  ])
    """
    check_reduction(reduction)
    xp, s, y, out, invalid = _signed_pair(scores, target)
    h = relu(xp, 1.0 - y * s)
    return finish(xp, h * h, out, reduction, invalid=invalid)


@declare(prediction="logits", target="sign", growth="linear",
         peers={"pytorch": ("F.soft_margin_loss", "torch.nn.SoftMarginLoss")})
def soft_margin_loss(scores: Array, target: Array, *, reduction: str = "mean") -> Array:
    r"""Soft margin loss: the logistic loss of scores and ±1 labels, :math:`\log(1 +
    e^{-y s})`.

    .. math:: \ell_i = \log\big(1 + e^{-y_i s_i}\big) = \operatorname{softplus}(-y_i s_i),
              \quad y_i \in \{-1, +1\}

    computed as a softplus, exact in both tails (:math:`y s = 20` gives 2.06e-9, not 0;
    :math:`y s = -10^4` gives :math:`10^4` without overflow); it equals
    :func:`binary_cross_entropy_with_logits` of the scores and the labels :math:`(y +
    1) / 2`.

    Parameters
    ----------
    scores : array
        Real scores (logits), real floating dtype.
    target : array
        Labels -1 or +1 of exactly ``scores``' shape (any real dtype) or bool (True =
        +1); other values as in :func:`hinge_loss` (0/1 labels: ``ValueError`` with the
        conversion, NaN where the values cannot be read).
    reduction : {'mean', 'sum', 'none'}
        ``mean`` (the default) divides the sum by the number of elements (NaN for an
        empty input), as PyTorch's.

    Notes
    -----
    Differences from peers: equals ``torch.nn.functional.soft_margin_loss``, which
    takes any real label without a check (a 0 label gives the constant log 2) and
    computes :math:`\log(1 + e^{-y s})` directly (``inf`` for :math:`-y s` above 88
    in float32, where ours is :math:`-y s`).

    References
    ----------
    PyTorch, ``torch.nn.SoftMarginLoss``; the logistic loss of margin classifiers:
    T. Zhang, "Statistical behavior and consistency of classification methods based on
    convex risk minimization", Annals of Statistics 32 (2004), 56-85.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.soft_margin_loss(np.array([2.0, 0.0, -1.0]), np.array([1, -1, 1]),
    ...                     reduction="none")
    array([0.12692801, 0.69314718, 1.31326169])
    """
    check_reduction(reduction)
    xp, s, y, out, invalid = _signed_pair(scores, target)
    return finish(xp, softplus(xp, -(y * s)), out, reduction, invalid=invalid)


@declare(prediction="logits", target="sign", options={"margin": "real"}, growth="linear",
         signed=True,
         peers={"pytorch": ("F.hinge_embedding_loss", "torch.nn.HingeEmbeddingLoss")})
def hinge_embedding_loss(x: Array, target: Array, *, margin: float = 1.0,
                         reduction: str = "mean") -> Array:
    r"""Hinge embedding loss (PyTorch's): ``x`` where the label is +1, :math:`\max(0,
    \text{margin} - x)` where it is -1.

    .. math:: \ell_i = \begin{cases} x_i & y_i = +1 \\
                                     \max(0,\ \text{margin} - x_i) & y_i = -1 \end{cases}

    ``x`` is typically a distance between two embeddings (e.g. an L1 distance): pairs
    labelled +1 (similar) are pulled together, pairs labelled -1 (dissimilar) pushed
    beyond ``margin``.  **This is not the SVM hinge** :math:`\max(0, 1 - y x)`
    (:func:`hinge_loss`): for :math:`y = +1` the loss is ``x`` itself, unbounded below
    for a negative ``x`` (hence a loss that can be negative).

    Parameters
    ----------
    x : array
        Real inputs (distances, usually >= 0), real floating dtype.
    target : array
        Labels -1 or +1 of exactly ``x``'s shape (any real dtype) or bool (True = +1);
        other values as in :func:`hinge_loss` (0/1 labels: ``ValueError`` with the
        conversion, NaN where the values cannot be read).
    margin : float
        A Python number (any finite value), default 1.0, as PyTorch's.
    reduction : {'mean', 'sum', 'none'}
        ``mean`` (the default) divides the sum by the number of elements (NaN for an
        empty input), as PyTorch's.

    Notes
    -----
    Differences from peers: equals ``torch.nn.functional.hinge_embedding_loss``, which
    does not check its labels: a label that is neither 1 nor -1 (a 0 of 0/1 labels)
    takes both terms there, :math:`x + \max(0, \text{margin} - x)`; we refuse it.  Its
    ``mean`` of an empty input is NaN as ours.  No other peer has it.

    References
    ----------
    PyTorch, ``torch.nn.HingeEmbeddingLoss``; R. Hadsell, S. Chopra, Y. LeCun,
    "Dimensionality reduction by learning an invariant mapping", CVPR 2006 (the
    contrastive form it follows, with the distance unsquared).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.hinge_embedding_loss(np.array([0.3, 0.3, 2.0]), np.array([1, -1, -1]),
    ...                         reduction="none")
    array([0.3, 0.7, 0. ])
    """
    m = python_number(margin, "margin")
    check_reduction(reduction)
    xp, d, y, out, invalid = _signed_pair(x, target, ("x", "target"))
    loss = xp.where(y > 0, d, relu(xp, m - d))
    return finish(xp, loss, out, reduction, invalid=invalid)


@declare(prediction="logits", target="logits", inputs={"target": "sign"},
         options={"margin": "real"}, differentiable=(0, 1), growth="linear",
         peers={"pytorch": ("F.margin_ranking_loss", "torch.nn.MarginRankingLoss")})
def margin_ranking_loss(x1: Array, x2: Array, target: Array, *, margin: float = 0.0,
                        reduction: str = "mean") -> Array:
    r"""Margin ranking loss: :math:`\max(0, -y (x_1 - x_2) + \text{margin})`.

    .. math:: \ell_i = \max\big(0,\ \text{margin} - y_i\,(x_{1,i} - x_{2,i})\big),
              \quad y_i \in \{-1, +1\}

    A label +1 says ``x1`` should rank above ``x2`` by at least ``margin``, -1 the
    reverse.

    Parameters
    ----------
    x1, x2 : array
        Real scores of one shape, real floating dtypes (``x2`` is cast to ``x1``'s
        compute dtype; the result has ``x1``'s dtype).  Both are differentiable.
    target : array
        Labels -1 or +1 of exactly ``x1``'s shape (any real dtype) or bool (True = +1);
        other values as in :func:`hinge_loss` (0/1 labels: ``ValueError`` with the
        conversion, NaN where the values cannot be read).  No broadcasting: the three
        shapes must be equal, as PyTorch requires.
    margin : float
        A Python number (any finite value), default 0.0, as PyTorch's.
    reduction : {'mean', 'sum', 'none'}
        ``mean`` (the default) divides the sum by the number of elements (NaN for an
        empty input), as PyTorch's.

    Notes
    -----
    Differences from peers: equals ``torch.nn.functional.margin_ranking_loss``, which
    does not check its labels (a 0 label gives the constant ``max(0, margin)``); we
    refuse them.  No other peer has it (MLX's ``margin_ranking_loss`` defaults to
    ``reduction='none'``).

    References
    ----------
    PyTorch, ``torch.nn.MarginRankingLoss``; R. Herbrich, T. Graepel, K. Obermayer,
    "Large margin rank boundaries for ordinal regression", Advances in Large Margin
    Classifiers, MIT Press (2000), 115-132.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lx.margin_ranking_loss(np.array([1.0, 0.2, 3.0]), np.array([0.5, 0.4, 1.0]),
    ...                        np.array([1, 1, -1]), margin=0.1, reduction="none")
    array([0. , 0.3, 2.1])
    """
    m = python_number(margin, "margin")
    check_reduction(reduction)
    xp = namespace({"x1": x1, "x2": x2, "target": target})
    out, dtype = floating_input(xp, x1, "x1")
    floating_input(xp, x2, "x2")
    same_shape(x1, x2, ("x1", "x2"))
    xp, a, y, out, invalid = _signed_pair(x1, target, ("x1", "target"))
    b = cast(xp, x2, dtype)
    loss = relu(xp, m - y * (a - b))
    return finish(xp, loss, out, reduction, invalid=invalid)


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
