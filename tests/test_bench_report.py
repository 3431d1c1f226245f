"""``python -m losses_xp bench``: the report (``losses_xp/_bench/report.py``) and the
generated docs (``losses_xp/_bench/docs.py``).

The cells of results.md, the noisy mark, the memory ratio, a mode without cases, the plot
without matplotlib, without a timed case or failing to draw, and the machine facts'
fallbacks.  The docs: their blocks regenerated from the committed
docs/performance/results.json must be exactly what README.md and docs/performance.md
contain (a hand-typed or stale figure fails), ``--update-docs`` refused for a partial run
or without the docs' markers, and the blocks rewritten on a copy of the docs.  All on
NumPy or on made-up results (one needs matplotlib, and skips without it), each well under
a second.
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from test_bench import _mse_mode, _options, run_bench  # the same helpers, one copy

from losses_xp import _bench
from losses_xp._bench import docs, modes, report, runner

#: the checkout whose README.md and docs/ these tests read (not the installed package's
#: folder: the tests-3.x sessions install losses_xp into site-packages)
CHECKOUT = Path(__file__).resolve().parent.parent

MIB = 1024**2


def test_a_mode_without_cases_gets_no_section(tmp_path: Path) -> None:
    empty = _bench.Mode("sklearn", "nothing", [], ("fwd",), lambda a: a, modes._host_prepare)
    assert _bench.bench(_options(tmp_path), io.StringIO(), io.StringIO(),
                        modes=[_mse_mode(), empty]) == 0
    md = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "## numpy:" in md
    assert "## sklearn:" not in md


def test_no_plot_without_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises
    out = io.StringIO()
    assert _bench.bench(_options(tmp_path, plot=True), out, io.StringIO(),
                        modes=[_mse_mode()]) == 0
    assert "(no plot: matplotlib is not importable (ModuleNotFoundError:" in out.getvalue()
    assert 'pip install "losses_xp[bench]")' in out.getvalue()
    assert not (tmp_path / "ratios.png").exists()


def test_no_plot_without_a_timed_case(tmp_path: Path) -> None:
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib not installed (the nox `coverage` session has it)")
    mode = _bench.with_wrong_native(_mse_mode(), "mse_loss", factor=2.0)  # not timed
    out = io.StringIO()
    assert _bench.bench(_options(tmp_path, plot=True), out, io.StringIO(), modes=[mode]) == 1
    assert "(no plot: no timed case)" in out.getvalue()


def test_a_plot_that_fails_to_draw_is_reported(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any) -> str:
        raise ValueError("bad axes")

    monkeypatch.setattr(runner, "_plot", broken)  # where the run looks it up
    (tmp_path / "ratios.png").write_bytes(b"an earlier plot")
    out = io.StringIO()
    assert _bench.bench(_options(tmp_path, plot=True), out, io.StringIO(),
                        modes=[_mse_mode()]) == 0
    assert "(no plot: drawing failed: ValueError: bad axes)" in out.getvalue()
    assert not (tmp_path / "ratios.png").exists()  # no stale plot either


def test_machine_facts_have_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_load() -> Any:
        raise OSError("no load average here")

    monkeypatch.setattr(report.os, "getloadavg", no_load)
    assert report._loadavg() is None

    def no_cpuinfo(self: Path, *a: Any, **k: Any) -> str:
        raise OSError("no /proc")

    monkeypatch.setattr(report.Path, "read_text", no_cpuinfo)
    assert report._cpu_name() == (report.platform.processor() or report.platform.machine())


@pytest.mark.parametrize(("value", "text"), [
    (None, "-"), (2.5e-6, "2.5 µs"), (0.0123, "12.30 ms"), (1.5, "1.500 s"),
])
def test_time_cells(value: float | None, text: str) -> None:
    assert report._fmt_time(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (None, "n/a"), (512, "512 B"), (2048, "2.0 KiB"), (3 * 1024**2, "3.0 MiB"),
])
def test_memory_cells(value: int | None, text: str) -> None:
    assert report._fmt_bytes(value) == text


def test_a_noisy_case_is_marked(tmp_path: Path) -> None:
    mode = _mse_mode()
    r = _bench.Result("numpy", "mse_loss", "np", 100, (10, 10), "fwd", ours_s=2.0,
                      native_s=1.0, ratio=2.0, target=1.2, ours_rounds=[1.0, 1.0, 4.0],
                      native_rounds=[1.0, 1.0, 1.0])
    meta = report._meta(_options(tmp_path), [mode], {"numpy": "ok"}, 1.0)
    meta["load_average"] = {"start": None, "end": None}
    md = report._markdown(meta, [mode], [r], [])
    assert "| 2.00 † | ≤ 1.2 | **no** |" in md
    assert "† noisy: the ratios of single rounds spread over more than a factor 1.5" in md


def test_memory_ratio_against_zero_bytes() -> None:
    r = _bench.Result("numpy", "mse_loss", "x", 100, (10, 10), "fwd", ours_bytes=0,
                      native_bytes=0)
    assert r.memory_ratio == 1.0
    r.ours_bytes = 8
    assert r.memory_ratio == math.inf
    assert r.as_json()["memory_ratio"] is None  # JSON has no infinity


# --------------------------------------------------------------------------- generated docs


def test_the_docs_figures_are_generated_from_the_committed_results() -> None:
    """Every performance figure of README.md and docs/performance.md lies in a block that
    ``render_blocks`` makes from docs/performance/results.json, and the docs contain
    exactly those blocks: regenerate them with ``python -m losses_xp bench
    --update-docs``, never by hand."""
    data = json.loads((CHECKOUT / docs.DOCS_RESULTS / "results.json").read_text(encoding="utf-8"))
    blocks = _bench.render_blocks(data)
    assert set(blocks) == {name for names in docs.DOC_BLOCKS.values() for name in names}
    assert docs.check_docs(CHECKOUT) == []
    for rel in docs.DOC_BLOCKS:
        text = (CHECKOUT / rel).read_text(encoding="utf-8")
        assert _bench.replace_blocks(text, blocks) == text, (
            f"{rel}: a generated block differs from docs/performance/results.json; run "
            "`python -m losses_xp bench --update-docs` from the repository's root")
    for name in docs.COPIED:
        assert (CHECKOUT / docs.DOCS_RESULTS / name).is_file(), name


def _record(mode: str, loss: str, n: int, pass_: str, ratio: float, native_s: float = 1e-3,
            counted: bool = True, **kw: Any) -> dict[str, Any]:
    """A made-up case of results.json, with the targets of the bench (``counted``)."""
    target = _bench.target_for(mode, loss, n) if counted else None
    return _bench.Result(mode, loss, f"native {loss}", n, _bench.shape_for(n), pass_,
                         ours_s=ratio * native_s, native_s=native_s, ratio=ratio,
                         target=target, slack_s=_bench.slack_for(mode, n) if target else 0.0,
                         **kw).as_json()


def _payload(checks: bool = True) -> dict[str, Any]:
    """A made-up results.json: PyTorch eager, JAX and NumPy at 1e2 and 1e7."""
    big = 10**7
    results = [
        _record("numpy", "mse_loss", 100, "fwd", 1.1),
        _record("numpy", "mse_loss", big, "fwd", 1.5, ours_bytes=300 * MIB,
                native_bytes=100 * MIB),
        _record("torch", "mse_loss", 100, "fwd", 2.0, native_s=5e-6),  # +5 µs: not met
        _record("torch", "mse_loss", 100, "fwd+bwd", 2.0, native_s=2e-6),  # +2 µs: met
        _record("torch", "mse_loss", big, "fwd", 0.98, ours_bytes=10, native_bytes=10),
        _record("torch", "mse_loss", big, "fwd+bwd", 1.25, ours_bytes=10, native_bytes=10),
        _record("jax", "mse_loss", big, "fwd", 0.5),
        _record("jax", "mse_loss", big, "fwd+bwd", 0.75),
        _record("torch", "l1_loss", big, "fwd", 1.0),  # not in JAX: not in the README
    ]
    section = {"skipped": None, "default": "essential", "modes": ["all", "essential", "none"],
               "seconds": 1.0, "results": [
                   {**_record("torch", "mse_loss", 100, "fwd", r, 5e-6, counted=False),
                    "check_mode": m}
                   for m, r in (("all", 3.0), ("essential", 2.0), ("none", 1.5))]}
    meta = {"date": "2026-12-01 10:00:00 UTC", "machine": "Linux x86_64 (a CPU)",
            "cpu_count": 2, "torch_threads": 2, "command": "/venv/bin/python -m losses_xp bench "
            "--update-docs", "seconds": 200.0, "sizes": [100, big],
            "versions": {"torch": "2.13.0", "jax": "0.10.2", "optax": "0.2.8",
                         "numpy": "2.4.6", "sklearn": None},
            "modes": {m: {"title": f"{m} title"} for m in ("numpy", "torch", "jax")}}
    data: dict[str, Any] = {"meta": meta, "results": results}
    if checks:
        data["value_checks"] = section
    return data


def test_render_blocks() -> None:
    data = _payload()
    blocks = _bench.render_blocks(data)
    assert blocks == _bench.render_blocks(json.loads(json.dumps(data)))  # from JSON alone
    readme = blocks["readme"].splitlines()
    assert readme[:3] == [
        "| at 1e7 elements | PyTorch eager | JAX `jax.jit` vs optax | NumPy (forward) |",
        "|---|---|---|---|",
        "| `mse_loss` | 0.98 / **1.25** | 0.50 / 0.75 | 1.50 |"]
    assert readme[3] == ""
    assert ("Tiny inputs (≤ 100 elements, PyTorch eager) cost 5.0–5.0 µs more forward and "
            "2.0–2.0 µs more forward+backward per call than the native loss.") in readme[4]
    assert ("Measured on 2026-12-01 10:00:00 UTC on 2 CPUs (Linux x86_64 (a CPU)) with "
            "PyTorch 2.13.0, JAX 0.10.2, optax 0.2.8, NumPy 2.4.6.") in readme[4]
    assert "by `python -m losses_xp bench --update-docs` (200 s)" in blocks["run"]
    assert "Note:" not in blocks["run"]
    noted = {**data, "meta": {**data["meta"], "note": "a rerun."}}
    assert _bench.render_blocks(noted)["run"].endswith(" is not met. Note: a rerun.")
    assert "1e2 = 10×10, 1e7 = 10000×1000" in blocks["run"]
    summary = blocks["summary"].splitlines()
    assert summary[0] == ("This run met 5 of 7 speed targets and 2 of 3 peak-memory targets "
                          "(every case is in [the full report](performance/results.md)).")
    assert summary[1:] == [
        "", "Not met:", "",
        "- torch `mse_loss` 1e2 fwd: ratio 2.00 > 1.3 and +5.0 µs > +4 µs per call",
        "- torch `mse_loss` 1e7 fwd+bwd: ratio 1.25 > 1",
        "- numpy `mse_loss` 1e7 fwd: peak memory 300.0 MiB vs 100.0 MiB (3.00 > 1.1)"]
    tables = blocks["tables"]
    assert "| `mse_loss` | **2.00** / 2.00 | 0.98 / **1.25** |" in tables
    assert "| `l1_loss` | - | 1.00 |" in tables
    assert "| `mse_loss` | 1.10 | 1.50 |" in tables  # (NumPy: no speed target)
    assert "| `mse_loss` | **3.00** | 1.00 / 1.00 |" in tables  # peak memory: numpy, torch
    assert "| `mse_loss` vs native mse_loss | 10×10 (1e2) | 5.0 µs | 15.0 µs (3.00) | " \
           "10.0 µs (2.00) | 7.5 µs (1.50) |" in tables
    no_checks = _bench.render_blocks(_payload(checks=False))["tables"]
    assert no_checks.endswith("Value-check modes:\n\nNot measured in this run.")


def test_every_target_not_met_is_listed() -> None:
    data = _payload()
    summary = _bench.render_blocks(data)["summary"]
    for line in report.misses(data["results"], markdown=True):
        assert f"- {line}" in summary
    assert "Every target is met." not in summary
    met = {**data, "results": [r for r in data["results"]
                               if r["met"] is not False and r["memory_met"] is not False]}
    assert _bench.render_blocks(met)["summary"].endswith("\n\nEvery target is met.")


def _docs_copy(root: Path) -> Path:
    """A copy of the docs that --update-docs rewrites, under ``root``."""
    for rel in docs.DOC_BLOCKS:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CHECKOUT / rel, root / rel)
    return root


def _run_folder(folder: Path, data: dict[str, Any]) -> Path:
    """What a run writes: results.json (``data``), results.md and ratios.png."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(data), encoding="utf-8")
    (folder / "results.md").write_text("# a report\n", encoding="utf-8")
    (folder / "ratios.png").write_bytes(b"\x89PNG a plot")
    return folder


def _outside(text: str) -> str:
    """``text`` with every generated block emptied."""
    return _bench.replace_blocks(text, {n: "" for names in docs.DOC_BLOCKS.values()
                                        for n in names})


def test_update_docs_rewrites_the_blocks_of_a_copy(tmp_path: Path) -> None:
    root = _docs_copy(tmp_path / "repo")
    folder = _run_folder(tmp_path / "run", _payload())
    before = {rel: (root / rel).read_text(encoding="utf-8") for rel in docs.DOC_BLOCKS}
    written = _bench.update_docs(root, folder)
    assert written == [root / "README.md", root / "docs/performance.md",
                       *(root / docs.DOCS_RESULTS / n for n in docs.COPIED)]
    blocks = _bench.render_blocks(_payload())
    for rel, old in before.items():
        text = (root / rel).read_text(encoding="utf-8")
        assert _outside(text) == _outside(old)  # the prose around the blocks is kept
        for name in docs.DOC_BLOCKS[rel]:
            start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
            assert f"{start}\n\n{blocks[name]}\n\n{end}" in text
    for name in docs.COPIED:
        assert (root / docs.DOCS_RESULTS / name).read_bytes() == (folder / name).read_bytes()
    again = {rel: (root / rel).read_text(encoding="utf-8") for rel in docs.DOC_BLOCKS}
    _bench.update_docs(root, folder)  # the same run again: nothing changes
    assert again == {rel: (root / rel).read_text(encoding="utf-8") for rel in docs.DOC_BLOCKS}
    # the run's folder may be docs/performance itself
    _bench.update_docs(root, root / docs.DOCS_RESULTS)


def test_replace_blocks_inserts_text_as_it_is() -> None:
    text = "a\n<!-- bench:x -->\nold\n<!-- /bench:x -->\nb \\1\n"
    assert _bench.replace_blocks(text, {"x": "new \\1 | \\|", "y": "absent"}) == (
        "a\n<!-- bench:x -->\n\nnew \\1 | \\|\n\n<!-- /bench:x -->\nb \\1\n")


def test_update_docs_needs_its_files_and_markers(tmp_path: Path) -> None:
    root = _docs_copy(tmp_path / "repo")
    folder = _run_folder(tmp_path / "run", _payload())
    readme = root / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace("<!-- /bench:readme -->",
                                                                 ""), encoding="utf-8")
    (folder / "ratios.png").unlink()
    with pytest.raises(docs.DocsError) as info:
        _bench.update_docs(root, folder)
    assert f"{readme}: needs the markers <!-- bench:readme --> and <!-- /bench:readme -->" \
        in str(info.value)
    assert f"{folder / 'ratios.png'}: not written by this run" in str(info.value)
    assert readme.read_text(encoding="utf-8").count("<!-- bench:readme -->") == 1
    assert not (root / docs.DOCS_RESULTS).exists()  # nothing written
    (root / "docs/performance.md").unlink()
    assert docs.check_docs(root)[-1] == (f"{root / 'docs/performance.md'}: no such file (run "
                                         "from the repository's root)")


def test_partial_run() -> None:
    full = _bench.Options(backends=list(_bench.BACKENDS))
    assert _bench.partial_run(full) == []
    assert _bench.partial_run(_bench.Options(backends=["jax", "torch", "sklearn", "numpy"],
                                             sizes=[10**7, 100, 10**4, 10**6])) == []
    partial = _bench.Options(backends=["numpy"], losses=["mse_loss"], sizes=[100],
                             quick=True, rounds=3, min_time=0.005, compile=False,
                             memory=False, plot=False, value_check_modes=False)
    assert _bench.partial_run(partial) == [
        "--quick", "--losses", "--sizes", "--backends", "--rounds", "--min-time",
        "--no-compile", "--no-memory", "--no-plot", "--no-value-checks"]


@pytest.mark.parametrize("argv", [
    ["--quick"], ["--sizes", "1e2"], ["--losses", "mse_loss"], ["--backends", "numpy"],
    ["--no-plot"], ["--no-value-checks"], ["--rounds", "2"], ["--no-compile"],
])
def test_update_docs_refuses_a_partial_run(tmp_path: Path, argv: list[str]) -> None:
    """The docs' tables come from one full run: refused before anything is measured."""
    code, out, err = run_bench(tmp_path / "res", "--update-docs", *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("error: --update-docs writes the docs' tables from one full run "
                          f"with the default options; this run changes {argv[0]}")
    assert not (tmp_path / "res").exists()


def test_update_docs_refuses_without_docs_or_a_backend(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    opts = _bench.Options(backends=list(_bench.BACKENDS), update_docs=True,
                          out=tmp_path / "res", command="test")
    monkeypatch.chdir(tmp_path)  # no README.md here
    err = io.StringIO()
    assert _bench.bench(opts, io.StringIO(), err, modes=[]) == 2
    assert err.getvalue().startswith(f"error: --update-docs: {tmp_path / 'README.md'}: no "
                                     "such file (run from the repository's root)")
    _docs_copy(tmp_path)
    err = io.StringIO()
    status = dict.fromkeys(_bench.BACKENDS, "ok") | {"sklearn": "scikit-learn not installed"}
    assert _bench.bench(opts, io.StringIO(), err, modes=[], status=status) == 2
    assert err.getvalue() == ("error: --update-docs needs every backend; sklearn: "
                              "scikit-learn not installed\n")
    assert not (tmp_path / "res" / "results.md").exists()


def test_update_docs_after_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a run, the docs are rewritten from its results.json; not after a failed run."""
    root = _docs_copy(tmp_path / "repo")
    monkeypatch.chdir(root)
    monkeypatch.setattr(runner, "partial_run", lambda opts: [])  # a small run counts as full
    monkeypatch.setattr(runner, "_plot", lambda results, modes, path: path.write_bytes(
        b"png") and "ok")
    opts = _options(tmp_path / "res", update_docs=True, plot=True)
    out = io.StringIO()
    assert _bench.bench(opts, out, io.StringIO(), modes=[_mse_mode()]) == 0, out.getvalue()
    assert "updated README.md, docs/performance.md, docs/performance/results.md, " \
           "docs/performance/results.json, docs/performance/ratios.png" in out.getvalue()
    data = json.loads((root / docs.DOCS_RESULTS / "results.json").read_text(encoding="utf-8"))
    blocks = _bench.render_blocks(data)
    for rel in docs.DOC_BLOCKS:
        text = (root / rel).read_text(encoding="utf-8")
        assert _bench.replace_blocks(text, blocks) == text
    readme = (root / "README.md").read_text(encoding="utf-8")
    failing = _bench.with_wrong_native(_mse_mode(), "mse_loss", factor=2.0)
    out = io.StringIO()
    assert _bench.bench(opts, out, io.StringIO(), modes=[failing]) == 1
    assert "docs not updated: the run has mismatches or errors" in out.getvalue()
    assert (root / "README.md").read_text(encoding="utf-8") == readme
