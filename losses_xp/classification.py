"""Cross-entropy losses: binary (probabilities and logits), softmax, NLL, categorical.

Conventions shared by this module:

* Prediction first, target second, options keyword-only.
* The class axis of multi-class losses is ``axis=-1``; PyTorch-layout ``(N, C, d1, ...)``
  inputs pass ``axis=1``.  Integer class-index targets have the logits' shape without
  the class axis; probability targets have the logits' shape.
* Logits are handled in log space (``log_softmax`` with the maximum subtracted,
  ``softplus``); probabilities are clamped to ``[eps, 1 - eps]`` with ``eps`` the
  machine epsilon of the input dtype (``finfo(dtype).eps``: 1.2e-7 for float32,
  9.8e-4 for float16, 7.8e-3 for bfloat16), never a fixed 1e-7.
* Invalid values (a class index outside ``[0, C)`` that is not ``ignore_index``, a
  probability outside [0, 1]) raise ``ValueError`` when the inputs can be read eagerly
  on the host (NumPy, array-api-strict, PyTorch CPU outside ``torch.compile``, concrete
  JAX CPU arrays).  Under ``jax.jit``, ``torch.compile``, Dask or on an accelerator
  nothing is read: an out-of-range class index then gives NaN for that element (and so
  for the mean and sum), and a probability or target outside [0, 1] (NaN included) a
  NaN result (every element), never a plausible number.
"""

from __future__ import annotations

import math
from typing import Any

from ._compat import Array, Namespace, device, namespace, values_readable
from ._declare import declare
from ._primitives import (
    _has_no_elements,
    binary_logit_loss,
    clip,
    fused_nll,
    gather_at_class,
    hard_target_logit,
    has_fused_nll,
    log_softmax,
    mix,
    neg_log_softmax_at,
    softplus,
    softplus_pair,
)
from ._reduction import cast, reduce, weighted_mean
from ._validation import (
    broadcastable_to,
    check_reduction,
    either,
    floating_input,
    integer_input,
    nan_where,
    normalize_axis,
    numeric_target,
    option_array,
    python_number,
    same_shape,
    values_in_range,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "cross_entropy",
    "nll_loss",
]


# --------------------------------------------------------------------------- binary


def _binary_inputs(pred: Array, target: Array, pred_name: str, options: dict[str, object],
                   reduction: str, pred_range: bool = False,
                   ) -> tuple[Namespace, Any, Any, Array, Array, Array | None]:
    """Validate; return ``(xp, out dtype, compute dtype, prediction, target, invalid)``,
    both arrays in the compute dtype; ``invalid``: the 0-d flag of a target (or, with
    ``pred_range``, a prediction) outside [0, 1] that could not be checked eagerly
    (``values_in_range``), for ``nan_where`` on the loss."""
    check_reduction(reduction)
    xp = namespace({pred_name: pred, "target": target}, options)
    out_dtype, dtype = floating_input(xp, pred, pred_name)
    numeric_target(xp, target, "target")
    same_shape(pred, target, (pred_name, "target"))
    invalid = values_in_range(xp, target, 0.0, 1.0, "target")
    if pred_range:
        invalid = either(invalid, values_in_range(xp, pred, 0.0, 1.0, pred_name))
    return xp, out_dtype, dtype, cast(xp, pred, dtype), cast(xp, target, dtype), invalid


def _is_hard(xp: Namespace, target: Array) -> bool:
    """Whether ``target``'s dtype (static) makes it a hard 0/1 target: bool or integer."""
    return bool(target.dtype == xp.bool or xp.isdtype(target.dtype, "integral"))


def _element_weight(xp: Namespace, weight: object, name: str, dtype: Any, like: Array,
                    like_name: str) -> Array:
    w = option_array(xp, weight, name, dtype, like)
    broadcastable_to(w, tuple(like.shape), name, f"`{like_name}`")
    return w


@declare(prediction="probs", target="binary", options={"weight": "element_weight"},
         growth="bounded",
         peers={"pytorch": ("F.binary_cross_entropy",),
                "keras": ("keras.losses.BinaryCrossentropy", "keras.losses.binary_crossentropy"),
                "sklearn": ("metrics.log_loss",)})
def binary_cross_entropy(probs: Array, target: Array, *, weight: Array | None = None,
                         reduction: str = "mean") -> Array:
    r"""Binary cross-entropy on probabilities.

    .. math:: \ell_i = -w_i\,\big[y_i \log p_i + (1 - y_i) \log(1 - p_i)\big],
              \quad p_i = \operatorname{clip}(\hat p_i, \epsilon, 1 - \epsilon)

    with :math:`\epsilon` = ``finfo(probs.dtype).eps``, so the loss is finite at
    :math:`\hat p \in \{0, 1\}` in every dtype (PyTorch instead clamps each log at
    -100, Keras clips with a fixed 1e-7, and in float16 ``1 - 1e-7`` rounds to 1, so
    Keras's loss at :math:`\hat p = 1, y = 0` is inf there).  At a clamped
    probability the gradient is 0, as for Keras.  Prefer
    :func:`binary_cross_entropy_with_logits` when logits are available: it is exact.

    Parameters
    ----------
    probs : array
        Probabilities in [0, 1], real floating dtype.
        Outside [0, 1] or NaN: ``ValueError`` where the values can be read eagerly,
        a NaN result (every element) where they cannot (``jax.jit``,
        ``torch.compile``, Dask, an accelerator): never a plausible number.
    target : array
        Targets in [0, 1] (soft targets allowed) of exactly ``probs``' shape; invalid
        values as for ``probs``.
    weight : array or sequence, optional
        Element weights broadcastable to ``probs.shape``.
    reduction : {'mean', 'sum', 'none'}
        ``mean`` divides the (weighted) sum by the number of elements, as in
        ``torch.nn.functional.binary_cross_entropy``.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> round(float(lx.binary_cross_entropy(np.array([0.9, 0.2]), np.array([1.0, 0.0]))), 6)
    0.164252
    """
    xp, out, dtype, p, y, invalid = _binary_inputs(probs, target, "probs", {"weight": weight},
                                                   reduction, pred_range=True)
    eps = float(xp.finfo(probs.dtype).eps)
    p = clip(xp, p, min=eps, max=1.0 - eps)
    loss = -(y * xp.log(p) + (1.0 - y) * xp.log1p(-p))
    if weight is not None:
        loss = loss * _element_weight(xp, weight, "weight", dtype, probs, "probs")
    return nan_where(xp, invalid, reduce(xp, loss, reduction, out))


@declare(prediction="logits", target="binary",
         options={"weight": "element_weight", "pos_weight": "pos_weight"},
         peers={"pytorch": ("F.binary_cross_entropy_with_logits",),
                "optax": ("optax.losses.sigmoid_binary_cross_entropy",),
                "keras": ("keras.losses.binary_crossentropy",)})
def binary_cross_entropy_with_logits(logits: Array, target: Array, *,
                                     weight: Array | None = None,
                                     pos_weight: Array | None = None,
                                     reduction: str = "mean") -> Array:
    r"""Binary cross-entropy on logits (sigmoid + BCE in one stable step).

    .. math:: \ell_i = w_i\,\big[p_c\, y_i \operatorname{softplus}(-x_i)
                       + (1 - y_i) \operatorname{softplus}(x_i)\big]

    which is :math:`-w_i[p_c y_i \log\sigma(x_i) + (1 - y_i)\log(1 - \sigma(x_i))]`.
    Each softplus is exact in its tails (on PyTorch and JAX it is their fused softplus,
    elsewhere one ``exp`` and one ``log1p`` of :math:`-|x|` shared by both terms), so the
    result is exact in both tails: :math:`x = 10^4, y = 0.3` gives 7000, and
    :math:`x = -20, y = 0` gives 2.06e-9 in float32 (PyTorch's fused
    ``binary_cross_entropy_with_logits`` kernel returns 0 there).

    Parameters
    ----------
    logits : array
        Real floating dtype.
    target : array
        Targets in [0, 1] (soft targets allowed) of exactly ``logits``' shape.
        Outside [0, 1] or NaN: ``ValueError`` where the values can be read eagerly,
        a NaN result (every element) where they cannot (``jax.jit``,
        ``torch.compile``, Dask, an accelerator): never a plausible number.
    weight : array or sequence, optional
        Element weights broadcastable to ``logits.shape``.
    pos_weight : array or sequence, optional
        Weight :math:`p_c` of the positive term, broadcast against ``logits`` from the
        right (one value per class along the last axis), as in PyTorch.
    reduction : {'mean', 'sum', 'none'}
        ``mean`` divides by the number of elements.

    Notes
    -----
    Equals ``torch.nn.functional.binary_cross_entropy_with_logits`` and
    ``optax.sigmoid_binary_cross_entropy`` (element-wise).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> float(lx.binary_cross_entropy_with_logits(np.array([1e4]), np.array([0.3])))
    7000.0
    """
    xp, out, dtype, x, y, invalid = _binary_inputs(
        logits, target, "logits", {"weight": weight, "pos_weight": pos_weight}, reduction)
    pw = None
    if pos_weight is not None:
        pw = _element_weight(xp, pos_weight, "pos_weight", dtype, logits, "logits")
    if _is_hard(xp, target):
        # bool / integer targets are 0 or 1: the loss is softplus(±x), one pass
        loss = softplus(xp, hard_target_logit(xp, x, target, y))
        if pw is not None:
            loss = loss * (y * (pw - 1.0) + 1.0)
    elif pw is None:
        loss = binary_logit_loss(xp, x, y)
    else:
        sp_neg, sp_pos = softplus_pair(xp, x)  # -log σ(x), -log(1-σ(x))
        loss = mix(xp, sp_pos, pw * sp_neg, y)
    if weight is not None:
        loss = loss * _element_weight(xp, weight, "weight", dtype, logits, "logits")
    return nan_where(xp, invalid, reduce(xp, loss, reduction, out))


# ---------------------------------------------------------------------- multi-class


def _class_weight(xp: Namespace, weight: object, num_classes: int, dtype: Any,
                  like: Array) -> Array:
    w = option_array(xp, weight, "weight", dtype, like)
    if tuple(w.shape) != (num_classes,):
        raise ValueError(
            f"`weight` must have one value per class, shape ({num_classes},); "
            f"got shape {tuple(w.shape)}"
        )
    return w


def _expand_at(xp: Namespace, w: Array, ndim: int, axis: int) -> Array:
    """A per-class vector reshaped to broadcast along ``axis`` of an ``ndim``-d array."""
    shape = [1] * ndim
    shape[axis] = w.shape[0]
    return xp.reshape(w, tuple(shape))


def _index_target_shape(x: Array, target: Array, axis: int, x_name: str) -> None:
    expected = tuple(x.shape[:axis]) + tuple(x.shape[axis + 1:])
    got = tuple(target.shape)
    if got == expected:
        return
    hint = ""
    if len(got) == x.ndim - 1:
        fits = [a for a in range(x.ndim)
                if tuple(x.shape[:a]) + tuple(x.shape[a + 1:]) == got]
        if fits:
            hint = (f"; it would fit class axis {fits[0]} (pass axis={fits[0]}: PyTorch-layout "
                    "(N, C, ...) inputs need axis=1)")
    raise ValueError(
        f"class-index `target` must have the shape of `{x_name}` {tuple(x.shape)} without "
        f"the class axis {axis}, i.e. {expected}; got {got}{hint}"
    )


def _check_indices(xp: Namespace, target: Array, num_classes: int,
                   ignore_index: int | None) -> None:
    if not values_readable(target) or math.prod(target.shape) == 0:
        return
    if int(xp.min(target)) >= 0 and int(xp.max(target)) < num_classes:
        return  # the common case, in two reductions
    bad = (target < 0) | (target >= num_classes)
    if ignore_index is not None:
        bad = bad & (target != ignore_index)
    if bool(xp.any(bad)):
        # fill the good entries with an extreme of the whole target, so that the range
        # shown is that of the bad indices alone
        lo = int(xp.min(xp.where(bad, target, xp.max(target))))
        hi = int(xp.max(xp.where(bad, target, xp.min(target))))
        shown = str(lo) if lo == hi else f"{lo} .. {hi}"
        raise ValueError(
            f"`target` class indices must be in [0, {num_classes})"
            + ("" if ignore_index is None else f" or equal ignore_index ({ignore_index})")
            + f"; got {shown}"
        )


def index_masks(xp: Namespace, target: Array, num_classes: int,
                ignore_index: int | None) -> tuple[Array, Array, Array]:
    """Validate class indices; return ``(kept, invalid, safe)``.

    ``kept``: targets that are not ``ignore_index`` (all True for ``None``);
    ``invalid``: kept targets outside ``[0, C)`` (callers turn those into NaN);
    ``safe``: the indices with every ignored/invalid entry replaced by 0.  Raises
    ``ValueError`` for invalid indices when the target's values are readable.
    """
    _check_indices(xp, target, num_classes, ignore_index)
    in_range = (target >= 0) & (target < num_classes)
    kept = xp.ones_like(in_range) if ignore_index is None else target != ignore_index
    return kept, kept & xp.logical_not(in_range), xp.where(kept & in_range, target, 0)


def pick_class(xp: Namespace, logp: Array, target: Array, axis: int,
               ignore_index: int | None) -> tuple[Array, Array, Array, Array]:
    """``index_masks`` plus ``logp`` picked at the safe indices.

    Returns ``(picked, kept, invalid, safe)``.
    """
    kept, invalid, safe = index_masks(xp, target, logp.shape[axis], ignore_index)
    return gather_at_class(xp, logp, safe, axis), kept, invalid, safe


def take_class(xp: Namespace, values: Array, index: Array) -> Array:
    """A per-class vector ``values`` (shape ``(C,)``) read at valid indices of any shape.

    An index that is empty by its static shape gives an empty result without the
    reshapes: Dask cannot reshape an empty array of two or more dimensions (a
    ``TypeError`` from inside dask.array.reshape; found by test_properties.py).
    """
    if _has_no_elements(index):
        return xp.zeros(tuple(index.shape), dtype=values.dtype, device=device(values))
    return xp.reshape(xp.take(values, xp.reshape(index, (-1,))), tuple(index.shape))


def target_weight(xp: Namespace, weight: object, kept: Array, safe: Array, num_classes: int,
                  dtype: Any, like: Array) -> tuple[Array | None, Array]:
    """``(w, w_t)``: the validated per-class ``weight`` (``None`` without one) and each
    target's weight ``w[target]`` (1 without ``weight``), 0 where ignored.

    ``sum(w_t)`` is the denominator of PyTorch's weighted mean (``cross_entropy``,
    ``nll_loss``, ``softmax_focal_loss``).
    """
    if weight is None:
        return None, cast(xp, kept, dtype)
    w = _class_weight(xp, weight, num_classes, dtype, like)
    return w, xp.where(kept, take_class(xp, w, safe), 0.0)


def _nll(xp: Namespace, logp: Array, target: Array, axis: int, weight: object,
         ignore_index: int | None, smoothing: float, reduction: str, dtype: Any,
         out_dtype: Any, like: Array, from_logits: bool = False,
         poison: Array | None = None) -> Array:
    """Negative log-likelihood of class indices, with PyTorch's ignore/weight/smoothing.

    Per element: ``(1 - ε) · w[y] · (-logp[y]) + ε/C · Σ_c w_c · (-logp_c)`` for a kept
    target, 0 for an ignored one, NaN for an out-of-range one.  ``mean`` divides the
    sum by ``Σ w[y]`` over kept targets (NaN when every target is ignored).
    ``ignore_index=None`` keeps every target.

    With ``from_logits`` (only without smoothing) ``logp`` holds the logits and
    ``-logp[y]`` comes from ``neg_log_softmax_at``: the (N, C) log-softmax is never
    formed.  Negative log-probabilities are ``0 - logp``, never ``-logp``: a
    log-probability of exactly 0 gives a loss of ``+0``, not ``-0.0``.
    """
    num_classes = logp.shape[axis]
    picked, kept, invalid, safe = pick_class(xp, logp, target, axis, ignore_index)
    nll = neg_log_softmax_at(xp, logp, picked, axis) if from_logits else 0.0 - picked
    nll = xp.where(kept, nll, 0.0)
    w, w_t = target_weight(xp, weight, kept, safe, num_classes, dtype, like)
    if w is not None:
        nll = nll * w_t
    loss = nll
    if smoothing > 0.0:
        terms = logp if w is None else logp * _expand_at(xp, w, logp.ndim, axis)
        smooth = xp.where(kept, 0.0 - xp.sum(terms, axis=axis), 0.0)
        loss = (1.0 - smoothing) * nll + (smoothing / num_classes) * smooth
    # an index outside [0, C) that is not ignore_index: NaN, never a plausible number
    loss = xp.where(invalid, math.nan, loss)
    return nan_where(xp, poison, weighted_mean(xp, loss, w_t, reduction, out_dtype))


def _soft_ce(xp: Namespace, logp: Array, target: Array, axis: int, weight: object,
             smoothing: float, reduction: str, dtype: Any, out_dtype: Any,
             like: Array, invalid: Array | None) -> Array:
    """Cross-entropy against class probabilities: ``-Σ_c w_c t_c logp_c``; mean over
    samples; NaN where the 0-d ``invalid`` (``values_in_range``) is True."""
    num_classes = logp.shape[axis]
    t = cast(xp, target, dtype)
    if smoothing > 0.0:
        t = t * (1.0 - smoothing) + smoothing / num_classes
    # double where: a zero target times a -inf log-probability is 0, and neither the value
    # nor the gradient sees the -inf
    zero = t == 0
    terms = t * xp.where(zero, 0.0, logp)
    if weight is not None:
        terms = terms * _expand_at(xp, _class_weight(xp, weight, num_classes, dtype, like),
                                   logp.ndim, axis)
    loss = 0.0 - xp.sum(terms, axis=axis)  # (+0, not -0.0)
    return nan_where(xp, invalid, reduce(xp, loss, reduction, out_dtype))


@declare(prediction="logits", target="index_or_probs", class_axis="axis",
         options={"axis": "axis", "weight": "class_weight", "ignore_index": "ignore_index",
                  "label_smoothing": "smoothing"},
         unit="kept", min_ndim=1,
         peers={"pytorch": ("F.cross_entropy",),
                "optax": ("optax.losses.softmax_cross_entropy",
                          "optax.losses.softmax_cross_entropy_with_integer_labels",
                          "optax.losses.safe_softmax_cross_entropy", "optax.smooth_labels"),
                "keras": ("keras.losses.categorical_crossentropy",
                          "keras.losses.sparse_categorical_crossentropy",
                          "keras.losses.SparseCategoricalCrossentropy")})
def cross_entropy(logits: Array, target: Array, *, axis: int = -1,
                  weight: Array | None = None, ignore_index: int = -100,
                  label_smoothing: float = 0.0, reduction: str = "mean") -> Array:
    r"""Softmax cross-entropy (PyTorch ``torch.nn.functional.cross_entropy`` semantics).

    With class-index targets :math:`y_i` and :math:`\log p = \operatorname{log\_softmax}(x)`
    along ``axis``:

    .. math:: \ell_i = (1-\varepsilon)\, w_{y_i}\,(-\log p_{i,y_i})
              + \frac{\varepsilon}{C} \sum_c w_c\,(-\log p_{i,c})

    and with probability targets :math:`t` (same shape as ``logits``):

    .. math:: \ell_i = -\sum_c w_c\, \tilde t_{i,c} \log p_{i,c},
              \quad \tilde t = (1 - \varepsilon)\, t + \varepsilon / C

    Reductions (the exact denominators):

    * class indices, ``mean``: :math:`\sum_i \ell_i / \sum_{i \text{ kept}} w_{y_i}` — the
      summed weights of the targets that are not ``ignore_index`` (the count of kept
      targets without ``weight``).  When every target is ignored this is 0/0 = NaN,
      exactly as PyTorch (Keras returns 0).  Ignored targets are excluded from the
      numerator, the denominator and the smoothing term; ``none`` gives 0 there.
    * probability targets, ``mean``: the plain mean over samples (weights do not enter
      the denominator), as PyTorch.  ``ignore_index`` does not apply.
    * ``sum``: :math:`\sum_i \ell_i`.

    Label smoothing is :math:`\varepsilon / C` (PyTorch, optax, Keras categorical).  A
    ``-inf`` logit whose target probability is 0 contributes exactly 0 (not NaN).

    Parameters
    ----------
    logits : array
        Unnormalised scores, real floating dtype, classes along ``axis``.
    target : array
        Integer class indices with ``logits``' shape without ``axis`` or class
        probabilities with ``logits``' shape (floating).  Floating targets of the index
        shape are a ``TypeError`` (class indices must be integers).  A probability
        outside [0, 1] or NaN: ``ValueError`` where the values can be read eagerly, a
        NaN result (every sample) where they cannot (``jax.jit``, ``torch.compile``,
        Dask, an accelerator).
    axis : int
        The class axis; ``-1`` by default, ``1`` for PyTorch's ``(N, C, d1, ...)``.
    weight : array or sequence, optional
        One weight per class, shape ``(C,)``.
    ignore_index : int
        Class-index targets equal to it are ignored.  Default -100 as in PyTorch.
    label_smoothing : float
        :math:`\varepsilon` in [0, 1].
    reduction : {'mean', 'sum', 'none'}

    Returns
    -------
    array
        In ``logits``' library, device and dtype; ``none`` has the target's shape
        (index targets) or ``logits``' shape without ``axis`` (probability targets).

    Notes
    -----
    The log-softmax subtracts the row maximum (with its gradient stopped), so logits of
    ±1e4 in float32 and ±1e2 in float16 give finite values and gradients.  Class
    indices outside ``[0, C)``: ``ValueError`` when readable, NaN under tracing (see
    the module notes).

    References
    ----------
    PyTorch, ``torch.nn.CrossEntropyLoss``; Szegedy et al., "Rethinking the Inception
    Architecture for Computer Vision", CVPR 2016 (label smoothing).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    >>> round(float(lx.cross_entropy(logits, np.array([0, 2]))), 6)
    0.175456
    """
    check_reduction(reduction)
    eps = python_number(label_smoothing, "label_smoothing", minimum=0.0, maximum=1.0)
    ignore = _ignore_index(ignore_index)
    xp = namespace({"logits": logits, "target": target}, {"weight": weight})
    out_dtype, dtype = floating_input(xp, logits, "logits")
    ax = normalize_axis(logits.ndim, axis)
    x = cast(xp, logits, dtype)
    if target.ndim == logits.ndim and xp.isdtype(target.dtype, "real floating"):
        same_shape(logits, target, ("logits", "target"))
        invalid = values_in_range(xp, target, 0.0, 1.0, "target")
        return _soft_ce(xp, log_softmax(xp, x, ax), target, ax, weight, eps, reduction,
                        dtype, out_dtype, logits, invalid)
    _index_target_shape(logits, target, ax, "logits")
    integer_input(xp, target, "target", _INDEX_HINT.format(pred="logits"))
    fused = _fused_index_loss(xp, "logits", x, target, ax, weight, ignore, eps, reduction,
                              dtype, logits)
    if fused is not None:
        return cast(xp, fused, out_dtype)
    if eps > 0.0:  # the smoothing term needs every log-probability
        return _nll(xp, log_softmax(xp, x, ax), target, ax, weight, ignore, eps, reduction,
                    dtype, out_dtype, logits)
    # log p_y from the picked logits: no (N, C) log-softmax temporary
    return _nll(xp, x, target, ax, weight, ignore, 0.0, reduction, dtype, out_dtype, logits,
                from_logits=True)


def _fused_index_loss(xp: Namespace, kind: str, x: Array, target: Array, axis: int,
                      weight: object, ignore: int, smoothing: float, reduction: str,
                      dtype: Any, like: Array) -> Array | None:
    """The backend's fused class-index loss (``_primitives.fused_nll``) where it has one
    and the indices can be validated eagerly first; ``None`` otherwise (then the generic
    formula runs, which turns an unvalidated out-of-range index into NaN)."""
    if not has_fused_nll(xp) or not values_readable(target):
        return None
    _check_indices(xp, target, x.shape[axis], ignore)
    w = None if weight is None else _class_weight(xp, weight, x.shape[axis], dtype, like)
    return fused_nll(xp, kind, x, target, axis, w, ignore, smoothing, reduction)


_INDEX_HINT = (" (a target with the {pred}' shape without the class axis holds class "
               "indices; pass class probabilities with the {pred}' full shape instead)")


def _ignore_index(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"`ignore_index` must be a Python int; got {type(value).__name__}")
    return value


@declare(prediction="log_probs", target="index", class_axis="axis",
         options={"axis": "axis", "weight": "class_weight", "ignore_index": "ignore_index"},
         unit="kept", min_ndim=1, peers={"pytorch": ("F.nll_loss",)})
def nll_loss(log_probs: Array, target: Array, *, axis: int = -1,
             weight: Array | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Array:
    r"""Negative log-likelihood of class indices (``torch.nn.functional.nll_loss``).

    .. math:: \ell_i = -w_{y_i} \log p_{i, y_i}

    ``log_probs`` are log-probabilities along ``axis`` (e.g. from a log-softmax); they
    are used as given.  ``mean`` divides by the summed weights of the targets that are
    not ``ignore_index`` (NaN when all are ignored), ``sum`` is the plain sum, ``none``
    has the target's shape with 0 at ignored targets.  Out-of-range indices as in
    :func:`cross_entropy`.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> logp = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]))
    >>> round(float(lx.nll_loss(logp, np.array([0, 2]))), 6)
    0.458145
    """
    check_reduction(reduction)
    ignore = _ignore_index(ignore_index)
    xp = namespace({"log_probs": log_probs, "target": target}, {"weight": weight})
    out_dtype, dtype = floating_input(xp, log_probs, "log_probs")
    ax = normalize_axis(log_probs.ndim, axis)
    _index_target_shape(log_probs, target, ax, "log_probs")
    integer_input(xp, target, "target")
    fused = _fused_index_loss(xp, "log_probs", cast(xp, log_probs, dtype), target, ax, weight,
                              ignore, 0.0, reduction, dtype, log_probs)
    if fused is not None:
        return cast(xp, fused, out_dtype)
    return _nll(xp, cast(xp, log_probs, dtype), target, ax, weight, ignore, 0.0,
                reduction, dtype, out_dtype, log_probs)


@declare(prediction="class_probs", target="index_or_probs", class_axis="axis",
         options={"axis": "axis", "label_smoothing": "smoothing"}, growth="bounded",
         unit="sample", min_ndim=1,
         peers={"keras": ("keras.losses.categorical_crossentropy",
                          "keras.losses.sparse_categorical_crossentropy"),
                "sklearn": ("metrics.log_loss",)})
def categorical_cross_entropy(probs: Array, target: Array, *, axis: int = -1,
                              label_smoothing: float = 0.0,
                              reduction: str = "mean") -> Array:
    r"""Categorical cross-entropy from probabilities (Keras ``categorical_crossentropy``).

    For models that end in a softmax, as Keras users write
    ``keras.losses.categorical_crossentropy(y_true, y_pred)`` — but prediction first:

    .. math:: \ell_i = -\sum_c \tilde t_{i,c} \log q_{i,c}, \quad
              q = \operatorname{clip}\Big(\frac{p}{\sum_c p_c}, \epsilon, 1 - \epsilon\Big)

    Like Keras, the probabilities are renormalised to sum to 1 along ``axis`` and
    clipped; unlike Keras, :math:`\epsilon` = ``finfo(probs.dtype).eps`` instead of a
    fixed 1e-7 (``1 - 1e-7`` rounds to 1 in float16, so Keras's clip does not keep the
    log finite there).  ``target`` is either one-hot/soft
    probabilities of ``probs``' shape (Keras ``categorical_crossentropy``) or integer
    class indices of ``probs``' shape without ``axis`` (Keras
    ``sparse_categorical_crossentropy``).  Label smoothing is :math:`\varepsilon / C`.
    ``mean`` averages over samples.  A probability or target outside [0, 1] (or NaN),
    or a class index outside ``[0, C)``, raises ``ValueError`` where the values can be
    read eagerly; where they cannot (``jax.jit``, ``torch.compile``, Dask, an
    accelerator) the first gives a NaN result (every sample), the second NaN for that
    sample.  When logits are available, :func:`cross_entropy`
    is exact and should be preferred.

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    >>> round(float(lx.categorical_cross_entropy(p, np.array([[1.0, 0, 0], [0, 0, 1]]))), 6)
    0.289909
    """
    check_reduction(reduction)
    eps_s = python_number(label_smoothing, "label_smoothing", minimum=0.0, maximum=1.0)
    xp = namespace({"probs": probs, "target": target})
    out_dtype, dtype = floating_input(xp, probs, "probs")
    ax = normalize_axis(probs.ndim, axis)
    invalid = values_in_range(xp, probs, 0.0, 1.0, "probs")
    soft = target.ndim == probs.ndim and xp.isdtype(target.dtype, "real floating")
    if soft:
        same_shape(probs, target, ("probs", "target"))
        invalid = either(invalid, values_in_range(xp, target, 0.0, 1.0, "target"))
    eps = float(xp.finfo(probs.dtype).eps)
    p = cast(xp, probs, dtype)
    p = p / xp.sum(p, axis=ax, keepdims=True)
    logp = xp.log(clip(xp, p, min=eps, max=1.0 - eps))
    if soft:
        return _soft_ce(xp, logp, target, ax, None, eps_s, reduction, dtype, out_dtype, probs,
                        invalid)
    _index_target_shape(probs, target, ax, "probs")
    integer_input(xp, target, "target", _INDEX_HINT.format(pred="probs"))
    # sparse targets: every sample counts, so the mean is the plain mean over samples
    return _nll(xp, logp, target, ax, None, None, eps_s, reduction, dtype,
                out_dtype, probs, poison=invalid)

