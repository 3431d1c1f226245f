"""``_primitives.scan``: a loop over an axis with a carry, as ``jax.lax.scan``, on every
backend (``jax.lax.scan`` on JAX, a Python loop elsewhere)."""

from __future__ import annotations

import importlib
from typing import Any

import array_api_compat
import numpy as np
import pytest

from losses_xp._primitives import scan


def _arrays(name: str) -> Any:
    if name == "jax":
        return importlib.import_module("jax.numpy").asarray
    if name == "torch":
        return importlib.import_module("torch").asarray
    if name == "dask":
        return importlib.import_module("dask.array").asarray
    if name == "array_api_strict":
        return importlib.import_module("array_api_strict").asarray
    return np.asarray


@pytest.mark.parametrize("name", ["numpy", "array_api_strict", "torch", "jax", "dask"])
def test_scan_threads_the_carry_and_stacks_the_outputs(name: str) -> None:
    pytest.importorskip(name)
    asarray = _arrays(name)
    x = asarray(np.arange(12.0).reshape(3, 4))
    xp = array_api_compat.array_namespace(x)
    # a running sum over the rows; each step's output the carry before it, doubled
    carry, ys = scan(xp, lambda c, r: (c + r, c * 2.0), xp.zeros((4,), dtype=x.dtype), x)
    np.testing.assert_array_equal(np.asarray(carry), [12.0, 15.0, 18.0, 21.0])
    np.testing.assert_array_equal(np.asarray(ys), [[0.0] * 4, [0.0, 2.0, 4.0, 6.0],
                                                   [8.0, 12.0, 16.0, 20.0]])
    # a tuple of inputs along axis 1, no output
    t = asarray(np.arange(4.0).reshape(1, 4))
    carry, ys = scan(xp, lambda c, xt: (c + xt[0][0] * xt[1][0], None),
                     xp.zeros((), dtype=x.dtype), (x, t), axis=1)
    assert ys is None
    assert float(np.asarray(carry)) == 0.0 * 0 + 1.0 * 1 + 2.0 * 2 + 3.0 * 3
    # zero steps: the carry as it was
    carry, _ = scan(xp, lambda c, r: (c + r, None), xp.zeros((4,), dtype=x.dtype), x[:0, ...])
    np.testing.assert_array_equal(np.asarray(carry), [0.0] * 4)
