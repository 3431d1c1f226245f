"""``losses_xp.torchmetrics``: torchmetrics metrics on the streaming states, against
losses_xp's own streaming states and torchmetrics' own metrics."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import torch
import torchmetrics.classification as tmc
from torchmetrics.utilities.data import dim_zero_sum

import losses_xp as lx
import losses_xp.torchmetrics as lxm
from losses_xp._adapters import class_name
from losses_xp.streaming import ConfusionMatrixState, HammingLossState, TopKAccuracyState

SPLITS = (0, 5, 5, 17, 40)  # uneven batches, one of them empty
GEN = torch.Generator().manual_seed(0)
PROBS = torch.rand(40, 4, generator=GEN, dtype=torch.float64)
LABELS = (torch.rand(40, 4, generator=GEN) < 0.4).long()
SCORES = torch.randn(40, 6, generator=GEN, dtype=torch.float64)
CLASSES = torch.randint(0, 6, (40,), generator=GEN)


def _stream(metric: Any, *arrays: torch.Tensor) -> Any:
    """The batches of SPLITS; torchmetrics' own metrics refuse the empty one (ours add
    nothing)."""
    ours = type(metric).__module__ == lxm.__name__
    for lo, hi in itertools.pairwise(SPLITS):
        if hi > lo or ours:
            metric.update(*(a[lo:hi] for a in arrays))
    return metric.compute()


def test_hamming_equals_ours_and_torchmetrics() -> None:
    ours = _stream(lxm.HammingLoss(), PROBS, LABELS)
    theirs = _stream(tmc.MultilabelHammingDistance(num_labels=4, average="micro"),
                     PROBS, LABELS)
    state = HammingLossState().update(PROBS, LABELS)
    assert float(ours) == pytest.approx(float(theirs), rel=1e-7)  # (theirs: float32)
    assert float(ours) == pytest.approx(float(state.compute()), rel=1e-15)
    assert float(ours) == pytest.approx(float(lx.hamming_loss(PROBS, LABELS)), rel=1e-15)
    assert lxm.HammingLoss.higher_is_better is False


@pytest.mark.parametrize("k", [1, 3])
def test_top_k_equals_ours_and_torchmetrics(k: int) -> None:
    ours = _stream(lxm.TopKAccuracy(k=k), SCORES, CLASSES)
    theirs = _stream(tmc.MulticlassAccuracy(num_classes=6, top_k=k, average="micro"),
                     SCORES, CLASSES)
    assert float(ours) == pytest.approx(float(theirs), rel=1e-7)
    assert float(ours) == float(TopKAccuracyState(k=k).update(SCORES, CLASSES).compute())
    assert lxm.TopKAccuracy.higher_is_better is True


def test_confusion_matrix_metric_equals_ours_and_torchmetrics() -> None:
    """Soft counts (L=5): 1 - any_loss of the whole stream; steep counts (L=1e4) of
    probabilities away from 0.5: torchmetrics' hard F1 scores."""
    p = PROBS[:, 0]
    y = LABELS[:, 0]
    ours = _stream(lxm.ConfusionMatrixMetric("mcc", L=5.0), p, y)
    assert float(ours) == pytest.approx(1 - float(lx.any_loss(p, y, metric="mcc", L=5.0)),
                                        rel=1e-12)
    away = torch.where((p - 0.5).abs() < 0.05, p + 0.1, p)
    hard = _stream(lxm.ConfusionMatrixMetric("f1", L=1e4), away, y)
    assert float(hard) == pytest.approx(float(_stream(tmc.BinaryF1Score(), away, y)),
                                        rel=1e-6)
    probs = torch.softmax(SCORES * 8, dim=1)  # most rows with one class above 0.5
    confident = probs.max(dim=1).values > 0.6
    probs, classes = probs[confident], CLASSES[confident]
    macro = lxm.ConfusionMatrixMetric("f1", num_classes=6, axis=-1, L=1e4)
    macro.update(probs, classes)
    theirs = tmc.MulticlassF1Score(num_classes=6, average="macro")(probs, classes)
    assert float(macro.compute()) == pytest.approx(float(theirs), rel=1e-6)
    state = ConfusionMatrixState(L=1e4, axis=-1).update(probs, classes)
    assert float(macro.compute()) == float(state.compute("f1"))


def test_states_are_summed_sums() -> None:
    """Every state is a sum (``dist_reduce_fx="sum"``): merging two metrics (what the
    DDP sync does) is the metric of both streams; reset, state_dict and dtype work."""
    m = lxm.ConfusionMatrixMetric("f1", num_classes=6, axis=-1, L=5.0)
    assert all(fx is dim_zero_sum for fx in m._reductions.values())
    assert set(m._defaults) == set(ConfusionMatrixState.SUMS)
    assert all(v.shape == (6,) for v in m._defaults.values())
    a = lxm.TopKAccuracy(k=2)
    b = lxm.TopKAccuracy(k=2)
    a.update(SCORES[:11], CLASSES[:11])
    b.update(SCORES[11:], CLASSES[11:])
    a.merge_state(b)
    whole = lxm.TopKAccuracy(k=2)
    whole.update(SCORES, CLASSES)
    assert float(a.compute()) == float(whole.compute())
    a.reset()
    assert float(a.hits) == 0.0
    assert float(a.count) == 0.0
    a.update(SCORES.float(), CLASSES)
    assert a.hits.dtype == torch.float32
    h = lxm.HammingLoss(threshold=0.0)
    w = torch.linspace(0.5, 1.0, 40, dtype=torch.float64)
    h.update(SCORES[:9] - 0.1, (SCORES[:9] > 0).long(), sample_weight=w[:9])
    h.update(SCORES[9:] - 0.1, (SCORES[9:] > 0).long(), sample_weight=w[9:])
    expected = lx.hamming_loss(SCORES - 0.1, (SCORES > 0).long(), threshold=0.0,
                               sample_weight=w)
    assert float(h.compute()) == pytest.approx(float(expected), rel=1e-15)
    assert float(expected) > 0
    with pytest.raises(ValueError, match="`num_classes` must be an int >= 1 with a class"):
        lxm.ConfusionMatrixMetric(axis=-1)


def test_class_names_follow_the_adapters_rule() -> None:
    assert lxm.HammingLoss.__name__ == class_name("hamming_loss")
    assert lxm.TopKAccuracy.__name__ == class_name("top_k_accuracy")

