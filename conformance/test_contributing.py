"""docs/contributing.md's worked example adds a loss, followed to the letter.

The page's three Python blocks are the example's function with its declaration (for
``losses_xp/regression.py``), its oracle and its spec entry (for
``conformance/specs_regression.py``).  While the package does not have the example loss,
a fresh interpreter adds the blocks where the page says, then runs the conformance suite
on NumPy for that loss alone: every test the recipe promises must pass there, so a
recipe that stops working (a renamed helper, a new required field) fails here.  Once the
loss is part of the package, the page must show its code as the package has it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import losses_xp as lx

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "contributing.md"
NAME = "pseudo_huber_loss"

# the subprocess: the page's blocks put where the page says, then pytest on that loss
_SCRIPT = """
import sys
import losses_xp as lx
from losses_xp import regression

function, oracle, entry = sys.argv[1:4]
exec(compile(function, "docs/contributing.md", "exec"), regression.__dict__)
regression.__all__.append({name!r})
lx.__all__.append({name!r})
setattr(lx, {name!r}, regression.{name})

from conformance import registry, specs_regression

exec(compile(oracle, "docs/contributing.md", "exec"), specs_regression.__dict__)
spec = eval(compile(entry.strip().rstrip(","), "docs/contributing.md", "eval"),
            specs_regression.__dict__)
specs_regression.SPECS.append(spec)
registry.SPECS[spec.name] = spec

import doctest

# the function's docstring examples (the docs session leaves this page to this test)
runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
for test in doctest.DocTestFinder().find(regression.{name}, "{name}", globs={{}}):
    runner.run(test)
if runner.summarize(verbose=False).failed or not runner.tries:
    sys.exit("the docstring examples of {name} failed (or there are none)")

import pytest

sys.exit(pytest.main(["conformance", "--backend=numpy", "-q", "-p", "no:cacheprovider",
                      "--ignore=conformance/test_contributing.py", "-k",
                      "{name} and not readme_support_matrix"]))
"""


def _blocks() -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    example = text[text.index("## Worked example"):]
    return [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", example, re.S)]


@pytest.mark.backend_independent
def test_the_page_has_the_three_blocks() -> None:
    function, oracle, entry = _blocks()
    assert f"def {NAME}(" in function
    assert function.lstrip().startswith("@declare(")
    assert oracle.lstrip().startswith("def _")
    assert entry.lstrip().startswith(f'spec("{NAME}"')


@pytest.mark.backend_independent  # (its subprocess runs the suite with --backend=numpy)
def test_the_worked_example_passes_the_conformance_suite() -> None:
    function, oracle, entry = _blocks()
    if hasattr(lx, NAME):  # it has landed: the page shows the package's code
        regression = (ROOT / "losses_xp" / "regression.py").read_text(encoding="utf-8")
        specs = (ROOT / "conformance" / "specs_regression.py").read_text(encoding="utf-8")
        assert function.strip() in regression, "the page's function is not regression.py's"
        assert oracle.strip() in specs
        assert textwrap.indent(entry.strip(), "    ") in specs
        return
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(name=NAME), function, oracle, entry],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0, tail
    passed = re.search(r"(\d+) passed", proc.stdout)
    assert passed is not None, tail
    assert int(passed.group(1)) >= 100, tail
    assert " failed" not in proc.stdout, tail
