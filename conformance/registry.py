"""One :class:`Spec` per public loss: its cases, an independent oracle, the differences.

The registry is the single source of the conformance matrix.  Each loss's spec entry
lives in its family's spec file (``conformance/specs_<family>.py``, discovered here) and
joins

* the loss's **declaration** (``losses_xp._declare``: the function, its argument
  kinds, reductions, differentiable arguments and what it does not support);
* its **value cases** and **extreme cases** (``rng -> list[Case]``, from the generators
  of ``losses_xp._testing.inputs``);
* a float64 **oracle from an independent implementation** — PyTorch's
  ``torch.nn.functional``, Keras 3 (NumPy backend), scikit-learn, optax or a published
  reference code — never a second copy of our formula.  Oracles receive the case's
  arrays already rounded to the dtype under test (as float64), so only our arithmetic
  is being measured;
* a **gradient oracle**: PyTorch autograd through the PyTorch oracle, or, where the
  oracle has no autodiff, a fourth-order central finite difference of it in float64;
* optional **cross-checks** (further independent oracles, each with the tolerance it
  meets against the main oracle in float64), **pinned values** (:class:`Pinned`:
  published values and fuzzer findings, checked on every backend by
  ``test_pinned.py``), and the documented **differences** from the oracle.

Oracle calling convention: ``oracle(args, kwargs, reduction) -> numpy.ndarray`` with
``args`` the case's positional arrays (float64 / int64 / bool) and ``kwargs`` its
options (NumPy arrays or lists).  A cross-check may return ``None`` for a case it
cannot express.  The tolerances are the one table of ``losses_xp._testing.compare``.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

import losses_xp
from losses_xp._declare import Declaration, declaration
from losses_xp._testing.compare import TOLERANCES, Tol
from losses_xp._testing.inputs import Case

__all__ = ["EXACT", "KERAS", "SPECS", "TOLERANCES", "Entry", "Pinned", "Spec", "Tol",
           "finite_difference_grad", "from_torch", "keras", "np_reduce", "public_names",
           "spec", "t_reduce", "tensor", "torch", "torch_spec"]

Oracle = Callable[[tuple[np.ndarray, ...], Mapping[str, Any], str], np.ndarray]
TorchExpr = Callable[[list[Any], Mapping[str, Any], str], Any]
MakeCases = Callable[[np.random.Generator], list[Case]]

#: the tolerance a float64 cross-check meets against the main oracle: exact libraries
#: agree to rounding; Keras's NumPy backend computes in float32 (see :func:`keras`)
EXACT = Tol(rtol=1e-9, atol=1e-12)
KERAS = Tol(rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True)
class Entry:
    """A loss as the matrix calls it: its declaration and its two case makers.

    ``shape_tags``: the shape tags its value cases must cover (fewer for functions whose
    inputs cannot take some shapes, e.g. 1-d class counts).
    """

    decl: Declaration
    make_cases: MakeCases = field(repr=False)
    make_extreme: MakeCases = field(repr=False)
    shape_tags: frozenset[str] = frozenset({"0d", "empty", "2d", "nd"})

    @property
    def name(self) -> str:
        return self.decl.name

    @property
    def fn(self) -> Callable[..., Any]:
        return self.decl.fn

    @property
    def kinds(self) -> Declaration:
        """What each argument and option is (the declaration), for the fuzzer and the
        error catalogue."""
        return self.decl

    @property
    def differentiable(self) -> tuple[int, ...]:
        return self.decl.differentiable

    @property
    def reductions(self) -> tuple[str, ...]:
        return self.decl.reductions

    @property
    def takes_reduction(self) -> bool:
        return self.decl.takes_reduction

    @property
    def tuple_output(self) -> bool:
        return self.decl.tuple_output

    def call(self, *args: Any, reduction: str, **kwargs: Any) -> Any:
        """The loss as ONE array (a tuple output stacked on a new first axis)."""
        return self.stack(self.decl.call(*args, reduction=reduction, **kwargs))

    def stack(self, out: Any) -> Any:
        """A result as one array: a tuple output stacked on a new first axis."""
        if self.decl.tuple_output:
            from losses_xp._compat import namespace

            xp = namespace({f"output {i}": o for i, o in enumerate(out)})
            out = xp.stack(tuple(out), axis=0)
        return out

    def cases(self, rng: np.random.Generator) -> list[Case]:
        """The representative value cases (deterministic for a given ``rng`` state)."""
        return _checked(self.make_cases(rng))

    def extreme_cases(self, rng: np.random.Generator) -> list[Case]:
        """Inputs at the edges of the dtypes' range; the loss must stay finite there."""
        return _checked(self.make_extreme(rng))

    def reductions_for(self, case: Case) -> tuple[str, ...]:
        if case.reductions is None:
            return self.reductions
        return tuple(r for r in self.reductions if r in case.reductions)

    def mean_is_mean_of_none(self, case: Case) -> bool:
        """``mean`` is the mean of ``none`` but where per-class weights or ignored
        targets make the mean divide by a weight sum, a contrastive loss by the number of
        rows that have a positive (unit ``anchor``), lists that rank nothing leave it
        (unit ``list``), or each sequence is divided by its target length first (unit
        ``sequence``, PyTorch's CTC mean)."""
        return (not (case.tags & {"ignore", "class-weight"})
                and self.decl.unit not in ("anchor", "list", "kept_image", "sequence"))


def _checked(cases: list[Case]) -> list[Case]:
    names = [c.name for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise AssertionError(f"duplicate case names: {sorted(dup)}")
    return cases


# --------------------------------------------------------------------------- pinned values


@dataclass(frozen=True)
class Pinned:
    """A value pinned by a publication, a docstring or a fuzzer finding.

    ``test_pinned.py`` calls the loss on ``args``/``kwargs`` (floating arrays rounded to
    each dtype of ``dtypes`` that the backend has; all of them by default) with each of
    ``reductions``, lazily on Dask, and checks the result's library, namespace, device,
    dtype and shape (NumPy: an ``ndarray``, never a NumPy scalar), that no
    ``RuntimeWarning`` was emitted, that no value is ``-0.0`` (but PyTorch's own fused
    kernels' where ``torch_negative_zero`` says so), and the value: ``value`` is a number
    or array, ``"oracle"`` (the spec's oracle on the rounded inputs), or a callable
    ``(args, kwargs, reduction, dtype) -> array`` (an independent oracle).  The
    tolerance is the table's for the dtype unless ``tol`` gives one (a :class:`Tol`, or
    a mapping dtype -> :class:`Tol`).  ``grad`` likewise pins the gradient of
    ``sum(loss)`` with respect to the first argument (autodiff backends; ``"oracle"``:
    the spec's oracle gradient), with the first of ``reductions``, and
    ``compiled`` also runs the call under ``jax.jit`` / ``torch.compile``.
    ``exact_tails`` runs it all in a ``losses_xp.exact_tails()`` block (a value in the
    far tails that a framework's fused kernel rounds by default).
    """

    name: str
    args: tuple[np.ndarray, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    value: Any = None
    reductions: tuple[str, ...] = ("none",)
    dtypes: tuple[str, ...] | None = None
    tol: Tol | Mapping[str, Tol] | None = None
    grad: Any = None
    grad_tol: Tol | Mapping[str, Tol] | None = None
    compiled: bool = False
    torch_negative_zero: bool = False
    exact_tails: bool = False
    why: str = ""

    def tolerance(self, dtype: str, grad: bool = False) -> Tol:
        tol = self.grad_tol if grad else self.tol
        if tol is None:
            return TOLERANCES[dtype]
        return tol if isinstance(tol, Tol) else tol[dtype]


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class Spec:
    """Everything the conformance suite knows about one public loss."""

    name: str
    entry: Entry
    oracle: Oracle
    reference: str
    differences: str = ""
    torch_expr: TorchExpr | None = None
    cross_checks: tuple[tuple[str, Oracle, Tol], ...] = ()
    extreme_oracle: bool | Callable[..., np.ndarray] = True
    tolerances: Mapping[str, Tol] = field(default_factory=lambda: TOLERANCES)
    pinned: tuple[Pinned, ...] = ()
    error_fields: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    torch_negative_zero: bool = False

    # extreme_oracle: True: the oracle is exact at the extreme cases too (its finite
    # values are compared there as well); a callable ``(args, kwargs, reduction, dtype)``:
    # the oracle of the extreme cases (e.g. the main oracle on inputs clamped as we
    # document, for probabilities of exactly 0 and 1); False: finiteness only.
    # torch_negative_zero: PyTorch's own fused kernel (class indices, reduction="none")
    # returns -0.0 for a loss of exactly 0, kept as PyTorch's value (docs/numerics.md).
    # error_fields: row id of the error catalogue (conformance/errors/) -> the fields of
    # its message that only this function knows (its own wording, which no declaration
    # can derive: why a reduction is missing, what to use instead).

    @property
    def fn(self) -> Callable[..., Any]:
        return self.entry.fn

    @property
    def decl(self) -> Declaration:
        return self.entry.decl

    @property
    def grad_method(self) -> str:
        return "torch autograd" if self.torch_expr is not None else "finite differences"

    def tol(self, dtype: str) -> Tol:
        return self.tolerances[dtype]

    def extreme_value(self, args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                      reduction: str, dtype: str) -> np.ndarray | None:
        """The oracle's value at an extreme case (``None``: finiteness only)."""
        if self.extreme_oracle is False:
            return None
        if self.extreme_oracle is True:
            return np.asarray(self.oracle(args, kwargs, reduction), dtype=np.float64)
        return np.asarray(self.extreme_oracle(args, kwargs, reduction, dtype),
                          dtype=np.float64)

    def oracle_grad(self, args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                    reduction: str, cotangent: np.ndarray | None) -> list[np.ndarray]:
        """Gradients of the oracle w.r.t. the differentiable arguments, in float64.

        For ``reduction="none"`` the scalar is ``sum(loss * cotangent)`` (a VJP).
        """
        argnums = self.entry.differentiable
        if self.torch_expr is not None:
            targs = [tensor(a, requires_grad=i in argnums) for i, a in enumerate(args)]
            out = self.torch_expr(targs, torch_kwargs(kwargs), reduction)
            if cotangent is not None:
                out = (out * tensor(cotangent)).sum()
            grads = torch().autograd.grad(out, [targs[i] for i in argnums])
            return [g.detach().numpy() for g in grads]

        def scalar(*a: np.ndarray) -> float:
            v = self.oracle(a, kwargs, reduction)
            return float(np.sum(v * cotangent)) if cotangent is not None else float(v)
        return [finite_difference_grad(scalar, args, i) for i in argnums]


def spec(name: str, oracle: Oracle, reference: str, cases: MakeCases, extreme: MakeCases, *,
         shape_tags: frozenset[str] | None = None, **kw: Any) -> Spec:
    """The spec entry of the public function ``name`` (its declaration is looked up)."""
    entry = Entry(declaration(name), cases, extreme,
                  **({} if shape_tags is None else {"shape_tags": shape_tags}))
    return Spec(name=name, entry=entry, oracle=oracle, reference=reference, **kw)


def torch_spec(name: str, expr: TorchExpr, reference: str, cases: MakeCases,
               extreme: MakeCases, **kw: Any) -> Spec:
    """A spec whose oracle is a PyTorch expression (gradients by autograd)."""
    return spec(name, from_torch(expr), reference, cases, extreme, torch_expr=expr, **kw)


def finite_difference_grad(f: Callable[..., float], args: tuple[np.ndarray, ...],
                           argnum: int, rel_step: float = 1e-4) -> np.ndarray:
    """Fourth-order central difference of scalar ``f`` w.r.t. ``args[argnum]`` (float64).

    Truncation error ~h⁴ (1e-16 relative with h = 1e-4·max(1, |x|)); rounding
    ~eps·|f|/h.  Only used on smooth oracles (log-cosh, probabilities in the interior,
    a positive mean squared error).
    """
    x = np.array(args[argnum], dtype=np.float64, order="C")  # (reshape(-1) must be a view)
    g = np.zeros_like(x)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        h = rel_step * max(1.0, abs(flat[i]))
        vals = []
        for k in (-2, -1, 1, 2):
            xi = flat.copy()
            xi[i] += k * h
            a = list(args)
            a[argnum] = xi.reshape(x.shape)
            vals.append(f(*a))
        gflat[i] = (vals[0] - 8 * vals[1] + 8 * vals[2] - vals[3]) / (12 * h)
    return g


# --------------------------------------------------------------------------- oracle helpers


@cache
def torch() -> Any:
    import torch as _torch_module

    return _torch_module


@cache
def jax_x64(fn: Callable[[], Any]) -> np.ndarray:
    """``fn()`` with JAX's x64 switched on (the optax / rax cross-checks in float64), as a
    float64 NumPy array; the switch restored after."""
    import jax

    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        return np.asarray(fn(), np.float64)
    finally:
        jax.config.update("jax_enable_x64", old)


def keras() -> Any:
    """Keras 3 on its NumPy backend (the backend is fixed at the first import).

    Keras's NumPy backend computes in float32 whatever ``floatx`` says: its type
    promotion maps float64 to float32 "to align with JAX"
    (``BIT64_TO_BIT32_DTYPE`` in ``keras/src/backend/common/dtypes.py``), e.g. the
    ``log(2)`` of ``log_cosh`` and every product with a Python float.  Keras is
    therefore a cross-check at float32 accuracy here, not a float64 oracle.
    """
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "numpy"
    import keras as _keras_module

    if _keras_module.backend.backend() != "numpy":
        raise RuntimeError(
            f"the Keras oracle needs KERAS_BACKEND=numpy, but keras was already imported "
            f"with the {_keras_module.backend.backend()!r} backend in this process"
        )
    return _keras_module


def tensor(a: Any, requires_grad: bool = False) -> Any:
    """A float64 (or integer) PyTorch tensor of a NumPy array."""
    a = np.asarray(a)
    if a.dtype.kind in "fb" or (a.dtype.kind == "i" and requires_grad):
        t = torch().from_numpy(np.array(a, dtype=np.float64))
    else:
        t = torch().from_numpy(np.array(a))
    return t.requires_grad_(requires_grad) if requires_grad else t


def torch_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Array options (NumPy arrays, lists) as float64 tensors; the rest as they are."""
    out: dict[str, Any] = {}
    for k, v in kwargs.items():
        if isinstance(v, (np.ndarray, list)):
            out[k] = tensor(np.asarray(v, dtype=np.float64))
        else:
            out[k] = v
    return out


def from_torch(expr: TorchExpr) -> Oracle:
    """A NumPy-in/NumPy-out float64 oracle from a PyTorch expression."""
    def oracle(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
               reduction: str) -> np.ndarray:
        with torch().no_grad():
            out = expr([tensor(a) for a in args], torch_kwargs(kwargs), reduction)
        return np.asarray(out.numpy(), dtype=np.float64)
    return oracle


def np_reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    """Our documented reductions of an element-wise oracle value: sum, or sum / count."""
    if reduction == "none":
        return loss
    s = np.sum(loss)
    if reduction == "sum":
        return np.asarray(s)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(s / np.float64(loss.size))


def t_reduce(loss: Any, reduction: str) -> Any:
    """:func:`np_reduce` of a PyTorch tensor."""
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / loss.numel()


def class_first(x: Any, axis: int, ndim: int) -> Any:
    """PyTorch wants the class axis at 1 (or 0 for an unbatched (C,) input)."""
    axis %= ndim
    return x if ndim == 1 or axis == 1 else x.movedim(axis, 1)


# --------------------------------------------------------------------------- the registry


def _discover() -> dict[str, Spec]:
    """Every ``SPECS`` list of the spec files ``conformance/specs_*.py``, by name."""
    out: dict[str, Spec] = {}
    package = importlib.import_module(__package__ or "conformance")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.name.startswith("specs_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for s in module.SPECS:
            if s.name in out:
                raise RuntimeError(f"two spec entries for {s.name}")
            out[s.name] = s
    return out


SPECS: dict[str, Spec] = _discover()


def public_names() -> list[str]:
    """Every public function (aliases included): ``losses_xp.__all__`` without
    ``__version__``."""
    return sorted(n for n in losses_xp.__all__ if n not in losses_xp._NOT_LOSSES)
