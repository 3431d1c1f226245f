"""Compiled equals eager: ``jax.jit`` and ``torch.compile(fullgraph=True)``; ``jax.vmap``:
the kit's ``compile`` and ``vmap`` checks (``losses_xp/testing/_checks.py``: which cases
are compiled, and why so few on PyTorch) on the catalogue; and ``ctc_loss`` compiled at
scale.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from losses_xp.testing._checks import CHECKS
from losses_xp.testing._run import run_cell

from .helpers import Combo, assert_close


@pytest.mark.matrix(check="compile")
def test_compiled_matches_eager(combo: Combo) -> None:
    run_cell(CHECKS["compile"], combo)


@pytest.mark.matrix(check="vmap")
def test_vmap_over_batch(combo: Combo) -> None:
    """``jax.vmap`` over the leading axis equals a loop of eager calls on each row."""
    run_cell(CHECKS["vmap"], combo)


# --------------------------------------------------------------------------- CTC at scale

#: the most seconds ``jax.jit(jax.grad(ctc_loss))`` at T = 200 may take to trace and
#: compile (1.1 s measured on a 2-core CPU: the recursion is one ``jax.lax.scan``)
CTC_COMPILE_SECONDS = 10.0


def test_ctc_loss_jit_grad_at_scale(bk: Any) -> None:
    """``jax.jit(jax.grad(...))`` of ``ctc_loss`` at T = 200, N = 8, C = 32, target length
    50 compiles in seconds (its scan is traced once, whatever T) and its gradient with
    respect to the logits of a ``log_softmax`` equals PyTorch's ``F.ctc_loss`` (float64;
    PyTorch's own gradient is with respect to those logits: see specs_sequence.py)."""
    if bk.name != "jax":
        pytest.skip("a JAX compile (jax.jit(jax.grad)); PyTorch's values and gradients are "
                    "the oracle of every backend's matrix")
    import time

    import jax
    import torch

    import losses_xp as lx

    rng = np.random.default_rng(19)
    n, t, c, s = 8, 200, 32, 50
    x = rng.normal(size=(n, t, c))
    targets = rng.integers(1, c, size=(n, s))
    targets[:, 1] = targets[:, 0]  # (a repeat: a blank between the copies)
    il = rng.integers(150, t + 1, size=n)
    tl = rng.integers(30, s + 1, size=n)
    il[0], tl[0] = t, s

    def loss(x: Any, targets: Any, il: Any, tl: Any) -> Any:
        return lx.ctc_loss(jax.nn.log_softmax(x, axis=-1), targets, il, tl)

    args = [bk.asarray(a, "float64" if a.dtype.kind == "f" else None)
            for a in (x, targets, il, tl)]
    start = time.perf_counter()
    compiled = jax.jit(jax.grad(loss)).lower(*args).compile()
    seconds = time.perf_counter() - start
    got = np.asarray(compiled(*args))
    print(f"\nctc_loss: jax.jit(jax.grad) at T={t}, N={n}, C={c}, S={s}: traced and "
          f"compiled in {seconds:.2f} s")
    assert seconds <= CTC_COMPILE_SECONDS, f"{seconds:.1f} s to compile"
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.ctc_loss(
        torch.log_softmax(xt, dim=-1).transpose(0, 1), torch.tensor(targets),
        torch.tensor(il), torch.tensor(tl), reduction="mean")
    ref.backward()
    want = xt.grad.numpy()
    from losses_xp._testing.compare import TOLERANCES

    assert_close(got, want, TOLERANCES["float64"], "d ctc_loss / d logits vs F.ctc_loss",
                 atol_scale=float(np.max(np.abs(want))))
