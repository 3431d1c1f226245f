"""Streaming metrics: mergeable states that accumulate a metric over batches and ranks.

A state holds a few sums (plain arrays of the inputs' library), so that

- ``state.update(prediction, target)`` returns a **new** state with one more batch
  added (states are immutable: an update is a pure function, usable under ``jax.jit``
  and ``torch.compile``, and a state can be carried through a ``lax.scan``);
- ``a.merge(b)`` is the state of both streams (the sums added);
- ``state.arrays`` (a dict of arrays) and ``State.from_arrays(arrays, **config)`` move the
  sums through any collective: all-reduce (sum) each array across ranks
  (``torch.distributed.all_reduce``, ``jax.lax.psum``) and rebuild the state;
- ``state.compute()`` is the metric of everything accumulated.

Because every state is a sum over samples, the streamed value equals the one-shot
function on the concatenated batches (up to the order of floating-point additions): no
mean of per-batch means.

=============================  ==============================  =========================
state                          sums (``arrays``)               ``compute()`` equals
=============================  ==============================  =========================
:class:`HammingLossState`      ``wrong`` (the weighted wrong   :func:`hamming_loss`
                               labels), ``count`` (weights)
:class:`TopKAccuracyState`     ``hits``, ``count`` (samples)   :func:`top_k_accuracy`
:class:`ConfusionMatrixState`  ``tp``, ``fn``, ``fp``, ``tn``  a ``metric`` of
                               (soft counts)                   :func:`any_loss`
                                                               (``1 - any_loss``)
=============================  ==============================  =========================

The soft counts are those of :func:`soft_confusion_matrix`.
The sums are kept in the inputs' floating dtype (float32 for half precision): counts
in float32 are exact up to 2**24 samples, so accumulate float64 inputs beyond that.
A state that has seen no batch holds Python zeros and cannot ``compute()``.
``losses_xp.torchmetrics`` wraps each state as a ``torchmetrics.Metric``.

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from ._compat import Array, Namespace, device, namespace
from ._reduction import cast, finish, mean, ratio
from ._validation import check_reduction, refuse_parts
from .anyloss import Counts, counts_metric, soft_confusion_matrix
from .metrics import hamming_terms, top_k_accuracy

__all__ = ["ConfusionMatrixState", "HammingLossState", "TopKAccuracyState"]

S = TypeVar("S", bound="_State")


@dataclasses.dataclass(frozen=True)
class _State:
    """A tuple of sums (:attr:`SUMS`) and the static configuration (the other fields)."""

    #: the names of the summed fields (the arrays that an all-reduce adds)
    SUMS: ClassVar[tuple[str, ...]] = ()

    @property
    def arrays(self) -> dict[str, Array]:
        """The sums by name (arrays, or Python ``0.0`` before the first update): add
        them across ranks, then :meth:`from_arrays`."""
        return {name: getattr(self, name) for name in self.SUMS}

    @property
    def config(self) -> dict[str, Any]:
        """The static options (everything but the sums)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name not in self.SUMS}

    @classmethod
    def from_arrays(cls: type[S], arrays: Mapping[str, Array], **config: Any) -> S:
        """The state with the sums ``arrays`` (e.g. all-reduced ones) and the options
        ``config`` (as in the constructor)."""
        missing = set(cls.SUMS) - set(arrays)
        extra = set(arrays) - set(cls.SUMS)
        if missing or extra:
            raise ValueError(
                f"`arrays` must have exactly the keys {sorted(cls.SUMS)}; got "
                f"{sorted(arrays)}")
        return cls(**config, **dict(arrays))

    def merge(self: S, other: S) -> S:
        """The state of both streams: each sum added (the options must agree)."""
        if type(other) is not type(self):
            raise TypeError(f"`other` must be a {type(self).__name__}; got "
                            f"{type(other).__name__}")
        if other.config != self.config:
            raise ValueError(f"`other` must have the options {self.config}; got "
                             f"{other.config}")
        return self._add(*(other.arrays[name] for name in self.SUMS))

    def _add(self: S, *sums: Array) -> S:
        added = {name: _plus(getattr(self, name), s)
                 for name, s in zip(self.SUMS, sums, strict=True)}
        return dataclasses.replace(self, **added)

    def _namespace(self) -> Namespace:
        arrays = {k: v for k, v in self.arrays.items() if not _nothing(v)}
        if not arrays:
            raise ValueError(f"this {type(self).__name__} has accumulated nothing: call "
                             f"`update` first")
        return namespace(arrays)


def _nothing(x: object) -> bool:
    """A sum that has seen no batch: the Python number it starts at."""
    return type(x) in (int, float)


def _plus(a: Array, b: Array) -> Array:
    """``a + b`` (arrays, or a Python starting value), a 0-d array on NumPy too."""
    if _nothing(a):
        return b
    if _nothing(b):
        return a
    total = a + b
    return cast(namespace({"sum": total}), total, total.dtype)


def _count(xp: Namespace, n: int, like: Array) -> Array:
    """The number ``n`` as a 0-d array of ``like``'s dtype and device."""
    return xp.asarray(float(n), dtype=like.dtype, device=device(like))


@dataclasses.dataclass(frozen=True)
class HammingLossState(_State):
    """The streaming :func:`hamming_loss`: the weighted number of wrong labels and the
    weighted number of samples.

    Parameters
    ----------
    threshold : float
        As in :func:`hamming_loss` (fixed for the stream).
    wrong, count : array or float
        The sums (start at 0): :math:`\\sum_i s_i \\mathrm{HL}_i` and :math:`\\sum_i s_i`
        (the number of samples without ``sample_weight``).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> from losses_xp.streaming import HammingLossState
    >>> y = np.array([[0, 1, 1], [1, 0, 0], [1, 1, 0]])
    >>> p = np.array([[0, 1, 0], [1, 0, 0], [0, 1, 0]])
    >>> state = HammingLossState().update(p[:1], y[:1]).update(p[1:], y[1:])
    >>> float(state.compute()) == float(lx.hamming_loss(p, y)) == 2 / 9
    True
    """

    threshold: float = 0.5
    wrong: Array = 0.0
    count: Array = 0.0
    SUMS: ClassVar[tuple[str, ...]] = ("wrong", "count")

    def update(self, input: Array, target: Array, *,
               sample_weight: Array | None = None) -> HammingLossState:
        """The state with the batch ``(input, target)`` added (arguments as in
        :func:`hamming_loss`)."""
        xp, terms, weight, _ = hamming_terms(input, target, self.threshold, sample_weight)
        n = xp.sum(weight) if weight is not None else _count(xp, terms.shape[0], terms)
        return self._add(xp.sum(terms), n)

    def compute(self) -> Array:
        """The Hamming loss of every batch accumulated (NaN for zero weight)."""
        xp = self._namespace()
        return ratio(xp, xp.asarray(self.wrong), xp.asarray(self.count))


@dataclasses.dataclass(frozen=True)
class TopKAccuracyState(_State):
    """The streaming :func:`top_k_accuracy`: the number of hits and of samples.

    Parameters
    ----------
    k, axis
        As in :func:`top_k_accuracy` (fixed for the stream).
    hits, count : array or float
        The sums (start at 0).

    Examples
    --------
    >>> import numpy as np
    >>> from losses_xp.streaming import TopKAccuracyState
    >>> s = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.3, 0.5]])
    >>> a = TopKAccuracyState(k=2).update(s[:2], np.array([2, 1]))
    >>> b = TopKAccuracyState(k=2).update(s[2:], np.array([0]))
    >>> float(a.merge(b).compute())
    0.3333333333333333
    """

    k: int = 1
    axis: int | None = None
    hits: Array = 0.0
    count: Array = 0.0
    SUMS: ClassVar[tuple[str, ...]] = ("hits", "count")

    def update(self, scores: Array, target: Array) -> TopKAccuracyState:
        """The state with the batch ``(scores, target)`` added (as in
        :func:`top_k_accuracy`)."""
        hits = top_k_accuracy(scores, target, k=self.k, axis=self.axis, reduction="sum")
        xp = namespace({"scores": scores})
        return self._add(hits, _count(xp, math.prod(target.shape), hits))

    def compute(self) -> Array:
        """The top-k accuracy of every batch accumulated (NaN for no sample)."""
        xp = self._namespace()
        return ratio(xp, xp.asarray(self.hits), xp.asarray(self.count))


@dataclasses.dataclass(frozen=True)
class ConfusionMatrixState(_State):
    """The streaming (soft) confusion matrix of :func:`soft_confusion_matrix`, and every
    metric of :func:`any_loss` computed from it.

    The counts are sums over the samples, so the accumulated matrix is the matrix of
    the concatenated batches, and ``compute(metric)`` is ``1 - any_loss(...)`` of the
    whole stream.  With a large ``L`` (e.g. ``1e4``) and probabilities away from 0.5 the
    soft counts are the hard ones (``sklearn.metrics.confusion_matrix``).

    Parameters
    ----------
    L, axis, from_logits
        As in :func:`soft_confusion_matrix` (fixed for the stream): ``axis=None`` pools
        binary / multi-label elements into scalar counts, an ``axis`` gives one-vs-rest
        counts per class, shape ``(C,)``.
    tp, fn, fp, tn : array or float
        The counts (start at 0).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> from losses_xp.streaming import ConfusionMatrixState
    >>> p = np.array([0.9, 0.2, 0.8, 0.1]); y = np.array([1, 0, 0, 1])
    >>> state = ConfusionMatrixState().update(p[:3], y[:3]).update(p[3:], y[3:])
    >>> [round(float(c), 4) for c in state.arrays.values()]
    [1.0, 1.0, 1.0, 1.0]
    >>> round(float(state.compute("f1")), 4), round(1 - float(lx.any_loss(p, y)), 4)
    (0.5, 0.5)
    """

    L: float = 73.0
    axis: int | None = None
    from_logits: bool = False
    tp: Array = 0.0
    fn: Array = 0.0
    fp: Array = 0.0
    tn: Array = 0.0
    SUMS: ClassVar[tuple[str, ...]] = ("tp", "fn", "fp", "tn")

    def update(self, probs: Array, target: Array) -> ConfusionMatrixState:
        """The state with the counts of the batch ``(probs, target)`` added (as in
        :func:`soft_confusion_matrix`)."""
        return self._add(*soft_confusion_matrix(probs, target, L=self.L, axis=self.axis,
                                                from_logits=self.from_logits))

    def _scores(self, metric: str | Callable[[Array, Array, Array, Array], Array],
                beta: float, average: str) -> tuple[Namespace, Array, Any]:
        score = counts_metric(metric, beta=beta, average=average,
                              multiclass=self.axis is not None)
        xp = self._namespace()
        counts: Counts = tuple(xp.asarray(c) for c in (self.tp, self.fn, self.fp, self.tn))
        return xp, score(xp, counts), counts[0].dtype

    def compute(self, metric: str | Callable[[Array, Array, Array, Array], Array] = "f1", *,
                beta: float = 1.0, average: str = "macro") -> Array:
        """The metric of the accumulated counts: ``metric``, ``beta`` and ``average`` as
        in :func:`any_loss` (multi-class ``macro``: the mean of the per-class scores).
        Equal to ``1 - any_loss(...)`` of every batch at once."""
        xp, score, _ = self._scores(metric, beta, average)
        return mean(xp, score) if score.ndim else score

    def loss(self, metric: str | Callable[[Array, Array, Array, Array], Array] = "f1", *,
             beta: float = 1.0, average: str = "macro", reduction: str = "mean") -> Array:
        """:func:`any_loss` of every batch accumulated (``1 - metric``, per class with
        multi-class ``macro``, reduced as ``reduction``)."""
        refuse_parts(check_reduction(reduction), "ConfusionMatrixState.loss",
                     "as any_loss's, its value is a metric of the counts, not a sum over "
                     "samples; merge the states (or all-reduce their arrays) instead")
        xp, score, dtype = self._scores(metric, beta, average)
        loss = 1.0 - score
        return finish(xp, loss, dtype, reduction if loss.ndim else "none")
