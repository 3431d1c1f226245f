"""Argument errors (and a few eager values) of the multilabel family, on NumPy and
array-api-strict: ``multilabel_categorical_crossentropy``, ``class_balanced_weights``,
``class_balanced_loss`` (the asymmetric loss: test_asymmetric.py; the metrics:
test_metrics.py)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import XP

import losses_xp as lx

X = np.array([[0.5, -1.0, 2.0], [0.1, 0.3, -0.2]])
Y_ML = np.array([[1, 0, 1], [0, 0, 1]])
Y_IDX = np.array([2, 0])


# --------------------------------------------------------------------------- ZLPR


def test_zlpr_errors(xpb: XP) -> None:
    f = lx.multilabel_categorical_crossentropy
    x, y = xpb.asarray(X), xpb.asarray(Y_ML)
    with pytest.raises(ValueError, match="shape"):
        f(x, xpb.asarray(Y_ML[:, :2]))
    with lx.value_checks("all"), pytest.raises(ValueError, match=r"target.*\[0, 1\]"):
        f(x, xpb.asarray(Y_ML * 2))
    with pytest.raises(TypeError, match="floating"):
        f(xpb.asarray(Y_ML), y)
    with pytest.raises(ValueError, match="reduction"):
        f(x, y, reduction="avg")
    with pytest.raises(ValueError, match="axis"):
        f(x, y, axis=2)


def test_zlpr_axis_and_float16(xpb: XP) -> None:
    f = lx.multilabel_categorical_crossentropy
    want = np.asarray(f(X, Y_ML, reduction="none"))
    got = xpb.to_numpy(f(xpb.asarray(X.T), xpb.asarray(Y_ML.T), axis=0, reduction="none"))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    if xpb.name == "numpy":  # array-api-strict has no float16
        half = f(X.astype(np.float16), Y_ML, reduction="none")
        assert half.dtype == np.float16
        np.testing.assert_allclose(half, want, rtol=2e-3)


# --------------------------------------------------------------------------- class-balanced


@pytest.mark.parametrize("beta", [-0.1, 1.0, 1.5, float("nan")])
def test_class_balanced_beta_out_of_range(beta: float) -> None:
    with pytest.raises(ValueError, match="beta"):
        lx.class_balanced_weights([1, 2, 3], beta=beta)
    with pytest.raises(ValueError, match="beta"):
        lx.class_balanced_loss(X, Y_IDX, [1, 2, 3], beta=beta)


def test_class_balanced_weights_errors(xpb: XP) -> None:
    f = lx.class_balanced_weights
    with pytest.raises(ValueError, match="1-d"):
        f(xpb.asarray(np.ones((2, 2))))
    with pytest.raises(ValueError, match="samples_per_class"):
        f(xpb.asarray(np.array([1.0, -2.0])))
    with pytest.raises(TypeError, match="samples_per_class"):
        f("123")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="samples_per_class"):
        f(3)  # type: ignore[arg-type]


def test_class_balanced_weights_values(xpb: XP) -> None:
    counts = np.array([0.0, 1.0, 10.0, 100.0])
    got = xpb.to_numpy(lx.class_balanced_weights(xpb.asarray(counts), beta=0.9))
    raw = (1 - 0.9) / (1 - 0.9 ** np.maximum(counts, 1))
    np.testing.assert_allclose(got, raw / raw.sum() * 4, rtol=1e-12)
    like = xpb.asarray(np.zeros(1), "float32")
    out = lx.class_balanced_weights([3, 0, 1], beta=0.99, like=like)
    assert xpb.is_native(out)
    assert out.dtype == xpb.dtype("float32")
    empty = lx.class_balanced_weights(xpb.asarray(np.zeros(0)))
    assert tuple(empty.shape) == (0,)


def test_class_balanced_loss_errors(xpb: XP) -> None:
    f = lx.class_balanced_loss
    x, y = xpb.asarray(X), xpb.asarray(Y_IDX)
    with pytest.raises(ValueError, match="loss_type"):
        f(x, y, [1, 2, 3], loss_type="softmax_focal")
    with pytest.raises(ValueError, match="one count per class"):
        f(x, y, [1, 2])
    with pytest.raises(ValueError, match="one count per class"):
        f(x, y, xpb.asarray(np.ones((3, 1))))
    with pytest.raises(ValueError, match="gamma"):
        f(x, y, [1, 2, 3], gamma=-1.0)
    with pytest.raises(TypeError, match="integer"):
        f(x, xpb.asarray(Y_IDX.astype(np.float64)), [1, 2, 3])
    with pytest.raises(ValueError, match="shape"):
        f(x, xpb.asarray(np.array([0, 1, 2])), [1, 2, 3])
    with pytest.raises(ValueError, match="reduction"):
        f(x, y, [1, 2, 3], reduction="batchmean")
    with pytest.raises(ValueError):
        f(x, xpb.asarray(np.array([0, 3])), [1, 2, 3])  # class index out of range


def test_class_balanced_loss_beta0_softmax_is_cross_entropy(xpb: XP) -> None:
    x, y = xpb.asarray(X), xpb.asarray(Y_IDX)
    got = lx.class_balanced_loss(x, y, [4, 1, 9], beta=0.0, loss_type="softmax")
    want = lx.cross_entropy(x, y)
    np.testing.assert_allclose(xpb.to_numpy(got), xpb.to_numpy(want), rtol=1e-12)
    # gamma = 0: focal is sigmoid
    a = lx.class_balanced_loss(x, y, [4, 1, 9], gamma=0.0, loss_type="focal")
    b = lx.class_balanced_loss(x, y, [4, 1, 9], loss_type="sigmoid")
    np.testing.assert_allclose(xpb.to_numpy(a), xpb.to_numpy(b), rtol=1e-12)
