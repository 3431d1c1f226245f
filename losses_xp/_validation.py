"""Input validation shared by every loss.

Static checks (shapes, dtypes, options) always run and only look at metadata, so they
are free under ``jax.jit``, ``torch.compile`` and Dask.  Value checks (a probability
outside [0, 1]; class indices: ``_classes.py``) run only when the arrays' values can be
read eagerly on the host (see ``_compat.values_readable``).  Otherwise nothing can raise
without a host sync, so :func:`values_in_range` hands back a 0-d "invalid" flag computed
on the device instead and the loss becomes NaN (``_reduction.finish``): an invalid input
never yields a plausible number.  :func:`elementwise_inputs` is the beginning of every
loss whose prediction and target have one shape.

Every error names the argument, what was expected and what was received, and reads the
same on every backend: dtypes are printed by their standard name (``int64``, never
``torch.int64`` or ``array_api_strict.int64``), devices as ``_compat.device_name`` prints
them.  The full list of errors is ``conformance/error_catalogue.py`` (``docs/errors.md``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from ._compat import (
    Array,
    Namespace,
    device,
    is_array,
    is_empty,
    library_name,
    namespace,
    stop_gradient,
    values_readable,
)
from ._reduction import cast
from ._settings import runs

REDUCTIONS = ("none", "mean", "sum")


def dtype_name(dtype: object) -> str:
    """A dtype's name as the array API standard spells it, whatever the library.

    ``str`` of a dtype is ``'int64'`` for NumPy, JAX and Dask, ``'torch.int64'`` for
    PyTorch and ``'array_api_strict.int64'`` for array-api-strict: the library prefix is
    dropped so that an error message reads the same on every backend.
    """
    return str(dtype).rsplit(".", 1)[-1]


#: the reduction that returns ``mean``'s two parts, ``(total, count)`` (see
#: ``_reduction.finish``): accepted wherever ``mean`` is
PARTS = "sum_and_count"


def check_reduction(reduction: object, allowed: Sequence[str] = REDUCTIONS) -> str:
    """``reduction`` if it is one of ``allowed`` (or ``sum_and_count`` where ``mean`` is
    allowed); else a ``ValueError`` that lists the valid ones."""
    if "mean" in allowed:
        allowed = (*allowed, PARTS)
    if not isinstance(reduction, str) or reduction not in allowed:
        valid = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"`reduction` must be one of {valid}; got {reduction!r}")
    return reduction


def refuse_parts(reduction: str, loss: str, why: str) -> None:
    """A ``ValueError`` where ``reduction`` is ``sum_and_count`` and ``loss``'s value over
    a batch is not a sum over its parts (``why``: what to do instead)."""
    if reduction == PARTS:
        raise ValueError(
            f"`reduction='{PARTS}'` is not available for {loss}: {why}")


def floating_input(xp: Namespace, x: Array, name: str) -> tuple[Any, Any]:
    """Check that ``x`` has a real floating dtype; return ``(input dtype, compute dtype)``.

    The compute dtype is float32 for float16/bfloat16 inputs and the input dtype
    otherwise: half precision is computed in float32 and returned in the input dtype.
    Integer or bool predictions are refused rather than cast: they are almost always
    swapped arguments (class indices in the logits' place).
    """
    dtype = x.dtype
    if not xp.isdtype(dtype, "real floating"):
        raise TypeError(
            f"`{name}` must have a real floating dtype (float16, bfloat16, float32 or "
            f"float64); got {dtype_name(dtype)}"
        )
    compute = xp.float32 if xp.finfo(dtype).bits < 32 else dtype
    return dtype, compute


def integer_input(xp: Namespace, x: Array, name: str, hint: str = "") -> None:
    if not xp.isdtype(x.dtype, "integral"):
        raise TypeError(
            f"`{name}` must have an integer dtype (class indices); got "
            f"{dtype_name(x.dtype)}{hint}"
        )


def numeric_target(xp: Namespace, x: Array, name: str) -> None:
    """Targets of element-wise losses: real floating, integer or bool (cast to float)."""
    if not (xp.isdtype(x.dtype, ("real floating", "integral")) or x.dtype == xp.bool):
        raise TypeError(
            f"`{name}` must have a real numeric or bool dtype; got {dtype_name(x.dtype)}")


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
            f"`{name}` needs an input with at least 1 dimension (the class axis); "
            "got a 0-d input")
    if not -ndim <= axis < ndim:
        raise ValueError(f"`{name}` must be in [{-ndim}, {ndim}) for a {ndim}-d input; got {axis}")
    return axis % ndim


def python_number(value: object, name: str, *, minimum: float | None = None,
                  strict: bool = False, maximum: float | None = None) -> float:
    """A real number option (Python or NumPy scalar, never a bool) as a Python float:
    static, so it may take part in Python control flow."""
    if type(value) is not float and type(value) is not int and (
            isinstance(value, bool) or not isinstance(value, numbers.Real)):
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
            raise TypeError(
                f"`{name}` could not be converted to {dtype_name(dtype)}: {exc}") from exc
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, int, float)):
        raise TypeError(
            f"`{name}` must be an array of the inputs' library or a sequence of numbers; "
            f"got {type(value).__name__}"
        )
    return xp.asarray(value, dtype=dtype, device=device(like))


def broadcastable_to(opt: Array, shape: tuple[int, ...], name: str, what: str) -> None:
    """``opt`` must broadcast to ``shape`` without changing it."""
    oshape = tuple(opt.shape)
    # trailing axes by slicing (the Dynamo of PyTorch 2.3/2.4 takes zip(strict=False) as strict)
    ok = len(oshape) <= len(shape) and all(
        o in (1, s) for o, s in zip(oshape, shape[len(shape) - len(oshape):], strict=True)
    )
    if not ok:
        raise ValueError(
            f"`{name}` must be broadcastable to the shape of {what} {tuple(shape)}; "
            f"got shape {oshape}"
        )


def values_in_range(xp: Namespace, x: Array, lo: float, hi: float, name: str, *,
                    essential: bool, open_lo: bool = False) -> Array | None:
    """Check that every value of ``x`` lies in ``[lo, hi]`` (NaN never does); with
    ``open_lo`` in ``(lo, hi]`` (a mean > 0, a ``log1p`` argument > -1).

    ``essential``: a check the frameworks' own losses perform too; it runs unless the
    value-check level is ``"none"``, any other only at ``"all"`` (``_settings``).

    Two reductions, the minimum and the maximum (a NaN makes both NaN, which fails
    both comparisons).  Where the values can be read eagerly (``values_readable``) an
    invalid value raises ``ValueError`` and ``None`` is returned; elsewhere the same two
    reductions stay on the device and the 0-d boolean "some value is invalid" is
    returned, for ``_reduction.finish`` to make the whole loss NaN (a scalar flag, not
    an element-wise mask: ``docs/numerics.md``, "Invalid values").  ``None`` also when
    nothing can be invalid: a bool ``x`` (0 and 1 lie in every closed range of a
    caller; one whose range excludes 0 checks the array cast to floating), an empty
    one.  The message shows the extremes of the non-NaN values and any NaN apart.
    """
    if x.dtype == xp.bool or is_empty(x) or not runs(essential):
        return None
    xf = stop_gradient(xp, x)  # (reading a tensor that requires grad warns on PyTorch)
    if not values_readable(x):
        # integer bounds for integer arrays (comparing them with a float is unspecified)
        integral = xp.isdtype(x.dtype, "integral")
        if open_lo:
            ok = (xp.min(xf) >= math.floor(lo) + 1) if integral else (xp.min(xf) > lo)
        else:
            ok = xp.min(xf) >= (math.ceil(lo) if integral else lo)
        if hi != math.inf:
            ok = ok & (xp.max(xf) <= (math.floor(hi) if integral else hi))
        return xp.logical_not(ok)
    lo_seen = float(xp.min(xf))
    hi_seen = float(xp.max(xf))
    if (lo_seen > lo if open_lo else lo_seen >= lo) and hi_seen <= hi:
        return None
    got = f"values in [{lo_seen:g}, {hi_seen:g}]"
    if math.isnan(lo_seen) or math.isnan(hi_seen):  # a NaN: the extremes of the others
        nan = xp.isnan(xf)
        if bool(xp.all(nan)):
            got = "only NaN"
        else:
            lo_seen = float(xp.min(xp.where(nan, math.inf, xf)))
            hi_seen = float(xp.max(xp.where(nan, -math.inf, xf)))
            got = f"values in [{lo_seen:g}, {hi_seen:g}] and NaN"
    raise ValueError(f"`{name}` must lie in {'(' if open_lo else '['}{lo:g}, {hi:g}]; got {got}")


def sign_values(xp: Namespace, x: Array, name: str, *, essential: bool = True
                ) -> Array | None:
    """Check that every value of ``x`` is -1 or +1 (labels of a margin loss); a bool
    ``x`` (True = +1) is valid by its dtype.

    As :func:`values_in_range`: where the values can be read eagerly an invalid value
    raises ``ValueError`` and ``None`` is returned, elsewhere the 0-d flag "some value
    is not -1 or +1" is returned for ``_reduction.finish``.  A 0 among the values is
    the classic mistake of 0/1 labels, which a hinge silently turns into a wrong number
    (a 0 label gives the constant 1): the message says how to convert them.
    """
    if x.dtype == xp.bool or is_empty(x) or not runs(essential):
        return None
    xf = stop_gradient(xp, x)
    ok = (xf == 1) | (xf == -1)
    if not values_readable(x):
        return xp.logical_not(xp.all(ok))
    if bool(xp.all(ok)):
        return None
    nan = xp.isnan(xf) if xp.isdtype(x.dtype, "real floating") else None
    if nan is not None and bool(xp.all(nan)):
        got = "only NaN"
    else:  # the extremes of the non-NaN values, any NaN apart
        lo = float(xp.min(xf if nan is None else xp.where(nan, math.inf, xf)))
        hi = float(xp.max(xf if nan is None else xp.where(nan, -math.inf, xf)))
        got = f"values in [{lo:g}, {hi:g}]"
        if nan is not None and bool(xp.any(nan)):
            got += " and NaN"
        if bool(xp.any(xf == 0)):  # (NaN == 0 is False)
            got += (f", zeros among them: 0/1 labels? Convert them with `2 * {name} - 1` "
                    f"(or pass the bool array `{name} == 1`)")
    raise ValueError(f"`{name}` must hold -1 or +1 (or be bool, True = +1); got {got}")


def either(a: Array | None, b: Array | None) -> Array | None:
    """The union of two flags of :func:`values_in_range` (``None``: nothing invalid)."""
    if a is None:
        return b
    return a if b is None else a | b


def elementwise_inputs(prediction: Array, target: Array,
                       names: tuple[str, str] = ("prediction", "target"),
                       weights: Mapping[str, object] | None = None, *, binary: bool = False,
                       probs: bool = False,
                       ) -> tuple[Namespace, Array, Array, Any, Array | None,
                                  list[Array | None]]:
    """The beginning of a loss whose prediction and target have one shape.

    Checks, in this order: one library and device for the inputs and the array
    ``weights``; a real floating prediction; a real numeric (or bool) target of exactly
    the prediction's shape; with ``binary`` a target in [0, 1], with ``probs`` also a
    prediction in [0, 1]; each of ``weights`` (element weights broadcastable to the
    prediction).  Returns ``(xp, prediction, target, out_dtype, invalid, weights)``:
    both arrays in the compute dtype (float32 for half precision), ``invalid`` the 0-d
    flag of values that could not be checked eagerly (for ``_reduction.finish``),
    ``weights`` in the order given, ``None`` where absent.
    """
    pred_name, target_name = names
    xp = namespace({pred_name: prediction, target_name: target}, weights)
    out_dtype, dtype = floating_input(xp, prediction, pred_name)
    numeric_target(xp, target, target_name)
    same_shape(prediction, target, names)
    invalid = None
    if binary:
        invalid = values_in_range(xp, target, 0.0, 1.0, target_name, essential=False)
        if probs:
            invalid = either(invalid, values_in_range(xp, prediction, 0.0, 1.0, pred_name,
                                                      essential=True))
    ws: list[Array | None] = []
    for name, w in (weights or {}).items():
        if w is not None:  # element weights, broadcastable to the prediction
            w = option_array(xp, w, name, dtype, prediction)
            broadcastable_to(w, tuple(prediction.shape), name, f"`{pred_name}`")
        ws.append(w)
    return xp, cast(xp, prediction, dtype), cast(xp, target, dtype), out_dtype, invalid, ws


def one_chunk_along(x: Array, axis: int | Sequence[int], name: str, why: str) -> None:
    """``ValueError`` where ``x`` is a Dask array in more than one chunk along ``axis``
    (an int or several): a loss that sorts along an axis needs it whole in one chunk
    (``why`` says what it does there).  Metadata only (``chunks``), free when lazy;
    nothing for the other libraries."""
    if library_name(x) != "dask":  # (first: Dynamo of PyTorch 2.3 cannot trace a
        return  # getattr of an attribute a tensor lacks)
    chunks = x.chunks
    for a in (axis,) if isinstance(axis, int) else tuple(axis):
        n = len(chunks[a])
        if n > 1:
            raise ValueError(
                f"`{name}` is a Dask array in {n} chunks along axis {a}, which {why}: "
                f"that axis must be one chunk; rechunk it first, e.g. "
                f"`{name}.rechunk({{{a}: -1}})`")
