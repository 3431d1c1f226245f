"""How ``python -m losses_xp check`` reports what goes wrong, path by path.

tests/test_check.py covers the matrix, a disagreement, an exception in a loss and the
usage errors; these tests provoke the other failures the command must name instead of
crashing or passing: inputs that do not convert, results that cannot be computed, a
reference that fails, a compiled path that fails, returns the wrong thing or disagrees,
a backend that cannot be opened, a worker process that dies, and no backend at all.
Every one runs on NumPy or array-api-strict (a ``Backend`` subclass stands in for a
misbehaving library), in well under a second each but the worker test (~2 s).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp import _check, _check_run
from losses_xp._testing.backends import Backend, get_backend


def _spec(name: str = "mse_loss", fn: Any = None, extreme: bool = False) -> _check.LossSpec:
    spec = _check.load_specs([name], extreme=extreme)[0]
    return replace(spec, fn=fn or spec.fn)


def _cell(backend: Any, spec: _check.LossSpec, **opts: Any) -> _check.Cell:
    options = _check.Options(backends=[backend.name], explicit=True,
                             **{"repeat": 0, **opts})
    return _check_run.check_cell(backend, spec, options, backend.label)


@dataclass
class Misbehaving(Backend):
    """NumPy, with one step broken on purpose (``fault``), and a stand-in compiler."""

    fault: str = ""

    def asarray(self, a: Any, dtype: str | None = None) -> Any:
        if self.fault == "asarray":
            raise RuntimeError("cannot convert")
        out = super().asarray(a, dtype)
        return np.atleast_1d(out) if self.fault == "adds-a-dimension" else out

    def to_numpy(self, x: Any) -> np.ndarray:
        if self.fault == "to_numpy":
            raise RuntimeError("cannot compute")
        return super().to_numpy(x)

    def compile(self, fn: Any) -> Any:
        def compiled(*args: Any) -> Any:
            if self.fault == "compile":
                raise RuntimeError("cannot compile")
            out = fn(*args)
            if self.fault == "compiled-returns-a-float":
                return float(out)
            if self.fault == "compiled-is-off":
                return out * out.dtype.type(1.01)
            return out
        return compiled


def _misbehaving(fault: str, compiles: bool = False) -> Misbehaving:
    return Misbehaving("numpy", "numpy", ("float32", "float64"), compiles=compiles,
                       fault=fault)


def test_inputs_that_do_not_convert_are_reported() -> None:
    cell = _cell(_misbehaving("asarray"), _spec())
    assert cell.failures
    assert all("converting the inputs failed: RuntimeError: cannot convert" in f
               for f in cell.failures)


def test_results_that_cannot_be_computed_are_reported() -> None:
    cell = _cell(_misbehaving("to_numpy"), _spec())
    assert cell.failures
    assert "computing the result failed: RuntimeError: cannot compute" in cell.failures[0]


def test_a_conversion_that_changes_the_shape_is_undone() -> None:
    """The case's exact shape is what is checked, whatever the backend's conversion does."""
    backend = _misbehaving("adds-a-dimension")
    out = _check_run._convert(backend, np.array(2.5), "float64")
    assert out.shape == ()
    assert float(out) == 2.5
    assert _check_run._convert(backend, [1, 2], "float64") == [1, 2]  # not an array: as it is
    assert not _cell(backend, _spec()).failures


def test_a_result_of_another_library_is_a_disagreement() -> None:
    cell = _cell(get_backend("numpy"), _spec(fn=lambda *a, **k: [float(lx.mse_loss(*a, **k))]))
    assert any("returned a builtins.list, not a numpy array" in f for f in cell.failures)


def test_a_failing_reference_is_reported() -> None:
    """The NumPy float64 reference raising is a failure of its own, named as such."""
    def fn(*args: Any, **kwargs: Any) -> Any:
        if isinstance(args[0], np.ndarray):
            raise RuntimeError("the reference broke")
        return lx.mse_loss(*args, **kwargs)

    cell = _cell(get_backend("array_api_strict"), _spec(fn=fn))
    assert cell.failures
    assert all("the NumPy reference failed: RuntimeError: the reference broke" in f
               for f in cell.failures)


@pytest.mark.parametrize(("fault", "message"), [
    ("compile", "compiled, case 2d, float32, reduction='mean': RuntimeError: cannot compile"),
    ("compiled-returns-a-float", "returned a builtins.float, not a numpy array"),
    ("compiled-is-off", "compiled, case 2d, float32, reduction='mean': deviation 1.00e-02"),
])
def test_a_failing_compiled_path_is_reported(fault: str, message: str) -> None:
    cell = _cell(_misbehaving(fault, compiles=True), _spec())
    assert cell.compiled == "FAIL"
    assert len(cell.failures) == 1
    assert message in cell.failures[0]


def test_compiled_path_ok_off_and_without_a_case() -> None:
    assert _cell(_misbehaving("", compiles=True), _spec()).compiled == "ok"
    assert _cell(_misbehaving("", compiles=True), _spec(), compile=False).compiled == "off"
    # a loss whose cases are all extreme (none to compile) shows "-"
    spec = _spec(extreme=True)
    only_extreme = replace(spec, cases=[c for c in spec.cases if c.name in spec.extreme])
    assert only_extreme.cases
    assert _check_run.compile_case(only_extreme) is None
    assert _cell(_misbehaving("", compiles=True), only_extreme).compiled == "-"


def test_a_backend_that_cannot_be_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_check.importlib.util, "find_spec", lambda name: None)
    assert _check.open_backend("jax") == (None, "not installed")
    # CuPy installed on a machine without a GPU
    monkeypatch.setattr(_check.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr("losses_xp._testing.backends.cuda_device_present", lambda: False)
    assert _check.open_backend("cupy") == (None, "no device")
    monkeypatch.undo()

    broken = Backend("numpy", "losses_xp_no_such_module", ("float32",))
    monkeypatch.setattr("losses_xp._testing.backends.get_backend", lambda name, dev=None: broken)
    backend, status = _check.open_backend("numpy")
    assert backend is None
    assert status.startswith("unavailable: cannot import losses_xp_no_such_module")

    def explode(name: str) -> Any:
        raise RuntimeError("half-way import")

    monkeypatch.setattr(_check, "open_backend", explode)
    opts = _check.Options(backends=["numpy"], explicit=True, repeat=0)
    column = _check.run_backend("numpy", opts, [_spec()])
    assert column.status == "unavailable: RuntimeError: half-way import"
    assert not column.cells


def test_a_worker_that_dies_fails_the_check() -> None:
    """--jobs 2: a worker whose run raises is reported as crashed, not lost."""
    # the workers derive the cases again from opts.losses: an unknown name makes them raise
    opts = _check.Options(backends=["numpy", "array_api_strict"], explicit=True,
                          losses=["no_such_loss"], repeat=0, jobs=2)
    out = io.StringIO()
    assert _check.check([_spec()], opts, out, io.StringIO()) == 1
    text = out.getvalue()
    assert "numpy: the worker process crashed: ValueError" in text
    assert "array_api_strict: the worker process crashed: ValueError" in text


def test_no_backend_at_all_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _check.importlib.util.find_spec
    monkeypatch.setattr(_check.importlib.util, "find_spec",
                        lambda name, *a: None if name == "cupy" else real(name, *a))
    opts = _check.Options(backends=["cupy"], explicit=False, repeat=0)  # listed, not required
    out = io.StringIO()
    assert _check.check([_spec()], opts, out, io.StringIO()) == 1
    assert "FAILED: no backend could be checked" in out.getvalue()
