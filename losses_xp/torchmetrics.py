"""torchmetrics metrics whose states are the sums of ``losses_xp.streaming``.

Each class is a ``torchmetrics.Metric`` built from one streaming state
(``losses_xp.streaming``): its states are that state's sums (``add_state(...,
dist_reduce_fx="sum")``, so torchmetrics' DDP sync, ``merge_state``, ``reset``,
``state_dict`` and ``.to(device)`` work as for any torchmetrics metric), ``update`` is
the state's update and ``compute`` its value.  The metric itself stays the one
array-API code.

==============================  ========================  ==============================
class                           streaming state           ``compute()``
==============================  ========================  ==============================
:class:`HammingLoss`            ``HammingLossState``      ``hamming_loss`` (lower is
                                                          better)
:class:`TopKAccuracy`           ``TopKAccuracyState``     ``top_k_accuracy``
:class:`ConfusionMatrixMetric`  ``ConfusionMatrixState``  the ``metric`` of ``any_loss``
                                                          (``f1`` ...): ``1 - any_loss``
==============================  ========================  ==============================

The states start as zeros of PyTorch's default dtype (``num_classes`` of them per
count for a multi-class :class:`ConfusionMatrixMetric`, so that every rank's states
have one shape) and take the inputs' dtype at the first update.

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch  # type: ignore[import-not-found,unused-ignore]
from torchmetrics import Metric  # type: ignore[import-not-found,unused-ignore]

from ._adapters import higher_is_better
from ._declare import declaration
from .streaming import ConfusionMatrixState, HammingLossState, TopKAccuracyState, _State

__all__ = ["ConfusionMatrixMetric", "HammingLoss", "TopKAccuracy"]


class _StreamingMetric(Metric):  # type: ignore[misc,unused-ignore]
    """A ``torchmetrics.Metric`` whose states are the sums of a streaming state."""

    STATE: ClassVar[type[_State]]
    is_differentiable = False
    full_state_update = False

    def __init__(self, config: dict[str, Any], shape: tuple[int, ...] = (),
                 compute_options: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._config = config
        self._compute_options = compute_options or {}
        for name in self.STATE.SUMS:
            self.add_state(name, default=torch.zeros(shape), dist_reduce_fx="sum")

    def _state(self) -> Any:
        return self.STATE.from_arrays({n: getattr(self, n) for n in self.STATE.SUMS},
                                      **self._config)

    def update(self, preds: Any, target: Any, **kwargs: Any) -> None:
        """Add the batch ``(preds, target)`` (and the state's per-call arguments, e.g.
        ``sample_weight`` of :class:`HammingLoss`)."""
        for name, value in self._state().update(preds, target, **kwargs).arrays.items():
            setattr(self, name, value)

    def compute(self) -> Any:
        """The metric of every batch accumulated (and synced across processes)."""
        return self._state().compute(**self._compute_options)


class HammingLoss(_StreamingMetric):
    """:func:`losses_xp.hamming_loss` accumulated over batches (``HammingLossState``).

    Parameters
    ----------
    threshold : float
        As in ``hamming_loss``: scores above it are positives (0.0 for logits).
    **kwargs
        ``torchmetrics.Metric``'s arguments (``dist_sync_on_step`` ...).

    Examples
    --------
    >>> import torch, losses_xp.torchmetrics as lxm
    >>> metric = lxm.HammingLoss()
    >>> metric.update(torch.tensor([[0.9, 0.2], [0.4, 0.8]]), torch.tensor([[1, 0], [1, 1]]))
    >>> metric.update(torch.tensor([[0.1, 0.7]]), torch.tensor([[0, 0]]))
    >>> float(metric.compute())
    0.3333333432674408
    """

    STATE = HammingLossState
    higher_is_better = higher_is_better(declaration("hamming_loss"))

    def __init__(self, threshold: float = 0.5, **kwargs: Any) -> None:
        super().__init__({"threshold": threshold}, **kwargs)


class TopKAccuracy(_StreamingMetric):
    """:func:`losses_xp.top_k_accuracy` accumulated over batches (``TopKAccuracyState``).

    Parameters
    ----------
    k, axis
        As in ``top_k_accuracy``.
    **kwargs
        ``torchmetrics.Metric``'s arguments.

    Examples
    --------
    >>> import torch, losses_xp.torchmetrics as lxm
    >>> metric = lxm.TopKAccuracy(k=2)
    >>> metric.update(torch.tensor([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]]), torch.tensor([2, 1]))
    >>> float(metric.compute())
    0.5
    """

    STATE = TopKAccuracyState
    higher_is_better = higher_is_better(declaration("top_k_accuracy"))

    def __init__(self, k: int = 1, axis: int | None = None, **kwargs: Any) -> None:
        super().__init__({"k": k, "axis": axis}, **kwargs)


class ConfusionMatrixMetric(_StreamingMetric):
    """A metric of :func:`losses_xp.any_loss` (``f1``, ``mcc`` ...) from the soft
    confusion matrix accumulated over batches (``ConfusionMatrixState``): ``1 -
    any_loss`` of the whole stream.

    Parameters
    ----------
    metric, beta, average
        As in ``any_loss`` (``metric`` may be a callable of ``(tp, fn, fp, tn)``).
    num_classes : int, optional
        With ``axis`` (multi-class): the number of classes, the states' shape.
    L, axis, from_logits
        As in ``soft_confusion_matrix`` (a large ``L``, e.g. ``1e4``: the hard counts
        of probabilities away from 0.5).
    **kwargs
        ``torchmetrics.Metric``'s arguments.

    Examples
    --------
    >>> import torch, losses_xp as lx, losses_xp.torchmetrics as lxm
    >>> p = torch.tensor([0.9, 0.2, 0.8, 0.1]); y = torch.tensor([1, 0, 0, 1])
    >>> f1 = lxm.ConfusionMatrixMetric("f1")
    >>> f1.update(p[:3], y[:3]); f1.update(p[3:], y[3:])
    >>> round(float(f1.compute()), 4), round(1 - float(lx.any_loss(p, y, metric="f1")), 4)
    (0.5, 0.5)
    """

    STATE = ConfusionMatrixState
    higher_is_better = True

    def __init__(self, metric: Any = "f1", *, num_classes: int | None = None,
                 L: float = 73.0, axis: int | None = None, from_logits: bool = False,
                 beta: float = 1.0, average: str = "macro", **kwargs: Any) -> None:
        if axis is not None and (isinstance(num_classes, bool)
                                 or not isinstance(num_classes, int) or num_classes < 1):
            raise ValueError(f"`num_classes` must be an int >= 1 with a class axis (axis="
                             f"{axis}): the states' shape; got {num_classes!r}")
        shape = (num_classes,) if axis is not None and num_classes is not None else ()
        super().__init__({"L": L, "axis": axis, "from_logits": from_logits}, shape,
                         {"metric": metric, "beta": beta, "average": average}, **kwargs)
