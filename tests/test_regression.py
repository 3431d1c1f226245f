"""Unit tests of the regression family (NumPy and array-api-strict): values on tiny
examples computed by hand, identities between the losses, dtypes and edge values.

Each expected value is written out from the definition (PyTorch's documented
denominators, ``math.log(math.cosh(e))``), not with the package's own formulas; the
hypothesis tests check identities that hold mathematically (huber = delta * smooth_l1,
rmse = sqrt(mse) ...).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import XP
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import losses_xp as lx


def value(xpb: XP, out: object) -> np.ndarray:
    return xpb.to_numpy(out).astype(np.float64)


def close(got: np.ndarray, expected: object, rtol: float = 1e-12) -> None:
    np.testing.assert_allclose(got, np.asarray(expected, dtype=float), rtol=rtol, atol=1e-15)


def test_mae_is_an_alias_of_l1() -> None:
    assert lx.mae_loss is lx.l1_loss


# --------------------------------------------------------------------------- values


def test_mse_l1_rmse(xpb: XP) -> None:
    p, t = xpb.asarray([1.0, 2.0, 4.0]), xpb.asarray([1.0, 1.0, 1.0])
    close(value(xpb, lx.mse_loss(p, t)), 10 / 3)
    close(value(xpb, lx.mse_loss(p, t, reduction="sum")), 10.0)
    close(value(xpb, lx.mse_loss(p, t, reduction="none")), [0.0, 1.0, 9.0])
    close(value(xpb, lx.l1_loss(p, t)), 4 / 3)
    close(value(xpb, lx.l1_loss(p, t, reduction="none")), [0.0, 1.0, 3.0])
    close(value(xpb, lx.rmse_loss(p, t)), math.sqrt(10 / 3))


def test_regression_weights_divide_by_the_element_count(xpb: XP) -> None:
    """Weighted mean = sum(w * loss) / N, not / sum(w) (documented; unlike scikit-learn)."""
    p, t = xpb.asarray([3.0, 0.0]), xpb.asarray([0.0, 4.0])
    w = [1.0, 0.0]
    close(value(xpb, lx.mse_loss(p, t, weight=w)), 9 / 2)
    close(value(xpb, lx.rmse_loss(p, t, weight=w)), math.sqrt(9 / 2))
    close(value(xpb, lx.l1_loss(p, t, weight=[2.0, 0.5])), (6 + 2) / 2)
    close(value(xpb, lx.rmse_loss(p, t)), math.sqrt(25 / 2))


@pytest.mark.parametrize(("delta", "errors", "expected"), [
    (1.0, [0.5, -3.0, 1.0], [0.125, 2.5, 0.5]),
    (2.0, [1.0, 3.0, -2.0], [0.5, 4.0, 2.0]),  # 2 * (3 - 1)
    (0.5, [0.25, -1.0], [0.03125, 0.375]),  # 0.5 * (1 - 0.25)
])
def test_huber(delta: float, errors: list[float], expected: list[float], xpb: XP) -> None:
    e = xpb.asarray(errors)
    out = lx.huber_loss(e, xpb.asarray(np.zeros(len(errors))), delta=delta, reduction="none")
    close(value(xpb, out), expected)


@pytest.mark.parametrize(("beta", "errors", "expected"), [
    (1.0, [0.5, -3.0], [0.125, 2.5]),
    (2.0, [1.0, 3.0], [0.25, 2.0]),  # 1 / (2 * 2) ; 3 - 1
    (0.0, [0.5, -3.0, 0.0], [0.5, 3.0, 0.0]),  # beta = 0 is exactly L1
])
def test_smooth_l1(beta: float, errors: list[float], expected: list[float], xpb: XP) -> None:
    e = xpb.asarray(errors)
    out = lx.smooth_l1_loss(e, xpb.asarray(np.zeros(len(errors))), beta=beta, reduction="none")
    close(value(xpb, out), expected)


def test_log_cosh(xpb: XP) -> None:
    errors = [0.0, 1.0, -2.5, 30.0]
    out = lx.log_cosh_loss(xpb.asarray(errors), xpb.asarray(np.zeros(4)), reduction="none")
    close(value(xpb, out), [math.log(math.cosh(e)) for e in errors], rtol=1e-14)


def test_regression_is_on_the_error_only(xpb: XP) -> None:
    """prediction - target: shifting both changes nothing, swapping flips the error sign."""
    rng = np.random.default_rng(5)
    p, t = rng.normal(size=7), rng.normal(size=7)
    for fn in (lx.mse_loss, lx.l1_loss, lx.huber_loss, lx.smooth_l1_loss, lx.log_cosh_loss,
               lx.rmse_loss):
        a = value(xpb, fn(xpb.asarray(p), xpb.asarray(t)))
        b = value(xpb, fn(xpb.asarray(p + 0.5), xpb.asarray(t + 0.5)))
        c = value(xpb, fn(xpb.asarray(t), xpb.asarray(p)))
        close(b, a, rtol=1e-13)
        close(c, a, rtol=1e-13)


def test_integer_regression_target(xpb: XP) -> None:
    out = lx.mse_loss(xpb.asarray([0.5, 2.0], "float32"), xpb.asarray([1, 2]))
    close(value(xpb, out), 0.125)


def test_zero_dim_inputs() -> None:
    out = lx.mse_loss(np.asarray(3.0), np.asarray(1.0), reduction="none")
    assert out.shape == ()
    assert float(out) == 4.0


# --------------------------------------------------------------------------- dtypes and edges


@pytest.mark.parametrize(
    ("name", "pred", "kwargs"),
    [
        ("l1_loss", 4.0, {}),
        ("mae_loss", 4.0, {}),
        ("mse_loss", 2.0, {}),
        ("rmse_loss", 4.0, {}),
        ("huber_loss", 4.5, {}),  # 1 * (4.5 - 0.5)
        ("smooth_l1_loss", 4.5, {}),  # 4.5 - 0.5
        ("smooth_l1_loss", 4.0, {"beta": 0.0}),  # exactly L1
        ("l1_loss", 2.0, {"weight": [2.0]}),  # weighted: 2 * |2|
    ],
)
def test_float16_mean_of_70000_fours_is_exactly_four(name: str, pred: float, kwargs: dict) -> None:
    """Accumulated in float32: a float16 accumulator would overflow (70000 * 4 > 65504)."""
    n = 70_000
    out = getattr(lx, name)(np.full(n, pred, np.float16), np.zeros(n, np.float16), **kwargs)
    assert out.dtype == np.float16
    assert float(out) == 4.0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log_cosh_of_a_huge_error_is_finite(dtype: str, xpb: XP) -> None:
    """log cosh(1e4) = 1e4 - log 2 (cosh itself overflows beyond ~710 / ~89)."""
    out = lx.log_cosh_loss(xpb.asarray([1e4, -1e4], dtype), xpb.asarray([0.0, 0.0], dtype),
                           reduction="none")
    np.testing.assert_allclose(xpb.to_numpy(out), 1e4 - math.log(2.0), rtol=1e-7)


def test_log_cosh_float16_huge_error_is_finite() -> None:
    out = lx.log_cosh_loss(np.array([300.0], np.float16), np.array([0.0], np.float16))
    assert out.dtype == np.float16
    assert float(out) == float(np.float16(300.0 - math.log(2.0)))


def test_rmse_of_nan_is_nan() -> None:
    out = lx.rmse_loss(np.array([np.nan, 1.0]), np.array([0.0, 0.0]))
    assert math.isnan(float(out))


# --------------------------------------------------------------------------- properties

finite = st.floats(-30, 30, allow_nan=False, allow_infinity=False, width=64)
SETTINGS = settings(max_examples=40, deadline=None)


@SETTINGS
@given(e=hnp.arrays(np.float64, st.integers(1, 8), elements=finite),
       delta=st.floats(0.01, 10))
def test_huber_is_delta_times_smooth_l1(e: np.ndarray, delta: float) -> None:
    z = np.zeros_like(e)
    np.testing.assert_allclose(lx.huber_loss(e, z, delta=delta, reduction="none"),
                               delta * lx.smooth_l1_loss(e, z, beta=delta, reduction="none"),
                               rtol=1e-12, atol=1e-15)
    # and both are bounded by the quadratic and the linear pieces
    h = lx.huber_loss(e, z, delta=delta, reduction="none")
    assert np.all(h <= 0.5 * e * e + 1e-12)
    assert np.all(h <= delta * np.abs(e) + 1e-12)


@SETTINGS
@given(e=hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-300, 300)))
def test_log_cosh_matches_its_definition(e: np.ndarray) -> None:
    np.testing.assert_allclose(lx.log_cosh_loss(e, np.zeros_like(e), reduction="none"),
                               np.log(np.cosh(e)), rtol=1e-12, atol=1e-15)


@SETTINGS
@given(p=hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-50, 50)),
       t=st.floats(-50, 50))
def test_rmse_is_the_root_of_mse(p: np.ndarray, t: float) -> None:
    target = np.full_like(p, t)
    np.testing.assert_allclose(lx.rmse_loss(p, target) ** 2, lx.mse_loss(p, target), rtol=1e-12,
                               atol=1e-300)
