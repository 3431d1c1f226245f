"""Gradients (PyTorch autograd, ``jax.jit(jax.value_and_grad)``) against the oracle's
gradient: the kit's ``grad`` check (``losses_xp/testing/_checks.py``) on the catalogue.

The oracle's gradient is PyTorch autograd through the PyTorch oracle, or a fourth-order
finite difference of the Keras / scikit-learn oracle (see ``Spec.grad_method``).  Cases
whose gradient is not defined everywhere (``Case.grad`` False: NaN means, kinks) are
value-only.  ``reduction="none"`` is differentiated as a VJP with a fixed cotangent.
(JAX's eager ``jax.grad`` runs in test_pinned.py and the specs' own tests; the matrix
differentiates under ``jax.jit``: see ``Backend.value_and_grad``.)

Compile time (JAX): every ``jax.jit(jax.value_and_grad(...))`` compile of this matrix is
timed, tracing included, and must stay under ``JIT_GRAD_COMPILE_SECONDS``: it catches a
loss whose trace grows with a length, as a Python loop unrolled into the trace does.
"""

from __future__ import annotations

import pytest

from losses_xp.testing._checks import CHECKS
from losses_xp.testing._run import run_cell

from .helpers import Combo


@pytest.mark.matrix(check="grad")
def test_gradient_matches_oracle(combo: Combo) -> None:
    run_cell(CHECKS["grad"], combo)
