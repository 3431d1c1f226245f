"""Inputs of the losses as NumPy arrays: the :class:`Case` record, generators, rounding.

One set of generators serves every test of the project: the hand-written cases of the
conformance suite's spec entries (``conformance/specs_*.py``), the random inputs of its
property-based fuzzing, the unit tests and ``python -m losses_xp check``.  Each generator
turns a seeded :class:`numpy.random.Generator` into an array of one argument kind
(:data:`losses_xp._declare.PREDICTION_KINDS`, ``TARGET_KINDS``): float64 values,
int64 class indices.  Every floating array of a case is meant to be converted to the
dtype under test (:func:`quantize` gives the exact float64 values a backend then sees);
integer and bool arrays keep their dtype.  NumPy only: no backend and no oracle is
imported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "EPS",
    "EXTREME_LOGIT",
    "FINFO_MAX",
    "FLOAT_DTYPES",
    "FULL",
    "HALF",
    "Case",
    "binary_targets",
    "class_indices",
    "class_probabilities",
    "extreme_class_logits",
    "log_probabilities",
    "logits",
    "probabilities",
    "quantize",
    "regression_values",
    "soft_class_targets",
    "soft_targets",
    "weights",
    "with_ignored",
]

HALF = ("float16", "bfloat16")
FULL = ("float32", "float64")
FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")

#: machine epsilon (``finfo(dtype).eps``) and largest finite value of each floating dtype,
#: bfloat16's included without ml_dtypes
EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23, "float64": 2.0**-52}
FINFO_MAX = {"float16": 65504.0, "bfloat16": 3.3895313892515355e38,
             "float32": 3.4028234663852886e38, "float64": 1.7976931348623157e308}

#: logit magnitude of the extreme cases: ±1e4 where the dtype can hold a loss of that
#: size comfortably (float32/float64), ±1e2 in half precision
EXTREME_LOGIT = {"float64": 1e4, "float32": 1e4, "bfloat16": 1e2, "float16": 1e2}


def extreme_class_logits(magnitude: float) -> tuple[np.ndarray, np.ndarray]:
    """``(4, 4)`` logits of ``±magnitude`` (and half of it) with class indices whose
    predictions are wrong, right, wrong, right: the classes' extreme case."""
    x = magnitude * np.array([[1.0, -1.0, 0.5, -0.5], [-1.0, -1.0, 1.0, 0.0],
                              [1.0, 1.0, -1.0, -1.0], [1.0, -1.0, -1.0, -1.0]])
    return x, np.array([1, 2, 2, 0], dtype=np.int64)


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
        loss is not differentiable: backends pick different subgradients), ``tail`` (the
        loss and its gradient are tiny next to 1, e.g. a logit's tail: compared in
        relative terms only, without the tolerance's absolute floor, with
        ``losses_xp.exact_tails()`` on: by default a framework's fused kernel may round
        such values to 0).
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


def with_ignored(rng: np.random.Generator, target: np.ndarray, ignore: int,
                 frac: float = 0.3) -> np.ndarray:
    """``target`` with a fraction ``frac`` of its entries set to ``ignore`` (at least
    one entry, and never all of them: the first is then set to class 0)."""
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
