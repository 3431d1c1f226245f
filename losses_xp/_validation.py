"""Input validation shared by every loss.

Static checks (shapes, dtypes, options) always run and only look at metadata, so they
are free under ``jax.jit``, ``torch.compile`` and Dask.  Value checks (a class index out
of range, a probability outside [0, 1]) run only when the arrays' values can be read
eagerly on the host (see ``_compat.values_readable``); otherwise they are skipped and the
loss's docstring says what an invalid value produces.

Every error names the argument, what was expected and what was received.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ._compat import Array, Namespace, device, is_array, stop_gradient, values_readable
from ._reduction import cast

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction: object, allowed: Sequence[str] = REDUCTIONS) -> str:
    if not isinstance(reduction, str) or reduction not in allowed:
        valid = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"`reduction` must be one of {valid}; got {reduction!r}")
    return reduction


def floating_input(xp: Namespace, x: Array, name: str) -> tuple[Any, Any]:
    """Check that ``x`` has a real floating dtype; return ``(input dtype, compute dtype)``.

    The compute dtype is float32 for float16/bfloat16 inputs and the input dtype
    otherwise: half precision is computed in float32 and returned in the input dtype.
    """
    dtype = x.dtype
    if not xp.isdtype(dtype, "real floating"):
        raise TypeError(
            f"`{name}` must have a real floating dtype (float16, bfloat16, float32 or "
            f"float64); got {dtype}"
        )
    compute = xp.float32 if xp.finfo(dtype).bits < 32 else dtype
    return dtype, compute


def integer_input(xp: Namespace, x: Array, name: str, hint: str = "") -> None:
    if not xp.isdtype(x.dtype, "integral"):
        raise TypeError(
            f"`{name}` must have an integer dtype (class indices); got {x.dtype}{hint}"
        )


def numeric_target(xp: Namespace, x: Array, name: str) -> None:
    """Targets of element-wise losses: real floating, integer or bool (cast to float)."""
    if not (xp.isdtype(x.dtype, ("real floating", "integral")) or x.dtype == xp.bool):
        raise TypeError(f"`{name}` must have a real numeric or bool dtype; got {x.dtype}")


def same_shape(a: Array, b: Array, names: tuple[str, str]) -> None:
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"`{names[0]}` and `{names[1]}` must have the same shape; got "
            f"{tuple(a.shape)} and {tuple(b.shape)} (no implicit broadcasting: reshape one "
            "of them explicitly if that is what you mean)"
        )


def normalize_axis(ndim: int, axis: object, name: str = "axis") -> int:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(f"`{name}` must be an int; got {type(axis).__name__}")
    if ndim == 0:
        raise ValueError(
            f"the class axis needs an input with at least 1 dimension; got a 0-d {name} input")
    if not -ndim <= axis < ndim:
        raise ValueError(f"`{name}` must be in [{-ndim}, {ndim}) for a {ndim}-d input; got {axis}")
    return axis % ndim


def python_number(value: object, name: str, *, minimum: float | None = None,
                  strict: bool = False, maximum: float | None = None) -> float:
    """A Python real number option (static, so it may take part in Python control flow)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"`{name}` must be a Python int or float; got {type(value).__name__}")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"`{name}` must not be NaN")
    if minimum is not None and (v < minimum or (strict and v == minimum)):
        op = ">" if strict else ">="
        raise ValueError(f"`{name}` must be {op} {minimum}; got {value!r}")
    if maximum is not None and v > maximum:
        raise ValueError(f"`{name}` must be <= {maximum}; got {value!r}")
    return v


def option_array(xp: Namespace, value: object, name: str, dtype: Any, like: Array) -> Array:
    """An array-valued option (``weight``, ``pos_weight`` ...) as an array of ``xp``.

    Accepts an array of the same library as ``like`` or a Python sequence/number; the
    result has ``dtype`` and lives on ``like``'s device.
    """
    if is_array(value):
        try:
            return cast(xp, value, dtype)
        except Exception as exc:  # pragma: no cover - library-specific messages
            raise TypeError(f"`{name}` could not be converted to {dtype}: {exc}") from exc
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, int, float)):
        raise TypeError(
            f"`{name}` must be an array of the inputs' library or a sequence of numbers; "
            f"got {type(value).__name__}"
        )
    return xp.asarray(value, dtype=dtype, device=device(like))


def broadcastable_to(opt: Array, shape: tuple[int, ...], name: str, what: str) -> None:
    """``opt`` must broadcast to ``shape`` without changing it."""
    oshape = tuple(opt.shape)
    # trailing axes aligned by slicing: the Dynamo of PyTorch 2.3 and 2.4 treats
    # zip(..., strict=False) as strict
    ok = len(oshape) <= len(shape) and all(
        o in (1, s) for o, s in zip(oshape, shape[len(shape) - len(oshape):], strict=True)
    )
    if not ok:
        raise ValueError(
            f"`{name}` must be broadcastable to the shape of {what} {tuple(shape)}; "
            f"got shape {oshape}"
        )


def values_in_range(xp: Namespace, x: Array, lo: float, hi: float, name: str) -> None:
    """Eager check that every value of ``x`` lies in ``[lo, hi]`` (skipped when not readable)."""
    if not values_readable(x) or math.prod(x.shape) == 0:
        return
    if x.dtype == xp.bool:
        return  # 0 and 1: always in a range that holds [0, 1] (every caller's)
    xf = stop_gradient(xp, x)  # (reading a tensor that requires grad warns on PyTorch)
    # two reductions, no temporaries; a NaN makes min and max NaN, and NaN fails both tests
    lo_seen = float(xp.min(xf))
    hi_seen = float(xp.max(xf))
    if not (lo_seen >= lo and hi_seen <= hi):
        raise ValueError(
            f"`{name}` must lie in [{lo:g}, {hi:g}]; got values in [{lo_seen:g}, {hi_seen:g}]"
            + (" (and NaN)" if bool(xp.any(xf != xf)) else "")
        )
