"""The public API conventions of issue 2, checked for every public loss.

Errors must name the argument, what was expected and what was received; the ``match=``
patterns below pin the key parts of each message.  All checks that raise here are static
(shapes, dtypes, options) or eager value checks on NumPy / array-api-strict arrays, whose
values may be read on the host.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import (
    BY_NAME,
    COVERED_ELSEWHERE,
    ELEMENTWISE,
    LOSSES,
    MULTICLASS,
    XP,
    Loss,
    loss_params,
    valid_inputs,
)

import losses_xp as lx

ALL = loss_params(LOSSES)


def test_every_public_loss_is_covered() -> None:
    public = {name for name in lx.__all__ if not name.startswith("__")}
    assert public == set(BY_NAME) | set(COVERED_ELSEWHERE), (
        "add the new loss to tests/conftest.py LOSSES (or COVERED_ELSEWHERE)")
    assert not set(BY_NAME) & set(COVERED_ELSEWHERE)
    for name in public:
        assert callable(getattr(lx, name))


def test_mae_is_an_alias_of_l1() -> None:
    assert lx.mae_loss is lx.l1_loss


@pytest.mark.parametrize("loss", ALL)
def test_options_are_keyword_only(loss: Loss) -> None:
    import inspect

    params = list(inspect.signature(loss.fn).parameters.values())
    assert [p.name for p in params[:2]] == [loss.pred_name, "target"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[2:])
    assert inspect.signature(loss.fn).parameters["reduction"].default == "mean"


# --------------------------------------------------------------------------- reduction


@pytest.mark.parametrize("loss", ALL)
@pytest.mark.parametrize("bad", ["avg", "MEAN", "", None, 1])
def test_invalid_reduction_lists_valid_values(loss: Loss, bad: object, xpb2: XP) -> None:
    p, t = valid_inputs(loss)
    with pytest.raises(ValueError, match=r"`reduction` must be") as info:
        loss.fn(xpb2.asarray(p), xpb2.asarray(t), reduction=bad)
    msg = str(info.value)
    assert repr(bad) in msg
    assert "'mean'" in msg
    if loss.name != "rmse_loss":
        assert "'none'" in msg
        assert "'sum'" in msg


@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_rmse_rejects_none_and_sum(reduction: str, xpb2: XP) -> None:
    p, t = valid_inputs(BY_NAME["rmse_loss"])
    with pytest.raises(ValueError, match=rf"must be 'mean' for rmse_loss.*got '{reduction}'"):
        lx.rmse_loss(xpb2.asarray(p), xpb2.asarray(t), reduction=reduction)


# --------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("loss", loss_params(ELEMENTWISE))
def test_column_vs_vector_is_a_shape_error(loss: Loss, xpb2: XP) -> None:
    """(N, 1) against (N,) must raise, never broadcast silently to (N, N)."""
    p, t = valid_inputs(loss, n=3, c=1)
    pred, target = xpb2.asarray(p), xpb2.asarray(t[:, 0])
    pattern = r"`{}` and `target` must have the same shape; got \(3, 1\) and \(3,\)"
    with pytest.raises(ValueError, match=pattern.format(loss.pred_name)):
        loss.fn(pred, target)
    # and the other way round
    with pytest.raises(ValueError, match=r"got \(3,\) and \(3, 1\)"):
        loss.fn(xpb2.asarray(p[:, 0]), xpb2.asarray(t))


@pytest.mark.parametrize("loss", loss_params(MULTICLASS))
def test_index_target_with_a_trailing_one_is_a_shape_error(loss: Loss, xpb2: XP) -> None:
    p, t = valid_inputs(loss, n=3, c=4)
    with pytest.raises(ValueError, match=r"i\.e\. \(3,\); got \(3, 1\)"):
        loss.fn(xpb2.asarray(p), xpb2.asarray(t[:, None]))


@pytest.mark.parametrize("name", ["cross_entropy", "categorical_cross_entropy"])
def test_probability_target_of_another_shape_is_a_shape_error(name: str, xpb2: XP) -> None:
    loss = BY_NAME[name]
    p, _ = valid_inputs(loss, n=2, c=3)
    target = xpb2.asarray(np.full((2, 4), 0.25))
    with pytest.raises(ValueError, match=r"got \(2, 3\) and \(2, 4\)"):
        loss.fn(xpb2.asarray(p), target)


@pytest.mark.parametrize("loss", loss_params(MULTICLASS))
def test_target_that_fits_another_axis_suggests_it(loss: Loss, xpb2: XP) -> None:
    """PyTorch-layout (N, C, d) input with the default axis=-1: the message says axis=1."""
    rng = np.random.default_rng(1)
    x = rng.uniform(0.1, 0.9, size=(2, 3, 5))
    if loss.kind == "categorical":
        x = x / x.sum(axis=1, keepdims=True)
    elif loss.kind == "nll":
        x = np.log(x / x.sum(axis=1, keepdims=True))
    y = rng.integers(0, 3, size=(2, 5))
    with pytest.raises(ValueError, match=r"got \(2, 5\).*axis=1") as info:
        loss.fn(xpb2.asarray(x), xpb2.asarray(y))
    assert "(2, 3)" in str(info.value)  # the shape expected for axis=-1
    # ... and with the suggested axis it works
    out = loss.fn(xpb2.asarray(x), xpb2.asarray(y), axis=1, reduction="none")
    assert tuple(out.shape) == (2, 5)


@pytest.mark.parametrize("loss", loss_params(MULTICLASS))
@pytest.mark.parametrize("axis", [2, -3, 7])
def test_axis_out_of_range(loss: Loss, axis: int, xpb2: XP) -> None:
    p, t = valid_inputs(loss)
    pattern = rf"`axis` must be in \[-2, 2\) for a 2-d input; got {axis}"
    with pytest.raises(ValueError, match=pattern):
        loss.fn(xpb2.asarray(p), xpb2.asarray(t), axis=axis)


@pytest.mark.parametrize("loss", loss_params(MULTICLASS))
@pytest.mark.parametrize("axis", [1.0, "1", None, True])
def test_axis_must_be_an_int(loss: Loss, axis: object) -> None:
    p, t = valid_inputs(loss)
    with pytest.raises(TypeError, match=r"`axis` must be an int"):
        loss.fn(p, t, axis=axis)


# --------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("loss", loss_params(MULTICLASS))
def test_float_class_indices_are_a_type_error(loss: Loss, xpb2: XP) -> None:
    p, t = valid_inputs(loss)
    pattern = r"`target` must have an integer dtype \(class indices\); got .*float64"
    with pytest.raises(TypeError, match=pattern):
        loss.fn(xpb2.asarray(p), xpb2.asarray(t, "float64"))


@pytest.mark.parametrize("loss", ALL)
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_non_floating_prediction_is_a_type_error(loss: Loss, dtype: str, xpb2: XP) -> None:
    """Integer logits (e.g. swapped arguments) raise; they are never cast silently."""
    p, t = valid_inputs(loss)
    pred = xpb2.asarray(np.round(p).astype(dtype))
    pattern = rf"`{loss.pred_name}` must have a real floating dtype .*; got .*{dtype}"
    with pytest.raises(TypeError, match=pattern):
        loss.fn(pred, xpb2.asarray(t))


@pytest.mark.parametrize("loss", loss_params(ELEMENTWISE))
def test_complex_prediction_is_a_type_error(loss: Loss) -> None:
    p, t = valid_inputs(loss)
    with pytest.raises(TypeError, match=r"real floating dtype.*complex128"):
        loss.fn(p.astype(complex), t)


@pytest.mark.parametrize("loss", loss_params(MULTICLASS))
def test_swapped_arguments_are_caught(loss: Loss, xpb2: XP) -> None:
    """Target-first (Keras/scikit-learn order) class indices land in the prediction slot."""
    p, t = valid_inputs(loss)
    with pytest.raises((TypeError, ValueError)):
        loss.fn(xpb2.asarray(t), xpb2.asarray(p))


# --------------------------------------------------------------------------- libraries


@pytest.mark.parametrize("loss", ALL)
def test_mixed_libraries_are_a_type_error_naming_both(loss: Loss) -> None:
    import array_api_strict as xs

    p, t = valid_inputs(loss)
    with pytest.raises(TypeError, match=r"same array library") as info:
        loss.fn(p, xs.asarray(t))
    msg = str(info.value)
    for part in ("numpy", "array_api_strict", f"`{loss.pred_name}`", "`target`"):
        assert part in msg
    with pytest.raises(TypeError, match=r"numpy.*array_api_strict|array_api_strict.*numpy"):
        loss.fn(xs.asarray(p), t)


@pytest.mark.parametrize(
    ("name", "option", "value"),
    [
        ("cross_entropy", "weight", [1.0, 2.0, 3.0]),
        ("nll_loss", "weight", [1.0, 2.0, 3.0]),
        ("binary_cross_entropy", "weight", [1.0, 2.0, 3.0]),
        ("binary_cross_entropy_with_logits", "weight", [1.0, 2.0, 3.0]),
        ("binary_cross_entropy_with_logits", "pos_weight", [1.0, 2.0, 3.0]),
        ("mse_loss", "weight", [1.0, 2.0, 3.0]),
        ("huber_loss", "weight", [1.0, 2.0, 3.0]),
    ],
)
def test_option_array_from_another_library_is_a_type_error(name: str, option: str,
                                                           value: list[float]) -> None:
    import array_api_strict as xs

    loss = BY_NAME[name]
    p, t = valid_inputs(loss)
    with pytest.raises(TypeError, match=rf"`{option}` is a numpy array"):
        loss.fn(xs.asarray(p), xs.asarray(t), **{option: np.asarray(value)})


@pytest.mark.parametrize("loss", ALL)
@pytest.mark.parametrize("which", ["prediction", "target"])
def test_python_list_input_is_a_type_error(loss: Loss, which: str) -> None:
    p, t = valid_inputs(loss)
    args = [p.tolist(), t] if which == "prediction" else [p, t.tolist()]
    name = loss.pred_name if which == "prediction" else "target"
    with pytest.raises(TypeError, match=rf"`{name}` must be an array .*; got builtins\.list"):
        loss.fn(*args)


# --------------------------------------------------------------------------- value checks


@pytest.mark.parametrize("loss", loss_params(MULTICLASS))
@pytest.mark.parametrize("bad", [3, 7, -1])
def test_out_of_range_class_index_is_a_value_error(loss: Loss, bad: int, xpb: XP) -> None:
    p, _ = valid_inputs(loss, n=3, c=3)
    target = xpb.asarray(np.array([0, bad, 2]))
    with pytest.raises(ValueError, match=rf"class indices must be in \[0, 3\).*; got {bad}$"):
        loss.fn(xpb.asarray(p), target)


def test_out_of_range_message_shows_only_the_bad_indices() -> None:
    """The range shown is that of the bad indices alone, not of the filled good ones."""
    logp = np.log(np.full((4, 4), 0.25))
    with pytest.raises(ValueError, match=r"; got 5$"):
        lx.nll_loss(logp[:3], np.array([0, 5, 1]))
    with pytest.raises(ValueError, match=r"; got -3 \.\. 9$"):
        lx.nll_loss(logp, np.array([9, 0, -3, 2]))
    # ignore_index is not "bad"
    with pytest.raises(ValueError, match=r"or equal ignore_index \(-100\); got 4$"):
        lx.cross_entropy(logp[:3], np.array([-100, 4, 1]))


@pytest.mark.parametrize(("name", "which"), [
    ("binary_cross_entropy", "prediction"),
    ("binary_cross_entropy", "target"),
    ("binary_cross_entropy_with_logits", "target"),
    ("categorical_cross_entropy", "prediction"),
    ("categorical_cross_entropy", "soft-target"),
])
@pytest.mark.parametrize("bad", [-0.5, 1.5])
def test_probabilities_outside_unit_interval(name: str, which: str, bad: float, xpb: XP) -> None:
    loss = BY_NAME[name]
    p, t = valid_inputs(loss, n=2, c=3)
    if which == "soft-target":
        t = np.full_like(p, 1 / 3)
    if which == "prediction":
        p = p.copy()
        p[1, 2] = bad
        arg = loss.pred_name
    else:
        t = t.astype(float)
        t[1, 2] = bad
        arg = "target"
    pattern = rf"`{arg}` must lie in \[0, 1\]; got values in \[.*{bad:g}"
    with pytest.raises(ValueError, match=pattern):
        loss.fn(xpb.asarray(p), xpb.asarray(t))


def test_nan_probability_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"`probs` must lie in \[0, 1\].*NaN"):
        lx.binary_cross_entropy(np.array([0.5, np.nan]), np.array([1.0, 0.0]))


@pytest.mark.parametrize("name", ["cross_entropy", "categorical_cross_entropy"])
@pytest.mark.parametrize(("bad", "pattern"), [
    (-0.1, r"`label_smoothing` must be >= 0"),
    (1.5, r"`label_smoothing` must be <= 1"),
    (float("nan"), r"`label_smoothing` must not be NaN"),
])
def test_label_smoothing_outside_unit_interval(name: str, bad: float, pattern: str) -> None:
    loss = BY_NAME[name]
    p, t = valid_inputs(loss)
    with pytest.raises(ValueError, match=pattern):
        loss.fn(p, t, label_smoothing=bad)


@pytest.mark.parametrize("name", ["cross_entropy", "categorical_cross_entropy"])
@pytest.mark.parametrize("eps", [0, 0.0, 1, 1.0])
def test_label_smoothing_bounds_are_accepted(name: str, eps: float) -> None:
    loss = BY_NAME[name]
    p, t = valid_inputs(loss)
    assert np.isfinite(loss.fn(p, t, label_smoothing=eps))


@pytest.mark.parametrize("delta", [0, 0.0, -1.0, -1e-12])
def test_huber_delta_must_be_positive(delta: float, xpb2: XP) -> None:
    p, t = valid_inputs(BY_NAME["huber_loss"])
    pattern = rf"`delta` must be > 0(\.0)?; got {re.escape(repr(delta))}"
    with pytest.raises(ValueError, match=pattern):
        lx.huber_loss(xpb2.asarray(p), xpb2.asarray(t), delta=delta)


@pytest.mark.parametrize("beta", [-1.0, -1e-12])
def test_smooth_l1_beta_must_not_be_negative(beta: float, xpb2: XP) -> None:
    p, t = valid_inputs(BY_NAME["smooth_l1_loss"])
    pattern = rf"`beta` must be >= 0(\.0)?; got {re.escape(repr(beta))}"
    with pytest.raises(ValueError, match=pattern):
        lx.smooth_l1_loss(xpb2.asarray(p), xpb2.asarray(t), beta=beta)


@pytest.mark.parametrize(("name", "option"), [("huber_loss", "delta"), ("smooth_l1_loss", "beta"),
                                               ("cross_entropy", "label_smoothing"),
                                               ("cross_entropy", "ignore_index"),
                                               ("nll_loss", "ignore_index")])
@pytest.mark.parametrize("bad", [True, "1", None])
def test_scalar_options_must_be_python_numbers(name: str, option: str, bad: object) -> None:
    loss = BY_NAME[name]
    p, t = valid_inputs(loss)
    with pytest.raises(TypeError, match=rf"`{option}` must be a Python"):
        loss.fn(p, t, **{option: bad})


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("weight", [[1.0, 2.0], [1.0, 2.0, 3.0, 4.0], [[1.0, 2.0, 3.0]]])
def test_class_weight_needs_one_value_per_class(name: str, weight: list, xpb2: XP) -> None:
    loss = BY_NAME[name]
    p, t = valid_inputs(loss, c=3)
    shape = re.escape(str(np.shape(weight)))
    pattern = rf"`weight` must have one value per class, shape \(3,\); got shape {shape}"
    with pytest.raises(ValueError, match=pattern):
        loss.fn(xpb2.asarray(p), xpb2.asarray(t), weight=weight)
    with pytest.raises(ValueError, match=r"one value per class"):  # an array as well
        loss.fn(xpb2.asarray(p), xpb2.asarray(t), weight=xpb2.asarray(np.asarray(weight)))


@pytest.mark.parametrize("loss", loss_params(ELEMENTWISE))
@pytest.mark.parametrize("shape", [(4,), (2, 3), (1, 4, 3)])
def test_element_weight_must_broadcast(loss: Loss, shape: tuple[int, ...], xpb2: XP) -> None:
    p, t = valid_inputs(loss, n=4, c=3)
    w = xpb2.asarray(np.ones(shape))
    pattern = rf"`weight` must be broadcastable to .*\(4, 3\); got shape {re.escape(str(shape))}"
    with pytest.raises(ValueError, match=pattern):
        loss.fn(xpb2.asarray(p), xpb2.asarray(t), weight=w)


@pytest.mark.parametrize("loss", loss_params([x for x in ELEMENTWISE if x.name != "rmse_loss"]))
@pytest.mark.parametrize("shape", [(3,), (1, 3), (4, 1), (4, 3), ()])
def test_element_weight_broadcasts(loss: Loss, shape: tuple[int, ...], xpb2: XP) -> None:
    p, t = valid_inputs(loss, n=4, c=3)
    w = np.arange(1.0, 1.0 + np.prod(shape, dtype=int)).reshape(shape)
    got = loss.fn(xpb2.asarray(p), xpb2.asarray(t), weight=xpb2.asarray(w), reduction="sum")
    plain = loss.fn(p, t, reduction="none")
    np.testing.assert_allclose(xpb2.to_numpy(got), np.sum(plain * w), rtol=1e-12)


@pytest.mark.parametrize("shape", [(2,), (4,), (2, 1), (2, 4, 3)])
def test_pos_weight_must_broadcast_over_the_last_axis(shape: tuple[int, ...], xpb2: XP) -> None:
    p, t = valid_inputs(BY_NAME["binary_cross_entropy_with_logits"], n=4, c=3)
    pattern = (rf"`pos_weight` must be broadcastable to .*\(4, 3\); "
               rf"got shape {re.escape(str(shape))}")
    with pytest.raises(ValueError, match=pattern):
        lx.binary_cross_entropy_with_logits(xpb2.asarray(p), xpb2.asarray(t),
                                            pos_weight=xpb2.asarray(np.ones(shape)))


# --------------------------------------------------------------------------- option sequences


@pytest.mark.parametrize(
    ("name", "option", "value"),
    [
        ("cross_entropy", "weight", [0.5, 2.0, 1.0]),
        ("cross_entropy", "weight", (1, 2, 3)),  # ints in a tuple
        ("nll_loss", "weight", [0.5, 2.0, 1.0]),
        ("binary_cross_entropy", "weight", [0.5, 2.0, 1.0]),
        ("binary_cross_entropy_with_logits", "weight", [0.5, 2.0, 1.0]),
        ("binary_cross_entropy_with_logits", "pos_weight", [0.5, 2.0, 3.0]),
        ("binary_cross_entropy_with_logits", "pos_weight", 2.0),
        ("mse_loss", "weight", [[0.5, 2.0, 1.0]]),
        ("rmse_loss", "weight", [0.5, 2.0, 1.0]),
        ("l1_loss", "weight", [0.5, 2.0, 1.0]),
        ("huber_loss", "weight", [0.5, 2.0, 1.0]),
        ("smooth_l1_loss", "weight", [0.5, 2.0, 1.0]),
        ("log_cosh_loss", "weight", [0.5, 2.0, 1.0]),
    ],
)
def test_options_may_be_python_sequences(name: str, option: str, value: object, xpb: XP) -> None:
    loss = BY_NAME[name]
    p, t = valid_inputs(loss, n=4, c=3)
    pred, target = xpb.asarray(p), xpb.asarray(t)
    from_seq = loss.fn(pred, target, **{option: value})
    from_arr = loss.fn(pred, target, **{option: xpb.asarray(np.asarray(value, dtype=float))})
    assert xpb.is_native(from_seq)
    assert from_seq.dtype == pred.dtype
    np.testing.assert_allclose(xpb.to_numpy(from_seq), xpb.to_numpy(from_arr), rtol=1e-15)
    # the option changes the value (it is not silently ignored)
    assert not np.allclose(xpb.to_numpy(from_seq), xpb.to_numpy(loss.fn(pred, target)))


@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy", "mse_loss"])
@pytest.mark.parametrize("bad", ["abc", {"a": 1}, object()])
def test_options_of_another_type_are_a_type_error(name: str, bad: object) -> None:
    loss = BY_NAME[name]
    p, t = valid_inputs(loss, n=4, c=3)
    pattern = r"`weight` must be an array of the inputs' library or a sequence"
    with pytest.raises(TypeError, match=pattern):
        loss.fn(p, t, weight=bad)


# --------------------------------------------------------------------------- result


@pytest.mark.parametrize("loss", ALL)
def test_result_library_device_dtype_and_shape(loss: Loss, xpb: XP) -> None:
    p, t = valid_inputs(loss, n=4, c=3)
    pred, target = xpb.asarray(p, "float32"), xpb.asarray(t)
    for reduction in loss.reductions:
        out = loss.fn(pred, target, reduction=reduction)
        assert xpb.is_native(out), type(out)
        assert out.dtype == xpb.dtype("float32")
        if xpb.device is not None:
            assert out.device == xpb.device
        if reduction == "none":
            assert tuple(out.shape) == ((4, 3) if loss.elementwise else (4,))
        else:
            assert tuple(out.shape) == ()
