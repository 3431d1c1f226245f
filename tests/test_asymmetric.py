"""Unit tests of the asymmetric loss, ``asymmetric_loss`` (NumPy and array-api-strict):
option validation, shapes, dtypes and the documented conventions."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from conftest import XP

import losses_xp as lx

X = np.array([[0.1, 0.9, 0.3], [0.8, 0.2, 0.6], [0.4, 0.5, 0.7]])
Y = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 1]])


def _skip_strict_half(xpb: XP, dtype: str) -> None:
    if dtype == "float16" and xpb.name != "numpy":
        pytest.skip("array-api-strict has no float16")


def test_asl_docstring_value_and_reductions(xpb: XP) -> None:
    x = xpb.asarray(np.array([[2.0, -1.0, 0.5]]))
    y = xpb.asarray(np.array([[1, 0, 0]]))
    total = float(xpb.to_numpy(lx.asymmetric_loss(x, y, reduction="sum")))
    assert round(total, 6) == 0.218749
    np.testing.assert_allclose(float(xpb.to_numpy(lx.asymmetric_loss(x, y))), total / 3,
                               rtol=1e-14)
    none = xpb.to_numpy(lx.asymmetric_loss(x, y, reduction="none"))
    assert none.shape == (1, 3)
    assert np.all(none >= 0)
    # the negative at p = sigmoid(-1) = 0.27 is shifted to 0.22 and weighted by 0.22^4
    p_m = 1 / (1 + math.exp(1.0)) - 0.05
    np.testing.assert_allclose(none[0, 1], -(p_m ** 4) * math.log(1 - p_m), rtol=1e-12)


def test_asl_is_bce_without_focusing_and_clip(xpb: XP) -> None:
    x, y = xpb.asarray(X * 3 - 1), xpb.asarray(Y)
    got = xpb.to_numpy(lx.asymmetric_loss(x, y, gamma_pos=0, gamma_neg=0, clip=0,
                                          reduction="none"))
    want = xpb.to_numpy(lx.binary_cross_entropy_with_logits(
        x, xpb.asarray(Y, "float64"), reduction="none"))
    np.testing.assert_allclose(got, want, rtol=1e-14)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_asl_eps_in_every_dtype(xpb: XP, dtype: str) -> None:
    """A positive at logit -100: -log(max(p, eps)) = -log(1e-8) in every dtype (half
    precision is computed in float32); a tiny eps is raised to the smallest normal."""
    _skip_strict_half(xpb, dtype)
    x = xpb.asarray(np.array([-100.0, 100.0]), dtype)
    y = xpb.asarray(np.array([1, 0]))
    out = lx.asymmetric_loss(x, y, clip=0.0, gamma_neg=0, reduction="none")
    assert str(out.dtype).endswith(dtype)
    np.testing.assert_allclose(xpb.to_numpy(out).astype(np.float64), -math.log(1e-8) * np.ones(2),
                               rtol=1e-2 if dtype == "float16" else 1e-6)
    tiny = lx.asymmetric_loss(x, y, clip=0.0, eps=1e-300, reduction="none")
    assert np.all(np.isfinite(xpb.to_numpy(tiny)))
    shifted = lx.asymmetric_loss(x, y, clip=1e-30, eps=1e-300, reduction="none")
    assert np.all(np.isfinite(xpb.to_numpy(shifted)))


@pytest.mark.parametrize(("kw", "exc", "match"), [
    ({"gamma_pos": -1}, ValueError, "gamma_pos"),
    ({"gamma_neg": "4"}, TypeError, "gamma_neg"),
    ({"clip": 1.5}, ValueError, "clip"),
    ({"clip": -0.1}, ValueError, "clip"),
    ({"eps": 0.0}, ValueError, "eps"),
    ({"eps": 2.0}, ValueError, "eps"),
    ({"detach_focusing": 1}, TypeError, "detach_focusing"),
    ({"reduction": "batchmean"}, ValueError, "reduction"),
])
def test_asl_bad_options(xpb2: XP, kw: dict[str, Any], exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        lx.asymmetric_loss(xpb2.asarray(X), xpb2.asarray(Y), **kw)


def test_asl_bad_inputs(xpb2: XP) -> None:
    with pytest.raises(TypeError, match="logits"):
        lx.asymmetric_loss(xpb2.asarray(Y), xpb2.asarray(Y))
    with pytest.raises(ValueError, match="same shape"):
        lx.asymmetric_loss(xpb2.asarray(X), xpb2.asarray(Y[0]))
    with lx.value_checks("all"), pytest.raises(ValueError, match="target"):
        lx.asymmetric_loss(xpb2.asarray(X), xpb2.asarray(-Y))
