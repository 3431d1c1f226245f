"""Unit tests of the metrics (hamming_loss, top_k_accuracy) on NumPy and array-api-strict."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import XP

import losses_xp as lx

X = np.array([[0.5, -1.0, 2.0], [0.1, 0.3, -0.2]])
Y_ML = np.array([[1, 0, 1], [0, 0, 1]])
Y_IDX = np.array([2, 0])


def test_hamming_errors(xpb: XP) -> None:
    f = lx.hamming_loss
    x, y = xpb.asarray(X), xpb.asarray(Y_ML)
    with pytest.raises(ValueError, match="shape"):
        f(x, xpb.asarray(Y_ML[:, :2]))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        f(xpb.asarray(np.array(0.3)), xpb.asarray(np.array(1)))
    with pytest.raises(ValueError, match="sample_weight"):
        f(x, y, sample_weight=[1.0, 2.0, 3.0])
    with pytest.raises(TypeError):
        f(x, y, threshold="0.5")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        f(x, y, reduction="mean")  # type: ignore[call-arg]


def test_hamming_values(xpb: XP) -> None:
    x = xpb.asarray(np.array([[0.5, 0.6], [0.1, 0.9]]))
    y = xpb.asarray(np.array([[1, 1], [0, 0]]))
    # 0.5 is not above the threshold: wrong; 0.6 right; 0.1 right; 0.9 wrong
    assert float(lx.hamming_loss(x, y)) == 0.5
    w = xpb.asarray(np.array([3.0, 1.0]))
    assert float(lx.hamming_loss(x, y, sample_weight=w)) == pytest.approx(0.5)
    # bool against integer or floating 0/1 labels (no mixed-kind comparison)
    b = xpb.asarray(np.array([[True, False]]))
    assert float(lx.hamming_loss(b, xpb.asarray(np.array([[1, 1]])))) == 0.5
    assert float(lx.hamming_loss(xpb.asarray(np.array([[1, 0]])),
                                 xpb.asarray(np.array([[True, True]])))) == 0.5
    assert float(lx.hamming_loss(xpb.asarray(np.array([[1, 0]])),
                                 xpb.asarray(np.array([[1.0, 1.0]])))) == 0.5
    labels = xpb.asarray(np.array([0, 2, 1, 1]))
    assert float(lx.hamming_loss(labels, xpb.asarray(np.array([0, 1, 1, 2])))) == 0.5


@pytest.mark.parametrize(("k", "exc"), [(0, ValueError), (-1, ValueError),
                                        (np.int64(0), ValueError), (1.0, TypeError),
                                        (True, TypeError), ("2", TypeError)])
def test_top_k_bad_k(k: object, exc: type[Exception]) -> None:
    with pytest.raises(exc, match="`k`"):
        lx.top_k_accuracy(X, Y_IDX, k=k)  # type: ignore[arg-type]


def test_top_k_accepts_a_numpy_integer() -> None:
    """``k`` from an array's shape or a config is often a NumPy integer."""
    want = lx.top_k_accuracy(X, Y_IDX, k=2, reduction="none")
    got = lx.top_k_accuracy(X, Y_IDX, k=np.int64(2), reduction="none")
    np.testing.assert_array_equal(got, want)
    assert not np.array_equal(want, lx.top_k_accuracy(X, Y_IDX, k=1, reduction="none"))


def test_top_k_errors(xpb: XP) -> None:
    f = lx.top_k_accuracy
    x, y = xpb.asarray(X), xpb.asarray(Y_IDX)
    with pytest.raises(ValueError, match="shape"):
        f(x, xpb.asarray(np.array([0, 1, 2])))
    with pytest.raises(TypeError, match="integer"):
        f(x, xpb.asarray(Y_IDX.astype(np.float64)))
    with pytest.raises(TypeError, match="floating"):
        f(xpb.asarray(Y_ML), y)
    with pytest.raises(ValueError, match="reduction"):
        f(x, y, reduction="avg")
    with pytest.raises(ValueError):
        f(x, xpb.asarray(np.array([0, 5])))  # class index out of range
    with pytest.raises(ValueError, match="axis"):
        f(x, y, axis=3)


def test_top_k_values(xpb: XP) -> None:
    x = xpb.asarray(np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]]))
    y = xpb.asarray(np.array([2, 1]))
    got = xpb.to_numpy(lx.top_k_accuracy(x, y, k=2, reduction="none"))
    np.testing.assert_array_equal(got, [1.0, 0.0])
    assert float(lx.top_k_accuracy(x, y, k=2, reduction="sum")) == 1.0
    assert float(lx.top_k_accuracy(x, y, k=3)) == 1.0
