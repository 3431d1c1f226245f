"""The run: every case of every mode checked, timed and measured, then the reports written."""

from __future__ import annotations

import gc
import json
import os
import time
import traceback
from pathlib import Path
from typing import Any, TextIO

from .._check import _quiet, _short
from .._progress import Progress
from .cases import RTOL, _preview, deviation, make_inputs, shape_for, target_for
from .measure import time_interleaved
from .modes import Mode, build_modes
from .options import Options
from .pairs import Pair
from .report import (
    MALLOC_ENV,
    Result,
    _busy,
    _fmt_ratio,
    _fmt_time,
    _loadavg,
    _markdown,
    _meta,
    _plot,
    _size,
)

__all__ = ["FILES", "bench"]

#: what a run writes into ``--out``
FILES = ("results.md", "results.json", "ratios.png")


def _run_case(mode: Mode, pair: Pair, pass_: str, n: int, arrays: tuple[Any, ...],
              opts: Options, measure_memory: bool) -> Result:
    res = Result(mode.name, pair.loss, pair.native_name, n, shape_for(n), pass_,
                 target=target_for(mode.name, pair.loss, n))
    try:
        with _quiet():
            if mode.before_case is not None:
                mode.before_case()
            prep = mode.prepare(pair, pass_, arrays)
            got, expected = prep.ours(), prep.native()  # also the warm-up (compiles)
            res.deviation = deviation(got, expected)
            if not res.deviation <= RTOL:
                res.status = "mismatch"
                res.detail = (f"max |ours - native| / max |native| = {res.deviation:.2e} > "
                              f"{RTOL:g}; ours {_preview(got)}, native {_preview(expected)}")
                return res
            del got, expected
            prep.ours()
            prep.native()
            timing = time_interleaved(prep.ours, prep.native, opts.rounds, opts.min_time)
            res.ours_s, res.native_s = timing.ours_median, timing.native_median
            res.ratio = timing.ratio
            res.ours_rounds, res.native_rounds = timing.ours, timing.native
            res.calls_per_round = timing.calls
            if measure_memory and prep.memory is not None:
                try:
                    res.ours_bytes = prep.memory("ours")
                    res.native_bytes = prep.memory("native")
                except Exception as exc:  # a measurement we cannot make is not a failure
                    res.detail = f"peak memory not measured: {_short(exc)}"
    except Exception as exc:
        res.status = "error"
        res.detail = _short(exc)
        if opts.verbose:
            res.detail += "\n" + traceback.format_exc()
    return res


def bench(opts: Options, out: TextIO, err: TextIO, modes: list[Mode] | None = None,
          status: dict[str, str] | None = None) -> int:
    """Run the benchmark, write the reports into ``opts.out``; the exit status.

    Progress goes to ``err``; ``out`` gets a short summary (the targets met, the highest
    ratios, the files written) and the verdict, the full report goes to ``results.md``.
    ``modes`` defaults to :func:`build_modes` (tests pass their own).
    """
    start = time.perf_counter()
    load_before = _loadavg()
    folder = Path(os.path.abspath(opts.out))
    try:  # before measuring: a folder that cannot be written fails now, not in minutes
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"error: --out {opts.out}: {_short(exc)}", file=err, flush=True)
        return 2
    files = ", ".join(FILES if opts.plot else FILES[:2])
    print(f"writing results to {folder} ({files})", file=err, flush=True)
    if modes is None:
        modes, status = build_modes(opts)
    status = dict(status or {m.name: "ok" for m in modes})
    failures: list[str] = []
    for backend, why in status.items():
        if why != "ok":
            print(f"  {backend}: {why}", file=err, flush=True)
            if opts.explicit:
                failures.append(f"{backend}: requested with --backends but {why}")
    _malloc_note(err)
    busy = _busy(load_before)
    if busy:
        print(f"warning: {busy}", file=err, flush=True)
    results: list[Result] = []
    with Progress(err, "cases", every=1) as progress:  # (elsewhere than a terminal: each case)
        for mode in modes:
            results += _run_mode(mode, opts, progress)
    for r in results:
        if r.status != "ok":
            failures.append(f"{r.mode} {r.loss} {_size(r.n)} {r.pass_}: {r.status}: {r.detail}")
    elapsed = time.perf_counter() - start
    meta = _meta(opts, modes, status, elapsed)
    meta["load_average"] = {"start": load_before, "end": _loadavg()}
    report = _markdown(meta, modes, results, failures)
    (folder / "results.md").write_text(report, encoding="utf-8")
    payload = {"meta": meta, "results": [r.as_json() for r in results]}
    (folder / "results.json").write_text(json.dumps(payload, indent=1) + "\n",
                                         encoding="utf-8")
    plot = folder / "ratios.png"
    try:
        plot_note = _plot(results, modes, plot) if opts.plot else "--no-plot"
    except Exception as exc:
        plot_note = f"drawing failed: {_short(exc)}"
    if plot_note != "ok":
        plot.unlink(missing_ok=True)  # not a stale plot of an earlier run
    for line in _summary(results, elapsed):
        print(line, file=out)
    print(f"wrote {folder / 'results.md'} (the full report), {folder / 'results.json'}"
          + (f", {plot}" if plot_note == "ok" else f" (no plot: {plot_note})"), file=out)
    if failures:
        print(f"FAILED: {len(failures)} mismatch(es) or error(s) ({elapsed:.1f} s)", file=out)
        for f in failures:
            print("  - " + f, file=out)
        return 1
    if not results:
        print("FAILED: nothing was benchmarked", file=out)
        return 1
    print(f"OK: {len(results)} cases agree ({elapsed:.1f} s)", file=out)
    return 0


def _run_mode(mode: Mode, opts: Options, progress: Progress) -> list[Result]:
    """Every case of one mode, size by size, each reported to ``progress``."""
    t0 = time.perf_counter()
    sizes = mode.sizes(opts.sizes)
    pairs = [p for p in mode.pairs if opts.losses is None or p.loss in opts.losses]
    total = len(sizes) * sum(len(mode.passes_for(p)) for p in pairs)
    progress.update(mode.name, 0, total,
                    f"{len(pairs)} losses × sizes {', '.join(map(_size, sizes))}")
    results: list[Result] = []
    for n in sizes:
        gc.collect()  # once per size: the timing runs with the collector off
        cache: dict[str, tuple[Any, ...]] = {}
        for pair in pairs:
            problem = ""
            if pair.kind not in cache:
                try:
                    cache[pair.kind] = tuple(mode.convert(a) for a in
                                             make_inputs(pair.kind, n, opts.seed))
                except Exception as exc:
                    problem = f"making the inputs failed: {_short(exc)}"
            for pass_ in mode.passes_for(pair):
                progress.update(mode.name, len(results), total,
                                f"{pair.loss} {_size(n)} {pass_}")  # (on a terminal)
                if problem:
                    res = Result(mode.name, pair.loss, pair.native_name, n, shape_for(n),
                                 pass_, status="error", detail=problem)
                else:
                    res = _run_case(mode, pair, pass_, n, cache[pair.kind], opts,
                                    opts.memory and n == sizes[-1])
                results.append(res)
                progress.update(mode.name, len(results), total, _case_line(res),
                                keep=res.status != "ok")
        cache.clear()
    progress.finish(mode.name, f"  {mode.name}: {len(results)} cases in "
                               f"{time.perf_counter() - t0:.1f} s")
    return results


def _case_line(r: Result) -> str:
    where = f"{r.loss} {_size(r.n)} {r.pass_}"
    if r.status != "ok":
        return f"{where}: {r.status.upper()}: {r.detail}"
    met = " (target not met)" if r.met is False else ""
    return (f"{where}: ours {_fmt_time(r.ours_s)}, native {_fmt_time(r.native_s)}, "
            f"ratio {_fmt_ratio(r.ratio)}{met}")


#: how many of the highest ratios the summary on the standard output lists
WORST = 5


def _summary(results: list[Result], elapsed: float) -> list[str]:
    """The standard output's few lines: the cases, the targets met, the highest ratios."""
    by_mode: dict[str, int] = {}
    for r in results:
        by_mode[r.mode] = by_mode.get(r.mode, 0) + 1
    lines = [f"bench: {len(results)} cases ("
             + ", ".join(f"{m} {k}" for m, k in by_mode.items()) + f") in {elapsed:.1f} s"]
    speed = [r for r in results if r.met is not None]
    memory = [r for r in results if r.memory_met is not None]
    speed_met = sum(bool(r.met) for r in speed)
    memory_met = sum(bool(r.memory_met) for r in memory)
    lines.append(f"speed targets: {speed_met} met, {len(speed) - speed_met} not met; memory "
                 f"targets: {memory_met} met, {len(memory) - memory_met} not met")
    timed = sorted((r for r in results if r.ratio is not None),
                   key=lambda r: r.ratio or 0.0, reverse=True)
    if timed:
        lines.append(f"highest ratios ours / native (of {len(timed)} timed cases):")
        for r in timed[:WORST]:
            target = ("no target" if r.target is None else
                      f"target ≤ {r.target:g}{'' if r.met else ', not met'}")
            lines.append(f"  {_fmt_ratio(r.ratio)}  {r.mode} {r.loss} {_size(r.n)} {r.pass_} "
                         f"({target})")
    return lines


def _malloc_note(err: TextIO) -> None:
    missing = [k for k in MALLOC_ENV if k not in os.environ]
    if missing:
        env = " ".join(f"{k}={v}" for k, v in MALLOC_ENV.items())
        print(f"note: {', '.join(missing)} not set: glibc returns large freed blocks (a 4M-"
              f"element float32 temporary is 15.6 MiB) to the system and re-faults them on the "
              f"next call, which adds page-fault time to both sides; for stable numbers run "
              f"with `{env}` (the nox `bench` session sets them)", file=err, flush=True)
