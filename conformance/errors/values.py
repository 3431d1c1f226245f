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

from .model import (
    DOMAIN_PREDICTIONS,
    DOMAIN_TARGETS,
    Bad,
    C,
    Call,
    Loss,
    N,
    Row,
    default_call,
    valid_call,
)

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


def _domain_call(loss: Loss) -> Call:
    """The default call, with a Tweedie power (an option of kind ``tweedie_power``) of 2,
    where the prediction and the target must both be > 0."""
    call = default_call(loss)
    return call.with_kwargs(**dict.fromkeys(loss.options("tweedie_power"), 2.0))


def _domain_bads(interval: str, call: Call, i: int, arg: str) -> list[Bad]:
    """Argument ``i`` of ``call`` outside ``interval`` ("(0, inf]", "[0, inf]" or
    "(-1, inf]"): its other values 1.0, so that the extremes are the written ones."""
    lo = {"(0, inf]": 0.0, "[0, inf]": 0.0, "(-1, inf]": -1.0}[interval]
    ones = np.ones(np.shape(call.args[i]))
    writes: list[tuple[str, tuple[float, ...], str]] = [
        (f"{lo - 0.5:g}", (lo - 0.5, 2.0), f"values in [{lo - 0.5:g}, 2]"),
        ("NaN", (math.nan, 2.0), "values in [1, 2] and NaN"),
    ]
    if interval[0] == "(":  # the open end itself
        writes.insert(0, (f"{lo:g}", (lo, 2.0), f"values in [{lo:g}, 2]"))
    out = [Bad(call.with_arg(i, _write(ones, values)), {"arg": arg, "range": interval,
                                                      "got": got}, label)
           for label, values, got in writes]
    out.append(Bad(call.with_arg(i, np.full(ones.shape, math.nan)),
                   {"arg": arg, "range": interval, "got": "only NaN"}, "only NaN"))
    return out


def _prediction_outside_domain(loss: Loss) -> list[Bad]:
    interval = DOMAIN_PREDICTIONS.get(loss.decl.prediction)
    if interval is None:
        return []
    return _domain_bads(interval, _domain_call(loss), 0, loss.pred)


def _target_outside_domain(loss: Loss) -> list[Bad]:
    interval = DOMAIN_TARGETS.get(str(loss.decl.target))
    if interval is None:
        return []
    call = _domain_call(loss)
    out = _domain_bads(interval, call, 1, loss.target)
    shape = np.shape(call.args[1])
    lo = math.floor(float(interval[1:].split(",")[0])) + (interval[0] == "(")
    target = np.full(shape, 2, dtype=np.int64)  # integer targets: the first one invalid
    target.reshape(-1)[0] = lo - 1
    out.append(Bad(call.with_arg(1, target), {"arg": loss.target, "range": interval,
                                              "got": f"values in [{lo - 1}, 2]"},
                   f"integer {lo - 1}"))
    if lo > 0:  # a bool False is 0, outside (0, inf]
        flags = np.ones(shape, dtype=bool)
        flags.reshape(-1)[0] = False
        out.append(Bad(call.with_arg(1, flags), {"arg": loss.target, "range": interval,
                                                 "got": "values in [0, 1]"}, "bool False"))
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


def _negative_variance(loss: Loss) -> list[Bad]:
    out = []
    for i, (name, kind) in loss.inputs.items():
        if kind != "variance":
            continue
        call = default_call(loss)
        v = np.full(call.args[i].shape, 0.5)
        for values, got in (((-0.5, 2.0), "values in [-0.5, 2]"),
                            ((math.nan, 2.0), "values in [0.5, 2] and NaN")):
            out.append(Bad(call.with_arg(i, _write(v, values)), {"arg": name, "got": got},
                           got))
    return out


def _quantile_levels_out_of_range(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("quantile"):
        call = default_call(loss)
        call = call.with_arg(1, call.args[1][:, 0])
        for values, got in (((0.25, 1.5, 0.5), "values in [0.25, 1.5]"),
                            ((0.0, 0.5, 0.75), "values in [0, 0.75]"),
                            ((0.25, 0.5, 1.0), "values in [0.25, 1]"),
                            ((0.25, math.nan, 0.5), "NaN")):
            out.append(Bad(call.with_kwargs(**{option: np.array(values)}),
                           {"option": option, "got": got}, got))
    return out


def _sign_labels(loss: Loss) -> list[Bad]:
    """Labels (the target, or a further input, of kind ``sign`` or ``sample_sign``) that
    are not -1 or +1: 0/1 labels (floating and integer: the message says how to convert
    them), a 2, NaN."""
    where = ([(1, loss.target)] if loss.decl.target == "sign" else []) + [
        (i, name) for i, (name, kind) in loss.inputs.items() if kind in ("sign", "sample_sign")]
    out = []
    for i, arg in where:
        call = default_call(loss)
        ones = np.ones(np.shape(call.args[i]))
        hint = (f", zeros among them: 0/1 labels? Convert them with `2 * {arg} - 1` (or "
                f"pass the bool array `{arg} == 1`)")
        for label, labels, got in (
                ("0/1", _write(ones, (0.0, 1.0, 0.0)), "values in [0, 1]" + hint),
                ("int 0/1", _write(ones, (0, 1)).astype(np.int64), "values in [0, 1]" + hint),
                ("2", _write(ones, (2.0, -1.0)), "values in [-1, 2]"),
                ("NaN", _write(ones, (math.nan, -1.0)), "values in [-1, 1] and NaN"),
                ("only NaN", np.full(ones.shape, math.nan), "only NaN")):
            out.append(Bad(call.with_arg(i, labels), {"arg": arg, "got": got}, f"{arg} {label}"))
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
    Row("prediction-outside-domain", "a prediction outside the loss's domain, or NaN: a mean "
        "<= 0 (Tweedie deviances but at power 0), a log1p argument <= -1 (squared log error)",
        "functions of means or log1p arguments", ValueError,
        "`{arg}` must lie in {range}; got {got}", _prediction_outside_domain,
        value_dependent=True),
    Row("target-outside-domain", "a target outside the loss's domain, or NaN: <= 0 "
        "(gamma, Tweedie at power >= 2), < 0 (Poisson, Tweedie at power in [1, 2), ranking "
        "relevance), <= -1 (squared log error)", "targets bounded below", ValueError,
        "`{arg}` must lie in {range}; got {got}", _target_outside_domain,
        value_dependent=True, level="all"),
    Row("negative-class-count", "a negative or NaN count in `samples_per_class`",
        "class-balanced functions", ValueError,
        "`samples_per_class` must lie in [0, inf]; got {got}", _negative_counts,
        value_dependent=True),
    Row("quantile-levels-out-of-range", "an array of quantile levels outside the open "
        "interval (0, 1), or NaN", "functions with quantile levels", ValueError,
        "`{option}` levels must lie in (0, 1); got {got}", _quantile_levels_out_of_range,
        value_dependent=True),
    Row("negative-variance", "a negative or NaN variance (`var`)", "functions with a "
        "variance", ValueError, "`{arg}` must lie in [0, inf]; got {got}",
        _negative_variance, value_dependent=True),
    Row("sign-labels", "a label of a margin loss, or a target of one sign per row "
        "(`cosine_embedding_loss`), that is not -1 or +1 (0/1 labels, 2, NaN); bool labels "
        "are valid (True = +1)", "functions of sign labels", ValueError,
        "`{arg}` must hold -1 or +1 (or be bool, True = +1); got {got}", _sign_labels,
        value_dependent=True),
)
