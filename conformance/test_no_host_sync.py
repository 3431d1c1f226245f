"""No loss reads an array value on the host: every loss, every case, every reduction,
in each backend's mode where values do not exist or cannot be read.

A loss that calls ``float``/``bool``/``.item()`` on an array, branches in Python on an
array value, indexes with a boolean mask or makes a shape depend on the data works on
NumPy and fails, or forces a device synchronisation, everywhere else.  Each session
runs every value case and every extreme case of the registry, every reduction, in the
mode of its library that makes such a loss fail:

* **jax** (float32, float64): ``jax.jit(loss)`` and ``jax.jit(jax.grad(sum of loss))``
  traced with ``jax.eval_shape`` on ``ShapeDtypeStruct`` inputs (options included):
  every array is an abstract tracer, so any host read raises.  Tracing is all that is
  needed (``test_compile.py`` compiles and checks values) and ~8x cheaper than a
  compile (a forward loss: 9 ms traced, 74 ms compiled, measured).  Under
  ``jax.transfer_guard("disallow")``, which on the CPU catches nothing here (CPU arrays
  are host memory: reading one is no transfer, and a trace transfers nothing), but on
  a GPU or TPU also refuses a host read of a concrete array the loss made itself.
* **torch**: tensors on the ``meta`` device (shapes and dtypes, no data: ``.item()``,
  ``float``, ``bool``, ``nonzero`` raise), forward and backward, every floating dtype;
  the result is a ``meta`` tensor of the promised dtype and of the NumPy result's shape.
* **dask**: the graph is built with computing forbidden (``Backend.forbid_compute``),
  must have a static shape (a boolean mask or ``nonzero`` gives NaN dimensions lazily),
  and is then computed outside the loss: equal to NumPy in the same dtype, and finite
  wherever NumPy's is.
* **array_api_strict**: the strictest flags (``conftest._resolve``: the newest released
  standard, no extensions, no boolean indexing, no data-dependent shapes) on each device
  of the session; the result lives on the inputs' device.  array-api-strict cannot
  forbid ``float``/``bool`` on a 0-d array, and the eager value checks read values there
  on purpose (``_compat.values_readable``): it proves the standard-only, device-clean
  half; jax, torch and dask prove the no-read half.
* **numpy**: eager only, nothing to prove: skipped, saying where it is proven.

The harness itself is tested: a loss that reads a value, branches on one, masks or
calls ``nonzero`` must fail in each mode, and a clean one pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp import _compat
from losses_xp._testing.backends import Backend, get_backend
from losses_xp._testing.inputs import Case

from .conftest import newest_released_standard, session_of
from .helpers import assert_close, expected_warnings, extreme_cases, first_floating, value_cases
from .registry import SPECS, Spec

#: the floating dtypes of a session where not all of its backend's (JAX: float32 and
#: float64, those of its jit tests; half precision runs the float32 code on cast inputs)
DTYPES = {"jax": ("float32", "float64")}

WHERE_PROVEN = ("that no loss reads a value on the host is proven under jax.jit/jax.grad "
                "tracing (--backend=jax), on PyTorch's meta device (--backend=torch) and "
                "on Dask with computing forbidden (--backend=dask); the standard-only, "
                "device-clean half on array-api-strict (--backend=array_api_strict)")

NOT_HERE = {
    "numpy": "numpy is eager, with no traced, lazy or data-free mode (its value checks "
             "read values on purpose): " + WHERE_PROVEN,
    "cupy": "cupy: not checked here (cupyx.allow_synchronize(False) would be its mode); "
            + WHERE_PROVEN,
}


# --------------------------------------------------------------------------- parametrization


@dataclass(frozen=True)
class Point:
    """One test: backend (on a device) × loss × case × dtype; all its reductions."""

    bk: Backend
    spec: Spec
    case: Case
    dtype: str
    kind: str  # "values" or "extreme"

    def id(self, with_device: bool) -> str:
        parts = [self.spec.name, f"{self.kind}:{self.case.name}", self.dtype]
        return "-".join([*parts, str(self.bk.device_name)] if with_device else parts)


def _points(backends: Sequence[Backend]) -> list[Point]:
    points = []
    for bk in backends:
        for name in sorted(SPECS):
            for kind, cases in (("values", value_cases(name)), ("extreme", extreme_cases(name))):
                for case in cases:
                    for dtype in DTYPES.get(bk.name, bk.dtypes):
                        if case.applies_to(dtype):
                            points.append(Point(bk, SPECS[name], case, dtype, kind))
    return points


def _skipped(reason: str) -> list[Any]:
    return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="skipped")]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "point" not in metafunc.fixturenames:
        return
    s = session_of(metafunc.config)
    reason = s.skip_reason or NOT_HERE.get(s.name)
    if reason is not None:
        metafunc.parametrize("point", _skipped(reason))
        return
    points = _points(s.backends)
    with_device = len(s.backends) > 1
    metafunc.parametrize("point", points, ids=[p.id(with_device) for p in points])


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Inputs:
    """A case's arrays as one flat positional list (arguments, then array-valued options),
    so that every array is an input of the traced function; other options stay static."""

    arrays: tuple[np.ndarray, ...]
    n_args: int
    array_options: tuple[str, ...]
    static: Mapping[str, Any]

    @staticmethod
    def of(case: Case) -> Inputs:
        keys = tuple(k for k, v in case.kwargs.items() if isinstance(v, np.ndarray))
        return Inputs(tuple(case.args) + tuple(case.kwargs[k] for k in keys), len(case.args),
                      keys, {k: v for k, v in case.kwargs.items() if k not in keys})

    def bind(self, fn: Callable[..., Any], reduction: str) -> Callable[..., Any]:
        """``fn`` as a function of the flat arrays, with the reduction fixed."""
        def call(*flat: Any) -> Any:
            options = dict(zip(self.array_options, flat[self.n_args:], strict=True))
            return fn(*flat[:self.n_args], reduction=reduction, **self.static, **options)
        return call

    def dtype_of(self, a: np.ndarray, dtype: str) -> str:
        """Floating arrays take the dtype under test; integer and bool keep theirs."""
        return dtype if a.dtype.kind == "f" else str(a.dtype)


_NUMPY: dict[tuple[str, str, str, str], np.ndarray] = {}
_NUMPY_BACKEND = get_backend("numpy")


def numpy_result(spec: Spec, case: Case, dtype: str, reduction: str) -> np.ndarray:
    """The eager NumPy result of the same call (float64 for the bfloat16 NumPy lacks)."""
    dtype = "float64" if dtype == "bfloat16" else dtype
    key = (spec.name, case.name, dtype, reduction)
    if key not in _NUMPY:
        np_bk = _NUMPY_BACKEND
        args = [np_bk.asarray(a, dtype if a.dtype.kind == "f" else None) for a in case.args]
        kwargs = {k: np_bk.asarray(v, dtype) if isinstance(v, np.ndarray) else v
                  for k, v in case.kwargs.items()}
        with expected_warnings(case):
            out = spec.entry.call(*args, reduction=reduction, **kwargs)
        _NUMPY[key] = np_bk.to_numpy(out)
    return _NUMPY[key]


# --------------------------------------------------------------------------- the modes

Loss = Callable[..., Any]  # fn(*args, reduction=..., **options)


@dataclass
class Seen:
    """What a mode observed of one call, without any value: the result's shape and dtype
    and, where a gradient was taken, the gradients' shapes and dtypes by argument."""

    shape: tuple[int, ...]
    dtype: str
    grads: dict[int, tuple[tuple[int, ...], str]]


def trace_jax(bk: Backend, fn: Loss, case: Case, dtype: str, reduction: str,
              differentiable: Sequence[int]) -> Seen:
    """``jax.jit(loss)`` and ``jax.jit(jax.grad(sum(loss)))`` traced on abstract inputs."""
    import jax
    import jax.numpy as jnp

    inputs = Inputs.of(case)
    abstract = [jax.ShapeDtypeStruct(a.shape, jnp.dtype(inputs.dtype_of(a, dtype)))
                for a in inputs.arrays]
    loss = inputs.bind(fn, reduction)

    def summed(*flat: Any) -> tuple[Any, Any]:
        out = loss(*flat)
        return jnp.sum(out), out

    with jax.transfer_guard("disallow"):
        out = jax.eval_shape(jax.jit(loss), *abstract)
        grads: dict[int, tuple[tuple[int, ...], str]] = {}
        if differentiable:
            argnums = tuple(differentiable)
            g, again = jax.eval_shape(jax.jit(jax.grad(summed, argnums, has_aux=True)),
                                      *abstract)
            assert (again.shape, again.dtype) == (out.shape, out.dtype), "grad's forward"
            grads = {i: (tuple(gi.shape), str(gi.dtype)) for i, gi in zip(argnums, g,
                                                                          strict=True)}
    return Seen(tuple(out.shape), str(out.dtype), grads)


def run_meta(bk: Backend, fn: Loss, case: Case, dtype: str, reduction: str,
             differentiable: Sequence[int]) -> Seen:
    """The loss and its backward on ``meta`` tensors (no data exists to read)."""
    import torch

    inputs = Inputs.of(case)
    meta = [torch.empty(a.shape, dtype=getattr(torch, inputs.dtype_of(a, dtype)),
                        device="meta") for a in inputs.arrays]
    assert not _compat.values_readable(*meta), "meta tensors must count as unreadable"
    leaves = [t.requires_grad_(True) if i in differentiable else t for i, t in enumerate(meta)]
    out = inputs.bind(fn, reduction)(*leaves)
    assert out.device.type == "meta", f"result on {out.device}, inputs on meta"
    grads: dict[int, tuple[tuple[int, ...], str]] = {}
    if differentiable:
        got = torch.autograd.grad(out.sum(), [leaves[i] for i in differentiable])
        for i, g in zip(differentiable, got, strict=True):
            assert g.device.type == "meta", f"gradient of argument {i} on {g.device}"
            grads[i] = (tuple(g.shape), bk.dtype_name(g))
    return Seen(tuple(out.shape), bk.dtype_name(out), grads)


@dataclass
class Lazy:
    """A Dask result built with computing forbidden (computed later, outside)."""

    out: Any
    seen: Seen


def build_dask(bk: Backend, fn: Loss, case: Case, dtype: str, reduction: str) -> Lazy:
    """The loss's graph, built under ``forbid_compute``: any compute inside raises."""
    import dask.array as da

    args = [bk.asarray(a, dtype if a.dtype.kind == "f" else None) for a in case.args]
    kwargs = {k: bk.asarray(v, dtype) if isinstance(v, np.ndarray) else v
              for k, v in case.kwargs.items()}
    with expected_warnings(case), bk.forbid_compute():
        out = fn(*args, reduction=reduction, **kwargs)
    assert isinstance(out, da.Array), f"expected a lazy dask array, got {type(out)}"
    # a data-dependent shape (boolean mask, nonzero) is NaN in Dask until computed
    assert not any(math.isnan(d) for d in out.shape), f"data-dependent shape {out.shape}"
    return Lazy(out, Seen(tuple(int(d) for d in out.shape), bk.dtype_name(out), {}))


def run_strict(bk: Backend, fn: Loss, case: Case, dtype: str, reduction: str) -> Seen:
    """Eager, in the strictest mode, on ``bk``'s device: the result stays there."""
    args = [bk.asarray(a, dtype if a.dtype.kind == "f" else None) for a in case.args]
    kwargs = {k: bk.asarray(v, dtype) if isinstance(v, np.ndarray) else v
              for k, v in case.kwargs.items()}
    with expected_warnings(case):
        out = fn(*args, reduction=reduction, **kwargs)
    where = bk.device_of(args[first_floating(case)])
    for name, a in [*enumerate(args), *kwargs.items()]:
        if bk.is_native(a):
            assert bk.device_of(a) == where, f"input {name} on {bk.device_of(a)}"
    assert bk.device_of(out) == where, f"result on {bk.device_of(out)}, inputs on {where}"
    assert str(bk.device_name) in bk.device_of(out), bk.device_of(out)
    return Seen(tuple(out.shape), bk.dtype_name(out), {})


# --------------------------------------------------------------------------- the matrix


def _expect(seen: Seen, want: np.ndarray, dtype: str, case: Case,
            differentiable: Sequence[int], what: str) -> None:
    assert seen.dtype == dtype, f"{what}: result dtype {seen.dtype}, expected {dtype}"
    assert seen.shape == want.shape, f"{what}: shape {seen.shape}, NumPy's {want.shape}"
    for i in differentiable:
        shape = tuple(case.args[i].shape)
        assert seen.grads[i] == (shape, dtype), (
            f"{what}: gradient of argument {i} is {seen.grads[i]}, expected {(shape, dtype)}")


# What a trace or a meta run saw, by the call's abstract signature: neither sees a value,
# so two cases with the same shapes, dtypes and static options (a value case and an
# extreme case, often) run the very same program, which is traced only once.
_SEEN: dict[tuple[Any, ...], Seen] = {}


def _signature(bk: Backend, spec: Spec, case: Case, dtype: str, reduction: str,
               ) -> tuple[Any, ...]:
    inputs = Inputs.of(case)
    arrays = tuple((a.shape, inputs.dtype_of(a, dtype)) for a in inputs.arrays)
    return (bk.label, spec.name, reduction, arrays, inputs.array_options,
            repr(sorted(inputs.static.items())))


def test_no_host_sync(point: Point) -> None:
    bk, spec, case, dtype = point.bk, point.spec, point.case, point.dtype
    fn = spec.entry.call
    reductions = spec.entry.reductions_for(case)
    diff = spec.entry.differentiable
    if bk.name == "dask":
        _dask_then_compute(bk, spec, case, dtype, reductions, point.kind)
        return
    for reduction in reductions:
        what = f"{spec.name}[{point.kind}:{case.name}] {dtype} {reduction} on {bk.label}"
        want = numpy_result(spec, case, "float64", reduction)  # (its shape is compared)
        if bk.name == "array_api_strict":  # eager: it sees the values, run every case
            _expect(run_strict(bk, fn, case, dtype, reduction), want, dtype, case, (), what)
            continue
        key = _signature(bk, spec, case, dtype, reduction)
        if key not in _SEEN:
            mode = trace_jax if bk.name == "jax" else run_meta
            _SEEN[key] = mode(bk, fn, case, dtype, reduction, diff)
        _expect(_SEEN[key], want, dtype, case, diff, what)


def _dask_then_compute(bk: Backend, spec: Spec, case: Case, dtype: str,
                       reductions: Sequence[str], kind: str) -> None:
    """Every reduction's graph built lazily, then computed together, outside the loss."""
    import dask

    lazy = {r: build_dask(bk, spec.entry.call, case, dtype, r) for r in reductions}
    with expected_warnings(case):
        # one synchronous compute of the three graphs; unoptimised (the same tasks, not
        # fused: fusing costs more than it saves on these small graphs)
        computed = dask.compute(*(z.out for z in lazy.values()), scheduler="sync",
                                optimize_graph=False)
    for (reduction, z), value in zip(lazy.items(), computed, strict=True):
        what = f"{spec.name}[{kind}:{case.name}] {dtype} {reduction} on dask"
        want = numpy_result(spec, case, dtype, reduction)
        _expect(z.seen, want, dtype, case, (), what)
        got = np.asarray(value, dtype=np.float64)
        assert np.all(np.isfinite(got) | ~np.isfinite(want)), (
            f"{what}: not finite where NumPy is ({got} vs {want})")
        assert_close(got, want, spec.tol(dtype), f"{what} vs numpy")


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
        assert_close(bk.to_numpy(lazy.out), want, SPECS["mse_loss"].tol("float32"), "toy")
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


# Dynamo warns that it traces through array-api-compat's lru_cache'd helpers: harmless
@pytest.mark.filterwarnings("ignore:Dynamo detected a call to a `functools.lru_cache`")
def test_empty_mean_backward_under_torch_compile(bk: Backend) -> None:
    """Regression: the mean of an empty batch, differentiated under ``torch.compile``.

    The regression losses called PyTorch's fused ``mse_loss``/``huber_loss``/
    ``smooth_l1_loss`` with ``reduction="mean"``, whose decomposed backward (used by
    ``torch.compile`` and by meta tensors) computes ``2.0 / numel`` in Python: a
    ``ZeroDivisionError`` for an empty batch (found by ``test_no_host_sync`` on meta).
    ``aot_eager`` applies the same decompositions as inductor, without building C++.
    """
    if bk.name != "torch":
        pytest.skip(f"{bk.name}: torch.compile is PyTorch's (checked with --backend=torch)")
    import torch

    names = ("mse_loss", "rmse_loss", "l1_loss", "huber_loss", "smooth_l1_loss")

    def total(x: Any, y: Any) -> Any:
        return sum(getattr(lx, n)(x, y) for n in names)

    compiled = torch.compile(total, fullgraph=True, dynamic=False, backend="aot_eager")
    x = torch.zeros(0, requires_grad=True)
    out = compiled(x, torch.zeros(0))
    (grad,) = torch.autograd.grad(out, [x])
    assert torch.isnan(out)
    assert grad.shape == (0,)
