"""Representative cases of a public function, derived from its declaration alone.

:func:`value_cases` and :func:`extreme_cases` turn a :class:`~losses_xp._declare.Declaration`
into :class:`~losses_xp._testing.inputs.Case` records, deterministically from a seed.
Nothing here names a loss: every case follows from the declaration's kinds
(:data:`~losses_xp._declare.PREDICTION_KINDS`, ``TARGET_KINDS``, ``OPTION_KINDS``), class
axis, number of dimensions and growth, so a new loss is covered as soon as it is declared.
``python -m losses_xp check`` runs these cases on every backend.

Value cases: every shape the declaration admits (:func:`layouts`: 0-d where ``min_ndim``
is 0, an empty batch, 1-d, 2-d, N-d; with a class axis the default one and ``axis=1``;
with an optional one ``axis=None`` and an axis); every form of the target kind
(:func:`target_forms`: floating, int and bool hard targets, soft targets, class indices,
class-probability rows, their logarithms with ``log_target=True``, logits), every form
of a further input (``inputs``: a variance of the prediction's shape, without its last
axis, with an axis of size 1) and the other kind of a switched prediction (``SWITCHED``:
logits with ``from_logits=True`` for ``probs_or_logits`` and ``class_probs_or_logits``,
rates with ``log_input=False`` for ``log_rates_or_rates``);
every option once at each representative non-default value of its kind
(:func:`option_values`), required options always, all options together in one N-d case;
zero errors where the loss is 0 at the target (a kink), every target ignored.

Extreme cases, from the prediction kind: logits and scores of ±1e4 (float32/float64) and
±1e2 (float16/bfloat16, :data:`~losses_xp._testing.inputs.EXTREME_LOGIT`), probabilities
of exactly 0 and 1, log-probabilities of such logits, errors of ~1e4 (float16: as large
as keeps the exact loss representable), counts of 1e9 (6e4 in half precision), log-rates
as large as keeps exp representable and rates of 0 and 1e4; on the
2-d shapes with every target form and one-class batches, and every option value on one.

Scores (only compared) are distinct multiples of a spacing around the threshold, so no
rounding to float16 moves one across it or creates a tie.  NumPy only.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._declare import SWITCHED, Declaration
from .inputs import (
    EXTREME_LOGIT,
    FINFO_MAX,
    FULL,
    HALF,
    Case,
    binary_targets,
    class_indices,
    class_probabilities,
    log_probabilities,
    logits,
    probabilities,
    regression_values,
    soft_class_targets,
    soft_targets,
    weights,
    with_ignored,
)

__all__ = ["CLASSES", "Layout", "distinct_scores", "extreme_cases", "input_forms", "layouts",
           "option_values", "target_forms", "value_cases"]

#: the number of classes of the class-axis shapes
CLASSES = 5
#: the option that makes a ``probs_or_logits`` / ``class_probs_or_logits`` prediction
#: logits (PREDICTION_KINDS, SWITCHED), and a ``class_probs_or_logits`` target too
FROM_LOGITS = SWITCHED["probs_or_logits"][0]
#: the option that makes a ``class_probs_or_log_probs`` target log-probabilities
LOG_TARGET = "log_target"
#: the prediction kinds that ``from_logits=True`` makes logits: their probability kind
MIXED = {k: kinds[False] for k, (option, kinds) in SWITCHED.items() if option == FROM_LOGITS}
#: the largest finite float16 (the one dtype whose range limits a case's values)
FLOAT16_MAX = 65504.0
_AXIS_KINDS = ("axis", "axis_or_none")


# --------------------------------------------------------------------------- shapes


@dataclass(frozen=True)
class Layout:
    """A prediction shape with its class axis (non-negative; ``None``: element-wise)
    and the axis option as passed (empty: the default)."""

    name: str
    shape: tuple[int, ...]
    axis: int | None = None
    axis_kw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return 1 if self.axis is None else self.shape[self.axis]

    @property
    def sample_shape(self) -> tuple[int, ...]:
        s = self.shape
        return s if self.axis is None else s[:self.axis] + s[self.axis + 1:]

    @property
    def tag(self) -> str:
        """``0d``, ``empty``, ``1d``, ``2d`` or ``nd`` (of the prediction)."""
        if 0 in self.shape:
            return "empty"
        return {0: "0d", 1: "1d", 2: "2d"}.get(len(self.shape), "nd")


def _axis_option(decl: Declaration) -> str | None:
    return next((n for n, k in decl.options.items() if k in _AXIS_KINDS), None)


def _defaults(decl: Declaration) -> dict[str, Any]:
    return {n: p.default for n, p in inspect.signature(decl.fn).parameters.items()}


def layouts(decl: Declaration) -> list[Layout]:
    """The shapes a declaration admits, each once (see the module docstring)."""
    name = _axis_option(decl)
    default = _defaults(decl).get(name) if name else None
    if decl.class_axis == "axis" and name and default is None:
        default = -1  # (None: the last axis; an error where the target fits axis 1 too)
    lo, hi = decl.min_ndim, decl.max_ndim
    optional = decl.class_axis == "optional"
    out = []
    if decl.class_axis in ("none", "optional"):
        flat = [("0d", ()), ("empty", (0, 4) if hi >= 2 else (0,)), ("1d", (8,)),
                ("2d", (4, 5)), ("nd", (2, 3, 2, 4)[:max(3, min(4, hi))])]
        for lay_name, shape in flat:
            # with an optional class axis the 1-d case passes axis=None explicitly
            kw: dict[str, Any] = {name: None} if name and optional and lay_name == "1d" else {}
            if lo <= len(shape) <= hi:
                out.append(Layout(lay_name, shape, None, kw))
    if decl.class_axis in ("axis", "optional"):
        C = CLASSES
        shaped = [("1d", (C,), 0), ("empty", (0, C), 1), ("2d", (6, C), 1),
                  ("nd-last", (2, 3, C), 2), ("nd-axis1", (2, C, 3, 2)[:max(3, min(4, hi))], 1)]
        if hi == 2:  # (2-d only, rows of vectors: the vectors along the first axis once)
            shaped.append(("2d-axis0", (C, 6), 0))
        for lay_name, shape, axis in shaped:
            if not max(lo, 1) <= len(shape) <= hi or (
                    optional and lay_name in ("empty", "nd-last")):
                continue  # (an optional class axis: one empty batch, one N-d case)
            negative = axis - len(shape)
            if (lay_name not in ("nd-axis1", "2d-axis0") and default is not None
                    and negative == default):
                kw = {}  # the default axis, not passed
            elif name is None:
                continue
            else:  # a negative axis once (2-d), non-negative ones elsewhere
                kw = {name: negative if lay_name == "2d" else axis}
            out.append(Layout(("class-" if optional else "") + lay_name, shape, axis, kw))
    return out


def _bases(lays: list[Layout]) -> list[Layout]:
    """Where options and target forms vary: the 2-d layouts, else the largest one."""
    two = [lay for lay in lays if lay.tag == "2d"]
    return two or [max((lay for lay in lays if lay.tag != "empty"), key=lambda x: len(x.shape))]


# --------------------------------------------------------------------------- values


def distinct_scores(rng: np.random.Generator, shape: tuple[int, ...], center: float = 0.0,
                    spacing: float = 0.5) -> np.ndarray:
    """Scores that are only compared: ``center + spacing * (k + 1/2)`` for distinct
    integers ``k`` in a random order, so no two are equal and none is within
    ``spacing / 2`` of ``center`` (nor of ``center`` plus a multiple of ``spacing``),
    exactly representable in every dtype for a dyadic center and spacing and up to 120
    values."""
    n = math.prod(shape)
    k = rng.permutation(n) - n // 2
    return np.asarray(center + spacing * (k + 0.5), dtype=np.float64).reshape(shape)


def _center(decl: Declaration) -> float:
    """What scores are compared with: a ``threshold`` option's default, else 0."""
    defaults = _defaults(decl)
    return next((float(defaults[n]) for n, k in decl.options.items() if k == "threshold"), 0.0)


def _prediction(decl: Declaration, kind: str, rng: np.random.Generator, lay: Layout
                ) -> np.ndarray:
    shape, axis = lay.shape, -1 if lay.axis is None else lay.axis
    if kind == "regression":
        return regression_values(rng, shape)
    if kind in ("logits", "embeddings"):  # (embeddings: rows of real vectors)
        return logits(rng, shape)
    if kind == "scores":
        return distinct_scores(rng, shape, _center(decl))
    if kind == "probs":
        return probabilities(rng, shape)
    if kind in ("class_probs", "labels"):  # (labels: their probability-row form)
        return class_probabilities(rng, shape, axis)
    if kind == "log_probs":
        return log_probabilities(rng, shape, axis)
    if kind == "counts":
        return rng.integers(1, 500, size=shape).astype(np.float64)
    if kind == "log_rates":
        return logits(rng, shape, 1.5)
    if kind == "rates":  # exact zeros among them
        r = np.exp(logits(rng, shape, 1.5))
        r.reshape(-1)[::5] = 0.0
        return np.asarray(r)
    if kind == "positive":  # means from 0.05 to 20
        return np.asarray(np.exp(rng.normal(0.0, 1.0, size=shape)))
    if kind == "above_minus_one":  # log1p from -3 to 3
        return np.asarray(np.expm1(rng.normal(0.0, 1.0, size=shape)))
    if kind == "embeddings":  # real rows (a zero row among them where there are several)
        return _embedding_rows(rng, shape, axis)
    raise ValueError(f"{decl.name}: prediction kind {kind!r} has no generator here")


def _embedding_rows(rng: np.random.Generator, shape: tuple[int, ...], axis: int
                    ) -> np.ndarray:
    """Rows of real values along ``axis``; with three rows or more, the second is zero
    (a zero vector: its norm 0, its cosine defined through eps)."""
    x = regression_values(rng, shape)
    x = np.where(x == 0.0, 0.5, x)  # (a zero value only in the zero row)
    if x.ndim and x.size and x.size // x.shape[axis] >= 3:
        rows = np.moveaxis(x, axis, -1).reshape(-1, x.shape[axis]).copy()
        rows[1] = 0.0
        x = np.moveaxis(rows.reshape(np.moveaxis(x, axis, -1).shape), -1, axis)
    return np.asarray(x)


def target_forms(decl: Declaration, lay: Layout) -> list[str]:
    """The forms of the declaration's target on ``lay``, the plain one first:
    ``float``, ``int-values``, ``hard``, ``soft``, ``int``, ``bool``, ``index``,
    ``probs``, ``probs-zeros`` (class-probability rows with exact zeros), ``logits``,
    or ``""`` (no target).  (``log-probs``, the log of class-probability rows, and
    ``logits`` replace the probability forms where ``log_target=True`` or
    ``from_logits=True`` says the target is one: :func:`_switched`.)"""
    kind = decl.target
    if kind == "binary_or_index":
        kind = "binary" if lay.axis is None else "index"
    return {None: [""], "real": ["float", "int-values", "bool"],
            "nonzero": ["nonzero", "nonzero-int"],
            "positive": ["positive", "positive-int"],
            "non_negative": ["non-negative", "non-negative-int", "bool"],
            "above_minus_one": ["above-minus-one", "non-negative-int", "bool"],
            "binary": ["hard", "soft", "int", "bool"], "index": ["index"],
            "index_or_probs": ["index", "probs", "probs-zeros"],
            "class_probs_or_log_probs": ["probs", "probs-zeros"],
            "class_probs_or_logits": ["probs", "probs-zeros"], "logits": ["logits"],
            "sign": ["sign", "sign-int", "bool"],
            "row_labels": ["row-labels", "row-labels-int32"],
            "embeddings": ["embeddings"],
            "relevance": ["relevance", "relevance-int", "bool"]}[kind]


def _switched(decl: Declaration, form: str, kwargs: Mapping[str, Any]) -> str:
    """The target form once ``kwargs`` are known: a probability form becomes
    ``log-probs`` with ``log_target=True`` and ``logits`` with ``from_logits=True``
    (the target kinds that switch with them)."""
    if form not in ("probs", "probs-zeros"):
        return form
    if decl.target == "class_probs_or_log_probs" and kwargs.get(LOG_TARGET) is True:
        return "log-probs"
    if decl.target == "class_probs_or_logits" and kwargs.get(FROM_LOGITS) is True:
        return "logits"
    return form


def _target(form: str, rng: np.random.Generator, lay: Layout) -> np.ndarray | None:
    shape = lay.shape
    if form == "float":
        return regression_values(rng, shape)
    if form == "int-values":
        return rng.integers(-3, 4, size=shape)
    if form == "nonzero":  # at least 0.25 from 0
        t = regression_values(rng, shape)
        return np.asarray(np.where(np.abs(t) < 0.25, np.where(t < 0, t - 0.5, t + 0.5), t))
    if form == "nonzero-int":
        return rng.choice([-3, -2, -1, 1, 2, 3], size=shape)
    if form == "positive":
        return np.asarray(np.exp(rng.normal(0.0, 1.0, size=shape)))
    if form == "positive-int":
        return rng.integers(1, 6, size=shape)
    if form == "non-negative":  # with exact zeros
        t = np.exp(rng.normal(0.0, 1.0, size=shape))
        return np.asarray(np.where(rng.uniform(size=shape) < 0.3, 0.0, t))
    if form == "non-negative-int":
        return rng.integers(0, 6, size=shape)
    if form == "relevance":  # graded, ties and zeros among them (a list of no relevant item)
        return rng.choice([0.0, 0.0, 1.0, 2.0, 0.5, 3.0], size=shape)
    if form == "relevance-int":
        return rng.integers(0, 4, size=shape)
    if form == "above-minus-one":
        return np.asarray(np.expm1(rng.normal(0.0, 1.0, size=shape)))
    if form == "hard":
        return binary_targets(rng, shape)
    if form == "soft":
        return soft_targets(rng, shape)
    if form == "int":
        return rng.integers(0, 2, size=shape)
    if form == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    if form == "index":
        return class_indices(rng, lay.sample_shape, lay.num_classes)
    if form in ("probs", "probs-zeros"):
        return soft_class_targets(rng, shape, lay.axis or 0, zeros=form == "probs-zeros")
    if form == "log-probs":
        return log_probabilities(rng, shape, lay.axis or 0)
    if form in ("logits", "embeddings"):
        return logits(rng, shape)
    if form in ("sign", "sign-int"):  # -1 and +1, floating or integer
        t = rng.choice([-1, 1], size=shape)
        return np.asarray(t, dtype=np.float64 if form == "sign" else np.int64)
    if form in ("row-labels", "row-labels-int32"):  # one label per row, about two rows each
        n = math.prod(lay.sample_shape)
        labels = rng.integers(0, max(1, n // 2), size=(n,))
        return labels.astype(np.int32 if form == "row-labels-int32" else np.int64)
    return None


def input_forms(kind: str, lay: Layout) -> list[str]:
    """The forms of a further input (``Declaration.inputs``) on ``lay``, the plain one
    first: a variance of the prediction's shape (``same``), of that shape without its
    last axis (``without-last-axis``) or with its last axis of size 1 (``size-1-axis``);
    sign labels of the prediction's shape, floating (``same``), integer (``int``) or
    bool (``bool``); one sign per row as floats (``signs``), integers (``int-signs``) or bools
    (``bool-signs``); embedding rows (``embeddings``)."""
    if kind == "sign":
        return ["same", "int", "bool"]
    if kind == "sample_sign":
        return ["signs", "int-signs", "bool-signs"]
    if kind == "embeddings":
        return ["embeddings"]
    return ["same", "without-last-axis", "size-1-axis"] if lay.shape else ["same"]


def _input(kind: str, form: str, rng: np.random.Generator, lay: Layout) -> np.ndarray:
    if kind == "sample_sign":  # both signs where there are two rows or more
        y = np.where(rng.uniform(size=lay.sample_shape) < 0.5, -1, 1)
        y.reshape(-1)[:2] = (1, -1)[:y.size]
        if form == "bool-signs":
            return np.asarray(y > 0)
        return np.asarray(y if form == "int-signs" else y.astype(np.float64))
    if kind == "embeddings":
        return regression_values(rng, lay.shape)
    shape = lay.shape
    if form == "without-last-axis":
        shape = shape[:-1]
    elif form == "size-1-axis":
        shape = (*shape[:-1], 1)
    if kind == "variance":  # in [0.25, 2]: the loss at most 4 e^2 / 2 (see the growth)
        return weights(rng, shape)
    if kind == "sign":  # -1 and +1 of the prediction's shape (bool: True = +1)
        t = rng.choice([-1, 1], size=lay.shape)
        return np.asarray(t > 0 if form == "bool" else t,
                          dtype={"same": np.float64, "int": np.int64}.get(form, bool))
    raise ValueError(f"input kind {kind!r} has no generator here")


def _form_tags(form: str) -> set[str]:
    return {"int-values": {"int-target"}, "int": {"int-target"}, "bool": {"bool-target"},
            "nonzero-int": {"int-target"}, "sign-int": {"int-target"},
            "row-labels-int32": {"int-target"},
            "positive-int": {"int-target"}, "non-negative-int": {"int-target"},
            "relevance-int": {"int-target"},
            "probs": {"probs-target"}, "probs-zeros": {"probs-target"}}.get(form, set())


# --------------------------------------------------------------------------- options


def _listed(a: np.ndarray) -> list[float]:
    return [float(v) for v in np.reshape(a, -1)]


def option_values(kind: Any, default: Any, lay: Layout, pred: np.ndarray,
                  rng: np.random.Generator) -> list[tuple[str, Any]]:
    """``(label, value)`` pairs: the representative non-default values of an option
    kind (a tuple kind: its choices) for a prediction ``pred`` of layout ``lay``."""
    C = lay.num_classes
    last = pred.shape[-1:] if pred.ndim else ()
    if isinstance(kind, tuple):
        vals = [(str(v), v) for v in kind]
    elif kind in ("element_weight", "pos_weight"):
        w = weights(rng, pred.shape if kind == "element_weight" else last)
        vals = [("array", w * (2.0 if kind == "pos_weight" else 1.0)),
                ("list", _listed(weights(rng, last)))]
    elif kind in ("class_weight", "sample_weight"):
        n = C if kind == "class_weight" else (pred.shape[0] if pred.ndim else 1)
        vals = [("array", weights(rng, (n,))), ("list", _listed(weights(rng, (n,))))]
    elif kind == "class_alpha":
        vals = [("0.25", 0.25), ("array", weights(rng, (C,)) / 2.0),
                ("list", _listed(weights(rng, (C,)) / 2.0))]
    elif kind == "counts":
        n = rng.integers(1, 200, size=(C,))
        zeros = n.copy()
        zeros[::2] = 0
        vals = [("list", [int(v) for v in n]), ("int-array", n.astype(np.int64)),
                ("float-array", n.astype(np.float64)), ("zeros", [int(v) for v in zeros])]
    elif kind == "ignore_index" or kind == "ignore_index_or_none":
        vals = [("class", min(2, C - 1)), ("negative", -1)]
    elif kind == "k":
        vals = [(str(k), k) for k in dict.fromkeys((2, C, C + 3))]
    elif kind == "num_classes":  # (probability rows: their class axis' length)
        vals = [("classes", C)]
    elif kind == "threshold":
        vals = [("above", float(default) + 1.0)]  # (a multiple of the scores' spacing)
    elif kind == "flag":
        vals = [(str(not default), not default)]
    elif kind == "like":
        vals = [("array", np.zeros(()))]
    elif kind == "row_labels":  # one label per row (the first axis), about two rows each
        n = pred.shape[0] if pred.ndim else 1
        vals = [("labels", rng.integers(0, max(1, n // 2), size=(n,)))]
    elif kind == "key_rows":  # (made the gathered keys of the prediction's rows: _gathered)
        vals = [("gathered", np.asarray(rng.normal(size=pred.shape)))]
    elif kind == "key_labels":  # (likewise: _gathered)
        n = pred.shape[0] if pred.ndim else 1
        vals = [("gathered", rng.integers(0, max(1, n // 2), size=(n,)))]
    elif kind == "row_offset":  # (one key row before the prediction's: _gathered)
        vals = [("1", 1)]
    elif kind == "quantile":  # levels along the last axis (the target loses it: _Builder)
        vals = [("0.1", 0.1), ("0.9", 0.9)]
        if last and last[0]:
            vals += [("levels-array", np.sort(rng.uniform(0.05, 0.95, size=last))),
                     ("levels-list", sorted(_listed(rng.uniform(0.05, 0.95, size=last))))]
    elif kind == "mask":  # a quarter of the items masked, and the first list entirely
        m = rng.uniform(size=pred.shape) >= 0.25
        if pred.ndim:
            np.moveaxis(m, -1 if lay.axis is None else lay.axis, -1)[(0,) * (pred.ndim - 1)] = False
        vals = [("mask", m)]
    elif kind in _AXIS_KINDS:
        vals = []  # the layouts vary the axis
    else:
        vals = [(repr(v), v) for v in _NUMBERS[kind]]
    return [(label, v) for label, v in vals
            if isinstance(v, (np.ndarray, list)) or type(v) is not type(default) or v != default]


#: representative values of the number kinds: 0 as an int and as a float where the
#: kind makes the difference, values below and above 1
_NUMBERS: dict[str, tuple[Any, ...]] = {
    "alpha": (None, 0.6), "gamma": (0, 0.0, 0.5, 3.5), "smoothing": (0.1,),
    "positive": (0.5, 2.5), "steepness": (10.0,), "non_negative": (0.0, 2.5),
    "unit": (0.0, 0.2), "eps": (1e-3, 0.5), "eps_or_none": (1e-8, 0.5),
    "real": (-0.5, 0.0, 2.5), "norm_p": (1, 1.5, 3.0, math.inf),
    "poly_epsilon": (-1.0, -0.5, 0.0, 5.5), "beta_cb": (0.0, 0.99, 0.999999),
    # Poisson (1, an int), compound Poisson, gamma, inverse Gaussian, and
    # a negative power (its loss grows like the prediction to the power 2.5)
    "tweedie_power": (1, 1.5, 2.0, 3.0, -0.5),
    "temperature": (0.01, 0.5, 2.0),
}


#: the option kinds of keys gathered from every process (contrastive losses)
_GATHERED = ("key_rows", "key_labels", "row_offset")


def _gathered(decl: Declaration, lay: Layout, pred: np.ndarray, target: np.ndarray,
              kwargs: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    """One process's view of a batch gathered from several (``kwargs`` updated, the
    target returned): the keys are the prediction's rows with ``row_offset`` other rows
    before them and one after (rows of other processes), their labels likewise.  The
    keys are the option of kind ``key_rows`` with its ``key_labels`` (the target: the
    prediction's own labels), or, without one, the target itself (InfoNCE's keys) with
    its ``row_labels`` option."""
    names = {k: o for o, k in decl.options.items() if isinstance(k, str)}
    off = int(kwargs.get(names.get("row_offset", ""), 0))
    rows = 0 if lay.axis is None or lay.axis != 0 else 1  # (the features along the axis)

    def around(a: np.ndarray, axis: int) -> np.ndarray:  # other rows before and after
        def other(k: int) -> np.ndarray:
            shape = list(a.shape)
            shape[axis] = k
            if a.dtype.kind == "f":
                return np.asarray(rng.normal(size=shape), a.dtype)
            return rng.integers(0, max(1, a.shape[axis] // 2), size=shape).astype(a.dtype)
        return np.concatenate([other(off), a, other(1)], axis=axis)

    if "key_rows" in names:
        kwargs[names["key_rows"]] = around(pred, rows)
        kwargs[names["key_labels"]] = around(target, 0)
        return target
    for o, k in decl.options.items():
        if k == "row_labels" and kwargs.get(o) is not None:  # one label per key row
            kwargs[o] = around(np.asarray(kwargs[o]), 0)
    return around(target, 0)


def _option_tags(kind: Any, target_form: str) -> set[str]:
    if kind == "class_weight":
        return {"class-weight" if target_form == "index" else "weight"}
    return {"element_weight": {"weight"}, "sample_weight": {"weight"},
            "pos_weight": {"pos-weight"}, "smoothing": {"smoothing"},
            "ignore_index": {"ignore"}}.get(kind, set()) if isinstance(kind, str) else set()


# --------------------------------------------------------------------------- cases


class _Builder:
    """Makes the cases of one declaration from one generator, in a fixed order."""

    def __init__(self, decl: Declaration, seed: int | np.random.Generator) -> None:
        self.decl = decl
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.cases: list[Case] = []
        self.defaults = _defaults(decl)
        self.layouts = layouts(decl)
        self.bases = _bases(self.layouts)
        # a switched prediction kind: the option, its default and its kinds
        self.switch = SWITCHED.get(decl.prediction)
        self.mixed = self.switch is not None

    def varied(self) -> list[tuple[str, Any]]:
        """The options that option cases vary (the axis and a switched prediction's
        option vary elsewhere)."""
        return [(n, k) for n, k in self.decl.options.items()
                if k not in _AXIS_KINDS and not (self.switch and n == self.switch[0])]

    def switched(self, other: bool) -> tuple[str, Any]:
        """A switched prediction's option and its value: the default, or the other."""
        assert self.switch is not None
        option = self.switch[0]
        default = bool(self.defaults[option])
        return option, (not default) if other else default

    def kind(self, other: bool = False) -> str:
        """The prediction's kind (a switched one: with its option at its default value,
        or at the other one)."""
        if self.switch is None:
            return self.decl.prediction
        return self.switch[1][self.switched(other)[1]]

    def prediction(self, lay: Layout, other: bool = False) -> np.ndarray:
        return _prediction(self.decl, self.kind(other), self.rng, lay)

    def add(self, name: str, lay: Layout, *, form: str | None = None, other: bool = False,
            pred: np.ndarray | None = None, target: np.ndarray | None = None,
            inputs: Mapping[str, np.ndarray] | None = None,
            opts: Mapping[str, Any] | None = None, tags: frozenset[str] | set[str] = frozenset(),
            dtypes: tuple[str, ...] | None = None) -> None:
        """One case on ``lay`` with the options ``opts`` (name -> value) and the required
        options at their first representative value."""
        decl, rng = self.decl, self.rng
        form = target_forms(decl, lay)[0] if form is None else form
        pred = self.prediction(lay, other) if pred is None else pred
        kwargs: dict[str, Any] = dict(lay.axis_kw)
        if other and self.mixed:  # a switched prediction of its other kind
            option, value = self.switched(True)
            kwargs[option] = value
        form = _switched(decl, form, {**kwargs, **(opts or {})})
        target = _target(form, rng, lay) if target is None else target
        all_tags = {lay.tag, *tags, *_form_tags(form)}
        for opt, kind in decl.options.items():
            if self.defaults[opt] is inspect.Parameter.empty and opt not in (opts or {}):
                kwargs[opt] = option_values(kind, None, lay, pred, rng)[0][1]
        for opt, value in (opts or {}).items():
            kind = decl.options[opt]
            kwargs[opt] = value
            all_tags |= _option_tags(kind, form)
            if kind == "quantile" and not isinstance(value, float) and target is not None:
                target = np.asarray(target[..., 0])  # levels on the last axis: not in it
            ignored = (kind in ("ignore_index", "ignore_index_or_none") and value is not None
                       and value < 0)  # some targets ignored
            if ignored and target is not None and target.dtype.kind == "i":
                target = with_ignored(rng, target, value)
        if any(decl.options[o] in _GATHERED for o in (opts or {})) and target is not None:
            target = _gathered(decl, lay, pred, target, kwargs, rng)
        if "empty" in all_tags and "mean" in decl.reductions and decl.unit != "class":
            all_tags.add("nan-mean")
        args: tuple[np.ndarray, ...] = (pred,) if target is None else (pred, target)
        given = inputs or {}  # the further inputs (a variance): given, or the plain form
        args += tuple(given[n] if n in given else _input(k, input_forms(k, lay)[0], rng, lay)
                      for n, k in decl.inputs.items())
        self.cases.append(Case(name, args, kwargs, dtypes, None, frozenset(all_tags),
                               grad=not {"nan-mean", "kink"} & all_tags))

    def option_cases(self, prefix: str, lay: Layout, **how: Any) -> None:
        """Each varied option at each of its representative values, one case each."""
        probe = how["pred"] if "pred" in how else self.prediction(lay)
        for name, kind in self.varied():
            for label, value in option_values(kind, self.defaults[name], lay, probe, self.rng):
                self.add(f"{prefix}-{name}-{label}", lay, opts={name: value}, **how)

    def target_cases(self, prefix: str, lay: Layout, **how: Any) -> None:
        for form in target_forms(self.decl, lay)[1:]:  # the target's other forms
            self.add(f"{prefix}-{form}-target", lay, form=form, **how)
        for name, kind in self.decl.inputs.items():  # the further inputs' other forms
            for form in input_forms(kind, lay)[1:]:
                self.add(f"{prefix}-{name}-{form}", lay,
                         inputs={name: _input(kind, form, self.rng, lay)}, **how)

    def done(self) -> list[Case]:
        names = [c.name for c in self.cases]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise AssertionError(f"{self.decl.name}: duplicate case names {dup}")
        return self.cases


# --------------------------------------------------------------------------- sequences


def _sequence_batch(rng: np.random.Generator, n: int, t: int, c: int, s: int, blank: int,
                    scale: float = 1.0) -> tuple[np.ndarray, ...]:
    """A ``log_prob_sequences`` batch: ``(log_probs (n, t, c), labels (n, s),
    input_lengths, target_lengths)``, log-softmax rows of logits of ``scale``, labels
    without the blank (the first sequence full length with a repeat: it needs a blank
    between its copies), padding -1 after each sequence, the last target empty, every
    input long enough for its labels (``2 S_n + 1`` frames)."""
    x = scale * rng.choice([-1.0, -0.5, 0.5, 1.0], size=(n, t, c)) if scale > 1.0 else \
        logits(rng, (n, t, c))
    lp = x - np.max(x, axis=-1, keepdims=True) if x.size else x
    lp = lp - np.log(np.sum(np.exp(lp), axis=-1, keepdims=True)) if x.size else lp
    labels = np.array([k for k in range(c) if k != blank])
    y = rng.choice(labels, size=(n, s)) if n and s else np.zeros((n, s), np.int64)
    tl = rng.integers(0, s + 1, size=n)
    if n:
        tl[0] = s
        if s >= 2:
            y[0, 1] = y[0, 0]
    if n > 1:
        tl[-1] = 0
    il = np.minimum(t, np.maximum(2 * tl + 1, t - rng.integers(0, 2, size=n)))
    y = np.where(np.arange(s)[None, :] < tl[:, None], y, -1)
    return (np.asarray(lp, np.float64), np.asarray(y, np.int64), np.asarray(il, np.int64),
            np.asarray(tl, np.int64))


def _sequence_option_values(kind: Any, default: Any, classes: int) -> list[tuple[str, Any]]:
    """The non-default values of a sequence loss's option: every other choice, the
    last class as the class index (the blank), a flag flipped."""
    if isinstance(kind, tuple):
        return [(str(v), v) for v in kind if v != default]
    if kind == "class_index":
        return [(str(classes - 1), classes - 1)]
    if kind == "flag":
        return [(str(not default), not default)]
    raise ValueError(f"option kind {kind!r} has no sequence value here")


def _sequence_cases(decl: Declaration, rng: np.random.Generator, extreme: bool
                    ) -> list[Case]:
    """The cases of a ``log_prob_sequences`` prediction (CTC): batch-major 3-d batches,
    int64 and int32 labels and lengths, an empty batch, each option at its non-default
    values (a time-major layout for ``time_axis=0``, labels without the other blank),
    all options at once; extreme: log-softmax rows of logits of +-1e4 (+-1e2 in half
    precision)."""
    defaults = _defaults(decl)
    out: list[Case] = []
    n, t, c, s = 3, 6, 4, 2

    def add(name: str, opts: Mapping[str, Any], dtypes: tuple[str, ...] | None = None,
            scale: float = 1.0, ints: Any = np.int64, batch: int = n) -> None:
        blank = next((int(v) for k, v in opts.items() if decl.options[k] == "class_index"),
                     0)
        args = list(_sequence_batch(rng, batch, t, c, s, blank, scale))
        for k, v in opts.items():  # time-major for the time axis 0
            if isinstance(decl.options[k], tuple) and v == 0 and "time" in k:
                args[0] = np.ascontiguousarray(np.swapaxes(args[0], 0, 1))
        args[1:] = [a.astype(ints) for a in args[1:]]
        tags = {"nd"} if batch else {"empty", "nan-mean"}
        out.append(Case(name, tuple(args), dict(opts), dtypes, None, frozenset(tags),
                        grad=bool(batch)))

    varied = [(k, v) for k, v in decl.options.items()]
    if extreme:
        for label, dtypes, m in ((f"pm{EXTREME_LOGIT['float32']:g}", FULL,
                                  EXTREME_LOGIT["float32"]),
                                 (f"pm{EXTREME_LOGIT['float16']:g}", HALF,
                                  EXTREME_LOGIT["float16"])):
            add(f"log-probs-of-logits-{label}", {}, dtypes, m)
            for k, kind in varied:
                for vl, v in _sequence_option_values(kind, defaults[k], c):
                    add(f"log-probs-of-logits-{label}-{k}-{vl}", {k: v}, dtypes, m)
        return out
    add("nd", {})
    add("nd-int32", {}, ints=np.int32)
    add("empty", {}, batch=0)
    for k, kind in varied:
        for vl, v in _sequence_option_values(kind, defaults[k], c):
            add(f"nd-{k}-{vl}", {k: v})
    if len(varied) >= 2:
        add("nd-all-options", {k: _sequence_option_values(kind, defaults[k], c)[0][1]
                               for k, kind in varied})
    return out


def value_cases(decl: Declaration, seed: int | np.random.Generator = 0) -> list[Case]:
    """The representative value cases of ``decl`` (the same for the same seed)."""
    if decl.prediction == "log_prob_sequences":
        return _sequence_cases(decl, seed if isinstance(seed, np.random.Generator)
                               else np.random.default_rng(seed), extreme=False)
    b = _Builder(decl, seed)
    lays = b.layouts
    for lay in lays:
        b.add(lay.name, lay)
    for lay in b.bases:
        b.target_cases(lay.name, lay)
    for lay in lays:  # class-probability targets on the other class-axis shapes too
        if lay.axis is not None and lay.tag != "empty" and lay not in b.bases:
            for form in target_forms(decl, lay)[1:2]:
                b.add(f"{lay.name}-{form}-target", lay, form=form)
    if b.switch:
        option, value = b.switched(True)  # (from_logits=True: "-from_logits", as before)
        label = option if value is True else f"{option}-{value}"
        for lay in [*b.bases, lays[-1]]:
            b.add(f"{lay.name}-{label}", lay, other=True)
    for lay in b.bases:
        b.option_cases(lay.name, lay)
        ignore = [n for n, k in decl.options.items()
                  if k in ("ignore_index", "ignore_index_or_none")]
        if ignore and "index" in target_forms(decl, lay):
            # the default ignore_index with some targets, then every target, ignored
            # (a default of None: -1, passed)
            default = b.defaults[ignore[0]]
            opts = {} if default is not None else {ignore[0]: -1}
            default = -1 if default is None else default
            t = class_indices(b.rng, lay.sample_shape, lay.num_classes)
            b.add(f"{lay.name}-ignored", lay, target=with_ignored(b.rng, t, default),
                  tags={"ignore"}, opts=opts)
            b.add(f"{lay.name}-all-ignored", lay, tags={"ignore", "nan-mean"},
                  target=np.full(lay.sample_shape, default, dtype=np.int64), opts=opts)
    if decl.zero_at_target and decl.target in ("real", "nonzero"):
        lay = next(lay for lay in lays if lay.tag in ("1d", "2d"))
        t = regression_values(b.rng, lay.shape)
        p = t.copy()
        p[1::2] += regression_values(b.rng, p[1::2].shape)  # every other error exactly 0
        b.add(f"{lay.name}-zero-errors", lay, pred=p, target=t, tags={"kink"})
    elif decl.zero_at_target and decl.target in ("positive", "non_negative",
                                                 "above_minus_one"):
        lay = next(lay for lay in lays if lay.tag in ("1d", "2d"))
        t = b.prediction(lay)  # (valid targets of these kinds too)
        p = np.where(np.arange(t.size).reshape(t.shape) % 2 == 1, b.prediction(lay), t)
        b.add(f"{lay.name}-zero-errors", lay, pred=p, target=t, tags={"kink"})
    # (a row offset needs more key rows than the prediction's, which a symmetric
    # InfoNCE refuses: its own option case only)
    varied = [(n, k) for n, k in b.varied() if k != "row_offset"]
    if len(varied) + b.mixed >= 2:
        lay = lays[-1]  # every option at once, on the last N-d shape (the class axis at 1)
        pred = b.prediction(lay, other=b.mixed)
        opts = {n: option_values(k, b.defaults[n], lay, pred, b.rng)[0][1] for n, k in varied}
        b.add(f"{lay.name}-all-options", lay, pred=pred, other=b.mixed, opts=opts)
    return b.done()


# --------------------------------------------------------------------------- extremes


def _extremes(decl: Declaration) -> list[tuple[str, str, tuple[str, ...] | None, float]]:
    """``(name, prediction kind, dtypes, magnitude)`` of the extreme predictions."""
    full, half = EXTREME_LOGIT["float32"], EXTREME_LOGIT["float16"]
    both = [(f"pm{full:g}", FULL, full), (f"pm{half:g}", HALF, half)]
    kind = decl.prediction
    if kind == "regression":  # float16: a magnitude from the growth (see _magnitude)
        return [(f"errors-{full:g}", kind, (*FULL, "bfloat16"), full),
                ("errors-float16", kind, ("float16",), 0.0)]
    if kind == "counts":
        return [("counts-1e9", kind, FULL, 1e9), ("counts-6e4", kind, HALF, 6e4)]
    if kind in ("positive", "above_minus_one"):  # float16: a magnitude from the growth
        return [(f"{kind}-{full:g}", kind, (*FULL, "bfloat16"), full),
                (f"{kind}-float16", kind, ("float16",), 0.0)]
    if kind in ("probs", "class_probs", "labels"):
        return [("probs-0-and-1", kind, None, 1.0)]
    if kind in MIXED:
        return [("probs-0-and-1", MIXED[kind], None, 1.0)] + [
            (f"logits-{t}", "logits", d, m) for t, d, m in both]
    if kind == "log_rates_or_rates":  # log-rates: the largest whose exp stays finite
        return [("log-rates-float32", "log_rates", (*FULL, "bfloat16"), FINFO_MAX["bfloat16"]),
                ("log-rates-float16", "log_rates", ("float16",), FLOAT16_MAX),
                (f"rates-0-to-{full:g}", "rates", (*FULL, "bfloat16"), full),
                ("rates-float16", "rates", ("float16",), 0.0)]
    if kind == "logits" and decl.growth == "quadratic":  # float16: from the growth
        return [(f"logits-pm{full:g}", kind, FULL, full),
                (f"logits-pm{half:g}", kind, ("bfloat16",), half),
                ("logits-float16", kind, ("float16",), 0.0)]
    prefix = {"log_probs": "log-probs-of-logits"}.get(kind, kind)
    return [(f"{prefix}-{t}", kind, d, m) for t, d, m in both]


def _magnitude(decl: Declaration, m: float, size: int) -> float:
    """``m``, or for float16 (``m`` 0) the largest error whose exact weighted loss and
    sum stay below a quarter of float16's range (weights up to 2)."""
    if m:
        return m
    budget = FLOAT16_MAX / (8.0 * max(1, size))
    if decl.growth == "relative":  # |e| / max(|t|, eps): up to |e| / float16's eps
        return budget * 2.0**-10
    return math.sqrt(budget) if decl.growth == "quadratic" else budget


def _extreme_prediction(decl: Declaration, kind: str, rng: np.random.Generator, lay: Layout,
                        m: float) -> np.ndarray:
    shape, n = lay.shape, math.prod(lay.shape)
    axis = -1 if lay.axis is None else lay.axis
    if kind == "regression":
        m = _magnitude(decl, m, n)
        e = np.sign(rng.uniform(-1.0, 1.0, size=shape)) * rng.uniform(0.07 * m, m, size=shape)
        e.reshape(-1)[:2] = (m, -m)[:n]  # errors of exactly ±m
        return np.asarray(regression_values(rng, shape) + e)
    if kind == "scores":
        return distinct_scores(rng, shape, _center(decl), 2.0 * m / max(1, n))
    if kind == "log_rates":  # exp(x) and its sum below a quarter of the dtype's range m
        top = math.log(m / (8.0 * max(1, n)))
        x = rng.choice([-1.0, -0.5, 0.5, 1.0], size=shape) * top
        x.reshape(-1)[:2] = (top, -top)[:n]
        return np.asarray(x)
    if kind == "rates":  # exact zeros and the largest rate
        m = _magnitude(decl, m, n)
        r = rng.choice([0.0, 1.0, m], size=shape) * rng.uniform(0.5, 1.0, size=shape)
        r.reshape(-1)[:2] = (m, 0.0)[:n]
        return np.asarray(r)
    if kind == "probs":
        p = rng.choice([0.0, 1.0, 0.5], p=[0.4, 0.4, 0.2], size=shape)
        p.reshape(-1)[:2] = (0.0, 1.0)[:n]
        return np.asarray(p)
    if kind in ("class_probs", "labels"):  # one-hot rows and rows of two halves, along the axis
        C = lay.num_classes
        eye = np.moveaxis(np.eye(C)[class_indices(rng, lay.sample_shape, C)], -1, axis)
        other = np.moveaxis(np.eye(C)[class_indices(rng, lay.sample_shape, C)], -1, axis)
        half = np.expand_dims(rng.uniform(size=lay.sample_shape) < 0.4, axis)
        return np.asarray(np.where(half, 0.5 * eye + 0.5 * other, eye))
    if kind in ("positive", "above_minus_one"):
        # means from 1 to m (exactly m once), or log1p arguments from just above -1 to m
        m = _magnitude(decl, m, n)
        a = rng.uniform(1.0, m, size=shape)
        ends = (m, 1.0) if kind == "positive" else (m, -0.99, 0.0)
        a.reshape(-1)[:len(ends)] = ends[:n]
        return np.asarray(a)
    if kind == "counts":
        c = rng.choice([m, 1.0, 0.0, float(int(math.sqrt(m)))], size=shape)
        c.reshape(-1)[:3] = (m, 0.0, 1.0)[:n]
        return np.asarray(c)
    if kind == "logits" and not m:  # (a quadratic loss in float16: see _magnitude)
        m = _magnitude(decl, m, n)
    x = m * rng.choice([-1.0, -0.5, 0.5, 1.0], size=shape)
    if kind == "embeddings":  # rows of +-m, a zero row among them (see _embedding_rows)
        return np.where(_embedding_rows(rng, shape, axis) == 0.0, 0.0, x)
    if kind == "log_probs":  # a log-softmax: finite, one entry of each row 0
        x = x - np.max(x, axis=axis, keepdims=True)
        return np.asarray(x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True)))
    return np.asarray(x)  # logits


def extreme_cases(decl: Declaration, seed: int | np.random.Generator = 0) -> list[Case]:
    """Inputs at the edges of the dtypes' range (see the module docstring): the function
    must stay finite there."""
    if decl.prediction == "log_prob_sequences":
        return _sequence_cases(decl, seed if isinstance(seed, np.random.Generator)
                               else np.random.default_rng(seed), extreme=True)
    b = _Builder(decl, seed)
    lays = b.layouts
    shapes = [lay for lay in lays if lay.tag == "0d"] + b.bases + [
        lay for lay in lays if lay.name.endswith("nd-axis1")]
    for name, kind, dtypes, m in _extremes(decl):
        other = b.mixed and kind != b.kind()
        for lay in shapes:
            prefix = f"{name}-{lay.name}"
            pred = _extreme_prediction(decl, kind, b.rng, lay, m)
            how: dict[str, Any] = {"pred": pred, "dtypes": dtypes, "other": other}
            b.add(prefix, lay, **how)
            if lay not in b.bases:
                continue
            b.target_cases(prefix, lay, **how)
            plain = target_forms(decl, lay)[0]
            if plain == "hard":  # one-class batches: zero counts, empty denominators
                for v in (0, 1):
                    b.add(f"{prefix}-all-{v}-targets", lay, target=np.full(lay.shape, float(v)),
                          **how)
            elif plain == "index":
                b.add(f"{prefix}-one-class", lay, **how,
                      target=np.full(lay.sample_shape, 1, dtype=np.int64))
            if lay is b.bases[-1]:  # (an optional class axis: the 2-d shape with it)
                b.option_cases(prefix, lay, **how)
    return b.done()
