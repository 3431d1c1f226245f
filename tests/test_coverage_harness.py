"""The guards of the case catalogue and the corners of ``losses_xp._compat``.

The catalogue (``losses_xp._testing.cases``) feeds the conformance suite and ``check``;
its guards refuse a wrong catalogue (duplicate case names, an unknown argument kind, an
unknown dtype) and must say what is wrong, which no correct catalogue exercises.
``_compat`` decides whether values may be read eagerly (the value checks) and how a
device is named in errors; the branches for JAX's deleted buffers, PyTorch's functorch
transforms and CuPy/JAX device names are reached here directly (the PyTorch and JAX
ones only where those libraries are installed, as in the nox ``coverage`` session).
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from losses_xp import _compat
from losses_xp._testing import cases
from losses_xp._testing.cases import CATALOG, ArgKinds, Case


def test_a_case_may_restrict_the_reductions() -> None:
    entry = CATALOG["mse_loss"]
    case = Case("only-sum", (np.zeros(3), np.zeros(3)), reductions=("sum", "max"))
    assert entry.reductions_for(case) == ("sum",)  # only the loss's own, in its order
    assert entry.reductions_for(replace(case, reductions=None)) == entry.reductions


def test_duplicate_case_names_are_refused() -> None:
    two = [Case("2d", (np.zeros(2),)), Case("2d", (np.ones(2),)), Case("0d", (np.zeros(()),))]
    with pytest.raises(AssertionError, match=r"duplicate case names: \['2d'\]"):
        cases._checked(two)


def test_argument_kinds_name_what_is_unknown() -> None:
    kinds = ArgKinds("pixels", target="labels", class_axis="last", growth="cubic",
                     unit="row", options={"alpha": "probability-ish", "mode": ("a", "b")})
    assert kinds.problems() == [
        "unknown prediction kind 'pixels'",
        "unknown target kind 'labels'",
        "unknown class_axis 'last'",
        "option 'alpha': unknown kind 'probability-ish'",
        "unknown growth 'cubic'",
        "unknown unit 'row'",
    ]
    assert all(not e.kinds.problems() for e in CATALOG.values() if e.kinds is not None)


def test_quantize_refuses_an_unknown_dtype() -> None:
    with pytest.raises(ValueError, match="unknown floating dtype 'float8'"):
        cases.quantize(np.zeros(2), "float8")


def test_ignoring_every_target_keeps_one() -> None:
    target = np.array([[1, 2], [0, 1]])
    out = cases._with_ignored(np.random.default_rng(0), target, ignore=-100, frac=1.0)
    assert np.count_nonzero(out != -100) == 1
    assert out.reshape(-1)[0] == 0
    assert np.array_equal(target, [[1, 2], [0, 1]])  # the input is left alone


# --------------------------------------------------------------------------- _compat


class _Device:
    """A device as JAX describes one: a platform and an integer id."""

    platform = "gpu"
    id = 1


class _CupyDevice:
    id = 2


_CupyDevice.__module__ = "cupy.cuda.device"


def test_device_names_in_messages() -> None:
    assert _compat.device_name(_Device()) == "gpu:1"  # JAX
    assert _compat.device_name(_CupyDevice()) == "cuda:2"  # CuPy: `cuda:id`, as PyTorch
    assert _compat.device_name("cpu") == "cpu"


def test_an_unknown_device_is_none() -> None:
    class NoDevice:
        @property
        def device(self) -> Any:
            raise RuntimeError("a tracer has no device")

    assert _compat._device_or_none(NoDevice()) is None


def test_values_are_unreadable_under_torch_func_transforms() -> None:
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch not installed (the nox `coverage` session has it)")
    import torch

    seen: list[bool] = []

    def f(x: Any) -> Any:
        seen.append(_compat.values_readable(x))
        return (x * x).sum()

    x = torch.ones(3)
    torch.func.grad(f)(x)
    f(x)
    assert seen == [False, True]  # a functorch-wrapped tensor, then the plain one


def test_a_deleted_jax_array_is_unreadable() -> None:
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax not installed (the nox `coverage` session has it)")
    import jax.numpy as jnp

    x = jnp.ones(3)
    assert _compat.values_readable(x)
    x.delete()
    assert not _compat.values_readable(x)
