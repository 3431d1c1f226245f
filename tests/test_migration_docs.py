"""The migration guides (docs/migration/) cover every loss each peer library shares with us.

``PEERS`` is the one place that says which of our functions each peer has, under which
names; the tests check that each page mentions both sides of every pair and that every
public function is on some page or, deliberately, in ``NO_PEER``.  Plain text checks:
nothing here imports the peer libraries.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import losses_xp as lx

MIGRATION = Path(__file__).resolve().parents[1] / "docs" / "migration"

# page -> {losses_xp function: the peer's names for it, as the page writes them}
PEERS: dict[str, dict[str, tuple[str, ...]]] = {
    "pytorch.md": {
        "mse_loss": ("F.mse_loss",),
        "l1_loss": ("F.l1_loss",),
        "mae_loss": ("F.l1_loss",),
        "huber_loss": ("F.huber_loss",),
        "smooth_l1_loss": ("F.smooth_l1_loss",),
        "binary_cross_entropy": ("F.binary_cross_entropy",),
        "binary_cross_entropy_with_logits": ("F.binary_cross_entropy_with_logits",),
        "cross_entropy": ("F.cross_entropy",),
        "nll_loss": ("F.nll_loss",),
        "sigmoid_focal_loss": ("torchvision.ops.sigmoid_focal_loss",),
    },
    "optax.md": {
        "mse_loss": ("optax.losses.squared_error", "optax.losses.l2_loss"),
        "huber_loss": ("optax.losses.huber_loss",),
        "log_cosh_loss": ("optax.losses.log_cosh",),
        "binary_cross_entropy_with_logits": ("optax.losses.sigmoid_binary_cross_entropy",),
        "cross_entropy": ("optax.losses.softmax_cross_entropy",
                          "optax.losses.softmax_cross_entropy_with_integer_labels",
                          "optax.losses.safe_softmax_cross_entropy", "optax.smooth_labels"),
        "sigmoid_focal_loss": ("optax.losses.sigmoid_focal_loss",),
    },
    "keras.md": {
        "mse_loss": ("keras.losses.MeanSquaredError", "keras.losses.mean_squared_error"),
        "l1_loss": ("keras.losses.MeanAbsoluteError", "keras.losses.mean_absolute_error"),
        "mae_loss": ("keras.losses.MeanAbsoluteError", "keras.losses.mean_absolute_error"),
        "huber_loss": ("keras.losses.Huber", "keras.losses.huber"),
        "log_cosh_loss": ("keras.losses.LogCosh", "keras.losses.log_cosh"),
        "rmse_loss": ("keras.metrics.RootMeanSquaredError",),
        "binary_cross_entropy": ("keras.losses.BinaryCrossentropy",
                                 "keras.losses.binary_crossentropy"),
        "binary_cross_entropy_with_logits": ("keras.losses.binary_crossentropy",),
        "categorical_cross_entropy": ("keras.losses.categorical_crossentropy",
                                      "keras.losses.sparse_categorical_crossentropy"),
        "cross_entropy": ("keras.losses.categorical_crossentropy",
                          "keras.losses.sparse_categorical_crossentropy",
                          "keras.losses.SparseCategoricalCrossentropy"),
        "sigmoid_focal_loss": ("keras.losses.BinaryFocalCrossentropy",
                               "keras.losses.binary_focal_crossentropy"),
        "softmax_focal_loss": ("keras.losses.CategoricalFocalCrossentropy",),
        "top_k_accuracy": ("keras.metrics.sparse_top_k_categorical_accuracy",
                           "keras.metrics.top_k_categorical_accuracy"),
        "hamming_loss": ("keras.metrics.BinaryAccuracy",),
        "any_loss": ("keras.metrics.F1Score", "keras.metrics.FBetaScore",
                     "keras.metrics.Precision", "keras.metrics.Recall"),
        "soft_confusion_matrix": ("keras.metrics.TruePositives", "keras.metrics.FalseNegatives",
                                  "keras.metrics.FalsePositives", "keras.metrics.TrueNegatives"),
    },
    "sklearn.md": {
        "mse_loss": ("metrics.mean_squared_error",),
        "rmse_loss": ("metrics.root_mean_squared_error",),
        "l1_loss": ("metrics.mean_absolute_error",),
        "mae_loss": ("metrics.mean_absolute_error",),
        "binary_cross_entropy": ("metrics.log_loss",),
        "categorical_cross_entropy": ("metrics.log_loss",),
        "hamming_loss": ("metrics.hamming_loss",),
        "top_k_accuracy": ("metrics.top_k_accuracy_score", "metrics.accuracy_score"),
        "any_loss": ("metrics.f1_score", "metrics.fbeta_score", "metrics.precision_score",
                     "recall_score", "balanced_accuracy_score", "matthews_corrcoef",
                     "jaccard_score"),
        "soft_confusion_matrix": ("metrics.confusion_matrix",
                                  "metrics.multilabel_confusion_matrix"),
    },
}

# Public functions that none of the four peers has (no page can map them):
NO_PEER = {
    "asymmetric_loss",  # ASL (Ridnik et al. 2021): no peer ships it
    "multilabel_categorical_crossentropy",  # ZLPR / bert4keras: no peer ships it
    "class_balanced_loss",  # Cui et al. 2019: no peer ships it
    "class_balanced_weights",  # effective-number weights; sklearn's "balanced" is n / (C n_c)
}

PUBLIC = {name for name in lx.__all__ if callable(getattr(lx, name))}


@pytest.mark.parametrize("page", sorted(PEERS))
def test_page_names_both_sides_of_every_pair(page: str) -> None:
    text = (MIGRATION / page).read_text(encoding="utf-8")
    for ours, theirs in PEERS[page].items():
        assert ours in lx.__all__, f"{page}: {ours} is not in losses_xp.__all__"
        assert re.search(rf"losses_xp\.{ours}\b", text), f"{page} never names losses_xp.{ours}"
        for name in theirs:
            assert name in text, f"{page} maps losses_xp.{ours} to {name} but never names it"


def test_every_public_function_is_mapped_or_has_no_peer() -> None:
    mapped = {name for pairs in PEERS.values() for name in pairs}
    assert NO_PEER <= PUBLIC, NO_PEER - PUBLIC
    assert not mapped & NO_PEER, mapped & NO_PEER
    assert sorted(PUBLIC - mapped - NO_PEER) == []


def test_index_lists_every_page() -> None:
    index = (MIGRATION / "index.md").read_text(encoding="utf-8")
    toctree = index.split("```{toctree}")[1].split("```")[0].splitlines()
    entries = [line.strip() for line in toctree if line.strip() and not line.startswith(":")]
    assert sorted(entries) == sorted(page.removesuffix(".md") for page in PEERS)
