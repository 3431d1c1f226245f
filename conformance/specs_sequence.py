"""Conformance specs of ``losses_xp.sequence`` (see ``conformance/registry.py`` for the fields).

Oracle (float64): PyTorch's native ``F.ctc_loss`` (its own kernel: the alpha-beta
recursion with a hand-written backward), given ``log_probs`` time-major.  Its gradient
with respect to ``log_probs`` is the gradient with respect to the logits of the
``log_softmax`` that produced them: it holds ``exp(log_probs) - γ`` where the derivative
of the value is ``-γ`` (γ: the occupation probabilities), and the two agree once
composed with ``log_softmax`` (``test_ctc_done_when`` in ``test_compile.py`` checks that
composition at T = 200).  The gradient oracle is therefore PyTorch's autograd of
``F.ctc_loss`` minus the zero-valued ``e - e.detach()``, ``e`` the sum of
``exp(log_probs)`` over each sequence's frames (where its loss is finite): PyTorch's
own γ, the kernel's ``exp`` term taken back.  Cross-check: ``optax.ctc_loss`` (JAX
float64, the padding form, ``log_epsilon=-1e5``) on the cases where every alignment is
possible (optax's impossible alignment is a large finite value, not ``inf``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losses_xp._testing.inputs import EXTREME_LOGIT, FULL, HALF, Case

from .registry import EXACT, Pinned, Spec, from_torch, spec, torch

_ND, _EMPTY = frozenset({"nd"}), frozenset({"empty"})


def _log_softmax(x: np.ndarray) -> np.ndarray:
    m = np.max(x, axis=-1, keepdims=True)
    z = x - m
    return np.asarray(z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True)))


def _batch_major(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> np.ndarray:
    lp = np.asarray(args[0], np.float64)
    return lp if int(kwargs.get("time_axis", 1)) == 1 else np.swapaxes(lp, 0, 1)


# --------------------------------------------------------------------------- oracles


def _ctc_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """``F.ctc_loss`` (time-major), its gradient made the derivative of its value (see
    the module docstring); our reductions are PyTorch's."""
    th = torch()
    F = th.nn.functional
    lp, targets, il, tl = t
    lp_tm = lp if int(kw.get("time_axis", 1)) == 0 else lp.permute(1, 0, 2)
    blank = int(kw.get("blank", 0))
    zero_inf = bool(kw.get("zero_infinity", False))
    targets, il, tl = (a.to(th.int64) for a in (targets, il, tl))
    if lp_tm.shape[1] == 0:  # (an empty batch: PyTorch's kernel wants one sequence)
        per = lp_tm.sum(dim=(0, 2))
    else:
        per = F.ctc_loss(lp_tm, targets, il, tl, blank=blank, reduction="none",
                         zero_infinity=zero_inf)
        with th.no_grad():
            finite = th.isfinite(F.ctc_loss(lp_tm, targets, il, tl, blank=blank,
                                             reduction="none"))
        frames = th.arange(lp_tm.shape[0])[:, None] < il[None, :]  # (T, N)
        e = (lp_tm.exp() * frames[..., None]).sum(dim=(0, 2))
        per = per - th.where(finite, e - e.detach(), th.zeros_like(e))
    if reduction == "none":
        return per
    if reduction == "sum":
        return per.sum()
    return (per / tl.clamp(min=1).to(per.dtype)).mean()


def _ctc_optax(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
               reduction: str) -> np.ndarray | None:
    """``optax.ctc_loss`` (padding form, unreduced) in float64, then our reductions;
    ``None`` where an alignment is impossible (optax's value is finite there)."""
    import jax
    import jax.numpy as jnp
    import optax

    lp = _batch_major(args, kwargs)
    targets, il, tl = (np.asarray(a, np.int64) for a in args[1:])
    N, T, _ = lp.shape
    if N == 0 or not np.all(np.isfinite(_ctc_value(args, kwargs))):
        return None
    logit_pad = (np.arange(T)[None, :] >= il[:, None]).astype(np.float64)
    label_pad = (np.arange(targets.shape[1])[None, :] >= tl[:, None]).astype(np.float64)
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        per = np.asarray(optax.ctc_loss(jnp.asarray(lp), jnp.asarray(logit_pad),
                                        jnp.asarray(np.where(label_pad > 0, 0, targets)),
                                        jnp.asarray(label_pad),
                                        blank_id=int(kwargs.get("blank", 0))), np.float64)
    finally:
        jax.config.update("jax_enable_x64", old)
    if reduction == "none":
        return per
    if reduction == "sum":
        return np.asarray(per.sum())
    return np.asarray(np.mean(per / np.maximum(tl, 1)))


def _ctc_value(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any]) -> np.ndarray:
    """The oracle's unreduced value without ``zero_infinity`` (``inf``: impossible)."""
    return from_torch(_ctc_torch)(args, {**kwargs, "zero_infinity": False}, "none")


# --------------------------------------------------------------------------- cases


def _labels(rng: np.random.Generator, n: int, s: int, classes: int, blank: int
            ) -> np.ndarray:
    """(n, s) labels in [0, classes) without the blank."""
    choices = np.array([c for c in range(classes) if c != blank])
    return np.asarray(rng.choice(choices, size=(n, s)), np.int64)


def _sequences(rng: np.random.Generator, n: int, t: int, c: int, s: int, *,
               blank: int = 0, scale: float = 1.0) -> tuple[np.ndarray, ...]:
    """``(log_probs (n, t, c), targets (n, s), input_lengths, target_lengths)``: a
    log-softmax of random logits; the first sequence full length with a repeated label
    (it needs a blank between the copies), the others shorter, their padding filled
    with -1 and out-of-range values (never read); the last target empty."""
    lp = _log_softmax(scale * rng.normal(size=(n, t, c)))
    targets = _labels(rng, n, s, c, blank)
    if s >= 2:
        targets[0, 1] = targets[0, 0]
    tl = np.asarray(rng.integers(1, s + 1, size=n), np.int64)
    tl[0] = s
    tl[-1] = 0 if n > 1 else tl[-1]
    il = np.asarray(np.maximum(2 * tl + 1, rng.integers(t - 2, t + 1, size=n)), np.int64)
    il = np.minimum(il, t)
    il[0] = t
    pos = np.arange(s)[None, :]
    targets = np.where(pos < tl[:, None], targets, np.where(pos % 2 == 0, -1, c + 3))
    return lp, np.asarray(targets, np.int64), il, tl


def _ctc_cases(rng: np.random.Generator) -> list[Case]:
    # (one shape for every case: JAX compiles each operation once per shape and dtype)
    lp, tg, il, tl = _sequences(rng, 3, 7, 4, 3)
    lp2, tg2, il2, tl2 = _sequences(rng, 3, 7, 4, 3, blank=2)
    # an impossible alignment: three labels with a repeat (5 frames) in 4
    lp3, tg3, il3, tl3 = _sequences(rng, 3, 7, 4, 3)
    il3[0] = 4
    return [
        Case("nd", (lp, tg, il, tl), tags=_ND),
        Case("nd-time-major-blank-2-int32",
             (np.swapaxes(lp2, 0, 1).copy(), tg2.astype(np.int32), il2.astype(np.int32),
              tl2.astype(np.int32)), {"time_axis": 0, "blank": 2}, tags=_ND,
             dtypes=("float32", "float64")),
        Case("nd-impossible-zero-infinity", (lp3, tg3, il3, tl3), {"zero_infinity": True},
             tags=_ND, dtypes=("float32", "float64")),
        Case("nd-impossible-inf", (lp3, tg3, il3, tl3), tags=_ND, grad=False,
             dtypes=("float32", "float64")),
        Case("empty", (np.zeros((0, 7, 4)), np.zeros((0, 3), np.int64),
                       np.zeros((0,), np.int64), np.zeros((0,), np.int64)),
             tags=_EMPTY | {"nan-mean"}, grad=False),
    ]


def _ctc_extreme(rng: np.random.Generator) -> list[Case]:
    """Log-softmax rows of logits of +-1e4 (+-1e2 in half precision), one sequence
    without an alignment (0 with ``zero_infinity``): finite values and gradients."""
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        lp, tg, il, tl = _sequences(rng, 3, 7, 4, 3)
        lp = _log_softmax(m * rng.choice([-1.0, -0.5, 0.5, 1.0], size=lp.shape))
        il[1] = 2 * tl[1] - 1 if tl[1] else il[1]  # (impossible where it has labels)
        out.append(Case(f"log-probs-of-logits-pm{m:g}-zero-infinity", (lp, tg, il, tl),
                        {"zero_infinity": True}, tags=_ND, dtypes=dtypes))
    return out


# --------------------------------------------------------------------------- pinned

_U3 = np.log(np.full((1, 3, 3), 1.0 / 3.0))  # 3 frames, uniform over 3 classes

_CTC_PINNED = (
    # labels (1, 2) in 3 frames: 5 paths (12b, 1b2, b12, 112, 122) of probability 1/27
    Pinned("docstring-five-paths", (_U3, np.array([[1, 2]]), np.array([3]), np.array([2])),
           value=np.array([-np.log(5.0 / 27.0)]), dtypes=("float64",)),
    # a repeated label needs a blank between its copies: (1, 1) in 3 frames is one path
    # (1b1); in 2 frames, none: inf, or 0 with a zero gradient with zero_infinity
    Pinned("repeat-needs-a-blank", (_U3, np.array([[1, 1]]), np.array([3]), np.array([2])),
           value=np.array([3.0 * np.log(3.0)]), dtypes=("float64",)),
    Pinned("impossible-alignment-inf", (_U3, np.array([[1, 1]]), np.array([2]),
                                        np.array([2])),
           value=np.array([np.inf]), dtypes=("float32", "float64")),
    Pinned("impossible-alignment-zero-infinity",
           (_U3, np.array([[1, 2, 1]]), np.array([2]), np.array([3])),
           {"zero_infinity": True}, value=np.array([0.0]), grad=np.zeros((1, 3, 3)),
           dtypes=("float32",)),
    # PyTorch's mean: (-log(5/27) / 2 + 3 log 3 / 2) / 2
    Pinned("pytorch-mean-divides-by-target-length",
           (np.concatenate([_U3, _U3]), np.array([[1, 2], [1, 1]]), np.array([3, 3]),
            np.array([2, 2])),
           value=(-np.log(5.0 / 27.0) / 2.0 + 3.0 * np.log(3.0) / 2.0) / 2.0,
           reductions=("mean",), dtypes=("float32", "float64")),
    # an empty target: the all-blank path; mean divides by max(0, 1) = 1
    Pinned("empty-target", (_U3, np.array([[0]]), np.array([3]), np.array([0])),
           value=3.0 * np.log(3.0), reductions=("mean",), dtypes=("float64",)),
)

_DIFFERENCES_CTC = (
    "Batch-major (N, T, C) by default (time_axis=0 is PyTorch's layout); padded (N, S) "
    "targets only (PyTorch also takes them concatenated in 1-D). The gradient with "
    "respect to log_probs is the derivative of the value (PyTorch's adds exp(log_probs), "
    "the log_softmax it assumes: the oracle takes that term back). An impossible "
    "alignment without zero_infinity has a zero gradient. optax (a cross-check) "
    "gives an impossible alignment a large finite value and is unreduced.")


SPECS: list[Spec] = [
    spec("ctc_loss", from_torch(_ctc_torch), "torch.nn.functional.ctc_loss (float64)",
         _ctc_cases, _ctc_extreme, torch_expr=_ctc_torch, shape_tags=frozenset({"empty", "nd"}),
         differences=_DIFFERENCES_CTC,
         cross_checks=(("optax.ctc_loss (padding form, possible alignments)", _ctc_optax,
                        EXACT),),
         pinned=_CTC_PINNED),
]
