"""Dtype rules and the published edge values of issue 2.

Expected values are hand-computed (with ``math`` on the tiny example) or published in the
issue; none is computed with the losses' own formulas.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import ELEMENTWISE, LOSSES, XP, Loss, loss_params, valid_inputs

ALL = loss_params(LOSSES)


# --------------------------------------------------------------------------- dtype rules


def _int_target(loss: Loss, t: np.ndarray) -> np.ndarray:
    """``t`` as an int64 target: class indices stay, soft/regression targets round to 0/1."""
    if loss.multiclass or loss.kind == "sign":  # (class indices, -1 / +1 labels stay)
        return t.astype(np.int64)
    return (t > 0.5).astype(np.int64)


@pytest.mark.parametrize("loss", ALL)
@pytest.mark.parametrize("with_options", [False, True], ids=["plain", "options"])
def test_float32_with_int64_target_stays_float32(loss: Loss, with_options: bool, xpb: XP) -> None:
    """Never float64: not from int64 targets, not from Python-float options or scalars."""
    if loss.kind in ("distill", "embeddings"):
        pytest.skip("the second argument is floating by definition (a teacher's logits, "
                    "embeddings)")
    p, t = valid_inputs(loss, n=4, c=3)
    kwargs = loss.options(c=3) if with_options else {}
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
    reduction = "none" if "none" in loss.reductions else "mean"
    got = loss.fn(p16, t16, reduction=reduction)
    t64 = t16 if loss.multiclass else t16.astype(np.float64)
    ref = loss.fn(p16.astype(np.float64), t64, reduction=reduction)
    np.testing.assert_allclose(got.astype(np.float64), ref, rtol=2e-3, atol=2e-3)


# --------------------------------------------------------------------------- published edges


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


@pytest.mark.parametrize("loss", loss_params([x for x in LOSSES if "sum" in x.reductions]))
def test_empty_batch_sum_is_zero_and_none_is_empty(loss: Loss, xpb: XP) -> None:
    p, t = _empty(loss)
    pred, target = xpb.asarray(p, "float32"), xpb.asarray(t)
    out = loss.fn(pred, target, reduction="sum")
    assert out.dtype == xpb.dtype("float32")
    assert float(xpb.to_numpy(out)) == 0.0
    none = loss.fn(pred, target, reduction="none")
    assert tuple(none.shape) == ((0, 3) if loss.elementwise else (0,))


# NaN probabilities (and NaN means, log1p arguments: the "domain" kind) are rejected eagerly
# instead (test_nan_probability_is_rejected; the error catalogue)
@pytest.mark.parametrize("loss", loss_params(
    [x for x in LOSSES
     if "none" in x.reductions and x.kind not in ("probs", "categorical", "domain", "js")]))
def test_nan_prediction_propagates(loss: Loss) -> None:
    """A NaN in a loss's input is never hidden behind a plausible number."""
    p, t = valid_inputs(loss, n=3, c=3)
    p = p.copy()
    p[1, int(t[1]) if loss.multiclass else 1] = np.nan  # on the target class (log-probabilities)
    assert math.isnan(float(loss.fn(p, t)))


@pytest.mark.parametrize("loss", ALL)
def test_no_silent_float64_on_a_device_without_float64(loss: Loss) -> None:
    """array-api-strict's ``no_float64`` device refuses float64 arrays: any float64
    intermediate (``asarray(python_float)``, a float64 option array) raises there."""
    import array_api_strict as xs

    dev = xs.Device("no_float64")
    p, t = valid_inputs(loss, n=4, c=3)
    pred = xs.asarray(p.astype(np.float32), device=dev)
    target = xs.asarray(t if loss.multiclass else t.astype(np.float32), device=dev)
    kwargs = loss.options(c=3)
    for reduction in loss.reductions:
        out = loss.fn(pred, target, reduction=reduction, **kwargs)
        assert out.dtype == xs.float32
        assert out.device == dev


#: the option kinds that are Python numbers
_NUMBER_KINDS = ("positive", "non_negative", "gamma", "alpha", "smoothing", "unit", "eps",
                 "poly_epsilon")


@pytest.mark.parametrize("loss", ALL)
def test_number_options_accept_numpy_scalars(loss: Loss) -> None:
    """A NumPy scalar option (``np.float32(0.5)`` read from a config or an array) is a
    number like a Python one, converted to a Python float: it stays static and never
    promotes a float32 loss to float64; a bool (NumPy's too) is still refused."""
    p, t = valid_inputs(loss, n=4, c=3)
    pred = p.astype(np.float32)
    options = {k: v for k, v in loss.options(c=3).items()
               if loss.decl.options[k] in _NUMBER_KINDS}
    for name, v in options.items():
        want = loss.fn(pred, t, reduction="none" if "none" in loss.reductions else "mean",
                       **{name: float(v)})
        for scalar in (np.float32, np.float64):
            got = loss.fn(pred, t, reduction="none" if "none" in loss.reductions else "mean",
                          **{name: scalar(v)})
            assert got.dtype == np.float32
            np.testing.assert_array_equal(got, want)
        for bad in (True, np.bool_(True)):
            with pytest.raises(TypeError, match=rf"^`{name}` must be a Python int or float; "
                                                r"got bool$"):
                loss.fn(pred, t, **{name: bad})
        with pytest.raises(TypeError, match=r"got ndarray$"):
            loss.fn(pred, t, **{name: np.array(v)})


