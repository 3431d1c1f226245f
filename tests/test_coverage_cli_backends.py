"""``python -m losses_xp check`` on PyTorch, JAX and Dask.

tests/test_check.py tests the command's own logic on NumPy and array-api-strict, the only
libraries of the ``tests`` session.  The nox ``coverage`` session installs every CPU
backend, and there this test runs the command once, as small as it goes, through
``check``'s compiled paths, Dask's lazy results and the backends' platforms.  Elsewhere it
skips, saying which library is missing (the nox ``check`` session runs these backends in
full).  ``bench`` on these backends: tests/test_bench_modes.py.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest

from losses_xp import _check
from losses_xp.__main__ import build_parser


def _require(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (the nox `coverage` session has them)")


def _run(command: str, *argv: str) -> tuple[int, str, str]:
    args = build_parser().parse_args([command, *argv])
    out, err = io.StringIO(), io.StringIO()
    code = _check.run(args, out, err)
    return code, out.getvalue(), err.getvalue()


def test_check_torch_jax_and_dask_with_their_compilers(tmp_path: Path) -> None:
    _require("torch", "jax", "dask")
    code, out, err = _run("check", "--backends", "torch,jax,dask", "--jobs", "1",
                          "--losses", "mse_loss", "--repeat", "1")
    assert code == 0, out + err
    lines = out.splitlines()
    libraries = next(line for line in lines if line.startswith("libraries: "))
    assert "torch " in libraries
    assert "[cpu]" in libraries  # where PyTorch and JAX compute
    header = next(line for line in lines if line.startswith("loss (cases)"))
    assert header.split()[2:] == ["torch", "jax", "dask"]
    row = next(line for line in lines if line.startswith("mse_loss ("))
    cells = row.split()[2:]
    # deviation, compiled, time per backend: torch.compile and jax.jit agree, Dask has no
    # compiler
    assert [cells[1], cells[4], cells[7]] == ["ok", "ok", "-"], row
    assert all(c.endswith("µs") for c in (cells[2], cells[5], cells[8])), row
    assert lines[-1].startswith("OK: 1 losses agree on 3 backend(s): torch, jax, dask")
    assert "dask: ok" in err
