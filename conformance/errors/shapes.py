"""Rows that reject shapes and axes.

A prediction and target of different shapes (never broadcast), class indices of the
wrong shape, a 0-d input where a class axis or samples are needed, an ``axis`` out of
range or not an int, and array options (per-class, per-sample, element weights,
counts) of the wrong length or shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from .model import (
    Bad,
    C,
    Chunked,
    Loss,
    N,
    Row,
    default_call,
    default_mode,
    shape_of,
    spec_fields,
    valid_call,
)

__all__ = ["BROADCAST", "ROWS"]

# -- prediction, target and axis ---------------------------------------------------

BROADCAST = ("(no implicit broadcasting: reshape one of them explicitly if that is what "
             "you mean)")


def _column_vs_vector(loss: Loss) -> list[Bad]:
    if not loss.elementwise_target:
        return []
    call = valid_call(loss, "same")
    pred, target = call.args[0], call.args[1]
    column = (pred[:, :1], target[:, 0])
    row = (pred[:, 0], target[:, :1])
    more = call.args[2:]  # (further inputs, a variance, unchanged)
    return [Bad(replace(call, args=(*a, *more)), {"pred": loss.pred, "target": loss.target,
                                                  "pshape": shape_of(a[0]),
                                                  "tshape": shape_of(a[1])}, label)
            for a, label in ((column, "(N, 1) vs (N,)"), (row, "(N,) vs (N, 1)"))]


def _target_of_another_shape(loss: Loss) -> list[Bad]:
    if not loss.same_shape_target:
        return []
    call = valid_call(loss, "same")
    wider = valid_call(loss, "same", (N, C + 1)).args[1]
    return [Bad(call.with_arg(1, wider), {"pred": loss.pred, "target": loss.target,
                                          "pshape": (N, C), "tshape": (N, C + 1)},
                "(N, C) vs (N, C + 1)")]


def _index_message_fields(loss: Loss, pshape: tuple[int, ...], axis: int,
                          tshape: tuple[int, ...]) -> dict[str, Any]:
    expected = pshape[:axis] + pshape[axis + 1:]
    return {"pred": loss.pred, "pshape": pshape, "axis": axis, "expected": expected,
            "tshape": tshape}


def _index_with_trailing_one(loss: Loss) -> list[Bad]:
    if not loss.index_target:
        return []
    call = valid_call(loss, "index")
    target = call.args[1][:, None]
    fields = _index_message_fields(loss, (N, C), 1, shape_of(target))
    return [Bad(call.with_arg(1, target), {**fields, "hint": ""}, "(N, 1)")]


def _index_fits_another_axis(loss: Loss) -> list[Bad]:
    if not loss.index_target or loss.decl.max_ndim < 3:
        return []
    call = valid_call(loss, "index", (2, C, 5))  # PyTorch's (N, C, d) with the default axis
    target = np.arange(10, dtype=np.int64).reshape(2, 5) % C  # (N, d): fits axis 1
    fields = _index_message_fields(loss, (2, C, 5), 2, (2, 5))
    hint = ("; it would fit class axis 1 (pass axis=1: PyTorch-layout (N, C, ...) inputs "
            "need axis=1)")
    return [Bad(call.with_arg(1, target), {**fields, "hint": hint}, "(N, C, d)")]


def _chunked_sorted_axis(loss: Loss) -> list[Bad]:
    """A Dask prediction, then target (where it has that axis), in chunks of 1 along an
    axis that a function declared ``sorts`` sorts along (its spec's ``error_fields`` say
    which axis of the default call, why, and, as ``sorted``, which of ``pred,target``
    it sorts: both by default): that axis must be one chunk."""
    if not loss.decl.sorts:
        return []
    own = spec_fields(loss, "sorted-axis-chunked")
    axis = int(own["axis"])
    call = default_call(loss)
    out = []
    sorted_args = own.get("sorted", "pred,target").split(",")  # (which ones it sorts)
    for i, arg in ((0, loss.pred), (1, loss.target)):
        if (i >= len(call.args) or np.ndim(call.args[i]) <= axis
                or ("pred", "target")[i] not in sorted_args):
            continue
        a = call.args[i]
        out.append(Bad(call.with_arg(i, Chunked(a, axis)),
                       {**own, "arg": arg, "n": str(a.shape[axis])}, arg))
    return out


def _ambiguous_class_axis(loss: Loss) -> list[Bad]:
    """``(N, C, C)`` with ``(N, C)`` class indices and no ``axis``: axis 1 and the last
    both fit (3-d and 4-d: ``(N, C, C, C)`` with ``(N, C, C)``).  Only where ``axis``
    defaults to ``None`` (the last axis, unless the shapes are ambiguous): a default
    ``axis=-1`` (``multi_margin_loss``, as PyTorch's ``(N, C)``-only losses) says the
    last axis."""
    if (not loss.index_target or loss.decl.class_axis != "axis" or loss.decl.max_ndim < 3
            or loss.default("axis") is not None):
        return []
    out = []
    for ndim in range(3, min(loss.decl.max_ndim, 4) + 1):
        pshape = (2,) + (C,) * (ndim - 1)
        call = valid_call(loss, "index", pshape)
        assert "axis" not in call.kwargs  # the default
        out.append(Bad(call, {"pred": loss.pred, "pshape": pshape, "tshape": pshape[:-1]},
                       f"{ndim}-d"))
    return out


def _zero_d_class_input(loss: Loss) -> list[Bad]:
    if loss.decl.class_axis == "none" or not loss.has_target:
        return []
    mode = "index" if loss.decl.class_axis == "optional" else default_mode(loss)
    return [Bad(valid_call(loss, mode, ()), {"axis": "axis"}, "0-d")]


def _zero_d_samples(loss: Loss) -> list[Bad]:
    if loss.decl.class_axis != "none" or loss.decl.min_ndim < 1 or not loss.has_target:
        return []
    call = valid_call(loss, "same", ())
    return [Bad(call, {"pred": loss.pred}, "0-d")]


def _counts_not_1d(loss: Loss) -> list[Bad]:
    if loss.decl.prediction != "counts":
        return []
    return [Bad(valid_call(loss, "counts", shape), {"pred": loss.pred, "shape": shape}, str(shape))
            for shape in ((2, 2), ())]


def _axis_options(loss: Loss) -> list[str]:
    return loss.options("axis", "axis_or_none")


def _axis_out_of_range(loss: Loss) -> list[Bad]:
    out = []
    for option in _axis_options(loss):
        call = valid_call(loss, "index" if loss.index_target else "same")
        out += [Bad(call.with_kwargs(**{option: bad}), {"option": option, "bad": bad}, str(bad))
                for bad in (2, -3, 7)]
    return out


def _axis_not_an_int(loss: Loss) -> list[Bad]:
    out = []
    for option in _axis_options(loss):
        call = valid_call(loss, "index" if loss.index_target else "same")
        bads: list[object] = [1.0, "1", True]  # (None: the default class axis)
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "type": type(bad).__name__}, repr(bad)) for bad in bads]
    return out


# -- array options of the wrong length or shape --------------------------------------------

def _class_weight_length(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("class_weight"):
        call = valid_call(loss, "index" if loss.index_target else default_mode(loss))
        for value in ([1.0, 2.0], [1.0, 2.0, 3.0, 4.0], [[1.0, 2.0, 3.0]]):
            shape = np.shape(value)
            out.append(Bad(call.with_kwargs(**{option: value}),
                           {"option": option, "classes": C, "shape": shape}, f"list {shape}"))
            out.append(Bad(call.with_kwargs(**{option: np.asarray(value)}),
                           {"option": option, "classes": C, "shape": shape}, f"array {shape}"))
    return out


def _class_alpha_length(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("class_alpha"):
        call = valid_call(loss, "index")
        for value in ([0.25, 0.75], [[0.25, 0.5, 0.75]]):
            shape = np.shape(value)
            out.append(Bad(call.with_kwargs(**{option: value}),
                           {"option": option, "classes": C, "shape": shape}, f"list {shape}"))
            out.append(Bad(call.with_kwargs(**{option: np.asarray(value)}),
                           {"option": option, "classes": C, "shape": shape}, f"array {shape}"))
    return out


def _broadcast_option(kinds: tuple[str, ...], shapes: Sequence[tuple[int, ...]]
                      ) -> Callable[[Loss], list[Bad]]:
    def bads(loss: Loss) -> list[Bad]:
        out = []
        for option in loss.options(*kinds):
            call = valid_call(loss, default_mode(loss))
            for shape in shapes:
                fields = {"option": option, "pred": loss.pred, "pshape": (N, C),
                          "shape": shape}
                out.append(Bad(call.with_kwargs(**{option: np.ones(shape)}), fields, str(shape)))
            out.append(Bad(call.with_kwargs(**{option: np.ones(shapes[0]).tolist()}),
                           {"option": option, "pred": loss.pred, "pshape": (N, C),
                            "shape": shapes[0]}, f"list {shapes[0]}"))
        return out
    return bads


def _variance_shape(loss: Loss) -> list[Bad]:
    out = []
    for i, (name, kind) in loss.inputs.items():
        if kind != "variance":
            continue
        call = default_call(loss)
        for shape in ((N, C + 1), (C,), (1, 1), (N, C, 1), (N + 1,)):
            fields = {"arg": name, "pred": loss.pred, "pshape": (N, C), "short": (N,),
                      "shape": shape}
            out.append(Bad(call.with_arg(i, np.ones(shape)), fields, str(shape)))
    return out


def _quantile_levels_call(loss: Loss, option: str) -> Any:
    """A valid call with C quantile levels: the target without the prediction's last axis."""
    call = default_call(loss)
    return call.with_arg(1, call.args[1][:, 0]).with_kwargs(
        **{option: np.linspace(0.25, 0.75, C)})


def _quantile_levels_not_1d(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("quantile"):
        call = _quantile_levels_call(loss, option)
        for value in (np.full((1, C), 0.5), np.asarray(0.5), [[0.25, 0.5, 0.75]]):
            shape = np.shape(value)
            out.append(Bad(call.with_kwargs(**{option: value}),
                           {"option": option, "shape": shape}, f"{type(value).__name__} "
                           f"{shape}"))
    return out


def _quantile_levels_length(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("quantile"):
        call = _quantile_levels_call(loss, option)
        for n in (C + 1, 1):
            out.append(Bad(call.with_kwargs(**{option: np.linspace(0.25, 0.75, n)}),
                           {"option": option, "n": n, "pred": loss.pred, "pshape": (N, C)},
                           f"{n} levels"))
        zero_d = call.with_arg(0, np.asarray(call.args[0][0, 0])).with_arg(1, call.args[1][:0])
        out.append(Bad(zero_d, {"option": option, "n": C, "pred": loss.pred, "pshape": ()},
                       "0-d prediction"))
    return out


def _quantile_levels_target_shape(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("quantile"):
        call = _quantile_levels_call(loss, option)
        for tshape in ((N, C), (N, 1), (1,)):
            out.append(Bad(call.with_arg(1, np.zeros(tshape)),
                           {"option": option, "pred": loss.pred, "pshape": (N, C),
                            "short": (N,), "tshape": tshape}, str(tshape)))
    return out


def _sign_input_shape(loss: Loss) -> list[Bad]:
    """Sign labels as a further input (margin_ranking_loss's target) of another shape
    than the prediction's: never broadcast."""
    out = []
    for i, (name, kind) in loss.inputs.items():
        if kind != "sign":
            continue
        call = default_call(loss)
        for shape in ((N, C + 1), (N,), (1, C), (N, C, 1)):
            fields = {"arg": name, "pred": loss.pred, "pshape": (N, C), "shape": shape}
            out.append(Bad(call.with_arg(i, np.ones(shape)), fields, str(shape)))
    return out


def _sample_sign_shape(loss: Loss) -> list[Bad]:
    out = []
    for i, (name, kind) in loss.inputs.items():
        if kind != "sample_sign":
            continue
        call = default_call(loss)  # (embeddings of shape (N, C), the rows along the last axis)
        for shape in ((N, C), (N, 1), (N + 1,), ()):
            fields = {"arg": name, "pred": loss.pred, "rows": (N,), "shape": shape}
            out.append(Bad(call.with_arg(i, np.ones(shape)), fields, str(shape)))
    return out


def _sample_weight_length(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("sample_weight"):
        call = default_call(loss)
        for value in ([1.0, 2.0, 3.0], np.ones((N, 1))):
            shape = np.shape(value)
            out.append(Bad(call.with_kwargs(**{option: value}),
                           {"option": option, "samples": N, "shape": shape}, str(shape)))
    return out


def _mask_shape(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("mask"):
        call = default_call(loss)
        for shape in ((N,), (N, 1), (1, N, C)):
            out.append(Bad(call.with_kwargs(**{option: np.ones(shape, bool)}),
                           {"option": option, "pred": loss.pred, "pshape": (N, C),
                            "shape": shape}, str(shape)))
    return out


def _counts_length(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("counts"):
        call = valid_call(loss, "index")
        for value in ([1, 2], np.ones((C, 1))):
            shape = np.shape(value)
            out.append(Bad(call.with_kwargs(**{option: value}),
                           {"option": option, "classes": C, "shape": shape}, str(shape)))
    return out


#: the rows of this module, in the order of the docs table
ROWS: tuple[Row, ...] = (
    Row("sorted-axis-chunked", "a Dask prediction or target in several chunks along an "
        "axis the function sorts along (the pixels of the Lovász losses, sparsemax's class "
        "axis; never rechunked silently)",
        "functions that sort along an axis (declared `sorts`), on Dask", ValueError,
        "`{arg}` is a Dask array in {n} chunks along axis {axis}, which {why}: that axis "
        "must be one chunk; rechunk it first, e.g. `{arg}.rechunk({{{axis}: -1}})`",
        _chunked_sorted_axis, backends=("dask",)),
    # shapes
    Row("column-vs-vector", "an `(N, 1)` prediction against an `(N,)` target or the reverse "
        "(never broadcast to `(N, N)`)", "element-wise targets", ValueError,
        "`{pred}` and `{target}` must have the same shape; got {pshape} and {tshape} "
        + BROADCAST, _column_vs_vector),
    Row("target-of-another-shape", "a target (binary, real or class probabilities) of "
        "another shape than the prediction", "targets of the prediction's shape", ValueError,
        "`{pred}` and `{target}` must have the same shape; got {pshape} and {tshape} "
        + BROADCAST, _target_of_another_shape),
    Row("index-target-trailing-one", "class indices with a trailing 1, `(N, 1)` for `(N, C)` "
        "logits", "class-index targets", ValueError,
        "class-index `target` must have the shape of `{pred}` {pshape} without the class "
        "axis {axis}, i.e. {expected}; got {tshape}{hint}", _index_with_trailing_one),
    Row("index-target-fits-another-axis", "PyTorch-layout `(N, C, d)` logits without `axis` "
        "(the message suggests `axis=1`)", "class-index targets", ValueError,
        "class-index `target` must have the shape of `{pred}` {pshape} without the class "
        "axis {axis}, i.e. {expected}; got {tshape}{hint}", _index_fits_another_axis),
    Row("ambiguous-class-axis", "`(N, C, C)` logits and `(N, C)` class indices without "
        "`axis`: the target fits class axis 1 (PyTorch's layout) and the last axis, which "
        "give different losses (an explicit `axis=1` or `axis=-1` works; 2-d inputs are "
        "never ambiguous)", "class-index targets with a class axis that defaults to None",
        ValueError,
        "ambiguous class axis: class-index `target` {tshape} fits `{pred}` {pshape} with "
        "the class axis 1 (PyTorch's (N, C, ...) layout) and with the last axis (channels "
        "last), which give different losses; pass axis=1 or axis=-1", _ambiguous_class_axis),
    Row("zero-d-class-input", "a 0-d input where a class axis is needed",
        "functions with a class axis", ValueError,
        "`{axis}` needs an input with at least 1 dimension (the class axis); got a 0-d input",
        _zero_d_class_input),
    Row("zero-d-samples", "a 0-d input where samples are needed", "per-sample metrics",
        ValueError, "`{pred}` must have at least 1 dimension (samples); got a 0-d array",
        _zero_d_samples),
    Row("counts-not-1d", "class counts that are not 1-d", "functions of class counts",
        ValueError, "`{pred}` must be 1-d, shape (C,); got shape {shape}", _counts_not_1d),
    Row("axis-out-of-range", "`axis` outside `[-ndim, ndim)`", "functions with `axis`",
        ValueError, "`{option}` must be in [-2, 2) for a 2-d input; got {bad}",
        _axis_out_of_range),
    Row("axis-not-an-int", "`axis` that is not an int or None (a float, a string, a bool)",
        "functions with `axis`", TypeError,
        "`{option}` must be an int; got {type}", _axis_not_an_int),
    # array options of the wrong length or shape
    Row("class-weight-length", "per-class `weight` without one value per class",
        "class-index losses with `weight`", ValueError,
        "`{option}` must have one value per class, shape ({classes},); got shape {shape}",
        _class_weight_length),
    Row("class-alpha-length", "per-class `alpha` without one value per class",
        "functions with a per-class `alpha`", ValueError,
        "`{option}` must be a float or have one value per class, shape ({classes},); "
        "got shape {shape}", _class_alpha_length),
    Row("element-weight-shape", "element `weight` that does not broadcast to the prediction",
        "element-wise losses with `weight`", ValueError,
        "`{option}` must be broadcastable to the shape of `{pred}` {pshape}; got shape {shape}",
        _broadcast_option(("element_weight",), ((N,), (2, C), (1, N, C)))),
    Row("pos-weight-shape", "`pos_weight` that does not broadcast against the prediction "
        "from the right", "functions with `pos_weight`", ValueError,
        "`{option}` must be broadcastable to the shape of `{pred}` {pshape}; got shape {shape}",
        _broadcast_option(("pos_weight",), ((2,), (N,), (2, 1), (2, N, C)))),
    Row("variance-shape", "a variance (`var`) of another shape than the prediction's, that "
        "shape without its last axis, or that shape with one axis of size 1 (PyTorch's "
        "gaussian_nll_loss shapes)", "functions with a variance", ValueError,
        "`{arg}` must have the shape of `{pred}` {pshape}, that shape without its last "
        "axis {short}, or that shape with one axis of size 1 (a shared variance); got "
        "shape {shape}", _variance_shape),
    Row("quantile-levels-not-1d", "an array of quantile levels that is not 1-d",
        "functions with quantile levels", ValueError,
        "`{option}` must be a float in (0, 1) or a 1-D array of levels; got shape {shape}",
        _quantile_levels_not_1d),
    Row("quantile-levels-length", "Q quantile levels and a prediction whose last axis is not "
        "of length Q", "functions with quantile levels", ValueError,
        "with {n} quantile levels, `{pred}` must have a last axis of length {n} (one "
        "prediction per level); got shape {pshape}", _quantile_levels_length),
    Row("quantile-levels-target-shape", "quantile levels and a target that is not the "
        "prediction's shape without its last axis", "functions with quantile levels",
        ValueError, "with quantile levels, `target` must have the shape of `{pred}` {pshape} "
        "without its last axis, {short}; got {tshape}", _quantile_levels_target_shape),
    Row("sign-input-shape", "sign labels given as a further input (margin_ranking_loss's "
        "`target`) of another shape than the prediction's (never broadcast)",
        "functions with sign labels after the target", ValueError,
        "`{pred}` and `{arg}` must have the same shape; got {pshape} and {shape} " + BROADCAST,
        _sign_input_shape),
    Row("sample-sign-shape", "a target of one sign per row (`cosine_embedding_loss`) of "
        "another shape than the embeddings' without their axis", "functions with one sign "
        "per row", ValueError,
        "`{arg}` must have one value per row, the shape of `{pred}` without axis 1: {rows}; "
        "got shape {shape}", _sample_sign_shape),
    Row("sample-weight-length", "`sample_weight` without one value per sample",
        "functions with `sample_weight`", ValueError,
        "`{option}` must have one weight per sample, shape ({samples},); got shape {shape}",
        _sample_weight_length),
    Row("mask-shape", "a mask (`where`) of another shape than the prediction's (never "
        "broadcast)", "functions with a mask", ValueError,
        "`{option}` must have the shape of `{pred}` {pshape}; got shape {shape}", _mask_shape),
    Row("counts-length", "`samples_per_class` without one count per class",
        "functions with a `samples_per_class` option", ValueError,
        "`{option}` must have one count per class, length {classes}; got shape {shape}",
        _counts_length),
)
