"""``python -m losses_xp check``: every loss on every installed backend against NumPy.

For every loss of the case catalogue (``losses_xp._testing.cases.CATALOG``) and every
backend (numpy, array_api_strict, torch, jax, dask, cupy) that can be imported here, the
catalogue's NumPy input cases are converted to the backend in float32 and float64, the
loss is called eagerly, and the result is compared with the NumPy float64 result of the
same loss on the same inputs.  One case per loss also goes through the backend's compiler
(``jax.jit``; ``torch.compile(fullgraph=True)``).  The result is a matrix, losses ×
backends, whose cells read ``<max relative deviation in float64> <compiled> <µs/call>``.

Deviation and tolerances
------------------------
The deviation of one output element is ``|got - ref| / max(|ref|, floor · S)`` where
``S = max(1, largest finite |floating input| of the case)``: relative where the loss is
not tiny compared with its inputs, and absolute (scaled by the inputs) where it is, since a
float32 loss computed from logits of 1e4 cannot be more accurate than ``eps · 1e4`` in
absolute terms.  NaN against NaN and equal infinities agree; any other non-finite
mismatch, a wrong shape, dtype or library is a disagreement.

============  ==========  ===========  ==================================================
dtype         tolerance   floor        reference
============  ==========  ===========  ==================================================
float64       1e-9        1e-3         NumPy float64 on the case's inputs
float32       1e-5        1e-1         NumPy float64 on the float32-rounded inputs (so the
                                       deviation measures the computation, not the
                                       rounding of the inputs)
============  ==========  ===========  ==================================================

The catalogue's extreme cases (logits of ±1e4, probabilities of exactly 0 and 1, errors of
1e4) are run too (``--no-extreme`` skips them); in float32 they are compared with NumPy's
own float32 result, because their values legitimately depend on the dtype (a probability
of 0 is clamped at ``finfo(dtype).eps``: 15.9 in float32, 36.0 in float64).  Every
reduction the case allows is checked.  The compiled path (one value case per loss,
float32, ``reduction="mean"``) must agree with the same reference as the eager one, with
the same tolerance.  On Dask the loss is called with computing forbidden (it must stay
lazy) and the reductions of a case are then computed together.

Timing: the median over the float32 value cases of one eager ``reduction="mean"`` call,
including what it takes for the result to exist (``block_until_ready`` on JAX,
``compute`` on Dask, a device synchronisation on CUDA), excluding the conversion of the
inputs and of the result.  The first call of each case is not timed (JAX compiles its
operations for every new shape).

Backends run in parallel worker processes (``--jobs``, default: the number of CPUs, at
most 4), the slowest (JAX, whose eager operations compile for every new shape) first.

Exit status: 0 when every cell agrees, 1 on any disagreement or exception (each is
printed with its loss, backend, case and dtype), 2 on a usage error.  A backend that is
not installed or has no device is listed as such and is not a failure, unless it was
requested explicitly with ``--backends``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.metadata
import importlib.util
import math
import os
import platform
import statistics
import sys
import textwrap
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from ._version import __version__

__all__ = ["BACKEND_ORDER", "TOLERANCES", "Options", "add_arguments", "check", "deviation",
           "load_catalog", "run", "run_backend"]

BACKEND_ORDER = ("numpy", "array_api_strict", "torch", "jax", "dask", "cupy")
DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    floor: float


TOLERANCES = {"float64": Tolerance(1e-9, 1e-3), "float32": Tolerance(1e-5, 1e-1)}

# distributions whose version is printed, by the name they are imported as
DISTRIBUTIONS = {
    "numpy": "numpy",
    "array_api_compat": "array-api-compat",
    "array_api_strict": "array-api-strict",
    "torch": "torch",
    "jax": "jax",
    "jaxlib": "jaxlib",
    "dask": "dask",
    "cupy": "cupy",
    "sklearn": "scikit-learn",  # (the bench's oracle; other modules are their own name)
}


# --------------------------------------------------------------------------- cases


@dataclass
class LossSpec:
    """One loss of the catalogue with its cases, generated once for every backend."""

    name: str
    fn: Callable[..., Any]
    reductions_for: Callable[[Any], tuple[str, ...]]
    cases: list[Any]  # losses_xp._testing.cases.Case
    extreme: set[str]  # names of the extreme cases among ``cases``


def load_catalog(only: Sequence[str] | None = None, seed: int = 0,
                 extreme: bool = True) -> list[LossSpec]:
    """The losses of ``losses_xp._testing.cases.CATALOG`` (all, or the ``only`` names)."""
    from ._testing.cases import CATALOG

    names = list(CATALOG)
    if only:
        unknown = [n for n in only if n not in CATALOG]
        if unknown:
            raise ValueError(f"unknown loss(es) {unknown}; the catalogue has {sorted(CATALOG)}")
        names = [n for n in names if n in only]
    specs = []
    for name in names:
        entry = CATALOG[name]
        cases = list(entry.cases(np.random.default_rng(seed)))
        ext = list(entry.extreme_cases(np.random.default_rng(seed))) if extreme else []
        specs.append(LossSpec(name, entry.call, entry.reductions_for, cases + ext,
                              {c.name for c in ext}))
    return specs


# --------------------------------------------------------------------------- comparison


def _float_arrays(case: Any) -> list[np.ndarray]:
    values = [*case.args, *case.kwargs.values()]
    return [v for v in values if isinstance(v, np.ndarray) and v.dtype.kind == "f"]


def input_scale(case: Any) -> float:
    """``S``: the largest finite absolute floating input of the case, at least 1."""
    s = 1.0
    for a in _float_arrays(case):
        fin = np.abs(a[np.isfinite(a)])
        if fin.size:
            s = max(s, float(fin.max()))
    return s


def deviation(got: Any, ref: Any, scale: float, floor: float) -> float:
    """Max over elements of ``|got - ref| / max(|ref|, floor * scale)`` (see the module doc).

    ``inf`` for a shape mismatch or a non-finite value where the other side differs.
    """
    g = np.asarray(got, dtype=np.float64)
    r = np.asarray(ref, dtype=np.float64)
    if g.shape != r.shape:
        return math.inf
    if g.size == 0:
        return 0.0
    agree_nonfinite = (np.isnan(g) & np.isnan(r)) | (np.isinf(r) & (g == r))
    nonfinite = ~np.isfinite(g) | ~np.isfinite(r)
    if np.any(nonfinite & ~agree_nonfinite):
        return math.inf
    fin = ~nonfinite
    if not np.any(fin):
        return 0.0
    denom = np.maximum(np.abs(r[fin]), floor * scale)
    return float(np.max(np.abs(g[fin] - r[fin]) / denom))


def _as_dtype(value: Any, dtype: str) -> Any:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(dtype)
    return value


# --------------------------------------------------------------------------- results


@dataclass
class Cell:
    """One loss on one backend."""

    dev: dict[str, float] = field(default_factory=dict)  # dtype -> max deviation
    compiled: str = "-"  # "ok", "FAIL", "off", "-" (the backend has no compiler)
    times: list[float] = field(default_factory=list)  # seconds per eager float32 call
    calls: int = 0
    failures: list[str] = field(default_factory=list)

    def note(self, dtype: str, value: float) -> None:
        self.dev[dtype] = max(self.dev.get(dtype, 0.0), value)

    @property
    def ok(self) -> bool:
        return not self.failures

    def render(self) -> str:
        if not self.ok:
            return f"FAIL ({len(self.failures)})"
        d = self.dev.get("float64")
        dev = "-" if d is None else ("0" if d == 0 else f"{d:.0e}")
        us = f"{statistics.median(self.times) * 1e6:.0f}µs" if self.times else "-"
        return f"{dev:>5} {self.compiled:>4} {us:>8}"


@dataclass
class Column:
    backend: str
    label: str
    status: str = "ok"  # "ok", "not installed", "no device", "unavailable: ...", "crashed: ..."
    cells: dict[str, Cell] = field(default_factory=dict)
    seconds: float = 0.0
    platform: str = ""  # e.g. JAX's default backend, the CUDA device

    @property
    def failures(self) -> list[str]:
        return [f for cell in self.cells.values() for f in cell.failures]


# --------------------------------------------------------------------------- backends


def _version(module: str) -> str | None:
    dist = DISTRIBUTIONS.get(module, module)
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        mod = sys.modules.get(module)
        return getattr(mod, "__version__", None) if mod else None


def open_backend(name: str) -> tuple[Any, str]:
    """``(Backend or None, status)``; status is "ok" or why the backend cannot run here."""
    from ._testing.backends import BackendUnavailable, get_backend

    if importlib.util.find_spec(name) is None:
        return None, "not installed"
    device = None
    if name == "torch":
        torch = importlib.import_module("torch")
        device = "cuda" if torch.cuda.is_available() else None
    backend = get_backend(name, device)
    try:
        backend.load()
    except BackendUnavailable as exc:
        msg = str(exc)
        if "device" in msg.lower():
            return None, "no device"
        return None, "unavailable: " + msg.split(": ", 1)[-1][:60]
    return backend, "ok"


def _platform(backend: Any) -> str:
    """Where the backend computes, for the header (``cpu``, ``gpu``, a device name)."""
    with contextlib.suppress(Exception):
        lib = backend.load()
        if backend.name == "jax":
            return str(lib.default_backend())
        if backend.name == "torch":
            if backend.device_name == "cuda":  # pragma: no cover - needs a CUDA device
                return f"cuda: {lib.cuda.get_device_name()}"
            return "cpu"
        if backend.name == "cupy":  # pragma: no cover - CuPy needs a CUDA device
            props = lib.cuda.runtime.getDeviceProperties(lib.cuda.Device().id)
            name = props["name"]
            return name.decode() if isinstance(name, bytes) else str(name)
    return ""


def _synchronize(backend: Any, out: Any) -> Any:
    """Make ``out`` exist (JAX is asynchronous, Dask lazy, CUDA asynchronous)."""
    if backend.name == "jax":
        return out.block_until_ready()
    if backend.name == "dask":
        return out.compute()
    if backend.name == "cupy":
        backend.load().cuda.Stream.null.synchronize()  # pragma: no cover - needs a CUDA device
    elif backend.name == "torch" and backend.device_name == "cuda":
        backend.load().cuda.synchronize()  # pragma: no cover - needs a CUDA device
    return out


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """NumPy's 'mean of empty slice', torch.compile's and JAX's chatter are not results."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first[:300]}"


# --------------------------------------------------------------------------- the check


@dataclass
class Options:
    backends: list[str]
    explicit: bool
    losses: list[str] | None = None
    compile: bool = True
    extreme: bool = True
    repeat: int = 3
    seed: int = 0
    verbose: bool = False
    jobs: int = 1


class _Reference:
    """NumPy results of every case, computed once and shared by all backends.

    ``kind`` "float64": the case as given; "float32": float64 on the float32-rounded
    inputs; "float32-native": NumPy's own float32 result (extreme cases, whose values
    legitimately depend on the dtype).
    """

    def __init__(self, spec: LossSpec) -> None:
        self.spec = spec
        self._cache: dict[tuple[int, str, str], np.ndarray] = {}

    def get(self, i: int, kind: str, reduction: str) -> np.ndarray:
        key = (i, kind, reduction)
        if key not in self._cache:
            case = self.spec.cases[i]
            if kind == "float64":
                args, kwargs = case.args, case.kwargs
            elif kind == "float32":
                q = case.quantized("float32")
                args, kwargs = q.args, q.kwargs
            else:
                args = tuple(_as_dtype(a, "float32") for a in case.args)
                kwargs = {k: _as_dtype(v, "float32") for k, v in case.kwargs.items()}
            with _quiet():
                out = self.spec.fn(*args, reduction=reduction, **dict(kwargs))
            self._cache[key] = np.asarray(out, dtype=np.float64)
        return self._cache[key]


def _convert(backend: Any, value: Any, dtype: str) -> Any:
    if not isinstance(value, np.ndarray):
        return value  # Python scalars and lists are passed as they are
    out = backend.asarray(value, dtype if value.dtype.kind == "f" else None)
    if tuple(out.shape) != value.shape:
        # Backend.asarray for torch turns 0-d arrays into shape (1,) (np.ascontiguousarray
        # returns at least 1-d); the case's exact shape is what is being checked
        out = backend.load().reshape(out, value.shape)
    return out


def _inputs(backend: Any, case: Any, dtype: str) -> tuple[list[Any], dict[str, Any]]:
    args = [_convert(backend, a, dtype) for a in case.args]
    kwargs = {k: _convert(backend, v, dtype) for k, v in case.kwargs.items()}
    return args, kwargs


def _result_problem(backend: Any, out: Any, dtype: str) -> str | None:
    if not backend.is_native(out):
        return f"returned a {type(out).__module__}.{type(out).__name__}, not a {backend.name} array"
    got = backend.dtype_name(out)
    if got != dtype:
        return f"returned {got} for {dtype} inputs"
    return None


def _preview(a: np.ndarray) -> str:
    flat = np.asarray(a, dtype=np.float64).ravel()
    text = np.array2string(flat[:6], precision=10, separator=", ")
    return text + (f" ... ({flat.size} values)" if flat.size > 6 else "")


def _check_cell(backend: Any, ref: _Reference, opts: Options, label: str) -> Cell:
    cell = Cell()
    spec = ref.spec
    where = f"{spec.name} on {label}"
    for i, case in enumerate(spec.cases):
        for dtype in DTYPES:
            if dtype in backend.dtypes and case.applies_to(dtype):
                _check_case(backend, ref, i, dtype, opts, cell, where)
    if backend.compiles:
        cell.compiled = "off" if not opts.compile else _check_compiled(backend, ref, cell, where)
    return cell


def _check_case(backend: Any, ref: _Reference, i: int, dtype: str, opts: Options, cell: Cell,
                where: str) -> None:
    """Every reduction of case ``i`` in ``dtype``: call eagerly, compare, time."""
    spec = ref.spec
    case = spec.cases[i]
    extreme = case.name in spec.extreme
    tol = TOLERANCES[dtype]
    kind = "float32-native" if dtype == "float32" and extreme else dtype
    at = f"{where}, case {case.name}, {dtype}"
    try:
        args, kwargs = _inputs(backend, case, dtype)
    except Exception as exc:
        cell.failures.append(f"{at}: converting the inputs failed: {_short(exc)}")
        return
    reductions = spec.reductions_for(case)
    outs: dict[str, Any] = {}
    for reduction in reductions:
        what = f"{at}, reduction={reduction!r}"
        try:
            with _quiet(), backend.forbid_compute():  # Dask: the loss must stay lazy
                out = spec.fn(*args, reduction=reduction, **kwargs)
        except Exception as exc:
            detail = ("\n" + textwrap.indent(traceback.format_exc().rstrip(), "      ")
                      if opts.verbose else "")
            cell.failures.append(f"{what}: {_short(exc)}{detail}")
            continue
        problem = _result_problem(backend, out, dtype)
        if problem:
            cell.failures.append(f"{what}: {problem}")
        else:
            outs[reduction] = out
    try:
        results = _materialize(backend, outs)
    except Exception as exc:
        cell.failures.append(f"{at}, reductions {sorted(outs)}: computing the result failed: "
                             f"{_short(exc)}")
        return
    scale = input_scale(case)
    for reduction, got in results.items():
        what = f"{at}, reduction={reduction!r}"
        try:
            expected = ref.get(i, kind, reduction)
        except Exception as exc:
            cell.failures.append(f"{what}: the NumPy reference failed: {_short(exc)}")
            continue
        cell.calls += 1
        dev = deviation(got, expected, scale, tol.floor)
        cell.note(dtype, dev)
        if not dev <= tol.rtol:
            cell.failures.append(
                f"{what}: deviation {dev:.2e} > {tol.rtol:g}"
                f"\n      got      {_preview(got)}\n      expected {_preview(expected)}")
    if dtype == "float32" and not extreme and opts.repeat > 0 and outs:
        r = "mean" if "mean" in outs else next(iter(outs))
        with contextlib.suppress(Exception):  # a failing call is already reported
            cell.times.extend(_time_calls(backend, spec.fn, args, {**kwargs, "reduction": r},
                                          opts.repeat))


def _materialize(backend: Any, outs: dict[str, Any]) -> dict[str, np.ndarray]:
    """The results as float64 NumPy arrays; Dask computes them together, so that the
    graph they share (everything before the reduction) runs once."""
    with _quiet():
        if backend.name == "dask" and outs:
            dask = importlib.import_module("dask")
            values = dask.compute(*outs.values(), scheduler="synchronous")
            return {r: np.asarray(v, dtype=np.float64) for r, v in zip(outs, values, strict=True)}
        return {r: backend.to_numpy(o) for r, o in outs.items()}


def _time_calls(backend: Any, fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any],
                repeat: int, budget: float = 0.005) -> list[float]:
    """Up to ``repeat`` timed calls, fewer once ``budget`` seconds are spent (Dask)."""
    times: list[float] = []
    with _quiet():
        while len(times) < repeat and sum(times) < budget:
            start = time.perf_counter()
            _synchronize(backend, fn(*args, **kwargs))
            times.append(time.perf_counter() - start)
    return times


def compile_case(spec: LossSpec) -> int | None:
    """The one case that is compiled: ``2d`` if there is one, else the first value case
    that is neither empty nor NaN by definition."""
    candidates = [i for i, c in enumerate(spec.cases)
                  if c.name not in spec.extreme and not (set(c.tags) & {"empty", "nan-mean"})
                  and c.applies_to("float32")]
    named = [i for i in candidates if spec.cases[i].name == "2d"]
    chosen = named or candidates
    return chosen[0] if chosen else None


def _check_compiled(backend: Any, ref: _Reference, cell: Cell, where: str) -> str:
    i = compile_case(ref.spec)
    if i is None:
        return "-"
    case = ref.spec.cases[i]
    dtype = "float32"
    tol = TOLERANCES[dtype]
    reductions = ref.spec.reductions_for(case)
    reduction = "mean" if "mean" in reductions else reductions[0]
    fn = ref.spec.fn
    what = f"{where}, compiled, case {case.name}, {dtype}, reduction={reduction!r}"
    try:
        args, kwargs = _inputs(backend, case, dtype)

        def call(*arrays: Any) -> Any:
            return fn(*arrays, reduction=reduction, **kwargs)

        with _quiet():
            if backend.name == "torch":
                # every loss compiles the same `call` code object: start from a clean
                # cache so that dynamo's recompile limit is not reached after 8 losses
                backend.load()._dynamo.reset()
            out = backend.compile(call)(*args)
        problem = _result_problem(backend, out, dtype)
        got = backend.to_numpy(out)
    except Exception as exc:
        cell.failures.append(f"{what}: {_short(exc)}")
        return "FAIL"
    if problem:
        cell.failures.append(f"{what}: {problem}")
        return "FAIL"
    dev = deviation(got, ref.get(i, dtype, reduction), input_scale(case), tol.floor)
    if not dev <= tol.rtol:
        cell.failures.append(f"{what}: deviation {dev:.2e} > {tol.rtol:g}")
        return "FAIL"
    return "ok"


# --------------------------------------------------------------------------- report


def _header(out: TextIO, columns: list[Column]) -> None:
    print(f"losses_xp {__version__} check: every loss on every installed backend against "
          "the NumPy float64 reference", file=out)
    uname = platform.uname()
    cpu = platform.processor() or uname.machine
    print(f"machine: {uname.system} {uname.release} {uname.machine} ({cpu}), "
          f"{os.cpu_count()} CPUs; Python {platform.python_version()} "
          f"({platform.python_implementation()})", file=out)
    libs = []
    for module in ("numpy", "array_api_compat", *BACKEND_ORDER[1:]):
        if module == "numpy":
            libs.append(f"numpy {np.__version__}")
            continue
        v = _version(module)
        col = next((c for c in columns if c.backend == module), None)
        extra = f" [{col.platform}]" if col is not None and col.platform else ""
        libs.append(f"{module} {v}{extra}" if v else f"{module} -")
    print("libraries: " + ", ".join(libs), file=out)
    tols = ", ".join(f"{d} {t.rtol:g} (floor {t.floor:g}·S)" for d, t in TOLERANCES.items())
    print(f"tolerances: max |got - ref| / max(|ref|, floor·S) <= {tols}", file=out)


def _matrix(out: TextIO, specs: list[LossSpec], columns: list[Column]) -> None:
    names = [f"{s.name} ({len(s.cases)})" for s in specs]
    name_w = max([len("loss (cases)"), len("max float32 deviation")] + [len(n) for n in names])
    widths = [max(20, len(c.label)) for c in columns]
    print(file=out)
    print("cell: max relative deviation in float64 | compiled path agrees | median µs per "
          "eager float32 call", file=out)
    print(("loss (cases)".ljust(name_w) + "".join(
        "  " + c.label.ljust(w) for c, w in zip(columns, widths, strict=True))).rstrip(), file=out)
    for spec, name in zip(specs, names, strict=True):
        row = name.ljust(name_w)
        for col, w in zip(columns, widths, strict=True):
            text = col.cells[spec.name].render() if spec.name in col.cells else col.status
            row += "  " + text.ljust(w)
        print(row.rstrip(), file=out)
    for title, value in (
        ("max float32 deviation", lambda col: _max_dev(col, "float32")),
        ("calls checked", _calls),
        ("seconds", lambda col: f"{col.seconds:.1f}" if col.status == "ok" else "-"),
    ):
        row = title.ljust(name_w)
        for col, w in zip(columns, widths, strict=True):
            row += "  " + value(col).ljust(w)
        print(row.rstrip(), file=out)


def _calls(col: Column) -> str:
    return str(sum(c.calls for c in col.cells.values())) if col.status == "ok" else "-"


def _max_dev(col: Column, dtype: str) -> str:
    devs = [c.dev[dtype] for c in col.cells.values() if dtype in c.dev]
    if not devs:
        return "-"
    m = max(devs)
    return "0" if m == 0 else f"{m:.0e}"


# --------------------------------------------------------------------------- entry point


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backends", metavar="A,B",
        help=f"comma-separated backends to check (default: every installed one of "
             f"{', '.join(BACKEND_ORDER)}); one named here that is missing is a failure")
    parser.add_argument("--losses", metavar="A,B", help="comma-separated losses (default: all)")
    parser.add_argument("--no-compile", dest="compile", action="store_false",
                        help="skip jax.jit / torch.compile(fullgraph=True)")
    parser.add_argument("--no-extreme", dest="extreme", action="store_false",
                        help="skip the catalogue's extreme cases (logits of 1e4, probabilities "
                             "of 0 and 1 ...)")
    parser.add_argument("--repeat", type=int, default=3, metavar="N",
                        help="timed eager calls per float32 case (default 3; 0 skips timing)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the case generator")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="backends checked in parallel worker processes (default: the "
                             "number of CPUs, at most 4; 1 runs everything in this process)")
    parser.add_argument("-v", "--verbose", action="store_true", help="tracebacks of failures")


def _parse_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Entry point of ``python -m losses_xp check`` (``args`` from :func:`add_arguments`)."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    requested = _parse_list(args.backends)
    if requested is not None:
        unknown = [b for b in requested if b not in BACKEND_ORDER]
        if unknown or not requested:
            print(f"error: unknown backend(s) {unknown or requested}; choose from "
                  f"{', '.join(BACKEND_ORDER)}", file=err)
            return 2
    opts = Options(backends=requested or list(BACKEND_ORDER), explicit=requested is not None,
                   losses=_parse_list(args.losses), compile=args.compile, extreme=args.extreme,
                   repeat=max(0, args.repeat), seed=args.seed, verbose=args.verbose,
                   jobs=args.jobs if args.jobs is not None else min(4, os.cpu_count() or 1))
    try:
        specs = load_catalog(opts.losses, opts.seed, opts.extreme)
    except ValueError as exc:
        print(f"error: {exc}", file=err)
        return 2
    return check(specs, opts, out, err)


def run_backend(name: str, opts: Options, specs: list[LossSpec] | None = None) -> Column:
    """The column of one backend (in a worker process when ``--jobs`` > 1)."""
    t0 = time.perf_counter()
    if specs is None:  # in a worker: the catalogue is rebuilt (same seed, same cases)
        specs = load_catalog(opts.losses, opts.seed, opts.extreme)
    try:
        backend, status = open_backend(name)
    except Exception as exc:  # e.g. an import failing half-way
        backend, status = None, "unavailable: " + _short(exc)[:60]
    if backend is None:
        return Column(name, name, status)
    column = Column(name, backend.label, status, platform=_platform(backend))
    for spec in specs:
        column.cells[spec.name] = _check_cell(backend, _Reference(spec), opts, column.label)
    column.seconds = time.perf_counter() - t0
    return column


# the slowest first, so that a pool of workers finishes early
_COST_ORDER = ("jax", "dask", "torch", "cupy", "array_api_strict", "numpy")


def _columns(specs: list[LossSpec], opts: Options, err: TextIO) -> list[Column]:
    names = list(dict.fromkeys(opts.backends))
    done: dict[str, Column] = {}

    def report(col: Column) -> None:
        done[col.backend] = col
        took = f" in {col.seconds:.1f} s" if col.status == "ok" else ""
        print(f"  {col.label}: {col.status}{took}", file=err, flush=True)

    todo = []
    for name in names:
        if importlib.util.find_spec(name) is None:
            report(Column(name, name, "not installed"))
        else:
            todo.append(name)
    jobs = max(1, min(opts.jobs, len(todo)))
    if jobs == 1:
        for name in todo:
            report(run_backend(name, opts, specs))
    else:
        import concurrent.futures
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads
        ordered = sorted(todo, key=lambda n: _COST_ORDER.index(n))
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            futures = {pool.submit(run_backend, name, opts): name for name in ordered}
            for future in concurrent.futures.as_completed(futures):
                name = futures[future]
                try:
                    report(future.result())
                except Exception as exc:
                    report(Column(name, name, "crashed: " + _short(exc)[:200]))
    return [done[name] for name in names]


def check(specs: list[LossSpec], opts: Options, out: TextIO, err: TextIO) -> int:
    """Run the check, print the report to ``out`` (progress to ``err``); the exit status."""
    start = time.perf_counter()
    columns = _columns(specs, opts, err)
    failures: list[str] = []
    for col in columns:
        if col.status.startswith("crashed"):
            failures.append(f"{col.backend}: the worker process {col.status}")
        elif col.status != "ok" and opts.explicit:
            failures.append(f"{col.backend}: requested with --backends but {col.status}")
        failures.extend(col.failures)

    _header(out, columns)
    _matrix(out, specs, columns)
    elapsed = time.perf_counter() - start
    checked = [c for c in columns if c.status == "ok"]
    print(file=out)
    if failures:
        print(f"FAILED: {len(failures)} disagreement(s) or error(s) ({elapsed:.1f} s):", file=out)
        for f in failures:
            print("  - " + f, file=out)
        return 1
    if not checked:
        print("FAILED: no backend could be checked", file=out)
        return 1
    print(f"OK: {len(specs)} losses agree on {len(checked)} backend(s): "
          f"{', '.join(c.label for c in checked)} ({elapsed:.1f} s)", file=out)
    return 0
