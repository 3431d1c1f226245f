"""``python -m losses_xp check`` (``losses_xp/_check.py`` and ``_check_run.py``).

On the two backends of the unit tests (NumPy, array-api-strict): the matrix, the exit
status, failures injected into one backend, a backend requested but missing, the deviation
measure, and every other failure the command must name instead of crashing or passing
(inputs that do not convert, results that cannot be computed, a reference that fails, a
compiled path that fails, returns the wrong thing or disagrees, a backend that cannot be
opened, a worker process that dies, no backend at all; a ``Backend`` subclass stands in
for a misbehaving library).  The last test runs PyTorch, JAX and Dask with their
compilers where the nox ``coverage`` session installs them (elsewhere it skips, saying
which library is missing; the nox ``check`` session runs them in full).  The cases come
from the declarations (``losses_xp/_testing/declared.py``, tested in
tests/test_declared.py).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import math
import os
import re
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp import _check, _check_run
from losses_xp.__main__ import build_parser, main
from losses_xp._declare import declarations
from losses_xp._testing.backends import Backend, get_backend
from losses_xp._testing.inputs import Case

ROOT = Path(lx.__file__).resolve().parent.parent
FAST = ["--backends", "numpy,array_api_strict", "--jobs", "1", "--no-compile", "--repeat", "1"]
DECLS = declarations()
# the functions the tests run, chosen by their declarations (this file names no loss):
# an element-wise regression loss with every reduction and a 0-d case, a loss with a
# class axis, a function with an alias
PLAIN = next(n for n, d in DECLS.items() if d.prediction == "regression" and d.min_ndim == 0
             and d.reductions == ("none", "mean", "sum") and not d.aliases)
CLASSES = next(n for n, d in DECLS.items() if d.class_axis == "axis")
ALIASED = next(d for d in DECLS.values() if d.aliases)
OTHER = next(n for n in DECLS if n not in (PLAIN, CLASSES))


def run_check(*argv: str) -> tuple[int, str, str]:
    args = build_parser().parse_args(["check", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = _check.run(args, out, err)
    return code, out.getvalue(), err.getvalue()


def test_check_passes_on_numpy_and_strict_for_every_loss() -> None:
    code, out, err = run_check(*FAST)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith(f"losses_xp {lx.__version__} check")
    assert lines[1].startswith("machine: ")
    assert f"numpy {np.__version__}" in lines[2]
    assert "array_api_strict" in lines[2]
    assert lines[3].startswith("tolerances: ")
    header = next(line for line in lines if line.startswith("loss (cases)"))
    assert "numpy" in header
    assert "array_api_strict" in header
    decls = DECLS
    for name, decl in decls.items():  # one row per function, with its number of cases
        label = " = ".join((name, *decl.aliases))  # an alias: on its function's row
        row = next(line for line in lines if line.startswith(f"{label} ("))
        assert row.count("µs") == 2, row
    # every public function is checked: under its name or as an alias of its row
    rows = [line.split(" (")[0].split(" = ") for line in lines if line.endswith("µs")]
    assert sorted(n for row in rows for n in row) == sorted(set(lx.__all__) - set(lx._NOT_LOSSES))
    public = sum(1 + len(d.aliases) for d in decls.values())
    last = out.rstrip().splitlines()[-1]
    assert last.startswith(f"OK: {len(decls)} losses ({public} public names) agree on 2 backend(s)")
    # the progress, on the standard error (not a terminal here): a line when a backend
    # starts, at each quarter of its losses, and when it is done
    n = len(decls)
    step = math.ceil(n / 4)
    for backend in ("numpy", "array_api_strict"):
        lines = [line for line in err.splitlines() if line.startswith(f"  {backend}: ")]
        assert lines[:-1] == [f"  {backend}: {i}/{n} losses" for i in range(0, n + 1, step)]
        assert lines[-1].startswith(f"  {backend}: ok in ")
    assert err.splitlines()[0] == (f"checking {n} losses on numpy, array_api_strict "
                                   "(in this process)")


def test_an_alias_is_its_function_s_row() -> None:
    alias = ALIASED.aliases[0]
    code, out, _ = run_check(*FAST, "--losses", alias, "--no-extreme")
    assert code == 0, out
    label = " = ".join((ALIASED.name, *ALIASED.aliases))
    assert any(line.startswith(f"{label} (") for line in out.splitlines())
    assert f"OK: 1 losses ({1 + len(ALIASED.aliases)} public names) agree" in out


def test_check_cells_show_deviation_and_time() -> None:
    code, out, _ = run_check(*FAST, "--losses", f"{PLAIN},{CLASSES}")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith(f"{CLASSES} ("))
    # numpy is the reference: deviation 0; no compiler: '-'
    assert row.split()[2:4] == ["0", "-"]
    calls = next(line for line in out.splitlines() if line.startswith("calls checked"))
    assert int(calls.split()[2]) > 50


def _perturbed(spec: _check.LossSpec, lib: str, factor: float) -> _check.LossSpec:
    def fn(*args: Any, **kwargs: Any) -> Any:
        out = spec.fn(*args, **kwargs)
        if type(args[0]).__module__.split(".")[0] == lib:
            return out * factor
        return out

    return replace(spec, fn=fn)


@pytest.mark.parametrize(("factor", "fails"), [(1 + 1e-6, True), (1 + 1e-12, False)])
def test_a_disagreement_fails_and_names_the_cell(factor: float, fails: bool) -> None:
    specs = [_perturbed(s, "array_api_strict", factor)
             for s in _check.load_specs([PLAIN], extreme=False)]
    opts = _check.Options(backends=["numpy", "array_api_strict"], explicit=True, compile=False,
                          repeat=0)
    out, err = io.StringIO(), io.StringIO()
    code = _check.check(specs, opts, out, err)
    text = out.getvalue()
    if not fails:
        assert code == 0, text
        return
    assert code == 1
    assert "FAILED:" in text
    assert f"{PLAIN} on array_api_strict, case 2d, float64, reduction='sum': deviation 1.00e-06" \
        in text
    row = next(line for line in text.splitlines() if line.startswith(f"{PLAIN} ("))
    assert "FAIL" in row
    assert "numpy" not in text.split("FAILED:")[1]  # the reference column agrees


def test_an_exception_fails_and_is_reported() -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        if type(args[0]).__module__.startswith("array_api_strict"):
            raise RuntimeError("boom")
        return DECLS[PLAIN].fn(*args, **kwargs)

    specs = [replace(_check.load_specs([PLAIN], extreme=False)[0], fn=broken)]
    opts = _check.Options(backends=["numpy", "array_api_strict"], explicit=False, repeat=0)
    out = io.StringIO()
    assert _check.check(specs, opts, out, io.StringIO()) == 1
    assert f"{PLAIN} on array_api_strict, case 0d, float64, reduction='none': RuntimeError: boom" \
        in out.getvalue()


def test_a_wrong_dtype_is_a_disagreement() -> None:
    def upcast(*args: Any, **kwargs: Any) -> Any:
        out = DECLS[PLAIN].fn(*args, **kwargs)
        return out.astype(np.float64) if isinstance(out, np.ndarray | np.generic) else out

    specs = [replace(_check.load_specs([PLAIN], extreme=False)[0], fn=upcast)]
    opts = _check.Options(backends=["numpy"], explicit=True, repeat=0)
    out = io.StringIO()
    assert _check.check(specs, opts, out, io.StringIO()) == 1
    assert "returned float64 for float32 inputs" in out.getvalue()


def _hide(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name in names else real(name, *args, **kwargs)

    monkeypatch.setattr(_check.importlib.util, "find_spec", find_spec)


def test_a_missing_backend_requested_explicitly_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide(monkeypatch, "cupy")
    code, out, err = run_check("--backends", "numpy,cupy", "--jobs", "1", "--losses", PLAIN)
    assert code == 1
    assert "cupy: requested with --backends but not installed" in out
    assert "cupy: not installed" in err


def test_missing_backends_are_listed_not_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default run: every backend; those not installed are columns saying so.

    Also runs the worker-process path (--jobs 2) with the two backends that are left.
    """
    _hide(monkeypatch, "torch", "jax", "dask", "cupy")
    code, out, err = run_check("--jobs", "2", "--losses", f"{PLAIN},{OTHER}",
                               "--repeat", "1")
    assert code == 0, out
    # the workers' progress reaches the standard error, each before its backend's last line
    assert err.splitlines()[0] == ("checking 2 losses on numpy, array_api_strict "
                                   "(in 2 worker processes)")
    for backend in ("numpy", "array_api_strict"):
        lines = [line for line in err.splitlines() if line.startswith(f"  {backend}: ")]
        assert lines[:-1] == [f"  {backend}: {i}/2 losses" for i in range(3)], err
        assert lines[-1].startswith(f"  {backend}: ok in ")
    assert "  torch: not installed" in err
    header = next(line for line in out.splitlines() if line.startswith("loss (cases)"))
    assert header.split()[2:] == ["numpy", "array_api_strict", "torch", "jax", "dask", "cupy"]
    row = next(line for line in out.splitlines() if line.startswith(f"{PLAIN} ("))
    assert row.count("not installed") == 4


@pytest.mark.parametrize(("argv", "message"), [
    (["--backends", "numpy,tensorflow"], "unknown backend(s) ['tensorflow']"),
    (["--backends", ","], "unknown backend(s)"),
    (["--losses", f"{PLAIN},nope"], "unknown loss(es) ['nope']"),
])
def test_usage_errors_exit_2(argv: list[str], message: str) -> None:
    code, _, err = run_check(*argv, "--jobs", "1")
    assert code == 2
    assert message in err


def test_command_line_end_to_end() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "losses_xp", "check", "--backends", "numpy", "--losses",
         CLASSES, "--no-compile"], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK: 1 losses agree on 1 backend(s): numpy" in proc.stdout
    version = subprocess.run([sys.executable, "-m", "losses_xp", "--version"],
                             capture_output=True, text=True, env=env, check=False)
    assert version.stdout.strip() == f"losses_xp {lx.__version__}"
    bare = subprocess.run([sys.executable, "-m", "losses_xp"], capture_output=True, text=True,
                          env=env, check=False)
    assert bare.returncode == 2
    assert "check" in bare.stderr


def test_main_dispatches_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == f"losses_xp {lx.__version__}"


@pytest.mark.parametrize("command", [[], ["check"], ["bench"], ["vendor"], ["version"]])
def test_help_names_no_issue_number(command: list[str],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """What ``--help`` says stands on its own: no reference to the project's issues."""
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([*command, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: ")
    assert not re.search(r"issue\s*\d", text, flags=re.IGNORECASE), text
    if command == ["bench"]:
        assert "performance target" in text


def test_the_package_names_no_issue_number() -> None:
    """Nor do the docstrings (the commands' descriptions come from them) and comments."""
    package = Path(lx.__file__).resolve().parent
    found = [f"{path.relative_to(package)}:{i}: {line.strip()}"
             for path in sorted(package.rglob("*.py")) if "_vendor" not in path.parts
             for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"issue\s*#?\d", line, flags=re.IGNORECASE)]
    assert found == []


def test_parser_defaults() -> None:
    args = build_parser().parse_args(["check"])
    assert isinstance(args, argparse.Namespace)
    assert args.backends is None
    assert args.compile is True
    assert args.extreme is True


# --------------------------------------------------------------------------- deviation


@pytest.mark.parametrize(("got", "ref", "expected"), [
    ([1.0, 2.0], [1.0, 2.0], 0.0),
    ([1.0 + 1e-6], [1.0], 1e-6),  # relative where |ref| >= floor * S
    ([200.0], [100.0], 1.0),
    ([1e-3], [0.0], 1e-3 / 0.1),  # absolute (scaled) where the reference is tiny
    ([np.nan, 1.0], [np.nan, 1.0], 0.0),
    ([np.inf], [np.inf], 0.0),
    ([-np.inf], [np.inf], math.inf),
    ([np.nan], [1.0], math.inf),
    ([1.0], [np.nan], math.inf),
    ([[1.0]], [1.0], math.inf),  # shape mismatch
    ([], [], 0.0),
])
def test_deviation(got: list[float], ref: list[float], expected: float) -> None:
    dev = _check.deviation(np.asarray(got), np.asarray(ref), scale=1.0, floor=0.1)
    if math.isinf(expected):
        assert dev == math.inf
    else:
        assert dev == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_input_scale_uses_the_largest_finite_float_input() -> None:
    case = Case("x", (np.array([1e4, -np.inf, 3.0]), np.array([5, 6])),
                {"weight": np.array([-2e4])})
    assert _check_run.input_scale(case) == 2e4
    assert _check_run.input_scale(Case("y", (np.array([0.5]),))) == 1.0


def test_compile_case_prefers_2d() -> None:
    for spec in _check.load_specs():
        i = _check_run.compile_case(spec)
        assert i is not None
        case = spec.cases[i]
        assert case.name not in spec.extreme
        assert not {"empty", "nan-mean"} & set(case.tags)
        if any(c.name == "2d" for c in spec.cases):
            assert case.name == "2d"


# --------------------------------------------------------------------------- failure paths


def _spec(name: str = PLAIN, fn: Any = None, extreme: bool = False) -> _check.LossSpec:
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
    cell = _cell(get_backend("numpy"), _spec(fn=lambda *a, **k: [float(DECLS[PLAIN].fn(*a, **k))]))
    assert any("returned a builtins.list, not a numpy array" in f for f in cell.failures)


def test_a_failing_reference_is_reported() -> None:
    """The NumPy float64 reference raising is a failure of its own, named as such."""
    def fn(*args: Any, **kwargs: Any) -> Any:
        if isinstance(args[0], np.ndarray):
            raise RuntimeError("the reference broke")
        return DECLS[PLAIN].fn(*args, **kwargs)

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


# --------------------------------------------------------------------------- other backends


def _require(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (the nox `coverage` session has them)")


def test_check_torch_jax_and_dask_with_their_compilers() -> None:
    """``check``'s compiled paths, Dask's lazy results and the backends' platforms."""
    _require("torch", "jax", "dask")
    code, out, err = run_check("--backends", "torch,jax,dask", "--jobs", "1",
                               "--losses", PLAIN, "--repeat", "1")
    assert code == 0, out + err
    lines = out.splitlines()
    libraries = next(line for line in lines if line.startswith("libraries: "))
    assert "torch " in libraries
    assert "[cpu]" in libraries  # where PyTorch and JAX compute
    header = next(line for line in lines if line.startswith("loss (cases)"))
    assert header.split()[2:] == ["torch", "jax", "dask"]
    row = next(line for line in lines if line.startswith(f"{PLAIN} ("))
    cells = row.split()[2:]
    # deviation, compiled, time per backend: torch.compile and jax.jit agree, Dask has no
    # compiler
    assert [cells[1], cells[4], cells[7]] == ["ok", "ok", "-"], row
    assert all(c.endswith("µs") for c in (cells[2], cells[5], cells[8])), row
    assert lines[-1].startswith("OK: 1 losses agree on 3 backend(s): torch, jax, dask")
    assert "dask: ok" in err
