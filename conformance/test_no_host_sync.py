"""No loss reads an array value on the host: every loss, every case, every reduction,
in each backend's mode where values do not exist or cannot be read.

A loss that calls ``float``/``bool``/``.item()`` on an array, branches in Python on an
array value, indexes with a boolean mask or makes a shape depend on the data works on
NumPy and fails, or forces a device synchronisation, everywhere else.  Each session
runs every value case and every extreme case of the registry, every reduction, in the
mode of its library that makes such a loss fail:

* **jax** (float32, float64): ``jax.jit(loss)`` and ``jax.jit(jax.grad(sum of loss))``
  traced with ``jax.eval_shape`` on ``ShapeDtypeStruct`` inputs (options included):
  every array is an abstract tracer, so any host read raises.  Tracing is all that is
  needed (``test_compile.py`` compiles and checks values) and ~8x cheaper than a
  compile (a forward loss: 9 ms traced, 74 ms compiled, measured).  Under
  ``jax.transfer_guard("disallow")``, which on the CPU catches nothing here (CPU arrays
  are host memory: reading one is no transfer, and a trace transfers nothing), but on
  a GPU or TPU also refuses a host read of a concrete array the loss made itself.
* **torch**: tensors on the ``meta`` device (shapes and dtypes, no data: ``.item()``,
  ``float``, ``bool``, ``nonzero`` raise), forward and backward, every floating dtype;
  the result is a ``meta`` tensor of the promised dtype and of the NumPy result's shape.
* **dask**: not here: every Dask call of the matrix (``helpers.run``: test_values.py,
  test_extreme.py) builds the graph with computing forbidden (``Backend.forbid_compute``)
  and requires a static shape (a boolean mask or ``nonzero`` gives NaN dimensions
  lazily); those tests then compute it outside the loss and compare it with the oracle.
* **array_api_strict**: the strictest flags (``conftest._resolve``: the newest released
  standard, no extensions, no boolean indexing, no data-dependent shapes) on each device
  of the session; the result lives on the inputs' device.  array-api-strict cannot
  forbid ``float``/``bool`` on a 0-d array, and the eager value checks read values there
  on purpose (``_compat.values_readable``): it proves the standard-only, device-clean
  half; jax, torch and dask prove the no-read half.
* **numpy**: eager only, nothing to prove: skipped, saying where it is proven.

The harness itself is tested (``test_no_host_sync_harness.py``): a loss that reads a
value, branches on one, masks or calls ``nonzero`` must fail in each mode, and a clean
one pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from losses_xp._testing.backends import Backend
from losses_xp._testing.inputs import Case

from ._host_sync import (
    IN_THE_MATRIX,
    NOT_HERE,
    Seen,
    numpy_result,
    run_meta,
    run_strict,
    trace_jax,
)
from ._host_sync import Inputs as Inputs
from .conftest import session_of
from .helpers import extreme_cases, value_cases
from .registry import SPECS, Spec

#: the floating dtypes of a session where not all of its backend's (JAX: float32 and
#: float64, those of its jit tests; half precision runs the float32 code on cast inputs)
DTYPES = {"jax": ("float32", "float64")}

# --------------------------------------------------------------------------- parametrization


@dataclass(frozen=True)
class Point:
    """One test: backend (on a device) × loss × case × dtype; all its reductions."""

    bk: Backend
    spec: Spec
    case: Case
    dtype: str
    kind: str  # "values" or "extreme"

    def id(self, with_device: bool) -> str:
        parts = [self.spec.name, f"{self.kind}:{self.case.name}", self.dtype]
        return "-".join([*parts, str(self.bk.device_name)] if with_device else parts)


def _points(backends: Sequence[Backend]) -> list[Point]:
    points = []
    for bk in backends:
        for name in sorted(SPECS):
            for kind, cases in (("values", value_cases(name)), ("extreme", extreme_cases(name))):
                for case in cases:
                    for dtype in DTYPES.get(bk.name, bk.dtypes):
                        if case.applies_to(dtype):
                            points.append(Point(bk, SPECS[name], case, dtype, kind))
    return points


def _skipped(reason: str) -> list[Any]:
    return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="skipped")]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "point" not in metafunc.fixturenames:
        return
    s = session_of(metafunc.config)
    reason = s.skip_reason or NOT_HERE.get(s.name) or IN_THE_MATRIX.get(s.name)
    if reason is not None:
        metafunc.parametrize("point", _skipped(reason))
        return
    points = _points(s.backends)
    with_device = len(s.backends) > 1
    metafunc.parametrize("point", points, ids=[p.id(with_device) for p in points])


# --------------------------------------------------------------------------- the matrix


def _expect(seen: Seen, want: np.ndarray, dtype: str, case: Case,
            differentiable: Sequence[int], what: str) -> None:
    assert seen.dtype == dtype, f"{what}: result dtype {seen.dtype}, expected {dtype}"
    assert seen.shape == want.shape, f"{what}: shape {seen.shape}, NumPy's {want.shape}"
    for i in differentiable:
        shape = tuple(case.args[i].shape)
        assert seen.grads[i] == (shape, dtype), (
            f"{what}: gradient of argument {i} is {seen.grads[i]}, expected {(shape, dtype)}")


# What a trace or a meta run saw, by the call's abstract signature: neither sees a value,
# so two cases with the same shapes, dtypes and static options (a value case and an
# extreme case, often) run the very same program, which is traced only once.
_SEEN: dict[tuple[Any, ...], Seen] = {}


def _signature(bk: Backend, spec: Spec, case: Case, dtype: str, reduction: str,
               ) -> tuple[Any, ...]:
    inputs = Inputs.of(case)
    arrays = tuple((a.shape, inputs.dtype_of(a, dtype)) for a in inputs.arrays)
    return (bk.label, spec.name, reduction, arrays, inputs.array_options,
            repr(sorted(inputs.static.items())))


def test_no_host_sync(point: Point) -> None:
    bk, spec, case, dtype = point.bk, point.spec, point.case, point.dtype
    fn = spec.entry.call
    reductions = spec.entry.reductions_for(case)
    diff = spec.entry.differentiable
    for reduction in reductions:
        what = f"{spec.name}[{point.kind}:{case.name}] {dtype} {reduction} on {bk.label}"
        want = numpy_result(spec, case, "float64", reduction)  # (its shape is compared)
        if bk.name == "array_api_strict":  # eager: it sees the values, run every case
            _expect(run_strict(bk, fn, case, dtype, reduction), want, dtype, case, (), what)
            continue
        key = _signature(bk, spec, case, dtype, reduction)
        if key not in _SEEN:
            mode = trace_jax if bk.name == "jax" else run_meta
            _SEEN[key] = mode(bk, fn, case, dtype, reduction, diff)
        _expect(_SEEN[key], want, dtype, case, diff, what)

