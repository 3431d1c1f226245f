"""One drawn call of a loss (:class:`Example`), as ``test_properties.py`` checks it: the
inputs of the property-based fuzzing (``_strategies.py``) and what they imply (the
unreduced shape, the mean's denominator, the batch axes, permutations)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from losses_xp._declare import declaration
from losses_xp._testing.inputs import Case, quantize

#: half precision is computed in float32 (see losses_xp._validation.floating_input)
COMPUTE = {"float16": "float32", "bfloat16": "float32", "float32": "float32",
           "float64": "float64"}


@dataclass(frozen=True)
class Example:
    """One drawn call of a loss, with what the properties need to know about it.

    ``args``/``kwargs`` are NumPy float64 arrays already rounded to ``dtype`` (integer
    and bool arrays as they are), Python lists and numbers.  ``axis`` is the
    prediction's class axis (non-negative; ``None`` without one).  ``unit`` is the
    resolved :data:`~losses_xp._declare.UNITS` entry: ``element``, ``sample``,
    ``kept``, ``class``, ``image`` (with ``per_sample=True``) or ``scalar``.
    ``ignore`` is the ``ignore_index`` in effect
    for class-index targets (``None``: the loss has none).
    """

    name: str
    dtype: str
    args: tuple[np.ndarray, ...]
    kwargs: dict[str, Any]
    axis: int | None
    unit: str
    ignore: int | None
    option_kinds: dict[str, Any]

    def __repr__(self) -> str:
        args = ", ".join(_show(a) for a in self.args)
        kw = ", ".join(f"{k}={_show(v)}" for k, v in self.kwargs.items())
        return f"{self.name}[{self.dtype}]({args}{', ' if kw else ''}{kw})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        """(hypothesis prints a failing example with this: the call, not the fields)"""
        p.text(repr(self))

    @property
    def case(self) -> Case:
        return Case("fuzz", self.args, self.kwargs)

    @property
    def prediction(self) -> np.ndarray:
        return self.args[0]

    @property
    def num_classes(self) -> int:
        return 1 if self.axis is None else int(self.prediction.shape[self.axis])

    def rows(self) -> tuple[int, ...]:
        """The rows of a 2-d array of vectors (the feature axis: ``axis``, else the last)."""
        shape = self.prediction.shape
        return shape[:-1] if self.axis is None else self.sample_shape()

    def sample_shape(self) -> tuple[int, ...]:
        shape = self.prediction.shape
        return shape if self.axis is None else shape[:self.axis] + shape[self.axis + 1:]

    def none_shape(self) -> tuple[int, ...]:
        """The documented shape of ``reduction="none"``."""
        if self.unit == "element":
            return tuple(self.prediction.shape)
        if self.unit == "sequence":  # one value per sequence: the lengths' shape
            return tuple(self.args[2].shape)
        if self.unit == "anchor":  # one value per row (features on the last axis, or axis)
            return self.rows()
        if self.unit in ("sample", "kept", "list"):
            return self.sample_shape()
        if self.unit == "kept_image":  # one value per sample: the target's first axis
            return tuple(self.args[1].shape[:1])
        if self.unit == "class":
            return (self.num_classes,)
        if self.unit == "image":  # one value per sample (the batch axis), or pooled: one
            axes = self.batch_axes()
            return (self.prediction.shape[axes["arg0"]],) if self.per_image() and axes else ()
        return ()

    def per_image(self) -> bool:
        """Unit ``image``: one value per sample (``per_sample=True``, a batch axis)."""
        return bool(self.kwargs.get("per_sample", True)) and self.prediction.ndim >= 2

    def count(self) -> float:
        """The documented denominator of ``reduction="mean"`` (0: the mean is NaN)."""
        if self.unit == "element":
            return float(self.prediction.size)
        if self.unit == "sample":
            return float(math.prod(self.sample_shape()))
        if self.unit == "sequence":  # (each sequence divided by its target length first)
            return float(self.args[2].shape[0])
        if self.unit == "class":
            return float(self.num_classes)
        if self.unit == "image":
            return float(math.prod(self.none_shape()))
        if self.unit == "anchor":  # the rows with a positive
            labels = self.args[1]
            if labels.dtype.kind in "iu":  # (another row of their label)
                return float(np.sum(np.sum(labels[:, None] == labels[None, :], axis=1) > 1))
            return float(math.prod(self.rows()))  # (query i and key i: every row)
        if self.unit == "list":  # the lists that rank something
            return float(np.sum(self.ranks()))
        if self.unit == "kept_image":  # the samples with a pixel that is not ignored
            target = np.asarray(self.args[1])
            kept = (np.ones(target.shape, bool) if self.ignore is None
                    else target != self.ignore)
            if target.ndim == 0:  # (one pixel: one sample)
                return float(kept)
            if target.shape[0] == 0:
                return 0.0
            return float(np.sum(np.any(kept.reshape(target.shape[0], -1), axis=1)))
        if self.unit == "kept":
            target = self.args[1]
            kept = np.ones(target.shape, bool) if self.ignore is None else target != self.ignore
            weight = self.kwargs.get("weight")
            if weight is None:
                return float(np.sum(kept))
            w = quantize(np.asarray(weight, np.float64), COMPUTE[self.dtype])
            return float(np.sum(np.where(kept, w[np.where(kept, target, 0)], 0.0)))
        return 1.0  # scalar

    def ranks(self) -> np.ndarray:
        """Unit ``list`` (ranking): whether each list ranks something, i.e. has a valid
        item (``where``) strictly more relevant than another valid one."""
        assert self.axis is not None
        y = np.moveaxis(np.asarray(self.args[1], np.float64), self.axis, -1)
        mask = self.kwargs.get("where")
        v = (np.ones(y.shape, bool) if mask is None
             else np.moveaxis(np.asarray(mask, bool), self.axis, -1))
        if y.size == 0:
            return np.zeros(y.shape[:-1], bool)
        return np.asarray(np.max(np.where(v, y, -np.inf), axis=-1)
                          > np.min(np.where(v, y, np.inf), axis=-1))

    def any_kept(self) -> bool:
        """Whether any element counts at all (class-index targets: any not ignored)."""
        if self.unit == "kept":
            target = self.args[1]
            return bool(target.size) and (self.ignore is None
                                          or bool(np.any(target != self.ignore)))
        return self.prediction.size > 0

    def nan_mean(self) -> bool:
        """Whether the mean is NaN by definition (an empty batch, every target ignored,
        a zero weight sum): the documented 0/0 of every loss but the guarded ratios of
        soft confusion-matrix counts (a score of 0)."""
        if self.unit == "scalar":  # one value for the batch: NaN when it is empty
            return declaration(self.name).unit == "batch" and self.prediction.size == 0
        if self.unit == "anchor":  # no anchor with a positive: 0, never NaN
            return False
        if self.unit == "list":  # no list ranks anything: 0; only an empty batch is NaN
            return self.prediction.size == 0
        if self.unit == "kept_image":  # no sample counts: 0; only an empty batch is NaN
            return self.args[1].ndim > 0 and self.args[1].shape[0] == 0
        return self.count() == 0.0

    def batch_axes(self) -> dict[str, int] | None:
        """Where the batch axis (the first axis that is not the class axis) lies in each
        argument and array option that has it (keys ``"arg0"``, ``"arg1"``, option
        names); ``None`` when the prediction has no batch axis."""
        pred = self.prediction
        if self.unit == "sequence":  # (N, T, C) or (T, N, C); the rest (N, ...)
            first = 1 if self.kwargs.get("time_axis", 1) == 0 else 0
            return {"arg0": first, **{f"arg{i}": 0 for i in range(1, len(self.args))}}
        b = 1 if self.axis == 0 else 0
        if pred.ndim <= b or (self.axis is not None and pred.ndim < 2):
            return None
        out = {"arg0": b}
        for i, a in enumerate(self.args[1:], start=1):
            if a.ndim == pred.ndim and a.shape[b] == pred.shape[b]:
                out[f"arg{i}"] = b  # (not an axis of size 1 shared by the batch)
            elif a.ndim == pred.ndim - 1 and self.axis is not None:
                out[f"arg{i}"] = 0  # class indices: the class axis removed
            elif a.ndim == pred.ndim - 1 and b < a.ndim:
                out[f"arg{i}"] = b  # a variance without the prediction's last axis
        for k, v in self.kwargs.items():
            kind = self.option_kinds.get(k)
            if kind in ("sample_weight", "row_labels"):  # (one label per row: a row_labels array)
                out[k] = 0
            elif kind == "mask" and v is not None:  # (the prediction's shape)
                out[k] = b
            elif kind in ("element_weight", "pos_weight") and not isinstance(v, (int, float)):
                n = np.ndim(v)
                j = b - (pred.ndim - n)  # aligned with the prediction from the right
                if 0 <= j < n and np.shape(v)[j] == pred.shape[b]:
                    out[k] = j
        return out

    def permuted(self, perm: Sequence[int]) -> Example:
        """The same call with the batch permuted by ``perm`` (arguments and options)."""
        axes = self.batch_axes()
        assert axes is not None
        idx = np.asarray(perm, dtype=np.int64)

        def take(v: Any, ax: int) -> Any:
            out = np.take(np.asarray(v), idx, axis=ax)
            return out.tolist() if isinstance(v, list) else out
        args = tuple(take(a, axes[f"arg{i}"]) if f"arg{i}" in axes else a
                     for i, a in enumerate(self.args))
        kwargs = {k: take(v, axes[k]) if k in axes else v for k, v in self.kwargs.items()}
        return replace(self, args=args, kwargs=kwargs)

    def input_scale(self) -> float:
        """max(1, the largest magnitude of a floating input)."""
        m = [float(np.max(np.abs(a))) for a in self.args if a.dtype.kind == "f" and a.size]
        return max([1.0, *m])


def _show(v: Any) -> str:
    """An array as code that rebuilds it exactly (floats by repr: every digit)."""
    if isinstance(v, np.ndarray):
        dtype = "" if v.dtype.kind == "f" else f", dtype=np.{v.dtype}"
        return f"np.array({v.tolist()!r}{dtype})"
    return repr(v)
