"""Values against the oracle; namespace, device, dtype and shape; reduction consistency."""

from __future__ import annotations

import numpy as np
import pytest

from losses_xp._adapters import ARRAY_OPTIONS

from .helpers import (
    Combo,
    assert_close,
    case_tol,
    expected_warnings,
    first_floating,
    oracle_value,
    run,
    to_backend,
)


@pytest.mark.matrix(cases="values")
def test_value_matches_oracle(combo: Combo) -> None:
    bk, spec, case, dtype, reduction = (combo.bk, combo.spec, combo.case, combo.dtype,
                                        combo.reduction)
    out, args, _ = run(bk, spec, case, dtype, reduction)
    like = args[first_floating(case)]
    # (b) a native array of the input's library, namespace, device and dtype
    assert bk.is_native(out), f"result is a {type(out).__module__}.{type(out).__name__}"
    assert bk.namespace_of(out) is bk.namespace_of(like), "result namespace differs"
    assert bk.device_of(out) == bk.device_of(like), (
        f"result on {bk.device_of(out)}, input on {bk.device_of(like)}")
    assert bk.dtype_name(out) == dtype, f"result dtype {out.dtype}, expected {dtype}"
    # (a) the value
    want = oracle_value(spec, case, dtype, reduction)
    assert_close(bk.to_numpy(out), want, case_tol(spec, case, dtype),
                 f"{spec.name}[{case.name}] {dtype} {reduction} vs {spec.reference}")


@pytest.mark.matrix(cases="values", select=lambda c: c.reduction == "sum")
def test_reductions_are_consistent(combo: Combo) -> None:
    """``sum`` is the sum of ``none``; ``mean`` is its mean for element-wise losses."""
    bk, spec, case, dtype = combo.bk, combo.spec, combo.case, combo.dtype
    tol = spec.tol(dtype)
    none = bk.to_numpy(run(bk, spec, case, dtype, "none")[0])
    total = bk.to_numpy(run(bk, spec, case, dtype, "sum")[0])
    assert total.shape == ()
    assert_close(total, np.sum(none), tol, "sum vs sum(none)",
                 atol_scale=max(1.0, float(none.size)))
    parts = bk.name == "numpy" or dtype == "float32"  # (JAX: every new call compiles)
    if spec.entry.mean_is_mean_of_none(case) or parts:
        mean = bk.to_numpy(run(bk, spec, case, dtype, "mean")[0])
    if spec.entry.mean_is_mean_of_none(case):
        with np.errstate(invalid="ignore"):
            expect = np.sum(none) / none.size if none.size else np.float64(np.nan)
        assert_close(mean, expect, tol, "mean vs mean(none)")
    if parts:
        _check_parts(combo, total, mean)


# the losses whose `sum` is not `mean`'s numerator: CTC's mean divides each sequence by its
# target length first (PyTorch's), and its `sum_and_count` gives that mean's parts
_PARTS_NOT_SUM = {"sequence"}


def _check_parts(combo: Combo, total: np.ndarray, mean: np.ndarray) -> None:
    """``reduction="sum_and_count"`` (every dtype on NumPy, float32 elsewhere):
    ``(total, count)`` with ``total`` the ``sum`` (but
    for :data:`_PARTS_NOT_SUM`) and ``total / count`` the ``mean``; on NumPy also split
    along the batch into two shards, whose parts added up give the whole batch's mean
    (what a distributed mean relies on: docs/frameworks/distributed.md)."""
    bk, spec, case, dtype = combo.bk, combo.spec, combo.case, combo.dtype
    tol = spec.tol(dtype)
    refused = ""
    try:
        parts = run(bk, spec, case, dtype, "sum_and_count")[0]
    except ValueError as exc:  # a loss of the pooled batch: no parts (the message says)
        refused = str(exc)
    if refused:
        assert "sum_and_count'` is not available" in refused, refused
        return
    assert isinstance(parts, tuple), type(parts)
    assert len(parts) == 2, len(parts)
    got_total, count = (bk.to_numpy(p) for p in parts)
    assert got_total.shape == (), got_total.shape
    assert count.shape == (), count.shape
    assert bk.dtype_name(parts[0]) == dtype, f"total dtype {parts[0].dtype}"
    if spec.entry.decl.unit not in _PARTS_NOT_SUM:
        assert_close(got_total, total, tol, "sum_and_count's total vs sum")
    if count > 0:
        assert_close(got_total / count, mean, tol, "total / count vs mean")
    if bk.name == "numpy":
        _check_shards(combo, mean)


def _check_shards(combo: Combo, mean: np.ndarray) -> None:
    """The parts of ``[:1]`` and ``[1:]`` of the batch (axis 0) added up: the mean of
    the whole batch.  Cases whose axis 0 is not the batch (the class axis, CTC's time
    axis) or that have no batch of 2 are left out."""
    spec, case, dtype = combo.spec, combo.case, combo.dtype
    decl = spec.entry.decl
    args, kwargs = to_backend(combo.bk, case, dtype)
    n = args[0].shape[0] if args[0].ndim else 0
    axis = kwargs.get("axis", -1)
    levels = any(decl.options.get(k) == "quantile" and not isinstance(v, float)
                 for k, v in kwargs.items())  # (a 1-d prediction is then Q levels)
    if (n < 2 or kwargs.get("time_axis", 1) == 0 or decl.unit == "anchor"
            or (levels and args[0].ndim < 2)
            or (decl.class_axis != "none" and axis is not None
                and axis % args[0].ndim == 0)):
        return

    def split(value: object, name: str, part: slice) -> object:
        kind = decl.options.get(name, "")
        right = kind in ("element_weight", "pos_weight")  # (broadcast from the right)
        if (isinstance(value, np.ndarray) and value.ndim and value.shape[0] == n
                and (kind not in ARRAY_OPTIONS or right)
                and (not right or value.ndim == args[0].ndim)):
            return value[part]
        return value
    totals, counts = [], []
    for part in (slice(0, 1), slice(1, None)):
        shard = [split(a, "", part) for a in args]
        options = {k: split(v, k, part) for k, v in kwargs.items()}
        with expected_warnings(case):
            t, c = spec.entry.call(*shard, reduction="sum_and_count", **options)
        totals.append(float(t))
        counts.append(float(c))
    if sum(counts) > 0:
        assert_close(np.float64(sum(totals) / sum(counts)), mean, spec.tol(dtype),
                     "parts of two shards vs the whole batch's mean")
