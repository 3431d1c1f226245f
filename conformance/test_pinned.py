"""Pinned values on every backend: published values, docstring values, fuzzer findings.

Each spec entry's ``pinned`` records (:class:`conformance.registry.Pinned`) are run here
on the session's backend and devices, in every dtype the record names that the backend
has: the result must be an array of the backend's library, in the input's namespace,
device and dtype, of the expected shape and value, computed lazily on Dask, without a
``RuntimeWarning`` and without a ``-0.0``; where the record pins a gradient, the gradient
of ``sum(loss)`` with respect to the first argument (PyTorch autograd, ``jax.grad``);
where it asks, the same under ``jax.jit`` / ``torch.compile(fullgraph=True)``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._testing.backends import Backend
from losses_xp._testing.compare import assert_close

from .helpers import bind
from .registry import SPECS, Pinned, Spec

PARAMS = [pytest.param(spec, pin, id=f"{name}-{pin.name}")
          for name, spec in sorted(SPECS.items()) for pin in spec.pinned]

#: pinned values reach each backend's own paths (published values, tails, findings)
pytestmark = pytest.mark.backend_paths


def _convert(bk: Backend, v: Any, dtype: str) -> Any:
    if isinstance(v, np.ndarray):
        return bk.asarray(v, dtype if v.dtype.kind == "f" else None)
    return v


def _expected(spec: Spec, value: Any, args: tuple[np.ndarray, ...], kwargs: dict[str, Any],
              reduction: str, dtype: str) -> np.ndarray:
    if isinstance(value, str) and value == "oracle":
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(spec.oracle(args, kwargs, reduction), dtype=np.float64)
    if callable(value):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = value(args, kwargs, reduction, dtype)
    return np.asarray(value, dtype=np.float64)


def _no_negative_zero(out: np.ndarray, what: str) -> None:
    zero = (out == 0) & np.signbit(out)
    assert not np.any(zero), f"{what}: -0.0 at {np.argwhere(zero)[:4].tolist()}"


def _check(bk: Backend, spec: Spec, pin: Pinned, dtype: str) -> None:
    from losses_xp._testing.inputs import quantize

    q_args = tuple(quantize(a, dtype) if a.dtype.kind == "f" else a for a in pin.args)
    q_kwargs = {k: quantize(v, dtype) if isinstance(v, np.ndarray) and v.dtype.kind == "f"
                else v for k, v in pin.kwargs.items()}
    args = [_convert(bk, a, dtype) for a in pin.args]
    kwargs = {k: _convert(bk, v, dtype) for k, v in pin.kwargs.items()}
    like = args[0]
    for reduction in pin.reductions:
        what = f"{spec.name}[{pin.name}] {dtype} {reduction} on {bk.label}"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            with bk.forbid_compute():
                raw = spec.decl.call(*args, reduction=reduction, **kwargs)
            outs = list(raw) if spec.decl.tuple_output else [raw]
            if bk.name == "numpy":  # 0-d results too: never a NumPy scalar
                for o in outs:
                    assert type(o) is np.ndarray, f"{what}: a {type(o).__name__}, not an ndarray"
            out = spec.entry.stack(raw)
            if bk.name == "dask":  # (the synchronous scheduler: warnings stay in this thread)
                import dask

                with dask.config.set(scheduler="synchronous"):
                    got = bk.to_numpy(out)
            else:
                got = bk.to_numpy(out)
        seen = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
        assert not seen, f"{what}: RuntimeWarnings {seen}"
        want = _expected(spec, pin.value, q_args, q_kwargs, reduction, dtype)
        if want.ndim == 0:  # a number: every element of the result
            want = np.broadcast_to(want, np.shape(got))
        assert_close(out, want, pin.tolerance(dtype), what, bk=bk, like=like, dtype=dtype)
        if not (pin.torch_negative_zero and bk.name == "torch"):
            _no_negative_zero(np.asarray(got), what)
        if pin.compiled and bk.compiles:
            if bk.name == "torch":
                import torch._dynamo

                torch._dynamo.reset()
            compiled = bk.compile(bind(spec.entry.call, kwargs, reduction))(*args)
            assert_close(compiled, want, pin.tolerance(dtype), f"{what}, compiled", bk=bk,
                         like=like, dtype=dtype)
    if pin.grad is not None and bk.autodiff:
        reduction = pin.reductions[0]
        loss = bind(spec.entry.call, kwargs, reduction)

        def scalar(*a: Any) -> Any:
            out = loss(*a)
            return bk.namespace_of(out).sum(out)

        fns = [("eager", scalar)] + ([("compiled", bk.compile(scalar))] if pin.compiled else [])
        if isinstance(pin.grad, str) and pin.grad == "oracle":  # the oracle's gradient
            ct = None if reduction != "none" else np.ones(np.shape(_expected(
                spec, "oracle", q_args, q_kwargs, reduction, dtype)))
            want = np.asarray(spec.oracle_grad(q_args, q_kwargs, reduction, ct)[0])
        else:
            want = _expected(spec, pin.grad, q_args, q_kwargs, reduction, dtype)
        if want.ndim == 0:
            want = np.broadcast_to(want, np.shape(pin.args[0]))
        for mode, fn in fns:
            if mode == "compiled" and bk.name == "torch":
                import torch._dynamo

                torch._dynamo.reset()
            _, (g, *_) = bk.value_and_grad(fn, args, [0])
            assert_close(g, want, pin.tolerance(dtype, grad=True),
                         f"d{spec.name}[{pin.name}] {dtype} ({mode}) on {bk.label}")


@pytest.mark.parametrize(("spec", "pin"), PARAMS)
def test_pinned(bk: Backend, spec: Spec, pin: Pinned) -> None:
    if not spec.decl.supports(bk.name):
        pytest.skip(f"{spec.name} does not support {bk.name}: {spec.decl.reason(bk.name)}")
    dtypes = [d for d in (pin.dtypes or bk.dtypes) if d in bk.dtypes]
    if not dtypes:
        pytest.skip(f"{bk.label} has none of the dtypes {pin.dtypes} of this pinned value")
    with lx.exact_tails(pin.exact_tails):
        for dtype in dtypes:
            _check(bk, spec, pin, dtype)
