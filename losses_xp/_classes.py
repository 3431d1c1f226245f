"""Class-index machinery shared by every loss of class indices.

A class-index target has the prediction's shape without the class axis and an integer
dtype.  :func:`class_inputs` begins every such loss (and the losses that also take
class probabilities); :func:`check_indices` is the eager range check (a ``ValueError``
where the values can be read); :func:`index_masks` gives the masks that make an ignored
target 0 and an unchecked out-of-range one NaN (never a plausible number) and the safe
indices to gather at; the rest reads per-class vectors (``weight``, ``alpha``) at the
targets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._compat import Array, Namespace, device, is_empty, namespace, size, values_readable
from ._reduction import cast
from ._settings import runs
from ._validation import (
    either,
    floating_input,
    integer_input,
    normalize_axis,
    option_array,
    same_shape,
    values_in_range,
)

__all__ = [
    "DEFAULT_IGNORE_INDEX",
    "ambiguous_class_axis",
    "check_ignore_index",
    "check_ignore_index_or_none",
    "check_indices",
    "class_inputs",
    "class_vector",
    "default_class_axis",
    "expand_at",
    "index_masks",
    "take_class",
    "target_weight",
]

DEFAULT_IGNORE_INDEX = -100  # PyTorch's

_INDEX_HINT = (" (a target with the {pred}' shape without the class axis holds class "
               "indices; pass class probabilities with the {pred}' full shape instead)")


def check_ignore_index(value: object) -> int:
    """``ignore_index`` as a Python int (never a bool)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"`ignore_index` must be a Python int; got {type(value).__name__}")
    return value


def check_ignore_index_or_none(value: object) -> int | None:
    """``ignore_index`` as ``None`` (nothing ignored) or a Python int (never a bool)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"`ignore_index` must be None or a Python int; got "
                        f"{type(value).__name__}")
    return value


def class_inputs(pred: Array, target: Array, axis: object, pred_name: str,
                 options: Mapping[str, object] | None = None, *, probs: str = "",
                 pred_range: bool = False,
                 ) -> tuple[Namespace, Array, int, Any, bool, Array | None]:
    """The beginning of a loss with a class axis and class-index targets.

    Checks, in this order: one library and device for ``pred``, ``target`` and the
    array ``options``; a real floating ``pred``; ``axis``; with ``pred_range`` a ``pred``
    in [0, 1]; then the target.  ``probs``: which targets of ``pred``'s rank are class
    probabilities instead of indices: ``""`` none, ``"floating"`` floating ones,
    ``"one_hot"`` also integer and bool ones of exactly ``pred``'s shape (one-hot).  A
    probability target must have ``pred``'s shape and lie in [0, 1]; an index target
    must have ``pred``'s shape without ``axis`` and an integer dtype.

    Returns ``(xp, pred in the compute dtype, axis (non-negative), out_dtype,
    probabilities?, invalid)``: ``invalid`` the 0-d flag of values that could not be
    checked eagerly (for ``_reduction.finish``).
    """
    xp = namespace({pred_name: pred, "target": target}, options)
    out_dtype, dtype = floating_input(xp, pred, pred_name)
    ax = normalize_axis(pred.ndim, default_class_axis(pred, target, pred_name)
                        if axis is None else axis)
    invalid = (values_in_range(xp, pred, 0.0, 1.0, pred_name, essential=True)
               if pred_range else None)
    soft = bool(probs) and target.ndim == pred.ndim and (
        xp.isdtype(target.dtype, "real floating") or (
            probs == "one_hot" and tuple(target.shape) == tuple(pred.shape)
            and (target.dtype == xp.bool or xp.isdtype(target.dtype, "integral"))))
    if soft:
        same_shape(pred, target, (pred_name, "target"))
        invalid = either(invalid, values_in_range(xp, target, 0.0, 1.0, "target",
                                                  essential=False))
    else:
        _index_target_shape(pred, target, ax, pred_name)
        integer_input(xp, target, "target", _INDEX_HINT.format(pred=pred_name) if probs else "")
    return xp, cast(xp, pred, dtype), ax, out_dtype, soft, invalid


def ambiguous_class_axis(shape: tuple[int, ...]) -> bool:
    """Whether class indices of one shape fit both axis 1 and the last axis of a
    prediction of ``shape`` (3-d or higher, the two axes' lengths and those between them
    equal): then only ``axis=`` can say which one is meant."""
    return len(shape) >= 3 and shape[:1] + shape[2:] == shape[:-1]


def default_class_axis(pred: Array, target: Array, pred_name: str) -> int:
    """The class axis when ``axis`` is not given: the last one.

    Unless the shapes cannot tell: a class-index ``target`` that fits both the last axis
    and axis 1 (PyTorch's ``(N, C, d1, ...)`` layout) of a 3-d or higher ``pred``, e.g.
    ``(N, C, L)`` logits with ``L == C`` and an ``(N, L)`` target.  The two readings give
    different losses, so that is a ``ValueError`` asking for ``axis=``, never a guess.
    (A 2-d ``(N, C)`` batch is never ambiguous: axis 0 is never a class axis by default;
    nor is a target of ``pred``'s own shape, class probabilities, whose class axis no
    shape can tell: the last, as documented.)
    """
    shape, got = tuple(pred.shape), tuple(target.shape)
    if ambiguous_class_axis(shape) and got == shape[:-1]:
        raise ValueError(
            f"ambiguous class axis: class-index `target` {got} fits `{pred_name}` {shape} "
            f"with the class axis 1 (PyTorch's (N, C, ...) layout) and with the last axis "
            f"(channels last), which give different losses; pass axis=1 or axis=-1")
    return -1


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


def check_indices(xp: Namespace, target: Array, num_classes: int,
                  ignore_index: int | None) -> bool:
    """``ValueError`` for a class index outside ``[0, C)`` that is not ``ignore_index``,
    where the values can be read eagerly; returns whether they were (then every index is
    valid: a backend's fused kernel may take them).  An essential check: skipped (``False``)
    at the value-check level ``"none"``."""
    if not values_readable(target) or not runs(essential=True):
        return False
    if size(target) == 0:
        return True
    if int(xp.min(target)) >= 0 and int(xp.max(target)) < num_classes:
        return True  # the common case, in two reductions
    bad = (target < 0) | (target >= num_classes)
    if ignore_index is not None:
        bad = bad & (target != ignore_index)
    if bool(xp.any(bad)):
        # the good entries filled with an extreme of the whole target: the bad ones' range
        lo = int(xp.min(xp.where(bad, target, xp.max(target))))
        hi = int(xp.max(xp.where(bad, target, xp.min(target))))
        shown = str(lo) if lo == hi else f"{lo} .. {hi}"
        raise ValueError(
            f"`target` class indices must be in [0, {num_classes})"
            + ("" if ignore_index is None else f" or equal ignore_index ({ignore_index})")
            + f"; got {shown}"
        )
    return True


def index_masks(xp: Namespace, target: Array, num_classes: int,
                ignore_index: int | None) -> tuple[Array, Array, Array]:
    """``(kept, invalid, safe)`` of class indices (checked or not, see
    :func:`check_indices`): ``kept`` the targets that are not ``ignore_index`` (all for
    ``None``), ``invalid`` the kept ones outside ``[0, C)`` (the caller makes them NaN),
    ``safe`` the indices with every ignored or invalid one replaced by 0 (to gather at).

    Only the masks that ``ignore_index`` (static) needs: an ``ignore_index`` outside
    ``[0, C)`` (PyTorch's -100) is never in range, so ``kept & in_range`` is
    ``in_range``.  Small as they are, these masks count under ``jax.jit``: XLA repeats
    each one in every kernel that reads it, and its CPU client runs a program of 1000
    flops or more (XLA's cost model) on another thread instead of the caller's, a
    hand-off that costs more than a small loss itself: ``cross_entropy``'s value and
    gradient on (10, 10) logits take 836 flops, and took 1026 and 4x optax's time with
    the general masks and JAX's default gather (``_primitives.gather_at_class``).
    """
    in_range = (target >= 0) & (target < num_classes)
    if ignore_index is None:
        return xp.ones_like(in_range), xp.logical_not(in_range), xp.where(in_range, target, 0)
    kept = target != ignore_index
    if 0 <= ignore_index < num_classes:  # an ignored target may be in range
        in_range = kept & in_range
    return kept, kept & xp.logical_not(in_range), xp.where(in_range, target, 0)


def take_class(xp: Namespace, values: Array, index: Array) -> Array:
    """A per-class vector ``values`` (shape ``(C,)``) read at valid indices of any shape
    (an empty index without reshapes: Dask cannot reshape an empty 2-d array)."""
    if is_empty(index):
        return xp.zeros(tuple(index.shape), dtype=values.dtype, device=device(values))
    return xp.reshape(xp.take(values, xp.reshape(index, (-1,))), tuple(index.shape))


def class_vector(xp: Namespace, value: object, name: str, num_classes: int, dtype: Any,
                 like: Array, must: str = "have one value per class") -> Array:
    """A per-class option (an array or sequence) of shape ``(C,)`` in ``dtype``."""
    v = option_array(xp, value, name, dtype, like)
    if tuple(v.shape) != (num_classes,):
        raise ValueError(f"`{name}` must {must}, shape ({num_classes},); "
                         f"got shape {tuple(v.shape)}")
    return v


def target_weight(xp: Namespace, weight: Array | None, kept: Array, safe: Array,
                  dtype: Any) -> Array:
    """Each target's class weight ``weight[target]`` (1 without ``weight``), 0 where
    ignored: the denominator of PyTorch's weighted mean is its sum."""
    if weight is None:
        return cast(xp, kept, dtype)
    return xp.where(kept, take_class(xp, weight, safe), 0.0)


def expand_at(xp: Namespace, w: Array, ndim: int, axis: int) -> Array:
    """A per-class vector reshaped to broadcast along ``axis`` of an ``ndim``-d array."""
    shape = [1] * ndim
    shape[axis] = w.shape[0]
    return xp.reshape(w, tuple(shape))
