"""Every line that coverage leaves out must say why.

The nox ``coverage`` session fails below 95% of the lines of losses_xp; a line may be left
out of the count only with ``# pragma: no cover - <reason>``.  pyproject.toml's
``[tool.coverage.report] exclude_lines`` replaces coverage's default pattern (which
accepts a bare ``# pragma: no cover``), so a bare pragma excludes nothing there; these
tests check that configuration, and that no bare pragma is written in the first place
(it would read as an exclusion to a person even though coverage ignores it).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest depends on tomli on Python 3.10
    import tomli as tomllib

# the checkout (or sdist) these tests belong to, not the copy that is imported: the nox
# `tests` sessions import an installed one, which has no pyproject.toml beside it
ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "losses_xp"
PYPROJECT = ROOT / "pyproject.toml"
# any spelling coverage's default pattern accepts: "pragma: no cover", "pragma nocover" ...
ANY_PRAGMA = re.compile(r"#\s*(pragma|PRAGMA)[:\s]?\s*(no|NO)\s*(cover|COVER|branch|BRANCH)")
WITH_REASON = re.compile(r"#\s*pragma: no (cover|branch) - \S.{2,}")


def _coverage_config() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    return config["tool"]["coverage"]


def test_every_pragma_in_the_package_gives_a_reason() -> None:
    bare = []
    pragmas = 0
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ANY_PRAGMA.search(line):
                pragmas += 1
                if not WITH_REASON.search(line):
                    bare.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert not bare, ("write `# pragma: no cover - <why this line is not run by the tests>`:\n"
                      + "\n".join(bare))
    assert pragmas > 0  # the scan itself found the package's pragmas (and the package)


@pytest.mark.parametrize(("line", "excluded"), [
    ("    else:  # pragma: no cover - needs a CUDA device", True),
    ("except ImportError:  # pragma: no cover - private API moved", True),
    ("    else:  # pragma: no cover", False),
    ("    else:  # pragma: no cover -", False),
    ("    else:  # pragma: nocover", False),
    ("    else:  # no cover", False),
])
def test_only_a_pragma_with_a_reason_excludes_a_line(line: str, excluded: bool) -> None:
    patterns = _coverage_config()["report"]["exclude_lines"]
    assert any(re.search(p, line) for p in patterns) == excluded


def test_coverage_measures_the_package_with_branches_and_subprocesses() -> None:
    run = _coverage_config()["run"]
    assert run["source_pkgs"] == ["losses_xp"]
    assert run["branch"] is True
    assert "subprocess" in run["patch"]  # the CLI tests run `python -m losses_xp`
    assert "exclude_also" not in _coverage_config()["report"]  # that keeps the bare default
