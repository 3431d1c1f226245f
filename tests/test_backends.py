"""``losses_xp._testing.backends``: the one backend abstraction that the conformance
suite, the unit tests and ``python -m losses_xp check`` stand on: how a missing library,
a missing GPU, a backend without autodiff or a compiler is reported."""

from __future__ import annotations

import subprocess
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._testing import backends
from losses_xp._testing.backends import Backend, BackendUnavailable, NoDevice, get_backend


def test_a_library_that_cannot_be_imported_is_unavailable_not_a_skip() -> None:
    broken = Backend("numpy", "losses_xp_no_such_module", ("float32",))
    with pytest.raises(BackendUnavailable, match="cannot import losses_xp_no_such_module") as info:
        broken.load()
    assert not isinstance(info.value, NoDevice)  # only a missing GPU may be skipped


def test_cupy_without_a_gpu_is_no_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "cuda_device_present", lambda: False)
    with pytest.raises(NoDevice, match="needs a CUDA device"):
        get_backend("cupy").load()


@pytest.mark.parametrize(("nodes", "smi", "run", "expected"), [
    (["/dev/nvidia0"], None, None, True),
    ([], None, None, False),  # no device node and no nvidia-smi
    ([], "/usr/bin/nvidia-smi", (0, "GPU 0: NVIDIA H100 (UUID: GPU-1)\n"), True),
    ([], "/usr/bin/nvidia-smi", (0, "No devices found.\n"), False),
    ([], "/usr/bin/nvidia-smi", (9, "NVIDIA-SMI has failed\n"), False),
    ([], "/usr/bin/nvidia-smi", OSError("exec format error"), False),
])
def test_cuda_device_present(monkeypatch: pytest.MonkeyPatch, nodes: list[str], smi: str | None,
                             run: Any, expected: bool) -> None:
    monkeypatch.setattr(backends.glob, "glob",
                        lambda pattern: nodes if pattern.startswith("/dev/") else [])
    monkeypatch.setattr(backends.shutil, "which", lambda name: smi)

    def fake_run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert argv == [smi, "-L"]
        if isinstance(run, Exception):
            raise run
        return subprocess.CompletedProcess(argv, run[0], stdout=run[1], stderr="")

    monkeypatch.setattr(backends.subprocess, "run", fake_run)
    assert backends.cuda_device_present() is expected


def test_numpy_backend_has_no_autodiff_and_no_compiler() -> None:
    bk = get_backend("numpy")
    assert bk.version() == np.__version__
    x = bk.asarray(np.array([1.0, 2.0], dtype=np.float32))  # dtype from the input
    assert x.dtype == np.float32
    with pytest.raises(NotImplementedError, match="numpy has no automatic differentiation"):
        bk.value_and_grad(lambda a: a.sum(), [x], [0])
    with pytest.raises(NotImplementedError, match="numpy has no compiler"):
        bk.compile(lambda a: a)
    with bk.forbid_compute():  # nothing to forbid outside Dask
        assert float(lx.mse_loss(x, x)) == 0.0


def test_unknown_backend_name() -> None:
    with pytest.raises(ValueError, match="unknown backend 'tensorflow'"):
        get_backend("tensorflow")


def test_dask_compute_inside_forbid_compute_raises() -> None:
    pytest.importorskip("dask", reason="dask not installed (the nox `coverage` session has it)")
    bk = get_backend("dask")
    x = bk.asarray(np.arange(4.0))
    with bk.forbid_compute(), pytest.raises(AssertionError, match="must stay lazy"):
        x.sum().compute()
    assert float(x.sum().compute()) == 6.0  # allowed again after the block
