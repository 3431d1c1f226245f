"""Gradients (PyTorch autograd, ``jax.jit(jax.value_and_grad)``) against the oracle's
gradient.  (JAX's eager ``jax.grad`` runs in test_pinned.py and the specs' own tests; the
matrix differentiates under ``jax.jit``: see ``Backend.value_and_grad``.)

The oracle's gradient is PyTorch autograd through the PyTorch oracle, or a fourth-order
finite difference of the Keras / scikit-learn oracle (see ``Spec.grad_method``).  Cases
whose gradient is not defined everywhere (``Case.grad`` False: NaN means, kinks) are
value-only.  ``reduction="none"`` is differentiated as a VJP with a fixed cotangent.

Compile time (JAX): every ``jax.jit(jax.value_and_grad(...))`` compile of this matrix
(every value case of every loss, its largest included) is timed, tracing included, and
must stay under :data:`JIT_GRAD_COMPILE_SECONDS`.  The compile is the one the gradient
needs anyway (the first call of the fresh ``jax.jit`` function, timed): the property
costs no compile of its own.  It catches a loss whose trace grows with a length, as a Python loop
unrolled into the trace does (542 s at 50 steps of a CTC recursion, measured, against
about 1 s for ``ctc_loss``'s ``jax.lax.scan`` at 200 steps: ``test_compile.py``).
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

#: the most seconds one ``jax.jit(jax.value_and_grad(loss))`` may take to trace and
#: compile, on the conformance cases (a few hundred elements; 0.05-1 s measured on a
#: 2-core CPU, a CTC recursion of 200 steps 1.1 s): an order of magnitude of headroom
#: for slow CI machines, two below an unrolled loop's compile
JIT_GRAD_COMPILE_SECONDS = 10.0


@pytest.mark.matrix(cases="values", needs="autodiff", select=lambda c: c.case.grad)
def test_gradient_matches_oracle(combo: Combo) -> None:
    bk, spec, case, dtype, reduction = (combo.bk, combo.spec, combo.case, combo.dtype,
                                        combo.reduction)
    if not spec.entry.differentiable:
        pytest.skip(f"{spec.name} is not differentiable (a metric or class weights): "
                    "values only")
    args, kwargs = to_backend(bk, case, dtype)
    fn = scalar_loss(bk, spec, case, dtype, reduction, kwargs)
    seconds: list[float] = []
    with expected_warnings(case):
        value, grads = bk.value_and_grad(fn, args, spec.entry.differentiable,
                                           jit=True, compile_seconds=seconds)
    assert not seconds or seconds[0] <= JIT_GRAD_COMPILE_SECONDS, (
        f"jax.jit(jax.value_and_grad({spec.name})) took {seconds[0]:.1f} s to trace and "
        f"compile [{case.name}] {dtype} {reduction}: over {JIT_GRAD_COMPILE_SECONDS} s (a "
        "Python loop unrolled into the trace? see _primitives.scan)")
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
