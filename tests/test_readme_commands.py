"""Every shell command of the README, the getting-started page and testing.md works for a
newcomer: each is checked against what it names (the package's extras and commands, the
noxfile's sessions, files of the repository) or is shell plumbing; one this test does not
know fails it (add a rule here).  ``.ci/run`` runs the test command itself, end to end,
in a clean login shell."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path
from types import ModuleType

import pytest

from losses_xp.__main__ import build_parser

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("README.md", "docs/getting_started.md", "docs/testing.md")
#: packages a page may tell you to install besides this one (from a clone: `.`)
EXTERNAL = {"torch", "nox", "uv", "cupy-cuda12x", "cupy-cuda13x"}


def commands() -> list[tuple[str, str]]:
    out = []
    for page in PAGES:
        text = (ROOT / page).read_text(encoding="utf-8")
        for block in re.findall(r"```(?:bash|sh|shell|console)\n(.*?)```", text, re.S):
            for line in block.splitlines():
                line = re.split(r"\s+#\s", " " + line)[0].strip()  # (a trailing comment)
                for cmd in filter(None, (c.strip() for c in line.split("&&"))):
                    out.append((page, cmd))
    return out


COMMANDS = commands()


def test_the_pages_have_commands() -> None:
    pages = {p for p, _ in COMMANDS}
    assert pages == set(PAGES), f"no ```bash block found in {set(PAGES) - pages}"


def _extras() -> set[str]:
    import tomllib  # (3.11+: the caller skips on 3.10)

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(meta["project"]["optional-dependencies"])


def _check_pip(args: list[str]) -> None:
    assert args[:1] == ["install"], f"pip {args}: only `pip install` is documented"
    rest = args[1:]
    while rest:
        arg = rest.pop(0)
        if arg in ("-c", "--constraint"):
            assert (ROOT / rest.pop(0)).is_file(), "the constraints file must exist"
        elif arg in ("--index-url", "--extra-index-url"):
            assert rest.pop(0).startswith("https://")
        elif arg.startswith("-"):
            raise AssertionError(f"pip option {arg} has no rule here")
        elif arg == "." or arg.startswith(".["):
            extras = set(re.findall(r"\[(.*)\]", arg)[0].split(",")) if "[" in arg else set()
            assert extras <= _extras(), f"unknown extra(s) {extras - _extras()}"
        else:
            # `pip install losses_xp` fails: the package is not on PyPI (install `.`)
            assert arg in EXTERNAL, f"`pip install {arg}`: not this package from a clone"


def _check_nox(args: list[str]) -> None:
    import nox.registry

    names = set(nox.registry.get())
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            break
        if arg in ("-s", "--session", "--sessions"):
            name = rest.pop(0)
            assert any(n == name or n.startswith(name + "(") or n.startswith(name + "-")
                       for n in names), f"no nox session {name!r}"
        elif arg in ("-t", "--tags"):
            tag = rest.pop(0)
            assert any(tag in getattr(f, "tags", []) for f in _session_funcs()), (
                f"no nox session has the tag {tag!r}")
        elif arg not in ("-l", "--list", "-R"):
            raise AssertionError(f"nox option {arg} has no rule here")


def _session_funcs() -> list[object]:
    import nox.registry

    return list(nox.registry.get().values())


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib and the pinned nox: 3.11+")
@pytest.mark.parametrize(("page", "cmd"), COMMANDS, ids=[f"{p}:{c}" for p, c in COMMANDS])
def test_documented_command(page: str, cmd: str, noxfile: ModuleType) -> None:
    """(``noxfile``: imported, so that its sessions are registered.)"""
    words = shlex.split(cmd)
    head, args = words[0], words[1:]
    if head in (".", "source"):
        assert args == [".venv/bin/activate"], cmd
    elif head == "python3" and args[:2] == ["-m", "venv"]:
        assert len(args) == 3
    elif head == "pip":
        _check_pip(args)
    elif head == "nox":
        _check_nox(args)
    elif head == "python" and args[:2] == ["-m", "losses_xp"]:
        build_parser().parse_args(args[2:])  # a known command with valid options
    else:
        raise AssertionError(f"{page}: `{cmd}`: no rule for {head!r} in this test")
