"""Shared fixtures of the unit tests.

The unit tests run on NumPy and array-api-strict only (the nox ``tests`` session installs
nothing else), so nothing here imports torch, jax, dask or cupy.  array-api-strict runs in
its strict mode (no boolean indexing, no data-dependent shapes) and also on its second
device ``device1``, so that a loss that creates an array on the default device is caught.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import array_api_strict
import numpy as np
import pytest
from hypothesis import settings

import losses_xp as lx
from losses_xp._testing.backends import Backend, get_backend

STRICT_FLAGS = {"boolean_indexing": False, "data_dependent_shapes": False}

# The unit tests' Hypothesis runs are reproducible: derandomized (every run draws the same
# examples, whatever the machine), no example database, no deadline; loaded unless
# ``--hypothesis-profile`` names another (hypothesis's own default profile searches from
# a random seed and replays what it keeps in .hypothesis/).
HYPOTHESIS_PROFILE = "unit-ci"
settings.register_profile(HYPOTHESIS_PROFILE, derandomize=True, database=None, deadline=None)


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("--hypothesis-profile", default=None):
        settings.load_profile(HYPOTHESIS_PROFILE)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"hypothesis profile {settings.get_current_profile_name()!r} (derandomize="
            f"{settings.default.derandomize})"]


#: the backend objects of the unit tests: the one backend abstraction of the project
#: (``losses_xp._testing.backends.Backend``, which the conformance suite and
#: ``python -m losses_xp check`` use too), here for NumPy and array-api-strict only
XP = Backend

XPS = {
    "numpy": lambda: get_backend("numpy"),
    "array_api_strict": lambda: get_backend("array_api_strict"),
    "array_api_strict[device1]": lambda: get_backend("array_api_strict", "device1"),
}


@pytest.fixture(autouse=True)
def _strict_mode() -> Iterator[None]:
    """Every test runs with array-api-strict's strict flags (restored afterwards)."""
    with array_api_strict.ArrayAPIStrictFlags(**STRICT_FLAGS):
        yield


@pytest.fixture(params=list(XPS))
def xpb(request: pytest.FixtureRequest) -> XP:
    """Each test library: NumPy, array-api-strict, array-api-strict on ``device1``."""
    return XPS[request.param]()


@pytest.fixture(params=["numpy", "array_api_strict"])
def xpb2(request: pytest.FixtureRequest) -> XP:
    """NumPy and array-api-strict on its default device (for the error-path tests)."""
    return XPS[request.param]()


# ---------------------------------------------------------------------------------------------
# The public losses, grouped by the kind of inputs they take.  A test asserts that this covers
# every name in ``losses_xp.__all__``, so a new loss cannot skip the convention tests.

@dataclass(frozen=True)
class Loss:
    name: str
    fn: Callable[..., Any]
    kind: str  # "regression", "probs", "logits", "multiclass", "nll", "categorical"
    pred_name: str

    @property
    def elementwise(self) -> bool:
        return self.kind in ("regression", "probs", "logits")

    @property
    def multiclass(self) -> bool:
        return self.kind in ("multiclass", "nll", "categorical")

    @property
    def reductions(self) -> tuple[str, ...]:
        return ("mean",) if self.name == "rmse_loss" else ("none", "mean", "sum")

    def __str__(self) -> str:
        return self.name


LOSSES = [
    Loss("mse_loss", lx.mse_loss, "regression", "prediction"),
    Loss("rmse_loss", lx.rmse_loss, "regression", "prediction"),
    Loss("l1_loss", lx.l1_loss, "regression", "prediction"),
    Loss("mae_loss", lx.mae_loss, "regression", "prediction"),
    Loss("huber_loss", lx.huber_loss, "regression", "prediction"),
    Loss("smooth_l1_loss", lx.smooth_l1_loss, "regression", "prediction"),
    Loss("log_cosh_loss", lx.log_cosh_loss, "regression", "prediction"),
    Loss("binary_cross_entropy", lx.binary_cross_entropy, "probs", "probs"),
    Loss("binary_cross_entropy_with_logits", lx.binary_cross_entropy_with_logits, "logits",
         "logits"),
    Loss("cross_entropy", lx.cross_entropy, "multiclass", "logits"),
    Loss("nll_loss", lx.nll_loss, "nll", "log_probs"),
    Loss("categorical_cross_entropy", lx.categorical_cross_entropy, "categorical", "probs"),
    Loss("sigmoid_focal_loss", lx.sigmoid_focal_loss, "logits", "logits"),
    Loss("softmax_focal_loss", lx.softmax_focal_loss, "multiclass", "logits"),
]

#: public functions whose signature does not fit the (prediction, target, reduction)
#: convention tests above, and the unit tests that check their conventions instead
COVERED_ELSEWHERE = {
    "asymmetric_loss": "tests/test_focal.py (no element `weight`, as in the paper's API)",
    "multilabel_categorical_crossentropy": "tests/test_multilabel.py",
    "class_balanced_loss": "tests/test_multilabel.py (takes samples_per_class third)",
    "class_balanced_weights": "tests/test_multilabel.py (takes class counts only)",
    "hamming_loss": "tests/test_multilabel.py (a metric: no reduction)",
    "top_k_accuracy": "tests/test_multilabel.py (a metric of class indices)",
    "soft_confusion_matrix": "tests/test_anyloss.py (returns four counts, no reduction)",
    "any_loss": "tests/test_anyloss.py (probabilities or logits with metric options)",
}
BY_NAME = {loss.name: loss for loss in LOSSES}
ELEMENTWISE = [loss for loss in LOSSES if loss.elementwise]
MULTICLASS = [loss for loss in LOSSES if loss.multiclass]


def loss_params(losses: list[Loss]) -> list[Any]:
    return [pytest.param(loss, id=loss.name) for loss in losses]


def valid_inputs(loss: Loss, n: int = 4, c: int = 3,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A valid ``(prediction, target)`` pair of NumPy float64/int64 arrays for ``loss``.

    Element-wise losses get shape ``(n, c)``; multi-class losses get ``(n, c)`` predictions
    and ``(n,)`` integer class indices.
    """
    rng = np.random.default_rng(seed)
    if loss.kind == "regression":
        return rng.normal(size=(n, c)), rng.normal(size=(n, c))
    if loss.kind == "probs":
        return rng.uniform(0.05, 0.95, size=(n, c)), rng.uniform(size=(n, c))
    if loss.kind == "logits":
        return rng.normal(size=(n, c)) * 3, rng.uniform(size=(n, c))
    x = rng.normal(size=(n, c))
    y = rng.integers(0, c, size=n)
    if loss.kind == "nll":
        x = x - np.log(np.exp(x).sum(-1, keepdims=True))
    elif loss.kind == "categorical":
        x = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    return x, y
