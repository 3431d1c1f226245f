"""What one side of a case costs: time per call (interleaved rounds of two sides, ours
and native, or of more: the value-check section times the native and ours under each
mode) and peak memory."""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Timing", "calls_per_round", "time_interleaved", "time_sides"]


# --------------------------------------------------------------------------- timing


@dataclass
class Timing:
    """Per-call seconds of each side, one value per round."""

    ours: list[float]
    native: list[float]
    calls: tuple[int, int]

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours)

    @property
    def native_median(self) -> float:
        return statistics.median(self.native)

    @property
    def ratio(self) -> float:
        return self.ours_median / self.native_median

    @property
    def round_ratios(self) -> list[float]:
        return [o / n for o, n in zip(self.ours, self.native, strict=True)]


#: a context entered around each batch of one side (outside the timed calls), or None
Under = Callable[[], contextlib.AbstractContextManager[Any]] | None


def _batch(fn: Callable[[], Any], n: int, under: Under = None) -> float:
    with under() if under is not None else contextlib.nullcontext():
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return time.perf_counter() - start


def calls_per_round(fn: Callable[[], Any], min_time: float, max_calls: int = 100_000,
                    under: Under = None) -> int:
    """The number of calls of ``fn`` that takes at least ``min_time`` seconds (>= 1)."""
    n = 1
    while True:
        elapsed = _batch(fn, n, under)
        if elapsed >= min_time or n >= max_calls:
            return n
        grow = math.ceil(n * 1.2 * min_time / max(elapsed, 1e-9))
        n = min(max_calls, max(2 * n, grow))


@contextlib.contextmanager
def _gc_off() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def time_sides(sides: Sequence[Callable[[], Any]], rounds: int, min_time: float,
               under: Sequence[Under] | None = None) -> tuple[list[list[float]], list[int]]:
    """``rounds`` rounds of one batch of each side, in order, then in reverse order, and
    so on; each side's per-call seconds (one value per round) and calls per batch.
    ``under``: per side, a context entered around each of its batches (e.g. a setting of
    the package), outside the timed calls."""
    contexts = list(under) if under is not None else [None] * len(sides)
    calls = [calls_per_round(fn, min_time, under=u) for fn, u in zip(sides, contexts,
                                                                     strict=True)]
    times: list[list[float]] = [[] for _ in sides]
    order = list(range(len(sides)))
    with _gc_off():
        for r in range(max(1, rounds)):
            for i in (order if r % 2 == 0 else order[::-1]):
                times[i].append(_batch(sides[i], calls[i], contexts[i]) / calls[i])
    return times, calls


def time_interleaved(ours: Callable[[], Any], native: Callable[[], Any], rounds: int,
                     min_time: float) -> Timing:
    """``rounds`` rounds of one batch of each side, alternating which side goes first."""
    (t_ours, t_native), (n_ours, n_native) = time_sides([ours, native], rounds, min_time)
    return Timing(t_ours, t_native, (n_ours, n_native))


# --------------------------------------------------------------------------- peak memory


def _tracemalloc_peak(fn: Callable[[], Any]) -> int:
    """Bytes above the starting point at the peak of one call (tracemalloc)."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        if started:
            tracemalloc.stop()
    return max(0, peak - base)


@contextlib.contextmanager
def _fd2_silenced() -> Iterator[None]:
    """File descriptor 2 to /dev/null: the profiler's C++ side logs each start and stop."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _torch_profiler_peak(torch: Any, fn: Callable[[], Any]) -> int:
    """Peak of the running sum of the allocations/frees that the profiler records."""
    from torch.profiler import ProfilerActivity, profile

    with _fd2_silenced(), profile(activities=[ProfilerActivity.CPU],
                                  profile_memory=True) as prof:
        result = fn()
        del result
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trace.json"
        prof.export_chrome_trace(str(path))
        events = json.loads(path.read_text(encoding="utf-8")).get("traceEvents", [])
    mem = sorted((e for e in events if e.get("name") == "[memory]"),
                 key=lambda e: float(e.get("ts", 0)))
    current = peak = 0
    for e in mem:
        current += int(e.get("args", {}).get("Bytes", 0))
        peak = max(peak, current)
    return peak
