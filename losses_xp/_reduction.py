"""Reductions and the final cast back to the input dtype.

Losses compute in their compute dtype (float32 for half-precision inputs), so a mean
of 70,000 float16 values is accumulated in float32 and only the result is cast back.
Every result of every loss leaves through :func:`cast`.
"""

from __future__ import annotations

import math
from typing import Any

from ._compat import Array, Namespace, is_numpy


def reduce(xp: Namespace, loss: Array, reduction: str, out_dtype: Any) -> Array:
    """``none``: the per-element loss; ``sum``: its sum; ``mean``: sum / number of elements.

    The mean of an empty loss is NaN (0/0), its sum 0, as in PyTorch (see :func:`mean`).
    """
    if reduction == "sum":
        loss = xp.sum(loss)
    elif reduction == "mean":
        loss = mean(xp, loss)
    return cast(xp, loss, out_dtype)


def mean(xp: Namespace, x: Array, axis: int | tuple[int, ...] | None = None) -> Array:
    """The mean of ``x`` over ``axis`` (every axis by default); NaN where no element is
    averaged.

    One rule for every loss (``docs/numerics.md``, "Empty batch"): the mean of nothing is
    NaN, silently, on every backend.  NumPy's own ``mean`` of an empty slice emits two
    ``RuntimeWarning`` s ("Mean of empty slice", "invalid value encountered") that no
    other backend emits, and the losses whose mean divides by a weight sum never did; so
    an input that is empty by its static shape (never by its values: nothing is read)
    takes ``sum * nan`` instead: the same NaN without a 0/0, the input still in the
    autodiff graph.
    """
    shape = tuple(x.shape)  # (an unknown Dask size is NaN or None: never 0)
    if axis is None:
        empty = 0 in shape
    else:
        empty = any(shape[a] == 0 for a in ((axis,) if isinstance(axis, int) else axis))
    if empty:
        return xp.sum(x, axis=axis) * math.nan
    return xp.mean(x, axis=axis)


def weighted_mean(xp: Namespace, loss: Array, weight: Array, reduction: str,
                  out_dtype: Any) -> Array:
    """Like ``reduce`` but ``mean`` divides by ``sum(weight)``.

    A zero ``sum(weight)`` (every target ignored) gives NaN, as in PyTorch, through a
    ``where`` rather than a 0/0 division (which NumPy reports as a RuntimeWarning).
    """
    if reduction == "mean":
        den = xp.sum(weight)
        empty = den == 0
        mean = xp.where(empty, xp.nan, xp.sum(loss) / xp.where(empty, 1.0, den))
        return cast(xp, mean, out_dtype)
    return reduce(xp, loss, reduction, out_dtype)


def cast(xp: Namespace, x: Array, dtype: Any) -> Array:
    """``x`` in ``dtype``, never copied when it has that dtype already.

    (``astype`` copies by default, as the standard says: one full pass over every input
    of every loss for nothing, since no loss writes in place.)

    NumPy: a 0-d result is a 0-d ``ndarray``, never a NumPy scalar.  NumPy's reductions
    and its arithmetic on 0-d arrays return scalars (``np.float64``), which are not
    array-API arrays (no ``device``, no ``__array_namespace__``) and which the other
    backends never return; every loss's result passes through here.
    """
    if x.dtype != dtype:
        x = xp.astype(x, dtype, copy=False)
    if x.ndim == 0 and is_numpy(xp):  # (static: the namespace, never values)
        x = xp.asarray(x)
    return x
