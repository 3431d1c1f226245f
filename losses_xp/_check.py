"""``python -m losses_xp check``: every loss on every installed backend against NumPy.

For every public function (each declared beside its definition, ``losses_xp._declare``;
an alias is the same function and is run once, on its function's row ``name = alias``)
and every backend (numpy, array_api_strict, torch, jax, dask, cupy) that can be
imported here, NumPy input cases derived from the function's declaration
(``losses_xp._testing.declared``: every shape, target form and option value the
declaration admits) are converted to the backend in float32 and float64, the loss is
called eagerly, and the result is compared with the NumPy float64 result of the same loss
on the same inputs.  One case per loss also goes through the backend's compiler
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

The extreme cases derived from each prediction kind (logits of ±1e4, probabilities of
exactly 0 and 1, errors of 1e4) are run too (``--no-extreme`` skips them); in float32
they are compared with NumPy's own float32 result, because their values legitimately
depend on the dtype (a probability of 0 is clamped at ``finfo(dtype).eps``: 15.9 in
float32, 36.0 in float64).  Every reduction the function has is checked.  The compiled
path (one value case per loss, float32, ``reduction="mean"``) must agree with the same
reference as the eager one, with the same tolerance.  On Dask the loss is called with
computing forbidden (it must stay lazy) and the reductions of a case are then computed
together.  The tolerances are ``losses_xp._testing.compare.SAME_CODE``; running one
backend's cells is ``losses_xp._check_run``.

Timing: the median over the float32 value cases of one eager ``reduction="mean"`` call,
including what it takes for the result to exist (``block_until_ready`` on JAX,
``compute`` on Dask, a device synchronisation on CUDA), excluding the conversion of the
inputs and of the result.  The first call of each case is not timed (JAX compiles its
operations for every new shape).

Backends run in parallel worker processes (``--jobs``, default: the number of CPUs, at
most 4), the slowest (JAX, whose eager operations compile for every new shape) first.
Their progress goes to the standard error: on a terminal one line, rewritten in place
(``torch: 12/22 losses``); elsewhere a line when a backend starts, at each quarter of its
losses and when it is done.  The report goes to the standard output.

``--module mypkg.losses`` checks a project's own losses instead, with the conformance kit
(``losses_xp.testing``: its specs and declared functions, every check of the kit against
their oracles; ``losses_xp/testing/_cli.py``); ``--checks`` and ``--matrix`` go with it, and
the options above but ``--backends`` and ``--losses`` do not apply to it.

Exit status: 0 when every cell agrees, 1 on any disagreement or exception (each is
printed with its loss, backend, case and dtype), 2 on a usage error.  A backend that is
not installed or has no device is listed as such and is not a failure, unless it was
requested explicitly with ``--backends``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import importlib.metadata
import importlib.util
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from ._check_run import (
    DTYPES,
    Cell,
    LossSpec,
    Options,
    check_cell,
    deviation,
    load_specs,
)
from ._check_run import _quiet as _quiet  # (the bench imports these two from here)
from ._check_run import _short as _short
from ._progress import Progress
from ._testing.compare import SAME_CODE
from ._version import __version__

__all__ = ["BACKEND_ORDER", "DTYPES", "Cell", "Column", "LossSpec", "Options", "add_arguments",
           "check", "deviation", "load_specs", "run", "run_backend"]

BACKEND_ORDER = ("numpy", "array_api_strict", "torch", "jax", "dask", "cupy")

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
    tols = ", ".join(f"{d} {t.rtol:g} (floor {t.atol:g}·S)" for d, t in SAME_CODE.items())
    print(f"tolerances: max |got - ref| / max(|ref|, floor·S) <= {tols}", file=out)


def _matrix(out: TextIO, specs: list[LossSpec], columns: list[Column]) -> None:
    names = [f"{s.label} ({len(s.cases)})" for s in specs]
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
                        help="skip the extreme cases (logits of 1e4, probabilities of 0 and 1 "
                             "...)")
    parser.add_argument("--repeat", type=int, default=3, metavar="N",
                        help="timed eager calls per float32 case (default 3; 0 skips timing)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the case generator")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="backends checked in parallel worker processes (default: the "
                             "number of CPUs, at most 4; 1 runs everything in this process)")
    parser.add_argument("-v", "--verbose", action="store_true", help="tracebacks of failures")
    kit = parser.add_argument_group(
        "your own losses (the conformance kit, losses_xp.testing)")
    kit.add_argument("--module", metavar="MOD",
                     help="check the losses of this importable module instead: its "
                          "losses_xp.testing specs and declared functions, on every check "
                          "of the kit (docs/testing_your_loss.md)")
    kit.add_argument("--checks", metavar="A,B",
                     help="with --module: comma-separated checks (default: all)")
    kit.add_argument("--matrix", choices=("auto", "full", "pairs"), default="auto",
                     help="with --module: every dtype x reduction of each case ('full'), "
                          "pairs of them ('pairs'), or full on numpy only ('auto')")


def _parse_list(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Entry point of ``python -m losses_xp check`` (``args`` from :func:`add_arguments`)."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    if args.module is not None:
        from .testing._cli import run_module

        return run_module(args, out, err)
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
        specs = load_specs(opts.losses, opts.seed, opts.extreme)
    except ValueError as exc:
        print(f"error: {exc}", file=err)
        return 2
    return check(specs, opts, out, err)


def run_backend(name: str, opts: Options, specs: list[LossSpec] | None = None,
                on_loss: Callable[[int, int], None] | None = None) -> Column:
    """The column of one backend (in a worker process when ``--jobs`` > 1); ``on_loss(done,
    total)`` is called once the backend is open (``done`` 0) and after each loss."""
    t0 = time.perf_counter()
    if specs is None:  # in a worker: the cases are derived again (same seed, same cases)
        specs = load_specs(opts.losses, opts.seed, opts.extreme)
    try:
        backend, status = open_backend(name)
    except Exception as exc:  # e.g. an import failing half-way
        backend, status = None, "unavailable: " + _short(exc)[:60]
    if backend is None:
        return Column(name, name, status)
    column = Column(name, backend.label, status, platform=_platform(backend))
    if on_loss is not None:
        on_loss(0, len(specs))
    for i, spec in enumerate(specs, 1):
        column.cells[spec.name] = check_cell(backend, spec, opts, column.label)
        if on_loss is not None:
            on_loss(i, len(specs))
    column.seconds = time.perf_counter() - t0
    return column


# a worker process's end of the progress queue (set by the pool's initializer)
_progress_queue: Any = None


def _init_worker(queue: Any) -> None:
    global _progress_queue
    _progress_queue = queue


def _run_in_worker(name: str, opts: Options) -> Column:
    """:func:`run_backend` in a worker process, reporting its progress to the parent."""
    queue = _progress_queue

    def on_loss(done: int, total: int) -> None:
        if queue is not None:
            queue.put((name, done, total))

    return run_backend(name, opts, on_loss=on_loss)


# the slowest first, so that a pool of workers finishes early
_COST_ORDER = ("jax", "dask", "torch", "cupy", "array_api_strict", "numpy")


def _columns(specs: list[LossSpec], opts: Options, err: TextIO) -> list[Column]:
    names = list(dict.fromkeys(opts.backends))
    done: dict[str, Column] = {}
    todo = [name for name in names if importlib.util.find_spec(name) is not None]
    jobs = max(1, min(opts.jobs, len(todo)))
    if todo:
        where = "in this process" if jobs == 1 else f"in {jobs} worker processes"
        print(f"checking {len(specs)} losses on {', '.join(todo)} ({where})", file=err,
              flush=True)
    with Progress(err, "losses") as progress:

        def report(col: Column) -> None:
            done[col.backend] = col
            took = f" in {col.seconds:.1f} s" if col.status == "ok" else ""
            progress.finish(col.backend, f"  {col.label}: {col.status}{took}")

        for name in names:
            if name not in todo:
                report(Column(name, name, "not installed"))
        if jobs == 1:
            for name in todo:
                report(run_backend(name, opts, specs,
                                   on_loss=functools.partial(progress.update, name)))
        else:
            _in_workers(todo, opts, jobs, progress, report)
    return [done[name] for name in names]


def _in_workers(todo: list[str], opts: Options, jobs: int, progress: Progress,
                report: Callable[[Column], None]) -> None:
    """The columns of ``todo`` from ``jobs`` worker processes, the slowest backend first;
    their progress comes back through a queue that is read while waiting."""
    import concurrent.futures
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads
    # a SimpleQueue writes each report before put() returns: a worker's reports arrive
    # before its result, so that a backend's progress never follows its final line
    queue = ctx.SimpleQueue()

    def drain() -> None:
        while not queue.empty():
            name, d, n = queue.get()
            progress.update(name, d, n)

    ordered = sorted(todo, key=lambda n: _COST_ORDER.index(n))
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx,
                                                initializer=_init_worker,
                                                initargs=(queue,)) as pool:
        futures = {pool.submit(_run_in_worker, name, opts): name for name in ordered}
        pending = set(futures)
        while pending:
            finished, pending = concurrent.futures.wait(
                pending, timeout=0.2, return_when=concurrent.futures.FIRST_COMPLETED)
            drain()
            for future in finished:
                name = futures[future]
                try:
                    report(future.result())
                except Exception as exc:
                    report(Column(name, name, "crashed: " + _short(exc)[:200]))
    drain()
    queue.close()


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
    names = sum(1 + len(s.aliases) for s in specs)
    aliased = f" ({names} public names)" if names != len(specs) else ""
    print(f"OK: {len(specs)} losses{aliased} agree on {len(checked)} backend(s): "
          f"{', '.join(c.label for c in checked)} ({elapsed:.1f} s)", file=out)
    return 0
