"""Values against the oracle; namespace, device, dtype and shape; reduction consistency.

The checks are the kit's (``losses_xp.testing``: ``values`` and ``reductions``, documented
in ``losses_xp/testing/_checks.py``); this file gives them the catalogue's cells.
"""

from __future__ import annotations

import pytest

from losses_xp.testing._checks import CHECKS
from losses_xp.testing._run import run_cell

from .helpers import Combo


@pytest.mark.matrix(check="values")
def test_value_matches_oracle(combo: Combo) -> None:
    run_cell(CHECKS["values"], combo)


@pytest.mark.matrix(check="reductions")
def test_reductions_are_consistent(combo: Combo) -> None:
    """``sum`` is the sum of ``none``; ``mean`` is its mean for element-wise losses;
    ``sum_and_count`` gives the mean's parts, which add up over shards of a batch."""
    run_cell(CHECKS["reductions"], combo)
