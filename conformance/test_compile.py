"""Compiled equals eager: ``jax.jit`` and ``torch.compile(fullgraph=True)``; ``jax.vmap``.
Compiling a loss emits no warning.

Compiling is slow (``torch.compile``'s inductor backend generates and builds C++ on the
CPU), so only a few cases per loss are compiled: the first 2-D case and the case with
the most options, in float32, with ``reduction`` ``mean`` and ``none`` (``mean`` only for
a loss with the mean only).  JAX compiles quickly and runs every value case in float32 and
float64 too, except those that test_gradients.py compiles already: there every value case
with a gradient runs under ``jax.jit(jax.value_and_grad)`` against the oracle (``none`` as
its sum weighted by the fixed cotangent), so a compile here would repeat it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from .helpers import (
    Combo,
    assert_close,
    bind,
    case_tol,
    expected_warnings,
    run,
    to_backend,
    value_cases,
)


def _compile_case_names(name: str) -> set[str]:
    cases = value_cases(name)
    # (the first case where there is no 2-D one: a loss of 1-d class counts)
    first_2d = next((c.name for c in cases if "2d" in c.tags and c.grad), cases[0].name)
    richest = max(cases, key=lambda c: (len(c.kwargs), len(c.tags))).name
    return {first_2d, richest}


def _compiled_selection(c: Combo) -> bool:
    if c.reduction not in ("mean", "none"):
        return False
    chosen = c.dtype == "float32" and c.case.name in _compile_case_names(c.spec.name)
    if c.bk.name == "jax":
        # every other full-precision value case, but those that test_gradients.py already
        # runs under jax.jit(jax.value_and_grad) and compares with the oracle (the same
        # matrix pairs; ``none`` as <none, cotangent>): a second compile of the same forward
        return chosen or (c.dtype in ("float32", "float64")
                          and not (c.spec.entry.differentiable and c.case.grad))
    return chosen


@pytest.mark.matrix(cases="values", needs="compile", select=_compiled_selection)
def test_compiled_matches_eager(combo: Combo) -> None:
    bk, spec, case, dtype, reduction = (combo.bk, combo.spec, combo.case, combo.dtype,
                                        combo.reduction)
    eager = bk.to_numpy(run(bk, spec, case, dtype, reduction)[0])
    args, kwargs = to_backend(bk, case, dtype)
    if bk.name == "torch":
        import torch._dynamo

        torch._dynamo.reset()  # every test compiles a fresh function: no recompile limit
    compiled = bk.compile(bind(spec.entry.call, kwargs, reduction))
    with warnings.catch_warnings(record=True) as seen, expected_warnings(case):
        warnings.simplefilter("always")
        out = compiled(*args)
    # a user's compile is silent: no warning that Python's default filters show (e.g.
    # Dynamo warns on every functools.lru_cache'd function it traces). Hidden by default,
    # and so not counted: a library's own DeprecationWarnings (PyTorch's inductor imports
    # deprecated torch.jit modules on its first compile); ours are counted. Also not: the
    # NaN-by-definition cases' 0/0 RuntimeWarning, which eager NumPy gives too.
    hidden = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)
    noise = [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in seen
             if not ("nan-mean" in case.tags and issubclass(w.category, RuntimeWarning))
             and not (issubclass(w.category, hidden) and "losses_xp" not in w.filename)]
    assert not noise, f"compiling {spec.name} warned:\n" + "\n".join(noise)
    assert bk.is_native(out)
    assert bk.dtype_name(out) == dtype
    assert_close(bk.to_numpy(out), eager, case_tol(spec, case, dtype),
                 f"{spec.name}[{case.name}] compiled vs eager ({dtype}, {reduction})")
    if bk.name == "torch":
        # a second call on the same inputs must reuse the graph: a loss that mutates
        # state while traced (a global counter, a cache) makes Dynamo recompile on
        # every call (~150 ms each; an error once the recompile limit is hit)
        import torch._dynamo

        with torch._dynamo.config.patch(error_on_recompile=True), expected_warnings(case):
            compiled(*args)


def _vmap_case(name: str) -> str | None:
    """The first 2-D case without array-valued options: vmapped over its rows."""
    for c in value_cases(name):
        if "2d" in c.tags and c.grad and not any(isinstance(v, np.ndarray)
                                                 for v in c.kwargs.values()):
            return c.name
    return None


@pytest.mark.matrix(cases="values", needs="vmap",
                    select=lambda c: (c.dtype == "float32"
                                      and c.case.name == _vmap_case(c.spec.name)))
def test_vmap_over_batch(combo: Combo) -> None:
    """``jax.vmap`` over the leading axis equals a loop of eager calls on each row."""
    import jax
    import jax.numpy as jnp

    bk, spec, case, dtype, reduction = (combo.bk, combo.spec, combo.case, combo.dtype,
                                        combo.reduction)
    args, kwargs = to_backend(bk, case, dtype)
    fn = bind(spec.entry.call, kwargs, reduction)
    batched = jax.vmap(fn)(*args)
    rows: list[Any] = [fn(*(a[i] for a in args)) for i in range(args[0].shape[0])]
    assert_close(bk.to_numpy(batched), bk.to_numpy(jnp.stack(rows)), spec.tol(dtype),
                 f"{spec.name}[{case.name}] vmap vs loop ({reduction})")
    jitted = jax.jit(jax.vmap(fn))(*args)
    assert_close(bk.to_numpy(jitted), bk.to_numpy(batched), spec.tol(dtype), "jit(vmap)")


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
