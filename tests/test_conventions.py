"""The public API conventions of issue 2 that are not errors, checked for every public loss.

Every invalid input and its exact error (type and full message) is in the error
catalogue, ``conformance/errors/``, run on every backend by
``conformance/test_errors.py``; the tests here check the valid side of the same
conventions (keyword-only options, the bounds of an option's domain accepted, options as
Python sequences, broadcasting of element weights, the result's library, device and
dtype) on NumPy and array-api-strict.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from conftest import (
    BY_NAME,
    ELEMENTWISE,
    LOSSES,
    MULTICLASS,
    OPTION_VALUES,
    XP,
    Loss,
    loss_params,
    valid_inputs,
)

import losses_xp as lx
from losses_xp._declare import Declaration, declaration

ALL = loss_params(LOSSES)


def _conventional(fn: object) -> bool:
    """``(prediction, target, *, options..., reduction)``: the signature of the tests here."""
    params = list(inspect.signature(fn).parameters.values())  # type: ignore[arg-type]
    return (len(params) >= 3 and params[-1].name == "reduction"
            and all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params[:2])
            and all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[2:]))


def test_every_public_loss_is_covered() -> None:
    """Every public loss of the conventional signature, one value per element or per
    sample, is in ``tests/conftest.py``'s LOSSES (derived from the declarations): a loss
    whose input kind the derivation does not know fails here.  Metrics of compared scores
    and losses of a whole batch or class are tested with their family."""
    public = {name for name in lx.__all__ if name not in lx._NOT_LOSSES}
    for name in public:
        decl = declaration(name)
        if (_conventional(decl.fn) and decl.unit in ("element", "sample", "kept", "list")
                and decl.prediction != "scores"):
            assert name in BY_NAME, f"{name}: add its input kind to tests/conftest.py _kind"
    assert set(BY_NAME) <= public


@pytest.mark.parametrize("loss", ALL)
def test_options_are_keyword_only(loss: Loss) -> None:
    params = list(inspect.signature(loss.fn).parameters.values())
    # (the second argument of a distillation loss is the teacher's logits, of a ranking
    # loss the relevance: named after its kind)
    second = {"logits": "teacher_logits", "relevance": "relevance"}.get(
        str(loss.decl.target), "target")
    assert [p.name for p in params[:2]] == [loss.pred_name, second]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[2:])
    assert inspect.signature(loss.fn).parameters["reduction"].default == "mean"


# --------------------------------------------------------------------------- valid options


_WEIGHTED = [x for x in ELEMENTWISE
             if "none" in x.reductions and "element_weight" in x.decl.options.values()]


@pytest.mark.parametrize("loss", loss_params(_WEIGHTED))
@pytest.mark.parametrize("shape", [(3,), (1, 3), (4, 1), (4, 3), ()])
def test_element_weight_broadcasts(loss: Loss, shape: tuple[int, ...], xpb2: XP) -> None:
    p, t = valid_inputs(loss, n=4, c=3)
    w = np.arange(1.0, 1.0 + np.prod(shape, dtype=int)).reshape(shape)
    got = loss.fn(xpb2.asarray(p), xpb2.asarray(t), weight=xpb2.asarray(w), reduction="sum")
    plain = loss.fn(p, t, reduction="none")
    np.testing.assert_allclose(xpb2.to_numpy(got), np.sum(plain * w), rtol=1e-12)


@pytest.mark.parametrize("loss", loss_params(MULTICLASS))
def test_the_suggested_class_axis_works(loss: Loss, xpb2: XP) -> None:
    """PyTorch-layout ``(N, C, d)`` inputs: the error for the default ``axis=-1`` suggests
    ``axis=1`` (``conformance/errors/shapes.py``); with it the call works."""
    rng = np.random.default_rng(1)
    x = rng.uniform(0.1, 0.9, size=(2, 3, 5))
    if loss.kind == "categorical":
        x = x / x.sum(axis=1, keepdims=True)
    elif loss.kind == "nll":
        x = np.log(x / x.sum(axis=1, keepdims=True))
    y = rng.integers(0, 3, size=(2, 5))
    out = loss.fn(xpb2.asarray(x), xpb2.asarray(y), axis=1, reduction="none")
    assert tuple(out.shape) == (2, 5)
    assert np.all(np.isfinite(xpb2.to_numpy(out)))


#: every function of class indices along a class axis (losses, metrics and class-balanced
#: weights included): the default class axis is the last one, or an error where that is a guess
_CLASS_AXIS = [pytest.param(d, id=d.name) for d in
               (declaration(n) for n in sorted(lx.__all__) if n not in lx._NOT_LOSSES)
               if d.class_axis == "axis" and d.target in ("index", "index_or_probs")
               and d.name == d.fn.__name__]


def _class_call(decl: Declaration, shape: tuple[int, ...], axis: int,
                ) -> tuple[np.ndarray, np.ndarray, dict[str, object]]:
    """A valid prediction of ``shape`` (classes along ``axis``), class indices and the
    required options of ``decl``."""
    rng = np.random.default_rng(sum(shape))
    x = rng.normal(0.0, 1.5, size=shape)
    if decl.prediction in ("class_probs", "log_probs"):
        x = np.exp(x) / np.sum(np.exp(x), axis=axis, keepdims=True)
        x = np.log(x) if decl.prediction == "log_probs" else x
    c = shape[axis]
    y = rng.integers(0, c, size=shape[:axis % len(shape)] + shape[axis % len(shape) + 1:])
    kw: dict[str, object] = {k: list(range(5, 5 + c)) for k, kind in decl.options.items()
                             if kind == "counts"}
    return x, y, kw


#: those whose ``axis`` defaults to None (the last, unless the shapes are ambiguous); a
#: default ``axis=-1`` (``multi_margin_loss``) says the last axis and never raises
_DEFAULT_NONE_AXIS = [p for p in _CLASS_AXIS
                      if inspect.signature(p.values[0].fn).parameters["axis"].default is None]


@pytest.mark.parametrize("decl", _DEFAULT_NONE_AXIS)
def test_ambiguous_class_axis_raises_and_an_explicit_axis_works(decl: Declaration,
                                                                xpb2: XP) -> None:
    """``(N, C, C)`` with ``(N, C)`` class indices fits class axis 1 and the last axis:
    without ``axis`` a ValueError names both; ``axis=1`` is the PyTorch reading (the
    channels-last loss of the moved axis), ``axis=-1`` the last-axis one."""
    x, y, kw = _class_call(decl, (2, 3, 3), 1)
    xa, ya = xpb2.asarray(x), xpb2.asarray(y)
    with pytest.raises(ValueError, match=r"ambiguous class axis.*axis 1.*last axis.*"
                                         r"pass axis=1 or axis=-1"):
        decl.fn(xa, ya, reduction="none", **kw)
    by_axis_1 = xpb2.to_numpy(decl.fn(xa, ya, axis=1, reduction="none", **kw))
    moved = xpb2.asarray(np.moveaxis(x, 1, -1).copy())
    channels_last = xpb2.to_numpy(decl.fn(moved, ya, axis=-1, reduction="none", **kw))
    np.testing.assert_allclose(by_axis_1, channels_last, rtol=1e-12)
    last = xpb2.to_numpy(decl.fn(xa, ya, axis=-1, reduction="none", **kw))
    assert last.shape == by_axis_1.shape == (2, 3)
    if decl.prediction == "logits":  # (probabilities are normalised along 1; the hits
        # of a metric of scores may agree)
        assert not np.allclose(last, by_axis_1), "the two readings must differ here"


@pytest.mark.parametrize("decl", _CLASS_AXIS)
@pytest.mark.parametrize("shape", [(3, 3), (4, 4), (2, 3, 4), (2, 4, 4, 3)])
def test_unambiguous_shapes_never_raise(decl: Declaration, shape: tuple[int, ...],
                                        xpb2: XP) -> None:
    """A 2-d batch with N == C, or a 3-d/4-d input whose target fits only the last axis:
    the default is the last axis, exactly ``axis=-1``."""
    if len(shape) > decl.max_ndim:
        pytest.skip(f"{decl.name} takes at most {decl.max_ndim}-d inputs")
    x, y, kw = _class_call(decl, shape, -1)
    xa, ya = xpb2.asarray(x), xpb2.asarray(y)
    default = xpb2.to_numpy(decl.fn(xa, ya, reduction="none", **kw))
    explicit = xpb2.to_numpy(decl.fn(xa, ya, axis=-1, reduction="none", **kw))
    np.testing.assert_array_equal(default, explicit)


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


def _sequence_options() -> list[object]:
    """Every option of a weight kind of every loss, as a list of floats and as a tuple of
    ints; element weights also nested ((1, C)), ``pos_weight`` also as a Python float."""
    out: list[object] = []
    for loss in LOSSES:
        for option, kind in loss.decl.options.items():
            value = OPTION_VALUES.get(kind) if isinstance(kind, str) else None
            if not callable(value):
                continue
            floats = value(3)
            forms = [floats, tuple(range(1, 4))]
            forms += [[floats]] if kind == "element_weight" else []
            forms += [2.0] if kind == "pos_weight" else []
            out += [pytest.param(loss, option, v, id=f"{loss.name}-{option}-{type(v).__name__}"
                                 f"{'-nested' if v == [floats] else ''}") for v in forms]
    return out


@pytest.mark.parametrize(("loss", "option", "value"), _sequence_options())
def test_options_may_be_python_sequences(loss: Loss, option: str, value: object,
                                         xpb: XP) -> None:
    """A list, a tuple (of ints too) or a Python float gives what the same values as an
    array give, and the option is not silently ignored."""
    p, t = valid_inputs(loss)
    pred, target = xpb.asarray(p), xpb.asarray(t)
    from_seq = loss.fn(pred, target, **{option: value})
    from_arr = loss.fn(pred, target, **{option: xpb.asarray(np.asarray(value, dtype=float))})
    assert xpb.is_native(from_seq)
    assert from_seq.dtype == pred.dtype
    np.testing.assert_allclose(xpb.to_numpy(from_seq), xpb.to_numpy(from_arr), rtol=1e-15)
    # the option changes the value (it is not silently ignored)
    assert not np.allclose(xpb.to_numpy(from_seq), xpb.to_numpy(loss.fn(pred, target)))
