"""The error catalogue: every kind of invalid input losses_xp rejects, with its exact error.

A silent failure is the worst thing a loss can do: a ``(N, 1)`` prediction against an
``(N,)`` target broadcast to ``(N, N)``, a class index wrapped to the last class, a
probability of 1.5 clipped into a perfect score all train a model on a plausible
number.  So every such input is refused, with a message that names the argument, what
was expected and what was received, and that reads the same on every backend.  This
module is the single list of them: one :class:`Row` per kind of invalid input, with

* the functions it applies to, **derived** from the declarations
  (``losses_xp._declare.declarations()``: each public function's
  :class:`~losses_xp._declare.Declaration` says what its prediction, target and options
  are), never listed by hand, so a newly declared function is covered by every row that
  fits its arguments;
* a builder of the bad call from valid NumPy inputs (:func:`valid_call`), which the test
  converts to the backend and dtype under test;
* the exception type and the exact, full message as a template (``{pred}``, ``{shape}``
  ...: the received values, filled in by the builder; ``{lib}``, ``{device}`` ...: the
  backend under test, filled in by the test).

``conformance/test_errors.py`` runs every row on every backend, device and dtype;
``docs/errors.md`` shows :func:`render`'s table, generated when the site is built.

Value-dependent rows (a class index out of range, a probability outside [0, 1], NaN)
raise only where the values can be read eagerly on the host; under ``jax.jit``,
``torch.compile`` and on Dask the result is NaN instead (never a plausible number).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import numpy as np

from losses_xp._declare import Declaration, declarations

from .registry import SPECS

__all__ = [
    "COMPLEX_DTYPE",
    "DEVICE",
    "DTYPE",
    "FOREIGN",
    "LIB",
    "OTHER_DEVICE",
    "ROWS",
    "Bad",
    "Call",
    "Complex",
    "Foreign",
    "Kept",
    "Loss",
    "OtherDevice",
    "Placeholder",
    "Row",
    "applicable",
    "complex_dtype",
    "losses",
    "render",
    "spec_fields",
    "valid_call",
]

#: the batch size and number of classes of every bad call (a prediction of shape (N, C))
N, C = 4, 3

# --------------------------------------------------------------------------- the functions


@dataclass(frozen=True)
class Loss:
    """A public function under one of its public names, as its declaration describes it
    (an alias is a second :class:`Loss` of the same declaration)."""

    name: str
    decl: Declaration

    @property
    def fn(self) -> Callable[..., Any]:
        return self.decl.fn

    @property
    def pred(self) -> str:
        """The name of the first parameter."""
        return next(iter(inspect.signature(self.decl.fn).parameters))

    @property
    def reductions(self) -> tuple[str, ...] | None:
        """The reductions the function has; ``None``: no ``reduction`` parameter."""
        return self.decl.reductions if self.decl.takes_reduction else None

    def options(self, *kinds: str) -> list[str]:
        """The keyword options of one of these kinds (a key of ``OPTION_KINDS``)."""
        return [k for k, v in self.decl.options.items() if not isinstance(v, tuple) and v in kinds]

    def choices(self) -> dict[str, tuple[Any, ...]]:
        """The options whose kind is a tuple of the valid values."""
        return {k: v for k, v in self.decl.options.items() if isinstance(v, tuple)}

    def default(self, option: str) -> Any:
        return inspect.signature(self.fn).parameters[option].default

    # -- what the arguments are (from the declaration) -----------------------------
    @property
    def same_shape_target(self) -> bool:
        """The target may have the prediction's shape (binary / real / probabilities)."""
        return self.decl.target in ("real", "binary", "index_or_probs", "binary_or_index")

    @property
    def index_target(self) -> bool:
        """The target may hold class indices (the prediction's shape without the axis)."""
        return self.decl.target in ("index", "index_or_probs", "binary_or_index")

    @property
    def elementwise_target(self) -> bool:
        """The same-shape target is the only target of the default call (no class-index
        form that a target of another shape could be taken for)."""
        return self.decl.target in ("real", "binary", "binary_or_index")

    @property
    def label_predictions(self) -> bool:
        """Predictions compared as they are (scores thresholded against binary labels:
        hard labels of any dtype are scores too): no dtype or range check."""
        return self.decl.prediction == "scores" and self.decl.target == "binary"

    @property
    def target_in_unit_interval(self) -> bool:
        """The same-shape target must lie in [0, 1]."""
        return (self.decl.target in ("binary", "index_or_probs", "binary_or_index")
                and not self.label_predictions)

    @property
    def prediction_in_unit_interval(self) -> bool:
        return self.decl.prediction in ("probs", "class_probs", "probs_or_logits")

    @property
    def has_target(self) -> bool:
        return self.decl.target is not None

    @property
    def ignore_index(self) -> int | None:
        names = self.options("ignore_index")
        return int(self.default(names[0])) if names else None


@cache
def losses() -> tuple[Loss, ...]:
    """Every public function under every public name (aliases included), by name."""
    out = [Loss(name, decl) for decl in declarations().values()
           for name in (decl.name, *decl.aliases)]
    return tuple(sorted(out, key=lambda loss: loss.name))


def spec_fields(loss: Loss, row_id: str) -> Mapping[str, str]:
    """The fields of row ``row_id``'s message that only the function itself knows (its
    own wording), from its conformance spec (``Spec.error_fields``)."""
    own = SPECS[loss.name].error_fields.get(row_id)
    if own is None:
        raise LookupError(f"row {row_id!r} applies to {loss.name}, whose conformance spec "
                          f"has no error_fields[{row_id!r}] (the message's own wording)")
    return own


# --------------------------------------------------------------------------- calls


@dataclass(frozen=True)
class Foreign:
    """An array of another library than the backend's (NumPy; array-api-strict on NumPy)."""

    value: np.ndarray


@dataclass(frozen=True)
class OtherDevice:
    """An array of the backend's library on another device than the backend's."""

    value: np.ndarray


@dataclass(frozen=True)
class Kept:
    """An array converted with its own dtype (not the floating dtype under test)."""

    value: np.ndarray


@dataclass(frozen=True)
class Complex:
    """A floating array converted to the complex dtype of the precision under test."""

    value: np.ndarray


@dataclass(frozen=True)
class Call:
    """``fn(*args, **kwargs)`` with NumPy arrays (floating ones in the dtype under test,
    integer and bool ones as they are), markers (:class:`Foreign`, :class:`OtherDevice`,
    :class:`Kept`) and Python values (passed as they are)."""

    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def with_arg(self, i: int, value: Any) -> Call:
        args = list(self.args)
        args[i] = value
        return replace(self, args=tuple(args))

    def with_kwargs(self, **kwargs: Any) -> Call:
        return replace(self, kwargs={**self.kwargs, **kwargs})


_MARKERS = (Foreign, OtherDevice, Kept, Complex)


@dataclass(frozen=True)
class Placeholder:
    """A message field that only the backend under test knows (filled in by the test)."""

    name: str


LIB = Placeholder("lib")  # the backend's library as messages name it: numpy, torch, jax ...
FOREIGN = Placeholder("foreign")  # the library of Foreign arrays
DEVICE = Placeholder("device")  # the backend's device, e.g. cpu, CPU_DEVICE
OTHER_DEVICE = Placeholder("other_device")  # the device of OtherDevice arrays: meta, device1
DTYPE = Placeholder("dtype")  # the floating dtype under test
COMPLEX_DTYPE = Placeholder("complex_dtype")  # its complex counterpart (float32: complex64)


@dataclass(frozen=True)
class Bad:
    """One bad call and the fields of its row's message template (``fields["option"]``:
    the keyword option it makes invalid, where it is one)."""

    call: Call
    fields: Mapping[str, Any]
    label: str  # the variant, for failure messages

    def message(self, template: str, backend_fields: Mapping[str, str]) -> str:
        filled = {k: (backend_fields[v.name] if isinstance(v, Placeholder) else v)
                  for k, v in self.fields.items()}
        return template.format(**filled)


def _prediction(kind: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    if kind in ("probs", "class_probs", "probs_or_logits"):
        out = rng.uniform(0.05, 0.95, size=shape)
    elif kind == "log_probs":
        out = np.log(rng.uniform(0.05, 0.95, size=shape))
    elif kind == "counts":
        out = rng.integers(1, 20, size=shape).astype(np.float64)
    else:  # regression values, logits, scores
        out = rng.normal(0.0, 2.0, size=shape)
    return np.asarray(out)  # (a 0-d result is a NumPy scalar otherwise)


def valid_call(loss: Loss, mode: str, shape: tuple[int, ...] = (N, C)) -> Call:
    """A valid call of ``loss`` (default options) with a prediction of ``shape``.

    ``mode``: ``"same"`` (a target of the prediction's shape), ``"index"`` (class indices
    along the last axis; ``axis=-1`` given where the class axis is optional) or
    ``"counts"`` (a function without a target: its prediction is all, e.g. class counts).
    """
    rng = np.random.default_rng(len(shape) * 100 + sum(shape))  # fixed, valid values
    k = loss.decl
    pred = _prediction(k.prediction, shape, rng)
    kwargs: dict[str, Any] = {}
    for name in loss.options("counts"):  # required (no default): one count per class
        if loss.default(name) is inspect.Parameter.empty:
            classes = shape[-1] if shape else 1
            kwargs[name] = [int(c) for c in rng.integers(1, 50, size=classes)]
    if mode == "counts" or k.target is None:
        return Call((pred,), kwargs)
    target: np.ndarray
    if mode == "index":
        if k.class_axis == "optional":
            kwargs["axis"] = -1
        classes = shape[-1] if shape else 1
        target = np.asarray(rng.integers(0, classes, size=shape[:-1]), dtype=np.int64)
    elif k.target == "real":
        target = rng.normal(0.0, 2.0, size=shape)
    elif k.target == "index_or_probs":
        target = rng.uniform(0.05, 0.95, size=shape)
    else:  # binary: hard 0/1 as floats
        target = rng.integers(0, 2, size=shape).astype(np.float64)
    return Call((pred, np.asarray(target)), kwargs)


def _mode(loss: Loss) -> str:
    """The mode of the default call: a target of the prediction's shape where the target
    may be one (binary, real, probabilities), class indices otherwise."""
    if not loss.has_target:
        return "counts"
    return "same" if loss.same_shape_target else "index"


def _shape(a: Any) -> tuple[int, ...]:
    return tuple(np.shape(a.value if isinstance(a, _MARKERS) else a))


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Row:
    """One kind of invalid input.

    ``bads(loss)`` lists its bad calls for one function (none: the row does not apply);
    every one must raise ``exc`` with exactly ``message`` (the template filled with the
    bad call's fields).  ``value_dependent``: the check needs the array values, so it
    raises only where they can be read eagerly; elsewhere the result must be NaN.
    ``dtypes``: the floating dtypes the row applies to (``None``: every one);
    ``devices``: the row needs a second device of the backend.
    """

    id: str
    what: str  # the invalid input, in words (the docs table)
    scope: str  # which functions, in words (the docs table)
    exc: type[Exception]
    message: str
    bads: Callable[[Loss], list[Bad]]
    value_dependent: bool = False
    dtypes: tuple[str, ...] | None = None
    devices: bool = False

    def applies(self, loss: Loss) -> bool:
        return bool(self.bads(loss))


def _each(loss: Loss) -> Call:
    """The valid call of ``loss`` in its default mode (see :func:`_mode`)."""
    return valid_call(loss, _mode(loss))


# -- reduction ------------------------------------------------------------------

REDUCTIONS = ("none", "mean", "sum")


def _bad_reduction(loss: Loss) -> list[Bad]:
    if loss.reductions is None:
        return []
    call = _each(loss)
    valid = ", ".join(repr(r) for r in REDUCTIONS)
    return [Bad(call.with_kwargs(reduction=bad),
                {"option": "reduction", "valid": valid, "bad": repr(bad)}, repr(bad))
            for bad in ("avg", "MEAN", "", None, 1)]


def _restricted_reduction(loss: Loss) -> list[Bad]:
    """The reductions a function with a ``reduction`` parameter does not have; why it
    does not and what to use instead are the function's own words (its spec's
    ``error_fields``)."""
    if loss.reductions is None or set(REDUCTIONS) <= set(loss.reductions):
        return []
    call = _each(loss)
    only = " or ".join(repr(r) for r in loss.reductions)
    own = spec_fields(loss, "reduction-restricted")
    return [Bad(call.with_kwargs(reduction=r),
                {"option": "reduction", "only": only, "name": loss.name, "bad": repr(r),
                 **own}, r)
            for r in REDUCTIONS if r not in loss.reductions]


# -- array types ----------------------------------------------------------------

ARRAY_TYPES = "(NumPy, PyTorch, JAX, CuPy, Dask or another array-API library)"


def _python_list(which: int) -> Callable[[Loss], list[Bad]]:
    def bads(loss: Loss) -> list[Bad]:
        if not loss.has_target:
            return []  # (without a target: the input may be a sequence by design, counts)
        call = _each(loss)
        name = (loss.pred, "target")[which]
        return [Bad(call.with_arg(which, call.args[which].tolist()), {"arg": name}, name)]
    return bads


def _mixed_libraries(loss: Loss) -> list[Bad]:
    if not loss.has_target:
        return []
    call = _each(loss)
    return [
        Bad(call.with_arg(0, Foreign(call.args[0])),
            {"pred": loss.pred, "pred_lib": FOREIGN, "target_lib": LIB}, "foreign prediction"),
        Bad(call.with_arg(1, Foreign(call.args[1])),
            {"pred": loss.pred, "pred_lib": LIB, "target_lib": FOREIGN}, "foreign target"),
    ]


ARRAY_OPTIONS = ("element_weight", "pos_weight", "class_weight", "sample_weight",
                 "class_alpha", "counts", "like")


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
    else:  # class_weight, class_alpha
        value = np.full(pred.shape[-1:], 0.5)
    return call, value


def _array_option_bads(loss: Loss, wrap: Callable[[np.ndarray], Any],
                       fields: Mapping[str, Any]) -> list[Bad]:
    """The valid call with each array option's valid value wrapped (in another library,
    on another device); ``{first}`` is the prediction, ``{option}`` the option."""
    out = []
    for option in loss.options(*ARRAY_OPTIONS):
        mode = "index" if loss.decl.options[option] in ("class_weight", "class_alpha",
                                                         "counts") else _mode(loss)
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
    call = _each(loss)
    return [Bad(call.with_arg(1, OtherDevice(call.args[1])),
                {"first": loss.pred, "second": "target", "device": DEVICE,
                 "other_device": OTHER_DEVICE}, "target")]


def _option_on_another_device(loss: Loss) -> list[Bad]:
    return _array_option_bads(loss, OtherDevice, {"device": DEVICE,
                                                  "other_device": OTHER_DEVICE})


def _option_of_another_type(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("element_weight", "pos_weight", "class_weight",
                               "sample_weight", "class_alpha"):
        mode = "index" if loss.decl.options[option] in ("class_weight",
                                                         "class_alpha") else _mode(loss)
        call = valid_call(loss, mode)
        for bad in ("abc", {"a": 1}, object()):
            out.append(Bad(call.with_kwargs(**{option: bad}),
                           {"option": option, "type": type(bad).__name__},
                           f"{option}={type(bad).__name__}"))
    return out


def _counts_of_another_type(loss: Loss) -> list[Bad]:
    out = []
    if loss.decl.prediction == "counts":
        call = _each(loss)
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
        call = _each(loss)
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "type": f"builtins.{type(bad).__name__}"}, repr(bad))
                for bad in ([0.0], 1.0)]
    return out


# -- dtypes -----------------------------------------------------------------------

FLOATING = "(float16, bfloat16, float32 or float64)"


def _non_floating_prediction(loss: Loss) -> list[Bad]:
    if loss.label_predictions or loss.decl.prediction == "counts":
        return []
    call = _each(loss)
    pred = call.args[0]
    out = []
    for dtype in ("int64", "int32", "bool"):
        bad = (pred > np.median(pred)) if dtype == "bool" else np.round(pred).astype(dtype)
        out.append(Bad(call.with_arg(0, Kept(bad)), {"pred": loss.pred, "got": dtype}, dtype))
    return out


_COMPLEX = {"float32": "complex64", "float64": "complex128"}


def _complex_prediction(loss: Loss) -> list[Bad]:
    if loss.label_predictions or loss.decl.prediction == "counts":
        return []
    call = _each(loss)
    return [Bad(call.with_arg(0, Complex(call.args[0])),
                {"pred": loss.pred, "got": COMPLEX_DTYPE}, "complex")]


def _complex_target(loss: Loss) -> list[Bad]:
    if not loss.elementwise_target or loss.label_predictions:
        return []
    call = valid_call(loss, "same")
    return [Bad(call.with_arg(1, Complex(call.args[1])), {"got": COMPLEX_DTYPE}, "complex")]


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


# -- shapes -----------------------------------------------------------------------

BROADCAST = ("(no implicit broadcasting: reshape one of them explicitly if that is what "
             "you mean)")


def _column_vs_vector(loss: Loss) -> list[Bad]:
    if not loss.elementwise_target:
        return []
    call = valid_call(loss, "same")
    pred, target = call.args[0], call.args[1]
    column = (pred[:, :1], target[:, 0])
    row = (pred[:, 0], target[:, :1])
    return [Bad(replace(call, args=a), {"pred": loss.pred, "pshape": _shape(a[0]),
                                        "tshape": _shape(a[1])}, label)
            for a, label in ((column, "(N, 1) vs (N,)"), (row, "(N,) vs (N, 1)"))]


def _target_of_another_shape(loss: Loss) -> list[Bad]:
    if not loss.same_shape_target:
        return []
    call = valid_call(loss, "same")
    wider = valid_call(loss, "same", (N, C + 1)).args[1]
    return [Bad(call.with_arg(1, wider), {"pred": loss.pred, "pshape": (N, C),
                                          "tshape": (N, C + 1)}, "(N, C) vs (N, C + 1)")]


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
    fields = _index_message_fields(loss, (N, C), 1, _shape(target))
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


def _zero_d_class_input(loss: Loss) -> list[Bad]:
    if loss.decl.class_axis == "none" or not loss.has_target:
        return []
    mode = "index" if loss.decl.class_axis == "optional" else _mode(loss)
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
        bads: list[object] = [1.0, "1", True]
        if loss.decl.options[option] == "axis":
            bads.append(None)
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "type": type(bad).__name__}, repr(bad)) for bad in bads]
    return out


# -- array options of the wrong length or shape --------------------------------------------


def _class_weight_length(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("class_weight"):
        call = valid_call(loss, "index")
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
            call = valid_call(loss, _mode(loss))
            for shape in shapes:
                fields = {"option": option, "pred": loss.pred, "pshape": (N, C),
                          "shape": shape}
                out.append(Bad(call.with_kwargs(**{option: np.ones(shape)}), fields, str(shape)))
            out.append(Bad(call.with_kwargs(**{option: np.ones(shapes[0]).tolist()}),
                           {"option": option, "pred": loss.pred, "pshape": (N, C),
                            "shape": shapes[0]}, f"list {shapes[0]}"))
        return out
    return bads


def _sample_weight_length(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("sample_weight"):
        call = _each(loss)
        for value in ([1.0, 2.0, 3.0], np.ones((N, 1))):
            shape = np.shape(value)
            out.append(Bad(call.with_kwargs(**{option: value}),
                           {"option": option, "samples": N, "shape": shape}, str(shape)))
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


# -- scalar options -------------------------------------------------------------------

#: the domain of each kind of Python-number option: (minimum, strict, maximum)
NUMBER_KINDS: dict[str, tuple[float | None, bool, float | None]] = {
    "positive": (0.0, True, None),
    "steepness": (0.0, True, None),  # AnyLoss's L (fuzzed over its own range)
    "non_negative": (0.0, False, None),
    "gamma": (0.0, False, None),
    "unit": (0.0, False, 1.0),
    "smoothing": (0.0, False, 1.0),
    "alpha": (0.0, False, 1.0),
    "eps": (0.0, True, 1.0),
    "beta_cb": (0.0, False, None),  # and < 1: its own row
    "class_alpha": (0.0, False, None),  # a float (or one value per class)
    "threshold": (None, False, None),
}


def _number_options(loss: Loss, *, with_class_alpha: bool) -> list[tuple[str, str]]:
    kinds = [k for k in NUMBER_KINDS if with_class_alpha or k != "class_alpha"]
    return [(o, str(loss.decl.options[o])) for o in loss.options(*kinds)]


def _mode_for_option(loss: Loss, option: str) -> str:
    kind = loss.decl.options[option]
    if kind in ("class_weight", "class_alpha", "counts") or not loss.same_shape_target:
        return "index" if loss.index_target else _mode(loss)
    return _mode(loss)


def _number_option_type(loss: Loss) -> list[Bad]:
    out = []
    for option, kind in _number_options(loss, with_class_alpha=False):
        call = valid_call(loss, _mode_for_option(loss, option))
        bads: list[object] = [True, "1"]
        if kind != "alpha":  # (alpha=None disables the balancing)
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
        bads: list[float] = [-1.0, -1e-12] + ([0, 0.0] if strict else [])
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


def _ignore_index_type(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("ignore_index"):
        call = valid_call(loss, "index")
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "type": type(bad).__name__}, repr(bad))
                for bad in (1.0, True, "1", None)]
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


def _flag_type(loss: Loss) -> list[Bad]:
    out = []
    for option in loss.options("flag"):
        call = _each(loss)
        out += [Bad(call.with_kwargs(**{option: bad}),
                    {"option": option, "type": type(bad).__name__}, repr(bad))
                for bad in (1, "yes", None, np.bool_(True))]
    return out


#: choices that also accept something else, as their message says
CHOICE_PREFIX = {"metric": "a callable or "}


def _unknown_choice(loss: Loss) -> list[Bad]:
    out = []
    for option, valid in loss.choices().items():
        call = _each(loss)
        for bad in ("bogus", None):
            out.append(Bad(call.with_kwargs(**{option: bad}),
                           {"option": option, "also": CHOICE_PREFIX.get(option, ""),
                            "valid": ", ".join(repr(v) for v in valid), "bad": repr(bad)},
                           repr(bad)))
    return out


# -- values (value-dependent) -------------------------------------------------------------


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
    call = _each(loss)
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
    out = [Bad(call.with_arg(1, _write(call.args[1], values)), {"arg": "target", "got": got},
               label) for label, values, got in UNIT_INTERVAL_BADS]
    if loss.elementwise_target:  # integer 0/1 targets are accepted too: 2 is not one
        target = np.zeros(pred.shape, dtype=np.int64)
        target.reshape(-1)[:2] = (2, 1)
        out.append(Bad(call.with_arg(1, target), {"arg": "target", "got": "values in [0, 2]"},
                       "integer 2"))
    return out


def _negative_counts(loss: Loss) -> list[Bad]:
    out = []
    bads = (((3.0, -2.0, 9.0), "values in [-2, 9]"),
            ((3.0, math.nan, 9.0), "values in [3, 9] and NaN"))
    if loss.decl.prediction == "counts":
        call = _each(loss)
        out += [Bad(call.with_arg(0, np.array(v)), {"got": got}, got) for v, got in bads]
    for option in loss.options("counts"):
        call = valid_call(loss, "index")
        out += [Bad(call.with_kwargs(**{option: list(v)}), {"option": option, "got": got},
                    f"list {got}") for v, got in bads]
        out += [Bad(call.with_kwargs(**{option: np.array(v)}), {"option": option, "got": got},
                    f"array {got}") for v, got in bads]
    return out


# --------------------------------------------------------------------------- the rows

ROWS: tuple[Row, ...] = (
    # reduction
    Row("reduction-unknown", "`reduction` not one of 'none', 'mean', 'sum'",
        "every function with a `reduction`", ValueError,
        "`reduction` must be one of {valid}; got {bad}", _bad_reduction),
    Row("reduction-restricted", "a reduction the function does not have (it declares fewer "
        "`reductions` than 'none', 'mean', 'sum')",
        "functions with fewer reductions", ValueError,
        "`reduction` must be {only} for {name} ({why}); got {bad}. {instead}",
        _restricted_reduction),
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
        "array, `target` is a {target_lib} array. Convert them to one library first.",
        _mixed_libraries),
    Row("option-from-another-library", "an array option (`weight`, `pos_weight`, `alpha`, "
        "`sample_weight`, `samples_per_class`, `like`) from another array library",
        "functions with array options", TypeError,
        "all array arguments must come from the same array library; `{first}` is a {lib} "
        "array, `{option}` is a {foreign} array. Convert them to one library first.",
        _option_from_another_library),
    Row("mixed-devices", "prediction and target on different devices (array-api-strict "
        "`CPU_DEVICE` / `device1`, PyTorch `cpu` / `meta`)", "functions with a target",
        ValueError, "all arrays must be on the same device; `{first}` is on {device}, "
        "`{second}` is on {other_device}. Move them to one device first.", _mixed_devices,
        devices=True),
    Row("option-on-another-device", "an array option on another device than the inputs",
        "functions with array options", ValueError,
        "all arrays must be on the same device; `{first}` is on {device}, `{second}` is on "
        "{other_device}. Move them to one device first.", _option_on_another_device,
        devices=True),
    Row("option-of-another-type", "an array option that is neither an array nor a sequence "
        "of numbers (a string, a dict ...)", "functions with array options", TypeError,
        "`{option}` must be an array of the inputs' library or a sequence of numbers; "
        "got {type}", _option_of_another_type),
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
        + "; got {got}", _complex_prediction, dtypes=tuple(_COMPLEX)),
    Row("complex-target", "a complex target", "element-wise targets", TypeError,
        "`target` must have a real numeric or bool dtype; got {got}", _complex_target,
        dtypes=tuple(_COMPLEX)),
    Row("floating-class-indices", "floating (or bool) class indices", "class-index targets",
        TypeError, "`target` must have an integer dtype (class indices); got {got}{hint}",
        _float_class_indices),
    Row("swapped-arguments", "target first, prediction second (Keras / scikit-learn order)",
        "class-index targets", TypeError,
        "`{pred}` must have a real floating dtype " + FLOATING + "; got {got}",
        _swapped_arguments),
    # shapes
    Row("column-vs-vector", "an `(N, 1)` prediction against an `(N,)` target or the reverse "
        "(never broadcast to `(N, N)`)", "element-wise targets", ValueError,
        "`{pred}` and `target` must have the same shape; got {pshape} and {tshape} "
        + BROADCAST, _column_vs_vector),
    Row("target-of-another-shape", "a target (binary, real or class probabilities) of "
        "another shape than the prediction", "targets of the prediction's shape", ValueError,
        "`{pred}` and `target` must have the same shape; got {pshape} and {tshape} "
        + BROADCAST, _target_of_another_shape),
    Row("index-target-trailing-one", "class indices with a trailing 1, `(N, 1)` for `(N, C)` "
        "logits", "class-index targets", ValueError,
        "class-index `target` must have the shape of `{pred}` {pshape} without the class "
        "axis {axis}, i.e. {expected}; got {tshape}{hint}", _index_with_trailing_one),
    Row("index-target-fits-another-axis", "PyTorch-layout `(N, C, d)` logits with the default "
        "`axis=-1` (the message suggests `axis=1`)", "class-index targets", ValueError,
        "class-index `target` must have the shape of `{pred}` {pshape} without the class "
        "axis {axis}, i.e. {expected}; got {tshape}{hint}", _index_fits_another_axis),
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
    Row("axis-not-an-int", "`axis` that is not an int (a float, a string, a bool; `None` "
        "where there must be a class axis)", "functions with `axis`", TypeError,
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
    Row("sample-weight-length", "`sample_weight` without one value per sample",
        "functions with `sample_weight`", ValueError,
        "`{option}` must have one weight per sample, shape ({samples},); got shape {shape}",
        _sample_weight_length),
    Row("counts-length", "`samples_per_class` without one count per class",
        "functions with a `samples_per_class` option", ValueError,
        "`{option}` must have one count per class, length {classes}; got shape {shape}",
        _counts_length),
    # scalar options
    Row("number-option-type", "a number option (`delta`, `beta`, `gamma`, `alpha`, `clip`, "
        "`eps`, `label_smoothing`, `L`, `threshold` ...) that is not a Python int or float",
        "functions with number options", TypeError,
        "`{option}` must be a Python int or float; got {type}", _number_option_type),
    Row("number-option-nan", "a NaN number option", "functions with number options",
        ValueError, "`{option}` must not be NaN", _number_option_nan),
    Row("number-option-below-minimum", "a number option below its domain: `delta`, `L` and "
        "`eps` <= 0; `beta` (smooth L1, class-balanced), `gamma`, `gamma_pos`, `gamma_neg`, "
        "`alpha`, `clip`, `label_smoothing` < 0", "functions with number options", ValueError,
        "`{option}` must be {op} {bound}; got {bad}", _number_option_below),
    Row("number-option-above-maximum", "a number option above its domain: `alpha`, `clip`, "
        "`eps`, `label_smoothing` > 1", "functions with bounded number options", ValueError,
        "`{option}` must be <= {bound}; got {bad}", _number_option_above),
    Row("class-balanced-beta-at-one", "class-balanced `beta` >= 1", "class-balanced functions",
        ValueError, "`{option}` must be in [0, 1); got {bad}", _beta_cb_at_one),
    Row("ignore-index-type", "`ignore_index` that is not a Python int",
        "class-index losses with `ignore_index`", TypeError,
        "`{option}` must be a Python int; got {type}", _ignore_index_type),
    Row("top-k-type", "`k` that is not an integer (a float, a bool, a string)",
        "functions with `k`", TypeError,
        "`{option}` must be an int (Python or NumPy integer); got {type}", _k_type),
    Row("top-k-below-one", "`k` < 1", "functions with `k`", ValueError,
        "`{option}` must be >= 1; got {bad}", _k_below_one),
    Row("flag-type", "a flag (`from_logits`, `detach_focusing`) that is not a Python bool",
        "functions with flags", TypeError, "`{option}` must be a bool; got {type}", _flag_type),
    Row("choice-unknown", "an unknown choice (`loss_type`, `metric`, `average`)",
        "functions with choices", ValueError,
        "`{option}` must be {also}one of {valid}; got {bad}", _unknown_choice),
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
        value_dependent=True),
    Row("negative-class-count", "a negative or NaN count in `samples_per_class`",
        "class-balanced functions", ValueError,
        "`samples_per_class` must lie in [0, inf]; got {got}", _negative_counts,
        value_dependent=True),
)


@cache
def applicable(row_id: str) -> tuple[Loss, ...]:
    """The functions a row applies to."""
    row = next(r for r in ROWS if r.id == row_id)
    return tuple(loss for loss in losses() if row.applies(loss))


def complex_dtype(dtype: str) -> str:
    """The complex dtype of a floating dtype's precision (float32 -> complex64)."""
    return _COMPLEX[dtype]


# --------------------------------------------------------------------------- docs


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    """Inline code that may itself hold backticks (the messages quote names in them)."""
    return f"`` {_cell(text)} ``"


def render() -> str:
    """The Markdown table of ``docs/errors.md``: one line per row."""
    names = [loss.name for loss in losses()]
    head = ["id", "invalid input", "functions", "exception", "message",
            "where values cannot be read"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in ROWS:
        got = [loss.name for loss in applicable(row.id)]
        others = [n for n in names if n not in got]
        if not others:
            functions = "all"
        elif len(others) < len(got):
            functions = f"{row.scope}: all but " + ", ".join(f"`{n}`" for n in others)
        else:
            functions = f"{row.scope}: " + ", ".join(f"`{n}`" for n in got)
        unreadable = "NaN result" if row.value_dependent else "raises (static check)"
        lines.append("| " + " | ".join([
            f"`{row.id}`", _cell(row.what), functions, f"`{row.exc.__name__}`",
            _code(row.message), unreadable]) + " |")
    lines.append("")
    lines.append(f"{len(ROWS)} kinds of invalid input. Generated from "
                 "`conformance/error_catalogue.py` (the functions of each row are derived "
                 "from the catalogue of inputs); `conformance/test_errors.py` checks every "
                 "message exactly on every backend, device and dtype.")
    return "\n".join(lines)
