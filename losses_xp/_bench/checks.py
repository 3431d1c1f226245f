"""The value-check section: ours under each of the package's value-check modes.

The package's switch, ``value_checks(mode)`` (a context manager; the modes are
:data:`CHECK_MODES`) and ``get_value_checks()`` (the mode in force, read once: the default),
is looked up at run time on the enclosing package, found relatively (a vendored copy under
another name times its own); a package without it skips the section and says why.

PyTorch eager only, forward, for the losses of :data:`.pairs.VALUE_CHECKED`, at the smallest
and the largest size of the run.  Per loss and size, ours is checked to agree under each
mode (that call is also its warm-up), then the native loss and ours under each mode are
timed interleaved as in the main tables, one batch of each side per round, each batch of
ours inside its mode (entered outside the timed calls: no per-call cost).  The section has
no targets: only the default mode counts, and the main tables run it.
``--no-value-checks`` skips it.
"""

from __future__ import annotations

import functools
import gc
import importlib
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from .._check import _quiet
from .._progress import Progress
from .case import Inputs, agree, failed, new_result, record
from .measure import Timing, time_sides
from .modes import Mode
from .options import Options
from .pairs import VALUE_CHECKED, Pair
from .report import Result, _size

__all__ = ["CHECK_MODES", "CheckSection", "run_section", "switch"]

#: the modes of the package's switch, in the order of the report's columns
CHECK_MODES = ("all", "essential", "none")
#: the mode whose losses are timed under each value-check mode (PyTorch eager)
SECTION_MODE = "torch"

# the package whose switch is used: the parent of this subpackage, whatever its name
_package = importlib.import_module("..", __package__)

Switch = Callable[[str], AbstractContextManager[Any]]


@dataclass
class CheckSection:
    """The section's cases (each :class:`Result` has its ``check_mode``), or why there are
    none (``skipped``), the package's default mode and the section's run time."""

    results: list[Result] = field(default_factory=list)
    skipped: str | None = None
    default: str | None = None
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        """results.json's ``value_checks``."""
        return {"skipped": self.skipped, "default": self.default, "modes": list(CHECK_MODES),
                "seconds": round(self.seconds, 1),
                "results": [r.as_json() for r in self.results]}


def switch() -> tuple[Switch, str] | str:
    """The package's ``value_checks`` context manager and its default mode, or why not."""
    value_checks = getattr(_package, "value_checks", None)
    get = getattr(_package, "get_value_checks", None)
    if not (callable(value_checks) and callable(get)):
        return (f"{_package.__name__} has no value_checks / get_value_checks (this version "
                "has no value-check switch)")
    return value_checks, str(get())


def _run_modes(mode: Mode, pair: Pair, n: int, inputs: tuple[Any, ...] | str, opts: Options,
               value_checks: Switch) -> list[Result]:
    """One loss and size, forward: ours checked under each mode, then the native and ours
    under each mode timed interleaved; a Result per mode (no target)."""
    results = [new_result(mode, pair, "fwd", n, counted=False) for _ in CHECK_MODES]
    for res, check in zip(results, CHECK_MODES, strict=True):
        res.check_mode = check
    if isinstance(inputs, str):
        for res in results:
            res.status, res.detail = "error", inputs
        return results
    try:
        with _quiet():
            prep = mode.prepare(pair, "fwd", inputs)
            expected = prep.expected()
            agreed: list[tuple[Result, str]] = []
            for res, check in zip(results, CHECK_MODES, strict=True):
                with value_checks(check):
                    if agree(res, pair, prep.ours(), expected):
                        agreed.append((res, check))
            prep.native()
            under = [None, *(functools.partial(value_checks, check) for _, check in agreed)]
            times, calls = time_sides([prep.native] + [prep.ours] * len(agreed), opts.rounds,
                                      opts.min_time, under)
            for (res, _), ours, n_ours in zip(agreed, times[1:], calls[1:], strict=True):
                record(res, Timing(ours, times[0], (n_ours, calls[0])))
    except Exception as exc:
        for res in results:
            if res.status == "ok" and res.ratio is None:
                failed(res, exc, opts.verbose)
    return results


def _skip(progress: Progress, why: str) -> CheckSection:
    progress.message(f"  value checks: skipped: {why}")
    return CheckSection(skipped=why)


def run_section(modes: list[Mode], opts: Options, progress: Progress) -> CheckSection:
    """The section of this run, reported to ``progress`` (skipped: the reason, printed)."""
    start = time.perf_counter()
    if not opts.value_check_modes:
        return _skip(progress, "--no-value-checks")
    mode = next((m for m in modes if m.name == SECTION_MODE), None)
    if mode is None:
        return _skip(progress, "PyTorch eager is not part of this run")
    pairs = [p for p in mode.pairs
             if p.loss in VALUE_CHECKED and (opts.losses is None or p.loss in opts.losses)]
    if not pairs:
        return _skip(progress, "none of its losses is part of this run")
    found = switch()
    if isinstance(found, str):
        return _skip(progress, found)
    value_checks, default = found
    sizes = sorted({min(opts.sizes), max(opts.sizes)})
    total = len(sizes) * len(pairs) * len(CHECK_MODES)
    task = "value checks"
    progress.update(task, 0, total, f"{len(pairs)} losses × sizes {', '.join(map(_size, sizes))}"
                    f" × modes {', '.join(CHECK_MODES)}")
    results: list[Result] = []
    for n in sizes:
        gc.collect()  # once per size: the timing runs with the collector off
        inputs = Inputs(mode, n, opts.seed)
        for pair in pairs:
            for res in _run_modes(mode, pair, n, inputs.get(pair.kind), opts, value_checks):
                results.append(res)
                progress.update(task, len(results), total, f"{pair.loss} {_size(n)} "
                                f"{res.check_mode}: " + (
                                    f"ratio {res.ratio:.2f}" if res.ratio is not None
                                    else f"{res.status.upper()}: {res.detail}"),
                                keep=res.status != "ok")
    seconds = time.perf_counter() - start
    progress.finish(task, f"  {task}: {len(results)} cases in {seconds:.1f} s")
    return CheckSection(results, default=default, seconds=seconds)
