"""The report: each case's :class:`Result`, the machine it ran on, ``results.md`` and
``ratios.png`` (``results.json`` is the results' :meth:`Result.as_json` and the metadata).

What the report says about a case's targets (:func:`target_text`, :func:`misses`) and the
value-check table (:func:`value_check_lines`) read the JSON records, so that results.md,
the standard output's summary and the generated docs (:mod:`.docs`) say the same.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import statistics
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .._check import _short, _version
from .._version import __version__
from .cases import MEMORY_SLACK, MEMORY_TARGET, PARITY_BAND, RTOL, is_met, memory_met
from .modes import INSTALL, Mode
from .options import Options

__all__ = ["MALLOC_ENV", "MEMORY_SLACK", "PARITY_BAND", "Result", "misses", "target_text",
           "value_check_lines"]

# the package benchmarked: the parent of this subpackage (another name in a vendored copy)
_PACKAGE = (__package__ or "losses_xp._bench").rsplit(".", 1)[0]

#: a case whose per-round ratios spread over more than this factor (max / min) is marked noisy
NOISY = 1.5
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "17179869184"}
#: the libraries whose versions the report's header lists (``_check._version`` maps a
#: module to its distribution name)
REPORTED = ("numpy", "array_api_compat", "torch", "jax", "jaxlib", "optax", "sklearn",
            "matplotlib")


@dataclass
class Result:
    """One case: a loss, a size and a pass in one mode.

    ``target`` and ``slack_s``: the speed target (:func:`.cases.is_met`); ``reference``: the
    name of the formula ours was checked against where the native is a timing baseline
    only; ``memory_target``: None where no memory target applies; ``check_mode``: the
    value-check mode ours ran under (the value-check section), None in the main tables
    (the package's default).
    """

    mode: str
    loss: str
    native: str
    n: int
    shape: tuple[int, int]
    pass_: str
    status: str = "ok"  # "ok", "mismatch", "error"
    detail: str = ""
    deviation: float | None = None
    ours_s: float | None = None
    native_s: float | None = None
    ratio: float | None = None
    target: float | None = None
    ours_rounds: list[float] = field(default_factory=list)
    native_rounds: list[float] = field(default_factory=list)
    calls_per_round: tuple[int, int] = (0, 0)
    ours_bytes: int | None = None
    native_bytes: int | None = None
    slack_s: float = 0.0
    reference: str = ""
    memory_target: float | None = MEMORY_TARGET
    check_mode: str | None = None

    @property
    def met(self) -> bool | None:
        return is_met(self.ratio, self.target, self.ours_s, self.native_s, self.slack_s)

    @property
    def noisy(self) -> bool:
        """The per-round ratios spread over more than a factor NOISY (max / min)."""
        if not self.ours_rounds or not self.native_rounds:
            return False
        ratios = [o / n for o, n in zip(self.ours_rounds, self.native_rounds, strict=True)]
        return min(ratios) > 0 and max(ratios) / min(ratios) > NOISY

    @property
    def memory_ratio(self) -> float | None:
        if self.ours_bytes is None or self.native_bytes is None:
            return None
        if self.native_bytes == 0:
            return 1.0 if self.ours_bytes == 0 else math.inf
        return self.ours_bytes / self.native_bytes

    @property
    def memory_met(self) -> bool | None:
        return memory_met(self.ours_bytes, self.native_bytes, self.memory_target)

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["pass"] = d.pop("pass_")
        d["met"] = self.met
        if self.ours_rounds and self.native_rounds:
            ratios = [o / n for o, n in zip(self.ours_rounds, self.native_rounds, strict=True)]
            d["ratio_paired_median"] = statistics.median(ratios)
            d["ratio_min"], d["ratio_max"] = min(ratios), max(ratios)
        d["noisy"] = self.noisy
        d["memory_ratio"] = self.memory_ratio
        d["memory_met"] = self.memory_met
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in d.items()}


# --------------------------------------------------------------------------- the machine


def _busy(load: list[float] | None) -> str | None:
    """Why the machine looks too busy for stable numbers, or None."""
    cpus = os.cpu_count() or 1
    if load is None or load[0] <= 0.5 * cpus:
        return None
    return (f"the 1-minute load average is {load[0]:g} on {cpus} CPUs: other work competes for "
            "the CPUs and the numbers will be noisy (PyTorch's threads in particular)")


def _loadavg() -> list[float] | None:
    """1, 5 and 15 minute load averages (other work on the machine makes numbers noisy)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _meta(opts: Options, modes: list[Mode], status: dict[str, str],
          elapsed: float) -> dict[str, Any]:
    uname = platform.uname()
    torch = sys.modules.get("torch")
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "package": _PACKAGE,
        "losses_xp": __version__,
        "machine": f"{uname.system} {uname.release} {uname.machine} ({_cpu_name()})",
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "versions": {m: _version(m) for m in REPORTED},
        "command": opts.command,
        "malloc_env": {k: os.environ.get(k) for k in MALLOC_ENV},
        "thread_env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                                   "OPENBLAS_NUM_THREADS", "XLA_FLAGS")
                       if k in os.environ},
        "device": opts.device,
        "sizes": opts.sizes,
        "rounds": opts.rounds,
        "min_time_s": opts.min_time,
        "rtol": RTOL,
        "seed": opts.seed,
        "backends": status,
        "modes": {m.name: {"title": m.title, "platform": m.platform,
                           "memory_method": m.memory_method} for m in modes},
        "seconds": round(elapsed, 1),
    }


# --------------------------------------------------------------------------- cells


def _size(n: int) -> str:
    e = round(math.log10(n)) if n > 0 else 0
    return f"1e{e}" if n == 10**e else str(n)


def _fmt_time(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1.0:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.3f} s"


def _fmt_ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.2f}"


def _fmt_bytes(b: int | None) -> str:
    if b is None:
        return "n/a"
    if b < 1024:
        return f"{b} B"
    if b < 1024**2:
        return f"{b / 1024:.1f} KiB"
    return f"{b / 1024**2:.1f} MiB"


def _cell(text: str) -> str:
    """``text`` safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def _fmt_met(m: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "-"}[m]


def _fmt_mratio(r: float | None) -> str:
    """A memory ratio (None: a native peak of 0 bytes against a positive one of ours)."""
    return "∞" if r is None else f"{r:.2f}"


def _shape_cell(shape: Sequence[int], n: int) -> str:
    return f"{shape[0]}×{shape[1]} ({_size(n)})"


def _failed_cell(status: str) -> str:
    return "**MISMATCH**" if status == "mismatch" else "**ERROR**"


def _name_cell(rec: Mapping[str, Any]) -> str:
    """``loss`` vs its native (and what it was checked against, where that differs)."""
    name = f"`{rec['loss']}` vs {_cell(rec['native'])}"
    return name + (f" (values checked against {_cell(rec['reference'])})"
                   if rec.get("reference") else "")


# --------------------------------------------------------------------------- targets


def target_text(rec: Mapping[str, Any]) -> str:
    """A case's speed target as the reports write it: ``≤ 1.3 or +4 µs``; ``-`` without."""
    if rec.get("target") is None:
        return "-"
    slack = rec.get("slack_s") or 0.0
    return f"≤ {rec['target']:g}" + (f" or +{slack * 1e6:g} µs" if slack else "")


def _case_name(rec: Mapping[str, Any], markdown: bool) -> str:
    loss = f"`{rec['loss']}`" if markdown else rec["loss"]
    return f"{rec['mode']} {loss} {_size(rec['n'])} {rec['pass']}"


def _speed_miss(rec: Mapping[str, Any]) -> str:
    text = f"ratio {rec['ratio']:.2f} > {rec['target']:g}"
    if rec.get("slack_s"):
        extra = rec["ours_s"] - rec["native_s"]
        text += f" and +{extra * 1e6:.1f} µs > +{rec['slack_s'] * 1e6:g} µs per call"
    return text


def _memory_miss(rec: Mapping[str, Any]) -> str:
    return (f"peak memory {_fmt_bytes(rec['ours_bytes'])} vs {_fmt_bytes(rec['native_bytes'])}"
            f" ({_fmt_mratio(rec['memory_ratio'])} > {rec['memory_target']:g})")


def misses(records: Iterable[Mapping[str, Any]], markdown: bool = False) -> list[str]:
    """Every target not met (JSON records), speed first, then memory: ``mode loss size
    pass: ratio 1.52 > 1`` (``markdown``: the loss in backticks)."""
    records = list(records)
    return ([f"{_case_name(r, markdown)}: {_speed_miss(r)}" for r in records
             if r.get("met") is False]
            + [f"{_case_name(r, markdown)}: {_memory_miss(r)}" for r in records
               if r.get("memory_met") is False])


def _counts(records: Sequence[Mapping[str, Any]]) -> tuple[int, int, int, int]:
    """Speed targets met and counted, memory targets met and counted."""
    speed = [r["met"] for r in records if r.get("met") is not None]
    memory = [r["memory_met"] for r in records if r.get("memory_met") is not None]
    return sum(speed), len(speed), sum(memory), len(memory)


def targets_line(records: Sequence[Mapping[str, Any]]) -> str:
    """``speed targets: 70 met, 3 not met; memory targets: ...``."""
    speed_met, speed, memory_met_, memory = _counts(records)
    return (f"speed targets: {speed_met} met, {speed - speed_met} not met; memory targets: "
            f"{memory_met_} met, {memory - memory_met_} not met")


# --------------------------------------------------------------------------- value checks


def value_check_lines(section: Mapping[str, Any]) -> list[str]:
    """The value-check table (Markdown lines, no heading) from results.json's
    ``value_checks``: per loss and size, ours' time per call (ratio ours / native) under
    each mode."""
    if section.get("skipped"):
        return [f"Not measured: {section['skipped']}."]
    modes, default = section["modes"], section["default"]
    head = " | ".join(f"`{m}`" + (" (default)" if m == default else "") for m in modes)
    lines = [f"PyTorch eager, forward: ours under each value-check mode, timed against the "
             f"native loss as in the main tables; each cell is ours' median time per call "
             f"(ratio ours / native).  Only the default mode (`{default}`) counts for the "
             f"targets: the main tables run it.", "",
             f"| loss | shape | native | {head} |", "|---|---|---:|" + "---:|" * len(modes)]
    rows: dict[tuple[str, int], dict[str, Mapping[str, Any]]] = {}
    for r in section["results"]:
        rows.setdefault((r["loss"], r["n"]), {})[r["check_mode"]] = r
    for by_mode in rows.values():
        first = next(iter(by_mode.values()))
        natives = [r["native_s"] for r in by_mode.values() if r.get("native_s") is not None]
        native = _fmt_time(statistics.median(natives)) if natives else "-"
        cells = " | ".join(_check_cell(by_mode.get(m)) for m in modes)
        lines.append(f"| {_name_cell(first)} | {_shape_cell(first['shape'], first['n'])} | "
                     f"{native} | {cells} |")
    return lines


def _check_cell(rec: Mapping[str, Any] | None) -> str:
    if rec is None:
        return "-"
    if rec["status"] != "ok":
        return _failed_cell(rec["status"])
    return f"{_fmt_time(rec['ours_s'])} ({_fmt_ratio(rec['ratio'])})"


# --------------------------------------------------------------------------- results.md


def _markdown(meta: dict[str, Any], modes: list[Mode], results: list[Result],
              failures: list[str], checks: dict[str, Any] | None = None) -> str:
    """results.md: the header, a table per mode, the peak memory, the value-check modes
    (``checks``: results.json's ``value_checks``), the summary."""
    lines = [f"# {meta['package']} {meta['losses_xp']} benchmark: ours vs each framework's own "
             "losses", "", *_header_lines(meta)]
    records = [r.as_json() for r in results]
    for mode in modes:
        rows = [rec for rec in records if rec["mode"] == mode.name]
        if rows:
            lines += [f"## {mode.name}: {mode.title}", "", *_mode_table(rows), ""]
    mem = [rec for rec in records
           if rec["ours_bytes"] is not None or rec["native_bytes"] is not None]
    if mem:
        lines += ["## Peak memory at the largest size", "", *_memory_table(mem), "",
                  "Methods: " + "; ".join(f"{m.name}: {m.memory_method}" for m in modes), ""]
    if checks is not None:
        lines += ["## Value-check modes", "", *value_check_lines(checks), ""]
    lines += ["## Summary", "", *_summary_lines(records, failures)]
    return "\n".join(lines) + "\n"


def _header_lines(meta: dict[str, Any]) -> list[str]:
    """The header of results.md: when, where, with what, how."""
    v = meta["versions"]
    libs = ", ".join(f"{m} {v[m] or '-'}" for m in REPORTED)
    malloc = ", ".join(f"`{k}={val}`" if val is not None else f"`{k}` unset"
                       for k, val in meta["malloc_env"].items())
    if any(val is None for val in meta["malloc_env"].values()):
        rec = " ".join(f"{k}={val}" for k, val in MALLOC_ENV.items())
        malloc += f" (recommended: `{rec}`)"
    threads = "" if meta["torch_threads"] is None else f"; torch threads {meta['torch_threads']}"
    thread_env = ", ".join(f"{k}={val}" for k, val in meta["thread_env"].items())
    lines = [
        f"- date: {meta['date']}",
        f"- machine: {meta['machine']}, os.cpu_count() = {meta['cpu_count']}"
        f" ({meta['cpus_usable']} usable){threads}"
        + (f"; {thread_env}" if thread_env else ""),
        f"- load average (1, 5, 15 min): {meta['load_average']['start']} at the start, "
        f"{meta['load_average']['end']} at the end"
        + (f" (**busy**: {busy})" if (busy := _busy(meta["load_average"]["start"])) else ""),
        f"- Python {meta['python']}",
        f"- libraries: {libs}",
        f"- command: `{meta['command']}`",
        f"- malloc environment: {malloc}",
        f"- method: ours and native interleaved in the same process, {meta['rounds']} rounds "
        f"of a batch of calls of at least {meta['min_time_s'] * 1e3:g} ms per side; median "
        f"time per call; ratio = ours / native (< 1: losses_xp is faster); float32; results "
        f"checked to agree within {meta['rtol']:g} (relative to max |native|) before timing; "
        f"a ratio up to {PARITY_BAND:.0%} above its target counts as met (the spread of two "
        "identical programs timed this way)",
        f"- total time: {meta['seconds']} s",
        "",
    ]
    skipped = {b: s for b, s in meta["backends"].items() if s != "ok"}
    if skipped:
        lines += ["Not run: " + ", ".join(f"{b} ({s})" for b, s in skipped.items()), ""]
    return lines


def _mode_table(rows: list[dict[str, Any]]) -> list[str]:
    """The table of one mode: a line per case."""
    lines = ["| loss | shape | pass | ours | native | ratio | target | met? |",
             "|---|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        start = f"| {_name_cell(r)} | {_shape_cell(r['shape'], r['n'])} | {r['pass']} |"
        if r["status"] != "ok":
            lines.append(f"{start} - | - | {_failed_cell(r['status'])} | {target_text(r)} | - |")
            continue
        mark = " †" if r["noisy"] else ""
        lines.append(f"{start} {_fmt_time(r['ours_s'])} | {_fmt_time(r['native_s'])} | "
                     f"{_fmt_ratio(r['ratio'])}{mark} | {target_text(r)} | "
                     f"{_fmt_met(r['met'])} |")
    if any(r["noisy"] for r in rows):
        lines += ["", f"† noisy: the ratios of single rounds spread over more than a factor "
                  f"{NOISY:g} (min … max in results.json)"]
    return lines


def _memory_table(rows: list[dict[str, Any]]) -> list[str]:
    """The peak memory of each side, the cases measured at the largest size."""
    lines = [f"Target: ours ≤ {MEMORY_TARGET:g} × native + {MEMORY_SLACK // 1024} KiB (the "
             "slack covers Python objects and allocator rounding: a tiny case's peak is a few "
             "KiB on either side, where a factor means nothing); none where the native is a "
             "timing baseline only (another loss).", "",
             "| backend | loss | shape | pass | ours | native | ratio | met? |",
             "|---|---|---|---|---:|---:|---:|---|"]
    for r in rows:
        mratio = "-" if r["ours_bytes"] is None or r["native_bytes"] is None else _fmt_mratio(
            r["memory_ratio"])
        lines.append(f"| {r['mode']} | `{r['loss']}` | {r['shape'][0]}×{r['shape'][1]} | "
                     f"{r['pass']} | {_fmt_bytes(r['ours_bytes'])} | "
                     f"{_fmt_bytes(r['native_bytes'])} | {mratio} | "
                     f"{_fmt_met(r['memory_met'])} |")
    return lines


def _summary_lines(records: list[dict[str, Any]], failures: list[str]) -> list[str]:
    """The targets met, each one not met, the mismatches and errors."""
    speed_met, speed, memory_met_, memory = _counts(records)
    lines = [f"- speed targets met: {speed_met} / {speed}",
             f"- memory targets met: {memory_met_} / {memory}"]
    missed = misses(records, markdown=True)
    if missed:
        lines.append(f"- not met ({len(missed)}):")
        lines += [f"  - {m}" for m in missed]
    if failures:
        lines += ["", f"**{len(failures)} mismatch(es) or error(s):**", ""]
        lines += [f"- {f}" for f in failures]
    else:
        lines.append(f"- every case agrees within {RTOL:g}")
    return lines


# --------------------------------------------------------------------------- ratios.png


def _plot(results: list[Result], modes: list[Mode], path: Path) -> str:
    """Ratio against size, one line per loss and pass, one panel per mode; "ok" or why not."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter
    except Exception as exc:
        return f"matplotlib is not importable ({_short(exc)}; {INSTALL})"
    shown = [m for m in modes if any(r.mode == m.name and r.ratio for r in results)]
    if not shown:
        return "no timed case"
    cols = min(3, len(shown))
    rows = math.ceil(len(shown) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 4.2 * rows), squeeze=False)
    losses = sorted({r.loss for r in results})
    colors = {name: plt.get_cmap("tab20")(i % 20) for i, name in enumerate(losses)}
    ticks = FuncFormatter(lambda v, _pos: f"{v:g}")
    # minor ticks: label 2 and 5 of each decade only
    minor = FuncFormatter(lambda v, _pos: f"{v:g}" if f"{v:.0e}"[0] in "25" else "")
    for ax, mode in zip(axes.flat, shown, strict=False):
        for loss in losses:
            label: str | None = loss  # one legend entry per loss: solid fwd, dashed fwd+bwd
            for pass_, style in (("fwd", "-"), ("fwd+bwd", "--")):
                pts = sorted((r.n, r.ratio) for r in results if r.mode == mode.name
                             and r.loss == loss and r.pass_ == pass_ and r.ratio)
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o",
                            color=colors[loss], label=label, markersize=3)
                    label = None
        ax.axhline(1.0, color="black", linewidth=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(ticks)
        ax.yaxis.set_minor_formatter(minor)
        ax.set_title(mode.name)
        ax.set_xlabel("elements")
        ax.set_ylabel("time ours / native")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6)
    for ax in list(axes.flat)[len(shown):]:
        ax.set_visible(False)
    fig.suptitle("losses_xp / native time per call (< 1: losses_xp faster; "
                 "solid fwd, dashed fwd+bwd)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return "ok"
