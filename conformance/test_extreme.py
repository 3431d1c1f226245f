"""Extreme inputs: finite values (and the oracle's value where the oracle is exact
there), finite gradients on autodiff backends (JAX: under ``jax.jit``, as in
test_gradients.py): the kit's ``extremes`` and ``extreme_grad`` checks on the catalogue;
and the fuzzer's findings that hold for every loss of a kind."""

from __future__ import annotations

import numpy as np
import pytest

from losses_xp._declare import Declaration, declarations
from losses_xp._testing.backends import Backend
from losses_xp.testing._checks import CHECKS
from losses_xp.testing._run import run_cell

from .helpers import Combo


@pytest.mark.matrix(check="extremes")
def test_extreme_value_is_finite(combo: Combo) -> None:
    run_cell(CHECKS["extremes"], combo)


@pytest.mark.matrix(check="extreme_grad")
def test_extreme_gradient_is_finite(combo: Combo) -> None:
    run_cell(CHECKS["extreme_grad"], combo)


# --------------------------------------------------------------------------- fuzzer findings
# Inputs on which test_properties.py (hypothesis) found a bug, each fixed at its root, run
# on every backend and device.  The findings of one loss are pinned values of its spec
# entry (``specs_*.py``, run by test_pinned.py); the ones that hold for every loss of a
# kind are here, derived from the declarations.

_INDEX = [d for d in declarations().values() if d.target in ("index", "index_or_probs",
                                                              "binary_or_index")]


def _index_call(bk: Backend, decl: Declaration, target_dtype: type) -> np.ndarray:
    """The loss of a 2x3 batch (the prediction of its kind) and class indices [2, 0]."""
    x = np.array([[1.0, -0.5, 2.0], [0.3, 0.2, -1.0]])
    if decl.prediction in ("class_probs", "probs_or_logits"):
        x = np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)
    elif decl.prediction == "log_probs":
        x = x - np.log(np.sum(np.exp(x), axis=-1, keepdims=True))
    kw: dict[str, object] = {k: [3, 1, 4] for k, kind in decl.options.items()
                             if kind == "counts"}
    if decl.class_axis == "optional":
        kw["axis"] = -1
    out = decl.call(bk.asarray(x, "float32"), bk.asarray(np.array([2, 0], target_dtype)),
                    reduction="none", **kw)
    return np.stack([bk.to_numpy(o) for o in out]) if decl.tuple_output else bk.to_numpy(out)


@pytest.mark.backend_paths
@pytest.mark.parametrize("decl", _INDEX, ids=[d.name for d in _INDEX])
def test_regression_int32_class_indices(bk: Backend, decl: Declaration) -> None:
    """PyTorch's take_along_dim takes int64 indices only: an int32 target raised a
    RuntimeError in the losses that gather at the target (class indices of any integer
    dtype are documented)."""
    np.testing.assert_array_equal(_index_call(bk, decl, np.int32),
                                  _index_call(bk, decl, np.int64))
