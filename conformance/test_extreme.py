"""Extreme inputs: finite values (and the oracle's value where the oracle is exact
there), finite gradients on autodiff backends."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._testing.backends import Backend
from losses_xp._testing.cases import quantize

from .helpers import (
    Combo,
    assert_close,
    expected_warnings,
    oracle_value,
    run,
    scalar_loss,
    to_backend,
)
from .registry import TOLERANCES


@pytest.mark.matrix(cases="extreme")
def test_extreme_value_is_finite(combo: Combo) -> None:
    bk, spec, case, dtype, reduction = (combo.bk, combo.spec, combo.case, combo.dtype,
                                        combo.reduction)
    result = run(bk, spec, case, dtype, reduction)[0]
    assert bk.dtype_name(result) == dtype
    out = bk.to_numpy(result)
    assert np.all(np.isfinite(out)), f"non-finite loss {out} at {case.name} in {dtype}"
    if spec.extreme_oracle:
        want = oracle_value(spec, case, dtype, reduction)
        if np.all(np.isfinite(want)):
            # a loss of logits ~1e4 is only known to ~ulp(1e4) (1e-3 in float32): the
            # absolute tolerance scales with the inputs' magnitude (and the summed count)
            scale = max([1.0] + [float(np.max(np.abs(a[np.isfinite(a)])))
                                 for a in case.args if a.dtype.kind == "f" and a.size])
            count = case.args[0].size if reduction == "sum" else 1
            assert_close(out, want, spec.tol(dtype), f"{spec.name}[{case.name}] vs oracle",
                         atol_scale=scale * count)


@pytest.mark.matrix(cases="extreme", needs="autodiff")
def test_extreme_gradient_is_finite(combo: Combo) -> None:
    bk, spec, case, dtype, reduction = (combo.bk, combo.spec, combo.case, combo.dtype,
                                        combo.reduction)
    if not spec.entry.differentiable:
        pytest.skip(f"{spec.name} is not differentiable (a metric or class weights): "
                    "values only")
    args, kwargs = to_backend(bk, case, dtype)
    fn = scalar_loss(bk, spec, case, dtype, reduction, kwargs)
    with expected_warnings(case):
        value, grads = bk.value_and_grad(fn, args, spec.entry.differentiable)
    assert np.isfinite(value)
    for g in grads:
        assert np.all(np.isfinite(g)), f"non-finite gradient {g} at {case.name} in {dtype}"


# Logits in both tails with soft (floating) targets of 0 and 1: the gradient there is
# σ(x) - y ≈ ∓2.06e-9 at |x| = 20 in float32, far below the O(1) terms that a
# max(x, 0) + log1p(exp(-|x|)) form sums it with (which once returned exactly 0 under
# jax.grad and torch.compile).  Oracle: PyTorch autograd of the same loss in float64.
TAIL_X = [20.0, -20.0, 15.0, -15.0, 0.5]
TAIL_Y = [1.0, 0.0, 1.0, 0.0, 1.0]


def _tail_oracle(name: str) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    x = torch.tensor(TAIL_X, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(TAIL_Y, dtype=torch.float64)
    if name == "binary_cross_entropy_with_logits":
        loss = F.binary_cross_entropy_with_logits(x, y, reduction="sum")
    else:  # torchvision's sigmoid_focal_loss formula, alpha 0.25, gamma 2
        p = torch.sigmoid(x)
        ce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
        p_t = p * y + (1 - p) * (1 - y)
        loss = ((0.25 * y + 0.75 * (1 - y)) * ce * (1 - p_t) ** 2).sum()
    (g,) = torch.autograd.grad(loss, [x])
    return g.numpy()


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("name", ["binary_cross_entropy_with_logits", "sigmoid_focal_loss"])
def test_tail_gradients_are_exact(bk: Backend, name: str, compiled: bool) -> None:
    if not bk.autodiff:
        pytest.skip(f"{bk.name} has no autodiff: tail gradients are checked on torch and jax")
    if "float32" not in bk.dtypes:
        pytest.skip(f"{bk.name} has no float32")
    fn = getattr(lx, name)
    y = bk.asarray(np.array(TAIL_Y), "float32")

    def loss(x: object) -> object:
        return fn(x, y, reduction="sum")

    _, (got,) = bk.value_and_grad(bk.compile(loss) if compiled else loss,
                                  [bk.asarray(np.array(TAIL_X), "float32")], [0])
    want = _tail_oracle(name)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=0,
                               err_msg=f"{name} gradient in float32 at x={TAIL_X}")


# --------------------------------------------------------------------------- fuzzer findings
# Inputs on which test_properties.py (hypothesis) found a bug, with the values that
# failed, each fixed at its root; run on every backend and device.


def _on(bk: Backend, arrays: tuple[np.ndarray, ...], dtype: str) -> list[object]:
    return [bk.asarray(a, dtype if a.dtype.kind == "f" else None) for a in arrays]


@contextlib.contextmanager
def _no_runtime_warnings() -> Iterator[None]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        yield
    seen = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not seen, f"RuntimeWarnings: {seen}"


def _value(bk: Backend, out: object) -> np.ndarray:
    with _no_runtime_warnings():
        return bk.to_numpy(out)


# NumPy reductions returned NumPy scalars (np.float16 ...), not 0-d arrays: every result
# now leaves through _reduction.cast, which makes 0-d NumPy results ndarrays
SCALAR_RESULTS = [
    ("any_loss", (np.array(0.63671875), np.array(1.0)), {}, "mean", "float16"),
    ("asymmetric_loss", (np.array(0.12573242), np.array(1.0)), {}, "none", "float16"),
    ("categorical_cross_entropy", (np.array([1.0]), np.array(0)), {"axis": 0}, "sum",
     "float16"),
    ("class_balanced_loss", (np.array([0.12573242]), np.array(0)),
     {"samples_per_class": [255]}, "mean", "float16"),
    ("huber_loss", (np.array(0.12573242), np.array(1)), {}, "none", "float16"),
    ("mse_loss", (np.array([1.0, 2.0]), np.array([1, 4])), {}, "mean", "float32"),
    ("top_k_accuracy", (np.array([[0.1, 0.6, 0.3]]), np.array([2])), {"k": 2}, "sum",
     "float64"),
]


@pytest.mark.parametrize(("name", "args", "kwargs", "reduction", "dtype"), SCALAR_RESULTS,
                         ids=[c[0] for c in SCALAR_RESULTS])
def test_regression_0d_results_are_arrays(bk: Backend, name: str, args: tuple[np.ndarray, ...],
                                          kwargs: dict[str, object], reduction: str,
                                          dtype: str) -> None:
    if dtype not in bk.dtypes:
        pytest.skip(f"{bk.label} has no {dtype}")
    out = getattr(lx, name)(*_on(bk, args, dtype), reduction=reduction, **kwargs)
    assert bk.is_native(out), f"a {type(out).__module__}.{type(out).__name__}"
    assert bk.dtype_name(out) == dtype
    assert tuple(out.shape) == ()
    if bk.name == "numpy":
        assert type(out) is np.ndarray, f"a {type(out).__name__}, not a 0-d ndarray"
    counts = lx.soft_confusion_matrix(*_on(bk, (np.array([0.9, 0.2]), np.array([1, 0])),
                                           "float64" if "float64" in bk.dtypes else "float32"))
    for c in counts:
        assert bk.name != "numpy" or type(c) is np.ndarray, f"a {type(c).__name__}"


# The mean of an empty batch is NaN on every loss, without NumPy's "Mean of empty slice"
# RuntimeWarnings (which only the element-wise losses emitted)
EMPTY_MEANS = [
    ("mse_loss", (np.zeros((0, 3)), np.zeros((0, 3))), {}),
    ("smooth_l1_loss", (np.zeros(0), np.zeros(0, dtype=bool)), {"beta": 0.5}),
    ("rmse_loss", (np.zeros(0), np.zeros(0)), {"weight": np.zeros(0)}),
    ("sigmoid_focal_loss", (np.zeros((0, 4)), np.zeros((0, 4))), {}),
    ("top_k_accuracy", (np.zeros((0, 3)), np.zeros(0, dtype=np.int64)), {}),
    ("hamming_loss", (np.zeros(0), np.zeros(0)), {}),
    ("hamming_loss", (np.zeros((0, 2)), np.zeros((0, 2))), {"sample_weight": np.zeros(0)}),
    ("hamming_loss", (np.zeros((3, 0)), np.zeros((3, 0))), {}),
    # Dask cannot reshape an empty N-d array: take_class's reshapes raised there
    ("nll_loss", (np.zeros((1, 2, 0)), np.zeros((2, 0), dtype=np.int64)),
     {"axis": 0, "weight": np.array([1.3642578125])}),
    ("softmax_focal_loss", (np.zeros((1, 0)), np.zeros(0, dtype=np.int64)),
     {"axis": 0, "alpha": np.array([0.63671875])}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), EMPTY_MEANS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(EMPTY_MEANS)])
def test_regression_empty_mean_is_nan_without_warnings(
        bk: Backend, name: str, args: tuple[np.ndarray, ...], kwargs: dict[str, object]) -> None:
    dtype = "float16" if "float16" in bk.dtypes else "float32"
    a = _on(bk, args, dtype)
    kw = {k: bk.asarray(v, dtype) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with _no_runtime_warnings():
        out = getattr(lx, name)(*a, **kw)
    assert np.isnan(_value(bk, out)), f"mean of an empty batch: {out}"


@pytest.mark.parametrize("name", ["softmax_focal_loss", "top_k_accuracy", "class_balanced_loss",
                                  "cross_entropy", "nll_loss"])
def test_regression_int32_class_indices(bk: Backend, name: str) -> None:
    """PyTorch's take_along_dim takes int64 indices only: an int32 target raised a
    RuntimeError in the losses that gather at the target (class indices of any integer
    dtype are documented)."""
    x = np.array([[1.0, -0.5, 2.0], [0.3, 0.2, -1.0]])
    kw: dict[str, object] = {}
    if name == "class_balanced_loss":
        kw["samples_per_class"] = [3, 1, 4]
    dtype = "float32"
    fn = getattr(lx, name)
    got = bk.to_numpy(fn(bk.asarray(x, dtype), bk.asarray(np.array([2, 0], np.int32)),
                         reduction="none", **kw))
    want = bk.to_numpy(fn(bk.asarray(x, dtype), bk.asarray(np.array([2, 0], np.int64)),
                          reduction="none", **kw))
    np.testing.assert_array_equal(got, want)


def _grad(bk: Backend, fn: Callable[..., object], x: object) -> np.ndarray:
    _, (g,) = bk.value_and_grad(fn, [x], [0])
    return g


@pytest.mark.parametrize("gamma", [2.0, 4.2960684680389425e-158])
def test_regression_softmax_focal_one_class(bk: Backend, gamma: float) -> None:
    """One class: p_y = 1 and the loss is 0.  The focal factor took the log of the empty
    sum of the other classes (a NumPy "divide by zero in log" warning), and a γ that
    rounds to 0 in float32 (4.3e-158, the fuzzer's) made it 0 · -inf = NaN."""
    dtype = "float16" if "float16" in bk.dtypes else "float32"
    x = bk.asarray(np.array([[0.125732421875], [3.0]]), dtype)
    y = bk.asarray(np.array([0, 0]))
    with _no_runtime_warnings():
        out = lx.softmax_focal_loss(x, y, gamma=gamma, reduction="none")
    value = _value(bk, out)
    assert np.all(value == 0.0), value
    assert not np.any(np.signbit(value)), f"-0.0: {value}"
    if bk.autodiff:
        g = _grad(bk, lambda z: lx.softmax_focal_loss(z, y, gamma=0.5, reduction="sum"), x)
        assert np.all(g == 0.0), g


# A loss of exactly 0 was -0.0 (a negated log-probability of 0): the generic formulas now
# give +0.  PyTorch's fused cross_entropy/nll_loss kernels (validated class indices,
# reduction="none") keep their own -0.0 (docs/numerics.md)
NEGATIVE_ZEROS = [
    ("cross_entropy", (np.array([[0.125732421875]]), np.array([0])), {"axis": 0}),
    ("cross_entropy", (np.array([[1e4, 0.0, -1e4]]), np.array([0])), {}),
    ("cross_entropy", (np.array([[0.5]]), np.array([[1.0]])), {}),  # probability target
    ("cross_entropy", (np.array([[1e4, 0.0]]), np.array([0])), {"label_smoothing": 0.0}),
    ("nll_loss", (np.array([0.0]), np.array(0)), {}),
    ("softmax_focal_loss", (np.array([0.125732421875]), np.array(0)), {"gamma": 0.0}),
    ("asymmetric_loss", (np.array(-4.25390625), np.array(0.0)), {}),
    ("class_balanced_loss", (np.array([[2.0]]), np.array([0])),
     {"samples_per_class": [4], "loss_type": "softmax"}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), NEGATIVE_ZEROS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(NEGATIVE_ZEROS)])
def test_regression_zero_loss_is_positive_zero(
        bk: Backend, name: str, args: tuple[np.ndarray, ...], kwargs: dict[str, object]) -> None:
    dtype = "float16" if "float16" in bk.dtypes else "float32"
    out = bk.to_numpy(getattr(lx, name)(*_on(bk, args, dtype), reduction="none", **kwargs))
    assert np.all(out == 0.0), out
    fused = (bk.name == "torch" and name in ("cross_entropy", "nll_loss")
             and args[1].dtype.kind == "i")
    if fused:
        pytest.skip("PyTorch's own fused kernel: its -0.0 is kept (docs/numerics.md)")
    assert not np.any(np.signbit(out)), f"{name}: -0.0"


def test_regression_log_cosh_small_errors(bk: Backend) -> None:
    """log-cosh was |e| + log1p(e^{-2|e|}) - log 2, which cancels to ulp(log 2) for small
    errors: -6e-8 (a negative loss) in float32 for the float16 example the fuzzer found.
    Oracle: mpmath's log(cosh(e)) at 50 digits."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    p16 = np.array([0.0004818439483642578, -0.0006198883056640625, -0.0011758804321289062,
                    0.00107574462890625, 6.461143493652344e-05])
    t16 = np.array([-1.1708984375, -0.31591796875, 1.4169921875, 1.0244140625,
                    -5.960464477539063e-08])
    errors = np.array([1e-4, -3e-4, 1e-3, 0.01, -0.1, 1.0, 20.0])
    cases = [("float16", p16, t16, 1e-2)] + [
        (d, errors, np.zeros_like(errors), r) for d, r in (("float32", 2e-3), ("float64", 1e-9))]
    for dtype, p, t, rtol in cases:
        if dtype not in bk.dtypes:
            continue
        q = [quantize(a, dtype) for a in (p, t)]
        out = bk.to_numpy(lx.log_cosh_loss(*_on(bk, tuple(q), dtype), reduction="none"))
        want = np.array([float(mpmath.log(mpmath.cosh(mpmath.mpf(float(a) - float(b)))))
                         for a, b in zip(*q, strict=True)])
        assert np.all(out >= 0.0), f"{dtype}: a negative loss {out}"
        assert not np.any(np.signbit(out)), f"{dtype}: -0.0 in {out}"
        if dtype != "float16":  # (float16: 2e-9, the last loss, rounds to 0 there)
            np.testing.assert_allclose(out, want, rtol=rtol, err_msg=f"log-cosh {dtype}")


def test_regression_log_softmax_of_large_equal_logits(bk: Backend) -> None:
    """The generic log-softmax was x - logsumexp(x), whose m + log s rounds at the
    magnitude of the maximum m: two float16 logits of 65504 got probabilities 0.5009
    (computed in float32) and two float32 logits of 1e30 probabilities 1 (a loss of 0
    for log 2).  PyTorch's float64 cross_entropy and the exact sigmoid(0) = 1/2 are the
    oracles."""
    import torch
    import torch.nn.functional as F

    x = np.array([[1e30, 1e30, -1e30]])
    t = np.array([[1.0, 0.0, 0.0]])
    want = F.cross_entropy(torch.tensor(x), torch.tensor(t)).item()  # log 2
    got = bk.to_numpy(lx.cross_entropy(*_on(bk, (x, t), "float32")))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    if "float16" in bk.dtypes:
        # the fuzzer's example: class 1 holds two logits of 65504 (sample 1 is class 1)
        s = np.array([[8232.0, -8656.0, 41952.0, 6872.0, -35104.0],
                      [23680.0, 65504.0, 62048.0, -46112.0, -65504.0],
                      [-40832.0, 2708.0, -65504.0, -14328.0, -65504.0],
                      [-47968.0, -35648.0, -20720.0, 26960.0, 65504.0],
                      [-8416.0, 65504.0, -43584.0, 23024.0, 59168.0]])
        tp, *_ = lx.soft_confusion_matrix(*_on(bk, (s, np.array([3, 1, 2, 4, 4])), "float16"),
                                          axis=0, from_logits=True)
        # p = 1/2 for sample 1 in class 1, and A(1/2) = sigmoid(0) = 1/2
        np.testing.assert_allclose(bk.to_numpy(tp)[1], 0.5, rtol=1e-3)


SMOOTH_L1 = [
    # beta > 1 and an error near float32's maximum: the Huber value overflowed before
    # the division by beta
    ("float32", np.array(0.1257302165031433), np.array(5.3169116662270134e+36), 65.0),
    # a beta below float32's smallest normal number: 1/beta overflowed, 0 * inf = NaN
    ("float16", np.array([0.125732421875, -0.132080078125, 0.640625]),
     np.array([-290.0, -330.0, -222.0]), 8.446580965917371e-252),
]


@pytest.mark.parametrize(("dtype", "p", "t", "beta"), SMOOTH_L1, ids=["large-error", "tiny-beta"])
def test_regression_smooth_l1_extreme_beta(bk: Backend, dtype: str, p: np.ndarray,
                                          t: np.ndarray, beta: float) -> None:
    import torch
    import torch.nn.functional as F

    if dtype not in bk.dtypes:
        pytest.skip(f"{bk.label} has no {dtype}")
    q = [quantize(a, dtype) for a in (p, t)]
    want = F.smooth_l1_loss(torch.tensor(q[0]), torch.tensor(q[1]), beta=beta,
                            reduction="none").numpy()
    got = bk.to_numpy(lx.smooth_l1_loss(*_on(bk, tuple(q), dtype), beta=beta, reduction="none"))
    assert np.all(np.isfinite(got)), got
    np.testing.assert_allclose(got, want, rtol=TOLERANCES[dtype].rtol)


def test_regression_nll_loss_4d_class_axis_0_gradient(bk: Backend) -> None:
    """PyTorch's 4-d nll_loss backward raised "grad_input must be contiguous" for the
    view that moves the class axis 0 to 1.  Oracle: PyTorch autograd in float64 on a
    contiguous (N, C, H, W) copy."""
    import torch
    import torch.nn.functional as F

    if not bk.autodiff:
        pytest.skip(f"{bk.name} has no autodiff: gradients are checked on torch and jax")
    lp = np.array([[[[-1.3349609375]], [[-0.9580078125]]], [[[-0.305419921875]],
                                                             [[-0.48388671875]]]])
    y = np.array([[[0]], [[1]]])
    for dtype in ("float16", "float32"):
        q = quantize(lp, dtype)
        z = torch.tensor(q, requires_grad=True)
        F.nll_loss(torch.movedim(z, 0, 1).contiguous(), torch.tensor(y), reduction="sum").backward()
        target = bk.asarray(y)
        g = _grad(bk, lambda v, target=target: lx.nll_loss(v, target, axis=0, reduction="sum"),
                  bk.asarray(q, dtype))
        np.testing.assert_allclose(g, z.grad.numpy(), rtol=1e-3, err_msg=dtype)
