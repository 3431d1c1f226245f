"""The registry covers every public loss, and its oracles agree with each other.

About the registry, not the backend under test (``backend_independent``): these run in
the numpy session only."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import losses_xp
from losses_xp._declare import declaration, declarations
from losses_xp._testing.compare import TOLERANCES
from losses_xp._testing.inputs import Case
from losses_xp.testing._spec import _checked

from .helpers import extreme_cases, oracle_value, value_cases
from .registry import SPECS, public_names

pytestmark = pytest.mark.backend_independent


def test_every_public_loss_has_a_spec() -> None:
    """One spec entry per declared function; every public name is a declared function or
    an alias of one (the same function object, checked once under its own name)."""
    names = public_names()
    assert names, "losses_xp.__all__ lists no loss"
    declared = declarations()
    missing = sorted(set(declared) - set(SPECS))
    assert not missing, f"declared losses without a conformance spec entry: {missing}"
    assert sorted(SPECS) == sorted(declared), (
        f"spec entries for names that are not declared: {set(SPECS) - set(declared)}")
    for name in names:
        decl = declaration(name)
        assert getattr(losses_xp, name) is decl.fn, f"losses_xp.{name} is not {decl.name}"
        assert name == decl.name or name in decl.aliases
    assert sorted({*declared, *(a for d in declared.values() for a in d.aliases)}) == names


@pytest.mark.parametrize("name", sorted(SPECS))
def test_spec_is_the_public_function(name: str) -> None:
    assert SPECS[name].fn is getattr(losses_xp, name)
    assert SPECS[name].reference
    assert set(TOLERANCES) >= {"float16", "bfloat16", "float32", "float64"}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_catalogue_covers_shapes_and_extremes(name: str) -> None:
    tags = set().union(*(c.tags for c in value_cases(name)))
    assert SPECS[name].entry.shape_tags <= tags, f"{name}: missing shapes {tags}"
    assert extreme_cases(name), f"{name}: no extreme cases"
    for dtype in ("float16", "bfloat16", "float32", "float64"):
        assert any(c.applies_to(dtype) for c in extreme_cases(name)), (name, dtype)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_cases_are_deterministic(name: str) -> None:
    a = SPECS[name].entry.cases(np.random.default_rng(5))
    b = SPECS[name].entry.cases(np.random.default_rng(5))
    for x, y in zip(a, b, strict=True):
        assert x.name == y.name
        for u, v in zip(x.args, y.args, strict=True):
            np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("name", sorted(n for n in SPECS if SPECS[n].cross_checks))
def test_oracles_agree(name: str) -> None:
    """The main oracle and the cross-checks (independent libraries) agree in float64."""
    spec = SPECS[name]
    checked = 0
    for case in value_cases(name):
        for reduction in spec.entry.reductions_for(case):
            want = oracle_value(spec, case, "float64", reduction)
            for label, other, tol in spec.cross_checks:
                with np.errstate(all="ignore"):
                    got = other(case.args, case.kwargs, reduction)
                if got is None:
                    continue
                checked += 1
                np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=tol.rtol,
                                           atol=tol.atol, equal_nan=True,
                                           err_msg=f"{label} vs {spec.reference} on {case.name}")
    assert checked, f"{name}: no cross-check applied to any case"


def test_readme_support_matrix_is_current() -> None:
    """The README's support matrix is generated from this registry, never edited by hand."""
    from pathlib import Path

    from .support_matrix import END, START, render_summary

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert block == render_summary().strip(), (
        "README.md's support matrix is stale: run "
        "`python -m conformance.support_matrix --write README.md`")


def test_a_case_may_restrict_the_reductions() -> None:
    entry = SPECS["mse_loss"].entry
    case = Case("only-sum", (np.zeros(3), np.zeros(3)), reductions=("sum", "max"))
    assert entry.reductions_for(case) == ("sum",)  # only the loss's own, in its order
    assert entry.reductions_for(replace(case, reductions=None)) == entry.reductions


def test_duplicate_case_names_are_refused() -> None:
    two = [Case("2d", (np.zeros(2),)), Case("2d", (np.ones(2),)), Case("0d", (np.zeros(()),))]
    with pytest.raises(AssertionError, match=r"duplicate case names: \['2d'\]"):
        _checked(two)


def test_all_pairs_covers_every_pair_of_the_matrix() -> None:
    """``--matrix=pairs`` (the default off the reference backend): within a case every
    dtype and every reduction is tested, each once or more; over a loss's cases every
    dtype meets every reduction."""
    from losses_xp.testing._matrix import all_pairs

    dtypes = ["float64", "float32", "float16", "bfloat16"]
    reductions = ("none", "sum", "mean")
    met = set()
    for index in range(12):
        for ds, rs in ((dtypes, reductions), (dtypes[:2], reductions), (dtypes, ("sum",))):
            pairs = all_pairs(index, ds, rs)
            assert {d for d, _ in pairs} == set(ds)
            assert {r for _, r in pairs} == set(rs)
            assert len(pairs) == len(set(pairs)) == max(len(ds), len(rs))
        met |= set(all_pairs(index, dtypes, reductions))
    assert met == {(d, r) for d in dtypes for r in reductions}
    assert all_pairs(0, [], reductions) == all_pairs(0, dtypes, ()) == []
