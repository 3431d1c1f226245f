"""Reductions and the final cast back to the input dtype.

Losses compute in their compute dtype (float32 for half-precision inputs), so a mean
of 70,000 float16 values is accumulated in float32 and only the result is cast back.
"""

from __future__ import annotations

from typing import Any

from ._compat import Array, Namespace


def reduce(xp: Namespace, loss: Array, reduction: str, out_dtype: Any) -> Array:
    """``none``: the per-element loss; ``sum``: its sum; ``mean``: sum / number of elements.

    The mean of an empty loss is NaN (0/0), its sum 0, as in PyTorch.
    """
    if reduction == "sum":
        loss = xp.sum(loss)
    elif reduction == "mean":
        loss = xp.mean(loss)
    return cast(xp, loss, out_dtype)


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
    """
    return x if x.dtype == dtype else xp.astype(x, dtype, copy=False)
