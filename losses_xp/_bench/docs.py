"""``--update-docs``: the performance figures of README.md and docs/performance.md, written
from the run's results.json.

Every figure there lies between the marker comments ``<!-- bench:NAME -->`` and
``<!-- /bench:NAME -->`` of :data:`DOC_BLOCKS` (paths relative to the repository root, the
current directory); :func:`render_blocks` makes every block from the data of results.json
alone (a pure function: a test regenerates the blocks from the committed
docs/performance/results.json and requires the docs to contain exactly them, so a
hand-typed or stale figure fails).  The prose around the blocks explains causes and
carries no measured number.

After a full run (:func:`partial_run` names what makes a run partial: the docs' tables
come from one run of every default), :func:`update_docs` rewrites the blocks and copies
results.md, results.json and ratios.png into docs/performance/.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .cases import TINY, shape_for
from .options import (
    BACKENDS,
    DEFAULT_MIN_TIME,
    DEFAULT_ROUNDS,
    DEFAULT_SIZES,
    Options,
)
from .report import _counts, _fmt_ratio, _size, misses, value_check_lines

__all__ = [
    "DOCS_RESULTS",
    "DOC_BLOCKS",
    "DocsError",
    "check_docs",
    "partial_run",
    "render_blocks",
    "replace_blocks",
    "update_docs",
]

#: the generated blocks of each file (relative to the repository root), in file order
DOC_BLOCKS: dict[str, tuple[str, ...]] = {
    "README.md": ("readme",),
    "docs/performance.md": ("run", "summary", "tables"),
}
#: where the run's files are copied (relative to the repository root)
DOCS_RESULTS = "docs/performance"
#: what is copied there (the run writes all three: --update-docs refuses --no-plot)
COPIED = ("results.md", "results.json", "ratios.png")
PASSES = ("fwd", "fwd+bwd")
#: the modes of the README's table, with their column titles
README_COLUMNS = {"torch": "PyTorch eager", "jax": "JAX `jax.jit` vs optax",
                  "numpy": "NumPy (forward)"}
#: the per-mode tables of docs/performance.md, in order, with their titles
MODE_TITLES = {
    "torch": "PyTorch eager, against `torch.nn.functional`",
    "torch.compile": "`torch.compile(fullgraph=True)` on both sides",
    "jax": "JAX, both sides under `jax.jit`, against optax",
    "numpy": "NumPy, against a direct NumPy formula, forward",
    "sklearn": "scikit-learn metrics (NumPy inputs), forward",
}
#: the libraries the docs name, with their names there
LIBRARIES = {"torch": "PyTorch", "jax": "JAX", "optax": "optax", "numpy": "NumPy",
             "sklearn": "scikit-learn"}


class DocsError(Exception):
    """The docs cannot be updated (a file or a marker is missing, a file of the run)."""


# --------------------------------------------------------------------------- refusals


def partial_run(opts: Options) -> list[str]:
    """What makes this run partial (its options); empty for a full run."""
    changes = {"--quick": opts.quick, "--losses": opts.losses is not None,
               "--sizes": sorted(opts.sizes) != sorted(DEFAULT_SIZES),
               "--backends": set(opts.backends) != set(BACKENDS),
               "--rounds": opts.rounds != DEFAULT_ROUNDS,
               "--min-time": opts.min_time != DEFAULT_MIN_TIME,
               "--no-compile": not opts.compile, "--no-memory": not opts.memory,
               "--no-plot": not opts.plot, "--no-value-checks": not opts.value_check_modes}
    return [option for option, changed in changes.items() if changed]


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"


def _block_re(name: str) -> re.Pattern[str]:
    start, end = _markers(name)
    return re.compile(re.escape(start) + r"\n.*?" + re.escape(end), re.DOTALL)


def check_docs(root: Path) -> list[str]:
    """What is missing for the docs' update under ``root``: a file, or a block's markers
    (each exactly once, the start before the end)."""
    problems = []
    for rel, names in DOC_BLOCKS.items():
        path = root / rel
        if not path.is_file():
            problems.append(f"{path}: no such file (run from the repository's root)")
            continue
        text = path.read_text(encoding="utf-8")
        for name in names:
            start, end = _markers(name)
            if text.count(start) != 1 or text.count(end) != 1 or not _block_re(name).search(
                    text):
                problems.append(f"{path}: needs the markers {start} and {end}, once each, "
                                "each on its own line, in this order")
    return problems


# --------------------------------------------------------------------------- rewriting


def replace_blocks(text: str, blocks: Mapping[str, str]) -> str:
    """``text`` with each block of ``blocks`` whose markers it has replaced by its content
    (a blank line either side)."""
    for name, content in blocks.items():
        start, end = _markers(name)
        block = f"{start}\n\n{content.strip()}\n\n{end}"
        text = _block_re(name).sub(_constant(block), text)
    return text


def _constant(value: str) -> Callable[[re.Match[str]], str]:
    """A replacement for ``re.sub`` that inserts ``value`` as it is (no escapes)."""
    return lambda _match: value


def update_docs(root: Path, folder: Path) -> list[Path]:
    """Rewrite the blocks of :data:`DOC_BLOCKS` under ``root`` from ``folder``'s
    results.json and copy the run's files into :data:`DOCS_RESULTS`; the files written.
    Everything is checked before anything is written."""
    missing = [name for name in COPIED if not (folder / name).is_file()]
    problems = check_docs(root) + [f"{folder / name}: not written by this run"
                                   for name in missing]
    if problems:
        raise DocsError("; ".join(problems))
    blocks = render_blocks(json.loads((folder / "results.json").read_text(encoding="utf-8")))
    written = []
    for rel in DOC_BLOCKS:
        path = root / rel
        path.write_text(replace_blocks(path.read_text(encoding="utf-8"), blocks),
                        encoding="utf-8")
        written.append(path)
    dest = root / DOCS_RESULTS
    dest.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        if (folder / name).resolve() != (dest / name).resolve():
            shutil.copyfile(folder / name, dest / name)
        written.append(dest / name)
    return written


# --------------------------------------------------------------------------- rendering


def render_blocks(data: Mapping[str, Any]) -> dict[str, str]:
    """Every generated block (by name) from results.json's data ``data``, nothing else."""
    meta, records = data["meta"], [r for r in data["results"] if r.get("check_mode") is None]
    return {
        "readme": _readme(meta, records),
        "run": _run(meta),
        "summary": _summary(records),
        "tables": _tables(meta, records, data.get("value_checks")),
    }


def _ratio(rec: Mapping[str, Any]) -> str:
    """One ratio, bold where its target is not met."""
    if rec["status"] != "ok":
        return str(rec["status"]).upper()
    text = _fmt_ratio(rec["ratio"])
    return f"**{text}**" if rec["met"] is False else text


def _memory(rec: Mapping[str, Any]) -> str:
    """One peak-memory ratio, bold where its target is not met."""
    ratio = rec["memory_ratio"]
    text = "∞" if ratio is None else f"{ratio:.2f}"
    return f"**{text}**" if rec["memory_met"] is False else text


Format = Callable[[Mapping[str, Any]], str]


def _cell(recs: Iterable[Mapping[str, Any]], fmt: Format = _ratio) -> str:
    """``fwd / fwd+bwd`` of the records of one loss and size (``-``: none)."""
    by_pass = {r["pass"]: r for r in recs}
    return " / ".join(fmt(by_pass[p]) for p in PASSES if p in by_pass) or "-"


def _unique(values: Iterable[str]) -> list[str]:
    """``values`` without repeats, in their order."""
    return list(dict.fromkeys(values))


def _loss_cell(records: list[Mapping[str, Any]], loss: str) -> str:
    """``loss``, with its native where that is a timing baseline (another loss)."""
    rec = next(r for r in records if r["loss"] == loss)
    return f"`{loss}`" + (f" vs {rec['native']}" if rec.get("reference") else "")


def _table(records: list[Mapping[str, Any]], columns: Mapping[Any, str], key: str,
           fmt: Format = _ratio, corner: str = "loss") -> list[str]:
    """A table of losses (rows, in their order) by ``columns`` (the value of each record's
    ``key`` → the column's title)."""
    lines = [f"| {corner} | " + " | ".join(columns.values()) + " |",
             "|---|" + "---|" * len(columns)]
    for loss in _unique(r["loss"] for r in records):
        cells = [_cell((r for r in records if r["loss"] == loss and r[key] == c), fmt)
                 for c in columns]
        lines.append(f"| {_loss_cell(records, loss)} | " + " | ".join(cells) + " |")
    return lines


def _versions(meta: Mapping[str, Any]) -> str:
    v = meta["versions"]
    return ", ".join(f"{name} {v[m]}" for m, name in LIBRARIES.items() if v.get(m))


def _command(meta: Mapping[str, Any]) -> str:
    """The command of the run, its interpreter's path shortened to its name."""
    try:
        argv = shlex.split(meta["command"])
    except ValueError:
        return str(meta["command"])
    return shlex.join([Path(argv[0]).name, *argv[1:]]) if argv else ""


def _when(meta: Mapping[str, Any]) -> str:
    return (f"Measured on {meta['date']} on {meta['cpu_count']} CPUs ({meta['machine']}) "
            f"with {_versions(meta)}")


def _extra(records: list[Mapping[str, Any]], pass_: str) -> str:
    """``4.1–13.6 µs more``: the range of ours − native per call over ``records`` of
    ``pass_`` ("" without any)."""
    extra = [(r["ours_s"] - r["native_s"]) * 1e6 for r in records
             if r["pass"] == pass_ and r["status"] == "ok"]
    if not extra:
        return ""
    low, high = min(extra), max(extra)
    return (f"{low:.1f}–{high:.1f} µs more" if low >= 0 else
            f"from {low:+.1f} to {high:+.1f} µs more")


def _tiny(records: list[Mapping[str, Any]]) -> str:
    """The per-call cost above native of PyTorch eager at :data:`TINY` elements and fewer."""
    tiny = [r for r in records if r["mode"] == "torch" and r["n"] <= TINY]
    spans = [f"{span} {name}" for pass_, name in zip(PASSES, ("forward", "forward+backward"),
                                                       strict=True)
             if (span := _extra(tiny, pass_))]
    return (f"Tiny inputs (≤ {TINY} elements, PyTorch eager) cost {' and '.join(spans)} per "
            "call than the native loss." if spans else "")


def _readme(meta: Mapping[str, Any], records: list[Mapping[str, Any]]) -> str:
    """README.md's table at the largest size (the losses both PyTorch eager and JAX time),
    the tiny-input cost and when it was measured."""
    n = max(meta["sizes"])
    both = ({r["loss"] for r in records if r["mode"] == "torch"}
            & {r["loss"] for r in records if r["mode"] == "jax"})
    rows = [r for r in records if r["n"] == n and r["mode"] in README_COLUMNS
            and r["loss"] in both]
    lines = _table(rows, README_COLUMNS, "mode", corner=f"at {_size(n)} elements")
    return "\n".join([*lines, "", "Ratio ours / native, forward / forward+backward (bold: "
                      f"target not met). {_tiny(records)} {_when(meta)}."])


def _run(meta: Mapping[str, Any]) -> str:
    """docs/performance.md: when, where, with what, by which command (and the ``note`` of
    results.json's metadata, if any)."""
    sizes = ", ".join(f"{_size(n)} = {'×'.join(map(str, shape_for(n)))}"
                      for n in meta["sizes"])
    return (f"{_when(meta)}, PyTorch threads {meta['torch_threads']}, by `{_command(meta)}` "
            f"({meta['seconds']:g} s). Sizes are total elements: {sizes}. Every number is a "
            "ratio **ours / native** (< 1: losses_xp is faster), float32; **bold**: the "
            "target of that case is not met." + (f" Note: {meta['note']}" if meta.get("note")
                                                 else ""))


def _summary(records: list[Mapping[str, Any]]) -> str:
    """The targets met, and each one not met with its ratio and target."""
    speed_met, speed, memory_met, memory = _counts(records)
    lines = [f"This run met {speed_met} of {speed} speed targets and {memory_met} of "
             f"{memory} peak-memory targets (every case is in "
             "[the full report](performance/results.md))."]
    missed = misses(records, markdown=True)
    lines += ["", "Not met:", "", *(f"- {m}" for m in missed)] if missed else [
        "", "Every target is met."]
    return "\n".join(lines)


def _largest(records: list[Mapping[str, Any]]) -> str:
    """``1e7; torch.compile: 1e6``: the size of the records, and the modes at another."""
    sizes = {r["mode"]: r["n"] for r in records}
    most = max(sizes.values())
    return "; ".join([_size(most), *(f"{m}: {_size(n)}" for m, n in sizes.items() if n != most)])


def _tables(meta: Mapping[str, Any], records: list[Mapping[str, Any]],
            checks: Mapping[str, Any] | None) -> str:
    """A table per mode (losses by size), the peak memory by mode, the value-check modes."""
    lines: list[str] = []
    titles = {**MODE_TITLES, **{m: v["title"] for m, v in meta["modes"].items()
                                if m not in MODE_TITLES}}
    for mode, title in titles.items():
        rows = [r for r in records if r["mode"] == mode]
        if rows:
            sizes = sorted({r["n"] for r in rows})
            lines += [f"{title}:", "", *_table(rows, {n: _size(n) for n in sizes}, "n"), ""]
    memory = [r for r in records
              if r.get("ours_bytes") is not None and r.get("native_bytes") is not None]
    if memory:
        modes = {m: m for m in _unique(r["mode"] for r in memory)}
        lines += [f"Peak memory at the largest size of each mode ({_largest(memory)}), "
                  "ours / native, forward / forward+backward (bold: above the target):", "",
                  *_table(memory, modes, "mode", _memory), ""]
    lines += ["Value-check modes:", "",
              *(value_check_lines(checks) if checks is not None
                else ["Not measured in this run."])]
    return "\n".join(lines)

