"""Rows that reject the arrays themselves: their type, library, device and dtype.

A Python list where an array is needed, arrays of two libraries or on two devices, an
array option of another library, device or type, and a prediction or target of the
wrong dtype (integer or bool predictions, complex values, floating class indices, the
arguments swapped).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from .model import (
    COMPLEX,
    COMPLEX_DTYPE,
    DEVICE,
    DTYPE,
    FOREIGN,
    LIB,
    OTHER_DEVICE,
    Bad,
    Call,
    Complex,
    Foreign,
    Kept,
    Loss,
    OtherDevice,
    Row,
    default_call,
    default_mode,
    valid_call,
)

__all__ = ["ARRAY_TYPES", "FLOATING", "ROWS"]

# -- array types and libraries ----------------------------------------------------

ARRAY_TYPES = "(NumPy, PyTorch, JAX, CuPy, Dask or another array-API library)"


def _python_list(which: int) -> Callable[[Loss], list[Bad]]:
    def bads(loss: Loss) -> list[Bad]:
        if not loss.has_target:
            return []  # (without a target: the input may be a sequence by design, counts)
        call = default_call(loss)
        name = (loss.pred, loss.target)[which]
        return [Bad(call.with_arg(which, call.args[which].tolist()), {"arg": name}, name)]
    return bads


def _mixed_libraries(loss: Loss) -> list[Bad]:
    if not loss.has_target:
        return []
    call = default_call(loss)
    return [
        Bad(call.with_arg(0, Foreign(call.args[0])),
            {"pred": loss.pred, "target": loss.target, "pred_lib": FOREIGN, "target_lib": LIB},
            "foreign prediction"),
        Bad(call.with_arg(1, Foreign(call.args[1])),
            {"pred": loss.pred, "target": loss.target, "pred_lib": LIB, "target_lib": FOREIGN},
            "foreign target"),
    ]


ARRAY_OPTIONS = ("element_weight", "pos_weight", "class_weight", "sample_weight",
                 "class_alpha", "counts", "like", "row_labels", "mask", "key_rows",
                 "key_labels")


def _option_array(loss: Loss, option: str, mode: str) -> tuple[Call, np.ndarray]:
    """A valid call and a valid NumPy value of the array option ``option``."""
    call = valid_call(loss, mode)
    kind = loss.decl.options[option]
    pred = call.args[0]
    if kind == "element_weight":
        value = np.full(pred.shape, 0.5)
    elif kind == "pos_weight":
        value = np.full(pred.shape[-1:], 2.0)
    elif kind == "sample_weight":
        value = np.full(pred.shape[:1], 0.5)
    elif kind == "counts":
        value = np.arange(1.0, pred.shape[-1] + 1.0)
    elif kind == "like":
        value = np.zeros(1)
    elif kind == "row_labels":  # one integer label per row
        value = np.arange(pred.shape[0]) % 2
    elif kind == "mask":
        value = np.ones(pred.shape, bool)
    elif kind == "key_rows":  # the prediction's rows, gathered (with or without labels:
        value = np.asarray(pred, np.float64).copy()  # the library is checked first)
    elif kind == "key_labels":
        value = np.arange(pred.shape[0]) % 2
    else:  # class_weight, class_alpha
        value = np.full(pred.shape[-1:], 0.5)
    return call, value


def _array_option_bads(loss: Loss, wrap: Callable[[np.ndarray], Any],
                       fields: Mapping[str, Any]) -> list[Bad]:
    """The valid call with each array option's valid value wrapped (in another library,
    on another device), and each further input (a variance); ``{first}`` is the
    prediction, ``{option}`` the option or input."""
    out = []
    for i, (name, _) in loss.inputs.items():
        call = default_call(loss)
        out.append(Bad(call.with_arg(i, wrap(call.args[i])),
                       {"first": loss.pred, "option": name, "second": name, **fields}, name))
    for option in loss.options(*ARRAY_OPTIONS):
        mode = "index" if loss.decl.options[option] in ("class_weight", "class_alpha",
                                                         "counts") and loss.index_target \
            else default_mode(loss)  # (a class weight of binary labels: their shape)
        call, value = _option_array(loss, option, mode)
        out.append(Bad(call.with_kwargs(**{option: wrap(value)}),
                       {"first": loss.pred, "option": option, "second": option, **fields},
                       option))
    return out


def _option_from_another_library(loss: Loss) -> list[Bad]:
    return _array_option_bads(loss, Foreign, {"lib": LIB, "foreign": FOREIGN})


def _mixed_devices(loss: Loss) -> list[Bad]:
    if not loss.has_target:
        return []
    call = default_call(loss)
    return [Bad(call.with_arg(1, OtherDevice(call.args[1])),
                {"first": loss.pred, "second": loss.target, "device": DEVICE,
                 "other_device": OTHER_DEVICE}, "target")]


def _option_on_another_device(loss: Loss) -> list[Bad]:
    return _array_option_bads(loss, OtherDevice, {"device": DEVICE,
                                                  "other_device": OTHER_DEVICE})


def _option_of_another_type(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("element_weight", "pos_weight", "class_weight",
                               "sample_weight", "class_alpha"):
        mode = "index" if loss.decl.options[option] in ("class_weight",
                                                         "class_alpha") and loss.index_target \
            else default_mode(loss)
        call = valid_call(loss, mode)
        for bad in ("abc", {"a": 1}, object()):
            out.append(Bad(call.with_kwargs(**{option: bad}),
                           {"option": option, "type": type(bad).__name__},
                           f"{option}={type(bad).__name__}"))
    return out


def _mask_not_bool(loss: Loss) -> list[Bad]:
    """A mask (``where``) that is a list or an array of another dtype than bool."""
    out = []
    for option in loss.options("mask"):
        call = default_call(loss)
        ones = np.ones(np.shape(call.args[0]))
        for bad, got in ((ones.astype(bool).tolist(), "list"),
                         (Kept(ones.astype(np.float32)), "dtype float32"),
                         (Kept(ones.astype(np.int64)), "dtype int64")):
            out.append(Bad(call.with_kwargs(**{option: bad}),
                           {"option": option, "pred": loss.pred, "got": got}, got))
    return out


def _counts_of_another_type(loss: Loss) -> list[Bad]:
    out = []
    if loss.decl.prediction == "counts":
        call = default_call(loss)
        out += [Bad(call.with_arg(0, bad), {"type": type(bad).__name__}, repr(bad))
                for bad in ("123", 3)]
    for option in loss.options("counts"):
        call = valid_call(loss, "index")
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "type": type(bad).__name__}, repr(bad))
                for bad in ("123", 3)]
    return out


def _like_not_an_array(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("like"):
        call = default_call(loss)
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "type": f"builtins.{type(bad).__name__}"}, repr(bad))
                for bad in ([0.0], 1.0)]
    return out


# -- dtypes -----------------------------------------------------------------------

FLOATING = "(float16, bfloat16, float32 or float64)"


def _non_floating_prediction(loss: Loss) -> list[Bad]:
    if loss.label_predictions or loss.decl.prediction == "counts":
        return []
    call = default_call(loss)
    pred = call.args[0]
    out = []
    # (labels: integer ones are class indices, a valid input; bool ones are not)
    for dtype in ("bool",) if loss.decl.prediction == "labels" else ("int64", "int32", "bool"):
        bad = (pred > np.median(pred)) if dtype == "bool" else np.round(pred).astype(dtype)
        out.append(Bad(call.with_arg(0, Kept(bad)), {"pred": loss.pred, "got": dtype}, dtype))
    return out


def _complex_prediction(loss: Loss) -> list[Bad]:
    if loss.label_predictions or loss.decl.prediction == "counts":
        return []
    call = default_call(loss)
    return [Bad(call.with_arg(0, Complex(call.args[0])),
                {"pred": loss.pred, "got": COMPLEX_DTYPE}, "complex")]


def _complex_target(loss: Loss) -> list[Bad]:
    if not loss.elementwise_target or loss.label_predictions:
        return []
    call = valid_call(loss, "same")
    return [Bad(call.with_arg(1, Complex(call.args[1])), {"target": loss.target,
                                                          "got": COMPLEX_DTYPE}, "complex")]


def _float_class_indices(loss: Loss) -> list[Bad]:
    if not loss.index_target:
        return []
    call = valid_call(loss, "index")
    hint = ""
    if loss.decl.target == "index_or_probs":
        hint = (f" (a target with the {loss.pred}' shape without the class axis holds class "
                f"indices; pass class probabilities with the {loss.pred}' full shape instead)")
    target = call.args[1]
    return [Bad(call.with_arg(1, target.astype(np.float64)), {"got": DTYPE, "hint": hint},
                "floating"),
            Bad(call.with_arg(1, target > 0), {"got": "bool", "hint": hint}, "bool")]


def _swapped_arguments(loss: Loss) -> list[Bad]:
    if not loss.index_target:
        return []
    call = valid_call(loss, "index")
    return [Bad(replace(call, args=(call.args[1], call.args[0])),
                {"pred": loss.pred, "got": "int64"}, "swapped")]


#: the rows of this module, in the order of the docs table
ROWS: tuple[Row, ...] = (
    # array types and libraries
    Row("python-list-prediction", "a Python list as the prediction", "functions with a target",
        TypeError, "`{arg}` must be an array " + ARRAY_TYPES + "; got builtins.list",
        _python_list(0)),
    Row("python-list-target", "a Python list as the target", "functions with a target",
        TypeError, "`{arg}` must be an array " + ARRAY_TYPES + "; got builtins.list",
        _python_list(1)),
    Row("mixed-libraries", "prediction and target from different array libraries (NumPy, or "
        "array-api-strict on NumPy, with the backend's)", "functions with a target", TypeError,
        "all array arguments must come from the same array library; `{pred}` is a {pred_lib} "
        "array, `{target}` is a {target_lib} array. Convert them to one library first.",
        _mixed_libraries),
    Row("option-from-another-library", "an array option (`weight`, `pos_weight`, `alpha`, "
        "`sample_weight`, `samples_per_class`, `like`) or a further input (`var`) from "
        "another array library",
        "functions with array options", TypeError,
        "all array arguments must come from the same array library; `{first}` is a {lib} "
        "array, `{option}` is a {foreign} array. Convert them to one library first.",
        _option_from_another_library),
    Row("mixed-devices", "prediction and target on different devices (array-api-strict "
        "`CPU_DEVICE` / `device1`, PyTorch `cpu` / `meta`)", "functions with a target",
        ValueError, "all arrays must be on the same device; `{first}` is on {device}, "
        "`{second}` is on {other_device}. Move them to one device first.", _mixed_devices,
        devices=True),
    Row("option-on-another-device", "an array option or a further input (`var`) on "
        "another device than the prediction",
        "functions with array options", ValueError,
        "all arrays must be on the same device; `{first}` is on {device}, `{second}` is on "
        "{other_device}. Move them to one device first.", _option_on_another_device,
        devices=True),
    Row("option-of-another-type", "an array option that is neither an array nor a sequence "
        "of numbers (a string, a dict ...)", "functions with array options", TypeError,
        "`{option}` must be an array of the inputs' library or a sequence of numbers; "
        "got {type}", _option_of_another_type),
    Row("mask-not-bool", "a mask (`where`) that is not a bool array (a list, floating or "
        "integer values)", "functions with a mask", TypeError,
        "`{option}` must be None or a bool array of the shape of `{pred}` (True: a valid "
        "item); got {got}", _mask_not_bool),
    Row("counts-of-another-type", "`samples_per_class` neither an array nor a sequence",
        "class-balanced functions", TypeError,
        "`samples_per_class` must be an array or a sequence of counts; got {type}",
        _counts_of_another_type),
    Row("like-not-an-array", "`like` that is not an array", "functions with `like`",
        TypeError, "`{option}` must be an array " + ARRAY_TYPES + "; got {type}",
        _like_not_an_array),
    # dtypes
    Row("non-floating-prediction", "integer or bool logits / probabilities / predictions "
        "(often swapped arguments)", "every function whose prediction is floating", TypeError,
        "`{pred}` must have a real floating dtype " + FLOATING + "; got {got}",
        _non_floating_prediction),
    Row("complex-prediction", "a complex prediction", "every function whose prediction is "
        "floating", TypeError, "`{pred}` must have a real floating dtype " + FLOATING
        + "; got {got}", _complex_prediction, dtypes=tuple(COMPLEX)),
    Row("complex-target", "a complex target", "element-wise targets", TypeError,
        "`{target}` must have a real numeric or bool dtype; got {got}", _complex_target,
        dtypes=tuple(COMPLEX)),
    Row("floating-class-indices", "floating (or bool) class indices", "class-index targets",
        TypeError, "`target` must have an integer dtype (class indices); got {got}{hint}",
        _float_class_indices),
    Row("swapped-arguments", "target first, prediction second (Keras / scikit-learn order)",
        "class-index targets", TypeError,
        "`{pred}` must have a real floating dtype " + FLOATING + "; got {got}",
        _swapped_arguments),
)
