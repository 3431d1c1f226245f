"""Numerically stable building blocks that the array API standard does not provide.

Every function takes the namespace ``xp`` first and works on any array-API library;
none reads array values in Python, indexes with a boolean mask or writes in place, so
all of them trace under ``jax.jit`` / ``torch.compile(fullgraph=True)`` and stay lazy
on Dask.  Python scalars only appear in operators, ``where`` and ``clip`` (array-api-
compat's two-argument wrappers such as ``maximum(x, 0)`` break ``torch.compile``).
"""

from __future__ import annotations

from ._compat import Array, Namespace, device, is_dask, stop_gradient

__all__ = [
    "gather_at_class",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "one_hot",
    "relu",
    "softplus",
    "softplus_pair",
]


def relu(xp: Namespace, x: Array) -> Array:
    """max(x, 0); ``clip`` keeps the dtype and compiles under ``torch.compile``."""
    return xp.clip(x, min=0.0)


def softplus(xp: Namespace, x: Array) -> Array:
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)).

    Exact in both tails: for x = -20 it is 2.06e-9 (not 0), for x = 1e4 it is 1e4
    (exp never overflows because its argument is <= 0).
    """
    return relu(xp, x) + xp.log1p(xp.exp(-xp.abs(x)))


def log_sigmoid(xp: Namespace, x: Array) -> Array:
    """log(sigmoid(x)) = -softplus(-x)."""
    return -softplus(xp, -x)


def softplus_pair(xp: Namespace, x: Array) -> tuple[Array, Array]:
    """``(softplus(-x), softplus(x))`` from a single exp and log1p.

    softplus(±x) = max(±x, 0) + log1p(exp(-|x|)): both tails stay exact and the
    transcendental part is shared.
    """
    tail = xp.log1p(xp.exp(-xp.abs(x)))
    return relu(xp, -x) + tail, relu(xp, x) + tail


def logsumexp(xp: Namespace, x: Array, axis: int, *, keepdims: bool = False) -> Array:
    """log(sum(exp(x), axis)) with the maximum subtracted first.

    The shift is the row maximum, with its gradient stopped (the result does not depend
    on the shift mathematically, and a gradient through ``max`` only costs time); a row
    whose maximum is not finite (all -inf, or +inf) is shifted by 0 instead, so an all
    -inf row gives -inf rather than NaN.
    """
    if _has_no_elements(x):
        # Dask's max of an empty chunk raises (NumPy's reduction has no identity); the
        # shift is irrelevant for an empty input, so use zeros of the reduced shape
        m = xp.zeros_like(xp.sum(x, axis=axis, keepdims=True))
    else:
        m = xp.max(x, axis=axis, keepdims=True)
        m = stop_gradient(xp, xp.where(xp.isfinite(m), m, 0.0))
    out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else xp.squeeze(out, axis=axis)


def _has_no_elements(x: Array) -> bool:
    """Whether ``x`` is statically known to be empty (a 0 in its shape; static metadata
    only, never array values: an unknown Dask dimension is ``None`` or NaN)."""
    return any(d == 0 for d in x.shape)


def log_softmax(xp: Namespace, x: Array, axis: int) -> Array:
    """x - logsumexp(x) along ``axis``."""
    return x - logsumexp(xp, x, axis, keepdims=True)


def one_hot(xp: Namespace, index: Array, num_classes: int, axis: int) -> Array:
    """Boolean one-hot of integer ``index`` with the class dimension inserted at ``axis``.

    ``axis`` is an axis of the *result* (non-negative).  Indices outside
    ``[0, num_classes)`` give an all-False row.  Built as ``index == arange`` so it is
    jit-safe and needs no scatter.
    """
    classes = xp.arange(num_classes, dtype=index.dtype, device=device(index))
    shape = [1] * (index.ndim + 1)
    shape[axis] = num_classes
    return xp.expand_dims(index, axis=axis) == xp.reshape(classes, tuple(shape))


def gather_at_class(xp: Namespace, x: Array, index: Array, axis: int) -> Array:
    """``x`` picked at ``index`` along the class ``axis`` (non-negative).

    ``index`` has ``x``'s shape without ``axis`` and must hold valid class indices
    (callers replace ignored or invalid ones first).  Uses ``take_along_axis`` where
    the namespace has it and a one-hot ``where``-sum otherwise (Dask).
    """
    if hasattr(xp, "take_along_axis") and not is_dask(xp):
        picked = xp.take_along_axis(x, xp.expand_dims(index, axis=axis), axis=axis)
        return xp.squeeze(picked, axis=axis)
    mask = one_hot(xp, index, x.shape[axis], axis)
    return xp.sum(xp.where(mask, x, 0.0), axis=axis)
