"""``python -m losses_xp bench``: the report (``losses_xp/_bench/report.py``).

The cells of results.md, the noisy mark, the memory ratio, a mode without cases, the plot
without matplotlib, without a timed case or failing to draw, and the machine facts'
fallbacks.  All on NumPy (one needs matplotlib, and skips without it), each well under a
second.
"""

from __future__ import annotations

import importlib.util
import io
import math
import sys
from pathlib import Path
from typing import Any

import pytest
from test_bench import _mse_mode, _options  # the same helpers, one copy

from losses_xp import _bench
from losses_xp._bench import modes, report, runner


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
