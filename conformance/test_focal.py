"""Published values and properties of the focal family, on every backend.

* ``sigmoid_focal_loss(alpha=None, gamma=2)`` on the issue's 3×3 example is 0.1430;
* loss, gradient and second derivative of both focal losses are finite for logits of
  ±100 and ±1e4 and γ ∈ {0.0, 0.5, 1, 2} (the torchvision formula's gradient is NaN
  there for γ = 0.5: shown on PyTorch);
* the RetinaNet recipe (``weight`` = kept anchors, ``sum`` / max(1, #positive anchors))
  equals keras-retinanet's ``focal`` written with boolean indexing in PyTorch, value
  and gradient;
* ``softmax_focal_loss(gamma=0)`` is ``cross_entropy`` exactly (value and gradient),
  and its factor is applied per sample, not to the batch-mean cross-entropy;
* ``asymmetric_loss(reduction="sum")`` equals the official ``AsymmetricLoss``, and its
  ``detach_focusing`` gradient equals the official ``disable_torch_grad_focal_loss``
  gradient (and differs from the full one);
* ``asymmetric_loss`` is finite and >= 0 at logits ±100 with clip 0 and 0.05 in every
  dtype (float16 included: ``eps`` = 1e-8 does not underflow, the clamp gives
  ``-log(1e-8)``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._testing.backends import Backend
from losses_xp._testing.inputs import quantize

from .registry import TOLERANCES
from .specs_focal import official_asl, torchvision_sigmoid_focal

FULL = ("float32", "float64")
_EPS = {"float16": 2**-10, "bfloat16": 2**-7, "float32": 2**-23, "float64": 2**-52}
GAMMAS = (0.0, 0.5, 1, 2)


def _full(bk: Backend) -> list[str]:
    return [d for d in FULL if d in bk.dtypes]


def _need_autodiff(bk: Backend) -> None:
    if not bk.autodiff:
        pytest.skip(f"{bk.name} has no autodiff: gradients are checked on torch and jax")


def _lazy(bk: Backend, fn: Any, *args: Any, **kw: Any) -> Any:
    with bk.forbid_compute():
        return fn(*args, **kw)


def _t64(a: np.ndarray, requires_grad: bool = False) -> Any:
    import torch

    t = torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64)
    return t.requires_grad_(requires_grad)


def _grad_and_second(bk: Backend, f: Any, x: Any) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of scalar ``f`` at ``x`` and the gradient of ``sum(gradient)`` (the
    Hessian times a vector of ones; the Hessian's diagonal for element-wise losses)."""
    if bk.name == "torch":
        import torch

        leaf = x.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(f(leaf), leaf, create_graph=True)
        (h,) = torch.autograd.grad(g.sum(), leaf)
        return bk.to_numpy(g), bk.to_numpy(h)
    import jax
    import jax.numpy as jnp

    g = jax.grad(f)
    h = jax.grad(lambda z: jnp.sum(g(z)))
    return bk.to_numpy(g(x)), bk.to_numpy(h(x))


# --------------------------------------------------------------------------- sigmoid focal

_X = np.array([[0.1, 0.9, 0.3], [0.8, 0.2, 0.6], [0.4, 0.5, 0.7]])
_Y = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 1]])


def test_sigmoid_focal_published_value(bk: Backend) -> None:
    """The issue's example: alpha=None, gamma=2, mean = 0.1430 (4 decimals), and the
    torchvision formula's float64 value to the dtype's tolerance."""
    want = float(torchvision_sigmoid_focal(_t64(_X), _t64(_Y), alpha=None, gamma=2.0).mean())
    assert round(want, 4) == 0.1430
    for dtype in bk.dtypes:
        x, y = bk.asarray(_X, dtype), bk.asarray(_Y)
        out = _lazy(bk, lx.sigmoid_focal_loss, x, y, alpha=None, gamma=2)
        assert bk.dtype_name(out) == dtype
        got = float(bk.to_numpy(out))
        assert abs(got - 0.1430) < 5e-5 + 2 * TOLERANCES[dtype].rtol * 0.143, (dtype, got)
        tol = TOLERANCES[dtype]
        np.testing.assert_allclose(got, want, rtol=tol.rtol, atol=tol.atol, err_msg=dtype)


def _extreme_inputs(m: float) -> tuple[np.ndarray, np.ndarray]:
    x = m * np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.3, 0.7, 1.0])
    return x, y


@pytest.mark.parametrize("gamma", GAMMAS, ids=[repr(g) for g in GAMMAS])
@pytest.mark.parametrize("alpha", [0.25, None], ids=["alpha", "no-alpha"])
def test_sigmoid_focal_extreme_second_derivative(bk: Backend, gamma: float,
                                                 alpha: float | None) -> None:
    _need_autodiff(bk)
    for dtype in _full(bk):
        for m in (100.0, 1e4):
            x, y = _extreme_inputs(m)
            yb = bk.asarray(y, dtype)

            def f(z: Any, yb: Any = yb) -> Any:
                return lx.sigmoid_focal_loss(z, yb, alpha=alpha, gamma=gamma, reduction="sum")

            value = bk.to_numpy(f(bk.asarray(x, dtype)))
            g, h = _grad_and_second(bk, f, bk.asarray(x, dtype))
            assert np.isfinite(value), (dtype, m, value)
            assert np.all(np.isfinite(g)), (dtype, m, g)
            assert np.all(np.isfinite(h)), (dtype, m, h)
            # confident and right: (almost) no loss and no gradient; wrong: the
            # gradient of alpha_t * |x| is ±alpha_t
            assert abs(g[0]) < 1e-30, g
            assert abs(g[1]) < 1e-30, g
            want = [1.0, -1.0] if alpha is None else [1.0 - alpha, -alpha]
            np.testing.assert_allclose(g[2:4], want, rtol=1e-6)


def test_torchvision_formula_gradient_is_nan_where_ours_is_finite() -> None:
    """Why the factor comes from log-probabilities: the torchvision formula's gradient
    at logit 100 with target 1 and gamma=0.5 is NaN in float64 (0 ** -0.5 * 0)."""
    torch = pytest.importorskip("torch")
    x = _t64(np.array([100.0, -40.0]), requires_grad=True)
    y = _t64(np.array([1.0, 0.0]))
    (g_ref,) = torch.autograd.grad(torchvision_sigmoid_focal(x, y, gamma=0.5).sum(), x)
    assert torch.isnan(g_ref).any()
    (g,) = torch.autograd.grad(lx.sigmoid_focal_loss(x, y, gamma=0.5, reduction="sum"), x)
    assert torch.isfinite(g).all()


# --------------------------------------------------------------------------- RetinaNet


def _retinanet_inputs(no_positive: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(B, A, C) logits, one-hot labels and (B, A) anchor states in {-1, 0, 1}."""
    rng = np.random.default_rng(11)
    B, A, C = 2, 9, 4
    logits = rng.normal(0.0, 2.0, size=(B, A, C))
    state = rng.choice([-1, 0, 1], size=(B, A), p=[0.2, 0.5, 0.3])
    state[0, :3] = [1, 0, -1]
    if no_positive:
        state[state == 1] = 0
    labels = np.zeros((B, A, C))
    cls = rng.integers(0, C, size=(B, A))
    for b in range(B):
        for a in range(A):
            if state[b, a] == 1:
                labels[b, a, cls[b, a]] = 1.0
    return logits, labels, state


def keras_retinanet_focal(logits: Any, labels: Any, state: Any, alpha: float = 0.25,
                          gamma: float = 2.0) -> Any:
    """``keras_retinanet.losses.focal()._focal`` (keras-retinanet 1.0) in PyTorch:
    boolean-index the non-ignored anchors, alpha/focal weights with ``where`` on the
    labels, Keras's ``binary_crossentropy`` of probabilities, normalised by
    max(1, number of positive anchors)."""
    import torch

    classification = torch.sigmoid(logits)  # keras-retinanet's model ends in a sigmoid
    indices = state != -1  # filter out "ignore" anchors
    labels = labels[indices]
    classification = classification[indices]
    alpha_factor = torch.ones_like(labels) * alpha
    alpha_factor = torch.where(labels == 1, alpha_factor, 1 - alpha_factor)
    focal_weight = torch.where(labels == 1, 1 - classification, classification)
    focal_weight = alpha_factor * focal_weight ** gamma
    bce = -(labels * torch.log(classification) + (1 - labels) * torch.log(1 - classification))
    cls_loss = focal_weight * bce
    n_positive = torch.nonzero(state == 1).shape[0]
    normalizer = max(1.0, float(n_positive))
    return cls_loss.sum() / normalizer


def _ours_retinanet(xp: Any, logits: Any, labels: Any, state: Any) -> Any:
    keep = xp.expand_dims(xp.astype(state != -1, logits.dtype), axis=-1)
    n_pos = xp.clip(xp.sum(xp.astype(state == 1, logits.dtype)), min=1.0)
    return lx.sigmoid_focal_loss(logits, labels, weight=keep, reduction="sum") / n_pos


@pytest.mark.parametrize("no_positive", [False, True], ids=["positives", "no-positive"])
def test_retinanet_recipe_matches_keras_retinanet(bk: Backend, no_positive: bool) -> None:
    x, y, s = _retinanet_inputs(no_positive)
    for dtype in bk.dtypes:
        xq = quantize(x, dtype)
        want = float(keras_retinanet_focal(_t64(xq), _t64(y), _t64(s)))
        xb, yb, sb = bk.asarray(x, dtype), bk.asarray(y, dtype), bk.asarray(s)
        out = _lazy(bk, _ours_retinanet, bk.namespace_of(xb), xb, yb, sb)
        assert bk.dtype_name(out) == dtype
        tol = TOLERANCES[dtype]
        np.testing.assert_allclose(bk.to_numpy(out), want, rtol=tol.rtol, atol=tol.atol,
                                   err_msg=dtype)


def test_retinanet_recipe_gradient(bk: Backend) -> None:
    _need_autodiff(bk)
    import torch

    x, y, s = _retinanet_inputs()
    for dtype in _full(bk):
        xq = _t64(quantize(x, dtype), requires_grad=True)
        (want,) = torch.autograd.grad(keras_retinanet_focal(xq, _t64(y), _t64(s)), xq)
        yb, sb = bk.asarray(y, dtype), bk.asarray(s)
        _, (g,) = bk.value_and_grad(
            lambda a, yb=yb, sb=sb: _ours_retinanet(bk.namespace_of(a), a, yb, sb),
            [bk.asarray(x, dtype)], [0])
        tol = TOLERANCES[dtype]
        np.testing.assert_allclose(g, want.numpy(), rtol=tol.rtol,
                                   atol=tol.atol * float(np.abs(want.numpy()).max()),
                                   err_msg=dtype)
        assert np.all(g[s == -1] == 0.0)  # ignored anchors get no gradient


# --------------------------------------------------------------------------- softmax focal


def _ce_inputs(dtype: str, bk: Backend) -> tuple[Any, Any, list[float]]:
    rng = np.random.default_rng(7)
    x = rng.normal(0.0, 3.0, size=(10, 5))
    t = rng.integers(0, 5, size=(10,))
    t[[1, 4]] = -100
    return bk.asarray(x, dtype), bk.asarray(t), [float(w) for w in rng.uniform(0.5, 2, 5)]


@pytest.mark.parametrize("gamma", [0, 0.0], ids=["int", "float"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weight"])
def test_softmax_focal_gamma_0_is_cross_entropy(bk: Backend, gamma: float, reduction: str,
                                                weighted: bool) -> None:
    for dtype in bk.dtypes:
        x, t, w = _ce_inputs(dtype, bk)
        kw: dict[str, Any] = {"weight": w} if weighted else {}
        got = bk.to_numpy(_lazy(bk, lx.softmax_focal_loss, x, t, gamma=gamma,
                                reduction=reduction, **kw))
        want = bk.to_numpy(_lazy(bk, lx.cross_entropy, x, t, reduction=reduction, **kw))
        # equal to rounding: on PyTorch lx.cross_entropy is the fused F.cross_entropy,
        # whose log-softmax rounds differently in the last bits
        np.testing.assert_allclose(got, want, rtol=8 * _EPS[dtype], atol=0, err_msg=dtype)


@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weight"])
def test_softmax_focal_gamma_0_gradient_is_cross_entropy(bk: Backend, weighted: bool) -> None:
    _need_autodiff(bk)
    for dtype in bk.dtypes:
        x, t, w = _ce_inputs(dtype, bk)
        kw: dict[str, Any] = {"weight": w} if weighted else {}
        _, (g,) = bk.value_and_grad(
            lambda a, t=t, kw=kw: lx.softmax_focal_loss(a, t, gamma=0.0, **kw), [x], [0])
        _, (want,) = bk.value_and_grad(
            lambda a, t=t, kw=kw: lx.cross_entropy(a, t, **kw), [x], [0])
        np.testing.assert_allclose(g, want, rtol=8 * _EPS[dtype],
                                   atol=8 * _EPS[dtype] * float(np.max(np.abs(want))),
                                   err_msg=dtype)


def test_softmax_focal_factor_is_per_sample(bk: Backend) -> None:
    """mean = mean_i (1 - p_i)^γ ce_i, not (1 - exp(-mean ce))^γ · mean ce."""
    for dtype in _full(bk):
        x, t, _ = _ce_inputs(dtype, bk)
        ce = bk.to_numpy(lx.cross_entropy(x, t, reduction="none"))
        kept = bk.to_numpy(t) != -100
        per_sample = (1.0 - np.exp(-ce)) ** 2 * ce
        got = float(bk.to_numpy(_lazy(bk, lx.softmax_focal_loss, x, t)))
        tol = TOLERANCES[dtype]
        np.testing.assert_allclose(got, per_sample[kept].mean(), rtol=tol.rtol * 10)
        mean_ce = ce[kept].mean()
        assert abs(got - (1.0 - math.exp(-mean_ce)) ** 2 * mean_ce) > 1e-2


@pytest.mark.parametrize("gamma", GAMMAS, ids=[repr(g) for g in GAMMAS])
def test_softmax_focal_extreme_second_derivative(bk: Backend, gamma: float) -> None:
    _need_autodiff(bk)
    for dtype in _full(bk):
        for m in (100.0, 1e4):
            x = m * np.array([[1.0, -1.0, 0.5], [-1.0, -1.0, 1.0], [1.0, 1.0, -1.0]])
            tb = bk.asarray(np.array([0, 0, 2]))  # right, wrong, wrong (tied max)

            def f(z: Any, tb: Any = tb) -> Any:
                return lx.softmax_focal_loss(z, tb, gamma=gamma, reduction="sum")

            value = bk.to_numpy(f(bk.asarray(x, dtype)))
            g, h = _grad_and_second(bk, f, bk.asarray(x, dtype))
            assert np.isfinite(value), (dtype, m, value)
            assert np.all(np.isfinite(g)), (dtype, m, g)
            assert np.all(np.isfinite(h)), (dtype, m, h)
            # a wrong sample's loss is ~ its margin, with gradient -1 at the target
            np.testing.assert_allclose(g[1], [-1.0, 0.0, 1.0], atol=1e-6)
            np.testing.assert_allclose(value, 2 * m + (m * 2 + math.log(2.0)),
                                       rtol=1e-6)


# --------------------------------------------------------------------------- ASL

_ASL_X = np.array([[2.0, -1.0, 0.5, -3.0, 0.02], [1.5, -0.2, -2.5, 3.0, 0.7]])
_ASL_Y = np.array([[1, 0, 0, 1, 0], [0, 1, 0, 1, 1]])


@pytest.mark.parametrize("opts", [
    {},
    {"gamma_pos": 1, "gamma_neg": 4, "clip": 0.05, "eps": 1e-8},  # official class defaults
    {"gamma_pos": 0, "gamma_neg": 2, "clip": 0.0},
], ids=["paper-defaults", "official-defaults", "clip-0"])
def test_asl_sum_is_official_value(bk: Backend, opts: dict[str, float]) -> None:
    for detach in (False, True):
        kw = dict(opts, detach_focusing=detach)
        want = float(official_asl(kw)(_t64(_ASL_X), _t64(_ASL_Y)))
        for dtype in bk.dtypes:
            xb, yb = bk.asarray(_ASL_X, dtype), bk.asarray(_ASL_Y)
            got = bk.to_numpy(_lazy(bk, lx.asymmetric_loss, xb, yb, reduction="sum", **kw))
            tol = TOLERANCES[dtype]
            if dtype != "float64":  # the official value of the rounded inputs
                want_q = float(official_asl(kw)(_t64(quantize(_ASL_X, dtype)), _t64(_ASL_Y)))
            else:
                want_q = want
            np.testing.assert_allclose(got, want_q, rtol=tol.rtol, atol=tol.atol, err_msg=dtype)
    # the docstring example (paper defaults)
    x = np.array([[2.0, -1.0, 0.5]])
    y = np.array([[1.0, 0.0, 0.0]])
    assert round(float(official_asl({})(_t64(x), _t64(y))), 6) == 0.218749


def test_asl_detach_gradient_is_official(bk: Backend) -> None:
    _need_autodiff(bk)
    import torch

    for dtype in _full(bk):
        xq = quantize(_ASL_X, dtype)
        yb = bk.asarray(_ASL_Y)
        grads = {}
        for detach in (False, True):
            kw = {"gamma_pos": 1, "detach_focusing": detach}
            xt = _t64(xq, requires_grad=True)
            (want,) = torch.autograd.grad(official_asl(kw)(xt, _t64(_ASL_Y)), xt)
            _, (g,) = bk.value_and_grad(
                lambda a, kw=kw, yb=yb: lx.asymmetric_loss(a, yb, reduction="sum", **kw),
                [bk.asarray(_ASL_X, dtype)], [0])
            tol = TOLERANCES[dtype]
            np.testing.assert_allclose(g, want.numpy(), rtol=tol.rtol, atol=tol.atol,
                                       err_msg=f"{dtype} detach={detach}")
            grads[detach] = g
        assert np.max(np.abs(grads[True] - grads[False])) > 1e-2  # the detach matters


@pytest.mark.parametrize("clip", [0.0, 0.05])
def test_asl_finite_and_nonnegative_at_pm100(bk: Backend, clip: float) -> None:
    x = np.array([[100.0, -100.0, 100.0, -100.0], [100.0, -100.0, 30.0, -30.0]])
    y = np.array([[1, 0, 0, 1], [0, 1, 1, 0]])
    for dtype in bk.dtypes:
        for gamma_pos, gamma_neg in [(0, 4), (1, 4), (0.5, 0.5), (0, 0)]:
            kw = {"clip": clip, "gamma_pos": gamma_pos, "gamma_neg": gamma_neg}
            xb, yb = bk.asarray(x, dtype), bk.asarray(y)
            out = _lazy(bk, lx.asymmetric_loss, xb, yb, reduction="none", **kw)
            assert bk.dtype_name(out) == dtype
            v = bk.to_numpy(out)
            assert np.all(np.isfinite(v)), (dtype, kw, v)
            assert np.all(v >= 0), (dtype, kw, v)
            # the eps clamp in every dtype (float16: computed in float32, so eps = 1e-8 is
            # not rounded to 0): a positive at -100 costs -log(1e-8) · (1 - p)^γ+
            want = -math.log(1e-8)
            np.testing.assert_allclose(v[0, 3], want, rtol=TOLERANCES[dtype].rtol,
                                       err_msg=f"{dtype} {kw}")
            if bk.autodiff:
                _, (g,) = bk.value_and_grad(
                    lambda a, kw=kw, yb=yb: lx.asymmetric_loss(a, yb, reduction="sum", **kw),
                    [xb], [0])
                assert np.all(np.isfinite(g)), (dtype, kw, g)
