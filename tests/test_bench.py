"""``python -m losses_xp bench`` on NumPy only (the unit tests have no torch, JAX, sklearn).

The PyTorch, JAX and scikit-learn modes run in the nox ``bench`` session and in
tests/test_bench_modes.py; the report's cells and plot in tests/test_bench_report.py.  Here
the harness itself is tested: the reports it writes, the agreement check that refuses to
time a wrong number, the interleaving of the two sides, the targets, the usage errors, the
failures of a case (its inputs, its memory measurement), and that only ``pairs.py`` names
losses.
"""

from __future__ import annotations

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
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp import _bench
from losses_xp.__main__ import build_parser
from losses_xp._bench import cli, modes, pairs, report, runner

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
        assert r["target"] == 1.2
        assert r["met"] == (r["ratio"] <= 1.2 * (1.0 + report.PARITY_BAND))
        assert r["ours_bytes"] > 0
        assert r["native_bytes"] > 0
        row = next(line for line in md.splitlines() if line.startswith(f"| `{r['loss']}` vs"))
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert cells[1:3] == ["10×10 (1e2)", "fwd"], row
        assert cells[5] == f"{r['ratio']:.2f}" + (" †" if r["noisy"] else ""), row
        assert cells[6] == "≤ 1.2", row
        assert cells[7] in ("yes", "**no**"), row

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
    targets met and the highest ratios, in a few lines.  ``--out`` is relative to the
    current directory, and its absolute path is said before anything is measured."""
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
    assert lines[0].startswith(f"bench: {len(results)} cases (numpy {len(results)}) in ")
    assert lines[1].startswith(f"speed targets: {met} met, {len(speed) - met} not met; ")
    assert lines[2] == f"highest ratios ours / native (of {len(results)} timed cases):"
    worst = max(results, key=lambda r: r["ratio"])
    assert lines[3].startswith(f"  {worst['ratio']:.2f}  numpy {worst['loss']} 1e2 fwd (")
    assert len([line for line in lines if line.startswith("  ")]) == runner.WORST
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
    for kind in ("regression", "logits", "probs", "classes", "log_probs", "labels"):
        arrays = _bench.make_inputs(kind, 100)
        assert arrays[0].shape == (10, 10)
        again = _bench.make_inputs(kind, 100)
        assert all(np.array_equal(a, b) for a, b in zip(arrays, again, strict=True))
    x, t = _bench.make_inputs("classes", 100)
    assert x.dtype == np.float32
    assert t.dtype == np.int64
    assert t.shape == (10,)
    # the performance targets (docs/benchmarks.md)
    assert _bench.target_for("torch", "cross_entropy", 10**6) == 1.0
    other = next(p.loss for p in pairs.numpy_pairs() if p.loss not in pairs.HEADLINE)
    assert _bench.target_for("torch", other, 10**6) is None
    assert _bench.target_for("torch", other, 100) == 1.3
    assert _bench.target_for("torch", "mse_loss", 10**4) is None
    assert _bench.target_for("jax", other, 10**4) == 1.0
    assert _bench.target_for("numpy", other, 10**7) == 1.2
    assert _bench.target_for("torch.compile", "mse_loss", 100) is None


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
    other module of the bench names a loss, not even in a comment."""
    bench_dir = Path(_bench.__file__).resolve().parent
    names = [n for n in lx.__all__ if not n.startswith("__")]
    naming = {path.name: [n for n in names if re.search(rf"\b{n}\b", path.read_text("utf-8"))]
              for path in sorted(bench_dir.glob("*.py"))}
    assert naming.pop("pairs.py"), "pairs.py names the losses it benchmarks"
    assert naming == {name: [] for name in naming}
