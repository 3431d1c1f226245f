"""The run: every case of every mode checked, timed and measured, then the reports written."""

from __future__ import annotations

import gc
import json
import os
import time
import traceback
from typing import Any, TextIO

from .._check import _quiet, _short
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

__all__ = ["bench"]


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

    ``modes`` defaults to :func:`build_modes` (tests pass their own).
    """
    start = time.perf_counter()
    load_before = _loadavg()
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
    for mode in modes:
        t0 = time.perf_counter()
        sizes = mode.sizes(opts.sizes)
        pairs = [p for p in mode.pairs if opts.losses is None or p.loss in opts.losses]
        print(f"{mode.name}: {len(pairs)} losses × sizes {', '.join(map(_size, sizes))}",
              file=err, flush=True)
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
                    if problem:
                        res = Result(mode.name, pair.loss, pair.native_name, n, shape_for(n),
                                     pass_, status="error", detail=problem)
                    else:
                        res = _run_case(mode, pair, pass_, n, cache[pair.kind], opts,
                                        opts.memory and n == sizes[-1])
                    results.append(res)
                    _progress(err, res)
            cache.clear()
        print(f"{mode.name}: {time.perf_counter() - t0:.1f} s", file=err, flush=True)
    for r in results:
        if r.status != "ok":
            failures.append(f"{r.mode} {r.loss} {_size(r.n)} {r.pass_}: {r.status}: {r.detail}")
    elapsed = time.perf_counter() - start
    meta = _meta(opts, modes, status, elapsed)
    meta["load_average"] = {"start": load_before, "end": _loadavg()}
    opts.out.mkdir(parents=True, exist_ok=True)
    report = _markdown(meta, modes, results, failures)
    (opts.out / "results.md").write_text(report, encoding="utf-8")
    payload = {"meta": meta, "results": [r.as_json() for r in results]}
    (opts.out / "results.json").write_text(json.dumps(payload, indent=1) + "\n",
                                           encoding="utf-8")
    plot = opts.out / "ratios.png"
    try:
        plot_note = _plot(results, modes, plot) if opts.plot else "--no-plot"
    except Exception as exc:
        plot_note = f"drawing failed: {_short(exc)}"
    if plot_note != "ok":
        plot.unlink(missing_ok=True)  # not a stale plot of an earlier run
    print(report, file=out)
    print(f"wrote {opts.out / 'results.md'}, {opts.out / 'results.json'}"
          + (f", {plot}" if plot_note == "ok" else
             f" (no plot: {plot_note})"), file=out)
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


def _progress(err: TextIO, r: Result) -> None:
    where = f"  {r.mode:<13} {r.loss:<33} {_size(r.n):>4} {r.pass_:<7}"
    if r.status != "ok":
        print(f"{where} {r.status.upper()}: {r.detail}", file=err, flush=True)
        return
    met = {True: "", False: " (target not met)", None: ""}[r.met]
    print(f"{where} ours {_fmt_time(r.ours_s)}  native {_fmt_time(r.native_s)}  "
          f"ratio {_fmt_ratio(r.ratio)}{met}", file=err, flush=True)


def _malloc_note(err: TextIO) -> None:
    missing = [k for k in MALLOC_ENV if k not in os.environ]
    if missing:
        env = " ".join(f"{k}={v}" for k, v in MALLOC_ENV.items())
        print(f"note: {', '.join(missing)} not set: glibc returns large freed blocks (a 4M-"
              f"element float32 temporary is 15.6 MiB) to the system and re-faults them on the "
              f"next call, which adds page-fault time to both sides; for stable numbers run "
              f"with `{env}` (the nox `bench` session sets them)", file=err, flush=True)
