"""The harness of ``test_no_host_sync.py`` is tested: a loss that reads a value, branches
on one, masks or calls ``nonzero`` must fail in each backend's mode, a clean one pass;
and the facts the modes rely on hold (meta tensors are unreadable, the strict flags)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from losses_xp import _compat
from losses_xp._declare import declarations
from losses_xp._testing.backends import Backend
from losses_xp._testing.compare import TOLERANCES
from losses_xp._testing.inputs import Case
from losses_xp.testing._host_sync import NOT_HERE, Loss, build_dask, run_meta, run_strict, trace_jax
from losses_xp.testing._matrix import newest_released_standard

from .helpers import assert_close

# --------------------------------------------------------------------------- the harness


def _xp(*arrays: Any) -> Any:
    return _compat.namespace({f"a{i}": a for i, a in enumerate(arrays)})


def _reduced(xp: Any, loss: Any, reduction: str) -> Any:
    if reduction == "sum":
        return xp.sum(loss)
    return xp.mean(loss) if reduction == "mean" else loss


def clean(x: Any, y: Any, *, reduction: str) -> Any:
    """A squared error with a value-free guard: passes in every mode."""
    xp = _xp(x, y)
    e = x - y
    return _reduced(xp, xp.where(xp.abs(e) > 1.0, xp.abs(e), e * e), reduction)


def reads_a_value(x: Any, y: Any, *, reduction: str) -> Any:
    """Reads the largest error on the host (``float``) to choose a formula."""
    xp = _xp(x, y)
    e = x - y
    return _reduced(xp, e * e if float(xp.max(xp.abs(e))) < 1.0 else xp.abs(e), reduction)


def branches_on_a_value(x: Any, y: Any, *, reduction: str) -> Any:
    """A Python ``if`` on an array (``bool``)."""
    xp = _xp(x, y)
    e = x - y
    if xp.any(e > 0.0):
        e = e * 2.0
    return _reduced(xp, e * e, reduction)


def boolean_mask(x: Any, y: Any, *, reduction: str) -> Any:
    """The positive errors, by boolean-mask indexing."""
    xp = _xp(x, y)
    e = x - y
    return _reduced(xp, e[e > 0.0], reduction)


def data_dependent_shape(x: Any, y: Any, *, reduction: str) -> Any:
    """The positive errors, gathered through ``nonzero``."""
    xp = _xp(x, y)
    e = x - y
    (where,) = xp.nonzero(e > 0.0)
    return _reduced(xp, xp.take(e, where), reduction)


_TOY = Case("toy", (np.array([0.5, -1.5, 2.0, 0.0]), np.array([0.0, 0.5, 1.0, 0.0])))

#: the faulty losses and the sessions whose mode must catch them, with
#: ``reduction="none"``.  array-api-strict reads values eagerly on purpose: only masks
#: and data-dependent shapes fail there.  Dask computes a mask lazily (no sync): it is
#: caught when the unknown shape reaches the result, not once reduced (a mean over a
#: mask is caught by the other three).
FAULTS: dict[str, tuple[Loss, tuple[str, ...]]] = {
    "reads_a_value": (reads_a_value, ("jax", "torch", "dask")),
    "branches_on_a_value": (branches_on_a_value, ("jax", "torch", "dask")),
    "boolean_mask": (boolean_mask, ("jax", "torch", "dask", "array_api_strict")),
    "data_dependent_shape": (data_dependent_shape, ("jax", "torch", "dask", "array_api_strict")),
}


def _one_call(bk: Backend, fn: Loss, reduction: str) -> None:
    """``fn`` on :data:`_TOY` in ``bk``'s mode, as the matrix runs a loss (float32)."""
    want = np.asarray(fn(*_TOY.args, reduction=reduction))
    if bk.name == "jax":
        seen = trace_jax(bk, fn, _TOY, "float32", reduction, (0,))
    elif bk.name == "torch":
        seen = run_meta(bk, fn, _TOY, "float32", reduction, (0,))
    elif bk.name == "dask":
        lazy = build_dask(bk, fn, _TOY, "float32", reduction)
        seen = lazy.seen
        assert_close(bk.to_numpy(lazy.out), want, TOLERANCES["float32"], "toy")
    else:
        seen = run_strict(bk, fn, _TOY, "float32", reduction)
    assert seen.shape == want.shape


def _harness_backend(bk: Backend) -> None:
    reason = NOT_HERE.get(bk.name)
    if reason is not None:
        pytest.skip(reason)


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_harness_passes_a_clean_loss(bk: Backend, reduction: str) -> None:
    _harness_backend(bk)
    _one_call(bk, clean, reduction)


# (reads_a_value on a meta tensor that requires grad: PyTorch warns before it raises)
@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True")
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_harness_catches_a_faulty_loss(bk: Backend, fault: str) -> None:
    _harness_backend(bk)
    fn, caught_on = FAULTS[fault]
    if bk.name not in caught_on:
        pytest.skip(f"{bk.name} reads values eagerly by design (the value checks of "
                    f"_validation.py do): {fault} is caught on {', '.join(caught_on)}")
    with pytest.raises(Exception) as info:  # (each library raises its own: checked below)
        _one_call(bk, fn, "none")
    # the mode's own error, not a failure of the harness (a TypeError in it would pass)
    errors, words = _FAULT_ERRORS[bk.name]
    assert info.type.__name__ in errors, repr(info.value)
    assert any(w in str(info.value) for w in words), repr(info.value)


#: the errors by which each mode reports a faulty loss: type names, words of the message
_FAULT_ERRORS = {
    "jax": (("ConcretizationTypeError", "TracerBoolConversionError",
             "NonConcreteBooleanIndexError"), ("tracer", "traced array", "must be concrete")),
    # Tensor.item() on meta; no meta kernel for nonzero (which boolean masks use); PyTorch
    # 2.3 says "... with Meta tensors"
    "torch": (("RuntimeError", "NotImplementedError"), ("meta", "Meta")),
    # the refused compute, or the NaN shape of a lazy mask / nonzero
    "dask": (("AssertionError",), ("computed inside the loss", "data-dependent shape")),
    # the strict flags: boolean indexing and data-dependent shapes are switched off
    "array_api_strict": (("RuntimeError",), ("boolean_indexing", "data_dependent_shapes")),
}


# --------------------------------------------------------------------------- session facts


def test_meta_tensors_are_unreadable(bk: Backend) -> None:
    """The eager value checks run only where ``values_readable``: never on ``meta``."""
    if bk.name != "torch":
        pytest.skip(f"{bk.name}: the meta device is PyTorch's (checked with --backend=torch)")
    import torch

    assert not _compat.values_readable(torch.empty(3, device="meta"))
    assert not _compat.values_readable(torch.empty(3), torch.empty(3, device="meta"))
    assert _compat.values_readable(torch.empty(3))


def test_array_api_strict_flags_are_the_strictest(bk: Backend) -> None:
    if bk.name != "array_api_strict":
        pytest.skip(f"{bk.name}: the flags are array-api-strict's")
    import array_api_strict as strict

    flags = strict.get_array_api_strict_flags()
    assert flags == {"api_version": newest_released_standard(strict),
                     "boolean_indexing": False, "data_dependent_shapes": False,
                     "enabled_extensions": ()}
    xp = _xp(bk.asarray(np.ones(2), "float32"))
    assert not hasattr(xp, "linalg"), "the linalg extension is enabled"
    assert not hasattr(xp, "fft"), "the fft extension is enabled"


def test_empty_mean_backward_under_torch_compile(bk: Backend) -> None:
    """Regression: the mean of an empty batch, differentiated under ``torch.compile``.

    The regression losses called PyTorch's fused losses with ``reduction="mean"``, whose
    decomposed backward (used by ``torch.compile`` and by meta tensors) computes
    ``2.0 / numel`` in Python: a ``ZeroDivisionError`` for an empty batch (found by
    ``test_no_host_sync`` on meta).  ``aot_eager`` applies the same decompositions as
    inductor, without building C++.  Every declared regression loss.
    """
    if bk.name != "torch":
        pytest.skip(f"{bk.name}: torch.compile is PyTorch's (checked with --backend=torch)")
    import torch

    decls = [d for d in declarations().values() if d.prediction == "regression"]
    assert decls, "no declared regression loss"

    def total(x: Any, y: Any) -> Any:  # (further inputs, a variance: empty ones too)
        return sum(d.fn(x, y, *(torch.ones(0) for _ in d.inputs)) for d in decls)

    compiled = torch.compile(total, fullgraph=True, dynamic=False, backend="aot_eager")
    x = torch.zeros(0, requires_grad=True)
    out = compiled(x, torch.zeros(0))
    (grad,) = torch.autograd.grad(out, [x])
    assert torch.isnan(out)
    assert grad.shape == (0,)
