"""Gradients (PyTorch autograd, ``jax.jit(jax.value_and_grad)``) against the oracle's
gradient.  (JAX's eager ``jax.grad`` runs in test_pinned.py and the specs' own tests; the
matrix differentiates under ``jax.jit``: see ``Backend.value_and_grad``.)

The oracle's gradient is PyTorch autograd through the PyTorch oracle, or a fourth-order
finite difference of the Keras / scikit-learn oracle (see ``Spec.grad_method``).  Cases
whose gradient is not defined everywhere (``Case.grad`` False: NaN means, kinks) are
value-only.  ``reduction="none"`` is differentiated as a VJP with a fixed cotangent.
"""

from __future__ import annotations

import numpy as np
import pytest

from .helpers import (
    Combo,
    assert_close,
    case_tol,
    cotangent,
    expected_warnings,
    grad_scale,
    oracle_grad,
    oracle_value,
    scalar_loss,
    to_backend,
)
from .registry import Tol


@pytest.mark.matrix(cases="values", needs="autodiff", select=lambda c: c.case.grad)
def test_gradient_matches_oracle(combo: Combo) -> None:
    bk, spec, case, dtype, reduction = (combo.bk, combo.spec, combo.case, combo.dtype,
                                        combo.reduction)
    if not spec.entry.differentiable:
        pytest.skip(f"{spec.name} is not differentiable (a metric or class weights): "
                    "values only")
    args, kwargs = to_backend(bk, case, dtype)
    fn = scalar_loss(bk, spec, case, dtype, reduction, kwargs)
    with expected_warnings(case):
        value, grads = bk.value_and_grad(fn, args, spec.entry.differentiable,
                                           jit=True)
    if reduction != "none":
        assert_close(value, oracle_value(spec, case, dtype, reduction),
                     case_tol(spec, case, dtype),
                     "value from value_and_grad")
    else:
        # the scalarised value <none, v> (v: the fixed cotangent), against the oracle's:
        # with JAX's jit this checks the compiled forward of every element, which is why
        # test_compile.py does not compile these cases again on JAX
        per = oracle_value(spec, case, dtype, "none")
        weighted = per * cotangent(case, per.shape, dtype)
        assert_close(value, np.sum(weighted), case_tol(spec, case, dtype),
                     "<none, cotangent> from value_and_grad",
                     atol_scale=max(1.0, float(np.sum(np.abs(weighted)))))
    want = oracle_grad(spec, case, dtype, reduction)
    tol = case_tol(spec, case, dtype)
    for i, (g, w) in zip(spec.entry.differentiable, zip(grads, want, strict=True), strict=True):
        assert_close(g, w, Tol(tol.rtol, tol.atol), f"d{spec.name}/d(arg {i}) "
                     f"[{case.name}] {dtype} {reduction} vs {spec.grad_method}",
                     atol_scale=grad_scale(w))
