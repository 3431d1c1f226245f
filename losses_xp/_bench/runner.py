"""The run: every case of every mode checked, timed and measured, the value-check section,
then the reports written (and, with ``--update-docs``, the docs' generated blocks)."""

from __future__ import annotations

import gc
import json
import os
import time
from pathlib import Path
from typing import TextIO

from .._check import _short
from .._progress import Progress
from .case import Inputs, run_case
from .checks import CheckSection, run_section
from .docs import DocsError, check_docs, partial_run, update_docs
from .modes import Mode, build_modes
from .options import Options
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
    misses,
    targets_line,
)

__all__ = ["FILES", "bench"]

#: what a run writes into ``--out``
FILES = ("results.md", "results.json", "ratios.png")


def _refusal(opts: Options) -> str | None:
    """Why ``--update-docs`` cannot be honoured, or None: a partial run (its options), or
    docs or markers missing under the current directory."""
    if not opts.update_docs:
        return None
    partial = partial_run(opts)
    if partial:
        return (f"--update-docs writes the docs' tables from one full run with the default "
                f"options; this run changes {', '.join(partial)}")
    problems = check_docs(Path.cwd())
    return "--update-docs: " + "; ".join(problems) if problems else None


def _down(status: dict[str, str]) -> str | None:
    """Why ``--update-docs`` cannot be honoured with these backends: one cannot run."""
    down = [f"{b}: {why}" for b, why in status.items() if why != "ok"]
    return "--update-docs needs every backend; " + "; ".join(down) if down else None


def bench(opts: Options, out: TextIO, err: TextIO, modes: list[Mode] | None = None,
          status: dict[str, str] | None = None) -> int:
    """Run the benchmark, write the reports into ``opts.out``; the exit status.

    Progress goes to ``err``; ``out`` gets a short summary (the targets met, each one not
    met, the highest ratios, the files written) and the verdict, the full report goes to
    ``results.md``.  ``modes`` defaults to :func:`build_modes` (tests pass their own).
    With ``opts.update_docs``, a partial run is refused before anything is measured, and
    the docs are rewritten after a run without mismatches or errors.
    """
    start = time.perf_counter()
    load_before = _loadavg()
    folder = Path(os.path.abspath(opts.out))
    refused = _refusal(opts)
    if refused:
        print(f"error: {refused}", file=err, flush=True)
        return 2
    try:  # before measuring: a folder that cannot be written fails now, not in minutes
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"error: --out {opts.out}: {_short(exc)}", file=err, flush=True)
        return 2
    if modes is None:
        modes, status = build_modes(opts)
    status = dict(status or {m.name: "ok" for m in modes})
    refused = _down(status) if opts.update_docs else None
    if refused:
        print(f"error: {refused}", file=err, flush=True)
        return 2
    files = ", ".join(FILES if opts.plot else FILES[:2])
    print(f"writing results to {folder} ({files})", file=err, flush=True)
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
        checks = run_section(modes, opts, progress)
    failures += [f"{r.mode} {r.loss} {_size(r.n)} {r.pass_}"
                 + (f" (value checks {r.check_mode})" if r.check_mode else "")
                 + f": {r.status}: {r.detail}"
                 for r in [*results, *checks.results] if r.status != "ok"]
    elapsed = time.perf_counter() - start
    plot_note = _write_reports(folder, opts, modes, status, results, checks, failures,
                               load_before, elapsed)
    for line in _summary(results, checks, elapsed):
        print(line, file=out)
    print(f"wrote {folder / 'results.md'} (the full report), {folder / 'results.json'}"
          + (f", {folder / 'ratios.png'}" if plot_note == "ok" else f" (no plot: {plot_note})"),
          file=out)
    if opts.update_docs:
        failures += _docs(folder, failures, out)
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


def _write_reports(folder: Path, opts: Options, modes: list[Mode], status: dict[str, str],
                   results: list[Result], checks: CheckSection, failures: list[str],
                   load_before: list[float] | None, elapsed: float) -> str:
    """results.md, results.json and ratios.png into ``folder``; "ok" or why no plot."""
    meta = _meta(opts, modes, status, elapsed)
    meta["load_average"] = {"start": load_before, "end": _loadavg()}
    section = checks.as_json()
    report = _markdown(meta, modes, results, failures, section)
    (folder / "results.md").write_text(report, encoding="utf-8")
    payload = {"meta": meta, "results": [r.as_json() for r in results],
               "value_checks": section}
    (folder / "results.json").write_text(json.dumps(payload, indent=1) + "\n",
                                         encoding="utf-8")
    plot = folder / "ratios.png"
    try:
        plot_note = _plot(results, modes, plot) if opts.plot else "--no-plot"
    except Exception as exc:
        plot_note = f"drawing failed: {_short(exc)}"
    if plot_note != "ok":
        plot.unlink(missing_ok=True)  # not a stale plot of an earlier run
    return plot_note


def _docs(folder: Path, failures: list[str], out: TextIO) -> list[str]:
    """``--update-docs`` after the run: the docs rewritten (not after a failed run); the
    failure it adds, if any."""
    if failures:
        print("docs not updated: the run has mismatches or errors", file=out)
        return []
    try:
        written = update_docs(Path.cwd(), folder)
    except (DocsError, OSError) as exc:
        return [f"--update-docs: {_short(exc) if isinstance(exc, OSError) else exc}"]
    print("updated " + ", ".join(os.path.relpath(p) for p in written), file=out)
    return []


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
        inputs = Inputs(mode, n, opts.seed)
        for pair in pairs:
            for pass_ in mode.passes_for(pair):
                progress.update(mode.name, len(results), total,
                                f"{pair.loss} {_size(n)} {pass_}")  # (on a terminal)
                res = run_case(mode, pair, pass_, n, inputs.get(pair.kind), opts,
                               opts.memory and n == sizes[-1])
                results.append(res)
                progress.update(mode.name, len(results), total, _case_line(res),
                                keep=res.status != "ok")
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


def _summary(results: list[Result], checks: CheckSection, elapsed: float) -> list[str]:
    """The standard output's lines: the cases, the targets met, every target not met, the
    highest ratios, the value-check section."""
    by_mode: dict[str, int] = {}
    for r in results:
        by_mode[r.mode] = by_mode.get(r.mode, 0) + 1
    records = [r.as_json() for r in results]
    lines = [f"bench: {len(results)} cases ("
             + ", ".join(f"{m} {k}" for m, k in by_mode.items()) + f") in {elapsed:.1f} s",
             targets_line(records)]
    missed = misses(records)
    if missed:
        lines.append(f"not met ({len(missed)}):")
        lines += [f"  - {m}" for m in missed]
    timed = sorted((r for r in results if r.ratio is not None),
                   key=lambda r: r.ratio or 0.0, reverse=True)
    if timed:
        lines.append(f"highest ratios ours / native (of {len(timed)} timed cases):")
        for r in timed[:WORST]:
            target = ("no target" if r.target is None else
                      f"target ≤ {r.target:g}{'' if r.met else ', not met'}")
            lines.append(f"  {_fmt_ratio(r.ratio)}  {r.mode} {r.loss} {_size(r.n)} {r.pass_} "
                         f"({target})")
    lines.append("value-check modes: " + (f"skipped: {checks.skipped}" if checks.skipped else
                                          f"{len(checks.results)} cases in "
                                          f"{checks.seconds:.1f} s (results.md)"))
    return lines


def _malloc_note(err: TextIO) -> None:
    missing = [k for k in MALLOC_ENV if k not in os.environ]
    if missing:
        env = " ".join(f"{k}={v}" for k, v in MALLOC_ENV.items())
        print(f"note: {', '.join(missing)} not set: glibc returns large freed blocks (a 4M-"
              f"element float32 temporary is 15.6 MiB) to the system and re-faults them on the "
              f"next call, which adds page-fault time to both sides; for stable numbers run "
              f"with `{env}` (the nox `bench` session sets them)", file=err, flush=True)
