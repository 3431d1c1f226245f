"""Hypothesis strategies for ``test_properties.py``, driven by the declarations.

Every public loss carries a :class:`~losses_xp._declare.Declaration`: what its
prediction, target and options are, how fast the loss grows with its inputs and what one
unreduced value covers.  :func:`examples` turns that description into random valid
calls of the loss, so a declared loss is fuzzed without any code here.

What is drawn, and why:

* **shapes**: 0-d where the loss takes it, an empty batch, one element, odd sizes, up
  to 4-d with the class axis anywhere (``axis=`` positive or negative);
* **dtypes**: every floating dtype of the backend (``Backend.dtypes``);
* **values**: the bulk from the catalogue's own generator of the argument's kind
  (``losses_xp._testing.inputs``: ``logits``, ``probabilities`` ...) at a drawn scale and seed, with
  special values written over drawn positions: exactly 0 and 1 for probabilities and
  targets; 0, ±1, ±20, the smallest subnormal and ±(a large fraction of) the dtype's
  largest finite value for real inputs.  The magnitude bound keeps the *exact* loss (and
  its sum) representable in the dtype: a regression loss whose exact value is beyond
  ``finfo.max`` is correctly ``inf`` and is not what these properties are about.  Losses
  whose value is bounded whatever the inputs (probabilities, metrics, ASL) get the whole
  finite range;
* **options**: each one present or left at its default, drawn from its kind (weights as
  arrays, Python lists or numbers; ``gamma`` below and above 1, as int 0 and float 0.0;
  ``ignore_index`` as the default -100, a class index or another negative value ...).

Values are generated as float64 arrays already rounded to the dtype under test, so every
backend (and the reference backend of the cross-backend property) sees exactly the same
numbers.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from losses_xp._classes import ambiguous_class_axis
from losses_xp._declare import SWITCHED, Declaration
from losses_xp._testing import inputs as catalogue
from losses_xp._testing.backends import Backend
from losses_xp._testing.inputs import EPS, FINFO_MAX, quantize

from ._example import Example
from .registry import Entry

__all__ = ["FINFO_MAX", "WEIGHT_KINDS", "Example", "Pools", "examples", "pools_for"]

#: the smallest positive subnormal of each floating dtype
TINY = {"float16": 2.0**-24, "bfloat16": 2.0**-133, "float32": 2.0**-149,
        "float64": 5e-324}
#: option kinds that multiply the loss: a value of ones must equal no option at all
WEIGHT_KINDS = ("element_weight", "pos_weight", "class_weight", "sample_weight",
                "class_alpha")


# --------------------------------------------------------------------------- shapes


@dataclass(frozen=True)
class Pools:
    """The sizes shapes are drawn from.

    ``batch``: sizes of the axes that are not the class axis; ``classes``: sizes of the
    class axis; ``empty_one_in``: one example in this many has an empty batch axis.
    """

    batch: tuple[int, ...]
    classes: tuple[int, ...]
    max_ndim: int
    max_size: int
    empty_one_in: int = 8


#: odd sizes, one element, up to 4-d
DEFAULT_POOLS = Pools(batch=(1, 2, 3, 5, 7), classes=(1, 2, 3, 5), max_ndim=4, max_size=140)
#: JAX eager compiles every operation for each new shape and dtype (~30-60 ms): a few
#: sizes, so that the compiled operations are reused across examples and losses
JAX_POOLS = Pools(batch=(3,), classes=(1, 3), max_ndim=3, max_size=27)


def pools_for(bk: Backend) -> Pools:
    return JAX_POOLS if bk.name == "jax" else DEFAULT_POOLS


# --------------------------------------------------------------------------- values


def magnitude(kinds: Declaration, dtype: str, size: int, num_classes: int) -> float:
    """The largest input magnitude for which the exact loss (and its sum) stays well
    inside the dtype's range (see :data:`~losses_xp._declare.GROWTHS`)."""
    top = FINFO_MAX[dtype]
    if kinds.growth == "bounded":
        return top
    # (``size`` counts the classes once; the factor C more is the class-balanced loss's
    # class weight, up to C; weights and pos_weight up to 2 and differences of two
    # inputs are inside the factor 64)
    budget = top / (64.0 * max(1, size) * max(1, num_classes))
    if kinds.growth == "relative":  # |e| / max(|t|, eps): up to |e| / eps
        return budget * EPS[dtype]
    if kinds.growth == "exponential":  # exp(x) of a log-rate
        return math.log(budget)
    return budget if kinds.growth == "linear" else math.sqrt(budget)


def _special_reals(bound: float, dtype: str) -> list[float]:
    vals = [0.0, 1.0, 20.0, 1e4, TINY[dtype], bound, 0.5 * bound, 0.9 * bound]
    vals = [v for v in vals if v <= bound]
    return vals + [-v for v in vals if v != 0.0]


def _overlay(draw: Callable[..., Any], a: np.ndarray, specials: Sequence[float],
             max_count: int = 6) -> np.ndarray:
    """``a`` with special values written over a few drawn positions."""
    if a.size == 0 or not specials:
        return a
    picks = draw(st.lists(st.tuples(st.integers(0, a.size - 1), st.sampled_from(specials)),
                          max_size=min(a.size, max_count)))
    if not picks:
        return a
    flat = np.array(a, dtype=np.float64).reshape(-1)
    for i, v in picks:
        flat[i] = v
    return flat.reshape(a.shape)


def _scale(draw: Callable[..., Any], bound: float, typical: Sequence[float]) -> float:
    return float(draw(st.sampled_from([s for s in (*typical, 1e4, bound) if s <= bound])))


def _real(draw: Callable[..., Any], rng: np.random.Generator, shape: tuple[int, ...],
          bound: float, dtype: str, gen: Callable[..., np.ndarray]) -> np.ndarray:
    scale = _scale(draw, bound, (1.0, 3.0, 1e-3, 30.0))
    a = np.clip(gen(rng, shape, scale), -bound, bound)
    return quantize(_overlay(draw, a, _special_reals(bound, dtype)), dtype)


def _probs(draw: Callable[..., Any], rng: np.random.Generator, shape: tuple[int, ...],
           dtype: str) -> np.ndarray:
    a = catalogue.probabilities(rng, shape, 0.0, 1.0)
    specials = [0.0, 1.0, 0.5, EPS[dtype], 1.0 - EPS[dtype], TINY[dtype]]
    return quantize(_overlay(draw, a, specials), dtype)


def _domain_limit(shape: tuple[int, ...], dtype: str) -> float:
    """The largest mean (and the inverse of the smallest) that the positive kinds draw:
    the fourth root of the dtype's range over the summed count, so that a Tweedie
    deviance of power -1 to 3 (up to p^3, t/p^2, their gradients t/p^3) and the sum stay
    finite."""
    return float((FINFO_MAX[dtype] / (64.0 * max(1, math.prod(shape)))) ** 0.25)


def _positive(draw: Callable[..., Any], rng: np.random.Generator, shape: tuple[int, ...],
              dtype: str, zeros: bool = False) -> np.ndarray:
    """Means in [1/lim, lim], log-uniform, with 1, the ends (and 0 with ``zeros``)
    written over drawn positions."""
    lim = _domain_limit(shape, dtype)
    spread = float(draw(st.sampled_from([1.0, 0.1, 3.0, math.log(lim)])))
    a = np.exp(np.clip(rng.normal(0.0, spread, size=shape), -math.log(lim), math.log(lim)))
    specials = [1.0, lim, 1.0 / lim, 0.5, 20.0] + ([0.0] if zeros else [])
    return quantize(_overlay(draw, a, [v for v in specials if v <= lim]), dtype)


def _above_minus_one(draw: Callable[..., Any], rng: np.random.Generator,
                     shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """log1p arguments in [eps - 1, lim - 1]: 1 + x log-uniform down to the dtype's eps."""
    lim = _domain_limit(shape, dtype)
    lo = math.log(EPS[dtype])
    a = np.expm1(rng.uniform(lo, math.log(lim), size=shape))
    specials = [0.0, 1.0, EPS[dtype] - 1.0, -0.5, lim - 1.0]
    return quantize(_overlay(draw, a, specials), dtype)


def _prediction(draw: Callable[..., Any], kind: str, rng: np.random.Generator,
                shape: tuple[int, ...], axis: int | None, dtype: str, bound: float,
                ) -> np.ndarray:
    if kind in ("regression", "embeddings"):
        return _real(draw, rng, shape, bound, dtype, catalogue.regression_values)
    if kind in ("logits", "scores", "log_rates"):
        return _real(draw, rng, shape, bound, dtype, catalogue.logits)
    if kind == "rates":  # >= 0, exact zeros among the specials
        return np.asarray(np.abs(_real(draw, rng, shape, bound, dtype, catalogue.logits)))
    if kind == "probs":
        return _probs(draw, rng, shape, dtype)
    if kind in ("class_probs", "labels"):  # (labels: their probability-row form)
        # a large scale makes rows one-hot with exact 0s and 1s; overlays of 1 and 1/2
        # keep every row's sum positive (a row of zeros is no distribution)
        scale = float(draw(st.sampled_from([1.0, 0.1, 10.0, 1000.0])))
        a = catalogue.class_probabilities(rng, shape, -1 if axis is None else axis, scale)
        return quantize(_overlay(draw, a, [1.0, 0.5]), dtype)
    if kind == "log_probs":
        scale = float(draw(st.sampled_from([2.0, 0.1, 30.0, 1e3])))
        with np.errstate(divide="ignore"):  # probabilities that underflow to 0
            a = catalogue.log_probabilities(rng, shape, -1 if axis is None else axis, scale)
        a = np.maximum(a, -bound)  # log 0 = -inf is not a finite input
        specials = [0.0, -1.0, -TINY[dtype], -bound, -0.5 * bound]
        return quantize(_overlay(draw, a, [s for s in specials if s >= -bound]), dtype)
    if kind == "counts":
        a = rng.integers(0, 1000, size=shape).astype(np.float64)
        specials = [0.0, 1.0, 0.5, 1e6, 1e9, FINFO_MAX[dtype], 0.5 * FINFO_MAX[dtype]]
        a = _overlay(draw, a, [s for s in specials if s <= FINFO_MAX[dtype]])
        return quantize(a, dtype)
    if kind == "positive":
        return _positive(draw, rng, shape, dtype)
    if kind == "above_minus_one":
        return _above_minus_one(draw, rng, shape, dtype)
    if kind == "embeddings":  # rows of real vectors: any finite magnitude, zero rows too
        return _real(draw, rng, shape, bound, dtype, catalogue.logits)
    raise AssertionError(f"{kind!r}: a prediction kind without a generator here")


def _renormalised(a: np.ndarray, axis: int | None, dtype: str) -> np.ndarray:
    """Log-probability rows made rows of a distribution again after the special values
    were written over them (a divergence is >= 0 for distributions only)."""
    if a.size == 0:
        return a
    ax = -1 if axis is None else axis
    m = np.max(a, axis=ax, keepdims=True)
    return quantize(a - (m + np.log(np.sum(np.exp(a - m), axis=ax, keepdims=True))), dtype)


def _binary_target(draw: Callable[..., Any], rng: np.random.Generator,
                   shape: tuple[int, ...], dtype: str) -> np.ndarray:
    form = draw(st.sampled_from(["hard", "soft", "int", "bool"]))
    if form == "int":
        return rng.integers(0, 2, size=shape, dtype=np.int64)
    if form == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    if form == "hard":
        return catalogue.binary_targets(rng, shape)
    a = catalogue.soft_targets(rng, shape)
    return quantize(_overlay(draw, a, [0.0, 1.0, 0.5]), dtype)


def _real_target(draw: Callable[..., Any], rng: np.random.Generator, shape: tuple[int, ...],
                 bound: float, dtype: str) -> np.ndarray:
    form = draw(st.sampled_from(["float", "int", "bool"]))
    if form == "int":
        hi = int(min(bound, 2.0**31))
        return rng.integers(-hi, hi + 1, size=shape, dtype=np.int64)
    if form == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    return _real(draw, rng, shape, bound, dtype, catalogue.regression_values)


def _domain_target(draw: Callable[..., Any], kind: str, rng: np.random.Generator,
                   shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """A target of the kinds ``positive``, ``non_negative`` (zeros included) or
    ``above_minus_one``: floating, integer or (but ``positive``) bool."""
    forms = ["float", "int"] + ([] if kind == "positive" else ["bool"])
    form = draw(st.sampled_from(forms))
    if form == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    if form == "int":
        hi = int(min(_domain_limit(shape, dtype), 2.0**31))
        return rng.integers(1 if kind == "positive" else 0, max(hi, 2) + 1, size=shape,
                            dtype=np.int64)
    if kind == "above_minus_one":
        return _above_minus_one(draw, rng, shape, dtype)
    return _positive(draw, rng, shape, dtype, zeros=kind == "non_negative")


def _index_target(draw: Callable[..., Any], rng: np.random.Generator, shape: tuple[int, ...],
                  num_classes: int, ignore: int | None) -> np.ndarray:
    dtype = draw(st.sampled_from([np.int64, np.int32]))
    t = catalogue.class_indices(rng, shape, num_classes)
    if ignore is not None and t.size and not 0 <= ignore < num_classes:
        # some, none or all targets ignored (all: the mean is NaN by definition)
        frac = draw(st.sampled_from([0.0, 0.3, 1.0]))
        t = np.where(rng.uniform(size=shape) < frac, ignore, t)
    return t.astype(dtype)


def _sign_labels(draw: Callable[..., Any], rng: np.random.Generator,
                 shape: tuple[int, ...]) -> np.ndarray:
    """Labels -1 and +1 (floating, integer) or bool (True = +1), one of them only at
    times."""
    form = draw(st.sampled_from(["float", "int", "bool"]))
    p = float(draw(st.sampled_from([0.5, 0.0, 1.0])))
    t = np.where(rng.uniform(size=shape) < p, 1, -1)
    if form == "bool":
        return np.asarray(t > 0)
    return np.asarray(t, dtype=np.float64 if form == "float" else np.int64)


def _row_labels(draw: Callable[..., Any], rng: np.random.Generator, n: int) -> np.ndarray:
    """One integer label per row, from about n/2 labels (most rows have a positive, some
    do not; sometimes every row has a label of its own)."""
    dtype = draw(st.sampled_from([np.int64, np.int32]))
    labels = draw(st.sampled_from([max(1, n // 2), 1, max(1, n)]))
    return rng.integers(0, labels, size=(n,)).astype(dtype)


def _further_input(draw: Callable[..., Any], kind: str, rng: np.random.Generator,
                   shape: tuple[int, ...], dtype: str, axis: int | None = None,
                   bound: float = 1.0) -> np.ndarray:
    """A further input (``Declaration.inputs``) in one of its forms."""
    if kind == "sign":
        return _sign_labels(draw, rng, shape)
    if kind == "sample_sign":  # one -1 or +1 per row: floats, integers or bools
        rows = shape if axis is None else shape[:axis] + shape[axis + 1:]
        y = np.where(rng.uniform(size=rows) < 0.5, -1, 1)
        form = draw(st.sampled_from(["float", "int", "bool"]))
        if form == "bool":
            return np.asarray(y > 0)
        return np.asarray(y if form == "int" else y.astype(np.float64))
    if kind == "embeddings":  # rows of the prediction's shape
        return _real(draw, rng, shape, bound, dtype, catalogue.regression_values)
    if kind != "variance":
        raise AssertionError(f"{kind!r}: an input kind without a generator here")
    form = draw(st.sampled_from(["same", "without-last-axis", "size-1-axis", "size-1-axis-0"]
                                if shape else ["same"]))
    if form == "without-last-axis":
        shape = shape[:-1]
    elif form == "size-1-axis":
        shape = (*shape[:-1], 1)
    elif form == "size-1-axis-0":
        shape = (1, *shape[1:])
    # in [0.25, 4]: the loss at most 2 e^2 (within the quadratic growth's budget)
    v = _overlay(draw, rng.uniform(0.25, 4.0, size=shape), [1.0, 0.25, 4.0])
    return quantize(np.asarray(v), dtype)


def _relevance_target(draw: Callable[..., Any], rng: np.random.Generator,
                      shape: tuple[int, ...], axis: int | None, dtype: str) -> np.ndarray:
    """Graded relevance >= 0 (``relevance`` targets): floating grades with ties and
    zeros, integer grades, bool, or lists of a single grade (they rank nothing)."""
    form = draw(st.sampled_from(["grades", "int", "bool", "soft", "constant-lists"]))
    if form == "int":
        return rng.integers(0, 5, size=shape, dtype=np.int64)
    if form == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    if form == "soft":  # any value >= 0 (large ones too: only their order matters)
        return quantize(_overlay(draw, rng.exponential(1.0, size=shape), [0.0, 1e4, 0.5]),
                        dtype)
    y = rng.choice([0.0, 1.0, 2.0, 0.5, 3.0], size=shape)
    if form == "constant-lists" and axis is not None and y.size:
        y = np.repeat(np.take(y, [0], axis=axis), shape[axis], axis=axis)
    return quantize(y, dtype)


def _mask(draw: Callable[..., Any], rng: np.random.Generator, shape: tuple[int, ...],
          axis: int | None) -> np.ndarray | None:
    """``None``, or a bool mask of the prediction's shape (``mask`` options): a fraction
    of the items masked, whole lists masked, or a single valid item per list."""
    form = draw(st.sampled_from(["none", "some", "whole-lists", "one-valid", "all"]))
    if form == "none":
        return None
    if form == "all":
        return np.zeros(shape, bool)
    if form == "one-valid" and axis is not None and shape[axis]:
        pick = rng.integers(0, shape[axis], size=(*shape[:axis], *shape[axis + 1:], 1))
        return np.ascontiguousarray(np.moveaxis(np.arange(shape[axis]) == pick, -1, axis))
    m = rng.uniform(size=shape) >= 0.3
    if form == "whole-lists" and axis is not None and m.size:
        m = m & (np.take(rng.uniform(size=shape), [0], axis=axis) >= 0.5)
    return np.ascontiguousarray(m)


# --------------------------------------------------------------------------- options


def _weights(rng: np.random.Generator, shape: tuple[int, ...],
             draw: Callable[..., Any]) -> np.ndarray:
    return _overlay(draw, catalogue.weights(rng, shape), [0.0, 1.0], max_count=2)


def _weight_option(draw: Callable[..., Any], kind: str, rng: np.random.Generator,
                   pred: np.ndarray, num_classes: int, dtype: str) -> Any:
    """A weight-like option in one of its accepted forms (array, list or number)."""
    if kind == "class_weight":
        w = _weights(rng, (num_classes,), draw)
        return w.tolist() if draw(st.booleans()) else quantize(w, dtype)
    if kind == "sample_weight":
        w = catalogue.weights(rng, (pred.shape[0],))
        return w.tolist() if draw(st.booleans()) else quantize(w, dtype)
    if kind == "class_alpha":
        form = draw(st.sampled_from(["float", "array", "list"]))
        if form == "float":
            return draw(st.sampled_from([0.0, 0.25, 1.0]) | st.floats(0.0, 1.0))
        a = rng.uniform(0.0, 1.0, size=(num_classes,))
        return a.tolist() if form == "list" else quantize(a, dtype)
    forms = ["full", "trailing", "number"]
    if pred.ndim:
        forms.append("list")
    form = draw(st.sampled_from(forms))
    if kind == "pos_weight" and form in ("full", "trailing"):
        form = "last" if pred.ndim else "full"
    if form == "number":
        return float(draw(st.sampled_from([1.0, 0.5, 2.0, 0.0])))
    if form == "list":
        return [float(v) for v in catalogue.weights(rng, (pred.shape[-1],))]
    if form == "last":
        return quantize(_weights(rng, (pred.shape[-1],), draw), dtype)
    shape = tuple(pred.shape)
    if form == "trailing" and shape:
        start = draw(st.integers(0, len(shape)))
        ones = draw(st.lists(st.booleans(), min_size=len(shape) - start,
                             max_size=len(shape) - start))
        shape = tuple(1 if one else s for s, one in zip(shape[start:], ones, strict=True))
    return quantize(_weights(rng, shape, draw), dtype)


def _float_option(draw: Callable[..., Any], kind: str, bound: float) -> Any:
    if kind == "gamma":
        return draw(st.sampled_from([0, 0.0, 0.5, 1, 2.0, 0.1]) | st.floats(0.0, 6.0))
    if kind == "alpha":
        return draw(st.sampled_from([None, 0.25, 0.0, 1.0]) | st.floats(0.0, 1.0))
    if kind in ("smoothing", "unit"):
        return draw(st.sampled_from([0.0, 0.1, 1.0, 0.05]) | st.floats(0.0, 1.0))
    if kind == "positive":
        return draw(st.sampled_from([1.0, 0.5, 73.0, 1e4]) | st.floats(1e-3, 1e4))
    if kind == "steepness":
        return draw(st.sampled_from([73.0, 1.0, 10.0, 1e4]) | st.floats(0.1, 1e4))
    if kind == "non_negative":
        return draw(st.sampled_from([0.0, 1.0, 0.5]) | st.floats(0.0, 1e3))
    if kind == "norm_p":  # (up to 10: the scaled row's powers stay finite)
        return draw(st.sampled_from([2.0, 1, 1.5, 3.0, math.inf]) | st.floats(1.0, 10.0))
    if kind == "real":
        return draw(st.sampled_from([0.0, 0.5, -0.5, 1.0]) | st.floats(-2.0, 2.0))
    if kind == "eps_or_none":
        # (at least 1e-4: the gradient at a zero row, up to 1 / eps, finite in float16)
        return draw(st.sampled_from([None, 1e-3, 1.0, 1e-4]) | st.floats(1e-4, 1.0))
    if kind == "eps":
        return draw(st.sampled_from([1e-8, 1.0, 1e-3, 1e-300]) |
                    st.floats(0.0, 1.0, exclude_min=True))
    if kind == "poly_epsilon":
        return draw(st.sampled_from([-1.0, 2.0, 0.0, -0.5, 100.0]) | st.floats(-1.0, 1e3))
    if kind == "beta_cb":
        return draw(st.sampled_from([0.0, 0.9, 0.9999, 0.999999]) |
                    st.floats(0.0, 1.0, exclude_max=True))
    if kind == "threshold":
        return draw(st.sampled_from([0.5, 0.0]) | st.floats(-bound, bound))
    if kind == "flag":
        return draw(st.booleans())
    if kind == "temperature":
        return draw(st.sampled_from([0.07, 1.0, 0.01, 0.5, 10.0]) | st.floats(0.01, 100.0))
    if kind == "tweedie_power":  # (a power of -1 to 3: see _domain_limit)
        return draw(st.sampled_from([0.0, 1.0, 2.0, 1.5, 3.0, -1.0, 0, 1, 2]) |
                    st.floats(1.0, 3.0) | st.floats(-1.0, 0.0))
    raise AssertionError(f"{kind!r}: an option kind without a strategy here")


# --------------------------------------------------------------------------- the strategy


def _required(fn: Callable[..., Any]) -> set[str]:
    return {n for n, p in inspect.signature(fn).parameters.items()
            if p.default is inspect.Parameter.empty}


def condition(entry: Entry, ex: Example) -> float:
    """How much the loss may magnify a relative rounding error of its inputs, from its
    ``steepness`` options (their value, or their default when absent): max(1, L / 4)."""
    assert entry.kinds is not None
    out = 1.0
    params = inspect.signature(entry.fn).parameters
    for name, kind in entry.kinds.options.items():
        if kind == "steepness":
            out *= max(1.0, float(ex.kwargs.get(name, params[name].default)) / 4.0)
    return out


def _sequence_example(draw: Callable[..., Any], entry: Entry, bk: Backend,
                      dtypes: Sequence[str] | None, batched: bool,
                      with_options: Sequence[str]) -> Example:
    """A CTC call (prediction kind ``log_prob_sequences``): ``(N, T, C)`` log-probabilities
    (``(T, N, C)`` with ``time_axis=0``), padded ``(N, S)`` labels without the blank
    (the padding any integer), ``input_lengths`` of at least ``2 S_n + 1`` frames (every
    alignment possible, repeated labels included: finite values) and ``target_lengths``."""
    kinds = entry.kinds
    pools = pools_for(bk)
    dtype = draw(st.sampled_from(list(dtypes or bk.dtypes)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    batch = tuple(b for b in pools.batch if b >= 2) or (2,) if batched else pools.batch
    n = draw(st.sampled_from(batch))
    if not batched and draw(st.integers(0, pools.empty_one_in - 1)) == 0:
        n = 0
    c = draw(st.sampled_from([k for k in pools.classes if k >= 2] or [2]))
    # (few frames: every frame is a step of a Python loop on Dask and array-api-strict,
    # and of the graph under torch.compile's generic path)
    s = draw(st.integers(0, 2))
    t = draw(st.integers(2 * s + 1, 2 * s + 2))
    bound = magnitude(kinds, dtype, max(1, n * t * c), c)
    kwargs: dict[str, Any] = {}
    blank = 0
    if "blank" in with_options or draw(st.booleans()):
        blank = draw(st.integers(0, c - 1))
        kwargs["blank"] = blank
    lp = _prediction(draw, "log_probs", rng, (n, t, c), 2, dtype, bound)
    labels = np.array([k for k in range(c) if k != blank])
    targets = rng.choice(labels, size=(n, s)) if n and s else np.zeros((n, s), np.int64)
    tl = rng.integers(0, s + 1, size=n)
    il = np.minimum(t, 2 * tl + 1 + rng.integers(0, 3, size=n))
    pos = np.arange(s)[None, :]
    targets = np.where(pos < tl[:, None], targets, draw(st.sampled_from([0, -1, c + 2])))
    time_axis = 1
    if "time_axis" in with_options or draw(st.booleans()):
        time_axis = draw(st.sampled_from([1, 0]))
        kwargs["time_axis"] = time_axis
    if time_axis == 0:
        lp = np.ascontiguousarray(np.swapaxes(lp, 0, 1))
    if "zero_infinity" in with_options or draw(st.booleans()):
        kwargs["zero_infinity"] = bool(draw(st.booleans()))
    ints = draw(st.sampled_from([np.int64, np.int32]))
    args = (lp, np.asarray(targets, ints), np.asarray(il, ints), np.asarray(tl, ints))
    return Example(entry.name, dtype, args, kwargs, None, "sequence", None,
                   dict(kinds.options))


@st.composite
def examples(draw: Callable[..., Any], entry: Entry, bk: Backend, *,
             dtypes: Sequence[str] | None = None, batched: bool = False,
             equal: bool = False, with_options: Sequence[str] = ()) -> Example:
    """Random valid calls of ``entry``'s loss on ``bk``.

    ``dtypes``: draw from these (default ``bk.dtypes``); ``batched``: the prediction has
    a batch axis of at least 2 (to permute); ``equal``: the target is the prediction
    itself; ``with_options``: these options are always present.
    """
    kinds = entry.kinds
    assert kinds is not None, f"{entry.name} has no Declaration"
    pools = pools_for(bk)
    if kinds.prediction == "log_prob_sequences":
        return _sequence_example(draw, entry, bk, dtypes, batched, with_options)
    dtype = draw(st.sampled_from(list(dtypes or bk.dtypes)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    opts = dict(kinds.options)

    # -- the class axis and the shape
    classes = kinds.class_axis == "axis" or (
        kinds.class_axis == "optional" and draw(st.booleans()))
    lo = max(kinds.min_ndim, 2 if batched and classes else (1 if batched or classes else 0))
    hi = min(kinds.max_ndim, pools.max_ndim)
    ndim = draw(st.integers(lo, hi))
    axis = draw(st.integers(0, ndim - 1)) if classes else None
    batch_axis = (1 if axis == 0 else 0) if ndim else None
    dims = []
    for d in range(ndim):
        sizes = pools.classes if d == axis else pools.batch
        if batched and d == batch_axis:
            sizes = tuple(s for s in sizes if s >= 2) or (2,)
        dims.append(draw(st.sampled_from(sizes)))
    while math.prod(dims) > pools.max_size:  # keep examples small: shrink the largest batch axis
        j = max((d for d in range(ndim) if d != axis), key=lambda d: dims[d])
        dims[j] = max(1, dims[j] // 2)
    if (not batched and not equal and ndim > (1 if classes else 0)
            and draw(st.integers(0, pools.empty_one_in - 1)) == 0):
        dims[draw(st.sampled_from([d for d in range(ndim) if d != axis]))] = 0  # empty batch
    shape = tuple(dims)
    num_classes = 1 if axis is None else shape[axis]
    bound = magnitude(kinds, dtype, max(1, math.prod(shape)), num_classes)

    # -- options that change what the inputs are
    kwargs: dict[str, Any] = {}
    required = _required(entry.fn)

    def present(name: str) -> bool:
        return name in required or name in with_options or bool(draw(st.booleans()))

    if "axis" in opts:
        optional = opts.pop("axis") == "axis_or_none"  # (its default is None)
        # (not given, the class axis is the last one, but an error where a class-index
        # target would fit axis 1 as well: the shapes cannot tell, so pass it there)
        ambiguous = ambiguous_class_axis(shape)
        if axis is not None:
            if optional or axis != ndim - 1 or ambiguous or draw(st.booleans()):
                kwargs["axis"] = axis - ndim if draw(st.booleans()) else axis
        elif draw(st.booleans()):
            kwargs["axis"] = None
    pkind = kinds.prediction
    from_logits = False  # (a class_probs_or_logits target switches with the prediction)
    if pkind in SWITCHED:  # the option that says what the prediction is
        option, kind_of = SWITCHED[pkind]
        opts.pop(option)
        value = bool(draw(st.booleans()))
        if value != inspect.signature(entry.fn).parameters[option].default or draw(
                st.booleans()):
            kwargs[option] = value
        pkind = kind_of[value]
        from_logits = option == "from_logits" and value
    log_target = False
    if "log_target" in opts:  # (a class_probs_or_log_probs target: log-probabilities)
        opts.pop("log_target")
        log_target = bool(draw(st.booleans()))
        if log_target or draw(st.booleans()):
            kwargs["log_target"] = log_target
    ignore: int | None = None
    if opts.get("ignore_index") == "ignore_index_or_none":  # (None by default)
        opts.pop("ignore_index")
        if present("ignore_index"):
            ignore = draw(st.sampled_from([None, -1, 255]) | st.integers(0, num_classes - 1))
            kwargs["ignore_index"] = ignore
    if "ignore_index" in opts:
        opts.pop("ignore_index")
        ignore = inspect.signature(entry.fn).parameters["ignore_index"].default  # (-100; None)
        if present("ignore_index"):
            # the default -100, another negative value, or a class (whose targets are
            # then ignored)
            ignore = draw(st.sampled_from([-100, -1]) | st.integers(0, num_classes - 1))
            kwargs["ignore_index"] = ignore

    # -- the arguments
    pred = _prediction(draw, pkind, rng, shape, axis, dtype, bound)
    if pkind == "log_probs" and kinds.target == "class_probs_or_log_probs":
        pred = _renormalised(pred, axis, dtype)
    args: list[np.ndarray] = [pred]
    unit = kinds.unit
    tkind = kinds.target
    if tkind == "binary_or_index":
        tkind = "binary" if axis is None else "index"
    if tkind == "index_or_probs":
        tkind = "class_probs" if draw(st.booleans()) else "index"
    if tkind == "class_probs_or_log_probs":
        tkind = "log_probs" if log_target else "class_probs"
    if tkind == "class_probs_or_logits":
        tkind = "logits" if from_logits else "class_probs"
    if equal:
        args.append(pred.copy())
    elif tkind in ("real", "nonzero"):  # (a zero target: |e| / eps, within the growth)
        args.append(_real_target(draw, rng, shape, bound, dtype))
    elif tkind == "binary":
        t = _binary_target(draw, rng, shape, dtype)
        if ignore is not None and ignore < 0 and t.dtype != bool and t.size:
            # (ignore_index_or_none: some, none or all pixels ignored)
            frac = draw(st.sampled_from([0.0, 0.3, 1.0]))
            t = np.where(rng.uniform(size=shape) < frac, ignore, t).astype(t.dtype)
        args.append(t)
    elif tkind in ("positive", "non_negative", "above_minus_one"):
        args.append(_domain_target(draw, tkind, rng, shape, dtype))
    elif tkind == "index":
        assert axis is not None
        sample_shape = shape[:axis] + shape[axis + 1:]
        args.append(_index_target(draw, rng, sample_shape, num_classes, ignore))
    elif tkind == "class_probs":
        assert axis is not None
        t = catalogue.soft_class_targets(rng, shape, axis, zeros=bool(draw(st.booleans())))
        args.append(quantize(t, dtype))
        ignore = None  # ignore_index does not apply to class probabilities
        kwargs.pop("ignore_index", None)  # (a non-default one is an error there)
        if unit == "kept":
            unit = "sample"
    elif tkind == "embeddings":  # (real floating rows of the prediction's shape)
        args.append(_prediction(draw, tkind, rng, shape, axis, dtype, bound))
    elif tkind == "relevance":  # graded relevance >= 0: ties, zeros, whole lists of one grade
        args.append(_relevance_target(draw, rng, shape, axis, dtype))
    elif tkind in ("log_probs", "logits"):  # (a distribution's logarithm; logits)
        t = _prediction(draw, tkind, rng, shape, axis, dtype, bound)
        args.append(_renormalised(t, axis, dtype) if tkind == "log_probs" else t)
    elif tkind == "sign":
        args.append(_sign_labels(draw, rng, shape))
    elif tkind == "embeddings":  # (keys of the queries' shape)
        args.append(_prediction(draw, "embeddings", rng, shape, axis, dtype, bound))
    elif tkind == "row_labels":
        assert axis is not None
        args.append(_row_labels(draw, rng, math.prod(shape[:axis] + shape[axis + 1:])))
    elif tkind is not None:
        raise AssertionError(f"{tkind!r}: a target kind without a generator here")
    for ikind in kinds.inputs.values():  # further inputs (a variance), in every form
        args.append(_further_input(draw, ikind, rng, shape, dtype, axis, bound))

    # -- the remaining options
    for name, kind in opts.items():
        if kind in ("key_rows", "key_labels", "row_offset"):
            # (keys gathered from other processes tie each local row to a key row, which
            # the batch properties' permutations and splits of the local rows would break:
            # the spec's cases and adapters/test_distributed.py check them)
            continue
        if not present(name):
            continue
        if isinstance(kind, tuple):
            kwargs[name] = draw(st.sampled_from(kind))
        elif kind in WEIGHT_KINDS:
            kwargs[name] = _weight_option(draw, kind, rng, pred, num_classes, dtype)
        elif kind == "counts":
            n = rng.integers(0, 500, size=(num_classes,))
            n = _overlay(draw, n.astype(np.float64), [0.0, 1.0, 1e6], max_count=2)
            form = draw(st.sampled_from(["list", "int", "float"]))
            kwargs[name] = ([int(v) for v in n] if form == "list" else
                            n.astype(np.int64) if form == "int" else
                            quantize(np.minimum(n, FINFO_MAX[dtype]), dtype))
        elif kind == "mask":  # valid items; some lists wholly masked, one valid item ...
            kwargs[name] = _mask(draw, rng, shape, axis)
        elif kind == "k":
            kwargs[name] = draw(st.integers(1, num_classes + 2))
        elif kind == "row_labels":  # one integer label per row (the first axis)
            kwargs[name] = _row_labels(draw, rng, pred.shape[0])
        elif kind == "num_classes":  # (probability rows: their class axis' length)
            kwargs[name] = num_classes
        elif kind == "like":
            kwargs[name] = np.zeros(())  # converted to the dtype under test
        elif kind == "quantile":  # a float, or levels along the prediction's last axis
            if (not equal and tkind == "real" and pred.ndim >= (2 if batched else 1)
                    and pred.shape[-1] > 0 and draw(st.booleans())):
                q = _overlay(draw, rng.uniform(0.01, 0.99, size=pred.shape[-1]),
                             [0.5, 0.01, 0.99])
                kwargs[name] = q.tolist() if draw(st.booleans()) else quantize(q, dtype)
                args[1] = np.asarray(args[1][..., 0])  # the target without that axis
            else:
                kwargs[name] = draw(st.sampled_from([0.5, 0.1, 0.9, 0.01, 0.99]) | st.floats(
                    0.0, 1.0, exclude_min=True, exclude_max=True))
        else:
            kwargs[name] = _float_option(draw, kind, bound)
    if kinds.class_axis == "optional" and (axis is None or kwargs.get("average") == "micro"):
        unit = "scalar"
    if unit == "batch":
        unit = "scalar"
    if unit in ("image", "kept_image") and not kwargs.get(
            "per_sample", inspect.signature(entry.fn).parameters["per_sample"].default):
        unit = "scalar"  # (one value for the batch)
    return Example(entry.name, dtype, tuple(args), kwargs, axis, unit,
                   ignore if unit in ("kept", "kept_image") else None, dict(kinds.options))
