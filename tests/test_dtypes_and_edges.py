"""Dtype rules and the published edge values of issue 2.

Expected values are hand-computed (with ``math`` on the tiny example) or published in the
issue; none is computed with the losses' own formulas.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from conftest import ELEMENTWISE, LOSSES, XP, Loss, loss_params, valid_inputs

import losses_xp as lx

ALL = loss_params(LOSSES)


# --------------------------------------------------------------------------- dtype rules


def _int_target(loss: Loss, t: np.ndarray) -> np.ndarray:
    """``t`` as an int64 target: class indices stay, soft/regression targets round to 0/1."""
    if loss.multiclass:
        return t.astype(np.int64)
    return (t > 0.5).astype(np.int64)


@pytest.mark.parametrize("loss", ALL)
@pytest.mark.parametrize("with_options", [False, True], ids=["plain", "options"])
def test_float32_with_int64_target_stays_float32(loss: Loss, with_options: bool, xpb: XP) -> None:
    """Never float64: not from int64 targets, not from Python-float options or scalars."""
    p, t = valid_inputs(loss, n=4, c=3)
    kwargs: dict[str, object] = {}
    if with_options:
        if loss.name != "categorical_cross_entropy":  # every other loss has a weight
            kwargs["weight"] = [0.5, 1.5, 1.0]
        if loss.name == "binary_cross_entropy_with_logits":
            kwargs["pos_weight"] = [2.0, 1.0, 0.5]
        if loss.name in ("cross_entropy", "categorical_cross_entropy"):
            kwargs["label_smoothing"] = 0.1
        if loss.name == "huber_loss":
            kwargs["delta"] = 0.5
        if loss.name == "smooth_l1_loss":
            kwargs["beta"] = 0.5
    pred = xpb.asarray(p, "float32")
    target = xpb.asarray(_int_target(loss, t))
    assert target.dtype == xpb.dtype("int64")
    for reduction in loss.reductions:
        out = loss.fn(pred, target, reduction=reduction, **kwargs)
        assert out.dtype == xpb.dtype("float32"), (reduction, out.dtype)


@pytest.mark.parametrize("loss", loss_params([x for x in ELEMENTWISE if x.kind == "regression"]))
def test_bool_target_is_accepted_for_regression(loss: Loss) -> None:
    out = loss.fn(np.array([0.25, 1.0], np.float32), np.array([False, True]))
    assert out.dtype == np.float32
    assert np.isfinite(out)


@pytest.mark.parametrize("loss", ALL)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_floating_dtype_in_is_dtype_out(loss: Loss, dtype: str) -> None:
    p, t = valid_inputs(loss, n=4, c=3)
    target = t if loss.multiclass else t.astype(dtype)
    for reduction in loss.reductions:
        out = loss.fn(p.astype(dtype), target, reduction=reduction)
        assert out.dtype == np.dtype(dtype), (reduction, out.dtype)


@pytest.mark.parametrize("loss", ALL)
def test_float16_result_is_close_to_float64(loss: Loss) -> None:
    """Half precision is computed in float32: the float16 result is the float64 one rounded."""
    p, t = valid_inputs(loss, n=4, c=3)
    p16 = p.astype(np.float16)
    t16 = t if loss.multiclass else t.astype(np.float16)
    got = loss.fn(p16, t16, reduction="none" if loss.name != "rmse_loss" else "mean")
    t64 = t16 if loss.multiclass else t16.astype(np.float64)
    ref = loss.fn(p16.astype(np.float64), t64,
                  reduction="none" if loss.name != "rmse_loss" else "mean")
    np.testing.assert_allclose(got.astype(np.float64), ref, rtol=2e-3, atol=2e-3)


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


def test_float16_cross_entropy_mean_over_70000_rows() -> None:
    n = 70_000
    # two classes with logits (0, 0): every row costs log 2
    out = lx.cross_entropy(np.zeros((n, 2), np.float16), np.zeros(n, np.int64))
    assert out.dtype == np.float16
    assert float(out) == float(np.float16(math.log(2.0)))


# --------------------------------------------------------------------------- published edges


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_with_logits_large_logit_is_exact(dtype: str, xpb: XP) -> None:
    """x = 1e4, y = 0.3: (1 - y) * x + softplus(-x) = 7000 exactly (published in the issue)."""
    out = lx.binary_cross_entropy_with_logits(xpb.asarray([1e4], dtype),
                                              xpb.asarray([0.3], dtype))
    assert out.dtype == xpb.dtype(dtype)
    assert float(xpb.to_numpy(out)) == 7000.0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_with_logits_negative_tail_is_not_zero(dtype: str, xpb: XP) -> None:
    """x = -20, y = 0: log(1 + e^-20) = 2.0611536e-9, not 0 (published in the issue)."""
    expected = 2.061153620314381e-09  # math.log1p(math.exp(-20))
    assert math.isclose(math.log1p(math.exp(-20.0)), expected, rel_tol=1e-15)
    out = lx.binary_cross_entropy_with_logits(xpb.asarray([-20.0], dtype),
                                              xpb.asarray([0.0], dtype))
    got = float(xpb.to_numpy(out))
    assert math.isclose(got, expected, rel_tol=1e-6 if dtype == "float32" else 1e-14)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_bce_with_logits_extreme_logits_are_finite(dtype: str) -> None:
    big = 1e2 if dtype == "float16" else 1e4
    x = np.array([big, -big, big, -big], dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0], dtype)
    out = lx.binary_cross_entropy_with_logits(x, y, reduction="none")
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.astype(float), [big, big, 0.0, 0.0], rtol=1e-3, atol=1e-30)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_bce_on_probabilities_is_finite_at_zero_and_one(dtype: str) -> None:
    p = np.array([0.0, 1.0, 0.0, 1.0], dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero in log
        out = lx.binary_cross_entropy(p, y, reduction="none")
    assert out.dtype == np.dtype(dtype)
    out64 = out.astype(np.float64)
    assert np.all(np.isfinite(out64))
    # the wrong-side entries are large (clamped at the dtype's epsilon), the right ones ~0
    eps = float(np.finfo(dtype).eps)
    np.testing.assert_allclose(out64[:2], -math.log(eps), rtol=1e-2)
    assert np.all(out64[2:] <= 2 * eps)
    assert np.isfinite(lx.binary_cross_entropy(p, y))


def test_bce_on_probabilities_is_finite_in_strict(xpb: XP) -> None:
    out = lx.binary_cross_entropy(xpb.asarray([0.0, 1.0], "float32"),
                                  xpb.asarray([1.0, 0.0], "float32"), reduction="none")
    assert np.all(np.isfinite(xpb.to_numpy(out)))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_categorical_from_probabilities_is_finite_at_zero(dtype: str) -> None:
    p = np.array([[1.0, 0.0, 0.0]], dtype)
    out = lx.categorical_cross_entropy(p, np.array([1]))
    assert out.dtype == np.dtype(dtype)
    assert np.isfinite(out.astype(float))
    assert float(out) > 5.0


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


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_cross_entropy_extreme_logits_are_finite(dtype: str) -> None:
    big = 1e2 if dtype == "float16" else 1e4
    x = np.array([[big, -big, 0.0], [big, -big, 0.0]], dtype)
    out = lx.cross_entropy(x, np.array([0, 1]), reduction="none")
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.astype(float), [0.0, 2 * big], atol=1e-30, rtol=1e-3)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # see test_all_ignored_mean_warns_not
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("weighted", [False, True])
def test_all_ignored_mean_is_nan(name: str, weighted: bool, xpb: XP) -> None:
    """As PyTorch: 0 / 0 = NaN; the sum is 0 and ``none`` is all zeros."""
    fn = getattr(lx, name)
    x = xpb.asarray(np.log(np.full((3, 4), 0.25)))
    y = xpb.asarray(np.full(3, -100))
    kw = {"weight": [1.0, 2.0, 3.0, 4.0]} if weighted else {}
    assert math.isnan(float(xpb.to_numpy(fn(x, y, **kw))))
    assert float(xpb.to_numpy(fn(x, y, reduction="sum", **kw))) == 0.0
    assert np.array_equal(xpb.to_numpy(fn(x, y, reduction="none", **kw)), np.zeros(3))


def test_all_ignored_mean_warns_not() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = lx.cross_entropy(np.zeros((2, 3)), np.array([-100, -100]))
    assert math.isnan(float(out))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_neg_inf_logit_with_zero_probability_contributes_zero(dtype: str, xpb: XP) -> None:
    x = xpb.asarray([[0.0, -np.inf, math.log(3.0)]], dtype)
    t = xpb.asarray([[0.5, 0.0, 0.5]], dtype)
    out = float(xpb.to_numpy(lx.cross_entropy(x, t)))
    # softmax over the finite logits (1, 3)/4: -(0.5 log(1/4) + 0.5 log(3/4))
    expected = -(0.5 * math.log(0.25) + 0.5 * math.log(0.75))
    assert math.isclose(out, expected, rel_tol=1e-6)
    # and with a class-index target on a finite class
    out_idx = float(xpb.to_numpy(lx.cross_entropy(x, xpb.asarray([2]))))
    assert math.isclose(out_idx, -math.log(0.75), rel_tol=1e-6)


def test_neg_inf_logit_on_the_target_class_is_inf() -> None:
    out = lx.cross_entropy(np.array([[0.0, -np.inf]]), np.array([1]))
    assert out == np.inf


def _empty(loss: Loss) -> tuple[np.ndarray, np.ndarray]:
    if loss.multiclass:
        return np.zeros((0, 3)), np.zeros(0, np.int64)
    return np.zeros((0, 3)), np.zeros((0, 3))


_EMPTY_MEAN = [
    pytest.param(loss, id=loss.name)
    for loss in LOSSES
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy: "Mean of empty slice"
@pytest.mark.parametrize("loss", _EMPTY_MEAN)
def test_empty_batch_mean_is_nan(loss: Loss, xpb: XP) -> None:
    p, t = _empty(loss)
    out = loss.fn(xpb.asarray(p, "float32"), xpb.asarray(t))
    assert out.dtype == xpb.dtype("float32")
    assert math.isnan(float(xpb.to_numpy(out)))


@pytest.mark.parametrize("loss", loss_params([x for x in LOSSES if x.name != "rmse_loss"]))
def test_empty_batch_sum_is_zero_and_none_is_empty(loss: Loss, xpb: XP) -> None:
    p, t = _empty(loss)
    pred, target = xpb.asarray(p, "float32"), xpb.asarray(t)
    out = loss.fn(pred, target, reduction="sum")
    assert out.dtype == xpb.dtype("float32")
    assert float(xpb.to_numpy(out)) == 0.0
    none = loss.fn(pred, target, reduction="none")
    assert tuple(none.shape) == ((0, 3) if loss.elementwise else (0,))


def test_rmse_of_nan_is_nan() -> None:
    out = lx.rmse_loss(np.array([np.nan, 1.0]), np.array([0.0, 0.0]))
    assert math.isnan(float(out))


# NaN probabilities are rejected eagerly instead (test_nan_probability_is_rejected)
@pytest.mark.parametrize("loss", loss_params(
    [x for x in LOSSES if x.name != "rmse_loss" and x.kind not in ("probs", "categorical")]))
def test_nan_prediction_propagates(loss: Loss) -> None:
    """A NaN in a loss's input is never hidden behind a plausible number."""
    p, t = valid_inputs(loss, n=3, c=3)
    p = p.copy()
    p[1, int(t[1]) if loss.multiclass else 1] = np.nan  # on the target class for nll_loss
    assert math.isnan(float(loss.fn(p, t)))


def test_zero_dim_inputs_for_elementwise_losses() -> None:
    out = lx.mse_loss(np.asarray(3.0), np.asarray(1.0), reduction="none")
    assert out.shape == ()
    assert float(out) == 4.0
    out = lx.binary_cross_entropy_with_logits(np.asarray(0.0), np.asarray(1.0))
    assert math.isclose(float(out), math.log(2.0), rel_tol=1e-15)


def test_zero_dim_logits_have_no_class_axis() -> None:
    with pytest.raises(ValueError, match=r"at least 1 dimension"):
        lx.cross_entropy(np.asarray(0.0), np.asarray(0))


def test_one_dim_logits_with_zero_dim_target() -> None:
    """A single sample without a batch axis: logits (C,), target () as in PyTorch."""
    out = lx.cross_entropy(np.log(np.array([0.25, 0.25, 0.5])), np.asarray(2), reduction="none")
    assert out.shape == ()
    assert math.isclose(float(out), math.log(2.0), rel_tol=1e-12)


@pytest.mark.parametrize("loss", ALL)
def test_no_silent_float64_on_a_device_without_float64(loss: Loss) -> None:
    """array-api-strict's ``no_float64`` device refuses float64 arrays: any float64
    intermediate (``asarray(python_float)``, a float64 option array) raises there."""
    import array_api_strict as xs

    dev = xs.Device("no_float64")
    p, t = valid_inputs(loss, n=4, c=3)
    pred = xs.asarray(p.astype(np.float32), device=dev)
    target = xs.asarray(t if loss.multiclass else t.astype(np.float32), device=dev)
    kwargs: dict[str, object] = {}
    if loss.name != "categorical_cross_entropy":
        kwargs["weight"] = [0.5, 1.5, 1.0]
    if loss.name == "binary_cross_entropy_with_logits":
        kwargs["pos_weight"] = [2.0, 1.0, 0.5]
    if loss.name in ("cross_entropy", "categorical_cross_entropy"):
        kwargs["label_smoothing"] = 0.1
    for reduction in loss.reductions:
        out = loss.fn(pred, target, reduction=reduction, **kwargs)
        assert out.dtype == xs.float32
        assert out.device == dev


def test_number_options_accept_numpy_scalars() -> None:
    """A NumPy scalar option (``np.float32(0.5)`` read from a config or an array) is a
    number like a Python one, converted to a Python float: it stays static and never
    promotes a float32 loss to float64; a bool (NumPy's too) is still refused."""
    p = np.array([0.3, -2.0], dtype=np.float32)
    t = np.zeros(2, dtype=np.float32)
    for scalar in (np.float32, np.float64, np.int64):
        got = lx.huber_loss(p, t, delta=scalar(2), reduction="none")
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, lx.huber_loss(p, t, delta=2.0, reduction="none"))
    logits, y = np.array([[2.0, 0.5, -1.0]]), np.array([[1, 0, 0]])
    assert lx.sigmoid_focal_loss(logits, y, alpha=np.float32(0.25), gamma=np.float64(2.0)) \
        == lx.sigmoid_focal_loss(logits, y, alpha=0.25, gamma=2.0)
    assert lx.cross_entropy(logits, np.array([0]), label_smoothing=np.float64(0.1)) \
        == lx.cross_entropy(logits, np.array([0]), label_smoothing=0.1)
    for bad in (True, np.bool_(True)):
        with pytest.raises(TypeError, match=r"^`delta` must be a Python int or float; got bool$"):
            lx.huber_loss(p, t, delta=bad)
    with pytest.raises(TypeError, match=r"got ndarray$"):
        lx.huber_loss(p, t, delta=np.array(0.5))


def test_a_concrete_jax_array_is_unreadable_inside_a_transformation() -> None:
    """A concrete JAX array captured by a traced function counts as unreadable (its
    operations are staged), so an invalid captured target gives NaN under ``jax.jit``
    instead of a concretization error; outside a transformation it is checked eagerly."""
    jax = pytest.importorskip("jax", reason="jax not installed")
    jnp = jax.numpy
    from losses_xp import _compat

    captured = jnp.asarray([0.0, 2.0])  # a target outside [0, 1]
    seen: list[bool] = []

    def loss(x: Any) -> Any:
        seen.append(_compat.values_readable(captured))
        return lx.binary_cross_entropy_with_logits(x, captured)

    x = jnp.zeros(2)
    assert math.isnan(float(jax.jit(loss)(x)))
    assert math.isnan(float(jax.vmap(loss)(x[None])[0]))
    jax.grad(loss)(x)  # (traces: the gradient of a NaN loss is not specified)
    assert seen == [False, False, False]
    assert _compat.values_readable(captured)
    with pytest.raises(ValueError, match=r"`target` must lie in \[0, 1\]"):
        loss(x)

