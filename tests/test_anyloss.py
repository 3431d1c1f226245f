"""AnyLoss unit tests on NumPy and array-api-strict: argument errors, dtypes, edge
values.  Expected values are hand-computed (A(p) is 0/1 to float64 precision for
|p - 0.5| >= 0.1 at L = 1e4); the cross-library checks are in conformance/."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from conftest import XP

import losses_xp as lx
from losses_xp.anyloss import METRICS

P = [0.9, 0.2, 0.8, 0.1, 0.7]
Y = [1.0, 0.0, 0.0, 1.0, 1.0]  # hard predictions 1,0,1,0,1: TP 2, FN 1, FP 1, TN 1


def _inputs(xpb: XP, dtype: str = "float64") -> tuple[Any, Any]:
    return xpb.asarray(P, dtype), xpb.asarray(Y, dtype)


def test_counts_by_hand(xpb: XP) -> None:
    p, y = _inputs(xpb)
    counts = lx.soft_confusion_matrix(p, y, L=1e4)
    assert len(counts) == 4
    for c in counts:
        assert xpb.is_native(c)
    assert [float(xpb.to_numpy(c)) for c in counts] == [2.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize(("metric", "score"), [
    ("accuracy", 3 / 5), ("f1", 4 / 6), ("precision", 2 / 3), ("recall", 2 / 3),
    ("jaccard", 2 / 4), ("balanced_accuracy", (2 / 3 + 1 / 2) / 2),
    ("gmean", math.sqrt(2 / 3 * 1 / 2)), ("mcc", (2 * 1 - 1 * 1) / math.sqrt(3 * 3 * 2 * 2)),
])
def test_metrics_by_hand(xpb: XP, metric: str, score: float) -> None:
    p, y = _inputs(xpb)
    got = float(xpb.to_numpy(lx.any_loss(p, y, metric=metric, L=1e4)))
    assert got == pytest.approx(1.0 - score, abs=1e-12)


def test_fbeta_by_hand(xpb: XP) -> None:
    p, y = _inputs(xpb)
    got = float(xpb.to_numpy(lx.any_loss(p, y, metric="fbeta", beta=2.0, L=1e4)))
    assert got == pytest.approx(1.0 - 5 * 2 / (5 * 2 + 4 * 1 + 1), abs=1e-12)


def test_multiclass_counts_by_hand(xpb: XP) -> None:
    probs = xpb.asarray([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.7, 0.2, 0.1]])
    target = xpb.asarray(np.array([0, 2, 1]))
    tp, fn, fp, tn = (xpb.to_numpy(c) for c in
                      lx.soft_confusion_matrix(probs, target, L=1e4, axis=1))
    np.testing.assert_array_equal(tp, [1, 0, 0])
    np.testing.assert_array_equal(fn, [0, 1, 1])
    np.testing.assert_array_equal(fp, [1, 1, 0])
    np.testing.assert_array_equal(tn, [1, 1, 2])
    none = xpb.to_numpy(lx.any_loss(probs, target, L=1e4, axis=1, reduction="none"))
    np.testing.assert_allclose(none, [1 - 2 / 3, 1.0, 1.0], atol=1e-12)
    micro = float(xpb.to_numpy(lx.any_loss(probs, target, L=1e4, axis=1, average="micro")))
    assert micro == pytest.approx(1 - 2 / 6, abs=1e-12)  # TP 1, FN 2, FP 2


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_dtype_in_is_dtype_out(xpb: XP, dtype: str) -> None:
    if dtype == "float16" and xpb.name != "numpy":
        pytest.skip("array-api-strict has no float16")
    p, y = _inputs(xpb, dtype)
    for metric in METRICS:
        out = lx.any_loss(p, y, metric=metric)
        assert out.dtype == xpb.dtype(dtype), (metric, out.dtype)
    for c in lx.soft_confusion_matrix(p, xpb.asarray(np.array([1, 0, 0, 1, 1]))):
        assert c.dtype == xpb.dtype(dtype)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("target", [0.0, 1.0])
def test_one_class_batch_is_finite(xpb: XP, metric: str, target: float) -> None:
    """A batch without positives (or without negatives): zero denominators score 0."""
    p = xpb.asarray([0.0, 1.0, 0.3, 0.7])
    y = xpb.asarray([target] * 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = float(xpb.to_numpy(lx.any_loss(p, y, metric=metric)))
    assert math.isfinite(got)
    assert 0.0 <= got <= 1.0


def test_empty_batch_scores_zero(xpb: XP) -> None:
    p = xpb.asarray(np.zeros((0, 3)))
    out = lx.any_loss(p, p, metric="f1")
    assert float(xpb.to_numpy(out)) == 1.0


def test_from_logits(xpb: XP) -> None:
    logits = np.log(np.array(P) / (1 - np.array(P)))
    a = lx.any_loss(xpb.asarray(logits), xpb.asarray(Y), from_logits=True)
    b = lx.any_loss(*_inputs(xpb))
    np.testing.assert_allclose(xpb.to_numpy(a), xpb.to_numpy(b), rtol=1e-12)


def test_errors(xpb: XP) -> None:
    p, y = _inputs(xpb)
    with pytest.raises(ValueError, match="metric"):
        lx.any_loss(p, y, metric="auc")
    with pytest.raises(ValueError, match="average"):
        lx.any_loss(p, y, average="weighted")
    with pytest.raises(ValueError, match="reduction"):
        lx.any_loss(p, y, reduction="max")
    for bad in (0.0, -1.0, math.nan):
        with pytest.raises(ValueError, match="L"):
            lx.soft_confusion_matrix(p, y, L=bad)
        with pytest.raises(ValueError, match="beta"):
            lx.any_loss(p, y, metric="fbeta", beta=bad)
    with pytest.raises(TypeError, match="from_logits"):
        lx.any_loss(p, y, from_logits=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="floating"):
        lx.any_loss(xpb.asarray(np.array([1, 0])), xpb.asarray(np.array([1, 0])))
    with pytest.raises(ValueError, match="probs"):
        lx.any_loss(xpb.asarray([1.5, 0.2]), xpb.asarray([1.0, 0.0]))
    with lx.value_checks("all"), pytest.raises(ValueError, match="target"):
        lx.any_loss(xpb.asarray([0.5, 0.2]), xpb.asarray([2.0, 0.0]))
    with pytest.raises(ValueError):
        lx.any_loss(p, xpb.asarray([1.0, 0.0]))  # shape mismatch
    probs = xpb.asarray([[0.8, 0.2], [0.3, 0.7]])
    with pytest.raises(TypeError):
        lx.any_loss(probs, xpb.asarray([1.0, 0.0]), axis=1)  # float class indices
    with pytest.raises(ValueError):
        lx.any_loss(probs, xpb.asarray(np.array([0, 2])), axis=1)  # index out of range
    with pytest.raises(ValueError, match="shape"):
        lx.any_loss(probs, xpb.asarray(np.array([0, 1, 1])), axis=1)
