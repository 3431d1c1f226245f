"""The one module that imports array-api-compat.

Everything backend-specific that the losses need goes through here: resolving the
namespace of the inputs, recognising a backend, reading an array's device, a
per-backend stop-gradient, and deciding whether an array's values may be read on
the host (for eager value checks) without a sync, a trace error or a Dask compute.

Vendoring: if a copy of array-api-compat was placed inside the package as
``losses_xp/_vendor/array_api_compat`` (``python -m losses_xp vendor`` does that),
it is used instead of the installed one.  Only relative imports are used in the
package, so the whole folder can be copied into another project's tree.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

try:  # a vendored copy beside the package wins
    from ._vendor import array_api_compat as _aac  # type: ignore[import-not-found,attr-defined,unused-ignore]
except ModuleNotFoundError as _exc:
    # only "there is no _vendor folder" falls back to the installed array-api-compat; a
    # vendored copy that fails to import is an error, never silently replaced
    if _exc.name != f"{__package__}._vendor":  # pragma: no cover - a broken vendored copy
        raise
    import array_api_compat as _aac

__all__ = [
    "Array",
    "Namespace",
    "array_namespace",
    "default_float",
    "device",
    "device_name",
    "is_array",
    "is_cupy",
    "is_dask",
    "is_empty",
    "is_jax",
    "is_numpy",
    "is_strict",
    "is_torch",
    "library_name",
    "namespace",
    "size",
    "stop_gradient",
    "values_readable",
]

Array = Any
Namespace = Any

# Which library a namespace or an array is.  array-api-compat's is_*_namespace and
# is_torch_array answer the same from the same names, but through functools.lru_cache,
# and Dynamo warns (a UserWarning) on every cached function it traces: a user's
# torch.compile of a loss must be silent (conformance/test_compile.py checks it).


def _namespace_test(*names: str) -> Callable[[Namespace], bool]:
    known = frozenset(names)

    def test(xp: Namespace) -> bool:
        return getattr(xp, "__name__", None) in known

    test.__doc__ = f"Whether a namespace is one of {sorted(known)} (a name read only)."
    return test


is_numpy = _namespace_test("numpy", f"{_aac.__name__}.numpy")
is_torch = _namespace_test("torch", f"{_aac.__name__}.torch")
is_jax = _namespace_test("jax.numpy", "jax.experimental.array_api")
is_dask = _namespace_test("dask.array", f"{_aac.__name__}.dask.array")
is_cupy = _namespace_test("cupy", f"{_aac.__name__}.cupy")
is_strict = _namespace_test("array_api_strict")


def is_torch_array(x: object) -> bool:
    """Whether ``x`` is a PyTorch tensor (never imports torch)."""
    try:
        torch = sys.modules["torch"]
    except KeyError:
        return False
    return isinstance(x, torch.Tensor)


size = _aac.size  # the number of elements; None where a Dask size is unknown
array_namespace = _aac.array_namespace  # (of a Dask block: NumPy, CuPy)


def library_name(x: object) -> str:
    """The library of an array's type, e.g. ``'torch'`` or ``'numpy'``.

    JAX arrays are ``jaxlib`` objects and JAX tracers ``jax`` objects: both are ``'jax'``.
    """
    root = type(x).__module__.split(".")[0]
    return "jax" if root == "jaxlib" else root


# Python values that are never arrays (exact types: a NumPy scalar subclasses float).
_PYTHON_VALUES = (type(None), bool, int, float, complex, str, bytes, list, tuple)

# PyTorch tensors and Python values are recognised here first: the Dynamo of PyTorch 2.3
# and 2.4 cannot trace array-api-compat's checks of them (docs/testing.md)


def is_array(x: object) -> bool:
    """Whether ``x`` is an array of an array-API library (``is_array_api_obj``)."""
    if type(x) in _PYTHON_VALUES:
        return False
    if is_torch_array(x):
        return True
    return bool(_aac.is_array_api_obj(x))


def device(x: Array) -> Any:
    """The device of an array (array-api-compat's ``device``; ``x.device`` for PyTorch)."""
    if is_torch_array(x):
        return x.device
    return _aac.device(x)


def default_float(xp: Namespace, like: Array) -> Any:
    """The library's default real floating dtype on ``like``'s device (for integer inputs)."""
    if is_torch_array(like):
        # (what the namespace info says, but traceable by torch.compile of PyTorch < 2.5)
        return sys.modules["torch"].get_default_dtype()
    info = getattr(xp, "__array_namespace_info__", None)
    if info is None:  # pragma: no cover - a namespace before the 2023.12 standard (JAX < 0.4.32)
        return xp.asarray(0.0, device=device(like)).dtype
    return info().default_dtypes(device=device(like))["real floating"]


def device_name(d: object) -> str:
    """A device as error messages print it, the same way whatever the library.

    PyTorch and Dask devices are printed as they are (``cpu``, ``meta``, ``cuda:0``),
    JAX devices as ``platform:id`` (``cpu:0``), CuPy devices as ``cuda:id``, and
    array-api-strict devices by their name (``device1``, not
    ``array_api_strict.Device('device1')``).
    """
    platform, index = getattr(d, "platform", None), getattr(d, "id", None)
    if isinstance(platform, str) and isinstance(index, int):
        return f"{platform}:{index}"
    if type(d).__module__.split(".")[0] == "cupy":
        return f"cuda:{index}"
    text = str(d)
    named = text.endswith("')") and "('" in text  # array-api-strict's Device('name')
    return text[text.index("('") + 2:-2] if named else text


def is_empty(x: Array) -> bool:
    """Whether ``x`` has no elements by its static shape (an unknown Dask size is NaN or
    ``None``: never 0).  Not array-api-compat's ``size(x) == 0``: its ``math.isnan`` of a
    symbolic size fails ``torch.compile(fullgraph=True, dynamic=True)``."""
    return 0 in x.shape


def _device_or_none(x: object) -> Any:
    """The device of ``x``, or ``None`` where it is unknown (a JAX tracer under ``jit``)."""
    try:
        return device(x)
    except Exception:
        return None


def _same_device(present: dict[str, object]) -> None:
    """``ValueError`` naming the arguments and devices when the arrays live on several.

    Checked here, on metadata, so that the error is the same on every backend (PyTorch
    raises a ``RuntimeError`` from inside the first operation that mixes devices,
    array-api-strict a ``ValueError`` of its own).  Unknown devices are not compared.
    """
    devices: list[tuple[Any, str]] = []
    for name, value in present.items():
        d = _device_or_none(value)
        if d is not None and all(d != seen for seen, _ in devices):
            devices.append((d, name))
    if len(devices) > 1:
        described = ", ".join(f"`{name}` is on {device_name(d)}" for d, name in devices)
        raise ValueError(
            f"all arrays must be on the same device; {described}. "
            "Move them to one device first."
        )


def namespace(arrays: Mapping[str, object], options: Mapping[str, object] | None = None
              ) -> Namespace:
    """The array namespace shared by the named input ``arrays`` and array-valued ``options``.

    Every value of ``arrays`` must be an array; ``options`` (``weight``, ``pos_weight``
    ...) take part only when they are arrays (``None`` and Python sequences are skipped).
    Raises ``TypeError`` naming the arguments and libraries when an input is not an
    array or when the arrays come from different libraries, and ``ValueError`` naming
    the arguments and devices when they live on different devices.
    """
    # fast path (most calls): every input and array option of one plain array type
    # (options that are None or Python values take no part, as below)
    first = next(iter(arrays.values()))
    cached = _NAMESPACE_OF_TYPE.get(type(first))
    if cached is None and is_torch_array(first):
        cached = _torch_namespace()  # (first call, maybe under torch.compile)
        if not sys.modules["torch"].compiler.is_compiling():  # (no global writes in a trace)
            _NAMESPACE_OF_TYPE[type(first)] = cached
    if cached is not None and all(type(v) is type(first) for v in arrays.values()) and (
            options is None or all(type(v) is type(first) or type(v) in _PYTHON_VALUES
                                   for v in options.values())):
        # NumPy arrays all live on the one CPU; PyTorch tensors may not (attribute reads
        # only, static under torch.compile)
        if is_torch_array(first) and (
                any(v.device != first.device for v in arrays.values())  # type: ignore[attr-defined]
                or any(type(v) is type(first) and v.device != first.device  # type: ignore[attr-defined]
                       for v in (options or {}).values())):
            _same_device({**arrays, **{k: v for k, v in (options or {}).items()
                                       if type(v) is type(first)}})
        return cached
    present = dict(arrays)
    present.update({k: v for k, v in (options or {}).items() if is_array(v)})
    for name, value in arrays.items():
        if not is_array(value):
            raise TypeError(
                f"`{name}` must be an array (NumPy, PyTorch, JAX, CuPy, Dask or another "
                f"array-API library); got {type(value).__module__}.{type(value).__qualname__}"
            )
    libs: dict[str, str] = {}
    for name, value in present.items():
        libs.setdefault(library_name(value), name)
    if len(libs) > 1:
        described = ", ".join(f"`{arg}` is a {lib} array" for lib, arg in libs.items())
        raise TypeError(
            f"all array arguments must come from the same array library; {described}. "
            "Convert them to one library first."
        )
    _same_device(present)
    xp = _aac.array_namespace(*present.values())
    if library_name(first) in _CACHEABLE and len(libs) == 1:
        _NAMESPACE_OF_TYPE[type(first)] = xp
    return xp


# The namespace of an array type whose namespace depends on nothing else (not
# array-api-strict's: its flags): saves the ~2 µs of array_namespace on every small call
_CACHEABLE = ("numpy", "torch")
_NAMESPACE_OF_TYPE: dict[type, Namespace] = {}


def _torch_namespace() -> Namespace:
    """array-api-compat's PyTorch namespace (what ``array_namespace`` returns for tensors).

    Imported with an import statement, which Dynamo traces: the first call of a loss may
    come under ``torch.compile``, where the Dynamo of PyTorch 2.3 and 2.4 cannot trace
    ``array_namespace`` (nor the checks below it: ``dict.setdefault``, ``hasattr``).
    """
    if _aac.__name__ == "array_api_compat":
        from array_api_compat import torch as xp
    else:  # pragma: no cover - the vendored copy (tested under its own package name)
        from ._vendor.array_api_compat import torch as xp  # type: ignore[import-not-found,no-redef,unused-ignore]
    return xp


def stop_gradient(xp: Namespace, x: Array) -> Array:
    """``x`` with its gradient stopped, without touching any global grad mode.

    PyTorch: ``Tensor.detach``; JAX: ``jax.lax.stop_gradient``; libraries without
    autodiff (NumPy, CuPy, Dask, array-api-strict): ``x`` itself.
    """
    if is_torch(xp):
        return x.detach()
    if is_jax(xp):
        import jax

        return jax.lax.stop_gradient(x)
    return x


def values_readable(*arrays: object) -> bool:
    """Whether reading the values of every array (``None`` skipped) is cheap, eager and
    sync-free: value-dependent validation runs only then.

    True for NumPy and array-api-strict arrays, for PyTorch CPU tensors outside
    ``torch.compile`` tracing and functorch transforms, and for concrete JAX arrays on
    the CPU outside every transformation.  False for Dask (it would compute), CuPy and
    CUDA tensors (a device sync), JAX tracers, JAX arrays that are not fully addressable
    (sharded over several hosts: a multi-host ``jax.Array`` whose
    ``is_fully_addressable`` is False; no process can read all of it) and anything
    unknown.
    """
    for x in arrays:
        if x is None:
            continue
        # (torch first: the Dynamo of PyTorch 2.3 cannot trace type(x).__module__.split)
        lib = "torch" if is_torch_array(x) else library_name(x)
        if lib == "torch":
            torch = sys.modules["torch"]
            if torch.compiler.is_compiling():
                return False  # pragma: no cover - only in a torch.compile trace, unseen by coverage
            functorch = getattr(torch._C, "_functorch", None)
            if functorch is not None and functorch.is_functorch_wrapped_tensor(x):
                return False
            if x.device.type != "cpu":  # type: ignore[attr-defined]
                return False
        elif lib == "jax":
            jax = sys.modules["jax"]
            if isinstance(x, jax.core.Tracer) or _jax_tracing(jax):
                return False
            # a multi-host array: this process holds only some shards, and reading the
            # values would need every host (a metadata attribute, no transfer; a JAX
            # without it has no multi-host arrays)
            if not getattr(x, "is_fully_addressable", True):
                return False
            try:
                if not all(d.platform == "cpu" for d in x.devices()):  # type: ignore[attr-defined]
                    return False
            except Exception:  # deleted or otherwise unreadable buffers
                return False
        elif lib not in ("numpy", "array_api_strict"):
            return False
    return True


def _jax_tracing(jax: Any) -> bool:
    """Whether a JAX transformation (``jit``, ``grad``, ``vmap``) is tracing right now:
    then even a concrete array (captured by the traced function) is not readable, since
    every operation on it is staged into the trace.  Public API only: the current trace
    (``jax.extend.core.find_top_trace``) is compared with the one a new thread starts
    with, which is outside every transformation whatever this thread is doing (the first
    call may well come from inside ``jax.grad``); older JAX has ``trace_state_clean``."""
    if not _JAX_TRACING:
        find: Any = getattr(importlib.import_module("jax.extend.core"), "find_top_trace", None)
        if find is not None:  # pragma: no branch - JAX 0.10 has it
            top: list[Any] = []
            thread = threading.Thread(target=lambda: top.extend((find(()), find(()))))
            thread.start()
            thread.join()
            if top[0] is top[1]:  # pragma: no branch - JAX 0.10: one object, not copies
                _JAX_TRACING.append(lambda: find(()) is not top[0])
        if not _JAX_TRACING:  # pragma: no cover - older JAX (0.4.30), whose jax.core has it
            _JAX_TRACING.append(lambda: not jax.core.trace_state_clean())
    return _JAX_TRACING[0]()


_JAX_TRACING: list[Callable[[], bool]] = []
