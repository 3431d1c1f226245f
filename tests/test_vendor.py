"""``python -m losses_xp vendor``: the copy works under another name, in a fresh
environment, records versions and licenses, and the command refuses what it must.

The copy is made through a subprocess, the way a user does, and checked; the command's
refusals and options are also run in this process (quick, and they are the paths a user
meets when something is wrong).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import losses_xp as lx
from losses_xp import __main__ as cli

PACKAGE = Path(lx.__file__).resolve().parent
PACKAGE_DIR = PACKAGE


_BLOCK = textwrap.dedent("""
    import sys, importlib.abc
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("array_api_compat", "losses_xp"):
                raise ImportError("blocked: " + name)
    sys.meta_path.insert(0, Block())
""")


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


def test_vendored_copy_works_under_another_name(tmp_path: Path) -> None:
    """`python -m losses_xp vendor` then import the copy with array-api-compat unimportable."""
    dest = tmp_path / "thirdparty"
    proc = subprocess.run(
        [sys.executable, "-m", "losses_xp", "vendor", str(dest), "--name", "mylosses"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(PACKAGE_DIR.parent)},
        check=False)
    assert proc.returncode == 0, proc.stderr
    assert (dest / "mylosses" / "_vendor" / "array_api_compat" / "__init__.py").is_file()
    assert not list((dest / "mylosses").rglob("__pycache__"))
    (dest / "__init__.py").write_text("")
    code = textwrap.dedent("""
        import sys, importlib.abc
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("array_api_compat", "losses_xp"):
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        import numpy as np
        from thirdparty import mylosses as lx
        compat = lx._compat._aac.__name__
        assert compat == "thirdparty.mylosses._vendor.array_api_compat", compat
        print(float(lx.cross_entropy(np.log(np.array([[0.25, 0.75]])), np.array([1]))))
        print(float(lx.mse_loss(np.array([1.0, 2.0]), np.array([1.0, 4.0]))))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)}, check=False)
    assert out.returncode == 0, out.stderr
    values = [float(v) for v in out.stdout.split()]
    assert values[1] == 2.0
    assert abs(values[0] - 0.2876820724517809) < 1e-12  # -log(0.75)


def _vendor_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "thirdparty"
    subprocess.run([sys.executable, "-m", "losses_xp", "vendor", str(dest), "--name", "mylosses"],
                   capture_output=True, text=True, check=True,
                   env={**os.environ, "PYTHONPATH": str(PACKAGE_DIR.parent)})
    (dest / "__init__.py").write_text("")
    return dest


def test_vendored_copy_runs_its_check(tmp_path: Path) -> None:
    _vendor_copy(tmp_path)
    code = _BLOCK + textwrap.dedent("""
        import runpy
        sys.argv = ["mylosses", "check", "--backends", "numpy", "--losses", "mse_loss",
                    "--no-compile", "--jobs", "1"]
        runpy.run_module("thirdparty.mylosses", run_name="__main__")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)}, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "OK: 1 losses agree on 1 backend(s): numpy" in out.stdout


def test_vendor_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "losses_xp").mkdir()
    proc = subprocess.run([sys.executable, "-m", "losses_xp", "vendor", str(tmp_path)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(PACKAGE_DIR.parent)})
    assert proc.returncode != 0
    assert "exists" in proc.stderr


def test_vendor_force_never_deletes_its_own_source(tmp_path: Path) -> None:
    """Re-vendoring a copy from itself with --force is refused before anything is removed."""
    dest = _vendor_copy(tmp_path)

    def listing() -> list[str]:  # (the import may add bytecode caches: not a deletion)
        return sorted(p.name for p in (dest / "mylosses").iterdir() if p.name != "__pycache__")

    before = listing()
    code = _BLOCK + textwrap.dedent(f"""
        import runpy
        sys.argv = ["mylosses", "vendor", {str(dest)!r}, "--name", "mylosses", "--force"]
        runpy.run_module("thirdparty.mylosses", run_name="__main__")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)}, check=False)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "into itself" in out.stderr
    assert listing() == before


def test_vendored_copy_records_versions_and_licenses(tmp_path: Path) -> None:
    dest = _vendor_copy(tmp_path) / "mylosses"
    assert (dest / "LICENSE").read_text().startswith("BSD 3-Clause License")
    record = (dest / "VENDORED.txt").read_text()
    assert f"losses_xp {lx.__version__}" in record
    assert "array-api-compat" in record
    assert "license MIT: text in LICENSE" in record
    assert "NOT FOUND" not in record
    notice = (dest / "_vendor" / "array_api_compat" / "LICENSE").read_text()
    assert notice.startswith("MIT License")
    assert "Consortium for Python Data API Standards" in notice


def test_broken_vendored_compat_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    """An import error inside the bundled array-api-compat must not switch silently to the
    installed one."""
    dest = _vendor_copy(tmp_path)
    init = dest / "mylosses" / "_vendor" / "array_api_compat" / "__init__.py"
    init.write_text("import no_such_module_in_this_environment\n" + init.read_text())
    out = subprocess.run([sys.executable, "-c", "import thirdparty.mylosses"],
                         capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(tmp_path)}, check=False)
    assert out.returncode != 0
    assert "no_such_module_in_this_environment" in out.stderr

