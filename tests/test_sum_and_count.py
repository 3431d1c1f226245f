"""``reduction="sum_and_count"``: the two parts of ``mean``, and where a loss has none.

conformance/test_values.py checks on every backend and every value case that
``total`` is ``sum``'s result and ``total / count`` is ``mean``, and on NumPy that the
parts of two shards of a batch add up to the whole batch's mean.  Here: the refusals of
the losses of a pooled batch (their messages say what to do instead), the dtypes, and
the empty batch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import losses_xp as lx

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((6, 4))
LABELS = np.array([0, 3, -100, 1, 2, -100])


def test_parts_of_a_weighted_mean_with_ignored_targets() -> None:
    w = np.array([0.5, 1.0, 2.0, 4.0])
    total, count = lx.cross_entropy(LOGITS, LABELS, weight=w, reduction="sum_and_count")
    # the weights of the kept targets: 0.5 + 4 + 1 + 2
    assert float(count) == 7.5
    assert float(total) == pytest.approx(float(lx.cross_entropy(LOGITS, LABELS, weight=w,
                                                                  reduction="sum")))
    # the mean of the two halves' means is not the mean (why the parts exist)
    halves = [lx.cross_entropy(LOGITS[s], LABELS[s], weight=w) for s in (slice(0, 2),
                                                                            slice(2, None))]
    whole = float(lx.cross_entropy(LOGITS, LABELS, weight=w))
    assert abs(float(np.mean(halves)) - whole) > 1e-3
    parts = [lx.cross_entropy(LOGITS[s], LABELS[s], weight=w, reduction="sum_and_count")
             for s in (slice(0, 2), slice(2, None))]
    assert sum(float(t) for t, _ in parts) / sum(float(c) for _, c in parts) == (
        pytest.approx(whole, rel=1e-12))


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_total_in_the_input_dtype_count_in_the_compute_dtype(dtype: type) -> None:
    """float16 in: the total is float16 (``sum``'s dtype), the count float32 (70,000
    elements are not a float16 integer)."""
    x = np.zeros(70_000, dtype=dtype)
    total, count = lx.mse_loss(x, x, reduction="sum_and_count")
    assert total.dtype == dtype
    assert count.dtype == np.float32
    assert float(count) == 70_000


def test_an_empty_batch_has_zero_parts() -> None:
    total, count = lx.cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=np.int64),
                                    reduction="sum_and_count")
    assert (float(total), float(count)) == (0.0, 0.0)


@pytest.mark.parametrize(("call", "words"), [
    (lambda r: lx.rmse_loss(np.ones(3), np.zeros(3), reduction=r), "mse_loss(..., reduction"),
    (lambda r: lx.any_loss(np.full(3, 0.5), np.array([0, 1, 1]), reduction=r),
     "accumulate the counts"),
    (lambda r: lx.dice_loss(LOGITS, np.array([0, 1, 2, 3, 0, 1]), per_sample=False,
                            reduction=r), "per_sample=True"),
    (lambda r: lx.lovasz_hinge_loss(LOGITS, LOGITS > 0, per_sample=False, reduction=r),
     "per_sample=True"),
])
def test_a_loss_of_the_pooled_batch_has_no_parts(call: Callable[[str], object],
                                                 words: str) -> None:
    with pytest.raises(ValueError, match="sum_and_count") as info:
        call("sum_and_count")
    assert words in str(info.value)
    call("mean")  # (the same call with the mean works)


def test_ctc_parts_are_those_of_pytorchs_mean() -> None:
    """CTC's mean divides each sequence by its target length first: the total is the sum
    of those, the count the number of sequences."""
    logp = np.log(np.full((2, 5, 3), 1.0 / 3.0))
    targets = np.array([[1, 2], [1, 0]])
    lengths = (np.array([5, 5]), np.array([2, 1]))
    total, count = lx.ctc_loss(logp, targets, *lengths, reduction="sum_and_count")
    per = lx.ctc_loss(logp, targets, *lengths, reduction="none")
    assert float(count) == 2
    assert float(total) == pytest.approx(float(per[0] / 2 + per[1] / 1))
    assert float(total / count) == pytest.approx(float(lx.ctc_loss(logp, targets, *lengths)))
