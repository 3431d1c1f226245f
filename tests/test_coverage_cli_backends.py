"""``python -m losses_xp bench`` on PyTorch, JAX and scikit-learn.

tests/test_bench.py tests the command's own logic on NumPy and array-api-strict, the only
libraries of the ``tests`` session.  The nox ``coverage`` session installs every CPU
backend, and there this test runs the command once, as small as it goes, through the code
of the other backends: the PyTorch eager and ``torch.compile`` modes with the profiler's
peak memory, ``jax.jit`` against optax with XLA's memory analysis, the scikit-learn
metrics and the plot.  Elsewhere it skips, saying which library is missing (the nox
``bench`` session runs these backends in full).  ``check`` on these backends is tested in
tests/test_check.py.
"""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path
from typing import Any

import pytest

from losses_xp import _bench, _check
from losses_xp.__main__ import build_parser


def _require(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (the nox `coverage` session has them)")


def _run(command: str, *argv: str) -> tuple[int, str, str]:
    args = build_parser().parse_args([command, *argv])
    out, err = io.StringIO(), io.StringIO()
    code = (_bench if command == "bench" else _check).run(args, out, err)
    return code, out.getvalue(), err.getvalue()


def test_bench_torch_compile_jax_and_sklearn_modes(tmp_path: Path) -> None:
    _require("torch", "jax", "optax", "sklearn", "matplotlib")
    import torch

    threads = torch.get_num_threads()  # --torch-threads, without changing this process
    code, out, err = _run(
        "bench", "--backends", "torch,jax,sklearn",
        "--losses", "mse_loss,sigmoid_focal_loss,hamming_loss,top_k_accuracy",
        "--sizes", "1e2", "--quick", "--rounds", "1", "--min-time", "0",
        "--torch-threads", str(threads), "--out", str(tmp_path))
    assert code == 0, out + err
    results: list[dict[str, Any]] = json.loads(
        (tmp_path / "results.json").read_text(encoding="utf-8"))["results"]
    cases = sorted((r["mode"], r["loss"], r["pass"]) for r in results)
    # the losses have no scikit-learn counterpart, the metrics no PyTorch or JAX one (and
    # no gradient); --quick compiles mse_loss forward only
    assert cases == [
        ("jax", "mse_loss", "fwd"), ("jax", "mse_loss", "fwd+bwd"),
        ("jax", "sigmoid_focal_loss", "fwd"), ("jax", "sigmoid_focal_loss", "fwd+bwd"),
        ("sklearn", "hamming_loss", "fwd"), ("sklearn", "top_k_accuracy", "fwd"),
        ("torch", "mse_loss", "fwd"), ("torch", "mse_loss", "fwd+bwd"),
        ("torch", "sigmoid_focal_loss", "fwd"), ("torch", "sigmoid_focal_loss", "fwd+bwd"),
        ("torch.compile", "mse_loss", "fwd")]
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
                  "| `hamming_loss` vs sklearn.metrics.hamming_loss |",
                  "| `sigmoid_focal_loss` vs torchvision sigmoid_focal_loss (inline) |",
                  "| `top_k_accuracy` vs sklearn.metrics.top_k_accuracy_score (k=5) |"):
        assert title in md, title
    assert f"{threads} thread" in md
    assert (tmp_path / "ratios.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {tmp_path / 'results.md'}" in out
    assert "ratios.png" in out.splitlines()[-2]

