"""The noxfile finds what a newcomer's machine has: pyenv's interpreters (whose shims
answer only for the selected version) and the package sources pip is configured with,
handed to uv (which reads no pip configuration).  ``.ci/run`` runs ``nox`` with none of
them set: these are the units of that end-to-end check."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_pip_settings_environment_over_install_over_global(noxfile: ModuleType) -> None:
    listing = "\n".join([
        "global.find-links='/opt/wheels'",
        "global.extra-index-url='file:///a/simple file:///b/simple'",
        "global.index-url='https://global.example/simple'",
        "install.index-url='https://install.example/simple'",
        ":env:.index-url='https://env.example/simple'",
        "global.constraint='/etc/xdg/pip/constraints.txt'",
        "user.timeout='60'",  # (a section pip does not have)
        "not a setting",
    ])
    assert noxfile.pip_settings(listing) == {
        "find-links": "/opt/wheels",
        "extra-index-url": "file:///a/simple file:///b/simple",
        "index-url": "https://env.example/simple",
        "constraint": "/etc/xdg/pip/constraints.txt",
    }


def test_uv_sources_fill_only_what_is_unset(noxfile: ModuleType,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(noxfile, "pip_settings", lambda _: {
        "find-links": "/opt/wheels /srv/wheels", "extra-index-url": "file:///a file:///b",
        "cert": "/etc/ca.pem"})
    for var in ("UV_FIND_LINKS", "UV_EXTRA_INDEX_URL", "SSL_CERT_FILE", "UV_PYTHON_DOWNLOADS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("UV_INDEX_STRATEGY", "first-index")  # the user's choice stays
    added = noxfile.uv_sources_from_pip()
    assert added == {"UV_FIND_LINKS": "/opt/wheels,/srv/wheels",
                     "UV_EXTRA_INDEX_URL": "file:///a file:///b", "SSL_CERT_FILE": "/etc/ca.pem",
                     "UV_PYTHON_DOWNLOADS": "never"}
    assert os.environ["UV_INDEX_STRATEGY"] == "first-index"


def _fake_python(folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / name
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)


def test_pyenv_versions_replace_failing_shims(noxfile: ModuleType, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A shim on PATH does not count; the newest numeric patch release is chosen; a real
    interpreter already on PATH is kept; a version pyenv lacks is left for nox."""
    root = tmp_path / "pyenv"
    for version in ("3.10.2", "3.10.13", "3.10.14t", "3.12.1"):
        minor = ".".join(version.split(".")[:2])
        _fake_python(root / "versions" / version / "bin", f"python{minor}")
    _fake_python(root / "shims", "python3.10")
    _fake_python(tmp_path / "usr" / "bin", "python3.12")
    monkeypatch.setenv("PYENV_ROOT", str(root))
    monkeypatch.setenv("PATH", os.pathsep.join([str(root / "shims"),
                                                str(tmp_path / "usr" / "bin")]))
    added = noxfile.find_pyenv_interpreters(["3.10", "3.12", "3.13"])
    assert added == [str(root / "versions" / "3.10.13" / "bin")]
    assert os.environ["PATH"].split(os.pathsep)[0] == added[0]


def test_no_pyenv_no_change(noxfile: ModuleType, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "absent"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert noxfile.find_pyenv_interpreters() == []
    assert os.environ["PATH"] == str(tmp_path)


@pytest.mark.parametrize("name", ["ci.txt", "minimums.txt"])
def test_pins_resolve_where_only_pypi_is_reachable(name: str) -> None:
    """A local version label (``torch==2.13.0+cpu``) exists on no index but PyTorch's own
    and a wheel folder: a pin with one fails on a machine that reaches only PyPI."""
    import re

    text = (ROOT / "constraints" / name).read_text(encoding="utf-8")
    pins = re.findall(r"^([A-Za-z0-9_.\[\]-]+)\s*==\s*([^\s;#]+)", text, re.MULTILINE)
    assert len(pins) > 10
    labelled = [f"{p}=={v}" for p, v in pins if "+" in v]
    assert not labelled, f"local version labels in constraints/{name}: {labelled}"
