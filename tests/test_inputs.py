"""``losses_xp._testing.inputs``: the input generators and the rounding to a dtype that
every test of the project uses refuse what is wrong and say so."""

from __future__ import annotations

import numpy as np
import pytest

from losses_xp._testing import inputs


def test_quantize_refuses_an_unknown_dtype() -> None:
    with pytest.raises(ValueError, match="unknown floating dtype 'float8'"):
        inputs.quantize(np.zeros(2), "float8")


def test_ignoring_every_target_keeps_one() -> None:
    target = np.array([[1, 2], [0, 1]])
    out = inputs.with_ignored(np.random.default_rng(0), target, ignore=-100, frac=1.0)
    assert np.count_nonzero(out != -100) == 1
    assert out.reshape(-1)[0] == 0
    assert np.array_equal(target, [[1, 2], [0, 1]])  # the input is left alone
