"""The modes of the ``host sync`` check: each backend's way of calling a loss where no
value exists or may be read (a JAX trace on abstract inputs, PyTorch ``meta`` tensors,
a Dask graph built with computing forbidden, array-api-strict's strictest flags).

Only relative imports: this module also works in a vendored copy under another name."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _compat
from .._testing.backends import Backend, get_backend
from .._testing.inputs import Case
from ._cells import assert_lazy_static, expected_warnings, first_floating

if TYPE_CHECKING:
    from ._spec import Spec

WHERE_PROVEN = ("that a loss reads no value on the host is proven under jax.jit/jax.grad "
                "tracing (jax), on PyTorch's meta device (torch) and on Dask with "
                "computing forbidden (dask); the standard-only, device-clean half on "
                "array-api-strict (array_api_strict)")

NOT_HERE = {
    "numpy": "numpy is eager, with no traced, lazy or data-free mode (its value checks "
             "read values on purpose): " + WHERE_PROVEN,
    "cupy": "cupy: not checked here (cupyx.allow_synchronize(False) would be its mode); "
            + WHERE_PROVEN,
}

#: backends whose mode the matrix tests run on every call: test_no_host_sync.py skips
#: them (the harness still plants its bad losses in that mode)
IN_THE_MATRIX = {
    "dask": "dask: every call of the values and extremes checks is its host_sync check: "
            "the graph is built with computing forbidden and must have a static shape "
            "(no boolean mask, no nonzero), in every case, dtype and reduction they run",
}


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


_NUMPY: dict[tuple[int, str, str, str], np.ndarray] = {}
_NUMPY_BACKEND = get_backend("numpy")


def numpy_result(spec: Spec, case: Case, dtype: str, reduction: str) -> np.ndarray:
    """The eager NumPy result of the same call (float64 for the bfloat16 NumPy lacks)."""
    dtype = "float64" if dtype == "bfloat16" else dtype
    key = (id(spec), case.name, dtype, reduction)
    if key not in _NUMPY:
        np_bk = _NUMPY_BACKEND
        args = [np_bk.asarray(a, dtype if a.dtype.kind == "f" else None) for a in case.args]
        # (floating options in the dtype under test, integer ones as they are: _cells)
        kwargs = {k: np_bk.asarray(v, dtype if v.dtype.kind == "f" else None)
                  if isinstance(v, np.ndarray) else v for k, v in case.kwargs.items()}
        # (only its shape is used: a warning here is the values check's to report)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
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
    struct: Any = jax.ShapeDtypeStruct
    abstract = [struct(a.shape, jnp.dtype(inputs.dtype_of(a, dtype))) for a in inputs.arrays]
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
    """The loss's graph, built under ``forbid_compute``: any compute inside raises; its
    shape must be static (the check of every Dask call of the matrix: ``_cells.run``)."""
    args = [bk.asarray(a, dtype if a.dtype.kind == "f" else None) for a in case.args]
    kwargs = {k: bk.asarray(v, dtype if v.dtype.kind == "f" else None)
              if isinstance(v, np.ndarray) else v for k, v in case.kwargs.items()}
    with expected_warnings(case), bk.forbid_compute():
        out = fn(*args, reduction=reduction, **kwargs)
    assert_lazy_static(bk, out, f"{case.name} {dtype} {reduction}")
    return Lazy(out, Seen(tuple(int(d) for d in out.shape), bk.dtype_name(out), {}))


def run_strict(bk: Backend, fn: Loss, case: Case, dtype: str, reduction: str) -> Seen:
    """Eager, in the strictest mode, on ``bk``'s device: the result stays there."""
    args = [bk.asarray(a, dtype if a.dtype.kind == "f" else None) for a in case.args]
    kwargs = {k: bk.asarray(v, dtype if v.dtype.kind == "f" else None)
              if isinstance(v, np.ndarray) else v for k, v in case.kwargs.items()}
    with expected_warnings(case):
        out = fn(*args, reduction=reduction, **kwargs)
    where = bk.device_of(args[first_floating(case)])
    for name, a in [*enumerate(args), *kwargs.items()]:
        if bk.is_native(a):
            assert bk.device_of(a) == where, f"input {name} on {bk.device_of(a)}"
    assert bk.device_of(out) == where, f"result on {bk.device_of(out)}, inputs on {where}"
    assert str(bk.device_name) in bk.device_of(out), bk.device_of(out)
    return Seen(tuple(out.shape), bk.dtype_name(out), {})
