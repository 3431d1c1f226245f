"""``python -m losses_xp bench``: the paths tests/test_bench.py does not take.

A backend requested on a device it cannot use or not installed, a mode whose inputs or
memory measurement fail, the plot without matplotlib or without a timed case, the
formatting of the report's cells, the guards of the helpers. All on NumPy (a few need
PyTorch, JAX or matplotlib, and skip without them, saying which), each well under a
second.
"""

from __future__ import annotations

import importlib.util
import io
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_bench import _options, _results, run_bench  # the same helpers, one copy

import losses_xp as lx
from losses_xp import _bench
from losses_xp._bench import cli, measure, modes, report, runner


def _mse_mode(**changes: Any) -> _bench.Mode:
    mode = _bench.numpy_mode()
    mode.pairs = [p for p in mode.pairs if p.loss == "mse_loss"]
    for name, value in changes.items():
        setattr(mode, name, value)
    return mode


def test_a_device_the_machine_does_not_have_is_a_failure(tmp_path: Path) -> None:
    for module in ("torch", "jax", "optax"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} not installed (the nox `coverage` session has it)")
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device: nothing to refuse")
    code, out, _ = run_bench(tmp_path, "--backends", "torch,jax", "--device", "cuda",
                             "--sizes", "1e2", "--quick", "--no-plot")
    assert code == 1
    assert "torch: requested with --backends but no CUDA device" in out
    assert "jax: requested with --backends but no GPU for JAX" in out


def test_backends_that_are_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("torch", "jax") else real(name, *a))
    modes, status = _bench.build_modes(_options(tmp_path, backends=["torch", "jax"]))
    assert modes == []
    assert status == {"torch": "not installed", "jax": "jax not installed"}


def test_a_backend_failing_half_way_is_unavailable(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def half_way() -> Any:
        raise ImportError("partially initialized module")

    monkeypatch.setattr(modes, "_sklearn_mode", half_way)
    _modes, status = _bench.build_modes(_options(tmp_path, backends=["sklearn"]))
    assert status == {"sklearn": "unavailable: ImportError: partially initialized module"}


def test_inputs_that_cannot_be_made_fail_every_pass(tmp_path: Path) -> None:
    def convert(a: np.ndarray) -> Any:
        raise MemoryError("no room")

    out = io.StringIO()
    assert _bench.bench(_options(tmp_path), out, io.StringIO(),
                        modes=[_mse_mode(convert=convert)]) == 1
    (r,) = _results(tmp_path)
    assert r["status"] == "error"
    assert r["detail"] == "making the inputs failed: MemoryError: no room"


def test_a_memory_measurement_that_fails_is_not_a_failure(tmp_path: Path) -> None:
    def prepare(pair: _bench.Pair, pass_: str, arrays: tuple[Any, ...]) -> _bench.Prepared:
        def memory(side: str) -> int:
            raise RuntimeError("profiler unavailable")

        prep = modes._host_prepare(pair, pass_, arrays)
        return _bench.Prepared(prep.ours, prep.native, memory)

    assert _bench.bench(_options(tmp_path), io.StringIO(), io.StringIO(),
                        modes=[_mse_mode(prepare=prepare)]) == 0
    (r,) = _results(tmp_path)
    assert r["status"] == "ok"
    assert r["ours_bytes"] is None
    assert r["detail"] == "peak memory not measured: RuntimeError: profiler unavailable"


def test_verbose_errors_carry_the_traceback(tmp_path: Path) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("boom")

    mode = _mse_mode()
    mode.pairs = [_bench.Pair("mse_loss", "broken", "regression", lx.mse_loss, broken)]
    assert _bench.bench(_options(tmp_path, verbose=True), io.StringIO(), io.StringIO(),
                        modes=[mode]) == 1
    (r,) = _results(tmp_path)
    assert r["detail"].startswith("RuntimeError: boom\nTraceback (most recent call last):")


def test_a_mode_without_cases_gets_no_section(tmp_path: Path) -> None:
    empty = _bench.Mode("sklearn", "nothing", [], ("fwd",), lambda a: a, modes._host_prepare)
    assert _bench.bench(_options(tmp_path), io.StringIO(), io.StringIO(),
                        modes=[_mse_mode(), empty]) == 0
    md = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "## numpy:" in md
    assert "## sklearn:" not in md


def test_nothing_to_benchmark_fails(tmp_path: Path) -> None:
    out = io.StringIO()
    assert _bench.bench(_options(tmp_path), out, io.StringIO(), modes=[]) == 1
    assert "FAILED: nothing was benchmarked" in out.getvalue()


def test_no_plot_without_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises
    out = io.StringIO()
    assert _bench.bench(_options(tmp_path, plot=True), out, io.StringIO(),
                        modes=[_mse_mode()]) == 0
    assert "(no plot: matplotlib is not importable (ModuleNotFoundError:" in out.getvalue()
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


def test_fd2_silencing_tolerates_a_missing_descriptor(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dup(fd: int) -> int:
        raise OSError("bad file descriptor")

    monkeypatch.setattr(measure.os, "dup", no_dup)
    ran = False
    with measure._fd2_silenced():
        ran = True
    assert ran


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


def test_helper_guards() -> None:
    with pytest.raises(ValueError, match="unknown input kind 'images'"):
        _bench.make_inputs("images", 100)
    pair = _mse_mode().pairs[0]
    with pytest.raises(ValueError, match="fwd\\+bwd: NumPy and scikit-learn have no autodiff"):
        modes._host_prepare(pair, "fwd+bwd", _bench.make_inputs("regression", 100))
    assert _bench.deviation([np.zeros(0)], [np.zeros(0)]) == 0.0  # empty results agree
    assert cli._parse_sizes("1e2,,1e3, ") == [100, 1000]
    with pytest.raises(ValueError, match="no size given"):
        cli._parse_sizes(" , ")


def test_jax_class_indices_are_int32() -> None:
    for module in ("jax", "optax"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} not installed (the nox `coverage` session has it)")
    mode = modes._jax_mode("cpu")
    assert str(mode.convert(np.arange(3, dtype=np.int64)).dtype) == "int32"  # x64 off
    assert str(mode.convert(np.ones(3, dtype=np.float32)).dtype) == "float32"
