"""What a row of the error catalogue is, and the valid calls its bad calls start from.

* :class:`Loss`: a public function under one of its public names, described by its
  declaration (:class:`losses_xp._declare.Declaration`); :func:`losses` lists every one
  (aliases included), derived from ``losses_xp._declare.declarations()``.
* :class:`Row`: one kind of invalid input, its exception and its message template;
  :class:`Bad`: one bad call of a row and the fields that fill its message.
* :class:`Call` and its markers (:class:`Foreign`, :class:`OtherDevice`, :class:`Kept`,
  :class:`Complex`): a call with NumPy arrays, converted by ``test_errors.py`` to the
  backend, device and dtype under test.
* :class:`Placeholder` (:data:`LIB`, :data:`DEVICE` ...): message fields only the
  backend under test knows.
* :func:`valid_call`, :func:`default_call`: a valid call of a function, which each row
  makes invalid in one way.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import numpy as np

from losses_xp._declare import SWITCHED, Declaration, declaration, declarations

from ..registry import SPECS

__all__ = [
    "COMPLEX",
    "COMPLEX_DTYPE",
    "DEVICE",
    "DOMAIN_PREDICTIONS",
    "DOMAIN_TARGETS",
    "DTYPE",
    "FOREIGN",
    "LIB",
    "MARKERS",
    "OTHER_DEVICE",
    "Bad",
    "C",
    "Call",
    "Chunked",
    "Complex",
    "Foreign",
    "Kept",
    "Loss",
    "N",
    "OtherDevice",
    "Placeholder",
    "Row",
    "complex_dtype",
    "default_call",
    "default_mode",
    "losses",
    "shape_of",
    "spec_fields",
    "valid_call",
]

#: the target kinds of real values bounded below (and their interval, as messages print it)
DOMAIN_TARGETS = {"positive": "(0, inf]", "non_negative": "[0, inf]",
                  "above_minus_one": "(-1, inf]", "relevance": "[0, inf]"}
#: likewise the prediction kinds
DOMAIN_PREDICTIONS = {"positive": "(0, inf]", "above_minus_one": "(-1, inf]"}

#: the batch size and number of classes of every bad call (a prediction of shape (N, C))
N, C = 4, 3

#: the complex dtype of each floating precision (the complex rows exist for these)
COMPLEX = {"float32": "complex64", "float64": "complex128"}


def complex_dtype(dtype: str) -> str:
    """The complex dtype of a floating dtype's precision (float32 -> complex64)."""
    return COMPLEX[dtype]


# --------------------------------------------------------------------------- the functions


#: target kinds of class-probability rows (by default: their other form, log-probabilities
#: or logits, takes an option) of the prediction's shape
_DISTRIBUTION_TARGETS = ("class_probs_or_log_probs", "class_probs_or_logits")


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
    def target(self) -> str:
        """The name of the second parameter (``target``; ``teacher_logits`` ...)."""
        return list(inspect.signature(self.decl.fn).parameters)[1]

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
        """The target may have the prediction's shape (binary / real / probabilities /
        distributions / logits / sign labels)."""
        return self.decl.target in ("real", "nonzero", "binary", "index_or_probs",
                                    "binary_or_index", *DOMAIN_TARGETS, *_DISTRIBUTION_TARGETS,
                                    "logits", "sign", "embeddings")

    @property
    def index_target(self) -> bool:
        """The target may hold class indices (the prediction's shape without the axis)."""
        return self.decl.target in ("index", "index_or_probs", "binary_or_index")

    @property
    def elementwise_target(self) -> bool:
        """The same-shape target is the only target of the default call (no class-index
        form that a target of another shape could be taken for) and it may be any real
        numeric or bool array."""
        return self.decl.target in ("real", "nonzero", "binary", "binary_or_index",
                                    *DOMAIN_TARGETS, *_DISTRIBUTION_TARGETS, "sign")

    @property
    def label_predictions(self) -> bool:
        """Predictions compared as they are (scores thresholded against binary labels:
        hard labels of any dtype are scores too): no dtype or range check."""
        return self.decl.prediction == "scores" and self.decl.target == "binary"

    @property
    def target_in_unit_interval(self) -> bool:
        """The same-shape target must lie in [0, 1]."""
        return (self.decl.target in ("binary", "index_or_probs", "binary_or_index",
                                     *_DISTRIBUTION_TARGETS)
                and not self.label_predictions)

    @property
    def prediction_in_unit_interval(self) -> bool:
        return self.decl.prediction in ("probs", "class_probs", "probs_or_logits",
                                        "class_probs_or_logits")

    @property
    def has_target(self) -> bool:
        return self.decl.target is not None

    @property
    def inputs(self) -> dict[int, tuple[str, str]]:
        """The further positional arrays after the target: position -> (name, kind)."""
        return {2 + i: (n, k) for i, (n, k) in enumerate(self.decl.inputs.items())}

    @property
    def ignore_index(self) -> int | None:
        names = self.options("ignore_index")
        default = self.default(names[0]) if names else None
        return None if default is None else int(default)


@cache
def losses() -> tuple[Loss, ...]:
    """Every public function under every public name (aliases included), by name."""
    out = [Loss(name, decl) for decl in declarations().values()
           for name in (decl.name, *decl.aliases)]
    return tuple(sorted(out, key=lambda loss: loss.name))


def spec_fields(loss: Loss, row_id: str) -> Mapping[str, str]:
    """The fields of row ``row_id``'s message that only the function itself knows (its
    own wording), from its conformance spec (``Spec.error_fields``)."""
    own = SPECS[declaration(loss.name).name].error_fields.get(row_id)
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
class Chunked:
    """An array of the backend's library in chunks of 1 along ``axis`` (Dask only: the
    rows of ``Row.backends`` ``("dask",)``)."""

    value: np.ndarray
    axis: int


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


MARKERS = (Foreign, OtherDevice, Kept, Complex, Chunked)


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
    if kind in ("probs", "class_probs", "probs_or_logits", "class_probs_or_logits", "labels"):
        out = rng.uniform(0.05, 0.95, size=shape)
    elif kind == "log_probs":
        out = np.log(rng.uniform(0.05, 0.95, size=shape))
    elif kind == "counts":
        out = rng.integers(1, 20, size=shape).astype(np.float64)
    elif kind in DOMAIN_PREDICTIONS:
        out = rng.uniform(0.5, 3.0, size=shape)
    else:  # regression values, logits, scores
        out = rng.normal(0.0, 2.0, size=shape)
    return np.asarray(out)  # (a 0-d result is a NumPy scalar otherwise)


def _further_input(kind: str, shape: tuple[int, ...], rng: np.random.Generator
                   ) -> np.ndarray:
    """A valid further input: a variance of the prediction's shape, sign labels of that
    shape, one sign per row (the last axis the embedding axis), embedding rows."""
    if kind == "sign":  # -1 and +1 as floats
        return np.asarray(rng.choice([-1.0, 1.0], size=shape))
    if kind == "sample_sign":
        return np.asarray(np.where(rng.uniform(size=shape[:-1]) < 0.5, -1.0, 1.0))
    if kind == "embeddings":
        return np.asarray(rng.normal(0.0, 2.0, size=shape))
    return np.asarray(rng.uniform(0.25, 2.0, size=shape))


#: a valid value of each number kind, for a required (positional) number option
REQUIRED_NUMBERS: dict[str, float] = {"smoothing": 0.1}


def valid_call(loss: Loss, mode: str, shape: tuple[int, ...] = (N, C)) -> Call:
    """A valid call of ``loss`` (default options) with a prediction of ``shape``.

    ``mode``: ``"same"`` (a target of the prediction's shape), ``"index"`` (class indices
    along the last axis; ``axis=-1`` given where the class axis is optional) or
    ``"counts"`` (a function without a target: the prediction, e.g. class counts, is its
    only argument).
    """
    rng = np.random.default_rng(len(shape) * 100 + sum(shape))  # fixed, valid values
    decl = loss.decl
    if decl.prediction == "log_prob_sequences":  # CTC: (N, T, C), labels, two lengths
        return _sequence_call(shape, rng)
    pred = _prediction(decl.prediction, shape, rng)
    kwargs: dict[str, Any] = {}
    for name in loss.options("counts"):  # required (no default): one count per class
        if loss.default(name) is inspect.Parameter.empty:
            classes = shape[-1] if shape else 1
            kwargs[name] = [int(c) for c in rng.integers(1, 50, size=classes)]
    for name, kind in decl.options.items():  # a required number option: a valid value
        if kind in REQUIRED_NUMBERS and loss.default(name) is inspect.Parameter.empty:
            kwargs[name] = REQUIRED_NUMBERS[kind]
    if decl.prediction in ("probs_or_logits", "class_probs_or_logits") and \
            loss.default(SWITCHED[decl.prediction][0]) is True:  # (logits by default: the
        kwargs[SWITCHED[decl.prediction][0]] = False  # probabilities are the checked kind)
    if mode == "counts" or decl.target is None:
        return Call((pred,), kwargs)
    # further inputs (a variance, sign labels, embeddings), after the target
    more = tuple(_further_input(kind, shape, rng) for kind in decl.inputs.values())
    target: np.ndarray
    if mode == "index":
        if decl.class_axis == "optional":
            kwargs["axis"] = -1
        classes = shape[-1] if shape else 1
        target = np.asarray(rng.integers(0, classes, size=shape[:-1]), dtype=np.int64)
    elif decl.target in ("real", "nonzero"):
        target = rng.normal(0.0, 2.0, size=shape)
    elif decl.target in ("index_or_probs", *_DISTRIBUTION_TARGETS):
        target = rng.uniform(0.05, 0.95, size=shape)
    elif decl.target in DOMAIN_TARGETS:
        target = rng.uniform(0.5, 3.0, size=shape)
    elif decl.target in ("logits", "embeddings"):
        target = rng.normal(0.0, 2.0, size=shape)
    elif decl.target == "sign":  # -1 and +1 as floats
        target = rng.choice([-1.0, 1.0], size=shape)
    else:  # binary: hard 0/1 as floats
        target = rng.integers(0, 2, size=shape).astype(np.float64)
    return Call((pred, np.asarray(target), *more), kwargs)


def _sequence_call(shape: tuple[int, ...], rng: np.random.Generator) -> Call:
    """A valid call of a ``log_prob_sequences`` loss (CTC): ``(N, T, C)`` log-softmax
    rows of ``T = 5`` frames over the ``C`` of ``shape``, ``(N, 2)`` labels without the
    blank 0, every input 5 frames long, target lengths 2, 1, 0, ..."""
    if len(shape) < 2:  # (a 0-d or 1-d prediction: the rest of a valid call)
        return _sequence_call((N, C), rng).with_arg(
            0, np.asarray(rng.normal(0.0, 2.0, size=shape) - 3.0))
    n, c = shape[0], shape[-1]
    x = rng.normal(0.0, 2.0, size=(n, 5, c))
    lp = x - np.log(np.sum(np.exp(x), axis=-1, keepdims=True))
    targets = rng.integers(1, c, size=(n, 2)).astype(np.int64)
    il = np.full((n,), 5, dtype=np.int64)
    tl = np.asarray([(2, 1, 0)[i % 3] for i in range(n)], dtype=np.int64)
    return Call((np.asarray(lp), targets, il, tl), {})


def default_mode(loss: Loss) -> str:
    """The mode of the default call: a target of the prediction's shape where the target
    may be one (binary, real, probabilities), class indices otherwise."""
    if not loss.has_target:
        return "counts"
    return "same" if loss.same_shape_target else "index"


def default_call(loss: Loss) -> Call:
    """The valid call of ``loss`` in its default mode (see :func:`default_mode`)."""
    return valid_call(loss, default_mode(loss))


def shape_of(a: Any) -> tuple[int, ...]:
    """The shape of a call's argument (a NumPy array, marked or not, or a list)."""
    return tuple(np.shape(a.value if isinstance(a, MARKERS) else a))


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Row:
    """One kind of invalid input.

    ``bads(loss)`` lists its bad calls for one function (none: the row does not apply);
    every one must raise ``exc`` with exactly ``message`` (the template filled with the
    bad call's fields).  ``value_dependent``: the check needs the array values, so it
    raises only where they can be read eagerly; elsewhere the result must be NaN.
    ``level``: the value-check level at which a value-dependent row's check runs
    (``losses_xp.value_checks``): ``"essential"`` (the default level: a check the
    frameworks perform too) or ``"all"`` (opt-in).
    ``dtypes``: the floating dtypes the row applies to (``None``: every one);
    ``devices``: the row needs a second device of the backend;
    ``backends``: the only backends the row applies to (``None``: every one), e.g. Dask's
    chunks.
    """

    id: str
    what: str  # the invalid input, in words (the docs table)
    scope: str  # which functions, in words (the docs table)
    exc: type[Exception]
    message: str
    bads: Callable[[Loss], list[Bad]]
    value_dependent: bool = False
    level: str = "essential"
    dtypes: tuple[str, ...] | None = None
    devices: bool = False
    backends: tuple[str, ...] | None = None

    def applies(self, loss: Loss) -> bool:
        return bool(self.bads(loss))
