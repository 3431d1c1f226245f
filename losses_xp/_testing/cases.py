"""Representative inputs for every public loss, as NumPy float64/int64 arrays.

This module is the single catalogue of inputs shared by the conformance suite
(``conformance/``) and ``python -m losses_xp check``.  It needs NumPy only (plus
``losses_xp`` itself, which needs array-api-compat): no backend and no oracle is
imported here.

* The *generators* (:func:`logits`, :func:`probabilities`, :func:`class_indices` ...)
  turn a seeded :class:`numpy.random.Generator` into arrays of one argument kind.
* :data:`CATALOG` maps every public loss name of ``losses_xp.__all__`` (aliases such
  as ``mae_loss`` included, ``__version__`` excluded) to a :class:`LossCases`: the
  function, which positional arguments are differentiable, the supported reductions,
  and two lists of :class:`Case` built from a generator:
  ``LossCases.cases(rng)`` (value cases: 0-d where meaningful, an empty batch, 1-D,
  2-D, N-d with ``axis=1``, and the option combinations) and
  ``LossCases.extreme_cases(rng)`` (logits of ±1e4 — ±1e2 in half precision —,
  probabilities of exactly 0 and 1, regression errors of 700 to 1e4).
* Every entry also carries an :class:`ArgKinds`: what kind each argument and option is
  (logits, class indices, a per-class weight ...), how fast the loss grows with its
  inputs and what its mean divides by, from which ``conformance/test_properties.py``
  draws random inputs of any shape, dtype and option (hypothesis).

Every floating array of a case (arguments and array-valued options alike) is meant to
be converted to the dtype under test; integer and bool arrays keep their dtype.  A
case whose values only make sense in some dtypes says so in :attr:`Case.dtypes`
(e.g. logits of 1e4 are for float32/float64, those of 1e2 for float16/bfloat16).  The
value cases are chosen where the independent oracles of the conformance suite agree
with our documented semantics: probabilities in [0.02, 0.98] (so neither PyTorch's
log clamp at -100 nor Keras's fixed 1e-7 clip nor our ``finfo(dtype).eps`` clip is
active, even in bfloat16), no error exactly at a Huber/Smooth-L1 kink.

Example
-------
>>> import numpy as np
>>> from losses_xp._testing.cases import CATALOG
>>> entry = CATALOG["cross_entropy"]
>>> [c.name for c in entry.cases(np.random.default_rng(0))][:3]
['1d-logits-0d-target', 'empty', '2d']
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# The package this module belongs to, looked up rather than imported by name, so that a
# vendored copy under another name uses its own losses (relative imports only).
_PACKAGE = sys.modules[__name__.rsplit(".", 2)[0]]

__all__ = [
    "CATALOG",
    "FLOAT_DTYPES",
    "FULL",
    "GROWTHS",
    "HALF",
    "OPTION_KINDS",
    "PREDICTION_KINDS",
    "REDUCTIONS",
    "TARGET_KINDS",
    "UNITS",
    "ArgKinds",
    "Case",
    "LossCases",
    "binary_targets",
    "class_indices",
    "class_probabilities",
    "log_probabilities",
    "logits",
    "probabilities",
    "quantize",
    "regression_values",
    "soft_class_targets",
    "soft_targets",
]

REDUCTIONS = ("none", "mean", "sum")
HALF = ("float16", "bfloat16")
FULL = ("float32", "float64")
FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")

#: logit magnitude of the extreme cases: ±1e4 where the dtype can hold a loss of that
#: size comfortably (float32/float64), ±1e2 in half precision
EXTREME_LOGIT = {"float64": 1e4, "float32": 1e4, "bfloat16": 1e2, "float16": 1e2}


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One call of a loss: ``fn(*args, reduction=r, **kwargs)``.

    Attributes
    ----------
    name : str
        Unique within a loss, used in test ids (``2d-weight``, ``nd-axis1`` ...).
    args : tuple of numpy.ndarray
        Positional arguments (prediction first), float64 or int64/bool.
    kwargs : mapping
        Keyword options; array-valued ones (``weight``, ``pos_weight``) are NumPy
        float64 arrays (convert them like ``args``) or Python lists (pass as they are).
    dtypes : tuple of str or None
        The floating dtypes this case is meant for; ``None`` means every dtype.
    reductions : tuple of str or None
        Restricts the loss's reductions for this case; ``None`` means all of them.
    tags : frozenset of str
        Shape and option labels: ``0d``, ``1d``, ``2d``, ``nd``, ``empty``, ``weight``,
        ``class-weight`` (per-class weights with index targets: the mean divides by the
        summed weights), ``ignore``, ``smoothing``, ``probs-target``, ``pos-weight``,
        ``int-target``, ``bool-target``, ``nan-mean`` (the mean is NaN by definition:
        empty batch, every target ignored), ``kink`` (some error sits exactly where the
        loss is not differentiable: backends pick different subgradients).
    grad : bool
        Whether the gradient is well defined everywhere and comparable with an
        oracle's (False for ``nan-mean`` and ``kink`` cases).
    """

    name: str
    args: tuple[np.ndarray, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    dtypes: tuple[str, ...] | None = None
    reductions: tuple[str, ...] | None = None
    tags: frozenset[str] = frozenset()
    grad: bool = True

    def applies_to(self, dtype: str) -> bool:
        """Whether this case is meant to run in ``dtype``."""
        return self.dtypes is None or dtype in self.dtypes

    def quantized(self, dtype: str) -> Case:
        """This case with every floating array rounded to ``dtype`` (still float64).

        The exact inputs a backend sees in ``dtype``, for a float64 reference run.
        """
        def q(v: Any) -> Any:
            return quantize(v, dtype) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v

        return Case(self.name, tuple(q(a) for a in self.args),
                    {k: q(v) for k, v in self.kwargs.items()}, self.dtypes,
                    self.reductions, self.tags, self.grad)


@dataclass(frozen=True)
class LossCases:
    """The catalogue entry of one public loss.

    Attributes
    ----------
    name : str
        The public name (``losses_xp.<name>``).
    fn : callable
        The loss itself.
    differentiable : tuple of int
        Positional arguments the gradient is taken with respect to (the prediction,
        logits, probabilities or log-probabilities).
    reductions : tuple of str
        Reductions the loss accepts (``rmse_loss``: only ``"mean"``).
    plain_mean : bool
        ``reduction="mean"`` equals the mean of ``reduction="none"`` (element-wise and
        per-sample losses), except for cases tagged ``ignore`` or ``class-weight``
        whose mean divides by the summed weights of the kept targets.
    make_cases, make_extreme : callable
        ``rng -> list[Case]``; use :meth:`cases` and :meth:`extreme_cases`.
    """

    name: str
    fn: Callable[..., Any]
    differentiable: tuple[int, ...]
    reductions: tuple[str, ...]
    plain_mean: bool
    make_cases: Callable[[np.random.Generator], list[Case]] = field(repr=False)
    make_extreme: Callable[[np.random.Generator], list[Case]] = field(repr=False)
    takes_reduction: bool = True
    tuple_output: bool = False
    shape_tags: frozenset[str] = frozenset({"0d", "empty", "2d", "nd"})
    kinds: ArgKinds | None = None

    # takes_reduction: False for functions without a ``reduction`` parameter (their
    #   entry lists the one reduction their output corresponds to, e.g. ``("none",)``);
    # tuple_output: the function returns a tuple of same-shaped arrays (e.g. the four
    #   counts of ``soft_confusion_matrix``), compared as one array stacked on axis 0.
    # shape_tags: the shape tags the value cases must cover (fewer for functions whose
    #   inputs cannot take some shapes, e.g. the 1-d counts of class_balanced_weights).
    # differentiable may be () (metrics, class weights): no gradient is checked.
    # kinds: what each argument and option is (:class:`ArgKinds`), from which the
    #   property-based tests (conformance/test_properties.py) draw random inputs; every
    #   entry must have one, so that a new loss is fuzzed as soon as it is catalogued.

    def call(self, *args: Any, reduction: str, **kwargs: Any) -> Any:
        """``fn(*args, reduction=reduction, **kwargs)`` as ONE array: what every
        conformance check and ``python -m losses_xp check`` calls (see the flags)."""
        if self.takes_reduction:
            out = self.fn(*args, reduction=reduction, **kwargs)
        else:
            out = self.fn(*args, **kwargs)
        if self.tuple_output:
            from .._compat import namespace

            xp = namespace({f"output {i}": o for i, o in enumerate(out)})
            out = xp.stack(tuple(out), axis=0)
        return out

    def cases(self, rng: np.random.Generator) -> list[Case]:
        """The representative value cases (deterministic for a given ``rng`` state)."""
        return _checked(self.make_cases(rng))

    def extreme_cases(self, rng: np.random.Generator) -> list[Case]:
        """Inputs at the edges of the dtypes' range; the loss must stay finite there."""
        return _checked(self.make_extreme(rng))

    def reductions_for(self, case: Case) -> tuple[str, ...]:
        if case.reductions is None:
            return self.reductions
        return tuple(r for r in self.reductions if r in case.reductions)

    def mean_is_mean_of_none(self, case: Case) -> bool:
        return self.plain_mean and not (case.tags & {"ignore", "class-weight"})


def _checked(cases: list[Case]) -> list[Case]:
    names = [c.name for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise AssertionError(f"duplicate case names: {sorted(dup)}")
    return cases


# ---------------------------------------------------------------------- argument kinds

#: the kinds of prediction (the first positional argument) that :class:`ArgKinds` knows
PREDICTION_KINDS: dict[str, str] = {
    "regression": "real values (with the target: the error grows with them)",
    "logits": "real scores, any finite value",
    "scores": "real scores that are only compared (thresholded or ranked)",
    "probs": "independent probabilities in [0, 1], exactly 0 and 1 included",
    "class_probs": "rows of class probabilities along the class axis (each sums to 1)",
    "log_probs": "log-probabilities along the class axis (finite, <= 0)",
    "counts": "non-negative counts, one per class (1-d)",
    "probs_or_logits": "probabilities, or logits with the option from_logits=True",
}

#: the kinds of target (the second positional argument)
TARGET_KINDS: dict[str, str] = {
    "real": "real values of the prediction's shape (floating, integer or bool)",
    "binary": "values in [0, 1] of the prediction's shape: hard 0/1 (floating, integer or "
              "bool) or soft (floating)",
    "index": "integer class indices of the prediction's shape without the class axis",
    "index_or_probs": "class indices, or class-probability rows of the prediction's shape",
    "binary_or_index": "binary with axis=None, class indices with an axis",
}

#: the kinds of keyword option; a tuple of values instead of a kind is a choice among them
OPTION_KINDS: dict[str, str] = {
    "axis": "the class axis (an int in [-ndim, ndim))",
    "axis_or_none": "None (binary / multi-label inputs) or the class axis",
    "element_weight": "weights >= 0 broadcastable to the prediction (array, list or number)",
    "pos_weight": "weights >= 0 broadcast against the prediction from the right",
    "class_weight": "one weight >= 0 per class, shape (C,) (array or list)",
    "sample_weight": "one weight >= 0 per sample (the first axis), shape (N,)",
    "class_alpha": "None, a float in [0, 1] or one factor per class (array or list)",
    "alpha": "None or a float in [0, 1]",
    "gamma": "a focusing exponent >= 0 (int 0, float 0.0, below and above 1)",
    "smoothing": "a label-smoothing float in [0, 1]",
    "positive": "a float > 0",
    "steepness": "a float L > 0 that scales an input before a sigmoid: a relative error "
                 "of the input grows up to L / 4 times in the result (its condition number)",
    "non_negative": "a float >= 0",
    "unit": "a float in [0, 1]",
    "eps": "a float in (0, 1]",
    "beta_cb": "a float in [0, 1) (class-balanced beta)",
    "ignore_index": "an int: the default -100, a class index or another negative value",
    "counts": "one non-negative count per class (array or list)",
    "flag": "a bool",
    "threshold": "a float in the range of the scores",
    "k": "an int >= 1",
    "like": "None or an array whose library and floating dtype the result takes",
}

#: what one value of ``reduction="none"`` covers, which also fixes the mean's denominator
UNITS: dict[str, str] = {
    "element": "one value per element of the prediction; mean = sum / number of elements",
    "sample": "one value per sample (the class axis reduced); mean = sum / number of samples",
    "kept": "one value per sample; with class indices mean = sum / (summed class weights "
            "of the targets that are not ignore_index), with class probabilities as "
            "'sample'",
    "class": "one value per class (multi-class 'macro'), else one scalar; mean = sum / C",
    "batch": "one value for the whole batch (no reduction argument)",
}

#: how fast the exact loss can grow with the inputs' magnitude (property tests keep the
#: exact value representable in the dtype: beyond it inf is the right answer)
GROWTHS = ("quadratic", "linear", "bounded")


@dataclass(frozen=True)
class ArgKinds:
    """What each argument of a loss is: enough for a property-based test to draw valid
    inputs of any shape, dtype and option, and to know the loss's reduction semantics.

    Attributes
    ----------
    prediction, target : str
        Keys of :data:`PREDICTION_KINDS` and :data:`TARGET_KINDS` (``target`` ``None``:
        no second argument).
    class_axis : {'none', 'axis', 'optional'}
        Element-wise (no class axis), a class axis given by the ``axis`` option, or a
        class axis only when ``axis`` is not ``None``.
    options : mapping
        Every keyword option but ``reduction``: its kind (a key of
        :data:`OPTION_KINDS`) or a tuple of the values to choose from.
    growth : str
        One of :data:`GROWTHS`.
    unit : str
        One of :data:`UNITS`.
    zero_at_target : bool
        The loss is exactly 0 where the prediction equals the target (regression).
    min_ndim, max_ndim : int
        The prediction's number of dimensions.
    """

    prediction: str
    target: str | None = None
    class_axis: str = "none"
    options: Mapping[str, Any] = field(default_factory=dict)
    growth: str = "linear"
    unit: str = "element"
    zero_at_target: bool = False
    min_ndim: int = 0
    max_ndim: int = 4

    def problems(self) -> list[str]:
        """What in this description is not in the vocabulary above (empty: fine)."""
        out = []
        if self.prediction not in PREDICTION_KINDS:
            out.append(f"unknown prediction kind {self.prediction!r}")
        if self.target is not None and self.target not in TARGET_KINDS:
            out.append(f"unknown target kind {self.target!r}")
        if self.class_axis not in ("none", "axis", "optional"):
            out.append(f"unknown class_axis {self.class_axis!r}")
        out += [f"option {k!r}: unknown kind {v!r}" for k, v in self.options.items()
                if not isinstance(v, tuple) and v not in OPTION_KINDS]
        if self.growth not in GROWTHS:
            out.append(f"unknown growth {self.growth!r}")
        if self.unit not in UNITS:
            out.append(f"unknown unit {self.unit!r}")
        return out


# ---------------------------------------------------------------------- generators


def logits(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 3.0) -> np.ndarray:
    """Unnormalised scores, normal with standard deviation ``scale``."""
    return rng.normal(0.0, scale, size=shape)


def probabilities(rng: np.random.Generator, shape: tuple[int, ...],
                  low: float = 0.02, high: float = 0.98) -> np.ndarray:
    """Independent probabilities, uniform in ``[low, high]`` (interior by default)."""
    return rng.uniform(low, high, size=shape)


def class_probabilities(rng: np.random.Generator, shape: tuple[int, ...], axis: int = -1,
                        scale: float = 1.0) -> np.ndarray:
    """Rows of class probabilities along ``axis`` (a softmax of normal scores).

    With ``scale=1`` and up to 8 classes every entry lies well inside (0.005, 0.99).
    """
    x = rng.normal(0.0, scale, size=shape)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return np.asarray(e / np.sum(e, axis=axis, keepdims=True))


def log_probabilities(rng: np.random.Generator, shape: tuple[int, ...], axis: int = -1,
                      scale: float = 2.0) -> np.ndarray:
    """Log-probabilities along ``axis`` (the log of :func:`class_probabilities`)."""
    return np.asarray(np.log(class_probabilities(rng, shape, axis, scale)))


def class_indices(rng: np.random.Generator, shape: tuple[int, ...],
                  num_classes: int) -> np.ndarray:
    """Integer class indices in ``[0, num_classes)``, int64."""
    return rng.integers(0, num_classes, size=shape, dtype=np.int64)


def binary_targets(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Hard binary targets, float64 zeros and ones."""
    return rng.integers(0, 2, size=shape).astype(np.float64)


def soft_targets(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Soft binary targets uniform in [0, 1]."""
    return rng.uniform(0.0, 1.0, size=shape)


def soft_class_targets(rng: np.random.Generator, shape: tuple[int, ...], axis: int = -1,
                       zeros: bool = False) -> np.ndarray:
    """Class-probability targets along ``axis`` (Dirichlet rows summing to 1).

    With ``zeros=True`` about a third of the entries are exactly 0 (each row keeps at
    least one positive entry), which exercises the ``0 · log p`` paths.
    """
    g = rng.gamma(1.0, size=shape)
    if zeros:
        keep = rng.uniform(size=shape) > 0.35
        top = np.argmax(g, axis=axis)
        keep = keep | (np.arange(shape[axis]).reshape(
            [-1 if a == axis % len(shape) else 1 for a in range(len(shape))])
            == np.expand_dims(top, axis))
        g = np.where(keep, g, 0.0)
    return np.asarray(g / np.sum(g, axis=axis, keepdims=True))


def regression_values(rng: np.random.Generator, shape: tuple[int, ...],
                      scale: float = 2.0) -> np.ndarray:
    """Real values, normal with standard deviation ``scale``."""
    return rng.normal(0.0, scale, size=shape)


def weights(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Positive weights in [0.25, 2]."""
    return rng.uniform(0.25, 2.0, size=shape)


def quantize(a: np.ndarray, dtype: str) -> np.ndarray:
    """``a`` rounded to ``dtype`` (round to nearest even) and returned as float64.

    ``bfloat16`` is rounded with integer arithmetic on the float32 bits, so only NumPy
    is needed.
    """
    a = np.asarray(a, dtype=np.float64)
    if dtype == "float64":
        return np.array(a, copy=True)
    if dtype in ("float32", "float16"):
        return a.astype(dtype).astype(np.float64)
    if dtype == "bfloat16":
        f = a.astype(np.float32)
        bits = f.view(np.uint32).astype(np.uint64)
        # NumPy uint64 constants: NumPy 1.x promotes a 0-d uint64 with a Python int to
        # float64 (value-based casting), where `>>` is undefined
        u = np.uint64
        rounded = (bits + u(0x7FFF) + ((bits >> u(16)) & u(1))) & u(0xFFFF0000)
        rounded = rounded.astype(np.uint32)
        out = rounded.view(np.float32).astype(np.float64)
        return np.where(np.isfinite(f), out, f.astype(np.float64))
    raise ValueError(f"unknown floating dtype {dtype!r}")


# ------------------------------------------------------------------ regression


def _regression_cases(weighted: bool = True, kink_ok: bool = True,
                      extra: Callable[[np.random.Generator], list[Case]] | None = None,
                      ) -> Callable[[np.random.Generator], list[Case]]:
    def make(rng: np.random.Generator) -> list[Case]:
        rv = regression_values

        def pair(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
            return rv(rng, shape), rv(rng, shape)

        cases = [
            Case("0d", pair(()), tags=frozenset({"0d"})),
            Case("empty", pair((0, 3)), tags=frozenset({"empty", "nan-mean"}), grad=False),
            Case("1d", pair((7,)), tags=frozenset({"1d"})),
            Case("2d", pair((4, 5)), tags=frozenset({"2d"})),
            Case("nd", pair((2, 3, 4, 5)), tags=frozenset({"nd"})),
            Case("int-target", (rv(rng, (6,)), rng.integers(-3, 4, size=(6,))),
                 tags=frozenset({"1d", "int-target"})),
        ]
        if weighted:
            cases += [
                Case("2d-weight", pair((4, 5)), {"weight": weights(rng, (4, 5))},
                     tags=frozenset({"2d", "weight"})),
                Case("2d-weight-list", pair((4, 5)),
                     {"weight": [float(w) for w in weights(rng, (5,))]},
                     tags=frozenset({"2d", "weight"})),
            ]
        if kink_ok:
            p, t = pair((6,))
            t[::2] = p[::2]  # zero errors: the |e| kink; backends' subgradients differ
            cases.append(Case("zero-errors", (p, t), tags=frozenset({"1d", "kink"}),
                              grad=False))
        if extra is not None:
            cases += extra(rng)
        return cases
    return make


def _regression_extreme(half_max: float = 2000.0,
                        ) -> Callable[[np.random.Generator], list[Case]]:
    """Errors of 700 to 1e4 (past cosh's float64 overflow at 710); ``half_max`` caps
    the float16 case so the exact loss and its sum stay below float16's 65504."""
    def make(rng: np.random.Generator) -> list[Case]:
        sign = rng.choice([-1.0, 1.0], size=(2, 3))
        big = sign * rng.uniform(700.0, 1e4, size=(2, 3))
        big[0, 0] = 1e4
        big[1, 0] = -1e4
        t = regression_values(rng, (2, 3))
        half = sign[0, :2] * rng.uniform(0.5 * half_max, half_max, size=(2,))
        th = regression_values(rng, (2,))
        return [
            Case("errors-700-1e4", (t + big, t), dtypes=("float32", "float64", "bfloat16"),
                 tags=frozenset({"2d"})),
            Case("errors-1e4-0d", (np.array(1e4), np.array(0.0)),
                 dtypes=("float32", "float64", "bfloat16"), tags=frozenset({"0d"})),
            Case(f"errors-half-{half_max:g}", (th + half, th), dtypes=("float16",),
                 tags=frozenset({"1d"})),
        ]
    return make


def _huber_extra(rng: np.random.Generator) -> list[Case]:
    rv = regression_values
    return [Case(f"delta-{d:g}", (rv(rng, (4, 5)), rv(rng, (4, 5))), {"delta": d},
                 tags=frozenset({"2d"})) for d in (0.5, 2.5)]


def _smooth_l1_extra(rng: np.random.Generator) -> list[Case]:
    rv = regression_values
    out = [Case(f"beta-{b:g}", (rv(rng, (4, 5)), rv(rng, (4, 5))), {"beta": b},
                tags=frozenset({"2d"})) for b in (0.0, 0.5, 2.5)]
    p = rv(rng, (6,))
    t = p.copy()
    t[1::2] += rv(rng, (3,))
    out.append(Case("beta-0-zero-errors", (p, t), {"beta": 0.0},
                    tags=frozenset({"1d", "kink"}), grad=False))
    return out


# ------------------------------------------------------------------ binary


def _binary_cases(pred: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray],
                  with_pos_weight: bool) -> Callable[[np.random.Generator], list[Case]]:
    def make(rng: np.random.Generator) -> list[Case]:
        bt, st = binary_targets, soft_targets
        cases = [
            Case("0d", (pred(rng, ()), bt(rng, ())), tags=frozenset({"0d"})),
            Case("empty", (pred(rng, (0, 4)), bt(rng, (0, 4))),
                 tags=frozenset({"empty", "nan-mean"}), grad=False),
            Case("1d", (pred(rng, (8,)), bt(rng, (8,))), tags=frozenset({"1d"})),
            Case("2d", (pred(rng, (4, 5)), bt(rng, (4, 5))), tags=frozenset({"2d"})),
            Case("2d-soft", (pred(rng, (4, 5)), st(rng, (4, 5))), tags=frozenset({"2d"})),
            Case("nd", (pred(rng, (2, 3, 4, 5)), st(rng, (2, 3, 4, 5))),
                 tags=frozenset({"nd"})),
            Case("bool-target", (pred(rng, (6,)), rng.integers(0, 2, size=(6,)).astype(bool)),
                 tags=frozenset({"1d", "bool-target"})),
            Case("2d-weight", (pred(rng, (4, 5)), st(rng, (4, 5))),
                 {"weight": weights(rng, (4, 5))}, tags=frozenset({"2d", "weight"})),
            Case("2d-weight-list", (pred(rng, (4, 5)), bt(rng, (4, 5))),
                 {"weight": [float(w) for w in weights(rng, (5,))]},
                 tags=frozenset({"2d", "weight"})),
        ]
        if with_pos_weight:
            cases += [
                Case("2d-pos-weight", (pred(rng, (4, 5)), bt(rng, (4, 5))),
                     {"pos_weight": weights(rng, (5,)) * 2.0},
                     tags=frozenset({"2d", "pos-weight"})),
                Case("2d-pos-weight-list-weight", (pred(rng, (4, 5)), st(rng, (4, 5))),
                     {"pos_weight": [float(w) for w in weights(rng, (5,)) * 2.0],
                      "weight": weights(rng, (4, 1))},
                     tags=frozenset({"2d", "pos-weight", "weight"})),
                Case("nd-pos-weight", (pred(rng, (2, 3, 4)), bt(rng, (2, 3, 4))),
                     {"pos_weight": weights(rng, (4,))},
                     tags=frozenset({"nd", "pos-weight"})),
            ]
        return cases
    return make


def _bce_extreme(rng: np.random.Generator) -> list[Case]:
    # probabilities exactly 0 and 1, against agreeing, disagreeing and soft targets
    p = np.array([[0.0, 1.0, 0.0, 1.0], [0.0, 1.0, 0.5, 1.0]])
    y = np.array([[0.0, 1.0, 1.0, 0.0], [0.3, 0.7, 1.0, 1.0]])
    return [
        Case("probs-0-and-1", (p, y), tags=frozenset({"2d"})),
        Case("probs-0-and-1-weight", (p, y), {"weight": weights(rng, (4,))},
             tags=frozenset({"2d", "weight"})),
        Case("prob-0-0d", (np.array(0.0), np.array(1.0)), tags=frozenset({"0d"})),
    ]


def _bce_logits_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * np.array([[1.0, -1.0, 1.0, -1.0], [1.0, -1.0, 0.5, -0.5]])
        y = np.array([[0.0, 1.0, 1.0, 0.0], [0.3, 0.7, 1.0, 0.0]])
        tag = f"{m:g}"
        out += [
            Case(f"logits-pm{tag}", (x, y), dtypes=dtypes, tags=frozenset({"2d"})),
            Case(f"logits-pm{tag}-pos-weight", (x, y), {"pos_weight": weights(rng, (4,)) * 3},
                 dtypes=dtypes, tags=frozenset({"2d", "pos-weight"})),
            # integer targets take the hard-target path softplus(±x) (chosen from the dtype)
            Case(f"logits-pm{tag}-int-target", (x, (y > 0.5).astype(np.int64)),
                 dtypes=dtypes, tags=frozenset({"2d", "int-target"})),
            Case(f"logits-pm{tag}-bool-target-pos-weight", (x, y > 0.5),
                 {"pos_weight": weights(rng, (4,)) * 3}, dtypes=dtypes,
                 tags=frozenset({"2d", "pos-weight", "bool-target"})),
        ]
    return out


# ------------------------------------------------------------------ multi-class


def _with_ignored(rng: np.random.Generator, target: np.ndarray, ignore: int,
                  frac: float = 0.3) -> np.ndarray:
    t = target.copy()
    flat = t.reshape(-1)
    n = flat.size
    k = max(1, round(frac * n))
    idx = rng.choice(n, size=k, replace=False)
    flat[idx] = ignore
    # keep at least one target
    if k == n:
        flat[0] = 0
    out: np.ndarray = t
    return out


def _cross_entropy_cases(rng: np.random.Generator) -> list[Case]:
    lg, ci = logits, class_indices
    C = 5
    w = weights(rng, (C,))
    cases = [
        Case("1d-logits-0d-target", (lg(rng, (C,)), ci(rng, (), C)), tags=frozenset({"0d"})),
        Case("empty", (lg(rng, (0, C)), ci(rng, (0,), C)),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d", (lg(rng, (6, C)), ci(rng, (6,), C)), tags=frozenset({"2d"})),
        Case("nd-axis1", (lg(rng, (2, 3, 4, 5)), ci(rng, (2, 4, 5), 3)), {"axis": 1},
             tags=frozenset({"nd"})),
        Case("nd-last", (lg(rng, (2, 3, 4)), ci(rng, (2, 3), 4)), tags=frozenset({"nd"})),
        Case("2d-weight", (lg(rng, (6, C)), ci(rng, (6,), C)), {"weight": w},
             tags=frozenset({"2d", "class-weight"})),
        Case("2d-weight-list", (lg(rng, (6, C)), ci(rng, (6,), C)),
             {"weight": [float(v) for v in weights(rng, (C,))]},
             tags=frozenset({"2d", "class-weight"})),
        Case("2d-ignore", (lg(rng, (8, C)), _with_ignored(rng, ci(rng, (8,), C), -100)),
             tags=frozenset({"2d", "ignore"})),
        Case("2d-ignore-in-range", (lg(rng, (8, C)), ci(rng, (8,), C)), {"ignore_index": 2},
             tags=frozenset({"2d", "ignore"})),
        Case("2d-weight-ignore", (lg(rng, (8, C)), _with_ignored(rng, ci(rng, (8,), C), 7)),
             {"weight": w, "ignore_index": 7}, tags=frozenset({"2d", "class-weight", "ignore"})),
        Case("2d-smoothing", (lg(rng, (6, C)), ci(rng, (6,), C)), {"label_smoothing": 0.1},
             tags=frozenset({"2d", "smoothing"})),
        Case("nd-axis1-weight-ignore-smoothing",
             (lg(rng, (2, 4, 3, 2)), _with_ignored(rng, ci(rng, (2, 3, 2), 4), -100)),
             {"axis": 1, "weight": weights(rng, (4,)), "label_smoothing": 0.2},
             tags=frozenset({"nd", "class-weight", "ignore", "smoothing"})),
        Case("probs-target-1d", (lg(rng, (C,)), soft_class_targets(rng, (C,))),
             tags=frozenset({"1d", "probs-target"})),
        Case("probs-target-2d", (lg(rng, (6, C)), soft_class_targets(rng, (6, C))),
             tags=frozenset({"2d", "probs-target"})),
        Case("probs-target-zeros", (lg(rng, (6, C)), soft_class_targets(rng, (6, C), zeros=True)),
             tags=frozenset({"2d", "probs-target"})),
        Case("probs-target-nd-axis1",
             (lg(rng, (2, 3, 4)), soft_class_targets(rng, (2, 3, 4), axis=1)), {"axis": 1},
             tags=frozenset({"nd", "probs-target"})),
        Case("probs-target-weight-smoothing",
             (lg(rng, (6, C)), soft_class_targets(rng, (6, C))),
             {"weight": weights(rng, (C,)), "label_smoothing": 0.15},
             tags=frozenset({"2d", "probs-target", "weight", "smoothing"})),
        Case("all-ignored", (lg(rng, (4, C)), np.full((4,), -100, dtype=np.int64)),
             tags=frozenset({"2d", "ignore", "nan-mean"}), grad=False),
    ]
    return cases


def _cross_entropy_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * np.array([[1.0, -1.0, 0.5, -0.5], [-1.0, -1.0, 1.0, 0.0],
                          [1.0, 1.0, -1.0, -1.0]])
        y = np.array([1, 0, 2], dtype=np.int64)  # targets at very low probabilities
        t = np.array([[0.0, 1.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.5], [0.25, 0.25, 0.25, 0.25]])
        tag = f"{m:g}"
        out += [
            Case(f"logits-pm{tag}", (x, y), dtypes=dtypes, tags=frozenset({"2d"})),
            Case(f"logits-pm{tag}-smoothing-weight", (x, y),
                 {"label_smoothing": 0.1, "weight": weights(rng, (4,))},
                 dtypes=dtypes, tags=frozenset({"2d", "smoothing", "class-weight"})),
            Case(f"logits-pm{tag}-probs-target", (x, t), dtypes=dtypes,
                 tags=frozenset({"2d", "probs-target"})),
            Case(f"logits-pm{tag}-nd-axis1",
                 (m * rng.choice([-1.0, 1.0], size=(2, 3, 2)), class_indices(rng, (2, 2), 3)),
                 {"axis": 1}, dtypes=dtypes, tags=frozenset({"nd"})),
        ]
    # -inf logits with zero target probability contribute exactly 0
    xi = np.array([[-np.inf, 1.0, 2.0], [0.5, -np.inf, -np.inf]])
    ti = np.array([[0.0, 0.4, 0.6], [1.0, 0.0, 0.0]])
    out += [
        Case("neg-inf-logits-probs-target", (xi, ti), tags=frozenset({"2d", "probs-target"})),
        Case("neg-inf-logits-index-target", (xi, np.array([2, 0])), tags=frozenset({"2d"})),
    ]
    return out


def _nll_cases(rng: np.random.Generator) -> list[Case]:
    lp, ci = log_probabilities, class_indices
    C = 5
    return [
        Case("1d-0d-target", (lp(rng, (C,)), ci(rng, (), C)), tags=frozenset({"0d"})),
        Case("empty", (lp(rng, (0, C)), ci(rng, (0,), C)),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d", (lp(rng, (6, C)), ci(rng, (6,), C)), tags=frozenset({"2d"})),
        Case("nd-axis1", (lp(rng, (2, 3, 4, 5), axis=1), ci(rng, (2, 4, 5), 3)), {"axis": 1},
             tags=frozenset({"nd"})),
        Case("2d-weight", (lp(rng, (6, C)), ci(rng, (6,), C)), {"weight": weights(rng, (C,))},
             tags=frozenset({"2d", "class-weight"})),
        Case("2d-ignore", (lp(rng, (8, C)), _with_ignored(rng, ci(rng, (8,), C), -100)),
             tags=frozenset({"2d", "ignore"})),
        Case("nd-axis1-weight-ignore",
             (lp(rng, (2, 4, 3), axis=1), _with_ignored(rng, ci(rng, (2, 3), 4), 1)),
             {"axis": 1, "weight": [float(v) for v in weights(rng, (4,))], "ignore_index": 1},
             tags=frozenset({"nd", "class-weight", "ignore"})),
        Case("all-ignored", (lp(rng, (4, C)), np.full((4,), -100, dtype=np.int64)),
             tags=frozenset({"2d", "ignore", "nan-mean"}), grad=False),
    ]


def _nll_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * np.array([[1.0, -1.0, 0.5], [-1.0, -1.0, 1.0]])
        lp = x - np.max(x, axis=-1, keepdims=True)
        lp = lp - np.log(np.sum(np.exp(lp), axis=-1, keepdims=True))
        out.append(Case(f"log-probs-of-logits-pm{m:g}", (lp, np.array([1, 0])), dtypes=dtypes,
                        tags=frozenset({"2d"})))
    lpi = np.array([[-np.inf, np.log(0.5), np.log(0.5)], [0.0, -np.inf, -np.inf]])
    out.append(Case("neg-inf-log-probs-elsewhere", (lpi, np.array([1, 0])),
                    tags=frozenset({"2d"})))
    return out


def _categorical_cases(rng: np.random.Generator) -> list[Case]:
    cp, ci = class_probabilities, class_indices
    C = 5

    def onehot(t: np.ndarray, n: int, axis: int = -1) -> np.ndarray:
        return np.moveaxis(np.eye(n)[t], -1, axis)

    return [
        Case("1d-onehot", (cp(rng, (C,)), onehot(ci(rng, (), C), C)), tags=frozenset({"1d"})),
        Case("1d-0d-index", (cp(rng, (C,)), ci(rng, (), C)), tags=frozenset({"0d"})),
        Case("empty", (cp(rng, (0, C)), np.zeros((0, C))),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d-onehot", (cp(rng, (6, C)), onehot(ci(rng, (6,), C), C)),
             tags=frozenset({"2d", "probs-target"})),
        Case("2d-soft", (cp(rng, (6, C)), soft_class_targets(rng, (6, C), zeros=True)),
             tags=frozenset({"2d", "probs-target"})),
        Case("2d-index", (cp(rng, (6, C)), ci(rng, (6,), C)), tags=frozenset({"2d"})),
        Case("2d-unnormalised", (cp(rng, (6, C)) * 0.7, soft_class_targets(rng, (6, C))),
             tags=frozenset({"2d", "probs-target"})),
        Case("nd-axis1-soft", (cp(rng, (2, 3, 4, 5), axis=1),
                               soft_class_targets(rng, (2, 3, 4, 5), axis=1)), {"axis": 1},
             tags=frozenset({"nd", "probs-target"})),
        Case("nd-axis1-index", (cp(rng, (2, 3, 4), axis=1), ci(rng, (2, 4), 3)), {"axis": 1},
             tags=frozenset({"nd"})),
        Case("2d-smoothing-soft", (cp(rng, (6, C)), soft_class_targets(rng, (6, C))),
             {"label_smoothing": 0.1}, tags=frozenset({"2d", "probs-target", "smoothing"})),
        Case("2d-smoothing-index", (cp(rng, (6, C)), ci(rng, (6,), C)),
             {"label_smoothing": 0.2}, tags=frozenset({"2d", "smoothing"})),
    ]


def _categorical_extreme(rng: np.random.Generator) -> list[Case]:
    p = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.5, 0.5]])
    return [
        Case("probs-0-and-1-index", (p, np.array([1, 1, 0])), tags=frozenset({"2d"})),
        Case("probs-0-and-1-soft", (p, np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0],
                                                 [0.2, 0.0, 0.8]])),
             tags=frozenset({"2d", "probs-target"})),
        Case("probs-0-and-1-smoothing", (p, np.array([2, 1, 0])), {"label_smoothing": 0.1},
             tags=frozenset({"2d", "smoothing"})),
    ]


# ------------------------------------------------------------------ catalogue


def _entry(name: str, make_cases: Callable[[np.random.Generator], list[Case]],
           make_extreme: Callable[[np.random.Generator], list[Case]], *,
           reductions: tuple[str, ...] = REDUCTIONS, plain_mean: bool = True,
           kinds: ArgKinds | None = None) -> LossCases:
    return LossCases(name, getattr(_PACKAGE, name), (0,), reductions, plain_mean,
                     make_cases, make_extreme, kinds=kinds)


def _regression_kinds(growth: str, **options: Any) -> ArgKinds:
    return ArgKinds("regression", "real", options={**options, "weight": "element_weight"},
                    growth=growth, zero_at_target=True)


_CLASS_INDEX_OPTIONS = {"axis": "axis", "weight": "class_weight",
                        "ignore_index": "ignore_index"}


CATALOG: dict[str, LossCases] = {
    "mse_loss": _entry("mse_loss", _regression_cases(), _regression_extreme(half_max=120.0),
                       kinds=_regression_kinds("quadratic")),
    "rmse_loss": _entry("rmse_loss", _regression_cases(kink_ok=False),
                        _regression_extreme(half_max=120.0), reductions=("mean",),
                        kinds=_regression_kinds("quadratic")),
    "l1_loss": _entry("l1_loss", _regression_cases(), _regression_extreme(),
                      kinds=_regression_kinds("linear")),
    "mae_loss": _entry("mae_loss", _regression_cases(), _regression_extreme(),
                       kinds=_regression_kinds("linear")),
    "huber_loss": _entry("huber_loss", _regression_cases(extra=_huber_extra),
                         _regression_extreme(),
                         kinds=_regression_kinds("quadratic", delta="positive")),
    "smooth_l1_loss": _entry("smooth_l1_loss", _regression_cases(extra=_smooth_l1_extra),
                             _regression_extreme(),
                             kinds=_regression_kinds("linear", beta="non_negative")),
    "log_cosh_loss": _entry("log_cosh_loss", _regression_cases(), _regression_extreme(),
                            kinds=_regression_kinds("linear")),
    "binary_cross_entropy": _entry(
        "binary_cross_entropy", _binary_cases(probabilities, with_pos_weight=False),
        _bce_extreme,
        kinds=ArgKinds("probs", "binary", options={"weight": "element_weight"},
                       growth="bounded")),
    "binary_cross_entropy_with_logits": _entry(
        "binary_cross_entropy_with_logits", _binary_cases(logits, with_pos_weight=True),
        _bce_logits_extreme,
        kinds=ArgKinds("logits", "binary",
                       options={"weight": "element_weight", "pos_weight": "pos_weight"})),
    "cross_entropy": _entry(
        "cross_entropy", _cross_entropy_cases, _cross_entropy_extreme,
        kinds=ArgKinds("logits", "index_or_probs", "axis",
                       {**_CLASS_INDEX_OPTIONS, "label_smoothing": "smoothing"},
                       unit="kept", min_ndim=1)),
    "nll_loss": _entry("nll_loss", _nll_cases, _nll_extreme,
                       kinds=ArgKinds("log_probs", "index", "axis", _CLASS_INDEX_OPTIONS,
                                      unit="kept", min_ndim=1)),
    "categorical_cross_entropy": _entry(
        "categorical_cross_entropy", _categorical_cases, _categorical_extreme,
        kinds=ArgKinds("class_probs", "index_or_probs", "axis",
                       {"axis": "axis", "label_smoothing": "smoothing"}, growth="bounded",
                       unit="sample", min_ndim=1)),
}


# The families added after the foundation keep their cases in modules of their own
# (``cases_<family>.py``, each defining ``ENTRIES: dict[str, LossCases]``); they import
# the generators above, so they are loaded last.
def _family_entries() -> dict[str, LossCases]:
    from . import cases_anyloss, cases_focal, cases_multilabel

    out: dict[str, LossCases] = {}
    for module in (cases_focal, cases_multilabel, cases_anyloss):
        out.update(module.ENTRIES)
    return out


CATALOG.update(_family_entries())
