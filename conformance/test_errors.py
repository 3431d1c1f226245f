"""The error catalogue (``conformance/errors/``) on the session's backend, every device.

``test_error`` runs every row for every function it applies to, in every floating dtype
of the backend that the row applies to: ``type(exc) is`` the row's exception and
``str(exc)`` is exactly its message (the whole message, the same on every backend).  A
value-dependent row raises where the values can be read eagerly on the host (NumPy,
array-api-strict, PyTorch CPU, JAX CPU); on Dask the loss is called lazily (computing
inside it fails) and the computed result must be NaN, never a plausible number.
``test_value_row_under_compilation`` checks the same NaN under ``jax.jit`` (every dtype)
and ``torch.compile(fullgraph=True)`` (float32, one compiled call per row and function:
compiling is slow).
"""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._compat import is_array
from losses_xp._declare import declarations
from losses_xp._testing.backends import Backend

from . import errors as ec
from .conftest import session_of

# --------------------------------------------------------------------------- parametrization


def _other_device(name: str, device: str | None) -> str | None:
    """The device the catalogue's ``OtherDevice`` arrays go to, ``None`` where the backend
    has only one (NumPy, JAX and Dask on this machine)."""
    if name == "torch":
        return "meta" if device in (None, "cpu") else "cpu"
    if name == "array_api_strict":
        return "CPU_DEVICE" if device == "device1" else "device1"
    return None


def _param(row: ec.Row, loss: ec.Loss, dtype: str) -> Any:
    # the rows of arrays on two devices reach the device branches of _compat
    marks = (pytest.mark.backend_paths,) if row.devices else ()
    return pytest.param(row, loss, dtype, id=f"{row.id}-{loss.name}-{dtype}", marks=marks)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``(row, loss, dtype)`` for every row, function it applies to and floating dtype of
    the session's backend (its devices are the ``bk`` parameter of conftest.py)."""
    if "row" not in metafunc.fixturenames:
        return
    s = session_of(metafunc.config)
    names = ("row", "loss", "dtype")
    if s.skip_reason:
        metafunc.parametrize(names, [pytest.param(None, None, None, id="skipped", marks=(
            pytest.mark.skip(reason=s.skip_reason)))])
        return
    dtypes = list(dict.fromkeys(d for b in s.backends for d in b.dtypes))
    value_only = metafunc.function.__name__ == "test_value_row_under_compilation"
    params = []
    for row in ec.ROWS:
        if value_only and not row.value_dependent:
            continue
        if row.backends is not None and s.name not in row.backends:
            reason = f"{s.name}: the row applies to {', '.join(row.backends)} only"
            params.append(pytest.param(row, None, None, id=f"{row.id}-skipped",
                                       marks=pytest.mark.skip(reason=reason)))
            continue
        if row.devices and _other_device(s.name, None) is None:
            reason = (f"{s.name} has a single device here: mixed devices are checked on "
                      "array_api_strict (CPU_DEVICE, device1) and torch (cpu, meta)")
            params.append(pytest.param(row, None, None, id=f"{row.id}-skipped",
                                       marks=pytest.mark.skip(reason=reason)))
            continue
        if row.backends is not None and s.name not in row.backends:
            reason = f"{s.name}: the row applies on {', '.join(row.backends)} only"
            params.append(pytest.param(row, None, None, id=f"{row.id}-skipped",
                                       marks=pytest.mark.skip(reason=reason)))
            continue
        for loss in ec.applicable(row.id):
            if value_only:  # one dtype chosen by the test: compiling is slow
                params.append(pytest.param(row, loss, None, id=f"{row.id}-{loss.name}"))
                continue
            params += [_param(row, loss, d) for d in dtypes
                       if row.dtypes is None or d in row.dtypes]
    metafunc.parametrize(names, params)


# --------------------------------------------------------------------------- conversion


def _numpy_dtype(dtype: str) -> str:
    return "float32" if dtype == "bfloat16" else dtype  # (NumPy has no bfloat16)


def _foreign_lib(bk: Backend) -> str:
    """The other library of the mixed-library rows: NumPy, or for the NumPy backend
    array-api-strict (PyTorch where it is not installed: the minimums session)."""
    if bk.name != "numpy":
        return "numpy"
    return "array_api_strict" if importlib.util.find_spec("array_api_strict") else "torch"


def _foreign(a: np.ndarray, bk: Backend, dtype: str) -> Any:
    """``a`` in another library than the backend's (see :func:`_foreign_lib`);
    array-api-strict has no float16: float32 there (the messages print no dtype)."""
    if _foreign_lib(bk) == "torch":
        import torch

        return torch.from_numpy(a.astype(_numpy_dtype(dtype)) if a.dtype.kind == "f" else a)
    if bk.name == "numpy":
        import array_api_strict

        if a.dtype.kind == "f":
            a = a.astype("float64" if dtype == "float64" else "float32")
        return array_api_strict.asarray(a)
    return np.asarray(a.astype(_numpy_dtype(dtype)) if a.dtype.kind == "f" else a)


def _on_other_device(a: np.ndarray, bk: Backend, dtype: str) -> Any:
    other = _other_device(bk.name, bk.device_name)
    assert other is not None, f"{bk.label} has no second device"
    x = bk.asarray(a, dtype if a.dtype.kind == "f" else None)
    if bk.name == "torch":
        return x.to(other)
    import array_api_strict

    return x.to_device(array_api_strict.Device(other))


def _convert(v: Any, bk: Backend, dtype: str) -> Any:
    if isinstance(v, ec.Foreign):
        return _foreign(v.value, bk, dtype)
    if isinstance(v, ec.OtherDevice):
        return _on_other_device(v.value, bk, dtype)
    if isinstance(v, ec.Kept):
        return bk.asarray(v.value)
    if isinstance(v, ec.Chunked):  # (Dask: chunks of 1 along the axis)
        x = bk.asarray(v.value, dtype if v.value.dtype.kind == "f" else None)
        return x.rechunk({v.axis: 1})
    if isinstance(v, ec.Complex):
        return bk.asarray(v.value.astype(ec.complex_dtype(dtype)))
    if isinstance(v, ec.Chunked):  # (Dask only: the row's backends)
        import dask.array as da

        a = v.value.astype(_numpy_dtype(dtype))
        return da.from_array(a, chunks=(*a.shape[:-1], (a.shape[-1] + 1) // 2))
    if isinstance(v, np.ndarray):
        return bk.asarray(v, dtype if v.dtype.kind == "f" else None)
    return v


def _materialize(call: ec.Call, bk: Backend, dtype: str) -> tuple[list[Any], dict[str, Any]]:
    return ([_convert(a, bk, dtype) for a in call.args],
            {k: _convert(v, bk, dtype) for k, v in call.kwargs.items()})


def _backend_fields(bk: Backend, dtype: str) -> dict[str, str]:
    """What the messages print for the backend under test (``{lib}``, ``{device}`` ...)."""
    device = bk.device_name or "cpu"
    if bk.name == "torch":  # as PyTorch prints the device of a tensor made there
        device = str(bk.asarray(np.zeros(1)).device)
    return {"lib": bk.name, "foreign": _foreign_lib(bk),
            "device": device, "other_device": str(_other_device(bk.name, bk.device_name)),
            "dtype": dtype,
            "complex_dtype": ec.complex_dtype(dtype) if dtype in ("float32", "float64") else "-"}


def _values_readable(bk: Backend) -> bool:
    """Whether the backend's values are read eagerly on the host (value checks raise)."""
    if bk.name in ("numpy", "array_api_strict"):
        return True
    if bk.name == "torch":
        return bk.device_name in (None, "cpu")
    if bk.name == "jax":
        import jax

        return bool(jax.default_backend() == "cpu")
    return False  # Dask is lazy, CuPy on a device


def _all_nan(bk: Backend, out: Any) -> bool:
    outs = out if isinstance(out, tuple) else (out,)
    return all(bool(np.all(np.isnan(bk.to_numpy(o)))) for o in outs)


# --------------------------------------------------------------------------- the tests


def test_error(bk: Backend, row: ec.Row, loss: ec.Loss, dtype: str) -> None:
    if dtype not in bk.dtypes:
        pytest.skip(f"{bk.label} has no {dtype}")
    fields = _backend_fields(bk, dtype)
    lazy = row.value_dependent and not _values_readable(bk)
    for bad in row.bads(loss):
        args, kwargs = _materialize(bad.call, bk, dtype)
        what = f"{loss.name} [{bad.label}] on {bk.label} in {dtype}"
        if lazy:  # no host read: the (lazy) call succeeds and the result is NaN
            with bk.forbid_compute(), lx.value_checks(row.level):
                out = loss.fn(*args, **kwargs)
            assert _all_nan(bk, out), f"{what}: a plausible result instead of NaN"
            continue
        expected = bad.message(row.message, fields)
        raised: Exception | None = None
        try:
            with lx.value_checks(row.level):
                loss.fn(*args, **kwargs)
        except Exception as exc:  # any type: asserted exactly below
            raised = exc
        if raised is None:
            pytest.fail(f"{what}: no error, expected {row.exc.__name__}: {expected}")
        assert type(raised) is row.exc, f"{what}: {type(raised).__name__}: {raised}"
        assert str(raised) == expected, f"{what}:\n got:  {raised}\n want: {expected}"


def _traced(fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]
            ) -> tuple[Callable[..., Any], list[Any]]:
    """``fn`` as a function of the call's arrays only (the rest fixed), and those arrays."""
    positions = [i for i, a in enumerate(args) if is_array(a)]
    keys = [k for k, v in kwargs.items() if is_array(v)]

    def call(*arrays: Any) -> Any:
        a = list(args)
        for i, v in zip(positions, arrays[:len(positions)], strict=True):
            a[i] = v
        kw = dict(kwargs)
        kw.update(zip(keys, arrays[len(positions):], strict=True))
        return fn(*a, **kw)
    return call, [args[i] for i in positions] + [kwargs[k] for k in keys]


def test_value_row_under_compilation(bk: Backend, row: ec.Row, loss: ec.Loss,
                                     dtype: None) -> None:
    """Compiled, nothing can raise on a value without a host sync: the result is NaN.

    (``dtype`` is not parametrized here: the dtypes are chosen below.)"""
    if bk.name not in ("jax", "torch"):
        where = ("its values are always read: test_error checks that it raises"
                 if bk.name in ("numpy", "array_api_strict") else
                 "test_error calls the loss lazily and computes the NaN after the call")
        pytest.skip(f"{bk.name} has no compiler; {where}")
    bads = row.bads(loss)
    if bk.name == "torch":
        import torch._dynamo

        dtypes, bads = ["float32"], bads[:1]
    else:
        dtypes = list(bk.dtypes)
    for each in dtypes:
        for bad in bads:
            args, kwargs = _materialize(bad.call, bk, each)
            fn, arrays = _traced(loss.fn, args, kwargs)
            if bk.name == "torch":
                torch._dynamo.reset()  # a fresh graph each time: no recompile limit
            with lx.value_checks(row.level):  # (read when traced: inside the block)
                out = bk.compile(fn)(*arrays)
            assert _all_nan(bk, out), (
                f"{loss.name} [{bad.label}] compiled on {bk.label} in {each}: a plausible "
                "result instead of NaN")


# --------------------------------------------------------------------------- the catalogue


@pytest.mark.backend_independent
def test_every_public_function_is_in_the_catalogue() -> None:
    public = {n for n in lx.__all__ if n not in lx._NOT_LOSSES}
    assert {loss.name for loss in ec.losses()} == public


@pytest.mark.backend_independent
def test_aliases_are_their_declared_functions() -> None:
    """An alias is a second public name of a declared function (the same object), and the
    catalogue runs every row under it too."""
    by_name = {loss.name: loss for loss in ec.losses()}
    for decl in declarations().values():
        assert by_name[decl.name].fn is decl.fn
        for alias in decl.aliases:
            assert getattr(lx, alias) is decl.fn, f"{alias} is not {decl.name}"
            assert by_name[alias].decl is decl


def test_every_option_has_a_row() -> None:
    """Each keyword option of each function is given a bad value by some row, so a new
    option of a new or old function cannot go without its error check."""
    for loss in ec.losses():
        tried = {bad.fields.get("option") for row in ec.ROWS for bad in row.bads(loss)}
        params = inspect.signature(loss.fn).parameters
        options = {n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
        options |= set(loss.decl.options)
        assert options <= tried, f"{loss.name}: no row gives a bad {sorted(options - tried)}"


def test_rows_have_unique_ids_and_apply_somewhere() -> None:
    ids = [row.id for row in ec.ROWS]
    assert len(ids) == len(set(ids))
    for row in ec.ROWS:
        assert ec.applicable(row.id), f"row {row.id} applies to no function"


def test_docs_table_lists_every_row() -> None:
    table = ec.render()
    for row in ec.ROWS:
        assert f"| `{row.id}` |" in table
    assert table.count("\n| `") == len(ec.ROWS)
