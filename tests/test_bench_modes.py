"""``python -m losses_xp bench`` on PyTorch, JAX and scikit-learn: the modes
(``losses_xp/_bench/modes.py``) and their table of pairs (``losses_xp/_bench/pairs.py``).

tests/test_bench.py tests the command's own logic on NumPy, the only library of the
``tests`` session.  The nox ``coverage`` session installs every CPU backend, and there
these tests run the command once, as small as it goes, through the code of the other
backends: the PyTorch eager and ``torch.compile`` modes with the profiler's peak memory,
``jax.jit`` against optax with XLA's memory analysis, the scikit-learn metrics, the plot
and the value-check section with the package's own switch; the softmax focal loss timed
against ``F.cross_entropy`` and checked against its reference formula; and a backend that
cannot run (not installed, no such device, failing half-way).
Elsewhere the tests that need a library skip, saying which is missing (the nox ``bench``
session runs these backends in full).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_bench import _options, run_bench  # the same helpers, one copy

import losses_xp as lx
from losses_xp import _bench
from losses_xp._bench import checks, measure, modes, pairs


def _require(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (the nox `coverage` session has them)")


def test_bench_torch_compile_jax_and_sklearn_modes(tmp_path: Path) -> None:
    _require("torch", "jax", "optax", "sklearn", "matplotlib")
    import optax
    import sklearn.metrics
    import torch

    # mse_loss, a loss that PyTorch and optax both have (one of the headline losses), and
    # the scikit-learn metrics (no PyTorch or JAX counterpart)
    both = {p.loss for p in pairs.torch_pairs(torch)} & {p.loss for p in pairs.jax_pairs(optax)}
    loss = next(n for n in pairs.HEADLINE if n in both and n != "mse_loss")
    metrics = sorted(p.loss for p in pairs.sklearn_pairs(sklearn.metrics))
    natives = {p.loss: p.native_name for p in [*pairs.torch_pairs(torch), *pairs.sklearn_pairs(
        sklearn.metrics)]}
    threads = torch.get_num_threads()  # --torch-threads, without changing this process
    code, out, err = run_bench(
        tmp_path, "--backends", "torch,jax,sklearn",
        "--losses", ",".join(["mse_loss", loss, *metrics]),
        "--sizes", "1e2", "--quick", "--rounds", "1", "--min-time", "0",
        "--torch-threads", str(threads))
    assert code == 0, out + err
    results: list[dict[str, Any]] = json.loads(
        (tmp_path / "results.json").read_text(encoding="utf-8"))["results"]
    cases = sorted((r["mode"], r["loss"], r["pass"]) for r in results)
    # the losses have no scikit-learn counterpart, the metrics no PyTorch or JAX one (and
    # no gradient); --quick compiles mse_loss forward only
    assert cases == sorted([
        ("jax", "mse_loss", "fwd"), ("jax", "mse_loss", "fwd+bwd"),
        ("jax", loss, "fwd"), ("jax", loss, "fwd+bwd"),
        *(("sklearn", m, "fwd") for m in metrics),
        ("torch", "mse_loss", "fwd"), ("torch", "mse_loss", "fwd+bwd"),
        ("torch", loss, "fwd"), ("torch", loss, "fwd+bwd"),
        ("torch.compile", "mse_loss", "fwd")])
    for r in results:
        assert r["status"] == "ok", r
        assert r["deviation"] <= _bench.RTOL
        assert r["ours_s"] > 0
        assert r["native_s"] > 0
        # every mode measures the peak memory of one call (the profiler, XLA, tracemalloc)
        assert r["ours_bytes"] is not None, r
        assert r["native_bytes"] is not None, r
    md = (tmp_path / "results.md").read_text(encoding="utf-8")
    for title in ("## torch: PyTorch", "## torch.compile: PyTorch", "## jax: JAX",
                  "## sklearn: scikit-learn", "| `mse_loss` vs optax squared_error |",
                  "| `mse_loss` vs F.mse_loss |",
                  *(f"| `{n}` vs {natives[n]} |" for n in [loss, *metrics])):
        assert title in md, title
    assert f"{threads} thread" in md
    assert (tmp_path / "ratios.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {tmp_path / 'results.md'}" in out
    assert "ratios.png" in out.splitlines()[-2]
    # the value-check section: PyTorch eager, forward, each mode of the package's switch
    section = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))[
        "value_checks"]
    if not hasattr(lx, "value_checks"):
        assert "has no value_checks" in section["skipped"]
        return
    assert section["default"] == lx.get_value_checks()
    assert loss in pairs.VALUE_CHECKED
    assert [(r["mode"], r["loss"], r["pass"], r["check_mode"]) for r in section["results"]] \
        == [("torch", loss, "fwd", m) for m in checks.CHECK_MODES]
    assert all(r["status"] == "ok" and r["ratio"] > 0 for r in section["results"])


def test_softmax_focal_is_timed_against_cross_entropy_and_checked_against_a_formula(
        tmp_path: Path) -> None:
    """PyTorch has no softmax focal loss: F.cross_entropy is its timing baseline, and an
    independent formula of the loss (with its defaults) what ours must agree with."""
    _require("torch")
    import torch

    (pair,) = [p for p in pairs.torch_pairs(torch) if p.loss == "softmax_focal_loss"]
    assert pair.native is torch.nn.functional.cross_entropy
    assert pair.reference is not None
    x, t = (torch.from_numpy(a) for a in _bench.make_inputs(pair.kind, 10**4))
    ours = float(lx.softmax_focal_loss(x, t))
    assert float(pair.reference(x, t)) == pytest.approx(ours, rel=1e-5)
    assert float(pair.native(x, t)) != pytest.approx(ours, rel=1e-2)
    code, out, err = run_bench(tmp_path, "--backends", "torch", "--losses",
                               "softmax_focal_loss", "--sizes", "1e2,1e6", "--quick",
                               "--rounds", "1", "--min-time", "0", "--no-compile",
                               "--no-plot")
    assert code == 0, out + err
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["results"]
    assert [(r["n"], r["pass"]) for r in results] == [
        (100, "fwd"), (100, "fwd+bwd"), (10**6, "fwd"), (10**6, "fwd+bwd")]
    for r in results:
        assert r["status"] == "ok", r
        assert r["native"] == "F.cross_entropy"
        assert r["reference"] == pair.reference_name
        assert r["deviation"] <= _bench.RTOL
        assert r["memory_target"] is None  # a baseline, not a counterpart
        assert r["target"] == (1.3 if r["n"] == 100 else 1.2)


def test_every_paired_loss_can_be_chosen_with_losses(tmp_path: Path) -> None:
    """``--losses`` accepts exactly the losses that some mode pairs with a native one."""
    _require("torch", "jax", "optax", "sklearn")
    built, status = _bench.build_modes(_options(tmp_path, backends=list(_bench.BACKENDS)))
    assert set(status.values()) == {"ok"}, status
    assert {p.loss for m in built for p in m.pairs} == pairs.all_losses()


def test_a_device_the_machine_does_not_have_is_a_failure(tmp_path: Path) -> None:
    _require("torch", "jax", "optax")
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
    built, status = _bench.build_modes(_options(tmp_path, backends=["torch", "jax"]))
    assert built == []
    hint = 'not installed: pip install "losses_xp[bench]"'
    assert status == {"torch": f"torch {hint}", "jax": f"jax {hint}"}
    # JAX without optax, the library it is compared with
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: (
        None if name == "optax" else object() if name == "jax" else real(name, *a)))
    _built, status = _bench.build_modes(_options(tmp_path, backends=["jax"]))
    assert status == {"jax": f"optax {hint}"}


def test_a_backend_failing_half_way_is_unavailable(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def half_way() -> Any:
        raise ImportError("partially initialized module")

    monkeypatch.setattr(modes, "_sklearn_mode", half_way)
    _modes, status = _bench.build_modes(_options(tmp_path, backends=["sklearn"]))
    assert status == {"sklearn": "unavailable: ImportError: partially initialized module"}


def test_fd2_silencing_tolerates_a_missing_descriptor(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dup(fd: int) -> int:
        raise OSError("bad file descriptor")

    monkeypatch.setattr(measure.os, "dup", no_dup)
    ran = False
    with measure._fd2_silenced():
        ran = True
    assert ran


def test_jax_class_indices_are_int32() -> None:
    _require("jax", "optax")
    mode = modes._jax_mode("cpu")
    assert str(mode.convert(np.arange(3, dtype=np.int64)).dtype) == "int32"  # x64 off
    assert str(mode.convert(np.ones(3, dtype=np.float32)).dtype) == "float32"
