"""The ``>>>`` examples of the framework adapter modules (the ``tests`` session, which
has no framework, leaves them out: ``losses_xp._adapters.FRAMEWORK_MODULES``)."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

from losses_xp._adapters import FRAMEWORK_MODULES


@pytest.mark.parametrize("name", FRAMEWORK_MODULES)
def test_every_example_of_the_module_runs(name: str) -> None:
    """Each ``>>>`` line of the module's docstrings runs and gives its output."""
    module = importlib.import_module(f"losses_xp.{name}")
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder(exclude_empty=True).find(module, module.__name__,
                                                               globs={}):
        runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert failed == 0
    assert attempted == inspect.getsource(module).count(">>> ")
