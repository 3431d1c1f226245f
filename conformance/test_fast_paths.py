"""The backends' fused kernels (``losses_xp/_primitives.py``) against the generic formulas.

PyTorch and JAX replace the generic array-API formulas of softplus, log-sigmoid,
logsumexp, log-softmax, the element-wise regression losses and the class-index
cross-entropy / NLL with their own fused kernels.  Here every loss of the catalogue is
computed on the same backend twice — fast paths on, and off (``_primitives.FAST_PATHS``)
— on its value cases and its extreme cases (logits of ±1e4, errors of 1e4), and the
values and the gradients must agree to rounding.  On backends without fast paths
(NumPy, array-api-strict, Dask, CuPy) both runs are the same code: skipped with that
reason.

The hard-target algebra (bool / integer targets of the binary losses take
``softplus(±x)``, chosen from the dtype) is a different formula on every backend: it
is checked against the soft-target formula on the same 0/1 values, at ±1e4 too.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp import _primitives
from losses_xp._declare import Declaration, declarations
from losses_xp._testing.backends import Backend, autograd_nodes
from losses_xp._testing.inputs import Case

from .helpers import case_rng, to_backend
from .registry import SPECS

FULL = ("float32", "float64")
# fast vs generic: the same function, rounded differently (a few ulp of the inputs' scale)
RTOL = {"float32": 2e-5, "float64": 1e-12}

pytestmark = pytest.mark.backend_paths  # the fast paths are the backends' own code


@contextlib.contextmanager
def _generic_only() -> Iterator[None]:
    saved = _primitives.FAST_PATHS
    _primitives.FAST_PATHS = False
    try:
        yield
    finally:
        _primitives.FAST_PATHS = saved


def _scale(case: Case) -> float:
    mags = [float(np.max(np.abs(a[np.isfinite(a)]), initial=0.0)) for a in case.args
            if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    return max([1.0, *mags])


def _close(got: np.ndarray, want: np.ndarray, dtype: str, scale: float, what: str) -> None:
    rtol = RTOL[dtype]
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, equal_nan=True,
                               err_msg=what)


def _run(bk: Backend, name: str, case: Case, dtype: str) -> tuple[Any, list[Any] | None]:
    entry = SPECS[name].entry
    args, kwargs = to_backend(bk, case, dtype)
    reduction = "sum" if "sum" in entry.reductions else entry.reductions[0]
    value = entry.call(*args, reduction=reduction, **kwargs)
    grads = None
    if entry.differentiable and case.grad and reduction != "none":
        def fn(*a: Any) -> Any:
            return entry.call(*a, reduction=reduction, **kwargs)
        _, grads = bk.value_and_grad(fn, args, entry.differentiable)
    return bk.to_numpy(value), grads


@pytest.mark.parametrize("name", sorted(SPECS))
def test_fast_paths_equal_generic_formulas(bk: Backend, name: str) -> None:
    if bk.name not in ("torch", "jax"):
        pytest.skip(f"{bk.name} has no fast paths: the generic formula is the only one")
    entry = SPECS[name].entry
    cases = entry.extreme_cases(case_rng(name, "extreme"))
    dtypes = FULL
    if bk.name == "jax":
        # JAX compiles every eager operation for every new shape, and both runs are
        # eager: the extreme cases in float32 keep this module under a minute there
        dtypes = ("float32",)
    else:
        cases = [*entry.cases(case_rng(name)), *cases]
    checked = 0
    for case in cases:
        for dtype in dtypes:
            if dtype not in bk.dtypes or (case.dtypes and dtype not in case.dtypes):
                continue
            with np.errstate(all="ignore"):
                fast, fast_g = _run(bk, name, case, dtype)
                with _generic_only():
                    slow, slow_g = _run(bk, name, case, dtype)
            where = f"{name} [{case.name}] {dtype} on {bk.name}"
            scale = _scale(case)
            finite = np.abs(slow[np.isfinite(slow)])
            _close(fast, slow, dtype, scale * max(1.0, float(np.max(finite, initial=0.0))),
                   f"value, {where}")
            for i, g, h in zip(SPECS[name].entry.differentiable, fast_g or [], slow_g or [],
                               strict=False):
                # at an input of exactly 0 the generic softplus (max(x, 0) + log1p(e^-|x|))
                # has the backend's subgradients of max and |x| (1 instead of 1/2 on
                # PyTorch); the fused softplus is exact there: compare elsewhere
                kink = np.asarray(case.args[i]) == 0
                if kink.shape == np.shape(g):
                    g, h = np.where(kink, 0.0, g), np.where(kink, 0.0, h)
                _close(g, h, dtype, scale, f"gradient, {where}")
            checked += 1
    assert checked, f"no case of {name} ran on {bk.name}"


# ------------------------------------------------------------ hard-target algebra

#: the element-wise losses of logits against 0/1 targets: their bool / integer targets
#: take the hard-target algebra (chosen from the dtype)
_HARD = [d for d in declarations().values()
         if (d.prediction, d.target, d.class_axis) == ("logits", "binary", "none")]
#: the values of the options that change the hard-target algebra, by kind (every
#: combination is run)
_HARD_OPTIONS = {"gamma": (0, 0.5, 2.0), "alpha": (0.25, None)}


def _hard_options(decl: Declaration) -> list[dict[str, Any]]:
    names = [k for k, kind in decl.options.items() if kind in _HARD_OPTIONS]
    opts = [dict(zip(names, values, strict=True)) for values in
            itertools.product(*(_HARD_OPTIONS[decl.options[k]] for k in names))]
    opts += [{k: np.full(48, 3.0)} for k, kind in decl.options.items() if kind == "pos_weight"]
    return opts if {} in opts else [{}, *opts]


@pytest.mark.parametrize("target_kind", ["bool", "int"])
@pytest.mark.parametrize("decl", _HARD, ids=[d.name for d in _HARD])
def test_hard_targets_equal_soft_formula(bk: Backend, decl: Declaration,
                                         target_kind: str) -> None:
    """bool / integer targets (softplus(±x)) give what the same 0/1 as floats give."""
    fn, name = decl.fn, decl.name
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(0, 4, 40), [1e4, -1e4, 1e4, -1e4, 30.0, -30.0, 0.0, 0.0]])
    y = np.concatenate([rng.integers(0, 2, 40), [1, 1, 0, 0, 1, 0, 1, 0]])
    hard = y.astype(bool) if target_kind == "bool" else y.astype(np.int32)
    opts = _hard_options(decl)
    for dtype in [d for d in FULL if d in bk.dtypes]:
        xb = bk.asarray(x, dtype)
        for kw in opts:
            kw = {k: (bk.asarray(v, dtype) if isinstance(v, np.ndarray) else v)
                  for k, v in kw.items()}
            got = bk.to_numpy(fn(xb, bk.asarray(hard), reduction="none", **kw))
            want = bk.to_numpy(fn(xb, bk.asarray(y.astype(float), dtype), reduction="none",
                                  **kw))
            assert np.all(np.isfinite(got)), (name, dtype, kw, got)
            np.testing.assert_allclose(got, want, rtol=RTOL[dtype] * 10,
                                       atol=RTOL[dtype] * 1e4 * 1e-6,
                                       err_msg=f"{name} {target_kind} {dtype} {kw}")
            if bk.autodiff:
                yb = bk.asarray(hard)
                yf = bk.asarray(y.astype(float), dtype)
                _, (g_hard,) = bk.value_and_grad(
                    lambda z, yb=yb, kw=kw: fn(z, yb, reduction="sum", **kw), [xb], [0])
                _, (g_soft,) = bk.value_and_grad(
                    lambda z, yf=yf, kw=kw: fn(z, yf, reduction="sum", **kw), [xb], [0])
                assert np.all(np.isfinite(g_hard)), (name, dtype, kw, g_hard)
                # at x = 0 exactly the two formulas' subgradients agree too (sigmoid(0))
                np.testing.assert_allclose(g_hard, g_soft, rtol=RTOL[dtype] * 10,
                                           atol=RTOL[dtype],
                                           err_msg=f"gradient {name} {target_kind} {dtype}")


# ------------------------------------------- PyTorch's fused BCE-with-logits backward


def test_torch_fused_backward_bce_equals_generic(bk: Backend) -> None:
    """With exact tails, from 65536 elements on, eager PyTorch's BCE-with-logits runs a
    custom autograd Function (analytic backward sigmoid(x) - y): values, first and second
    derivatives equal the generic formula's, at ±1e4 too, and torch.func transforms it.
    (Without exact tails it is PyTorch's own kernel: ``tests/test_exact_tails.py``.)"""
    if bk.name != "torch":
        pytest.skip(f"{bk.name}: the fused backward is a PyTorch autograd.Function")
    with lx.exact_tails():
        _fused_backward_bce(bk)


def _fused_backward_bce(bk: Backend) -> None:
    torch = bk.load()
    rng = np.random.default_rng(3)
    n = _primitives._FUSED_BACKWARD_MIN + 4
    x = rng.normal(0.0, 5.0, n)
    x[:6] = [1e4, -1e4, 30.0, -30.0, 0.0, 0.0]
    y = rng.uniform(0.0, 1.0, n)
    y[:6] = [1.0, 0.0, 0.0, 1.0, 1.0, 0.3]
    for dtype in FULL:
        yt = bk.asarray(y, dtype)

        def loss(z: Any, yt: Any = yt) -> Any:
            return lx.binary_cross_entropy_with_logits(z, yt, reduction="sum")

        def derivatives(dtype: str = dtype) -> tuple[np.ndarray, ...]:
            z = bk.asarray(x, dtype).requires_grad_(True)
            value = loss(z)
            (g,) = torch.autograd.grad(value, z, create_graph=True)
            (h,) = torch.autograd.grad(g.sum(), z)
            return bk.to_numpy(value), bk.to_numpy(g), bk.to_numpy(h)

        fast = derivatives()
        with _generic_only():
            slow = derivatives()
        kink = x == 0  # the generic formula's subgradient there (documented); see below
        for what, f, s in zip(("value", "gradient", "second derivative"), fast, slow,
                              strict=True):
            assert np.all(np.isfinite(f)), (dtype, what)
            if what != "value":
                f, s = np.where(kink, 0.0, f), np.where(kink, 0.0, s)
            np.testing.assert_allclose(f, s, rtol=RTOL[dtype] * 10, atol=RTOL[dtype],
                                       err_msg=f"{what} {dtype}")
        # torch.func: grad of the summed loss = sigmoid(x) - y, at x = 0 exactly too
        g = torch.func.grad(loss)(bk.asarray(x, dtype))
        want = 1.0 / (1.0 + np.exp(-np.clip(x, -700, 700))) - y
        np.testing.assert_allclose(bk.to_numpy(g), want, rtol=RTOL[dtype] * 10,
                                   atol=RTOL[dtype], err_msg=f"torch.func.grad {dtype}")


# ------------------------------------------- PyTorch's softmax focal loss from its kernels


@pytest.mark.parametrize("gamma", [0, 1, 2.0, 3, 0.5])
def test_torch_softmax_focal_from_kernels_equals_generic(bk: Backend, gamma: float) -> None:
    """Eager PyTorch, (N, C) logits and int64 indices, a whole γ, one α or none, no
    weight: ``nll_loss(log_softmax)`` times ``(-expm1(log p_y))^γ``. Values, first and
    second derivatives equal the generic formula's (two log-sum-exps), at ±1e4 and with
    ignored targets too; γ = 0.5 (its power has no finite derivative at 0) and one
    class (a loss of +0) take the generic formula."""
    if bk.name != "torch":
        pytest.skip(f"{bk.name}: the kernels are PyTorch's")
    torch = bk.load()
    rng = np.random.default_rng(5)
    for c in (1, 3, 10):
        x = rng.normal(0.0, 4.0, (9, c))
        x[0, 0], x[1, -1] = 1e4, -1e4
        t = rng.integers(0, c, 9)
        t[2] = -100
        for dtype, alpha, reduction in itertools.product(FULL, (None, 0.3),
                                                         ("none", "mean", "sum")):
            def run(x: Any = x, t: Any = t, dtype: str = dtype, alpha: Any = alpha,
                    reduction: str = reduction) -> tuple[Any, ...]:
                z = bk.asarray(x, dtype).requires_grad_(True)
                loss = lx.softmax_focal_loss(z, torch.asarray(t), gamma=gamma, alpha=alpha,
                                             reduction=reduction)
                (g,) = torch.autograd.grad(loss.sum(), z, create_graph=True)
                (h,) = torch.autograd.grad((g * g).sum(), z)
                return loss, g, h

            fast = run()
            assert ("NllLossBackward0" in autograd_nodes(fast[0])) == (gamma != 0.5 and c > 1), c
            with _generic_only():
                slow = run()
            for what, f, s in zip(("value", "gradient", "second derivative"), fast, slow,
                                  strict=True):
                f, s = bk.to_numpy(f.detach()), bk.to_numpy(s.detach())
                assert np.all(np.isfinite(f)), (what, c, dtype, alpha, reduction)
                if what == "value" and reduction != "none":  # (none: PyTorch's -0.0)
                    assert not np.any(np.signbit(f)), (c, dtype, alpha, reduction)
                np.testing.assert_allclose(f, s, rtol=RTOL[dtype] * 10, atol=RTOL[dtype],
                                           err_msg=f"{what} C={c} {dtype} {alpha} {reduction}")


# ------------------------------------------- PyTorch's class-index kernels, compiled


def test_torch_compiled_class_nll_equals_generic(bk: Backend) -> None:
    """Under torch.compile, cross_entropy and nll_loss call PyTorch's kernels with an
    index out of range passed as ignored and the result made NaN: the same values and
    NaNs as the compiled generic formula (class weights, label smoothing, an ignored
    target and an index out of range, reductions none and mean)."""
    if bk.name != "torch":
        pytest.skip(f"{bk.name}: the kernels are PyTorch's")
    torch = bk.load()
    rng = np.random.default_rng(7)
    x = bk.asarray(rng.normal(0.0, 3.0, (6, 4)), "float32")
    w = bk.asarray(rng.uniform(0.5, 2.0, 4), "float32")
    good, bad = torch.asarray([0, 3, -100, 1, 1, 2]), torch.asarray([0, 3, -100, 7, 1, 2])

    def losses(x: Any, t: Any, w: Any) -> tuple[Any, ...]:
        return (lx.cross_entropy(x, t, reduction="none"),
                lx.cross_entropy(x, t, weight=w, label_smoothing=0.1),
                lx.nll_loss(torch.log_softmax(x, 1), t, weight=w, reduction="none"))

    graph = torch._dynamo.explain(losses)(x, good, w).graphs[0].graph
    called = {getattr(n.target, "__name__", "") for n in graph.nodes if n.op == "call_function"}
    assert {"cross_entropy", "nll_loss"} <= called, called  # the kernels, not the formula
    for t in (good, bad):
        runs = []
        for generic in (False, True):
            torch._dynamo.reset()
            with _generic_only() if generic else contextlib.nullcontext():
                runs.append([bk.to_numpy(o) for o in bk.compile(losses)(x, t, w)])
        for what, fast, slow in zip(("CE none", "CE weighted smoothed mean", "NLL none"),
                                    *runs, strict=True):
            np.testing.assert_allclose(fast, slow, rtol=RTOL["float32"], atol=RTOL["float32"],
                                       equal_nan=True, err_msg=what)
            assert np.isnan(fast).any() == (t is bad), what
