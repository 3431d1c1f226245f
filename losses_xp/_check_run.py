"""Running ``python -m losses_xp check`` on one backend: the cases, the calls, the comparison.

:func:`load_specs` derives every public function's cases from its declaration
(:mod:`losses_xp._testing.declared`); :func:`check_cell` runs one function's cases on one
backend and compares them with the NumPy reference, with the tolerances of
:data:`losses_xp._testing.compare.SAME_CODE` (the measure is :func:`deviation`).  The
command line, the worker processes and the report are in :mod:`losses_xp._check`, whose
docstring describes the check.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import statistics
import textwrap
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._compat import namespace
from ._declare import Declaration, declarations
from ._testing.compare import SAME_CODE
from ._testing.declared import extreme_cases, value_cases
from ._testing.inputs import Case

__all__ = ["DTYPES", "Cell", "LossSpec", "Options", "check_cell", "compile_case", "deviation",
           "input_scale", "load_specs"]

DTYPES = ("float64", "float32")


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class LossSpec:
    """One declared function with its cases, generated once for every backend."""

    name: str
    fn: Callable[..., Any]  # fn(*args, reduction=r, **kwargs), one array (tuples stacked)
    reductions: tuple[str, ...]
    cases: list[Case]
    extreme: frozenset[str]  # names of the extreme cases among ``cases``
    aliases: tuple[str, ...] = ()  # other public names of the same function

    def reductions_for(self, case: Case) -> tuple[str, ...]:
        """The reductions that ``case`` is checked with."""
        if case.reductions is None:
            return self.reductions
        return tuple(r for r in self.reductions if r in case.reductions)

    @property
    def label(self) -> str:
        """The function's public names: ``name`` or ``name = alias``."""
        return " = ".join((self.name, *self.aliases))


def _one_array(decl: Declaration) -> Callable[..., Any]:
    """``decl``'s function as one array: a tuple output is stacked on a new first axis."""
    if not decl.tuple_output:
        return decl.call

    def call(*args: Any, reduction: str, **kwargs: Any) -> Any:
        out = decl.call(*args, reduction=reduction, **kwargs)
        xp = namespace({f"output {i}": o for i, o in enumerate(out)})
        return xp.stack(tuple(out), axis=0)
    return call


def load_specs(only: Sequence[str] | None = None, seed: int = 0,
               extreme: bool = True) -> list[LossSpec]:
    """Every declared function (or those of the ``only`` names; an alias names its
    function) with its value cases and, unless ``extreme`` is false, its extreme cases,
    derived from the declaration with ``seed``."""
    decls = declarations()
    if only:
        public = {n: d.name for d in decls.values() for n in (d.name, *d.aliases)}
        unknown = [n for n in only if n not in public]
        if unknown:
            raise ValueError(f"unknown loss(es) {unknown}; the declared functions are "
                             f"{sorted(public)}")
        wanted = {public[n] for n in only}
        decls = {n: d for n, d in decls.items() if n in wanted}
    specs = []
    for name, decl in decls.items():
        cases = value_cases(decl, seed)
        ext = extreme_cases(decl, seed) if extreme else []
        specs.append(LossSpec(name, _one_array(decl), decl.reductions, cases + ext,
                              frozenset(c.name for c in ext), decl.aliases))
    return specs


# --------------------------------------------------------------------------- comparison


def _float_arrays(case: Case) -> list[np.ndarray]:
    values = [*case.args, *case.kwargs.values()]
    return [v for v in values if isinstance(v, np.ndarray) and v.dtype.kind == "f"]


def input_scale(case: Case) -> float:
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


def _inputs(backend: Any, case: Case, dtype: str) -> tuple[list[Any], dict[str, Any]]:
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


def check_cell(backend: Any, spec: LossSpec, opts: Options, label: str) -> Cell:
    """Every case of ``spec`` on ``backend`` (a ``losses_xp._testing.backends.Backend``)
    in every dtype it has, and the compiled path: the cell of the report's matrix."""
    from ._declare import declaration
    from ._testing.backends import one_chunk

    cell = Cell()
    ref = _Reference(spec)
    where = f"{spec.name} on {label}"
    # (a function that sorts along an axis needs it in one Dask chunk: see its error)
    with one_chunk(declaration(spec.name).sorts):
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
    tol = SAME_CODE[dtype]
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
        dev = deviation(got, expected, scale, tol.atol)
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
    tol = SAME_CODE[dtype]
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
    dev = deviation(got, ref.get(i, dtype, reduction), input_scale(case), tol.atol)
    if not dev <= tol.rtol:
        cell.failures.append(f"{what}: deviation {dev:.2e} > {tol.rtol:g}")
        return "FAIL"
    return "ok"
