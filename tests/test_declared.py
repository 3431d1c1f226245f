"""The cases derived from the declarations (``losses_xp/_testing/declared.py``).

``python -m losses_xp check`` runs them on every backend (tests/test_check.py); here, on
NumPy: every declaration yields value and extreme cases that its function accepts in
float64, float32 and float16, with finite results (or the NaN mean that an empty batch or
every target ignored has by definition); the cases are the same for a seed; they cover
the shapes, target forms and option values the declaration admits; their values are
valid for their kinds; and the module names no loss.
"""

from __future__ import annotations

import inspect
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._declare import SWITCHED, Declaration, declarations
from losses_xp._testing import declared
from losses_xp._testing.declared import (
    FROM_LOGITS,
    LOG_TARGET,
    MIXED,
    distinct_scores,
    extreme_cases,
    layouts,
    value_cases,
)
from losses_xp._testing.inputs import EXTREME_LOGIT, Case, quantize

DECLS = declarations()
NAMES = list(DECLS)
#: the target kinds of class-probability rows (or their logarithms, or logits, by option)
_DISTRIBUTIONS = ("class_probs_or_log_probs", "class_probs_or_logits")


def _cast(v: Any, dtype: str) -> Any:
    return v.astype(dtype) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v


def _results(decl: Declaration, case: Case, dtype: str) -> dict[str, np.ndarray]:
    args = [_cast(a, dtype) for a in case.args]
    kwargs = {k: _cast(v, dtype) for k, v in case.kwargs.items()}
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's 'mean of empty slice'
        for r in decl.reductions:
            got = decl.call(*args, reduction=r, **kwargs)
            parts = got if decl.tuple_output else (got,)
            for p in parts:
                assert isinstance(p, np.ndarray | np.generic), f"{case.name}, {r}: {type(p)}"
                assert p.dtype == np.dtype(dtype), f"{case.name}, {r}: {p.dtype}"
            out[r] = np.stack([np.asarray(p, np.float64) for p in parts])
    return out


@pytest.mark.parametrize("name", NAMES)
def test_every_case_is_accepted_and_finite(name: str) -> None:
    decl = DECLS[name]
    cases = value_cases(decl) + extreme_cases(decl)
    assert cases
    for case in cases:
        for dtype in ("float64", "float32", "float16"):
            if not case.applies_to(dtype):
                continue
            for r, out in _results(decl, case, dtype).items():
                if "nan-mean" in case.tags and r == "mean":
                    continue  # an empty batch, every target ignored: NaN by definition
                assert np.all(np.isfinite(out)), f"{name}, {case.name}, {dtype}, {r}: {out}"


def _same(a: list[Case], b: list[Case]) -> bool:
    if [c.name for c in a] != [c.name for c in b]:
        return False
    for x, y in zip(a, b, strict=True):
        values = [*zip(x.args, y.args, strict=True),
                  *((x.kwargs[k], y.kwargs.get(k)) for k in x.kwargs)]
        if x.kwargs.keys() != y.kwargs.keys() or any(
                not np.array_equal(np.asarray(u), np.asarray(v)) for u, v in values):
            return False
    return True


@pytest.mark.parametrize("name", NAMES)
def test_cases_are_deterministic_for_a_seed(name: str) -> None:
    decl = DECLS[name]
    for make in (value_cases, extreme_cases):
        assert _same(make(decl, 0), make(decl, 0))
        assert _same(make(decl, 3), make(decl, np.random.default_rng(3)))
    assert not _same(value_cases(decl, 0), value_cases(decl, 1))


@pytest.mark.parametrize("name", NAMES)
def test_shapes_cover_what_the_declaration_admits(name: str) -> None:
    decl = DECLS[name]
    cases = value_cases(decl)
    # 0-d where min_ndim is 0, 1-d, 2-d, N-d (3-d or more), as far as max_ndim allows
    lo = max(decl.min_ndim, 1 if decl.class_axis == "axis" else 0)
    admitted = {min(k, 3) for k in range(lo, decl.max_ndim + 1)}
    assert {min(c.args[0].ndim, 3) for c in cases if c.args[0].size} == admitted
    assert any(c.args[0].size == 0 for c in cases), "an empty batch"
    assert any("empty" in c.tags for c in cases)
    axis = next((n for n, k in decl.options.items() if k in ("axis", "axis_or_none")), None)
    axes = [c.kwargs[axis] for c in cases if axis in c.kwargs]
    if decl.class_axis in ("axis", "optional") and decl.max_ndim >= 3:
        # the class axis at 1 of an N-d prediction, given as axis=1
        assert any(c.kwargs.get(axis) == 1 and c.args[0].ndim >= 3 for c in cases)
    elif decl.class_axis == "axis":  # (2-d only: rows of vectors) the first axis, axis=0
        assert any(c.kwargs.get(axis) == 0 and c.args[0].ndim == 2 for c in cases)
    if decl.class_axis == "optional":
        assert None in axes
        assert any(isinstance(a, int) and a < 0 for a in axes)


def _target_forms(decl: Declaration, cases: list[Case]) -> set[str]:
    forms = set()
    for c in cases:
        p, t = c.args[0], c.args[1]
        if t.dtype == bool:
            forms.add("bool")
        elif t.dtype.kind == "i":
            forms.add("index" if t.ndim == p.ndim - 1 else "int")
        elif t.shape == p.shape:
            forms.add("hard" if np.all((t == 0) | (t == 1)) else "soft")
    return forms


@pytest.mark.parametrize("name", NAMES)
def test_every_target_form_is_covered(name: str) -> None:
    decl = DECLS[name]
    if decl.target is None:
        return
    cases = value_cases(decl)
    forms = _target_forms(decl, cases)
    expected = {"real": {"soft", "int", "bool"},  # (real values are not 0/1: "soft")
                "binary": {"hard", "soft", "int", "bool"}, "index": {"index"},
                "index_or_probs": {"index", "soft"},
                "binary_or_index": {"hard", "soft", "int", "bool", "index"},
                "nonzero": {"soft", "int"}, "positive": {"soft", "int"},
                "non_negative": {"soft", "int", "bool"},
                "above_minus_one": {"soft", "int", "bool"},
                "class_probs_or_log_probs": {"soft"}, "class_probs_or_logits": {"soft"},
                "logits": {"soft"}, "sign": {"soft", "int", "bool"},
                # (row labels: one integer per row, the shape without axis)
                "row_labels": {"index"}, "embeddings": {"soft"},
                "relevance": {"soft", "int", "bool"},
                # (padded label sequences: integers, the shape (N, S) of a 3-d prediction)
                "label_sequences": {"index"}}[decl.target]
    assert expected <= forms, forms
    signs = [c.args[1] for c in cases if decl.target == "sign"] + [
        c.args[i] for c in cases for i, k in enumerate(decl.inputs.values(), start=2)
        if k == "sign"]  # sign labels: -1 and +1 (or bool), never a 0
    assert all(t.dtype == bool or np.all((t == 1) | (t == -1)) for t in signs)
    if "sign" in decl.inputs.values():  # floating, integer and bool labels
        assert {"f", "i", "b"} <= {c.args[i].dtype.kind for c in cases
                                   for i, k in enumerate(decl.inputs.values(), start=2)
                                   if k == "sign"}
    if decl.target in ("index_or_probs", *_DISTRIBUTIONS):  # rows with exact zeros once
        rows = [c.args[1] for c in cases if c.args[1].dtype.kind == "f"
                and np.all(c.args[1] >= 0)]
        assert any(np.any(t == 0) for t in rows)
    for i, (name, kind) in enumerate(decl.inputs.items(), start=2):
        if kind != "variance":
            continue  # (a variance: every shape it may take)
        shapes = {(c.args[i].ndim - c.args[0].ndim, c.args[i].shape[-1:] == (1,))
                  for c in cases if c.args[0].ndim == 2}
        assert {(0, False), (-1, False), (0, True)} <= shapes, (name, shapes)
    if decl.prediction in SWITCHED:  # both kinds: the option at its default and not
        option = SWITCHED[decl.prediction][0]
        default = inspect.signature(decl.fn).parameters[option].default
        assert any(c.kwargs.get(option, default) is not default for c in cases)
        assert any(option not in c.kwargs for c in cases)
    if decl.target == "class_probs_or_log_probs":  # and their logarithms
        assert any(c.kwargs.get(LOG_TARGET) is True and np.all(c.args[1] <= 0)
                   for c in cases)
    if decl.target == "class_probs_or_logits":  # logits with logits
        assert all(np.all((c.args[1] >= 0) & (c.args[1] <= 1)) for c in cases
                   if not c.kwargs.get(FROM_LOGITS))


@pytest.mark.parametrize("name", NAMES)
def test_every_option_takes_a_non_default_value(name: str) -> None:
    decl = DECLS[name]
    cases = value_cases(decl)
    defaults = {n: p.default for n, p in inspect.signature(decl.fn).parameters.items()}
    for opt, kind in decl.options.items():
        values = [c.kwargs[opt] for c in cases if opt in c.kwargs]
        assert values, f"{opt} is never set"
        if isinstance(kind, tuple):  # every choice
            assert set(kind) - {defaults[opt]} <= set(values), (opt, values)
        elif kind in ("element_weight", "class_weight", "sample_weight", "pos_weight",
                      "class_alpha", "counts"):  # arrays and lists
            assert any(isinstance(v, np.ndarray) for v in values), opt
            assert any(isinstance(v, list) for v in values), opt
        elif kind == "gamma":  # 0 as an int and a float, below and above 1
            assert {type(v) for v in values if v == 0} >= {int, float} - {type(defaults[opt])}
            assert any(0 < v < 1 for v in values)
            assert any(v > 1 for v in values)
        elif kind == "ignore_index":  # a class, and a negative value with targets ignored
            assert any(v >= 0 for v in values)
            assert any(v < 0 for v in values)
            assert any(np.any(c.args[1] == c.kwargs.get(opt, defaults[opt]))
                       for c in cases if "ignore" in c.tags)
        else:
            assert any(type(v) is not type(defaults[opt]) or v != defaults[opt]
                       for v in values), (opt, values)
    if sum(k not in ("axis", "axis_or_none") for k in decl.options.values()) >= 2:
        assert any(c.name.endswith("all-options") for c in cases)


def _rows(case: Case, decl: Declaration) -> tuple[np.ndarray, int]:
    p = case.args[0]
    axis = case.kwargs.get("axis", -1 if decl.class_axis == "axis" else None)
    return p, (p.ndim - 1 if axis == -1 else axis)


@pytest.mark.parametrize("name", NAMES)
def test_values_are_valid_for_their_kinds(name: str) -> None:
    decl = DECLS[name]
    defaults = {n: p.default for n, p in inspect.signature(decl.fn).parameters.items()}
    for case in value_cases(decl) + extreme_cases(decl):
        p = case.args[0]
        kind = decl.prediction
        if kind in SWITCHED:
            option, kind_of = SWITCHED[kind]
            kind = kind_of[bool(case.kwargs.get(option, defaults[option]))]
        if kind == "rates":
            assert np.all(p >= 0), case.name
        if kind in ("probs", "class_probs", "labels"):
            assert np.all((p >= 0) & (p <= 1)), case.name
        if kind in ("class_probs", "labels", "log_probs") and p.size:
            p, axis = _rows(case, decl)
            total = np.sum(np.exp(p) if kind == "log_probs" else p, axis=axis)
            np.testing.assert_allclose(total, 1.0, rtol=1e-12, err_msg=case.name)
        if kind == "log_probs":
            assert np.all(np.isfinite(p)), case.name
            assert np.all(p <= 0), case.name
        if kind == "counts":
            assert np.all(p >= 0), case.name
            assert np.all(p == np.round(p)), case.name
        if kind == "positive":
            assert np.all(p > 0), case.name
        if kind == "above_minus_one":
            assert np.all(p > -1), case.name
        if case.args[1:] and decl.target in ("positive", "non_negative", "above_minus_one"):
            t = case.args[1]
            low = {"positive": t > 0, "non_negative": t >= 0, "above_minus_one": t > -1}
            assert np.all(low[decl.target]), case.name
        if kind == "scores":  # no ties and away from the threshold, even in float16
            opt = next((n for n, k in decl.options.items() if k == "threshold"), None)
            threshold = case.kwargs.get(opt, defaults.get(opt, 0.0)) if opt else 0.0
            for dtype in ("float16", "bfloat16"):
                if case.applies_to(dtype):
                    q = quantize(p, dtype)
                    assert np.unique(q).size == q.size, case.name
                    assert np.all(q != threshold), case.name
        if decl.target in ("index", "index_or_probs", "binary_or_index") and \
                case.args[1].dtype.kind == "i" and case.args[1].ndim < p.ndim:
            t = case.args[1]
            ignore = case.kwargs.get("ignore_index", -100)
            assert np.all(((t >= 0) & (t < p.shape[_rows(case, decl)[1]])) | (t == ignore))


@pytest.mark.parametrize("name", NAMES)
def test_extreme_cases_reach_the_extremes(name: str) -> None:
    decl = DECLS[name]
    cases = extreme_cases(decl)
    kind = decl.prediction
    # (the cases of a magnitude are those meant for some dtypes only)
    largest = {dtype: max((float(np.max(np.abs(c.args[0]))) for c in cases
                           if c.dtypes and c.applies_to(dtype) and c.args[0].size), default=0.0)
               for dtype in ("float32", "float16")}
    if kind == "logits" and decl.growth == "quadratic":  # float16: within its range
        largest.pop("float16")
    if kind in ("logits", "scores", "log_probs", *MIXED):
        for dtype, m in largest.items():
            assert m >= EXTREME_LOGIT[dtype] * (1 if kind != "scores" else 0.5), (dtype, m)
    if kind == "regression":  # errors of 1e4 (the target adds a few units)
        assert largest["float32"] >= 0.99e4
        assert 0 < largest["float16"] < 1e4
    if kind in ("probs", "class_probs", "labels", *MIXED):
        probs = [c.args[0] for c in cases if not c.kwargs.get(FROM_LOGITS)]
        assert any(np.any(p == 0) and np.any(p == 1) for p in probs)
    if kind == "counts":
        assert largest["float32"] >= 1e9
    if kind == "log_rates_or_rates":  # exp(x) near a quarter of the range, rates of 1e4
        assert largest["float32"] >= 1e4
        assert any(np.max(np.abs(c.args[0])) > 80 for c in cases
                   if c.applies_to("float32") and "log_input" not in c.kwargs)
    assert all(c.name not in {v.name for v in value_cases(decl)} for c in cases)


def test_scores_are_distinct_and_away_from_the_center() -> None:
    s = distinct_scores(np.random.default_rng(0), (6, 5), center=0.5, spacing=0.5)
    assert np.unique(s).size == 30
    assert np.min(np.abs(s - 0.5)) == 0.25
    assert np.all(quantize(s, "float16") == s)


def test_layouts_follow_the_class_axis() -> None:
    # (the last declaration of each class axis whose shapes start at 0-d or 1-d: not a
    # 3-d-only sequence loss)
    by_axis = {d.class_axis: d for d in DECLS.values() if d.min_ndim <= 1}
    none = [lay.name for lay in layouts(by_axis["none"])]
    assert {"empty", "1d", "2d", "nd"} <= set(none)
    axis = {lay.name: lay for lay in layouts(by_axis["axis"])}
    assert axis["nd-axis1"].axis == 1
    assert dict(axis["nd-axis1"].axis_kw) == {"axis": 1}
    assert not axis["2d"].axis_kw  # the default class axis is not passed
    optional = {lay.name: lay for lay in layouts(by_axis["optional"])}
    assert optional["class-2d"].axis_kw == {"axis": -1}
    assert optional["1d"].axis_kw == {"axis": None}


def test_the_module_names_no_loss() -> None:
    """Every case comes from the declaration's kinds: a new loss needs nothing here."""
    source = Path(declared.__file__).read_text(encoding="utf-8")
    named = [n for n in lx.__all__ if n not in lx._NOT_LOSSES and re.search(rf"\b{n}\b", source)]
    assert not named
