"""Extreme inputs: finite values (and the oracle's value where the oracle is exact
there), finite gradients on autodiff backends."""

from __future__ import annotations

import numpy as np
import pytest

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
