"""Which cells each check has: backends, devices, cases, dtypes and reductions.

One enumeration for the three ways the matrix runs: the library's conformance suite
(one backend per pytest session, ``conformance/conftest.py``), a user's pytest suite
(:func:`losses_xp.testing.conformance`) and a report (:func:`losses_xp.testing.check`).

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from typing import Any

from .._testing.backends import Backend
from ._cells import Combo
from ._checks import Check
from ._spec import Spec

__all__ = ["NEEDS", "REFERENCE_BACKEND", "all_pairs", "backend_skip", "cells",
           "newest_released_standard", "strict_mode", "unsupported"]

#: what a check's ``needs`` asks of the backend, the transformation of the declarations
#: (``losses_xp._declare.TRANSFORMS``) it exercises, and why it is skipped on a backend
#: without it
NEEDS: dict[str, tuple[Callable[[Backend], bool], str, str]] = {
    "autodiff": (lambda b: b.autodiff, "grad",
                 "{name} has no autodiff: gradients are checked on torch and jax"),
    "compile": (lambda b: b.compiles, "compile",
                "{name} has no compiler: jax.jit and torch.compile(fullgraph=True) are "
                "checked on jax and torch"),
    "lazy": (lambda b: b.lazy, "lazy",
             "{name} is eager: laziness (no compute inside a loss) is checked on dask"),
    "vmap": (lambda b: b.name == "jax", "vmap", "{name} has no vmap: checked on jax"),
}

#: the backend that runs the whole case x dtype x reduction product by default
#: (``matrix="auto"``); the others run :func:`all_pairs`
REFERENCE_BACKEND = "numpy"


def backend_skip(check: Check, bk: Backend) -> str | None:
    """Why ``check`` does not run on ``bk`` at all (``None``: it does)."""
    if check.not_here and bk.name in check.not_here:
        return check.not_here[bk.name]
    if check.needs is not None:
        capable, _, reason = NEEDS[check.needs]
        if not capable(bk):
            return reason.format(name=bk.name)
    return None


def unsupported(spec: Spec, backend: str, needs: str | None) -> str | None:
    """Why the declaration of ``spec`` excludes this backend (or the transformation
    ``needs`` exercises), or ``None``: the one place where the matrix reads the
    declarations' exclusions (``conformance/support_matrix.py`` renders the same)."""
    decl = spec.decl
    if not decl.supports(backend):
        return f"{spec.name} does not support {backend}: {decl.reason(backend)}"
    if needs is not None:
        transform = NEEDS[needs][1]
        if not decl.supports(transform):
            return decl.reason(transform)
    return None


def all_pairs(start: int, dtypes: list[str], reductions: tuple[str, ...]
              ) -> list[tuple[str, str]]:
    """The (dtype, reduction) combinations of one case with ``matrix="pairs"``.

    Round robin from ``start`` (the case's index among its loss's cases): every dtype
    with at least one reduction and every reduction with at least one dtype, in
    max(#dtypes, #reductions) cells instead of their product; the next case starts one
    further on, so over the cases of a loss (12 or more) every dtype meets every
    reduction.  The product runs on the reference backend and with ``matrix="full"``."""
    n = max(len(dtypes), len(reductions)) if dtypes and reductions else 0
    return [(dtypes[(start + i) % len(dtypes)], reductions[(start + i) % len(reductions)])
            for i in range(n)]


def full_matrix(matrix: str, backend: str) -> bool:
    """Whether ``matrix`` (``"auto"``, ``"full"``, ``"pairs"``) runs the whole product on
    ``backend``."""
    if matrix not in ("auto", "full", "pairs"):
        raise ValueError(f"matrix must be 'auto', 'full' or 'pairs', got {matrix!r}")
    return matrix == "full" or (matrix == "auto" and backend == REFERENCE_BACKEND)


def cells(check: Check, spec: Spec, bk: Backend, *, full: bool) -> list[Combo]:
    """The cells of ``check`` for ``spec`` on ``bk`` (its selection applied; the backend
    and the declaration are taken to allow the check: :func:`backend_skip`,
    :func:`unsupported`)."""
    picked = check.pick(spec, bk) if check.pick is not None else None
    if picked is not None:
        return picked
    kinds = ("values", "extreme") if check.cases == "both" else (check.cases,)
    dtype_choice = (check.dtypes or {}).get(bk.name, bk.dtypes)
    out: list[Combo] = []
    for kind in kinds:
        cases = spec.value_cases() if kind == "values" else spec.extreme_cases()
        for index, case in enumerate(cases):
            dtypes = [d for d in dtype_choice if d in bk.dtypes and case.applies_to(d)]
            if not check.per_reduction:
                out += [Combo(bk, spec, case, d, "*", kind) for d in dtypes]
                continue
            reductions = spec.entry.reductions_for(case)
            pairs = (list(itertools.product(dtypes, reductions)) if full
                     else all_pairs(index, dtypes, reductions))
            for dtype, reduction in pairs:
                c = Combo(bk, spec, case, dtype, reduction, kind)
                if check.select is None or check.select(c):
                    out.append(c)
    return out


# --------------------------------------------------------------------------- strict mode


def newest_released_standard(array_api_strict: Any) -> str:
    """The newest version of the standard that array-api-strict implements, its draft
    excluded (a draft warns and may still change).  The versions are listed only in its
    ``_flags`` module (and the docstring of ``set_array_api_strict_flags``)."""
    return str(max(array_api_strict._flags.supported_versions))


def set_strict_flags(array_api_strict: Any) -> None:
    """array-api-strict's strictest mode: the newest released standard, no optional
    extensions (linalg, fft), no boolean indexing, no data-dependent shapes."""
    array_api_strict.set_array_api_strict_flags(
        api_version=newest_released_standard(array_api_strict), boolean_indexing=False,
        data_dependent_shapes=False, enabled_extensions=())


@contextlib.contextmanager
def strict_mode(on: bool = True) -> Iterator[None]:
    """array-api-strict in its strictest mode inside the block, its flags restored after
    (nothing where ``on`` is false)."""
    if not on:
        yield
        return
    import array_api_strict

    before = array_api_strict.get_array_api_strict_flags()
    set_strict_flags(array_api_strict)
    try:
        yield
    finally:
        array_api_strict.set_array_api_strict_flags(**before)
