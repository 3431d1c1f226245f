"""The values published in the issue and in the docstrings, on every backend.

* ``binary_cross_entropy_with_logits(x=1e4, y=0.3) == 7000`` exactly (float32, float64);
* ``x = -20, y = 0`` gives ``log1p(exp(-20)) = 2.0611536181902037e-09`` (relative 1e-6;
  float16 cannot represent it: float32 and float64 only);
* ``log_cosh_loss`` of an error of ±1e4 is ``1e4 - log 2`` with gradient ±1;
* ``smooth_l1_loss(beta=0)`` equals ``l1_loss`` and has a finite gradient at 0;
* ``cross_entropy`` with every target ignored: ``mean`` NaN, ``sum`` 0, ``none`` zeros;
* ``-inf`` logits whose target probability is 0 contribute 0, not NaN: the loss equals
  PyTorch's cross-entropy restricted to the finite classes (PyTorch itself gives NaN).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._testing.backends import Backend
from losses_xp._testing.cases import quantize

from .registry import TOLERANCES

FULL = ("float32", "float64")
NO_AUTODIFF = "{name} has no autodiff: gradients are checked on torch and jax"


def _full(bk: Backend) -> list[str]:
    return [d for d in FULL if d in bk.dtypes]


def _need_autodiff(bk: Backend) -> None:
    if not bk.autodiff:
        pytest.skip(NO_AUTODIFF.format(name=bk.name))


def _lazy(bk: Backend, fn: Any, *args: Any, **kw: Any) -> Any:
    with bk.forbid_compute():
        return fn(*args, **kw)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_bce_with_logits_1e4_is_7000_exactly(bk: Backend, reduction: str) -> None:
    for dtype in _full(bk):
        for shape in [(), (1,)]:
            x = bk.asarray(np.full(shape, 1e4), dtype)
            y = bk.asarray(np.full(shape, 0.3), dtype)
            out = _lazy(bk, lx.binary_cross_entropy_with_logits, x, y, reduction=reduction)
            assert bk.dtype_name(out) == dtype
            got = bk.to_numpy(out)
            if dtype == "float32":  # exactly, as published
                assert np.all(got == 7000.0), got
            else:  # (1 - 0.3) · 1e4 in float64 rounding
                np.testing.assert_allclose(got, 7000.0, rtol=1e-15, atol=0)


def test_bce_with_logits_tail_is_exact(bk: Backend) -> None:
    want = math.log1p(math.exp(-20.0))  # 2.0611536181902037e-09
    for dtype in _full(bk):
        x = bk.asarray(np.array([-20.0]), dtype)
        y = bk.asarray(np.array([0.0]), dtype)
        got = bk.to_numpy(_lazy(bk, lx.binary_cross_entropy_with_logits, x, y,
                                reduction="none"))
        np.testing.assert_allclose(got, [want], rtol=1e-6, atol=0, err_msg=dtype)
        # and the mirrored tail: x = 20, y = 1
        got = bk.to_numpy(_lazy(bk, lx.binary_cross_entropy_with_logits, -x,
                                bk.asarray(np.array([1.0]), dtype), reduction="sum"))
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=0, err_msg=dtype)


def _log_cosh_inputs(bk: Backend, dtype: str) -> tuple[Any, Any]:
    return (bk.asarray(np.array([1e4, -1e4, 3e4]), dtype),
            bk.asarray(np.array([0.0, 0.0, 2e4]), dtype))


def test_log_cosh_of_1e4_is_finite(bk: Backend) -> None:
    for dtype in _full(bk):
        p, t = _log_cosh_inputs(bk, dtype)
        got = bk.to_numpy(_lazy(bk, lx.log_cosh_loss, p, t, reduction="none"))
        np.testing.assert_allclose(got, np.full(3, 1e4 - math.log(2.0)),
                                   rtol=TOLERANCES[dtype].rtol, err_msg=dtype)


def test_log_cosh_of_1e4_has_gradient_pm1(bk: Backend) -> None:
    _need_autodiff(bk)
    for dtype in _full(bk):
        p, t = _log_cosh_inputs(bk, dtype)
        value, (g,) = bk.value_and_grad(lambda a, b: lx.log_cosh_loss(a, b, reduction="sum"),
                                        [p, t], [0])
        assert np.isfinite(value)
        np.testing.assert_array_equal(g, [1.0, -1.0, 1.0], err_msg=dtype)


def _smooth_l1_inputs(bk: Backend, dtype: str) -> tuple[Any, Any]:
    rng = np.random.default_rng(3)
    p = rng.normal(size=(4, 6))
    t = p.copy()
    t[:, ::2] += rng.normal(size=(4, 3))  # half of the errors are exactly 0
    return bk.asarray(p, dtype), bk.asarray(t, dtype)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_smooth_l1_beta_0_is_l1(bk: Backend, reduction: str) -> None:
    for dtype in bk.dtypes:
        p, t = _smooth_l1_inputs(bk, dtype)
        got = bk.to_numpy(_lazy(bk, lx.smooth_l1_loss, p, t, beta=0.0, reduction=reduction))
        want = bk.to_numpy(_lazy(bk, lx.l1_loss, p, t, reduction=reduction))
        np.testing.assert_array_equal(got, want, err_msg=dtype)


def test_smooth_l1_beta_0_gradient_is_finite_at_0(bk: Backend) -> None:
    _need_autodiff(bk)
    for dtype in bk.dtypes:
        p, t = _smooth_l1_inputs(bk, dtype)
        _, (g,) = bk.value_and_grad(
            lambda a, b: lx.smooth_l1_loss(a, b, beta=0.0, reduction="sum"), [p, t], [0])
        assert np.all(np.isfinite(g)), (dtype, g)
        # away from 0 it is the sign of the error
        e = bk.to_numpy(p) - bk.to_numpy(t)
        np.testing.assert_array_equal(g[e != 0], np.sign(e[e != 0]), err_msg=dtype)


@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weight"])
def test_cross_entropy_all_ignored(bk: Backend, weighted: bool) -> None:
    rng = np.random.default_rng(4)
    for dtype in bk.dtypes:
        x = bk.asarray(rng.normal(size=(3, 4)), dtype)
        y = bk.asarray(np.full((3,), -100, dtype=np.int64))
        kw: dict[str, Any] = {"weight": [1.0, 2.0, 3.0, 4.0]} if weighted else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy reports the 0/0
            mean = bk.to_numpy(_lazy(bk, lx.cross_entropy, x, y, reduction="mean", **kw))
            total = bk.to_numpy(_lazy(bk, lx.cross_entropy, x, y, reduction="sum", **kw))
            none = bk.to_numpy(_lazy(bk, lx.cross_entropy, x, y, reduction="none", **kw))
        assert np.isnan(mean), (dtype, mean)
        assert total == 0.0, (dtype, total)
        np.testing.assert_array_equal(none, np.zeros(3), err_msg=dtype)


_NEG_INF_X = np.array([[-np.inf, 1.0, 2.0], [0.5, -np.inf, -np.inf], [-np.inf, 0.0, 3.0]])
_NEG_INF_T = np.array([[0.0, 0.4, 0.6], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def _neg_inf_expected(dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's cross-entropy on each row's finite classes (value and gradient)."""
    import torch

    x = quantize(_NEG_INF_X, dtype)
    t = quantize(_NEG_INF_T, dtype)
    values, grads = [], np.zeros_like(x)
    for i in range(x.shape[0]):
        keep = np.isfinite(x[i])
        xi = torch.tensor(x[i][keep], dtype=torch.float64, requires_grad=True)
        loss = torch.nn.functional.cross_entropy(xi, torch.tensor(t[i][keep]))
        (g,) = torch.autograd.grad(loss, xi)
        values.append(loss.item())
        grads[i][keep] = g.numpy()
    return np.array(values), grads


def test_neg_inf_logits_with_zero_target_contribute_zero(bk: Backend) -> None:
    for dtype in bk.dtypes:
        want, _ = _neg_inf_expected(dtype)
        x, t = bk.asarray(_NEG_INF_X, dtype), bk.asarray(_NEG_INF_T, dtype)
        got = bk.to_numpy(_lazy(bk, lx.cross_entropy, x, t, reduction="none"))
        assert np.all(np.isfinite(got)), (dtype, got)
        assert got[1] == 0.0, (dtype, got)
        tol = TOLERANCES[dtype]
        np.testing.assert_allclose(got, want, rtol=tol.rtol, atol=tol.atol, err_msg=dtype)


def test_neg_inf_logits_gradient(bk: Backend) -> None:
    _need_autodiff(bk)
    for dtype in bk.dtypes:
        _, want = _neg_inf_expected(dtype)
        x, t = bk.asarray(_NEG_INF_X, dtype), bk.asarray(_NEG_INF_T, dtype)
        value, (g,) = bk.value_and_grad(
            lambda a, b: lx.cross_entropy(a, b, reduction="sum"), [x, t], [0])
        assert np.isfinite(value)
        tol = TOLERANCES[dtype]
        np.testing.assert_allclose(g, want, rtol=tol.rtol, atol=tol.atol, err_msg=dtype)
