"""Values against the oracle; namespace, device, dtype and shape; reduction consistency."""

from __future__ import annotations

import numpy as np
import pytest

from .helpers import Combo, assert_close, case_tol, first_floating, oracle_value, run


@pytest.mark.matrix(cases="values")
def test_value_matches_oracle(combo: Combo) -> None:
    bk, spec, case, dtype, reduction = (combo.bk, combo.spec, combo.case, combo.dtype,
                                        combo.reduction)
    out, args, _ = run(bk, spec, case, dtype, reduction)
    like = args[first_floating(case)]
    # (b) a native array of the input's library, namespace, device and dtype
    assert bk.is_native(out), f"result is a {type(out).__module__}.{type(out).__name__}"
    assert bk.namespace_of(out) is bk.namespace_of(like), "result namespace differs"
    assert bk.device_of(out) == bk.device_of(like), (
        f"result on {bk.device_of(out)}, input on {bk.device_of(like)}")
    assert bk.dtype_name(out) == dtype, f"result dtype {out.dtype}, expected {dtype}"
    # (a) the value
    want = oracle_value(spec, case, dtype, reduction)
    assert_close(bk.to_numpy(out), want, case_tol(spec, case, dtype),
                 f"{spec.name}[{case.name}] {dtype} {reduction} vs {spec.reference}")


@pytest.mark.matrix(cases="values", select=lambda c: c.reduction == "sum")
def test_reductions_are_consistent(combo: Combo) -> None:
    """``sum`` is the sum of ``none``; ``mean`` is its mean for element-wise losses."""
    bk, spec, case, dtype = combo.bk, combo.spec, combo.case, combo.dtype
    tol = spec.tol(dtype)
    none = bk.to_numpy(run(bk, spec, case, dtype, "none")[0])
    total = bk.to_numpy(run(bk, spec, case, dtype, "sum")[0])
    assert total.shape == ()
    assert_close(total, np.sum(none), tol, "sum vs sum(none)",
                 atol_scale=max(1.0, float(none.size)))
    if spec.entry.mean_is_mean_of_none(case):
        mean = bk.to_numpy(run(bk, spec, case, dtype, "mean")[0])
        with np.errstate(invalid="ignore"):
            expect = np.sum(none) / none.size if none.size else np.float64(np.nan)
        assert_close(mean, expect, tol, "mean vs mean(none)")
