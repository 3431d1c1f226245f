"""Shared fixtures of the unit tests.

The unit tests run on NumPy and array-api-strict only (the nox ``tests`` session installs
nothing else), so nothing here imports torch, jax, dask or cupy.  array-api-strict runs in
its strict mode (no boolean indexing, no data-dependent shapes) and also on its second
device ``device1``, so that a loss that creates an array on the default device is caught.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import array_api_strict
import numpy as np
import pytest
from hypothesis import settings

from losses_xp._declare import Declaration, declarations
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
# The public losses with the (prediction, target, *, options, reduction) convention, grouped
# by the kind of inputs they take, derived from their declarations (``losses_xp._declare``),
# so a new loss is covered by the convention tests as soon as it is declared.

@dataclass(frozen=True)
class Loss:
    name: str
    fn: Callable[..., Any]
    kind: str  # "regression", "probs", "logits", "domain" (real values bounded below:
    # means, log1p arguments), "multilabel", "multiclass", "nll", "categorical";
    # distributions along the last axis: "kl", "js", "distill"; scores and -1/+1 labels:
    # "sign"; "embeddings" (two floating rows along the last axis); lists of scores and
    # graded relevance along the last axis: "ranking"
    pred_name: str
    decl: Declaration

    @property
    def elementwise(self) -> bool:
        return self.kind in ("regression", "probs", "logits", "domain", "sign")

    @property
    def multiclass(self) -> bool:
        return self.kind in ("multiclass", "nll", "categorical")

    @property
    def reductions(self) -> tuple[str, ...]:
        return self.decl.reductions

    def options(self, c: int = 3) -> dict[str, object]:
        """A non-default value for every option of a kind that takes one here (weights
        as Python lists, for ``c`` classes or trailing elements)."""
        out: dict[str, object] = {}
        for name, kind in self.decl.options.items():
            value = OPTION_VALUES.get(kind) if isinstance(kind, str) else None
            if callable(value):
                value = value(c)
            if value is not None:
                out[name] = value
        return out

    def __str__(self) -> str:
        return self.name


#: an option value of each kind for :meth:`Loss.options` (a callable: of the class count)
OPTION_VALUES: dict[str, object] = {
    "element_weight": lambda c: [0.5, 1.5, 1.0, 2.0][:c],
    "class_weight": lambda c: [0.5, 1.5, 1.0, 2.0][:c],
    "pos_weight": lambda c: [2.0, 1.0, 0.5, 1.5][:c],
    "class_alpha": lambda c: [0.25, 0.5, 0.75, 0.4][:c],
    "smoothing": 0.1, "positive": 0.5, "non_negative": 0.5, "gamma": 2.0, "alpha": 0.25,
    "unit": 0.05, "eps": 1e-8, "poly_epsilon": -0.5, "real": -0.5,
}


def _kind(decl: Declaration) -> str | None:
    """The input kind of a conventional loss (``None``: its conventions are tested with
    its family, e.g. a positional option, no reduction, a per-sample 0/1 target)."""
    if not decl.takes_reduction or "counts" in decl.options.values() or decl.inputs:
        return None  # (further positional inputs, a variance: tested with the family)
    if decl.unit in ("image", "kept_image"):
        return None  # (one value per image or per batch, segmentation: conformance)
    if decl.class_axis == "none" and decl.target in ("positive", "non_negative",
                                                     "above_minus_one"):
        return "domain"
    if decl.class_axis == "none" and decl.target == "sign" and decl.prediction == "logits":
        return "sign"  # scores and labels -1 / +1
    if decl.class_axis == "none" and decl.target in ("real", "nonzero", "binary"):
        return {"regression": "regression", "probs": "probs", "logits": "logits",
                "log_rates_or_rates": "regression"}.get(decl.prediction)
    if decl.class_axis == "axis" and (decl.prediction, decl.target) == ("logits", "binary"):
        return "multilabel"  # 0/1 labels of the logits' shape, one value per sample
    if decl.class_axis == "axis" and decl.target in ("index", "index_or_probs"):
        return {"logits": "multiclass", "log_probs": "nll",
                "class_probs": "categorical"}.get(decl.prediction)
    if decl.class_axis == "axis" and decl.target in ("class_probs_or_log_probs",
                                                     "class_probs_or_logits", "logits"):
        # a distribution along the axis (or its logits) of the prediction's shape
        return {"log_probs": "kl", "class_probs_or_logits": "js",
                "logits": "distill"}.get(decl.prediction)
    if decl.class_axis == "axis" and (decl.prediction, decl.target) == ("embeddings",
                                                                        "embeddings"):
        return "embeddings"  # two rows of real vectors along the axis, both floating
    if decl.class_axis == "axis" and decl.target == "relevance":
        return "ranking"  # scores and graded relevance along the axis, one value per list
    return None


def _losses() -> list[Loss]:
    out = []
    for decl in declarations().values():
        kind = _kind(decl)
        if kind is None:
            continue
        pred = next(iter(inspect.signature(decl.fn).parameters))
        out += [Loss(name, decl.fn, kind, pred, decl) for name in (decl.name, *decl.aliases)]
    return out


LOSSES = _losses()
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
    if loss.kind == "domain":  # inside every domain: > 0, > -1
        return rng.uniform(0.5, 3.0, size=(n, c)), rng.uniform(0.5, 3.0, size=(n, c))
    if loss.kind == "logits":
        return rng.normal(size=(n, c)) * 3, rng.uniform(size=(n, c))
    if loss.kind == "multilabel":
        return rng.normal(size=(n, c)) * 3, rng.integers(0, 2, size=(n, c)).astype(float)
    if loss.kind == "sign":
        return rng.normal(size=(n, c)) * 3, rng.choice([-1.0, 1.0], size=(n, c))
    if loss.kind == "embeddings":  # real rows along the last axis
        return rng.normal(size=(n, c)), rng.normal(size=(n, c))
    if loss.kind in ("kl", "js", "distill"):  # rows of (log-)probabilities, or logits
        x, y = rng.normal(size=(n, c)), rng.normal(size=(n, c))
        if loss.kind == "distill":
            return x, y
        p = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
        q = np.exp(y) / np.exp(y).sum(-1, keepdims=True)
        return (np.log(p) if loss.kind == "kl" else p), q
    if loss.kind == "ranking":  # distinct grades 0..c-1 (as floats): every list ranks
        # something, so the mean is the mean of the lists (ties: conformance/specs_ranking)
        grades = np.argsort(rng.uniform(size=(n, c)), axis=-1).astype(float)
        return rng.normal(size=(n, c)) * 3, grades
    x = rng.normal(size=(n, c))
    y = rng.integers(0, c, size=n)
    if loss.kind == "nll":
        x = x - np.log(np.exp(x).sum(-1, keepdims=True))
    elif loss.kind == "categorical":
        x = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    return x, y


@pytest.fixture(scope="session")
def noxfile() -> Any:
    """The repository's noxfile, imported without its side effects on PATH and ``UV_*``
    (``LOSSES_XP_NOX_ENV=0``); its sessions are then in ``nox.registry``."""
    import importlib.util
    import os
    from pathlib import Path

    pytest.importorskip("nox", reason="nox is not installed here (the tests sessions on "
                        "Python >= 3.11 install it: constraints/ci.txt pins nox's "
                        "dependencies for 3.11+)")
    os.environ["LOSSES_XP_NOX_ENV"] = "0"
    try:
        path = Path(__file__).resolve().parent.parent / "noxfile.py"
        spec = importlib.util.spec_from_file_location("losses_xp_noxfile", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        del os.environ["LOSSES_XP_NOX_ENV"]
    return module
