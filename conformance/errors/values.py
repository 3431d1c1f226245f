"""Rows that reject values: checks that read the arrays.

A class index outside ``[0, C)``, a probability or binary target outside [0, 1] or NaN,
a negative or NaN class count.  Reading a value needs the array on the host, so these
rows are ``value_dependent``: they raise where the values can be read eagerly; under
``jax.jit``, ``torch.compile`` and on Dask the result is NaN instead.  Each runs at its
``level`` of ``losses_xp.value_checks``: a target outside [0, 1] only at ``"all"`` (no
peer checks it), the others from the default ``"essential"`` on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .model import Bad, C, Loss, N, Row, default_call, valid_call

__all__ = ["ROWS", "UNIT_INTERVAL_BADS"]

def _index_range(loss: Loss) -> str:
    ignore = loss.ignore_index
    return f"[0, {C})" + ("" if ignore is None else f" or equal ignore_index ({ignore})")


def _class_index_out_of_range(loss: Loss) -> list[Bad]:
    if not loss.index_target:
        return []
    call = valid_call(loss, "index")
    out = []
    for bad in (C, C + 4, -1):
        target = call.args[1].copy()
        target[1] = bad
        out.append(Bad(call.with_arg(1, target),
                       {"range": _index_range(loss), "got": str(bad)}, str(bad)))
    target = np.array([C + 6, 0, -3, 2][:N], dtype=np.int64)  # several: their range
    out.append(Bad(call.with_arg(1, target), {"range": _index_range(loss), "got": f"-3 .. {C + 6}"},
                   "several"))
    if loss.ignore_index is not None:  # ignored targets are not out of range
        target = np.array([loss.ignore_index, C + 1, 1, 0][:N], dtype=np.int64)
        out.append(Bad(call.with_arg(1, target), {"range": _index_range(loss), "got": str(C + 1)},
                       "next to ignore_index"))
    return out


#: (label, the values written at the start of the array, the message's "got" part):
#: the other values of a valid call lie strictly inside (0, 1)
UNIT_INTERVAL_BADS: tuple[tuple[str, tuple[float, ...], str], ...] = (
    ("-0.5", (-0.5, 1.0), "values in [-0.5, 1]"),
    ("1.5", (1.5, 0.0), "values in [0, 1.5]"),
    ("NaN", (math.nan, 0.0, 1.0), "values in [0, 1] and NaN"),
    ("NaN and 1.5", (math.nan, 0.0, 1.5), "values in [0, 1.5] and NaN"),
)


def _write(a: np.ndarray, values: Sequence[float]) -> np.ndarray:
    out = np.array(a, dtype=np.float64)
    flat = out.reshape(-1)
    flat[:len(values)] = values
    return out


def _prediction_outside_unit_interval(loss: Loss) -> list[Bad]:
    if not loss.prediction_in_unit_interval:
        return []
    call = default_call(loss)
    out = [Bad(call.with_arg(0, _write(call.args[0], values)), {"arg": loss.pred, "got": got},
               label) for label, values, got in UNIT_INTERVAL_BADS]
    out.append(Bad(call.with_arg(0, np.full(call.args[0].shape, math.nan)),
                   {"arg": loss.pred, "got": "only NaN"}, "only NaN"))
    return out


def _target_outside_unit_interval(loss: Loss) -> list[Bad]:
    if not loss.target_in_unit_interval:
        return []
    call = valid_call(loss, "same")
    pred = call.args[0]
    if loss.decl.target == "binary" or loss.decl.target == "binary_or_index":
        # the other targets: soft values strictly inside (0, 1), so the extremes are ours
        call = call.with_arg(1, np.full(pred.shape, 0.25))
    out = [Bad(call.with_arg(1, _write(call.args[1], values)), {"arg": loss.target, "got": got},
               label) for label, values, got in UNIT_INTERVAL_BADS]
    if loss.elementwise_target:  # integer 0/1 targets are accepted too: 2 is not one
        target = np.zeros(pred.shape, dtype=np.int64)
        target.reshape(-1)[:2] = (2, 1)
        out.append(Bad(call.with_arg(1, target), {"arg": loss.target, "got": "values in [0, 2]"},
                       "integer 2"))
    return out


def _negative_counts(loss: Loss) -> list[Bad]:
    out = []
    bads = (((3.0, -2.0, 9.0), "values in [-2, 9]"),
            ((3.0, math.nan, 9.0), "values in [3, 9] and NaN"))
    if loss.decl.prediction == "counts":
        call = default_call(loss)
        out += [Bad(call.with_arg(0, np.array(v)), {"got": got}, got) for v, got in bads]
    for option in loss.options("counts"):
        call = valid_call(loss, "index")
        out += [Bad(call.with_kwargs(**{option: list(v)}), {"option": option, "got": got},
                    f"list {got}") for v, got in bads]
        out += [Bad(call.with_kwargs(**{option: np.array(v)}), {"option": option, "got": got},
                    f"array {got}") for v, got in bads]
    return out


#: the rows of this module, in the order of the docs table
ROWS: tuple[Row, ...] = (
    # values
    Row("class-index-out-of-range", "a class index outside `[0, C)` that is not "
        "`ignore_index`", "class-index targets", ValueError,
        "`target` class indices must be in {range}; got {got}", _class_index_out_of_range,
        value_dependent=True),
    Row("prediction-outside-unit-interval", "a probability outside [0, 1], or NaN",
        "functions of probabilities", ValueError, "`{arg}` must lie in [0, 1]; got {got}",
        _prediction_outside_unit_interval, value_dependent=True),
    Row("target-outside-unit-interval", "a binary target or class probability outside "
        "[0, 1], or NaN", "targets in [0, 1]", ValueError,
        "`{arg}` must lie in [0, 1]; got {got}", _target_outside_unit_interval,
        value_dependent=True, level="all"),
    Row("negative-class-count", "a negative or NaN count in `samples_per_class`",
        "class-balanced functions", ValueError,
        "`samples_per_class` must lie in [0, inf]; got {got}", _negative_counts,
        value_dependent=True),
)
