"""Reductions of every loss of ``tests/conftest.py``'s list: ``sum`` and ``mean`` are the
sum and mean of ``none``, and NumPy and array-api-strict agree.

The values of each family's losses on tiny examples are in ``tests/test_<family>.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import LOSSES, XP, Loss, loss_params, valid_inputs


def value(xpb: XP, out: object) -> np.ndarray:
    return xpb.to_numpy(out).astype(np.float64)


def close(got: np.ndarray, expected: object, rtol: float = 1e-12) -> None:
    np.testing.assert_allclose(got, np.asarray(expected, dtype=float), rtol=rtol, atol=1e-15)


@pytest.mark.parametrize("loss", loss_params([x for x in LOSSES if "none" in x.reductions]))
def test_sum_and_mean_agree_with_none(loss: Loss, xpb: XP) -> None:
    p, t = valid_inputs(loss, n=5, c=3, seed=11)
    pred, target = xpb.asarray(p), xpb.asarray(t)
    none = value(xpb, loss.fn(pred, target, reduction="none"))
    close(value(xpb, loss.fn(pred, target, reduction="sum")), none.sum(), rtol=1e-13)
    close(value(xpb, loss.fn(pred, target)), none.mean(), rtol=1e-13)


@pytest.mark.parametrize("loss", loss_params(LOSSES))
def test_numpy_and_strict_agree(loss: Loss) -> None:
    import array_api_strict as xs

    p, t = valid_inputs(loss, n=6, c=4, seed=2)
    for dtype in ("float32", "float64"):
        a = loss.fn(p.astype(dtype), t)
        b = loss.fn(xs.asarray(p.astype(dtype)), xs.asarray(t))
        assert b.dtype == getattr(xs, dtype)
        np.testing.assert_allclose(np.asarray(b), a, rtol=1e-6 if dtype == "float32" else 1e-14)
