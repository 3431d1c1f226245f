"""``python -m losses_xp bench`` on NumPy only (the unit tests have no torch, JAX, sklearn).

The PyTorch, JAX and scikit-learn modes run in the nox ``bench`` session and in
tests/test_bench_modes.py; the report's cells and plot, and the generated docs, in
tests/test_bench_report.py.  Here the harness itself is tested: the reports it writes, the
agreement check that refuses to time a wrong number (against the native, or a pair's
reference where the native is a timing baseline), the interleaving of the two sides, the
targets of issue 16 (pure functions: the headline ratios, the 4 µs rule of tiny inputs,
the parity band, the memory target), the value-check section (with a stand-in for the
package's switch), the usage errors, the failures of a case (its inputs, its memory
measurement), and that only ``pairs.py`` names losses.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import io
import json
import math
import os
import re
import subprocess
import sys
import textwrap
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp import _bench
from losses_xp.__main__ import build_parser
from losses_xp._bench import checks, cli, modes, pairs, report, runner
from losses_xp._bench.report import _size

ROOT = Path(lx.__file__).resolve().parent.parent
# the quickest form: one size, two rounds of >= 0.5 ms, no plot
QUICK = ["--backends", "numpy", "--sizes", "1e2", "--quick", "--rounds", "2",
         "--min-time", "0.5", "--no-plot"]


def run_bench(out_dir: Path, *argv: str) -> tuple[int, str, str]:
    args = build_parser().parse_args(["bench", *argv, "--out", str(out_dir)])
    out, err = io.StringIO(), io.StringIO()
    code = _bench.run(args, out, err)
    return code, out.getvalue(), err.getvalue()


def _options(out_dir: Path, **kw: Any) -> _bench.Options:
    base: dict[str, Any] = {"backends": ["numpy"], "sizes": [100], "rounds": 1,
                            "min_time": 0.0, "plot": False, "out": out_dir, "command": "test"}
    return _bench.Options(**{**base, **kw})


def _results(out_dir: Path) -> list[dict[str, Any]]:
    data = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    results: list[dict[str, Any]] = data["results"]
    return results


def _mse_mode(**changes: Any) -> _bench.Mode:
    mode = _bench.numpy_mode()
    mode.pairs = [p for p in mode.pairs if p.loss == "mse_loss"]
    for name, value in changes.items():
        setattr(mode, name, value)
    return mode


def test_quick_numpy_run_writes_a_ratio_per_case(tmp_path: Path) -> None:
    (tmp_path / "ratios.png").write_bytes(b"a plot of an earlier run")
    code, out, err = run_bench(tmp_path, *QUICK)
    assert code == 0, out + err
    pairs = _bench.numpy_mode().pairs
    md = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert not (tmp_path / "ratios.png").exists()  # --no-plot: no stale plot either
    assert "(no plot: --no-plot)" in out
    assert err.startswith(f"writing results to {tmp_path} (results.md, results.json)\n")

    results = _results(tmp_path)
    assert sorted(r["loss"] for r in results) == sorted(p.loss for p in pairs)
    for r in results:
        assert r["status"] == "ok", r
        assert (r["mode"], r["n"], r["shape"], r["pass"]) == ("numpy", 100, [10, 10], "fwd")
        assert r["ours_s"] > 0
        assert r["native_s"] > 0
        assert math.isclose(r["ratio"], r["ours_s"] / r["native_s"])
        assert len(r["ours_rounds"]) == len(r["native_rounds"]) == 2
        assert r["deviation"] <= _bench.RTOL
        assert r["target"] is None  # NumPy: the speed is reported only
        assert r["met"] is None
        assert r["ours_bytes"] > 0
        assert r["native_bytes"] > 0
        row = next(line for line in md.splitlines() if line.startswith(f"| `{r['loss']}` vs"))
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert cells[1:3] == ["10×10 (1e2)", "fwd"], row
        assert cells[5] == f"{r['ratio']:.2f}" + (" †" if r["noisy"] else ""), row
        assert cells[6:8] == ["-", "-"], row  # no target, so neither met nor not

    for field in ("- date: ", "- machine: ", f"os.cpu_count() = {os.cpu_count()}",
                  "- Python ", f"numpy {np.__version__}", "- command: `", "MALLOC_MMAP_THRESHOLD_",
                  "MALLOC_TRIM_THRESHOLD_", "## numpy: NumPy", "| loss | shape | pass | ours | "
                  "native | ratio | target | met? |", "## Peak memory at the largest size",
                  "## Summary", "every case agrees"):
        assert field in md, field
    assert f"OK: {len(pairs)} cases agree" in out
    # the progress, on the standard error (not a terminal here): a line per case
    assert f"  numpy: 0/{len(pairs)} cases, {len(pairs)} losses × sizes 1e2\n" in err
    for r in results:
        assert f"cases, {r['loss']} 1e2 fwd: ours " in err
    assert f"  numpy: {len(pairs)} cases in " in err


def test_the_standard_output_is_a_short_summary(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The full report goes to results.md only; the standard output names the files, the
    targets met, every target not met and the highest ratios, in a few lines.  ``--out``
    is relative to the current directory, and its absolute path is said before anything
    is measured."""
    monkeypatch.chdir(tmp_path)
    args = build_parser().parse_args(["bench", *QUICK, "--out", "res"])
    out, err = io.StringIO(), io.StringIO()
    assert _bench.run(args, out, err) == 0, out.getvalue() + err.getvalue()
    lines = out.getvalue().splitlines()
    assert len(lines) < 40, lines
    folder = tmp_path / "res"
    md = (folder / "results.md").read_text(encoding="utf-8")
    assert "| loss | shape |" in md
    assert "| loss | shape |" not in out.getvalue()
    results = _results(folder)
    speed = [r for r in results if r["met"] is not None]
    met = sum(bool(r["met"]) for r in speed)
    memory = [r for r in results if r["memory_met"] is not None]
    memory_met = sum(bool(r["memory_met"]) for r in memory)
    assert lines[0].startswith(f"bench: {len(results)} cases (numpy {len(results)}) in ")
    assert lines[1] == (f"speed targets: {met} met, {len(speed) - met} not met; memory "
                        f"targets: {memory_met} met, {len(memory) - memory_met} not met")
    # every target not met, one line each: the speed ones, then the memory ones
    missed = [r for r in results if r["met"] is False] + [
        r for r in results if r["memory_met"] is False]
    at = 2
    if missed:
        assert lines[2] == f"not met ({len(missed)}):"
        for line, r in zip(lines[3:], missed, strict=False):
            assert line.startswith(f"  - numpy {r['loss']} 1e2 fwd: "), line
        at = 3 + len(missed)
    assert lines[at] == f"highest ratios ours / native (of {len(results)} timed cases):"
    worst = max(results, key=lambda r: r["ratio"])
    assert lines[at + 1].startswith(f"  {worst['ratio']:.2f}  numpy {worst['loss']} 1e2 fwd (")
    assert len([line for line in lines if line.startswith("  ") and not line.startswith(
        "  - ")]) == runner.WORST
    assert lines[-3] == "value-check modes: skipped: PyTorch eager is not part of this run"
    assert lines[-2] == (f"wrote {folder / 'results.md'} (the full report), "
                         f"{folder / 'results.json'} (no plot: --no-plot)")
    assert lines[-1].startswith(f"OK: {len(results)} cases agree")
    first = err.getvalue().splitlines()[0]
    assert first == f"writing results to {folder} (results.md, results.json)"


def test_an_out_folder_that_cannot_be_made_fails_before_measuring(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    code, out, err = run_bench(tmp_path / "file" / "res", *QUICK)
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: --out {tmp_path / 'file' / 'res'}: ")


#: a second loss of the NumPy mode's pairs (any one but mse_loss)
OTHER = next(p.loss for p in pairs.numpy_pairs() if p.loss != "mse_loss")


def test_wrong_native_number_is_a_mismatch_and_not_timed(tmp_path: Path) -> None:
    """A benchmark of a wrong number is meaningless: the case fails, exit status 1."""
    mode = _bench.with_wrong_native(_bench.numpy_mode(), "mse_loss", factor=1.001)
    opts = _options(tmp_path, losses=["mse_loss", OTHER])
    out, err = io.StringIO(), io.StringIO()
    assert _bench.bench(opts, out, err, modes=[mode]) == 1
    by_loss = {r["loss"]: r for r in _results(tmp_path)}
    assert by_loss["mse_loss"]["status"] == "mismatch"
    assert by_loss["mse_loss"]["deviation"] == pytest.approx(1e-3, rel=1e-2)
    assert by_loss["mse_loss"]["ratio"] is None  # not timed
    assert by_loss[OTHER]["status"] == "ok"
    md = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "**MISMATCH**" in md
    assert "1 mismatch(es) or error(s)" in md
    assert "FAILED: 1 mismatch(es) or error(s)" in out.getvalue()
    assert "MISMATCH" in err.getvalue()


def test_a_difference_within_the_tolerance_is_not_a_mismatch(tmp_path: Path) -> None:
    mode = _bench.with_wrong_native(_bench.numpy_mode(), "mse_loss", factor=1 + 1e-6)
    opts = _options(tmp_path, losses=["mse_loss"])
    assert _bench.bench(opts, io.StringIO(), io.StringIO(), modes=[mode]) == 0


def test_an_exception_is_reported_and_fails(tmp_path: Path) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("boom")

    mode = _bench.numpy_mode()
    mode.pairs = [_bench.Pair("mse_loss", "broken", "regression", lx.mse_loss, broken)]
    out = io.StringIO()
    assert _bench.bench(_options(tmp_path), out, io.StringIO(), modes=[mode]) == 1
    (r,) = _results(tmp_path)
    assert r["status"] == "error"
    assert "RuntimeError: boom" in r["detail"]
    assert "**ERROR**" in (tmp_path / "results.md").read_text(encoding="utf-8")


def test_verbose_errors_carry_the_traceback(tmp_path: Path) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("boom")

    mode = _mse_mode()
    mode.pairs = [_bench.Pair("mse_loss", "broken", "regression", lx.mse_loss, broken)]
    assert _bench.bench(_options(tmp_path, verbose=True), io.StringIO(), io.StringIO(),
                        modes=[mode]) == 1
    (r,) = _results(tmp_path)
    assert r["detail"].startswith("RuntimeError: boom\nTraceback (most recent call last):")


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


def test_nothing_to_benchmark_fails(tmp_path: Path) -> None:
    out = io.StringIO()
    assert _bench.bench(_options(tmp_path), out, io.StringIO(), modes=[]) == 1
    assert "FAILED: nothing was benchmarked" in out.getvalue()


class FakeClock:
    """``time.perf_counter`` that advances only when a benchmarked function says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def spend(self, seconds: float) -> None:
        self.now += seconds


def test_sides_are_interleaved_alternating_which_goes_first(
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(time, "perf_counter", clock)
    log: list[str] = []

    def ours() -> None:
        log.append("o")
        clock.spend(4e-4)

    def native() -> None:
        log.append("n")
        clock.spend(1e-4)

    rounds = 5
    t = _bench.time_interleaved(ours, native, rounds=rounds, min_time=1e-3)
    n_o, n_n = t.calls
    assert n_o * 4e-4 >= 1e-3
    assert n_n * 1e-4 >= 1e-3
    timed = log[len(log) - rounds * (n_o + n_n):]
    expected: list[str] = []
    for r in range(rounds):
        batches = ["o" * n_o, "n" * n_n]
        expected.extend("".join(batches if r % 2 == 0 else batches[::-1]))
    assert timed == expected
    assert t.ours == pytest.approx([4e-4] * rounds)
    assert t.native == pytest.approx([1e-4] * rounds)
    assert t.ratio == pytest.approx(4.0)
    assert t.round_ratios == pytest.approx([4.0] * rounds)


def test_calls_per_round_reaches_the_minimum_time(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(time, "perf_counter", clock)
    assert _bench.calls_per_round(lambda: clock.spend(2e-3), min_time=1e-3) == 1
    n = _bench.calls_per_round(lambda: clock.spend(1e-5), min_time=2e-3)
    assert 200 <= n <= 300  # one step up from the first call, with 20% to spare
    assert _bench.calls_per_round(lambda: None, min_time=1.0, max_calls=50) == 50


def test_noisy_cases_and_a_busy_machine_are_flagged() -> None:
    r = _bench.Result("numpy", "mse_loss", "x", 100, (10, 10), "fwd",
                      ours_rounds=[2.0, 2.0, 2.0], native_rounds=[1.0, 1.0, 1.0])
    assert not r.noisy
    r.ours_rounds = [2.0, 2.0, 4.0]
    assert r.noisy
    assert r.as_json()["noisy"] is True
    assert r.as_json()["ratio_max"] == 4.0
    cpus = os.cpu_count() or 1
    assert report._busy([0.0, 0.0, 0.0]) is None
    assert report._busy(None) is None
    assert "load average" in (report._busy([cpus * 1.0, 0.0, 0.0]) or "")


def test_deviation() -> None:
    assert _bench.deviation([np.float32(2.0)], [np.float32(2.0)]) == 0.0
    assert _bench.deviation([np.array(1.01)], [np.array(1.0)]) == pytest.approx(0.01)
    # gradients: relative to the largest |native| element
    assert _bench.deviation([1.0, np.array([1e-3, 2.0])], [1.0, np.array([0.0, 2.0])]) == \
        pytest.approx(5e-4)
    assert _bench.deviation([np.zeros(3)], [np.zeros(2)]) == math.inf
    assert _bench.deviation([1.0], [1.0, 2.0]) == math.inf
    assert _bench.deviation([np.array(np.nan)], [np.array(np.nan)]) == 0.0
    assert _bench.deviation([np.array(np.nan)], [np.array(1.0)]) == math.inf


def test_shapes_inputs_and_targets() -> None:
    assert _bench.shape_for(100) == (10, 10)
    assert _bench.shape_for(10**4) == (1000, 10)
    assert _bench.shape_for(10**5) == (1000, 100)
    assert _bench.shape_for(10**7) == (10000, 1000)
    assert _bench.shape_for(3) == (1, 3)
    for kind in ("regression", "logits", "probs", "classes", "log_probs", "distributions",
                 "signs", "ranked_pairs", "labels", "positive", "ranking"):
        arrays = _bench.make_inputs(kind, 100)
        assert arrays[0].shape == (10, 10)
        again = _bench.make_inputs(kind, 100)
        assert all(np.array_equal(a, b) for a, b in zip(arrays, again, strict=True))
    x, t = _bench.make_inputs("classes", 100)
    assert x.dtype == np.float32
    assert t.dtype == np.int64
    assert t.shape == (10,)


def test_the_targets_of_issue_16() -> None:
    """docs/benchmarks.md's table of targets: pure functions, no timing."""
    assert pairs.HEADLINE == {
        "cross_entropy": 1.0, "nll_loss": 1.0, "binary_cross_entropy": 1.0,
        "binary_cross_entropy_with_logits": 1.0, "mse_loss": 1.0, "l1_loss": 1.0,
        "huber_loss": 1.0, "smooth_l1_loss": 1.0, "sigmoid_focal_loss": 0.8,
        "softmax_focal_loss": 1.2, "kl_div": 1.0, "poisson_nll_loss": 1.0,
        "gaussian_nll_loss": 1.0, "distillation_loss": 1.0, "soft_margin_loss": 1.0,
        "hinge_embedding_loss": 1.0, "margin_ranking_loss": 1.0, "multi_margin_loss": 1.0,
        "multilabel_soft_margin_loss": 1.0, "cosine_embedding_loss": 1.0,
        "triplet_margin_loss": 1.0}
    other = next(p.loss for p in pairs.numpy_pairs() if p.loss not in pairs.HEADLINE)
    for n in (10**6, 10**7):  # PyTorch eager, large: the headline losses only
        for loss, ratio in pairs.HEADLINE.items():
            assert _bench.target_for("torch", loss, n) == ratio
        assert _bench.target_for("torch", other, n) is None
    for loss in (*pairs.HEADLINE, other):  # PyTorch eager, tiny: every loss
        assert _bench.target_for("torch", loss, 100) == 1.3
        assert _bench.target_for("torch", loss, 10) == 1.3
    assert _bench.target_for("torch", "mse_loss", 10**4) is None  # between: none
    for n in (100, 10**4, 10**7):
        assert _bench.target_for("jax", other, n) == 1.0
        assert _bench.target_for("torch.compile", "mse_loss", n) == 1.2
        assert _bench.target_for("numpy", other, n) is None  # speed reported only
        assert _bench.target_for("sklearn", "hamming_loss", n) is None
    assert _bench.target_for("unknown", "mse_loss", 100) is None
    # the per-call slack: PyTorch eager at 100 elements and fewer only
    assert _bench.slack_for("torch", 100) == 4e-6
    assert _bench.slack_for("torch", 101) == 0.0
    assert _bench.slack_for("jax", 100) == 0.0
    assert _bench.slack_for("torch.compile", 100) == 0.0


def test_the_parity_band() -> None:
    """A ratio up to PARITY_BAND above its target is met (the noise of identical programs)."""
    band = report.PARITY_BAND
    assert _bench.is_met(1.0 * (1 + band), 1.0) is True
    assert _bench.is_met(1.0 * (1 + band) + 1e-9, 1.0) is False
    assert _bench.is_met(0.8 * (1 + band), 0.8) is True
    assert _bench.is_met(0.83, 0.8) is False
    assert _bench.is_met(None, 1.0) is None
    assert _bench.is_met(2.0, None) is None


def test_tiny_inputs_may_take_4_us_more_per_call() -> None:
    """PyTorch eager, <= 100 elements: ratio <= 1.3 or ours - native <= 4 µs, whichever is
    looser."""
    slack = _bench.slack_for("torch", 100)

    def met(ours_us: float, native_us: float) -> bool | None:
        return _bench.is_met(ours_us / native_us, 1.3, ours_us * 1e-6, native_us * 1e-6, slack)

    assert met(5.9, 2.0) is True  # about 3x, but 3.9 µs more
    assert met(6.5, 2.0) is False  # 3.25x and 4.5 µs more
    assert met(104.0, 100.0) is True  # both
    assert met(129.0, 100.0) is True  # within 1.3x, 29 µs more
    assert met(140.0, 100.0) is False  # 1.4x and 40 µs more
    # without slack (every other case) only the ratio counts
    assert _bench.is_met(3.0, 1.3, 6e-6, 2e-6) is False
    r = _bench.Result("torch", "mse_loss", "F.mse_loss", 100, (10, 10), "fwd",
                      ours_s=5.9e-6, native_s=2e-6, ratio=2.95, target=1.3, slack_s=slack)
    assert r.met is True
    assert r.as_json()["met"] is True
    assert report.target_text(r.as_json()) == "≤ 1.3 or +4 µs"
    r.ours_s, r.ratio = 9e-6, 4.5
    assert r.met is False
    assert report.misses([r.as_json()]) == [
        "torch mse_loss 1e2 fwd: ratio 4.50 > 1.3 and +7.0 µs > +4 µs per call"]


def test_the_memory_target() -> None:
    """Peak memory: ours <= 1.1 x native + 64 KiB (allocator rounding, Python objects)."""
    mib = 1024**2
    slack = report.MEMORY_SLACK
    assert slack == 64 * 1024
    assert _bench.memory_met(110 * mib, 100 * mib) is True
    assert _bench.memory_met(110 * mib + slack, 100 * mib) is True
    assert _bench.memory_met(110 * mib + slack + 1, 100 * mib) is False
    assert _bench.memory_met(60 * 1024, 1024) is True  # tiny: within the slack
    assert _bench.memory_met(None, 100) is None
    assert _bench.memory_met(100, 100, target=None) is None  # no memory target
    r = _bench.Result("torch", "mse_loss", "F.mse_loss", 10**7, (10000, 1000), "fwd",
                      ours_bytes=200 * mib, native_bytes=100 * mib)
    assert r.memory_met is False
    assert report.misses([r.as_json()]) == [
        "torch mse_loss 1e7 fwd: peak memory 200.0 MiB vs 100.0 MiB (2.00 > 1.1)"]
    r.memory_target = None  # a timing baseline (another loss): reported only
    assert r.memory_met is None
    assert report.misses([r.as_json()]) == []


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


@pytest.mark.parametrize("argv", [
    ["--backends", "numpy,cupy"],
    ["--backends", ","],
    ["--sizes", "1e2,abc"],
    ["--sizes", "0"],
    ["--sizes", "1.5"],
    ["--losses", "not_a_loss"],
    ["--rounds", "0"],
    ["--torch-threads", "0"],
])
def test_usage_errors_exit_2(tmp_path: Path, argv: list[str]) -> None:
    code, _, err = run_bench(tmp_path, *argv)
    assert code == 2
    assert err.startswith("error: ")
    assert not (tmp_path / "results.md").exists()


def test_a_requested_backend_that_cannot_run_is_a_failure(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name.split(".")[0] == "sklearn" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    code, out, err = run_bench(tmp_path, *QUICK[:1], "numpy,sklearn", *QUICK[2:])
    assert code == 1
    why = 'scikit-learn not installed: pip install "losses_xp[bench]"'
    assert f"sklearn: requested with --backends but {why}" in out
    assert f"  sklearn: {why}\n" in err
    assert f"Not run: sklearn ({why})" in (tmp_path / "results.md").read_text("utf-8")


def test_command_line_records_the_malloc_environment(tmp_path: Path) -> None:
    """The real CLI: the header records the command and the malloc variables."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **report.MALLOC_ENV}
    proc = subprocess.run(
        [sys.executable, "-m", "losses_xp", "bench", *QUICK, "--losses", "mse_loss",
         "--out", str(tmp_path)], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    md = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "`MALLOC_MMAP_THRESHOLD_=33554432`, `MALLOC_TRIM_THRESHOLD_=17179869184`" in md
    assert "-m losses_xp bench --backends numpy" in md
    assert "note: MALLOC" not in proc.stderr
    env = {k: v for k, v in env.items() if not k.startswith("MALLOC_")}
    proc = subprocess.run(
        [sys.executable, "-m", "losses_xp", "bench", *QUICK, "--losses", "mse_loss",
         "--out", str(tmp_path)], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "note: MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ not set" in proc.stderr
    assert "`MALLOC_MMAP_THRESHOLD_` unset" in (tmp_path / "results.md").read_text("utf-8")


def test_vendored_copy_runs_its_bench(tmp_path: Path) -> None:
    """Relative imports only: the bench of a copy under another name runs that copy."""
    dest = tmp_path / "thirdparty"
    subprocess.run([sys.executable, "-m", "losses_xp", "vendor", str(dest), "--name", "mylosses"],
                   capture_output=True, text=True, check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    (dest / "__init__.py").write_text("")
    code = textwrap.dedent(f"""
        import sys, importlib.abc, runpy
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("array_api_compat", "losses_xp"):
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        sys.argv = ["mylosses", "bench", *{QUICK!r}, "--losses", "mse_loss",
                    "--out", {str(tmp_path / "out")!r}]
        runpy.run_module("thirdparty.mylosses", run_name="__main__")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)},
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    md = (tmp_path / "out" / "results.md").read_text(encoding="utf-8")
    assert md.startswith(f"# thirdparty.mylosses {lx.__version__} benchmark")
    assert "| `mse_loss` vs " in md


def test_only_the_table_of_pairs_names_losses() -> None:
    """A bench pair for a new loss is a row in ``_bench/pairs.py`` and nothing else: no
    other module of the bench names a loss, not even in a comment.  (The losses: the
    package's functions from its public modules, not its settings.)"""
    bench_dir = Path(_bench.__file__).resolve().parent
    names = [n for n in lx.__all__ if not n.startswith("__")
             and not getattr(lx, n).__module__.rsplit(".", 1)[-1].startswith("_")]
    assert "mse_loss" in names
    assert "value_checks" not in names
    naming = {path.name: [n for n in names if re.search(rf"\b{n}\b", path.read_text("utf-8"))]
              for path in sorted(bench_dir.glob("*.py"))}
    assert naming.pop("pairs.py"), "pairs.py names the losses it benchmarks"
    assert naming == {name: [] for name in naming}


# --------------------------------------------------------------------------- references


def _np_mse(p: np.ndarray, t: np.ndarray) -> Any:
    return np.mean((p - t) ** 2)


def _np_mae(p: np.ndarray, t: np.ndarray) -> Any:
    return np.mean(np.abs(p - t))


def test_a_reference_is_what_ours_must_agree_with(tmp_path: Path) -> None:
    """A pair whose native is a timing baseline (another loss) is checked against its
    reference and timed against its native; it has no memory target."""
    mode = _mse_mode()
    mode.pairs = [_bench.Pair("mse_loss", "np: mean(abs(p-t))", "regression", lx.mse_loss,
                              _np_mae, reference=_np_mse, reference_name="np: mean((p-t)**2)")]
    out = io.StringIO()
    assert _bench.bench(_options(tmp_path), out, io.StringIO(), modes=[mode]) == 0, \
        out.getvalue()
    (r,) = _results(tmp_path)
    assert r["status"] == "ok"
    assert r["reference"] == "np: mean((p-t)**2)"
    assert r["deviation"] <= _bench.RTOL
    assert r["ratio"] > 0
    assert r["target"] is None  # NumPy: the speed is reported only ...
    assert r["memory_target"] is None  # ... and a reference's memory has no target
    assert r["memory_met"] is None
    assert r["ours_bytes"] is not None  # (measured, reported)
    md = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert ("| `mse_loss` vs np: mean(abs(p-t)) (values checked against np: mean((p-t)**2)) "
            "| 10×10 (1e2) | fwd |") in md


def test_a_wrong_reference_is_a_mismatch(tmp_path: Path) -> None:
    mode = _mse_mode()
    mode.pairs = [_bench.Pair("mse_loss", "np: mean((p-t)**2)", "regression", lx.mse_loss,
                              _np_mse, reference=_np_mae, reference_name="wrong")]
    assert _bench.bench(_options(tmp_path), io.StringIO(), io.StringIO(), modes=[mode]) == 1
    (r,) = _results(tmp_path)
    assert r["status"] == "mismatch"
    assert r["detail"].startswith("max |ours - reference| / max |reference| = ")
    assert r["ratio"] is None  # not timed


def test_the_numpy_softmax_focal_formula_is_the_loss() -> None:
    """The NumPy pair of a loss whose PyTorch native is a timing baseline: a direct formula
    of the same loss (so NumPy needs no reference), with the loss's defaults."""
    (pair,) = [p for p in pairs.numpy_pairs() if p.loss == "softmax_focal_loss"]
    assert pair.reference is None
    x, t = _bench.make_inputs(pair.kind, 100)
    assert float(pair.native(x, t)) == pytest.approx(float(lx.softmax_focal_loss(x, t)),
                                                     rel=1e-6)
    assert float(pair.native(x, t)) != pytest.approx(float(lx.cross_entropy(x, t)), rel=1e-2)


# --------------------------------------------------------------------------- value checks


class FakeSwitch:
    """A package's ``value_checks(mode)`` / ``get_value_checks()``: records the mode in
    force at each call of ours."""

    def __init__(self) -> None:
        self.mode = "essential"
        self.seen: list[str] = []

    @contextlib.contextmanager
    def value_checks(self, mode: str) -> Iterator[None]:
        before, self.mode = self.mode, mode
        try:
            yield
        finally:
            self.mode = before

    def get_value_checks(self) -> str:
        return self.mode

    def ours(self, fn: Any) -> Any:
        def call(*args: Any) -> Any:
            self.seen.append(self.mode)
            return fn(*args)
        return call


def _checked_mode(switch: FakeSwitch) -> _bench.Mode:
    """The NumPy mode under the name of PyTorch eager (the value-check section's), with
    one loss the section times and one it does not."""
    checked = next(p for p in pairs.numpy_pairs() if p.loss in pairs.VALUE_CHECKED)
    mode = _bench.numpy_mode()
    mode.name = checks.SECTION_MODE
    mode.pairs = [dataclasses.replace(checked, ours=switch.ours(checked.ours)),
                  *[p for p in mode.pairs if p.loss == "mse_loss"]]
    return mode


def test_value_check_modes_time_ours_under_each_mode(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    switch = FakeSwitch()
    package = types.SimpleNamespace(__name__="fakepkg", value_checks=switch.value_checks,
                                    get_value_checks=switch.get_value_checks)
    monkeypatch.setattr(checks, "_package", package)
    mode = _checked_mode(switch)
    out, err = io.StringIO(), io.StringIO()
    opts = _options(tmp_path, sizes=[100, 400, 1000], rounds=2)
    assert _bench.bench(opts, out, err, modes=[mode]) == 0, out.getvalue() + err.getvalue()
    section = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))[
        "value_checks"]
    assert section["skipped"] is None
    assert section["default"] == "essential"
    assert section["modes"] == ["all", "essential", "none"]
    loss = mode.pairs[0].loss
    got = [(r["loss"], r["n"], r["check_mode"]) for r in section["results"]]
    # the smallest and the largest size, each mode, the value-checked loss only, forward
    assert got == [(loss, n, m) for n in (100, 1000) for m in checks.CHECK_MODES]
    for r in section["results"]:
        assert r["status"] == "ok", r
        assert r["pass"] == "fwd"
        assert r["ratio"] > 0
        assert len(r["ours_rounds"]) == len(r["native_rounds"]) == 2
        assert r["target"] is None  # only the default counts, in the main tables
        assert r["met"] is None
    # ours ran under each mode (the main tables: under the default), none left set
    assert set(switch.seen) == set(checks.CHECK_MODES)
    assert switch.mode == "essential"
    md = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "## Value-check modes" in md
    assert "| loss | shape | native | `all` | `essential` (default) | `none` |" in md
    assert f"| `{loss}` vs " in md.split("## Value-check modes")[1]
    assert f"value-check modes: {len(got)} cases in " in out.getvalue()
    assert f"  value checks: {len(got)} cases in " in err.getvalue()
    for i, (_, n, m) in enumerate(got):  # the progress: a line per case
        assert f"  value checks: {i + 1}/{len(got)} cases, {loss} {_size(n)} {m}: ratio " \
            in err.getvalue()
    # the section's cases count neither in the targets nor in the main tables
    assert len(_results(tmp_path)) == 2 * 3


@pytest.mark.parametrize(("case", "why"), [
    ("no switch", "fakepkg has no value_checks / get_value_checks"),
    ("--no-value-checks", "--no-value-checks"),
    ("no torch", "PyTorch eager is not part of this run"),
    ("no loss", "none of its losses is part of this run"),
])
def test_the_value_check_section_is_skipped_with_a_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, why: str) -> None:
    switch = FakeSwitch()
    monkeypatch.setattr(checks, "_package", types.SimpleNamespace(
        __name__="fakepkg", **({} if case == "no switch" else {
            "value_checks": switch.value_checks, "get_value_checks": switch.get_value_checks})))
    mode = _checked_mode(switch)
    if case == "no torch":
        mode.name = "numpy"
    opts = _options(tmp_path, value_check_modes=case != "--no-value-checks",
                    losses=["mse_loss"] if case == "no loss" else None)
    out, err = io.StringIO(), io.StringIO()
    assert _bench.bench(opts, out, err, modes=[mode]) == 0
    assert f"  value checks: skipped: {why}" in err.getvalue()
    assert f"value-check modes: skipped: {why}" in out.getvalue()
    section = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))[
        "value_checks"]
    assert section["skipped"].startswith(why)
    assert section["results"] == []
    assert f"Not measured: {why}" in (tmp_path / "results.md").read_text(encoding="utf-8")
    assert switch.seen in ([], ["essential"] * len(switch.seen))  # only the main tables


def test_a_value_check_mode_that_fails_is_a_failure(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Ours must agree under every mode; an error under one fails the run."""
    switch = FakeSwitch()
    monkeypatch.setattr(checks, "_package", types.SimpleNamespace(
        __name__="fakepkg", value_checks=switch.value_checks,
        get_value_checks=switch.get_value_checks))
    mode = _checked_mode(switch)
    pair = mode.pairs[0]

    def ours(*args: Any) -> Any:
        value = pair.ours(*args)
        return value * 2 if switch.mode == "none" else value

    mode.pairs = [dataclasses.replace(pair, ours=ours)]
    out = io.StringIO()
    assert _bench.bench(_options(tmp_path), out, io.StringIO(), modes=[mode]) == 1
    section = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))[
        "value_checks"]
    status = {r["check_mode"]: r["status"] for r in section["results"]}
    assert status == {"all": "ok", "essential": "ok", "none": "mismatch"}
    assert f"torch {pair.loss} 1e2 fwd (value checks none): mismatch: " in out.getvalue()
    md = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "| **MISMATCH** |" in md.split("## Value-check modes")[1]
