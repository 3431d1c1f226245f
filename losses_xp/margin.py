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
"""

from __future__ import annotations

from typing import Any

from ._compat import Array, Namespace, namespace
from ._declare import declare
from ._primitives import relu, softplus
from ._reduction import cast, finish
from ._validation import (
    check_reduction,
    elementwise_inputs,
    floating_input,
    python_number,
    same_shape,
    sign_values,
)

__all__ = ["hinge_embedding_loss", "hinge_loss", "margin_ranking_loss", "soft_margin_loss",
           "squared_hinge_loss"]


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
