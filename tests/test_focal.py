"""Unit tests of the focal losses, ``sigmoid_focal_loss`` and ``softmax_focal_loss``
(NumPy and array-api-strict): option validation, shapes, dtypes and the documented
conventions (the asymmetric loss: test_asymmetric.py)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from conftest import XP

import losses_xp as lx

X = np.array([[0.1, 0.9, 0.3], [0.8, 0.2, 0.6], [0.4, 0.5, 0.7]])
Y = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 1]])


def _skip_strict_half(xpb: XP, dtype: str) -> None:
    if dtype == "float16" and xpb.name != "numpy":
        pytest.skip("array-api-strict has no float16")


# --------------------------------------------------------------------------- sigmoid focal


def test_sigmoid_focal_published_value(xpb: XP) -> None:
    out = lx.sigmoid_focal_loss(xpb.asarray(X), xpb.asarray(Y), alpha=None, gamma=2)
    assert xpb.is_native(out)
    assert round(float(xpb.to_numpy(out)), 4) == 0.1430


def test_sigmoid_focal_reductions_and_weight(xpb: XP) -> None:
    x, y = xpb.asarray(X), xpb.asarray(Y)
    none = xpb.to_numpy(lx.sigmoid_focal_loss(x, y, reduction="none"))
    assert none.shape == (3, 3)
    np.testing.assert_allclose(xpb.to_numpy(lx.sigmoid_focal_loss(x, y, reduction="sum")),
                               none.sum(), rtol=1e-12)
    np.testing.assert_allclose(xpb.to_numpy(lx.sigmoid_focal_loss(x, y)), none.mean(),
                               rtol=1e-12)
    w = np.array([[1.0], [0.0], [2.0]])
    got = xpb.to_numpy(lx.sigmoid_focal_loss(x, y, weight=xpb.asarray(w), reduction="none"))
    np.testing.assert_allclose(got, none * w, rtol=1e-12)
    got = xpb.to_numpy(lx.sigmoid_focal_loss(x, y, weight=[1.0, 0.5, 2.0], reduction="none"))
    np.testing.assert_allclose(got, none * [1.0, 0.5, 2.0], rtol=1e-12)


def test_sigmoid_focal_gamma_0_is_balanced_bce(xpb: XP) -> None:
    x, y = xpb.asarray(X), xpb.asarray(Y)
    bce = xpb.to_numpy(lx.binary_cross_entropy_with_logits(x, xpb.asarray(Y, "float64"),
                                                           reduction="none"))
    for g in (0, 0.0):
        got = xpb.to_numpy(lx.sigmoid_focal_loss(x, y, alpha=None, gamma=g, reduction="none"))
        np.testing.assert_array_equal(got, bce)
        got = xpb.to_numpy(lx.sigmoid_focal_loss(x, y, alpha=0.25, gamma=g, reduction="none"))
        np.testing.assert_allclose(got, bce * np.where(Y == 1, 0.25, 0.75), rtol=1e-15)


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_sigmoid_focal_keeps_dtype(xpb: XP, dtype: str) -> None:
    _skip_strict_half(xpb, dtype)
    x = xpb.asarray(np.array([100.0, -100.0, 3.0, -1e4 if dtype == "float32" else -50.0]),
                    dtype)
    y = xpb.asarray(np.array([0.0, 0.0, 1.0, 1.0]), dtype)
    for r in ("none", "mean", "sum"):
        out = lx.sigmoid_focal_loss(x, y, reduction=r)
        assert str(out.dtype).endswith(dtype)
        assert np.all(np.isfinite(xpb.to_numpy(out)))


@pytest.mark.parametrize(("kw", "exc", "match"), [
    ({"alpha": 1.5}, ValueError, "alpha"),
    ({"alpha": -0.1}, ValueError, "alpha"),
    ({"alpha": "0.25"}, TypeError, "alpha"),
    ({"gamma": -1.0}, ValueError, "gamma"),
    ({"gamma": math.nan}, ValueError, "gamma"),
    ({"gamma": True}, TypeError, "gamma"),
    ({"reduction": "avg"}, ValueError, "reduction"),
    ({"weight": [1.0, 2.0]}, ValueError, "weight"),
])
def test_sigmoid_focal_bad_options(xpb2: XP, kw: dict[str, Any], exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        lx.sigmoid_focal_loss(xpb2.asarray(X), xpb2.asarray(Y), **kw)


def test_sigmoid_focal_bad_inputs(xpb2: XP) -> None:
    with pytest.raises(TypeError, match="logits"):
        lx.sigmoid_focal_loss(xpb2.asarray(Y), xpb2.asarray(Y))  # integer logits
    with pytest.raises(ValueError, match="same shape"):
        lx.sigmoid_focal_loss(xpb2.asarray(X), xpb2.asarray(Y[:, :2]))
    with lx.value_checks("all"), pytest.raises(ValueError, match="target"):
        lx.sigmoid_focal_loss(xpb2.asarray(X), xpb2.asarray(Y * 2))
    with pytest.raises(TypeError, match="array"):
        lx.sigmoid_focal_loss(X.tolist(), xpb2.asarray(Y))


# --------------------------------------------------------------------------- softmax focal

LOGITS = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0], [1.0, 1.0, 1.0], [0.3, -2.0, 0.0]])
INDEX = np.array([0, 2, 1, -100])


def test_softmax_focal_docstring_values(xpb: XP) -> None:
    x = xpb.asarray(LOGITS[:2])
    t = xpb.asarray(INDEX[:2])
    assert round(float(xpb.to_numpy(lx.softmax_focal_loss(x, t, gamma=0.0))), 6) == 0.175456
    assert round(float(xpb.to_numpy(lx.softmax_focal_loss(x, t))), 6) == 0.006137


def test_softmax_focal_weight_and_mean_follow_cross_entropy(xpb: XP) -> None:
    """``weight`` is per class and the mean divides by Σ w[y] (kept targets); ``alpha``
    multiplies but stays out of the denominator."""
    x, t = xpb.asarray(LOGITS), xpb.asarray(INDEX)
    w = [0.5, 2.0, 3.0]
    none = xpb.to_numpy(lx.softmax_focal_loss(x, t, weight=w, reduction="none"))
    plain = xpb.to_numpy(lx.softmax_focal_loss(x, t, reduction="none"))
    assert none[3] == 0.0  # ignored
    assert plain[3] == 0.0
    np.testing.assert_allclose(none[:3], plain[:3] * np.array(w)[INDEX[:3]], rtol=1e-14)
    mean = float(xpb.to_numpy(lx.softmax_focal_loss(x, t, weight=w)))
    np.testing.assert_allclose(mean, none.sum() / (0.5 + 3.0 + 2.0), rtol=1e-14)
    alpha = [0.25, 0.5, 0.75]
    a_none = xpb.to_numpy(lx.softmax_focal_loss(x, t, alpha=alpha, reduction="none"))
    np.testing.assert_allclose(a_none[:3], plain[:3] * np.array(alpha)[INDEX[:3]], rtol=1e-14)
    a_mean = float(xpb.to_numpy(lx.softmax_focal_loss(x, t, alpha=alpha)))
    np.testing.assert_allclose(a_mean, a_none.sum() / 3, rtol=1e-14)
    a_scalar = xpb.to_numpy(lx.softmax_focal_loss(x, t, alpha=0.25, reduction="none"))
    np.testing.assert_allclose(a_scalar, plain * 0.25, rtol=1e-14)


def test_softmax_focal_all_ignored_mean_is_nan(xpb: XP) -> None:
    x, t = xpb.asarray(LOGITS), xpb.asarray(np.full(4, -100))
    assert math.isnan(float(xpb.to_numpy(lx.softmax_focal_loss(x, t))))
    assert float(xpb.to_numpy(lx.softmax_focal_loss(x, t, reduction="sum"))) == 0.0


def test_softmax_focal_axis(xpb: XP) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4))
    t = rng.integers(0, 3, size=(2, 4))
    got = xpb.to_numpy(lx.softmax_focal_loss(xpb.asarray(x), xpb.asarray(t), axis=1,
                                             reduction="none"))
    want = xpb.to_numpy(lx.softmax_focal_loss(xpb.asarray(np.moveaxis(x, 1, -1)),
                                              xpb.asarray(t), reduction="none"))
    np.testing.assert_allclose(got, want, rtol=1e-14)


@pytest.mark.parametrize(("kw", "exc", "match"), [
    ({"alpha": [0.25, 0.75]}, ValueError, "alpha"),  # wrong length
    ({"alpha": "a"}, TypeError, "alpha"),
    ({"alpha": -1.0}, ValueError, "alpha"),
    ({"weight": [1.0, 2.0]}, ValueError, "weight"),
    ({"weight": [[1.0, 2.0, 3.0]]}, ValueError, "weight"),
    ({"gamma": -0.5}, ValueError, "gamma"),
    ({"ignore_index": 1.0}, TypeError, "ignore_index"),
    ({"axis": 2}, ValueError, "axis"),
    ({"reduction": None}, ValueError, "reduction"),
])
def test_softmax_focal_bad_options(xpb2: XP, kw: dict[str, Any], exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        lx.softmax_focal_loss(xpb2.asarray(LOGITS), xpb2.asarray(INDEX), **kw)


def test_softmax_focal_bad_inputs(xpb2: XP) -> None:
    with pytest.raises(TypeError, match="logits"):
        lx.softmax_focal_loss(xpb2.asarray(INDEX[:, None] * np.ones((1, 3), dtype=np.int64)),
                              xpb2.asarray(INDEX))
    with pytest.raises(TypeError, match="target"):
        lx.softmax_focal_loss(xpb2.asarray(LOGITS), xpb2.asarray(INDEX.astype(float)))
    with pytest.raises(ValueError, match="shape"):
        lx.softmax_focal_loss(xpb2.asarray(LOGITS), xpb2.asarray(INDEX[:3]))
    with pytest.raises(ValueError, match="class indices"):
        lx.softmax_focal_loss(xpb2.asarray(LOGITS), xpb2.asarray(np.array([0, 1, 3, 0])))


def test_softmax_focal_is_flat_when_every_other_logit_is_minus_inf() -> None:
    """``1 - p_y`` is exactly 0 when every other logit is -inf: the loss is 0 and flat, so
    its gradient is 0 and its second derivative finite (the gradient used to be
    ``[0, nan, nan]`` on PyTorch and JAX: log 0 of the empty sum of the others)."""
    x = [[3.0, -math.inf, -math.inf]]
    for gamma in (0.5, 2.0):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no NumPy "divide by zero" either
            out = lx.softmax_focal_loss(np.array(x), np.array([0]), gamma=gamma)
        assert float(out) == 0.0
    torch = pytest.importorskip("torch", reason="torch not installed")
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    loss = lx.softmax_focal_loss(xt, torch.tensor([0]), gamma=2.0)
    (grad,) = torch.autograd.grad(loss, xt, create_graph=True)
    assert loss.item() == 0.0
    assert grad.tolist() == [[0.0, 0.0, 0.0]]
    (second,) = torch.autograd.grad(grad.sum(), xt)
    assert torch.isfinite(second).all()
    jax = pytest.importorskip("jax", reason="jax not installed")

    def f(v: Any) -> Any:
        return lx.softmax_focal_loss(v, jax.numpy.asarray([0]), gamma=2.0)

    v = jax.numpy.asarray(x)
    assert float(f(v)) == 0.0
    assert np.asarray(jax.grad(f)(v)).tolist() == [[0.0, 0.0, 0.0]]
    assert np.isfinite(np.asarray(jax.hessian(f)(v))).all()


def test_softmax_focal_alpha_may_be_a_numpy_float() -> None:
    """A NumPy float ``alpha`` is one factor, like a Python float (it used to be taken for
    a per-class array of shape ``()``), on every library's inputs."""
    x, y = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]]), np.array([0, 2])
    expected = lx.softmax_focal_loss(x, y, alpha=0.25)
    for alpha in (np.float32(0.25), np.float64(0.25)):
        assert lx.softmax_focal_loss(x, y, alpha=alpha) == expected
    torch = pytest.importorskip("torch", reason="torch not installed")
    got = lx.softmax_focal_loss(torch.tensor(x), torch.tensor(y), alpha=np.float64(0.25))
    assert got.item() == pytest.approx(float(expected), rel=1e-12)
    with pytest.raises(ValueError, match=r"^`alpha` must be >= 0.0; got "):
        lx.softmax_focal_loss(x, y, alpha=np.float64(-1.0))

