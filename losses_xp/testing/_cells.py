"""One cell of the matrix: a backend (on a device) x loss x case x dtype x reduction.

The machinery every check shares: converting a case to a backend, the oracle's value and
gradient (computed once per case, dtype and reduction), calling the loss (lazily on Dask:
any compute inside it raises, and its shape must be static), the loss as a scalar for a
gradient, the tolerances of a case.

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

import contextlib
import math
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from .._testing.backends import Backend
from .._testing.compare import TOLERANCES, Tol
from .._testing.compare import assert_close as assert_close
from .._testing.inputs import Case, quantize
from ._spec import case_rng

if TYPE_CHECKING:
    from ._spec import Spec

#: the reductions whose result is a scalar (differentiable directly)
SCALAR = ("mean", "sum")


@dataclass(frozen=True)
class Combo:
    """One cell: backend (on a device) × spec × case × dtype × reduction (``"*"``: a
    check that runs every reduction of the case in one cell)."""

    bk: Backend
    spec: Spec
    case: Case
    dtype: str
    reduction: str
    kind: str = "values"  # or "extreme": which of the spec's cases

    def id(self, with_device: bool) -> str:
        if self.reduction == "*":
            parts = [self.spec.name, f"{self.kind}:{self.case.name}", self.dtype]
        else:
            parts = [self.spec.name, self.case.name, self.dtype, self.reduction]
        if with_device:
            parts.append(str(self.bk.device_name))
        return "-".join(parts)

    @property
    def parts(self) -> tuple[Backend, Spec, Case, str, str]:
        """``(bk, spec, case, dtype, reduction)``."""
        return self.bk, self.spec, self.case, self.dtype, self.reduction


# --------------------------------------------------------------------------- cases


def value_cases(spec: Spec) -> tuple[Case, ...]:
    """The value cases of a spec (made once)."""
    return spec.value_cases()


def extreme_cases(spec: Spec) -> tuple[Case, ...]:
    """The extreme cases of a spec (made once)."""
    return spec.extreme_cases()


def find_case(spec: Spec, case_name: str) -> Case:
    for c in value_cases(spec) + extreme_cases(spec):
        if c.name == case_name:
            return c
    raise KeyError(f"{spec.name} has no case {case_name!r}")


# --------------------------------------------------------------------------- conversion


def _convert(bk: Backend, v: Any, dtype: str) -> Any:
    if isinstance(v, np.ndarray):
        return bk.asarray(v, dtype if v.dtype.kind == "f" else None)
    return v


def to_backend(bk: Backend, case: Case, dtype: str) -> tuple[list[Any], dict[str, Any]]:
    """The case's arrays as ``bk`` arrays; floating ones (options too) in ``dtype``."""
    args = [_convert(bk, a, dtype) for a in case.args]
    kwargs = {k: _convert(bk, v, dtype) for k, v in case.kwargs.items()}
    return args, kwargs


# --------------------------------------------------------------------------- oracles

_ORACLE_CACHE: dict[tuple[int, str, str, str], np.ndarray] = {}
_GRAD_CACHE: dict[tuple[int, str, str, str], list[np.ndarray]] = {}
_EXTREME_CACHE: dict[tuple[int, str, str, str], np.ndarray | None] = {}


#: whether an oracle whose library is not installed skips its tests (``True`` only with
#: ``--missing-oracles=skip``, for the vendored copy's smoke run in a bare environment;
#: by default a missing oracle library is an error, never a silent skip)
MISSING_ORACLES_SKIP: list[bool] = [False]


class Skipped(Exception):
    """A cell that does not apply here; its message says why (pytest: a skip)."""


def skip(reason: str) -> NoReturn:
    """Skip the cell with ``reason``: a pytest skip under pytest, else :class:`Skipped`."""
    pytest = sys.modules.get("pytest")
    if pytest is not None:
        raise pytest.skip.Exception(reason)
    raise Skipped(reason)


def skip_types() -> tuple[type[BaseException], ...]:
    """The exceptions that mean a skipped cell (:func:`skip`'s)."""
    pytest = sys.modules.get("pytest")
    return (Skipped,) + ((pytest.skip.Exception,) if pytest is not None else ())


@contextlib.contextmanager
def _oracle_library(spec: Spec) -> Iterator[None]:
    try:
        yield
    except ModuleNotFoundError as exc:
        if not MISSING_ORACLES_SKIP[0]:
            raise
        skip(f"the oracle of {spec.name} ({spec.reference}) needs {exc.name}, which "
                    "is not installed here (--missing-oracles=skip)")


def oracle_value(spec: Spec, case: Case, dtype: str, reduction: str) -> np.ndarray:
    key = (id(spec), case.name, dtype, reduction)
    if key not in _ORACLE_CACHE:
        q = case.quantized(dtype)
        with np.errstate(all="ignore"), warnings.catch_warnings(), _oracle_library(spec):
            warnings.simplefilter("ignore")
            _ORACLE_CACHE[key] = np.asarray(spec.oracle(q.args, q.kwargs, reduction),
                                            dtype=np.float64)
    return _ORACLE_CACHE[key]


def extreme_value(spec: Spec, case: Case, dtype: str, reduction: str) -> np.ndarray | None:
    """The oracle's value at an extreme case (``None``: the spec checks finiteness only)."""
    key = (id(spec), case.name, dtype, reduction)
    if key not in _EXTREME_CACHE:
        q = case.quantized(dtype)
        with np.errstate(all="ignore"), warnings.catch_warnings(), _oracle_library(spec):
            warnings.simplefilter("ignore")
            _EXTREME_CACHE[key] = spec.extreme_value(q.args, q.kwargs, reduction, dtype)
    return _EXTREME_CACHE[key]


def cotangent(case: Case, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """A fixed random cotangent for ``reduction="none"`` gradients (a VJP)."""
    rng = case_rng(case.name, "cotangent")
    return quantize(rng.uniform(0.5, 1.5, size=shape), dtype)


def oracle_grad(spec: Spec, case: Case, dtype: str, reduction: str) -> list[np.ndarray]:
    key = (id(spec), case.name, dtype, reduction)
    if key not in _GRAD_CACHE:
        q = case.quantized(dtype)
        ct = None
        if reduction == "none":
            ct = cotangent(case, oracle_value(spec, case, dtype, "none").shape, dtype)
        with np.errstate(all="ignore"), warnings.catch_warnings(), _oracle_library(spec):
            warnings.simplefilter("ignore")
            _GRAD_CACHE[key] = spec.oracle_grad(q.args, q.kwargs, reduction, ct)
    return _GRAD_CACHE[key]


# --------------------------------------------------------------------------- calling


@contextlib.contextmanager
def expected_warnings(case: Case) -> Iterator[None]:
    """NaN-by-definition cases (empty mean, every target ignored) compute 0/0, which
    NumPy reports as a RuntimeWarning (an error under this project's pytest config);
    every other case must run without any RuntimeWarning."""
    if "nan-mean" in case.tags:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            yield
    else:
        yield


def bind(fn: Callable[..., Any], kwargs: Mapping[str, Any], reduction: str) -> Callable[..., Any]:
    """``fn`` with the case's options and the reduction fixed, positional args free."""
    owner = getattr(fn, "__self__", None)
    if owner is not None:
        # a bound method (``spec.entry.call``) as the function and its instance: Dynamo
        # before PyTorch 2.4 cannot call a bound method held in a closure cell
        # ("call_function UserDefinedObjectVariable(call)"), under torch.compile(fullgraph)
        func = fn.__func__  # type: ignore[attr-defined]

        def call_method(*args: Any) -> Any:
            return func(owner, *args, reduction=reduction, **kwargs)
        return call_method

    def call(*args: Any) -> Any:
        return fn(*args, reduction=reduction, **kwargs)
    return call


def run(bk: Backend, spec: Spec, case: Case, dtype: str, reduction: str,
        ) -> tuple[Any, list[Any], dict[str, Any]]:
    """Call the loss on ``bk``.  Dask must stay lazy: any compute inside the loss raises,
    and the result's shape must be known without computing (a boolean mask or
    ``nonzero`` gives NaN dimensions): test_no_host_sync.py's Dask mode, run by every
    value and extreme case of the matrix."""
    args, kwargs = to_backend(bk, case, dtype)
    with expected_warnings(case), bk.forbid_compute():
        out = spec.entry.call(*args, reduction=reduction, **kwargs)
    if bk.name == "dask":
        for o in out if isinstance(out, tuple) else (out,):
            assert_lazy_static(bk, o, f"{spec.name}[{case.name}] {dtype} {reduction}")
    return out, args, kwargs


def assert_lazy_static(bk: Backend, out: Any, what: str) -> None:
    """``out`` is a lazy Dask array whose shape is known without computing (a boolean
    mask or ``nonzero`` makes a dimension NaN until computed)."""
    assert bk.is_native(out), f"{what}: expected a lazy dask array, got {type(out)}"
    assert not any(math.isnan(d) for d in out.shape), (
        f"{what}: data-dependent shape {out.shape} (a boolean mask or nonzero)")


# --------------------------------------------------------------------------- checks


def case_tol(spec: Spec, case: Case, dtype: str) -> Tol:
    """The tolerance of a case: the table's for the dtype, without the absolute floor for
    a ``tail`` case (its loss and gradient are tiny next to 1: exact in relative terms)."""
    tol = spec.tol(dtype)
    return Tol(tol.rtol, 0.0) if "tail" in case.tags else tol


def grad_scale(g: np.ndarray) -> float:
    """The gradient's scale for its absolute tolerance (see ``registry.Tol``)."""
    finite = np.abs(g[np.isfinite(g)])
    largest = float(finite.max()) if finite.size else 0.0
    return largest if largest > 0.0 else 1.0  # (a gradient of exact zeros: rounding noise)


def first_floating(case: Case) -> int:
    for i, a in enumerate(case.args):
        if a.dtype.kind == "f":
            return i
    raise AssertionError(f"case {case.name} has no floating argument")


def scalar_loss(bk: Backend, spec: Spec, case: Case, dtype: str, reduction: str,
                kwargs: Mapping[str, Any]) -> Callable[..., Any]:
    """The loss as a scalar function of its positional args, for ``value_and_grad``.

    ``mean``/``sum`` are scalars already; ``none`` becomes ``sum(loss * v)`` with the
    fixed cotangent ``v`` of :func:`cotangent` (so the gradient is a VJP), exactly as
    :meth:`Spec.oracle_grad` scalarises the oracle.
    """
    loss = bind(spec.entry.call, kwargs, reduction)
    if reduction != "none":
        return loss
    shape = oracle_value(spec, case, dtype, "none").shape
    v = bk.asarray(cotangent(case, shape, dtype), dtype)

    def scalar(*args: Any) -> Any:
        out = loss(*args)
        return bk.namespace_of(out).sum(out * v)
    return scalar


# --------------------------------------------------------------------------- small helpers
#: the full-precision dtypes (where published values are exact enough to pin)
FULL = ("float32", "float64")
NO_AUTODIFF = "{name} has no autodiff: gradients are checked on torch and jax"


def full_dtypes(bk: Backend) -> list[str]:
    """The backend's full-precision dtypes."""
    return [d for d in FULL if d in bk.dtypes]


def need_autodiff(bk: Backend) -> None:
    """Skip (with the reason) on a backend without autodiff."""
    if not bk.autodiff:
        skip(NO_AUTODIFF.format(name=bk.name))


def lazy(bk: Backend, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """``fn(*args, **kw)`` with any Dask compute forbidden (a loss must stay lazy)."""
    with bk.forbid_compute():
        return fn(*args, **kw)


def on(bk: Backend, arrays: tuple[np.ndarray, ...], dtype: str) -> list[Any]:
    """NumPy arrays as ``bk`` arrays, floating ones in ``dtype``."""
    return [bk.asarray(a, dtype if a.dtype.kind == "f" else None) for a in arrays]


@contextlib.contextmanager
def no_runtime_warnings() -> Iterator[None]:
    """Inside the block, any ``RuntimeWarning`` fails the test."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        yield
    seen = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not seen, f"RuntimeWarnings: {seen}"


def grad_of(bk: Backend, fn: Callable[..., Any], x: Any) -> np.ndarray:
    """The gradient of the scalar ``fn`` at ``x`` (autodiff backends)."""
    _, (g,) = bk.value_and_grad(fn, [x], [0])
    return g


def close(got: np.ndarray, want: Any, dtype: str, what: str = "") -> None:
    """``got`` within the tolerance table's entry for ``dtype`` of ``want``."""
    tol = TOLERANCES[dtype]
    np.testing.assert_allclose(got, want, rtol=tol.rtol, atol=tol.atol, err_msg=f"{dtype} {what}")


def compiled_call(bk: Backend, fn: Callable[..., Any], *args: Any) -> Any | None:
    """``fn(*args)`` through the backend's compiler, or None where it has none."""
    if not bk.compiles:
        return None
    if bk.name == "torch":
        import torch._dynamo

        torch._dynamo.reset()
    return bk.compile(fn)(*args)


def atol_scale(decl: Any, input_scale: float, size: int, reduction: str) -> float:
    """The scale of the absolute tolerance of a result, from the loss's declared growth:
    a loss of inputs ~x is only known to ~ulp(x) (~ulp(x²) for a quadratic one, ~ulp(e^x)
    for an exponential one), a loss
    bounded whatever its inputs to the table's absolute tolerance itself, and a sum to
    that many times the summed count.  (Never a multiplier that grows with an option.)"""
    scale = 1.0 if decl.growth == "bounded" else max(1.0, input_scale)
    if decl.growth == "quadratic":
        scale *= scale
    elif decl.growth == "exponential":  # (exp of a log-rate)
        scale = max(scale, math.exp(min(input_scale, 700.0)))
    return scale * (max(1.0, float(size)) if reduction == "sum" else 1.0)
