"""What the kit knows about one loss: its declaration, its cases and an independent oracle.

A :class:`Spec` joins

* the loss's **declaration** (:func:`losses_xp.testing.declare`, the same language as the
  library's own ``losses_xp._declare``: argument kinds, reductions, differentiable
  arguments, what it does not support);
* its **value cases** and **extreme cases** (``rng -> list[Case]``; by default derived
  from the declaration alone, ``losses_xp._testing.declared``);
* a float64 **oracle**, ``oracle(args, kwargs, reduction) -> numpy.ndarray``, called on
  the case's arrays already rounded to the dtype under test (as float64, so only the
  loss's own arithmetic is measured) and its options (NumPy arrays or lists);
* a **gradient oracle**: PyTorch autograd through ``torch_expr`` (a PyTorch expression
  ``(tensors, kwargs, reduction) -> tensor``, also the value oracle), or else a
  fourth-order central finite difference of the oracle in float64;
* optional **pinned values** (:class:`Pinned`) and the tolerances (by default the one
  table of ``losses_xp._testing.compare``).

The library's own conformance suite builds its specs with these classes
(``conformance/registry.py``); a user builds them with :func:`losses_xp.testing.spec`.

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from .._declare import Declaration
from .._testing.compare import TOLERANCES, Tol
from .._testing.inputs import Case

__all__ = ["Entry", "MakeCases", "Oracle", "Pinned", "Spec", "TorchExpr",
           "finite_difference_grad", "from_torch", "tensor", "torch", "torch_kwargs"]

Oracle = Callable[[tuple[np.ndarray, ...], Mapping[str, Any], str], np.ndarray]
TorchExpr = Callable[[list[Any], Mapping[str, Any], str], Any]
MakeCases = Callable[[np.random.Generator], list[Case]]

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
            from .._compat import namespace

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
    """Everything the kit checks one loss against (a user's: :func:`losses_xp.testing.spec`;
    the library's own: ``conformance/registry.py``).

    Attributes
    ----------
    name : str
        The function's name (the report's and the test ids').
    entry : Entry
        The declaration and the two case makers.
    oracle : callable
        ``oracle(args, kwargs, reduction) -> numpy.ndarray`` in float64, on the case's
        arrays rounded to the dtype under test.
    reference : str
        What the oracle is (in the report and in failure messages).
    differences : str
        The documented differences from the oracle (the library's specs).
    torch_expr : callable or None
        A PyTorch float64 expression ``(tensors, kwargs, reduction) -> tensor``: its
        autograd is the gradient oracle (else finite differences of ``oracle``).
    cross_checks : tuple
        ``(name, oracle, Tol)``: further independent oracles, each with the tolerance
        it meets against ``oracle`` in float64 (the library's registry checks them).
    extreme_oracle : bool or callable
        See below; ``tolerances``: dtype name -> :class:`Tol`; ``pinned``: published
        values (:class:`Pinned`); ``error_fields`` and ``torch_negative_zero``: the
        library's error catalogue and PyTorch's own -0.0 (below).
    """

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

    def value_cases(self) -> tuple[Case, ...]:
        """The value cases, from a seed derived from the name (made once per spec)."""
        return _cases_of(self, "")

    def extreme_cases(self) -> tuple[Case, ...]:
        """The extreme cases, from another seed derived from the name (made once)."""
        return _cases_of(self, "extreme")

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


_CASES: dict[tuple[int, str], tuple[Spec, tuple[Case, ...]]] = {}


def case_rng(name: str, salt: str = "") -> np.random.Generator:
    """The generator of a loss's cases: seeded by its name (and a salt), so that every
    run, process and backend draws the same cases."""
    return np.random.default_rng(zlib.crc32(f"{name}:{salt}".encode()))


def _cases_of(s: Spec, salt: str) -> tuple[Case, ...]:
    key = (id(s), salt)
    if key not in _CASES:  # (the spec is kept with its cases: its id stays its own)
        rng = case_rng(s.name, salt)
        made = s.entry.extreme_cases(rng) if salt else s.entry.cases(rng)
        _CASES[key] = (s, tuple(made))
    return _CASES[key][1]


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


