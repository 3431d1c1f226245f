"""How every loss ends: the reduction, the NaN of unchecked invalid values, the cast back.

Losses compute in their compute dtype (float32 for half-precision inputs), so a mean
of 70,000 float16 values is accumulated in float32 and only the result is cast back.
Every result of every loss leaves through :func:`finish` (and so through :func:`cast`).
"""

from __future__ import annotations

import math
from typing import Any

from ._compat import Array, Namespace, device, is_empty, is_jax, is_numpy


def finish(xp: Namespace, loss: Array, out_dtype: Any, reduction: str = "none", *,
           weight: Array | None = None, counted: Array | None = None,
           invalid: Array | None = None) -> Array:
    """The result of a loss: ``loss`` reduced, made NaN where ``invalid``, in ``out_dtype``.

    ``reduction``: ``none`` keeps ``loss`` (also for a loss already reduced by a fused
    kernel), ``sum`` sums it, ``mean`` divides the sum by the number of elements
    (:func:`mean`: NaN for an empty input) or, with ``weight``, by ``sum(weight)``
    (PyTorch's weighted mean; NaN for a zero sum, through a ``where``: no 0/0; on JAX
    the 0/0 itself, whose gradient is NaN where the weights are 0).  With ``counted``
    (bool or 0/1, ``loss``'s shape: the values that count, e.g. the rows of a contrastive
    loss that have a positive, the lists that rank something), ``mean`` divides the sum
    by their number instead, and is 0 (never the NaN of 0/0) where none counts; the
    values that do not count must be 0 already; an empty input gives 0 too.

    ``sum_and_count`` returns ``mean``'s two parts, ``(total, count)``: ``total`` is
    ``sum``'s result and ``count`` what ``mean`` divides it by (the number of elements,
    ``sum(weight)`` or the number of ``counted`` values), a 0-d array of the compute
    dtype (float32 for half-precision inputs: a count passes float16's 2048 exact
    integers soon).  Summed over the shards of a batch (ranks, devices, micro-batches),
    ``sum(total) / sum(count)`` is ``mean`` of the whole batch (docs/frameworks/
    distributed.md), where the mean of the shards' means is not.

    ``invalid``: the 0-d flag of ``_validation.values_in_range`` (values that could not
    be checked eagerly); where True every element of the result is NaN, never a
    plausible number.  Added after the reduction, never to the inputs (why:
    ``docs/numerics.md``, "Invalid values").
    """
    if reduction == "sum_and_count":
        return _parts(xp, loss, out_dtype, weight, counted, invalid)
    if reduction == "sum":
        loss = xp.sum(loss)
    elif reduction == "mean" and counted is not None:
        n = _number_counted(xp, counted, loss.dtype)
        loss = xp.sum(loss) / xp.where(n > 0.0, n, 1.0)
    elif reduction == "mean" and weight is None:
        loss = mean(xp, loss)
    elif reduction == "mean" and is_jax(xp):
        # 0/0 is NaN without a warning, and a `where` on the 0-d result is an XLA kernel
        # of its own on the CPU (7% of a (1000, 1000) cross-entropy under jax.jit)
        loss = xp.sum(loss) / xp.sum(weight)
    elif reduction == "mean":
        loss = ratio(xp, xp.sum(loss), xp.sum(weight))
    return cast(xp, _nan_where(xp, loss, invalid), out_dtype)


def ratio(xp: Namespace, num: Array, den: Array) -> Array:
    """``num / den``, NaN where ``den`` is 0 (nothing counted), through a ``where``: no
    0/0 (and no warning)."""
    zero = den == 0
    return xp.where(zero, math.nan, num / xp.where(zero, 1.0, den))


def _nan_where(xp: Namespace, x: Array, invalid: Array | None) -> Array:
    """``x``, every element NaN where the 0-d flag ``invalid`` is True (a 0-d term, 0 or
    NaN, broadcast over ``x``)."""
    if invalid is None:
        return x
    return x + xp.where(invalid, math.nan, xp.zeros((), dtype=x.dtype, device=device(x)))


def _number_counted(xp: Namespace, counted: Array, dtype: Any) -> Array:
    """How many of ``counted`` (bool or 0/1) count, in ``dtype``."""
    return xp.sum(xp.astype(counted, dtype))


def _parts(xp: Namespace, loss: Array, out_dtype: Any, weight: Array | None,
           counted: Array | None, invalid: Array | None) -> tuple[Array, Array]:
    """``(total, count)`` of :func:`finish`'s ``sum_and_count``."""
    if counted is not None:
        count = _number_counted(xp, counted, loss.dtype)
    elif weight is not None:
        count = xp.sum(weight)
    else:  # (a Python int: exact; the array takes the loss's dtype and device)
        count = xp.asarray(float(math.prod(loss.shape)), dtype=loss.dtype, device=device(loss))
    total = _nan_where(xp, xp.sum(loss), invalid)
    return cast(xp, total, out_dtype), cast(xp, count, loss.dtype)


def mean(xp: Namespace, x: Array, axis: int | tuple[int, ...] | None = None) -> Array:
    """The mean of ``x`` over ``axis`` (every axis by default); NaN where no element is
    averaged, silently (``docs/numerics.md``, "Empty batch").

    An input empty by its static shape (never by its values) takes ``sum * nan``: the
    same NaN without NumPy's "Mean of empty slice" warnings, the input still in the
    autodiff graph.
    """
    if axis is None:
        empty = is_empty(x)
    else:
        empty = any(x.shape[a] == 0 for a in ((axis,) if isinstance(axis, int) else axis))
    if empty:
        return xp.sum(x, axis=axis) * math.nan
    return xp.mean(x, axis=axis)


def cast(xp: Namespace, x: Array, dtype: Any) -> Array:
    """``x`` in ``dtype``, never copied when it has that dtype already (``astype`` copies
    by default: a pass over every input for nothing).

    NumPy: a 0-d result is a 0-d ``ndarray``, never a NumPy scalar (which NumPy's
    reductions and 0-d arithmetic return, and which is not an array-API array).
    """
    if x.dtype != dtype:
        x = xp.astype(x, dtype, copy=False)
    if x.ndim == 0 and is_numpy(xp):  # (static: the namespace, never values)
        x = xp.asarray(x)
    return x
