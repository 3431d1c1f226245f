"""The refusals of ``python -m losses_xp vendor`` and the test harness's backend objects.

tests/test_package.py vendors the package through a subprocess, the way a user does, and
checks the copy; here the command's refusals and options are run in this process (quick,
and they are the paths a user meets when something is wrong).  The second half tests
``losses_xp._testing.backends``, which the conformance suite and ``check`` stand on: how a
missing library, a missing GPU, a backend without autodiff or a compiler is reported.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp import __main__ as cli
from losses_xp._testing import backends
from losses_xp._testing.backends import Backend, BackendUnavailable, NoDevice, get_backend

PACKAGE = Path(lx.__file__).resolve().parent


def test_vendor_refuses_a_name_that_is_not_an_identifier(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["vendor", str(tmp_path), "--name", "my-losses"]) == 2
    assert "--name must be a Python identifier; got 'my-losses'" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_vendor_refuses_to_copy_the_package_into_itself(
        capsys: pytest.CaptureFixture[str]) -> None:
    # DEST/losses_xp would be the source itself: refused before --force removes anything
    assert cli.main(["vendor", str(PACKAGE.parent), "--force"]) == 2
    assert "cannot vendor" in capsys.readouterr().err
    assert (PACKAGE / "__init__.py").is_file()


def test_vendor_force_replaces_a_copy_and_can_leave_out_array_api_compat(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "losses_xp" / "stale.py"
    stale.parent.mkdir()
    stale.write_text("an earlier copy's file\n")
    assert cli.main(["vendor", str(tmp_path), "--without-compat"]) == 1  # exists, no --force
    assert stale.exists()
    assert cli.main(["vendor", str(tmp_path), "--without-compat", "--force"]) == 0
    assert not stale.exists()
    copy = tmp_path / "losses_xp"
    assert (copy / "__init__.py").read_text() == (PACKAGE / "__init__.py").read_text()
    assert not (copy / "_vendor").exists()
    notes = (copy / "VENDORED.txt").read_text(encoding="utf-8")
    assert "array-api-compat: not vendored; the installed one is used." in notes
    out = capsys.readouterr().out
    assert f"vendored losses_xp {lx.__version__} into {copy}" in out
    assert "with array-api-compat" not in out


def test_license_lookup_of_a_distribution(tmp_path: Path) -> None:
    assert cli._dist_license("no-such-distribution-of-losses-xp") == ("unknown", None)
    name, path = cli._dist_license("numpy")  # its wheel ships its license files
    assert name != "unknown"  # License-Expression, or the older License field
    assert path is not None
    assert "Copyright" in path.read_text(encoding="utf-8")
    # a distribution without a license file (array-api-compat's wheel has none): the copy's
    # VENDORED.txt says so instead of pretending
    assert "NOT FOUND" in cli._copy_license(None, tmp_path / "LICENSE")
    assert not (tmp_path / "LICENSE").exists()


def test_own_license_falls_back_to_the_installed_distribution(tmp_path: Path) -> None:
    # a folder without a LICENSE (an installed copy in site-packages has none beside it)
    found = cli._own_license(tmp_path)
    if found is None:  # an installed losses_xp without a license file in its metadata
        assert cli._dist_license("losses_xp")[1] is None
    else:
        assert "BSD" in found.read_text(encoding="utf-8")[:200]


# --------------------------------------------------------------------------- backends


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
