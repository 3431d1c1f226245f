"""The conformance kit: declare a loss once, get the whole backend matrix.

The library proves each of its own losses with this kit (``conformance/``: every cell of
its catalogue on every backend); a project proves its own losses with the same code::

    import array_api_compat
    from losses_xp.testing import declare, spec, check

    @declare(prediction="logits", target="binary", unit="sample", growth="bounded",
             options={"alpha": "non_negative", "beta": "non_negative"})
    def tversky(logits, target, *, alpha=0.3, beta=0.7, reduction="mean"): ...

    SPEC = spec(tversky, oracle=my_float64_reference)
    print(check(SPEC))          # a table: checks x backends

A **declaration** (:func:`declare`) says what the loss's arguments are, in the library's
own declaration language (``losses_xp._declare``: prediction, target and option kinds,
the class axis, reductions, differentiable arguments, what is not supported); the kit
derives representative **cases** from it (every shape, target form and option value the
declaration admits, and extreme inputs: logits of +-1e4, probabilities of exactly 0 and
1 ...).  A **spec** (:func:`spec`) joins the declaration, an **oracle** (any float64
function ``oracle(args, kwargs, reduction) -> numpy array``; ``torch_expr``, a PyTorch
expression, also gives the gradient oracle by autograd, else finite differences) and
optionally cases of your own.  :func:`check` runs every cell on every installed backend
and returns a :class:`Report` (``print`` it for the table); :func:`conformance` makes the
same cells a parametrized pytest test; ``python -m losses_xp check --module mypkg.losses``
runs every spec and declared loss of a module.

The checks (:data:`CHECKS`): ``values`` (library, namespace, device, dtype, shape and
value against the oracle; lazy on Dask), ``reductions``, ``grad``, ``compile``
(``jax.jit``, ``torch.compile(fullgraph=True)``), ``vmap``, ``extremes`` (finite values),
``extreme_grad`` (finite gradients) and ``host_sync`` (no host read: JAX trace, PyTorch
``meta`` device, array-api-strict's strictest mode on each of its devices).  The
backends: numpy, array_api_strict, torch, jax, dask, cupy.  What each cell asserts and the
tolerances: docs/testing_your_loss.md.

Side effects a user should know: loading JAX switches on ``jax_enable_x64`` (the float64
cells); array-api-strict's flags are set to its strictest mode for each of its cells and
restored after.

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from .._declare import ATTRIBUTE, Declaration, make_declaration
from .._testing import declared as _declared
from .._testing.compare import TOLERANCES, Tol
from .._testing.inputs import Case
from ._cells import Combo, Skipped
from ._checks import CHECKS, Check
from ._run import Outcome, Report, run_matrix
from ._spec import Entry, MakeCases, Oracle, Pinned, Spec, TorchExpr, from_torch

__all__ = [
    "CHECKS",
    "TOLERANCES",
    "Case",
    "Check",
    "Combo",
    "Declaration",
    "Outcome",
    "Pinned",
    "Report",
    "Skipped",
    "Spec",
    "Tol",
    "check",
    "conformance",
    "declaration_of",
    "declare",
    "spec",
]

F = TypeVar("F", bound=Callable[..., Any])

#: ``no_peer`` of a user's declaration that gives none (the library's own must say why
#: no peer library has the loss; a project's loss need not)
USER_LOSS = "a loss of its own project (losses_xp.testing.declare)"


def declare(**kinds: Any) -> Callable[[F], F]:
    """Declare a loss of your own, in the library's declaration language.

    The keywords are the attributes of :class:`Declaration` (but ``name`` and ``fn``):
    ``prediction`` and ``target`` kinds, ``inputs``, ``class_axis``, ``options`` (every
    keyword option but ``reduction``, each with its kind), ``reductions``,
    ``differentiable``, ``growth``, ``unit``, ``min_ndim``/``max_ndim``, ``unsupported``
    (a backend or transformation -> why).  The vocabulary is that of
    ``losses_xp._declare`` (``PREDICTION_KINDS``, ``TARGET_KINDS``, ``OPTION_KINDS``,
    ``UNITS``, ``GROWTHS``), listed in docs/testing_your_loss.md.

    Returns the function unchanged, its :class:`Declaration` kept as an attribute
    (:func:`declaration_of`); unlike the library's own, it is not added to
    ``losses_xp``'s public functions.

    Raises
    ------
    TypeError
        When a kind is not in the vocabulary, or the options are not exactly the
        function's keyword options (each problem is named).
    """
    kinds.setdefault("no_peer", "" if kinds.get("peers") else USER_LOSS)

    def record(fn: F) -> F:
        make_declaration(fn, **kinds)
        return fn
    return record


def declaration_of(fn: Callable[..., Any]) -> Declaration:
    """The declaration of a declared function (a user's, or one of the library's).

    Raises
    ------
    TypeError
        When ``fn`` was not declared.
    """
    decl = getattr(fn, ATTRIBUTE, None)
    if not isinstance(decl, Declaration):
        raise TypeError(f"{getattr(fn, '__name__', fn)!r} has no declaration: decorate it "
                        "with @losses_xp.testing.declare(prediction=..., ...)")
    return decl


def _case_maker(given: Sequence[Case] | MakeCases | None,
                derive: Callable[[Declaration, np.random.Generator], list[Case]],
                decl: Declaration) -> MakeCases:
    if given is None:
        return lambda rng: derive(decl, rng)
    if callable(given):
        return given
    cases = list(given)
    return lambda rng: cases


def _itself(decl: Declaration) -> Oracle:
    """The function on NumPy float64 inputs, as its own oracle."""
    def oracle(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
               reduction: str) -> np.ndarray:
        out = decl.call(*args, reduction=reduction, **kwargs)
        return np.asarray(out, dtype=np.float64)
    return oracle


def spec(fn: Callable[..., Any], oracle: Oracle | None = None, *,
         torch_expr: TorchExpr | None = None, reference: str | None = None,
         cases: Sequence[Case] | MakeCases | None = None,
         extreme: Sequence[Case] | MakeCases | None = None,
         extreme_oracle: bool | Callable[..., np.ndarray] = True,
         tolerances: Mapping[str, Tol] | None = None,
         pinned: Iterable[Pinned] = ()) -> Spec:
    """What the kit checks a declared loss against.

    Parameters
    ----------
    fn : callable
        The loss, declared with :func:`declare`.
    oracle : callable, optional
        ``oracle(args, kwargs, reduction) -> array``: an independent float64 reference.
        ``args`` are the case's arrays (float64, int64, bool) already rounded to the
        dtype under test, ``kwargs`` its options (NumPy arrays or lists), ``reduction``
        one of the declared reductions.  Its gradient is taken by fourth-order central
        finite differences.  Without ``oracle`` and ``torch_expr`` the function itself
        on NumPy float64 is the reference: every other library must then agree with
        NumPy, which proves portability, not correctness.
    torch_expr : callable, optional
        ``torch_expr(tensors, kwargs, reduction) -> tensor``: a PyTorch float64 reference;
        it is the oracle and its autograd the gradient oracle.
    reference : str, optional
        What the oracle is, for the report (default: its name).
    cases, extreme : sequence of Case or callable, optional
        Value cases and extreme cases (a list, or ``rng -> list``); by default derived
        from the declaration (``losses_xp._testing.declared``).
    extreme_oracle : bool or callable
        ``True``: the oracle is exact at the extreme cases too (compared where finite);
        ``False``: finiteness only; a callable ``(args, kwargs, reduction, dtype)``: the
        oracle of the extreme cases.
    tolerances : mapping, optional
        dtype name -> :class:`Tol` (default :data:`TOLERANCES`).
    pinned : iterable of Pinned
        Published values (run by the library's own suite; kept with the spec).

    Returns
    -------
    Spec
    """
    decl = declaration_of(fn)
    if oracle is None and torch_expr is not None:
        oracle = from_torch(torch_expr)
    if oracle is None:
        oracle = _itself(decl)
        reference = reference or "itself on NumPy float64 (portability, not correctness)"
    entry = Entry(decl, _case_maker(cases, _declared.value_cases, decl),
                  _case_maker(extreme, _declared.extreme_cases, decl))
    return Spec(name=decl.name, entry=entry, oracle=oracle,
                reference=reference or str(getattr(oracle, "__name__", "oracle")),
                torch_expr=torch_expr, extreme_oracle=extreme_oracle,
                tolerances=TOLERANCES if tolerances is None else tolerances,
                pinned=tuple(pinned))


def _as_spec(s: Spec | Callable[..., Any]) -> Spec:
    return s if isinstance(s, Spec) else spec(s)


def check(*specs: Spec | Callable[..., Any], backends: Iterable[str] | None = None,
          checks: Iterable[str] | None = None, matrix: str = "auto",
          progress: Callable[[str], None] | None = None) -> Report:
    """Run the matrix on ``specs`` and report every cell.

    Parameters
    ----------
    *specs : Spec or declared function
        What to check (a declared function without a spec is its own oracle).
    backends : iterable of str, optional
        Among ``numpy``, ``array_api_strict``, ``torch``, ``jax``, ``dask``, ``cupy``
        (default: all; those not installed, or without a device, are listed in the
        report as not run, with the reason).
    checks : iterable of str, optional
        Names of :data:`CHECKS` (default: all).
    matrix : {'auto', 'full', 'pairs'}
        Every dtype x reduction of every case (``full``), or pairs covering each dtype
        and each reduction per case (``pairs``); ``auto``: full on NumPy, pairs elsewhere.
    progress : callable, optional
        Called with a line as each backend starts.

    Returns
    -------
    Report
        ``print(report)`` gives the table; ``report.ok``, ``report.failures(...)``.
    """
    if not specs:
        raise TypeError("check() needs at least one spec or declared function")
    return run_matrix([_as_spec(s) for s in specs], backends=backends, checks=checks,
                      matrix=matrix, progress=progress)


def conformance(*specs: Spec | Callable[..., Any], backends: Iterable[str] | None = None,
                checks: Iterable[str] | None = None, matrix: str = "auto") -> Any:
    """The matrix as one parametrized pytest test, for a project's own test suite::

        test_my_losses = losses_xp.testing.conformance(SPEC_A, SPEC_B)

    Every cell is a test (``<check>-<backend>-<loss>-<case>-<dtype>-<reduction>``); a
    backend that is not installed or has no device, a check that does not run on a
    backend and a declared exclusion are skipped tests with the reason.  Parameters as
    :func:`check`.
    """
    from ._pytest import parametrized_test

    if not specs:
        raise TypeError("conformance() needs at least one spec or declared function")
    return parametrized_test([_as_spec(s) for s in specs], backends=backends,
                             checks=checks, matrix=matrix)
