"""Five ways to break ``weighted_tversky_loss``, one defect each, and what the kit says.

Each works on NumPy: its values equal the oracle's there.  docs/testing_your_loss.md
shows the kit's report of each; the defects are those the kit exists to catch.
"""

from __future__ import annotations

from typing import Any

import array_api_compat
import numpy as np
from weighted_tversky import tversky_of_probabilities, tversky_reference

from losses_xp.testing import declare, spec

# every variant is declared as the original is
KINDS: dict[str, Any] = {
    "prediction": "logits", "target": "binary", "unit": "sample", "growth": "bounded",
    "min_ndim": 2,
    "options": {"alpha": "non_negative", "beta": "non_negative", "weight": "element_weight"}}


def _probabilities(xp: Any, logits: Any) -> Any:
    x = xp.astype(logits, xp.float32) if xp.finfo(logits.dtype).bits < 32 else logits
    return xp.exp(-xp.logaddexp(xp.zeros_like(x), -x))


@declare(**KINDS)
def tversky_checks_its_target(logits: Any, target: Any, *, alpha: float = 0.3,
                              beta: float = 0.7, weight: Any = None,
                              reduction: str = "mean") -> Any:
    """A Python ``if`` on an array value: a host sync (and a computed Dask graph)."""
    xp = array_api_compat.array_namespace(logits, target)
    if xp.any(target > 1):
        raise ValueError("target must be in [0, 1]")
    loss = tversky_of_probabilities(xp, _probabilities(xp, logits), target, weight, alpha,
                                    beta, reduction)
    return xp.astype(loss, logits.dtype)


@declare(**KINDS)
def tversky_calls_numpy(logits: Any, target: Any, *, alpha: float = 0.3, beta: float = 0.7,
                        weight: Any = None, reduction: str = "mean") -> Any:
    """Written with NumPy's functions: a NumPy array comes back whatever came in."""
    x, t = np.asarray(logits), np.asarray(target)
    w = None if weight is None else np.asarray(weight)
    p = np.exp(-np.logaddexp(0.0, -x))
    return tversky_of_probabilities(np, p, t, w, alpha, beta, reduction)


@declare(**KINDS)
def tversky_in_float64(logits: Any, target: Any, *, alpha: float = 0.3, beta: float = 0.7,
                       weight: Any = None, reduction: str = "mean") -> Any:
    """Computed in float64 "for accuracy", and returned so: the dtype is upcast."""
    xp = array_api_compat.array_namespace(logits, target)
    p = _probabilities(xp, xp.astype(logits, xp.float64))
    return tversky_of_probabilities(xp, p, target, weight, alpha, beta, reduction)


@declare(**KINDS)
def tversky_naive_sigmoid(logits: Any, target: Any, *, alpha: float = 0.3,
                          beta: float = 0.7, weight: Any = None,
                          reduction: str = "mean") -> Any:
    """``1 / (1 + exp(-x))``: exp overflows at large negative logits; the value survives
    (1 / inf = 0), its gradient (inf / inf) does not."""
    xp = array_api_compat.array_namespace(logits, target)
    x = xp.astype(logits, xp.float32) if xp.finfo(logits.dtype).bits < 32 else logits
    p = 1 / (1 + xp.exp(-x))
    loss = tversky_of_probabilities(xp, p, target, weight, alpha, beta, reduction)
    return xp.astype(loss, logits.dtype)


@declare(**KINDS)
def tversky_drops_nan_samples(logits: Any, target: Any, *, alpha: float = 0.3,
                              beta: float = 0.7, weight: Any = None,
                              reduction: str = "mean") -> Any:
    """NaN losses left out of the mean by a boolean mask: a shape that depends on the
    values (not lazy on Dask, not traceable by jax.jit), though no value changes here."""
    xp = array_api_compat.array_namespace(logits, target)
    loss = tversky_of_probabilities(xp, _probabilities(xp, logits), target, weight, alpha,
                                    beta, "none")
    loss = loss[~xp.isnan(loss)]
    if reduction == "sum":
        loss = xp.sum(loss)
    elif reduction == "mean":
        loss = xp.mean(loss)
    return xp.astype(loss, logits.dtype)


SPECS = {fn.__name__: spec(fn, torch_expr=tversky_reference, reference="the definition")
         for fn in (tversky_checks_its_target, tversky_calls_numpy, tversky_in_float64,
                    tversky_naive_sigmoid, tversky_drops_nan_samples)}
