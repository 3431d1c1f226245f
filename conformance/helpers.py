"""The conformance kit's cell machinery, for the suite's own tests.

The matrix (conversion, oracles, calls, checks) is :mod:`losses_xp.testing`, the public
kit: this module only re-exports the pieces of it that the suite's other tests (pinned
values, properties, fast paths, scale-out) use, and looks the catalogue's specs up by
name.
"""

from __future__ import annotations

from losses_xp._testing.compare import assert_close
from losses_xp._testing.inputs import Case
from losses_xp.testing._cells import (
    Combo,
    atol_scale,
    bind,
    close,
    compiled_call,
    full_dtypes,
    lazy,
    need_autodiff,
    oracle_value,
    to_backend,
)
from losses_xp.testing._spec import case_rng

__all__ = ["Combo", "assert_close", "atol_scale", "bind", "case_rng", "close", "compiled_call",
           "extreme_cases", "full_dtypes", "lazy", "need_autodiff", "oracle_value",
           "to_backend", "value_cases"]


def value_cases(name: str) -> tuple[Case, ...]:
    """The catalogue's value cases of a loss (made once, from a seed of its name)."""
    from .registry import SPECS

    return SPECS[name].value_cases()


def extreme_cases(name: str) -> tuple[Case, ...]:
    """The catalogue's extreme cases of a loss."""
    from .registry import SPECS

    return SPECS[name].extreme_cases()
