r"""Sequence losses: connectionist temporal classification (CTC).

Conventions shared by this module:

* ``log_probs`` first: log-probabilities over ``C`` classes (the blank included) per
  time step, **batch-major** ``(N, T, C)`` by default (``time_axis=1``); PyTorch's
  time-major ``(T, N, C)`` with ``time_axis=0``.  Real floating; each step's values
  are used as they are (a ``log_softmax`` output: they are not renormalised).
* The label sequences are **padded**, ``(N, S)`` integer class indices, sequence ``n``
  being its first ``target_lengths[n]`` entries; the padding after them may hold any
  integer (it is never read: masked, then clipped before the gather).  PyTorch's
  concatenated 1-D form is not accepted: its padded shape depends on the largest
  length, a value (a host sync); pad the sequences instead.
* ``input_lengths`` and ``target_lengths``: one integer per sequence, shape ``(N,)``,
  in ``[0, T]`` and ``[0, S]``.  Lengths act through ``where`` masks: no boolean
  indexing, no Python branch on a value, no host sync, so the losses run under
  ``jax.jit`` / ``torch.compile`` and lazily on Dask.
* The recursion over time is the ``scan`` primitive of ``losses_xp._primitives``:
  ``jax.lax.scan`` on JAX (``jax.jit(jax.grad(...))`` compiles in a time independent
  of ``T``), a Python loop elsewhere.
* Log-zero is a finite value derived from the compute dtype, ``-finfo.max / 8``, never
  ``-inf`` (whose ``logaddexp`` has a NaN gradient): values and gradients stay finite,
  and an alignment that is impossible is recognised by a log-likelihood below half of
  it.  Half precision is computed in float32 and returned in the input dtype.
"""

from __future__ import annotations

import math
from typing import Any

from ._compat import Array, Namespace, device, is_empty, namespace, stop_gradient
from ._declare import declare
from ._primitives import clip, gather_at_class, scan
from ._reduction import cast, finish
from ._validation import (
    check_reduction,
    dtype_name,
    either,
    floating_input,
    values_in_range,
)

__all__ = ["ctc_loss"]


def _log_zero(xp: Namespace, dtype: Any) -> float:
    """The finite log-zero of a compute dtype: far below any log-likelihood of finite
    log-probabilities, far above ``-finfo.max`` (sums of a few such stay finite)."""
    return -float(xp.finfo(dtype).max) / 8.0


def _lse3(xp: Namespace, a: Array, b: Array, c: Array) -> Array:
    """log(e^a + e^b + e^c) shifted by the maximum (its gradient stopped: the result's
    gradient does not depend on the shift), finite for finite inputs."""
    m = stop_gradient(xp, xp.maximum(xp.maximum(a, b), c))
    return m + xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m))


def _lengths(xp: Namespace, x: Array, name: str, n: int, hi: int) -> Array | None:
    """Check one length per sequence: integer dtype, shape ``(n,)``, values in
    ``[0, hi]`` (an essential check: PyTorch checks too)."""
    if not xp.isdtype(x.dtype, "integral"):
        raise TypeError(f"`{name}` must have an integer dtype (one length per sequence); "
                        f"got {dtype_name(x.dtype)}")
    if tuple(x.shape) != (n,):
        raise ValueError(f"`{name}` must have one length per sequence, shape ({n},); got "
                         f"shape {tuple(x.shape)}")
    return values_in_range(xp, x, 0, hi, name, essential=True)


@declare(prediction="log_prob_sequences", target="label_sequences",
         inputs={"input_lengths": "input_lengths", "target_lengths": "target_lengths"},
         options={"blank": "class_index", "time_axis": (1, 0), "zero_infinity": "flag"},
         growth="linear", unit="sequence", min_ndim=3, max_ndim=3, signed=True,
         peers={"pytorch": ("F.ctc_loss", "nn.CTCLoss"), "optax": ("optax.ctc_loss",),
                "keras": ("keras.losses.CTC", "keras.ops.ctc_loss")})
def ctc_loss(log_probs: Array, targets: Array, input_lengths: Array, target_lengths: Array,
             *, blank: int = 0, time_axis: int = 1, zero_infinity: bool = False,
             reduction: str = "mean") -> Array:
    r"""Connectionist temporal classification (CTC): the negative log-likelihood of a
    label sequence summed over all its alignments with the input frames.

    .. math::
        \ell_n = -\log \sum_{\pi \in \mathcal{B}^{-1}(y_n)}
                 \prod_{t=1}^{T_n} p_t(\pi_t)

    over the paths :math:`\pi` of length :math:`T_n` (``input_lengths[n]``) that
    collapse to the labels :math:`y_n` (the first ``target_lengths[n]`` entries of
    ``targets[n]``) once repeats are merged and blanks removed.  Evaluated by the
    forward (alpha) recursion of Graves et al. in log space over the extended sequence
    :math:`l' = (\varnothing, y_1, \varnothing, \dots, y_S, \varnothing)`:
    :math:`\alpha_t(s) = \mathrm{lse}(\alpha_{t-1}(s), \alpha_{t-1}(s-1),
    \alpha_{t-1}(s-2)) + \log p_t(l'_s)`, the third term only where :math:`l'_s` is a
    label that differs from :math:`l'_{s-2}` (a repeated label needs a blank between
    its copies), and :math:`\ell_n = -\mathrm{lse}(\alpha_{T_n}(2S_n),
    \alpha_{T_n}(2S_n - 1))`.  Frames at or after ``input_lengths[n]`` leave the
    recursion unchanged (a ``where``).  The log-zero is the finite ``-finfo.max / 8`` of
    the compute dtype: values and gradients stay finite; where no alignment exists
    (more labels, with the blanks that repeats need, than frames) the loss is ``+inf``,
    or 0 with a zero gradient with ``zero_infinity=True``; never NaN.  Gradients by
    autodiff through the recursion (a ``scan``: ``jax.lax.scan`` on JAX).  The loss is
    >= 0 for log-probabilities that are normalised at each frame; rows whose
    probabilities sum to more than 1 (rounded to a low precision, say) can make it
    slightly negative, as PyTorch's: nothing is clamped.

    Parameters
    ----------
    log_probs : array
        ``(N, T, C)`` log-probabilities (``time_axis=1``, the default) or ``(T, N, C)``
        (``time_axis=0``, PyTorch's layout), real floating; typically a
        ``log_softmax`` over the last axis.
    targets : array
        ``(N, S)`` integer class indices in ``[0, C)``, each sequence padded after its
        length (the padding is never read).  A blank among the labels is not checked
        (PyTorch does not either): it is then a label of its own.
    input_lengths, target_lengths : array
        ``(N,)`` integers in ``[0, T]`` and ``[0, S]``.
    blank : int
        The blank class, an int in ``[0, C)`` (default 0).
    time_axis : {1, 0}
        The time axis of ``log_probs``: 1 (batch-major, the default) or 0 (time-major).
    zero_infinity : bool
        Give an impossible alignment the loss 0 and a zero gradient instead of ``inf``
        (default False).
    reduction : {'mean', 'sum', 'none'}
        ``none``: one value per sequence, shape ``(N,)``; ``sum``: their sum; ``mean``
        (PyTorch's): each sequence's loss divided by its target length clamped at 1,
        then averaged over the ``N`` sequences (NaN for ``N = 0``).

    Notes
    -----
    Differences from peers:

    * PyTorch ``F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0,
      reduction="mean", zero_infinity=False)``: time-major ``(T, N, C)`` (here
      ``time_axis=0``); the same values and ``mean``.  PyTorch also takes the targets
      concatenated in 1-D, and lengths as tuples; here padded ``(N, S)`` arrays only.
      PyTorch's gradient with respect to ``log_probs`` is the gradient with respect to
      the logits of a ``log_softmax`` that produced them (it adds ``exp(log_probs)``):
      equal to ours once composed with ``log_softmax``, not for arbitrary
      ``log_probs``, where ours is the derivative of the value.  An impossible alignment
      without ``zero_infinity`` has a zero gradient here.
    * optax ``ctc_loss(logits, logit_paddings, labels, label_paddings, blank_id=0,
      log_epsilon=-1e5)``: batch-major logits (it applies ``log_softmax`` itself),
      paddings (1.0 = padded) instead of lengths, unreduced; its log-zero ``-1e5`` makes
      an impossible alignment a large finite value, not ``inf``.  ``ctc_loss(
      jax.nn.log_softmax(logits), labels, T - logit_paddings.sum(1), S -
      label_paddings.sum(1), reduction="none")`` is optax's value.
    * PyTorch's native kernel is not used behind the seam (no fast path): its
      backward subtracts two log-likelihoods of the size of the loss, so its gradient
      loses every digit at large log-probabilities (``-inf`` at ``-7e34`` in float32,
      measured, where this recursion stays finite), and ``aten::_ctc_loss`` has no
      meta implementation, so ``torch.compile`` cannot trace it.
    * Keras ``keras.ops.ctc_loss(target, output, target_length, output_length,
      mask_index=0)``: batch-major logits (``log_softmax`` applied inside), ``mask_index``
      the blank, unreduced.  ``keras.losses.CTC`` / ``keras.losses.ctc(y_true, y_pred)``
      take every sequence as ``T`` frames long and count the labels that are not 0
      (the blank doubles as the padding): ``ctc_loss(log_softmax(y_pred), y_true,
      full(N, T), (y_true != 0).sum(-1), reduction="none")``.

    References
    ----------
    A. Graves, S. Fernández, F. Gomez, J. Schmidhuber, "Connectionist Temporal
    Classification: Labelling Unsegmented Sequence Data with Recurrent Neural
    Networks", ICML (2006).

    Examples
    --------
    >>> import numpy as np, losses_xp as lx
    >>> lp = np.log(np.full((1, 3, 3), 1.0 / 3.0))  # 3 frames, uniform over 3 classes
    >>> t = np.array([[1, 2]])
    >>> lx.ctc_loss(lp, t, np.array([3]), np.array([2]), reduction="none")  # 5 paths
    array([1.68639895])
    >>> lx.ctc_loss(lp, np.array([[1, 1]]), np.array([2]), np.array([2]),
    ...             reduction="none")  # a repeat needs a blank: no alignment in 2 frames
    array([inf])
    """
    check_reduction(reduction)
    if type(zero_infinity) is not bool:
        raise TypeError(f"`zero_infinity` must be a bool; got {type(zero_infinity).__name__}")
    if isinstance(time_axis, bool) or time_axis not in (1, 0):
        raise ValueError(f"`time_axis` must be one of 1, 0; got {time_axis!r}")
    xp = namespace({"log_probs": log_probs, "targets": targets,
                    "input_lengths": input_lengths, "target_lengths": target_lengths})
    out, compute = floating_input(xp, log_probs, "log_probs")
    if log_probs.ndim == 0:
        raise ValueError("`log_probs` must have at least 1 dimension (samples); got a 0-d "
                         "array")
    if log_probs.ndim != 3:
        raise ValueError("`log_probs` must have 3 dimensions, (N, T, C) (time_axis=1) or "
                         f"(T, N, C) (time_axis=0); got shape {tuple(log_probs.shape)}")
    lp = cast(xp, log_probs, compute)
    if time_axis == 0:
        lp = xp.permute_dims(lp, (1, 0, 2))
    N, T, C = (int(d) for d in lp.shape)
    if type(blank) is not int and not (hasattr(blank, "__index__")
                                       and not isinstance(blank, bool)
                                       and type(blank).__module__ == "numpy"):
        raise TypeError(f"`blank` must be an int (Python or NumPy integer); got "
                        f"{type(blank).__name__}")
    blank = int(blank)
    if not 0 <= blank < C:
        raise ValueError(f"`blank` must be a class index in [0, {C}) (C = {C}, the "
                         f"last axis of `log_probs`); got {blank}")
    if not xp.isdtype(targets.dtype, "integral"):
        raise TypeError(f"`targets` must have an integer dtype (class indices); got "
                        f"{dtype_name(targets.dtype)}")
    if targets.ndim != 2 or int(targets.shape[0]) != N:
        raise ValueError(f"`targets` must be padded label sequences of shape ({N}, S) "
                         f"(one row per sequence of `log_probs`); got shape "
                         f"{tuple(targets.shape)}")
    S = int(targets.shape[1])
    invalid = either(_lengths(xp, input_lengths, "input_lengths", N, T),
                     _lengths(xp, target_lengths, "target_lengths", N, S))
    dev = device(lp)
    idx = xp.int32  # (lengths and class indices: int32 exists on every backend, JAX too)
    tl = _as(xp, target_lengths, idx)
    il = _as(xp, input_lengths, idx)
    pos = xp.arange(S, dtype=idx, device=dev)
    used = xp.reshape(pos, (1, S)) < xp.reshape(tl, (N, 1))  # (N, S): the labels
    invalid = either(invalid, values_in_range(xp, xp.where(used, targets, 0), 0, C - 1,
                                              "targets", essential=True))
    lab = _as(xp, targets, idx)
    if is_empty(lp) and not (N and T == 0):  # no sequence, or no class
        loss = xp.zeros((N,), dtype=compute, device=dev) + xp.sum(lp, axis=(1, 2))
        return _end(xp, loss, tl, out, reduction, invalid)
    lab = clip(xp, xp.where(used, lab, blank), min=0, max=C - 1)  # (padding: the blank)
    # no alignment: fewer frames than labels plus the blanks between repeated labels
    if S:
        again = (lab[:, 1:] == lab[:, :-1]) & used[:, 1:]
        need = tl + xp.sum(xp.astype(again, idx), axis=1)
    else:
        need = tl
    impossible = il < need
    # the extended sequence (blank, y1, blank, y2, ..., yS, blank): L = 2S + 1
    L = 2 * S + 1
    # (l'_s = y_j at s = 2 j + 1: a where-sum over j, no reshape of an interleaving,
    # which Dask cannot do for every chunking)
    s_all = xp.arange(L, dtype=idx, device=dev)
    j_all = xp.arange(S, dtype=idx, device=dev)
    at = xp.reshape(s_all, (L, 1)) == 2 * xp.reshape(j_all, (1, S)) + 1  # (L, S)
    picked = xp.sum(xp.where(at, xp.reshape(lab, (N, 1, S)), 0), axis=2)
    ext = xp.where(xp.reshape(s_all % 2 == 1, (1, L)), picked, blank)
    # a skip from s - 2 to s: l'_s a label that differs from l'_{s-2}
    prev2 = xp.concat([xp.full((N, 2), blank, dtype=idx, device=dev), ext], axis=1)[:, :L]
    skip = (ext != blank) & (ext != prev2)
    neg = _log_zero(xp, compute)
    # emissions log p_t(l'_s): (N, T, L), then time first for the scan
    em = gather_at_class(xp, xp.expand_dims(lp, axis=2),
                         xp.broadcast_to(xp.reshape(ext, (N, 1, L)), (N, T, L)), axis=3) \
        if T else xp.zeros((N, 0, L), dtype=compute, device=dev)
    s_pos = xp.reshape(xp.arange(L, dtype=idx, device=dev), (1, L))
    lo = xp.full((N, 1), neg, dtype=compute, device=dev)
    lo2 = xp.full((N, 2), neg, dtype=compute, device=dev)
    # alpha before the first frame: the empty prefix (a virtual s = -1 of probability 1)
    zeros = xp.zeros((N, L), dtype=compute, device=dev)
    start = xp.where(s_pos == 0, zeros, neg)
    steps = xp.arange(T, dtype=idx, device=dev)
    il_col = xp.reshape(il, (N, 1))

    def step(alpha: Array, x: tuple[Array, Array]) -> tuple[Array, None]:
        e_t, t = x
        # alpha shifted by one and two places (L may be 1: sliced after the concat)
        a1 = xp.concat([lo, alpha], axis=1)[:, :L]
        a2 = xp.where(skip, xp.concat([lo2, alpha], axis=1)[:, :L], neg)
        new = _lse3(xp, alpha, a1, a2) + e_t
        # (the first frame: only s = 0 and s = 1 are reachable, from the empty prefix)
        return xp.where(t < il_col, new, alpha), None

    # the first frame enters from `start` as s = 0 would: alpha_0(0) = 0 shifts to s = 0, 1
    first = xp.where(s_pos <= 1, zeros, neg)
    alpha0 = xp.where(il_col > 0, first, start)
    alpha, _ = scan(xp, _first_step(xp, step, il_col, neg), alpha0,
                    (xp.moveaxis(em, 1, 0), steps))
    # the end: s = 2 S_n (a final blank) or 2 S_n - 1 (the last label)
    end = 2 * xp.reshape(tl, (N, 1))
    at_end = (s_pos == end) | ((s_pos == end - 1) & (end > 0))
    picked = xp.where(at_end, alpha, neg)
    m = stop_gradient(xp, xp.max(picked, axis=1, keepdims=True))
    ll = xp.squeeze(m, axis=1) + xp.log(xp.sum(xp.exp(picked - m), axis=1))
    impossible = impossible | (ll < 0.5 * neg)  # (a blank among the labels: no rule)
    loss = xp.where(impossible, 0.0 if zero_infinity else math.inf, 0.0 - ll)  # (no -0.0)
    return _end(xp, loss, tl, out, reduction, invalid)


def _first_step(xp: Namespace, step: Any, il_col: Array, neg: float) -> Any:
    """``step`` with the first frame's entry: before it only the empty prefix exists, so
    ``alpha`` starts as 0 at ``s = 0, 1`` (both reachable from it) and the first step
    adds the emissions only (no transition: a virtual ``alpha_{-1}`` would reach
    ``s = 2`` too)."""
    def run(alpha: Array, x: tuple[Array, Array]) -> tuple[Array, None]:
        e_t, t = x
        later, _ = step(alpha, x)
        return xp.where(t == 0, xp.where(t < il_col, alpha + e_t, alpha), later), None
    return run


def _as(xp: Namespace, x: Array, dtype: Any) -> Array:
    """``x`` in the integer ``dtype`` (no copy where it has it)."""
    return x if x.dtype == dtype else xp.astype(x, dtype)


def _end(xp: Namespace, loss: Array, tl: Array, out: Any, reduction: str,
         invalid: Array | None) -> Array:
    """PyTorch's reductions: ``mean`` divides each sequence by its target length
    clamped at 1, then averages over the batch."""
    if reduction in ("mean", "sum_and_count"):  # (the parts of that mean: count = N)
        den = xp.astype(clip(xp, tl, min=1), loss.dtype)
        loss = loss / den
    return finish(xp, loss, out, reduction, invalid=invalid)
