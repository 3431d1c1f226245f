"""Backends as the conformance suite and ``python -m losses_xp check`` see them.

A :class:`Backend` turns NumPy reference inputs into arrays of one library (on one
device, in one dtype), reads results back into NumPy, and knows the library's
transformations: gradients (PyTorch autograd, ``jax.grad``), compilation
(``jax.jit``, ``torch.compile(fullgraph=True)``) and laziness (Dask with computing
forbidden).  Nothing here is used by the losses themselves.
"""

from __future__ import annotations

import contextlib
import glob
import importlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _compat

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendUnavailable",
    "NoDevice",
    "autograd_nodes",
    "cuda_device_present",
    "devices_under_test",
    "get_backend",
    "one_chunk",
]

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")

#: whether Dask arrays are made in one chunk (:func:`one_chunk`); else split in about
#: halves along every axis
_ONE_CHUNK = [False]


@contextlib.contextmanager
def one_chunk(on: bool = True) -> Iterator[None]:
    """Within the block, :meth:`Backend.asarray` makes Dask arrays of one chunk.

    For the functions declared ``sorts`` (``losses_xp._declare.Declaration``): they sort
    along an axis, which on Dask must be one chunk, and refuse an array chunked along
    it.  Their own spec entries check that error and chunks along the other axes."""
    before = _ONE_CHUNK[0]
    _ONE_CHUNK[0] = on
    try:
        yield
    finally:
        _ONE_CHUNK[0] = before


class BackendUnavailable(RuntimeError):
    """The backend's library cannot be imported or has no usable device here."""


class NoDevice(BackendUnavailable):
    """The backend needs an accelerator that this machine does not have (CuPy, no GPU).

    A test run may skip such a backend with this reason; any other
    ``BackendUnavailable`` (the library is missing or broken) is a hard error.
    """


def autograd_nodes(t: Any) -> set[str]:
    """The class names of the PyTorch autograd nodes behind the tensor ``t`` (which
    kernels a loss dispatched to, e.g. ``"NllLossBackward0"``)."""
    seen: dict[int, Any] = {}  # (the nodes themselves: a freed wrapper's id is reused)
    stack = [t.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is not None and id(fn) not in seen:
            seen[id(fn)] = fn
            stack.extend(f for f, _ in fn.next_functions)
    return {type(fn).__name__ for fn in seen.values()}


def cuda_device_present() -> bool:
    """Whether this machine has an NVIDIA GPU, judged without importing any GPU library.

    Looks for the driver's device nodes and ``/proc`` entries, then asks ``nvidia-smi``.
    """
    if glob.glob("/dev/nvidia[0-9]*") or glob.glob("/proc/driver/nvidia/gpus/*"):
        return True
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return False
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


@dataclass
class Backend:
    """One array library (and optionally one of its devices) under test."""

    name: str
    module: str
    dtypes: tuple[str, ...]
    autodiff: bool = False
    compiles: bool = False
    lazy: bool = False
    device_name: str | None = None
    _xp: Any = field(default=None, repr=False)

    # -- setup ---------------------------------------------------------------------
    def load(self) -> Any:
        """Import the library (``BackendUnavailable`` with the reason if impossible)."""
        if self._xp is None:
            if self.name == "cupy" and not cuda_device_present():
                raise NoDevice("cupy needs a CUDA device and this machine has none "
                               "(no /dev/nvidia*, no nvidia-smi GPU)")
            try:
                mod = importlib.import_module(self.module)
            except Exception as exc:
                raise BackendUnavailable(
                    f"{self.name}: cannot import {self.module}: {exc}") from exc
            if self.name == "cupy":  # pragma: no cover - CuPy needs a CUDA device
                try:
                    n = mod.cuda.runtime.getDeviceCount()
                except Exception as exc:
                    raise NoDevice(f"cupy: no usable CUDA device ({exc})") from exc
                if n < 1:
                    raise NoDevice("cupy: no CUDA device on this machine")
            if self.name == "jax":
                mod.config.update("jax_enable_x64", True)
            self._xp = mod
        return self._xp

    @property
    def label(self) -> str:
        return self.name if self.device_name is None else f"{self.name}[{self.device_name}]"

    def __str__(self) -> str:
        return self.label

    @property
    def xp(self) -> Any:
        """The library's module (``numpy``, ``torch``, ``jax``, ``array_api_strict`` ...)."""
        if self.name == "jax":
            return importlib.import_module("jax.numpy")
        if self.name == "dask":
            return importlib.import_module("dask.array")
        return self.load()

    @property
    def device(self) -> Any:
        """The library's device object of ``device_name`` (``None``: the default device)."""
        if self.device_name is None:
            return None
        if self.name == "array_api_strict":
            return self.load().Device(self.device_name)
        if self.name == "torch":
            return self.load().device(self.device_name)
        return self.device_name

    def dtype(self, name: str) -> Any:
        """The library's dtype object of that name (``float32``, ``int64`` ...)."""
        return getattr(self.xp, name)

    # -- conversion ----------------------------------------------------------------
    def asarray(self, a: Any, dtype: str | None = None) -> Any:
        """``a`` (NumPy, scalar or sequence) as an array of this backend, in ``dtype``
        when given (integer and bool values too: ``asarray([0, 1], "float32")`` is
        floating); floating values keep their dtype without one."""
        a = np.asarray(a)
        lib = self.load()
        if dtype is not None and a.dtype.kind != "f" and dtype != "bfloat16":
            a = a.astype(dtype)
        floating = a.dtype.kind == "f"
        if floating and dtype is None:
            dtype = str(a.dtype)
        if self.name == "torch":
            # np.array, not np.ascontiguousarray: the latter turns a 0-d array into shape (1,)
            t = lib.from_numpy(np.array(a, dtype=np.float64 if floating else a.dtype))
            if floating:
                t = t.to(getattr(lib, str(dtype)))
            return t.to(self.device_name or "cpu")
        if self.name == "jax":
            jnp = importlib.import_module("jax.numpy")
            out = jnp.asarray(a, dtype=getattr(jnp, str(dtype)) if floating else None)
            return out
        if self.name == "array_api_strict":
            dev = lib.Device(self.device_name) if self.device_name else None
            return lib.asarray(a.astype(dtype) if floating else a, device=dev)
        if self.name == "dask":
            da = importlib.import_module("dask.array")
            arr = a.astype(dtype) if floating else a
            chunks = tuple(max(1, (s + 1) // 2) for s in arr.shape)  # several chunks when possible
            if _ONE_CHUNK[0]:
                chunks = tuple(max(1, s) for s in arr.shape)
            return da.from_array(arr, chunks=chunks if arr.ndim else ())
        if self.name == "cupy":  # pragma: no cover - CuPy needs a CUDA device
            return lib.asarray(a.astype(dtype) if floating else a)
        # numpy
        return a.astype(dtype) if floating else a.copy()

    def to_numpy(self, x: Any) -> np.ndarray:
        """Any result of this backend as a float64 (or original int/bool) NumPy array."""
        if self.name == "torch":
            x = x.detach().cpu()
            if x.dtype.is_floating_point:
                x = x.to(self.load().float64)
            return np.asarray(x.numpy())
        if self.name == "dask":
            # the synchronous scheduler: the test graphs are tiny, and a thread pool costs
            # more than it saves (test_scaleout.py runs the threaded one on purpose)
            x = x.compute(scheduler="synchronous")
        if self.name == "cupy":  # pragma: no cover - CuPy needs a CUDA device
            x = x.get()
        if self.name == "array_api_strict":
            lib = self.load()
            if self.device_name not in (None, "CPU_DEVICE"):
                x = x.to_device(lib.Device("CPU_DEVICE"))
        out = np.asarray(x)
        if out.dtype.kind == "f" or str(out.dtype) == "bfloat16":  # ml_dtypes bfloat16 (JAX)
            out = out.astype(np.float64)
        return out

    # -- introspection -------------------------------------------------------------
    def dtype_name(self, x: Any) -> str:
        return str(x.dtype).rsplit(".", 1)[-1]

    def is_native(self, x: Any) -> bool:
        """Whether ``x`` is an array of this backend (not NumPy, not another library)."""
        root = type(x).__module__.split(".")[0]
        expected = {"jax": ("jax", "jaxlib")}.get(self.name, (self.name,))
        return root in expected

    def device_of(self, x: Any) -> str:
        return str(_compat.device(x))

    def namespace_of(self, x: Any) -> Any:
        """The array-API namespace of ``x`` as array-api-compat resolves it."""
        return _compat.namespace({"x": x})

    def version(self) -> str:
        return str(getattr(self.load(), "__version__", "?"))

    # -- transformations -----------------------------------------------------------
    def value_and_grad(self, fn: Callable[..., Any], args: Sequence[Any],
                       argnums: Sequence[int], *, jit: bool = False,
                       compile_seconds: list[float] | None = None,
                       ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Value of ``fn(*args)`` (a scalar) and its gradients w.r.t. ``args[argnums]``.

        ``jit=True`` differentiates under ``jax.jit`` on JAX (``jax.jit(jax.value_and_grad)``,
        how JAX users train): the same derivative rules as eager ``jax.grad``, which runs
        each primitive as a computation of its own, compiled per shape and dtype: one
        compile per call instead of dozens (test_gradients.py on JAX: 54 s instead of
        121 s for a third of the losses, measured).  PyTorch autograd is eager either way.
        ``compile_seconds`` (JAX with ``jit``): the wall time of the first call of the
        fresh ``jax.jit`` function, its trace and compile (the run itself is milliseconds
        on these small cases) is appended to it.  (Not ``lower(...).compile()``: that
        skips JAX's in-memory cache of identical programs, which the matrix hits often,
        and measured 25% slower on test_gradients.py.)
        """
        if self.name == "torch":
            torch = self.load()
            leaves = [a.detach().clone().requires_grad_(i in argnums) if i in argnums else a
                      for i, a in enumerate(args)]
            out = fn(*leaves)
            grads = torch.autograd.grad(out, [leaves[i] for i in argnums])
            return self.to_numpy(out), [self.to_numpy(g) for g in grads]
        if self.name == "jax":
            jax = importlib.import_module("jax")
            vg = jax.value_and_grad(fn, argnums=tuple(argnums))
            start = time.perf_counter()
            val, grads = (jax.jit(vg) if jit else vg)(*args)
            if jit and compile_seconds is not None:
                jax.block_until_ready((val, grads))
                compile_seconds.append(time.perf_counter() - start)
            return self.to_numpy(val), [self.to_numpy(g) for g in grads]
        raise NotImplementedError(f"{self.name} has no automatic differentiation")

    def compile(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` compiled the way users compile it.

        ``jax.jit`` on JAX; ``torch.compile(fullgraph=True)`` on PyTorch.
        """
        if self.name == "jax":
            return importlib.import_module("jax").jit(fn)  # type: ignore[no-any-return]
        if self.name == "torch":
            torch = self.load()
            backend = os.environ.get("LOSSES_XP_TORCH_COMPILE_BACKEND", "inductor")
            return torch.compile(fn, fullgraph=True, dynamic=False, backend=backend)  # type: ignore[no-any-return]
        raise NotImplementedError(f"{self.name} has no compiler")

    @contextlib.contextmanager
    def forbid_compute(self) -> Iterator[None]:
        """Inside the block, any Dask compute raises (a loss must stay lazy)."""
        if self.name != "dask":
            yield
            return
        dask = importlib.import_module("dask")

        def refuse(*_: Any, **__: Any) -> Any:
            raise AssertionError("a Dask graph was computed inside the loss (it must stay lazy)")

        with dask.config.set(scheduler=refuse):
            yield


BACKENDS: dict[str, Backend] = {
    "numpy": Backend("numpy", "numpy", ("float16", "float32", "float64")),
    "array_api_strict": Backend("array_api_strict", "array_api_strict", ("float32", "float64")),
    "torch": Backend("torch", "torch", FLOAT_DTYPES, autodiff=True, compiles=True),
    "jax": Backend("jax", "jax", FLOAT_DTYPES, autodiff=True, compiles=True),
    "dask": Backend("dask", "dask.array", ("float16", "float32", "float64"), lazy=True),
    "cupy": Backend("cupy", "cupy", ("float16", "float32", "float64")),
}


def devices_under_test(name: str) -> list[str | None]:
    """The devices a conformance run covers for backend ``name`` on this machine.

    array-api-strict: its default ``CPU_DEVICE``, the non-default ``device1`` and
    ``no_float64`` (a device without float64, which catches silent float64 promotion);
    PyTorch: ``cpu`` and ``cuda`` when available; other backends: their default device.
    """
    if name == "array_api_strict":
        return ["CPU_DEVICE", "device1", "no_float64"]
    if name == "torch":
        torch = importlib.import_module("torch")
        return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]
    return [None]


def get_backend(name: str, device: str | None = None) -> Backend:
    """A fresh :class:`Backend` by name, optionally on a named device.

    Devices: ``torch`` takes ``'cpu'``/``'cuda'``; ``array_api_strict`` takes its
    ``'CPU_DEVICE'``, ``'device1'`` and ``'no_float64'`` (which drops float64).
    """
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of {sorted(BACKENDS)}")
    base = BACKENDS[name]
    dtypes = base.dtypes
    if name == "array_api_strict" and device == "no_float64":
        dtypes = tuple(d for d in dtypes if d != "float64")
    return Backend(base.name, base.module, dtypes, base.autodiff, base.compiles, base.lazy,
                   device)
