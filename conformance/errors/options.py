"""Rows that reject option values: ``reduction`` and the Python-number, int, flag and
choice options.

Array options (weights, counts) are rejected for their library, device and type in
:mod:`.arrays`, for their shape in :mod:`.shapes`, for their values in :mod:`.values`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .model import (
    Bad,
    C,
    Kept,
    Loss,
    N,
    Row,
    default_call,
    default_mode,
    spec_fields,
    valid_call,
)

__all__ = ["CHOICE_PREFIX", "NUMBER_KINDS", "REDUCTIONS", "REDUCTION_ROWS", "ROWS"]

# -- reduction ------------------------------------------------------------------

REDUCTIONS = ("none", "mean", "sum")


def _bad_reduction(loss: Loss) -> list[Bad]:
    if loss.reductions is None:
        return []
    call = default_call(loss)
    # (`sum_and_count`, mean's two parts, is accepted wherever `mean` is)
    valid = ", ".join(repr(r) for r in (*REDUCTIONS, "sum_and_count"))
    return [Bad(call.with_kwargs(reduction=bad),
                {"option": "reduction", "valid": valid, "bad": repr(bad)}, repr(bad))
            for bad in ("avg", "MEAN", "", None, 1)]


def _restricted_reduction(loss: Loss) -> list[Bad]:
    """The reductions a function with a ``reduction`` parameter does not have; why it
    does not and what to use instead are the function's own words (its spec's
    ``error_fields``)."""
    if loss.reductions is None or set(REDUCTIONS) <= set(loss.reductions):
        return []
    call = default_call(loss)
    only = " or ".join(repr(r) for r in loss.reductions)
    own = spec_fields(loss, "reduction-restricted")
    return [Bad(call.with_kwargs(reduction=r),
                {"option": "reduction", "only": only, "name": loss.name, "bad": repr(r),
                 **own}, r)
            for r in REDUCTIONS if r not in loss.reductions]


# -- scalar options -------------------------------------------------------------------

#: the domain of each kind of Python-number option: (minimum, strict, maximum)
NUMBER_KINDS: dict[str, tuple[float | None, bool, float | None]] = {
    "positive": (0.0, True, None),
    "steepness": (0.0, True, None),  # AnyLoss's L (fuzzed over its own range)
    "temperature": (0.0, True, None),
    "non_negative": (0.0, False, None),
    "gamma": (0.0, False, None),
    "unit": (0.0, False, 1.0),
    "smoothing": (0.0, False, 1.0),
    "alpha": (0.0, False, 1.0),
    "eps": (0.0, True, 1.0),
    "eps_or_none": (0.0, True, 1.0),  # (None: derived from the dtype)
    "real": (None, False, None),  # any finite float (a margin)
    "norm_p": (1.0, False, None),  # a norm's degree (math.inf too)
    "poly_epsilon": (-1.0, False, None),
    "beta_cb": (0.0, False, None),  # and < 1: its own row
    "class_alpha": (0.0, False, None),  # a float (or one value per class)
    "threshold": (None, False, None),
    "tweedie_power": (None, False, None),  # and not in (0, 1): its own row
}


def _number_options(loss: Loss, *, with_class_alpha: bool) -> list[tuple[str, str]]:
    kinds = [k for k in NUMBER_KINDS if with_class_alpha or k != "class_alpha"]
    return [(o, str(loss.decl.options[o])) for o in loss.options(*kinds)]


def _mode_for_option(loss: Loss, option: str) -> str:
    kind = loss.decl.options[option]
    if kind in ("class_weight", "class_alpha", "counts") or not loss.same_shape_target:
        return "index" if loss.index_target else default_mode(loss)
    return default_mode(loss)


def _number_option_type(loss: Loss) -> list[Bad]:
    out = []
    for option, kind in _number_options(loss, with_class_alpha=False):
        call = valid_call(loss, _mode_for_option(loss, option))
        bads: list[object] = [True, "1"]
        if kind not in ("alpha", "eps_or_none"):  # (None: no balancing; a derived eps)
            bads.append(None)
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "type": type(bad).__name__}, repr(bad)) for bad in bads]
    return out


def _number_option_nan(loss: Loss) -> list[Bad]:
    return [Bad(valid_call(loss, _mode_for_option(loss, o)).with_kwargs(**{o: math.nan}),
                {"option": o}, "nan") for o, _ in _number_options(loss, with_class_alpha=True)]


def _number_option_below(loss: Loss) -> list[Bad]:
    out = []
    for option, kind in _number_options(loss, with_class_alpha=True):
        minimum, strict, _ = NUMBER_KINDS[kind]
        if minimum is None:
            continue
        call = valid_call(loss, _mode_for_option(loss, option))
        # just below the bound and well below it (the bound itself too where it is strict)
        bads: list[float] = [minimum - 1.0, minimum - 1e-12 * max(1.0, abs(minimum))]
        if strict:
            bads += [int(minimum), float(minimum)] if minimum == int(minimum) else [minimum]
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "op": ">" if strict else ">=", "bound": minimum,
                     "bad": repr(bad)}, repr(bad)) for bad in bads]
    return out


def _number_option_above(loss: Loss) -> list[Bad]:
    out = []
    for option, kind in _number_options(loss, with_class_alpha=False):
        maximum = NUMBER_KINDS[kind][2]
        if maximum is None:
            continue
        call = valid_call(loss, _mode_for_option(loss, option))
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "bound": maximum, "bad": repr(bad)}, repr(bad))
                for bad in (1.5, 1.0 + 1e-9)]
    return out


def _beta_cb_at_one(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("beta_cb"):
        call = valid_call(loss, _mode_for_option(loss, option))
        out += [Bad(call.with_kwargs(**{option: bad}), {"option": option, "bad": repr(bad)},
                    repr(bad)) for bad in (1.0, 1, 1.5)]
    return out


def _tweedie_power_between_0_and_1(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("tweedie_power"):
        call = default_call(loss)
        out += [Bad(call.with_kwargs(**{option: bad}), {"option": option, "bad": repr(bad)},
                    repr(bad)) for bad in (0.5, 1e-9, 1.0 - 1e-9)]
    return out


def _ignore_index_type(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("ignore_index"):
        call = valid_call(loss, "index")
        bads = (1.0, True, "1") + (() if loss.default(option) is None else (None,))
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "type": type(bad).__name__}, repr(bad))
                for bad in bads]
    return out


def _ignore_index_with_probabilities(loss: Loss) -> list[Bad]:
    """A non-default ``ignore_index`` with class-probability targets (the target kind
    ``index_or_probs``): nothing to ignore there."""
    if loss.decl.target != "index_or_probs":
        return []
    out = []
    for option in (*loss.options("ignore_index"), *loss.options("ignore_index_or_none")):
        call = valid_call(loss, "same")
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "value": bad, "pred": loss.pred,
                     "default": loss.default(option)}, repr(bad))
                for bad in (0, -1)]
    return out


def _ignore_index_or_none_type(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("ignore_index_or_none"):
        call = default_call(loss)
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "type": type(bad).__name__}, repr(bad))
                for bad in (1.0, True, "1")]
    return out


def _k_type(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("k"):
        call = valid_call(loss, "index")
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "type": type(bad).__name__}, repr(bad))
                for bad in (2.0, True, np.bool_(True), "2", None)]
    return out


def _k_below_one(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("k"):
        call = valid_call(loss, "index")
        out += [Bad(call.with_kwargs(**{option: bad}), {"option": option, "bad": int(bad)},
                    repr(bad)) for bad in (0, -1, np.int64(0))]
    return out


def _num_classes_type(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("num_classes"):
        call = default_call(loss)
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "type": type(bad).__name__}, repr(bad))
                for bad in (3.0, True, "3")]
    return out


def _num_classes_below_one(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("num_classes"):
        call = default_call(loss)
        out += [Bad(call.with_kwargs(**{option: bad}), {"option": option, "bad": int(bad)},
                    repr(bad)) for bad in (0, -2, np.int64(0))]
    return out


def _num_classes_missing(loss: Loss) -> list[Bad]:
    """Integer class indices as the labels, without ``num_classes``."""
    out = []
    for option in loss.options("num_classes"):
        call = default_call(loss)
        indices = Kept(np.arange(N, dtype=np.int64) % C)
        out.append(Bad(call.with_arg(0, indices), {"option": option, "pred": loss.pred},
                       "indices"))
    return out


def _num_classes_mismatch(loss: Loss) -> list[Bad]:
    """Probability rows whose class axis is not ``num_classes`` long."""
    out = []
    for option in loss.options("num_classes"):
        call = default_call(loss)
        shape = tuple(np.shape(call.args[0]))
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "pred": loss.pred, "axis": len(shape) - 1,
                     "shape": shape, "k": shape[-1], "bad": bad}, repr(bad))
                for bad in (shape[-1] + 1, 1)]
    return out


def _int_type(kind: str, bads: tuple[object, ...]) -> Callable[[Loss], list[Bad]]:
    """The rows of an int option of ``kind`` given each of ``bads`` (not an int)."""
    def rows(loss: Loss) -> list[Bad]:
        out = []
        for option in loss.options(kind):
            call = default_call(loss)
            out += [Bad(call.with_kwargs(**{option: bad}),
                        {"option": option, "type": type(bad).__name__}, repr(bad))
                    for bad in bads]
        return out
    return rows


_class_index_type = _int_type("class_index", (1.0, True, "0", None))
_row_offset_type = _int_type("row_offset", (1.0, True, "1", None))


def _class_index_out_of_range(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("class_index"):
        call = default_call(loss)
        c = int(np.shape(call.args[0])[-1])
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "c": c, "pred": loss.pred, "bad": int(bad)},
                    repr(bad)) for bad in (c, -1, np.int64(c + 5))]
    return out


def _row_offset_negative(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("row_offset"):
        call = default_call(loss)
        out += [Bad(call.with_kwargs(**{option: bad}), {"option": option, "bad": int(bad)},
                    repr(bad)) for bad in (-1, np.int64(-3))]
    return out


def _key_rows(loss: Loss) -> tuple[str, str] | None:
    """The options of the gathered keys and their labels, if the function has them."""
    keys, labels = loss.options("key_rows"), loss.options("key_labels")
    return (keys[0], labels[0]) if keys and labels else None


def _row_offset_without_keys(loss: Loss) -> list[Bad]:
    """A row offset where the keys are the prediction's own rows (no gathered keys)."""
    if _key_rows(loss) is None:
        return []
    call = default_call(loss)
    return [Bad(call.with_kwargs(**{o: 2}), {"option": o, "keys": _key_rows(loss)[0],
                                            "pred": loss.pred, "bad": 2}, o)
            for o in loss.options("row_offset")]


def _row_offset_beyond_keys(loss: Loss) -> list[Bad]:
    """A row offset that puts the last local row beyond the last key row: gathered keys
    of N + 1 rows with an offset of 2 (InfoNCE: the key of N rows with an offset of 1)."""
    out = []
    for option in loss.options("row_offset"):
        call = default_call(loss)
        pred = call.args[0]
        n = int(np.shape(pred)[0])
        gathered = _key_rows(loss)
        if gathered is None:  # the target holds the keys
            fields = {"keys": loss.target, "bad": 1, "m": n}
            bad = call.with_kwargs(**{option: 1})
        else:
            keys = np.concatenate([np.asarray(pred), np.ones((1, np.shape(pred)[1]))])
            fields = {"keys": gathered[0], "bad": 2, "m": n + 1}
            bad = call.with_kwargs(**{option: 2, gathered[0]: keys,
                                      gathered[1]: np.arange(n + 1) % 2})
        out.append(Bad(bad, {"option": option, "pred": loss.pred, "n": n, **fields}, option))
    return out


def _keys_without_labels(loss: Loss) -> list[Bad]:
    """Gathered keys without their labels, and labels without the keys."""
    gathered = _key_rows(loss)
    if gathered is None:
        return []
    keys, labels = gathered
    call = default_call(loss)
    pred = np.asarray(call.args[0])
    return [Bad(call.with_kwargs(**{keys: pred.copy()}),
                {"keys": keys, "labels": labels, "given": keys, "missing": labels}, keys),
            Bad(call.with_kwargs(**{labels: np.arange(pred.shape[0]) % 2}),
                {"keys": keys, "labels": labels, "given": labels, "missing": keys}, labels)]


def _keys_of_another_width(loss: Loss) -> list[Bad]:
    """Gathered keys whose vectors have another length than the prediction's."""
    gathered = _key_rows(loss)
    if gathered is None:
        return []
    keys, labels = gathered
    call = default_call(loss)
    n, d = np.shape(call.args[0])
    out = []
    for shape in ((n, d + 1), (n,)):
        value = np.ones(shape)
        out.append(Bad(call.with_kwargs(**{keys: value, labels: np.arange(n) % 2}),
                       {"keys": keys, "pred": loss.pred, "d": d, "shape": shape},
                       str(shape)))
    return out


def _flag_type(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("flag"):
        call = default_call(loss)
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "type": type(bad).__name__}, repr(bad))
                for bad in (1, "yes", None, np.bool_(True))]
    return out


def _quantile_type(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("quantile"):
        call = default_call(loss)
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "type": type(bad).__name__}, repr(bad))
                for bad in ("0.5", None, True, {"a": 1})]
    return out


def _quantile_out_of_range(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("quantile"):
        call = default_call(loss)
        out += [Bad(call.with_kwargs(**{option: bad}), {"option": option, "bad": repr(bad)},
                    repr(bad)) for bad in (0.0, 1.0, 0, -0.5, 1.5, math.nan)]
    return out


#: choices that also accept something else, as their message says
CHOICE_PREFIX = {"metric": "a callable or "}


def _unknown_choice(loss: Loss) -> list[Bad]:
    out = []
    for option, valid in loss.choices().items():
        call = default_call(loss)
        for bad in ("bogus", None):
            out.append(Bad(call.with_kwargs(**{option: bad}),
                           {"option": option, "also": CHOICE_PREFIX.get(option, ""),
                            "valid": ", ".join(repr(v) for v in valid), "bad": repr(bad)},
                           repr(bad)))
    return out


#: the ``reduction`` rows (first in the docs table)
REDUCTION_ROWS: tuple[Row, ...] = (
    # reduction
    Row("reduction-unknown", "`reduction` not one of 'none', 'mean', 'sum', 'sum_and_count'",
        "every function with a `reduction`", ValueError,
        "`reduction` must be one of {valid}; got {bad}", _bad_reduction),
    Row("reduction-restricted", "a reduction the function does not have (it declares fewer "
        "`reductions` than 'none', 'mean', 'sum')",
        "functions with fewer reductions", ValueError,
        "`reduction` must be {only} for {name} ({why}); got {bad}. {instead}",
        _restricted_reduction),
)

#: the rows of the other options
ROWS: tuple[Row, ...] = (
    # scalar options
    Row("number-option-type", "a number option (`delta`, `beta`, `gamma`, `alpha`, `clip`, "
        "`eps`, `label_smoothing`, `L`, `threshold` ...) that is not a Python int or float",
        "functions with number options", TypeError,
        "`{option}` must be a Python int or float; got {type}", _number_option_type),
    Row("number-option-nan", "a NaN number option", "functions with number options",
        ValueError, "`{option}` must not be NaN", _number_option_nan),
    Row("number-option-below-minimum", "a number option below its domain: `delta`, `L` and "
        "`eps` <= 0; `beta` (smooth L1, class-balanced), `gamma`, `gamma_pos`, `gamma_neg`, "
        "`alpha`, `clip`, `label_smoothing` < 0; Poly-1's `epsilon` < -1",
        "functions with number options", ValueError,
        "`{option}` must be {op} {bound}; got {bad}", _number_option_below),
    Row("number-option-above-maximum", "a number option above its domain: `alpha`, `clip`, "
        "`eps`, `label_smoothing` > 1", "functions with bounded number options", ValueError,
        "`{option}` must be <= {bound}; got {bad}", _number_option_above),
    Row("class-balanced-beta-at-one", "class-balanced `beta` >= 1", "class-balanced functions",
        ValueError, "`{option}` must be in [0, 1); got {bad}", _beta_cb_at_one),
    Row("tweedie-power-between-0-and-1", "a Tweedie `power` strictly between 0 and 1 (no "
        "Tweedie distribution has it)", "Tweedie deviances", ValueError,
        "`{option}` must be <= 0 or >= 1 (0 normal, 1 Poisson, 2 gamma); got {bad}",
        _tweedie_power_between_0_and_1),
    Row("ignore-index-type", "`ignore_index` that is not a Python int",
        "class-index losses with `ignore_index`", TypeError,
        "`{option}` must be a Python int; got {type}", _ignore_index_type),
    Row("ignore-index-or-none-type", "`ignore_index` (default None) that is neither None "
        "nor a Python int", "functions with an optional `ignore_index`", TypeError,
        "`{option}` must be None or a Python int; got {type}", _ignore_index_or_none_type),
    Row("ignore-index-with-probabilities", "a non-default `ignore_index` with "
        "class-probability targets", "losses of class indices or probabilities", ValueError,
        "`{option}` applies to class-index targets only; got {option}={value} with class "
        "probabilities (a floating `target` of the {pred}' shape), which have no index to "
        "ignore (PyTorch raises too). Leave it at {default}.",
        _ignore_index_with_probabilities),
    Row("top-k-type", "`k` that is not an integer (a float, a bool, a string)",
        "functions with `k`", TypeError,
        "`{option}` must be an int (Python or NumPy integer); got {type}", _k_type),
    Row("top-k-below-one", "`k` < 1", "functions with `k`", ValueError,
        "`{option}` must be >= 1; got {bad}", _k_below_one),
    Row("num-classes-type", "`num_classes` that is not an integer (a float, a bool, a string)",
        "functions with `num_classes`", TypeError,
        "`{option}` must be an int (Python or NumPy integer); got {type}", _num_classes_type),
    Row("num-classes-below-one", "`num_classes` < 1", "functions with `num_classes`",
        ValueError, "`{option}` must be >= 1; got {bad}", _num_classes_below_one),
    Row("num-classes-missing", "integer class indices without `num_classes`",
        "functions with `num_classes`", ValueError,
        "`{option}` is required with integer class indices as `{pred}` (the length of the "
        "class axis of the smoothed one-hot rows); got None", _num_classes_missing),
    Row("num-classes-mismatch", "`num_classes` other than the length of the class axis of "
        "probability rows", "functions with `num_classes`", ValueError,
        "`{option}` must equal the length of the class axis {axis} of the probability rows "
        "`{pred}` {shape}, {k}; got {bad}", _num_classes_mismatch),
    Row("quantile-type", "`quantile` neither a number nor an array or sequence of levels",
        "functions with quantile levels", TypeError,
        "`{option}` must be a float in (0, 1) or a 1-D array (or sequence) of levels; got "
        "{type}", _quantile_type),
    Row("quantile-out-of-range", "a `quantile` number outside the open interval (0, 1), "
        "or NaN", "functions with quantile levels", ValueError,
        "`{option}` must be in (0, 1); got {bad}", _quantile_out_of_range),
    Row("class-index-option-type", "a class-index option (CTC's `blank`) that is not an integer "
        "(a float, a bool, a string, None)", "functions with a class-index option",
        TypeError, "`{option}` must be an int (Python or NumPy integer); got {type}",
        _class_index_type),
    Row("class-index-option-out-of-range", "a class-index option (CTC's `blank`) outside "
        "`[0, C)`", "functions with a class-index option", ValueError,
        "`{option}` must be a class index in [0, {c}) (C = {c}, the last axis of "
        "`{pred}`); got {bad}", _class_index_out_of_range),
    Row("row-offset-type", "a row offset (the local rows' first key row) that is not an "
        "integer or a 0-d integer array (a float, a bool, a string, None)",
        "contrastive losses (gathered keys)", TypeError,
        "`{option}` must be an int (Python or NumPy integer) or a 0-d integer array; got "
        "{type}", _row_offset_type),
    Row("row-offset-negative", "a negative row offset", "contrastive losses (gathered keys)",
        ValueError, "`{option}` must be >= 0; got {bad}", _row_offset_negative),
    Row("row-offset-without-keys", "a row offset other than 0 without gathered keys (the "
        "keys are the prediction's own rows)", "functions with gathered keys", ValueError,
        "`{option}` must be 0 without `{keys}` (the keys are then the rows of `{pred}` "
        "themselves); got {bad}", _row_offset_without_keys),
    Row("row-offset-beyond-keys", "a row offset that puts a local row beyond the last key "
        "row", "contrastive losses (gathered keys)", ValueError,
        "`{option}` plus the rows of `{pred}` must be at most the rows of `{keys}` (the local "
        "rows are key rows row_offset to row_offset + {n} - 1); got {bad} + {n} > {m}",
        _row_offset_beyond_keys),
    Row("gathered-keys-unpaired", "gathered keys without their labels, or labels without the "
        "keys", "functions with gathered keys", ValueError,
        "`{keys}` and `{labels}` go together (the rows gathered from every process and their "
        "labels); got `{given}` without `{missing}`", _keys_without_labels),
    Row("gathered-keys-width", "gathered keys whose vectors are not the prediction's (another "
        "length, or not 2-d)", "functions with gathered keys", ValueError,
        "`{keys}` must be 2-d with the features of `{pred}` along `axis` ({d} along axis 1); "
        "got shape {shape}", _keys_of_another_width),
    Row("flag-type", "a flag (`from_logits`, `detach_focusing`) that is not a Python bool",
        "functions with flags", TypeError, "`{option}` must be a bool; got {type}", _flag_type),
    Row("choice-unknown", "an unknown choice (`loss_type`, `metric`, `average`)",
        "functions with choices", ValueError,
        "`{option}` must be {also}one of {valid}; got {bad}", _unknown_choice),
)
