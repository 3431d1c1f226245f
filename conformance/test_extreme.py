"""Extreme inputs: finite values (and the oracle's value where the oracle is exact
there), finite gradients on autodiff backends."""

from __future__ import annotations

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._testing.backends import Backend

from .helpers import (
    Combo,
    assert_close,
    expected_warnings,
    oracle_value,
    run,
    scalar_loss,
    to_backend,
)


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
