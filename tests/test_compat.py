"""The corners of ``losses_xp._compat``, the one module that imports array-api-compat.

``_compat`` decides whether values may be read eagerly (the value checks) and how a
device is named in errors; the branches for JAX's deleted buffers, PyTorch's functorch
transforms and CuPy/JAX device names are reached here directly (the PyTorch and JAX
ones only where those libraries are installed, as in the nox ``coverage`` session).
"""

from __future__ import annotations

import importlib.util
import math
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp import _compat


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


def test_a_concrete_jax_array_is_unreadable_inside_a_transformation() -> None:
    """A concrete JAX array captured by a traced function counts as unreadable (its
    operations are staged), so an invalid captured target gives NaN under ``jax.jit``
    instead of a concretization error; outside a transformation it is checked eagerly."""
    jax = pytest.importorskip("jax", reason="jax not installed")
    jnp = jax.numpy

    captured = jnp.asarray([0.0, 2.0])  # a target outside [0, 1]
    seen: list[bool] = []

    def loss(x: Any) -> Any:
        seen.append(_compat.values_readable(captured))
        return lx.binary_cross_entropy_with_logits(x, captured)

    x = jnp.zeros(2)
    with lx.value_checks("all"):  # (a target's range is checked at "all" only)
        assert math.isnan(float(jax.jit(loss)(x)))
        assert math.isnan(float(jax.vmap(loss)(x[None])[0]))
        jax.grad(loss)(x)  # (traces: the gradient of a NaN loss is not specified)
        assert seen == [False, False, False]
        assert _compat.values_readable(captured)
        with pytest.raises(ValueError, match=r"`target` must lie in \[0, 1\]"):
            loss(x)


def test_namespace_tests_agree_with_array_api_compat() -> None:
    """``_compat.is_numpy`` ... read the names that array-api-compat's ``is_*_namespace``
    read (without their ``lru_cache``, which Dynamo warns about under torch.compile):
    they agree on every namespace installed here, plain and wrapped."""
    import importlib

    import array_api_compat as aac

    pairs = [(_compat.is_numpy, aac.is_numpy_namespace), (_compat.is_torch,
             aac.is_torch_namespace), (_compat.is_jax, aac.is_jax_namespace),
             (_compat.is_dask, aac.is_dask_namespace), (_compat.is_cupy,
             aac.is_cupy_namespace), (_compat.is_strict, aac.is_array_api_strict_namespace)]
    spaces = [np]
    for name in ("array_api_compat.numpy", "array_api_strict", "torch", "jax.numpy",
                 "dask.array"):
        try:
            spaces.append(importlib.import_module(name))
        except ImportError:
            continue
    for name in ("torch", "dask.array"):
        try:
            spaces.append(importlib.import_module(f"array_api_compat.{name}"))
        except ImportError:
            continue
    assert len(spaces) >= 3  # numpy, its wrapper and array-api-strict (the tests session)
    for xp in spaces:
        for ours, theirs in pairs:
            assert ours(xp) == theirs(xp), (xp.__name__, ours.__doc__)
    assert _compat.is_torch_array(np.zeros(1)) is False
