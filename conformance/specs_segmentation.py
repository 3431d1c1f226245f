"""Conformance specs of ``losses_xp.segmentation`` (see ``conformance/registry.py``).

Overlap losses (``dice_loss``, ``jaccard_loss``, ``tversky_loss``,
``generalized_dice_loss``).  Oracle: the papers' definitions in PyTorch float64 (autograd
gradients), in their textbook ``1 - ratio`` form: ``torch.softmax`` / ``torch.sigmoid``,
``F.one_hot``, the sums :math:`\\sum p y`, :math:`\\sum p`, :math:`\\sum y` per sample
and class (or pooled), :math:`FP = \\sum p - TP`, :math:`FN = \\sum y - TP`, a power for
the focal Tversky loss, and MONAI's rule for the weights of absent classes.
Cross-checks, each where it applies: MONAI 1.6.1 ``DiceLoss`` (also ``jaccard=True``),
``TverskyLoss`` and ``GeneralizedDiceLoss`` (per sample and ``batch=True``, on the same
probabilities; skipped with a printed reason where MONAI is not importable: it needs torch
>= 2.8, so not in the minimums session); ``optax.losses.dice_loss`` (per sample, softmax
over classes, one-hot targets); Keras 3 ``dice`` / ``tversky`` (batch-pooled, float32,
``epsilon()`` in the denominator).  segmentation-models-pytorch 0.6.0 is not a cross-check:
it imports torchvision, whose operators do not exist beside this torch build.  Pinned: the
docstring values, the hard-mask confusion-matrix definition (NumPy counts of TP/FP/FN on
0/1 predictions), Keras's α/β swap, an empty class (loss 0, finite gradient) with
``smooth=0``, MONAI's absent-class weights of the generalized Dice.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from losses_xp._testing.inputs import (
    EXTREME_LOGIT,
    FULL,
    HALF,
    Case,
    binary_targets,
    class_indices,
    logits,
    probabilities,
    soft_targets,
    weights,
    with_ignored,
)

from .registry import EXACT, Pinned, Spec, Tol, from_torch, jax_x64, keras, spec, torch, torch_spec

C = 3  # classes of the generated cases
_NAMES = ("dice_loss", "jaccard_loss", "tversky_loss", "generalized_dice_loss")


def _t(*names: str) -> frozenset[str]:
    return frozenset(names)


# --------------------------------------------------------------------------- the layout


def _bcl(x: Any, kw: Mapping[str, Any]) -> Any:
    """A prediction (or same-shape target) as ``(B, C, L)``: the class axis ``axis``
    second, the batch axis (the first other one) first, every other axis flattened; a
    prediction with only the class axis is one sample."""
    ax = int(kw.get("axis", -1)) % x.ndim
    x = x.movedim(ax, -1)
    if x.ndim == 1:
        x = x[None]
    return x.reshape(x.shape[0], math.prod(x.shape[1:-1]), x.shape[-1]).transpose(1, 2)


def _probs_and_target(t: list[Any], kw: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """``(p, y, keep)`` as ``(B, C, L)`` float64 tensors: the probabilities (softmax for
    class indices, sigmoid for a same-shape target, with ``from_logits``), the one-hot or
    given target, and 1 / 0 for the kept / ignored pixels."""
    th = torch()
    x, target = t[0], t[1]
    p = _bcl(x, kw)
    B, Cn, L = p.shape
    same = target.ndim == x.ndim
    if kw.get("from_logits", True):
        p = th.sigmoid(p) if same else th.softmax(p, dim=1)
    if same:
        return p, _bcl(target.to(th.float64), kw), th.ones_like(p)
    idx = target.reshape(B, L).long()
    ignore = kw.get("ignore_index")
    keep = th.ones_like(idx, dtype=th.bool) if ignore is None else idx != int(ignore)
    safe = th.where(keep, idx, th.zeros_like(idx))
    y = th.nn.functional.one_hot(safe, Cn).transpose(1, 2).to(th.float64)
    return p, y, keep[:, None, :].to(th.float64).expand(B, Cn, L)


def _class_weight(kw: Mapping[str, Any], like: Any) -> Any:
    w = kw.get("weight")
    return th_ones(like.shape[-1]) if w is None else torch().as_tensor(
        np.asarray(w, np.float64))


def th_ones(n: int) -> Any:
    return torch().ones(n, dtype=torch().float64)


def _reduce(per: Any, kw: Mapping[str, Any], x_ndim: int, reduction: str) -> Any:
    """Per-sample values ``(B,)`` (or ``(1,)`` pooled) to our reductions."""
    if not kw.get("per_sample", True) or x_ndim == 1:
        per = per.reshape(())
    if reduction == "none":
        return per
    if reduction == "sum":
        return per.sum()
    return per.sum() / per.numel() if per.numel() else per.sum() * math.nan


# --------------------------------------------------------------------------- the oracle


def _sums(t: list[Any], kw: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """``(TP, sum p, sum y)`` per sample and class ``(B, C)``, or pooled ``(1, C)``."""
    p, y, keep = _probs_and_target(t, kw)
    p, y = p * keep, y * keep
    dims = (2,) if kw.get("per_sample", True) else (0, 2)
    return ((p * y).sum(dim=dims, keepdim=True)[..., 0], p.sum(dim=dims, keepdim=True)[..., 0],
            y.sum(dim=dims, keepdim=True)[..., 0])


def _overlap_torch(which: str) -> Callable[[list[Any], Mapping[str, Any], str], Any]:
    def expr(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
        th = torch()
        s = float(kw.get("smooth", 1e-5))
        tp, sp, sy = _sums(t, kw)
        fp, fn = sp - tp, sy - tp
        if which == "generalized_dice_loss":
            W = 1.0 / (sy * sy)
            inf = th.isinf(W)
            W = th.where(inf, th.zeros_like(W), W)
            W = W + inf * W.max(dim=1, keepdim=True).values if W.numel() else W
            W = W * _class_weight(kw, sy)
            num = 2.0 * (W * tp).sum(dim=1) + s
            den = (W * (sp + sy)).sum(dim=1) + s
            safe = th.where(den == 0, th.ones_like(den), den)  # (no 0/0 in the gradient)
            per = th.where(den == 0, th.zeros_like(den), 1.0 - num / safe)
            return _reduce(per, kw, t[0].ndim, reduction)
        if which == "dice_loss":
            num, den = 2.0 * tp + s, sp + sy + s
        elif which == "jaccard_loss":
            num, den = tp + s, sp + sy - tp + s
        else:
            a, b = float(kw.get("alpha", 0.5)), float(kw.get("beta", 0.5))
            num, den = tp + s, tp + a * fp + b * fn + s
        safe = th.where(den == 0, th.ones_like(den), den)  # an empty class: 0, no 0/0
        loss = th.where(den == 0, th.zeros_like(den), 1.0 - num / safe)
        if which == "tversky_loss" and float(kw.get("gamma", 1.0)) != 1.0:
            loss = loss ** float(kw.get("gamma", 1.0))
        per = (loss * _class_weight(kw, loss)).mean(dim=1)
        return _reduce(per, kw, t[0].ndim, reduction)
    return expr


# --------------------------------------------------------------------------- cross-checks


@functools.cache
def _monai() -> Any:
    try:
        import monai.losses  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError as exc:  # (MONAI 1.6 needs torch >= 2.8: not in the minimums session)
        print(f"specs_segmentation: MONAI cross-check skipped: MONAI not importable ({exc})")
        return None
    return monai.losses


def _monai_check(which: str) -> Callable[..., np.ndarray | None]:
    """MONAI on our probabilities and one-hot targets ``(B, C, L)`` (its ``sigmoid`` /
    ``softmax`` / ``to_onehot_y`` off; ignored pixels zeroed in both); ``reduction="none"``
    gives ``(B, C)`` (``(B, 1)`` for the generalized Dice), averaged over classes here.
    Jaccard is ``DiceLoss(jaccard=True)`` with ``smooth_nr = smooth_dr = 2 s``; the
    focal exponent and the class weights of the Tversky loss are applied to MONAI's
    per-class values; the generalized Dice with class weights is not checked (MONAI has
    none).  MONAI's NaN for an empty class with ``smooth=0`` is our 0."""
    def check(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
              reduction: str) -> np.ndarray | None:
        ml = _monai()
        if ml is None or args[0].size == 0:
            return None
        if which == "generalized_dice_loss" and kwargs.get("weight") is not None:
            return None
        th = torch()
        t = [th.from_numpy(np.array(a, np.float64 if a.dtype.kind in "fb" else None))
             for a in args]
        p, y, keep = _probs_and_target(t, kwargs)
        p, y = p * keep, y * keep
        s = float(kwargs.get("smooth", 1e-5))
        batch = not kwargs.get("per_sample", True)
        common = {"reduction": "none", "batch": batch}
        if which == "dice_loss":
            w = kwargs.get("weight")
            fn = ml.DiceLoss(smooth_nr=s, smooth_dr=s, weight=None if w is None else list(
                np.asarray(w, np.float64)), **common)
        elif which == "jaccard_loss":
            fn = ml.DiceLoss(jaccard=True, smooth_nr=2 * s, smooth_dr=2 * s, **common)
        elif which == "tversky_loss":
            fn = ml.TverskyLoss(alpha=float(kwargs.get("alpha", 0.5)),
                                beta=float(kwargs.get("beta", 0.5)), smooth_nr=s,
                                smooth_dr=s, **common)
        else:
            fn = ml.GeneralizedDiceLoss(smooth_nr=s, smooth_dr=s, **common)
        with np.errstate(all="ignore"):
            f = fn(p, y).reshape(1 if batch else p.shape[0], -1)
        f = th.nan_to_num(f, nan=0.0) if s == 0.0 else f
        if which == "tversky_loss":
            f = f ** float(kwargs.get("gamma", 1.0))
        if which in ("jaccard_loss", "tversky_loss") and kwargs.get("weight") is not None:
            f = f * th.as_tensor(np.asarray(kwargs["weight"], np.float64))
        return np.asarray(_reduce(f.mean(dim=1), kwargs, args[0].ndim, reduction).numpy())
    return check




@functools.cache
def _optax_has_dice() -> bool:
    try:
        import optax
    except ImportError as exc:  # (the docs and vendor sessions have no optax)
        print(f"specs_segmentation: optax cross-check skipped: optax not importable ({exc})")
        return False
    if hasattr(optax.losses, "dice_loss"):
        return True
    print(f"specs_segmentation: optax {optax.__version__} has no losses.dice_loss: its "
          "cross-check of dice_loss and tversky_loss is skipped")
    return False


def _optax_check(which: str) -> Callable[..., np.ndarray | None]:
    """``optax.losses.dice_loss`` (per sample, channels last, softmax over the classes or
    probabilities, one-hot targets; its ``smooth`` is Tversky's: half ours for Dice):
    multi-class cases with class indices, every pixel kept, per sample, γ = 1."""
    def check(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
              reduction: str) -> np.ndarray | None:
        x, target = args
        if (x.size == 0 or target.ndim == x.ndim or x.ndim < 2
                or kwargs.get("ignore_index") is not None
                or not kwargs.get("per_sample", True) or float(kwargs.get("gamma", 1.0)) != 1.0
                or not kwargs.get("from_logits", True)):
            return None
        import jax.numpy as jnp
        import optax

        ax = int(kwargs.get("axis", -1)) % x.ndim
        xl = np.moveaxis(np.asarray(x, np.float64), ax, -1)
        Cn = xl.shape[-1]
        if Cn < 2:  # (optax: a sigmoid for one channel)
            return None
        xl = xl.reshape(xl.shape[0], -1, Cn)
        y = np.eye(Cn)[np.asarray(target).reshape(xl.shape[0], -1)]
        s = float(kwargs.get("smooth", 1e-5))
        if which == "dice_loss":
            opts = {"smooth": s / 2.0}
        else:
            opts = {"smooth": s, "alpha": float(kwargs.get("alpha", 0.5)),
                    "beta": float(kwargs.get("beta", 0.5))}
        w = kwargs.get("weight")
        per = jax_x64(lambda: optax.losses.dice_loss(
            jnp.asarray(xl), jnp.asarray(y), class_weights=None if w is None else jnp.asarray(
                np.asarray(w, np.float64)), axis=(1,), **opts))
        th = torch()
        return np.asarray(_reduce(th.from_numpy(np.array(per)), kwargs, x.ndim,
                                  reduction).numpy())
    return check


def _keras_check(which: str) -> Callable[..., np.ndarray | None]:
    """Keras 3 ``dice(y_true, y_pred, axis)`` / ``tversky(y_true, y_pred, alpha, beta,
    axis)`` on our probabilities ``(B, C, L)``, pooled over the batch and the pixels
    (``axis=(0, 2)``: one value per class), averaged over the classes; Keras's α is our β
    (it puts α on the false negatives).  Where ``per_sample=False``, γ = 1 and ``smooth``
    is at most 1e-5 (Keras has ``epsilon()`` = 1e-7 in the denominator only)."""
    def check(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
              reduction: str) -> np.ndarray | None:
        if (args[0].size == 0 or kwargs.get("per_sample", True)
                or float(kwargs.get("smooth", 1e-5)) > 1e-5
                or float(kwargs.get("gamma", 1.0)) != 1.0):
            return None
        K = keras()
        th = torch()
        t = [th.from_numpy(np.array(a, np.float64 if a.dtype.kind in "fb" else None))
             for a in args]
        p, y, keep = _probs_and_target(t, kwargs)
        p, y = (p * keep).numpy(), (y * keep).numpy()
        if which == "dice_loss":
            f = K.losses.dice(y, p, axis=(0, 2))
        else:
            f = K.losses.tversky(y, p, alpha=float(kwargs.get("beta", 0.5)),
                                 beta=float(kwargs.get("alpha", 0.5)), axis=(0, 2))
        f = np.asarray(f, np.float64)
        w = kwargs.get("weight")
        if w is not None:
            f = f * np.asarray(w, np.float64)
        return np.asarray(np.mean(f)).reshape(())
    return check


_KERAS_TOL = Tol(rtol=2e-5, atol=2e-6)  # (float32, eps 1e-7 in the denominator)
_EXACT = Tol(rtol=1e-9, atol=1e-12)
_MONAI_GDL_TOL = Tol(rtol=1e-6, atol=1e-9)  # (MONAI rounds the class weights to float32)


# --------------------------------------------------------------------------- cases


def _cases(which: str) -> Callable[[np.random.Generator], list[Case]]:
    def make(rng: np.random.Generator) -> list[Case]:
        lg, ci = logits, class_indices
        nd, ndt = (2, 4, 3, C), (2, 4, 3)
        t = ci(rng, ndt, C)
        absent = np.where(t == 2, 0, t)  # class 2 absent from the target
        absent[0] = np.where(absent[0] == 1, 0, absent[0])  # and class 1 from sample 0
        multi = rng.integers(0, 2, size=nd).astype(bool)  # multi-hot (multi-label)
        out = [
            Case("1d", (lg(rng, (C,)), np.asarray(1)), tags=_t("1d")),
            Case("empty", (lg(rng, (0, C)), ci(rng, (0,), C)), tags=_t("empty", "nan-mean"),
                 grad=False),
            Case("2d", (lg(rng, (6, C)), ci(rng, (6,), C)), tags=_t("2d")),
            Case("nd-last-absent-classes", (lg(rng, nd), absent), tags=_t("nd")),
            Case("nd-axis1-ignore-weight-smooth",
                 (lg(rng, (2, C, 4, 3)), with_ignored(rng, ci(rng, ndt, C), -1)),
                 {"axis": 1, "ignore_index": -1, "weight": weights(rng, (C,)), "smooth": 2.5},
                 tags=_t("nd", "ignore", "class-weight")),
            Case("nd-multilabel-bool-pooled-smooth-0", (lg(rng, nd), multi),
                 {"per_sample": False, "smooth": 0.0}, tags=_t("nd", "bool-target")),
            Case("nd-binary-one-channel-probs", (probabilities(rng, (2, 1, 4, 3)),
                                                 binary_targets(rng, (2, 1, 4, 3))),
                 {"axis": 1, "from_logits": False}, tags=_t("nd")),
        ]
        if which == "tversky_loss":
            out += [
                Case("nd-pooled-alpha-0-beta-2.5", (lg(rng, nd), t),
                     {"alpha": 0.0, "beta": 2.5, "per_sample": False, "smooth": 0.0},
                     tags=_t("nd")),
                Case("nd-soft-gamma-3.5", (lg(rng, nd), soft_targets(rng, nd)),
                     {"alpha": 0.3, "beta": 0.7, "gamma": 3.5}, tags=_t("nd")),
            ]
        return out
    return make


def _extreme(which: str) -> Callable[[np.random.Generator], list[Case]]:
    """Logits of ±1e4 (±1e2 in half precision: computed in float32) and probabilities of
    exactly 0 and 1, class indices and multi-hot targets, an empty class with
    ``smooth=0``."""
    def make(rng: np.random.Generator) -> list[Case]:
        nd, ndt = (2, 4, 3, C), (2, 4, 3)
        out: list[Case] = []
        for name, dtypes, m in (("pm1e4", FULL, EXTREME_LOGIT["float32"]),
                                ("pm1e2", HALF, EXTREME_LOGIT["float16"])):
            x = m * rng.choice([-1.0, -0.5, 0.5, 1.0], size=nd)
            t = class_indices(rng, ndt, C)
            out += [Case(f"{name}-multilabel-smooth-0", (x, rng.integers(0, 2, size=nd)),
                         {"smooth": 0.0}, dtypes=dtypes, tags=_t("nd", "int-target")),
                    Case(f"{name}-absent-class-smooth-0-pooled", (x, np.where(t == 2, 0, t)),
                         {"smooth": 0.0, "per_sample": False}, dtypes=dtypes,
                         tags=_t("nd"))]
            if which == "tversky_loss" and dtypes == FULL:
                out.append(Case(f"{name}-gamma-0.5", (x, t), {"gamma": 0.5, "smooth": 0.0},
                                dtypes=dtypes, tags=_t("nd")))
        p = rng.choice([0.0, 1.0, 0.5], p=[0.4, 0.4, 0.2], size=nd)
        out.append(Case("probs-0-and-1", (p, class_indices(rng, ndt, C)),
                        {"from_logits": False}, tags=_t("nd")))
        return out
    return make


# --------------------------------------------------------------------------- pinned


def _hard_counts(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any], reduction: str,
                 dtype: str) -> np.ndarray:
    """The confusion-matrix definition on hard masks: NumPy counts of TP, FP and FN of
    0/1 predictions against 0/1 targets (one channel, last axis), pooled; Dice
    2 TP / (2 TP + FP + FN)."""
    p = np.asarray(args[0]) > 0.5
    y = np.asarray(args[1]) > 0.5
    tp, fp, fn = np.sum(p & y), np.sum(p & ~y), np.sum(~p & y)
    return np.asarray(1.0 - 2.0 * tp / (2.0 * tp + fp + fn))


_P_DOC = np.array([[0.9, 0.2, 0.7, 0.1], [0.6, 0.4, 0.3, 0.8]])[..., None]
_Y_DOC = np.array([[1, 0, 1, 0], [1, 1, 0, 0]])[..., None]
_DOC = {"from_logits": False, "smooth": 0.0}
_HARD_P = np.array([[1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]])[..., None]
_HARD_Y = np.array([[1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0]])[..., None]
# one TP and one FP (Keras's example of its α/β order)
_KERAS_P = np.array([[1.0, 1.0]])[..., None]
_KERAS_Y = np.array([[1.0, 0.0]])[..., None]
# class 2 empty in the prediction (logits -1e4: probability 0) and in the target
_EMPTY_X = np.array([[[3.0, -1.0, -1e4], [0.5, 2.0, -1e4]]])
_EMPTY_Y = np.array([[0, 1]])


def _pinned(which: str) -> tuple[Pinned, ...]:
    doc = {"dice_loss": (_DOC, np.array([0.17948717948717946, 0.5121951219512195])),
           "jaccard_loss": (_DOC, np.array([0.30434782608695654, 0.6774193548387097])),
           "tversky_loss": ({**_DOC, "alpha": 0.7, "beta": 0.3},
                            np.array([0.17098445595854922, 0.5169082125603864]))}
    out = []
    if which in doc:
        kw, value = doc[which]
        out.append(Pinned("docstring-example", (_P_DOC, _Y_DOC), kw, value=value,
                          dtypes=("float64",)))
    if which == "dice_loss":
        out.append(Pinned("hard-masks-confusion-matrix", (_HARD_P, _HARD_Y),
                          {"from_logits": False, "smooth": 0.0, "per_sample": False},
                          value=_hard_counts, dtypes=("float32", "float64")))
    if which == "tversky_loss":
        # α on the false positives: 0.9 · 1 / (1 + 0.9 · 1); Keras 3's
        # tversky(alpha=0.9, beta=0.1) is 0.0909 = 0.1 / 1.1, our alpha=0.1, beta=0.9
        out += [Pinned("alpha-weights-false-positives", (_KERAS_P, _KERAS_Y),
                       {"alpha": 0.9, "beta": 0.1, **_DOC}, value=0.9 / 1.9,
                       dtypes=("float32", "float64")),
                Pinned("keras-alpha-beta-swapped", (_KERAS_P, _KERAS_Y),
                       {"alpha": 0.1, "beta": 0.9, **_DOC}, value=0.1 / 1.1,
                       dtypes=("float32", "float64"))]
    if which == "generalized_dice_loss":
        # class 2 absent: its weight is the larger of 1/1^2 (class 0) and 1/1^2 (class 1)
        out.append(Pinned("absent-class-takes-the-largest-weight",
                          (np.array([[[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]]]), _EMPTY_Y),
                          {"from_logits": False, "smooth": 0.0},
                          value=np.array([2.0 / 4.0]), dtypes=("float64",)))
    # an empty class (prediction and target) with smooth=0: loss 0, not NaN; finite grad
    out.append(Pinned("empty-class-smooth-0", (_EMPTY_X, _EMPTY_Y), {"smooth": 0.0},
                      value="oracle", reductions=("mean",), dtypes=("float32", "float64"),
                      grad="oracle"))
    return tuple(out)


_DIFFERENCES = {
    "dice_loss": "MONAI DiceLoss(smooth_nr=s, smooth_dr=s) is the same value (NaN for an "
                 "empty class with smooth=0: 0 here); optax dice_loss(smooth=s/2) (Tversky's "
                 "form); Keras dice pools every axis and has epsilon() in the denominator "
                 "only; segmentation-models-pytorch is not importable beside this torch.",
    "jaccard_loss": "MONAI DiceLoss(jaccard=True) smooths (2 TP + s) / (2 union + s): our "
                    "smooth s is its 2 s; segmentation-models-pytorch is not importable.",
    "tversky_loss": "Keras 3 tversky puts alpha on the false negatives (pinned); MONAI and "
                    "optax have no focal exponent (applied to their per-class values); "
                    "segmentation-models-pytorch raises the class mean to gamma.",
    "generalized_dice_loss": "MONAI GeneralizedDiceLoss is the same value (no class "
                             "weights); optax multiclass_generalized_dice_loss is a "
                             "different loss (a weighted mean of per-class Dice losses).",
}


def _spec(which: str) -> Spec:
    monai = {"generalized_dice_loss": "GeneralizedDiceLoss (class weights in float32: "
                                      "its ground_o.float())",
             "tversky_loss": "TverskyLoss"}.get(which, "DiceLoss")
    # (each only where its library has it: MONAI needs torch >= 2.8 and optax's dice_loss
    # is 0.2.5's, so the minimums session goes without them, saying so when they load)
    checks: list[tuple[str, Callable[..., np.ndarray | None], Tol]] = []
    if _monai() is not None:
        checks.append((f"monai.losses.{monai}", _monai_check(which),
                       _MONAI_GDL_TOL if which == "generalized_dice_loss" else _EXACT))
    if which in ("dice_loss", "tversky_loss"):
        if _optax_has_dice():
            checks.append(("optax.losses.dice_loss", _optax_check(which), _EXACT))
        checks.append((f"keras.losses.{'dice' if which == 'dice_loss' else 'tversky'}",
                       _keras_check(which), _KERAS_TOL))
    expr = _overlap_torch(which)
    return torch_spec(which, expr, "the paper's definition on soft counts (PyTorch float64)",
                      _cases(which), _extreme(which), differences=_DIFFERENCES[which],
                      shape_tags=frozenset({"1d", "2d", "nd", "empty"}),
                      cross_checks=tuple(checks), pinned=_pinned(which))


SPECS: list[Spec] = [_spec(n) for n in _NAMES]


# =========================================================================== Lovász losses
# (lovasz_hinge_loss, lovasz_softmax_loss; the overlap losses' entries are above)
#
# Oracle: the paper's algorithm (Berman et al. 2018) as an explicit loop in PyTorch
# float64, independent of the vectorised code under test: per set of pixels, the pixels
# that are not ignored are dropped out of the set (the reference implementation's
# flatten), sorted by Python's stable ``sorted`` on their error, descending, and the
# Lovász weights are built position by position from running counts (the reference's
# ``lovasz_grad``: gts = sum(gt); intersection = gts - cumsum(gt); union = gts +
# cumsum(1 - gt); jaccard = 1 - intersection / union; weights = its first differences);
# loss = sum(relu(error) * weight).  Gradients by autograd through that loop.  Ties
# among the errors: the value does not depend on their order, the weights do; the
# value cases are tie-free (continuous random logits), and where ties are (extreme
# logits of +-1e4, one-class sets) both sides break them by position (stable sorts).
#
# Cross-check: kornia 0.9.0 (``kornia.losses.lovasz_hinge_loss`` / ``lovasz_softmax_loss``)
# where it is importable and applies: per image, averaged (per_sample=True, mean), every
# class counted (classes="all"), nothing ignored.  kornia 0.9.0 needs Python >= 3.11 and
# torch >= 2.5.1: it does not install at constraints/minimums.txt's floors (Python 3.10,
# torch 2.3), where the cross-check is left out (``_KORNIA_MISSING`` says so).
# segmentation-models-pytorch 0.6.0 (LovaszLoss) does not import beside the pinned torch
# (it imports torchvision, whose operators do not exist for this torch build): no oracle.

_KORNIA_MISSING = ("" if importlib.util.find_spec("kornia") is not None else
                   "kornia is not installed here (kornia 0.9.0 needs Python >= 3.11 and "
                   "torch >= 2.5.1, above constraints/minimums.txt's floors): the kornia "
                   "cross-checks of the Lovász losses are skipped")
if _KORNIA_MISSING:
    print(f"conformance/specs_segmentation.py: {_KORNIA_MISSING}")


def _lovasz_set(errors: list[Any], fg: list[float], relu: bool) -> Any:
    """One set's Lovász extension, written out as the paper's loop (errors: 0-d float64
    tensors of the kept pixels, fg: their foreground 0/1 or soft)."""
    th = torch()
    order = sorted(range(len(errors)), key=lambda i: -float(errors[i]))  # stable
    gts = float(sum(fg))
    total = th.zeros((), dtype=th.float64)
    cum_fg = cum_bg = 0.0
    previous = 0.0
    for i in order:
        cum_fg += fg[i]
        cum_bg += 1.0 - fg[i]
        jaccard = 1.0 - (gts - cum_fg) / (gts + cum_bg)
        e = th.clamp(errors[i], min=0.0) if relu else errors[i]
        total = total + e * (jaccard - previous)
        previous = jaccard
    return total


def _lovasz_reduce(values: list[Any], counted: list[bool], per_sample: bool,
                   reduction: str) -> Any:
    """Our reductions: per sample, a sample with no kept pixel is 0 and leaves the mean
    (0 where no sample counts, NaN for an empty batch); one set: its value throughout."""
    th = torch()
    if not per_sample:
        return values[0]
    per = th.stack(values) if values else th.zeros((0,), dtype=th.float64)
    if reduction == "none":
        return per
    if reduction == "sum":
        return per.sum()
    if not values:
        return th.tensor(math.nan, dtype=th.float64)
    return per.sum() / max(1, sum(counted))


def _lovasz_hinge_loop(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    th = torch()
    x, y = t[0], t[1].to(th.float64)
    per_sample = kw.get("per_sample", True)
    ignore = kw.get("ignore_index")
    sets = ([(x[i].reshape(-1), y[i].reshape(-1)) for i in range(x.shape[0])]
            if per_sample else [(x.reshape(-1), y.reshape(-1))])
    values, counted = [], []
    for xs, ys in sets:
        keep = [i for i in range(ys.shape[0]) if ignore is None or float(ys[i]) != ignore]
        errors = [1.0 - xs[i] * (2.0 * ys[i] - 1.0) for i in keep]
        values.append(_lovasz_set(errors, [float(ys[i]) for i in keep], relu=True)
                      if keep else _zero(x))
        counted.append(bool(keep))
    return _lovasz_reduce(values, counted, per_sample, reduction)


def _zero(x: Any) -> Any:
    """A 0-d zero that depends on ``x`` (autograd: a zero gradient, NaN or inf in ``x``
    included)."""
    th = torch()
    return th.where(th.isfinite(x), x, th.zeros_like(x)).sum() * 0.0


def _lovasz_softmax_loop(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    th = torch()
    x, y = t[0], t[1]
    axis = int(kw.get("axis", -1)) % x.ndim
    p = th.movedim(th.softmax(x, dim=axis), axis, -1)  # (target's shape, C)
    C = p.shape[-1]
    per_sample = kw.get("per_sample", False)
    ignore = kw.get("ignore_index")
    classes = kw.get("classes", "present")
    sets = ([(p[i].reshape(-1, C), y[i].reshape(-1)) for i in range(y.shape[0])]
            if per_sample and y.ndim else [(p.reshape(-1, C), y.reshape(-1))])
    values, counted = [], []
    zero = _zero(x)
    for ps, ys in sets:
        keep = [i for i in range(ys.shape[0]) if ignore is None or int(ys[i]) != ignore]
        per_class = []
        for c in range(C):
            fg = [1.0 if int(ys[i]) == c else 0.0 for i in keep]
            if classes == "present" and sum(fg) == 0:
                continue
            errors = [abs(fg[k] - ps[i, c]) for k, i in enumerate(keep)]
            per_class.append(_lovasz_set(errors, fg, relu=False))
        values.append(th.stack(per_class).mean() if per_class and keep else zero)
        counted.append(bool(keep))
    if per_sample and y.ndim == 0:  # (one pixel, one sample: a 0-d result)
        return values[0]
    return _lovasz_reduce(values, counted, per_sample, reduction)


def _kornia_hinge(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                  reduction: str) -> np.ndarray | None:
    """``kornia.losses.lovasz_hinge_loss`` on the logits as ``(N, 1, 1, P)``: per image,
    averaged (our ``per_sample=True``, ``mean``; ``sum`` = that times N), nothing
    ignored."""
    x, y = args[0], np.asarray(args[1], np.float64)
    if (not kwargs.get("per_sample", True) or kwargs.get("ignore_index") is not None
            or reduction == "none" or x.size == 0):
        return None
    import kornia

    th = torch()
    n = x.shape[0]
    out = kornia.losses.lovasz_hinge_loss(th.from_numpy(np.reshape(x, (n, 1, 1, -1))),
                                          th.from_numpy(np.reshape(y, (n, 1, -1))))
    return np.asarray(float(out) * (n if reduction == "sum" else 1))


def _kornia_softmax(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                    reduction: str) -> np.ndarray | None:
    """``kornia.losses.lovasz_softmax_loss`` on ``(N, C, 1, P)`` logits: every class,
    per image, averaged (our ``classes="all", per_sample=True``, ``mean``; ``sum`` =
    that times N), nothing ignored."""
    x, y = args[0], args[1]
    if (not kwargs.get("per_sample", False) or kwargs.get("classes", "present") != "all"
            or kwargs.get("ignore_index") is not None or reduction == "none"
            or x.size == 0):
        return None
    import kornia

    th = torch()
    axis = int(kwargs.get("axis", -1)) % x.ndim
    n, c = y.shape[0], x.shape[axis]
    xs = np.reshape(np.moveaxis(np.moveaxis(x, axis, -1), -1, 1), (n, c, 1, -1))
    out = kornia.losses.lovasz_softmax_loss(th.from_numpy(np.ascontiguousarray(xs)),
                                            th.from_numpy(np.reshape(y, (n, 1, -1))))
    return np.asarray(float(out) * (n if reduction == "sum" else 1))


_2D, _ND = frozenset({"2d"}), frozenset({"nd"})
_K = 4  # classes


def _hinge_cases(rng: np.random.Generator) -> list[Case]:
    """Few small cases that cover every option and target form (CI time: each shape,
    dtype and option set is a compile): (N, P) and (N, H, W), 1-d (one pixel per
    sample), empty, hard / soft / int / bool targets, per_sample=False, ignore_index
    (some pixels, a whole sample; every pixel: a pinned case)."""
    lg, bt = logits, binary_targets
    t_ign = soft_targets(rng, (3, 6))
    t_ign[0, :2] = 255.0
    t_ign[2, :] = 255.0
    return [
        Case("1d-one-pixel-per-sample", (lg(rng, (5,)), bt(rng, (5,))), tags=frozenset({"0d"})),
        Case("empty", (lg(rng, (0, 4)), bt(rng, (0, 4))), tags=frozenset({"empty", "nan-mean"}),
             grad=False),
        Case("2d", (lg(rng, (3, 6)), bt(rng, (3, 6))), tags=_2D),
        Case("2d-int-target-batch", (lg(rng, (3, 6)), rng.integers(0, 2, size=(3, 6))),
             {"per_sample": False}, tags=frozenset({"2d", "int-target"})),
        Case("2d-bool-target", (lg(rng, (3, 6)), rng.integers(0, 2, size=(3, 6)) > 0),
             tags=frozenset({"2d", "bool-target"})),
        Case("2d-soft-target-ignore-255", (lg(rng, (3, 6)), t_ign), {"ignore_index": 255},
             tags=frozenset({"2d", "ignore"})),
        Case("nd-ignore-class-0-batch", (lg(rng, (2, 3, 4)), bt(rng, (2, 3, 4))),
             {"ignore_index": 0, "per_sample": False}, tags=frozenset({"nd", "ignore"})),
    ]


def _softmax_cases(rng: np.random.Generator) -> list[Case]:
    """(N, P, C) and (N, C, H, W) with axis=1, empty, per_sample, classes='all' (the
    kornia form), ignore_index (some pixels, a whole sample), classes absent from the
    batch.  Logits of scale 1.5: near a saturated softmax (p = 1 - 1e-3) the float32
    gradient of any loss of the probabilities, p (g - sum(p g)), loses about
    log2(1 / (1 - p)) bits to cancellation, beyond the float32 gradient tolerance (the
    extreme cases check that it stays finite there)."""
    ci = class_indices

    def lg(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return logits(rng, shape, 1.5)
    t_ign = ci(rng, (3, 6), _K)
    t_ign[0, :2] = -1
    t_ign[2, :] = -1
    absent = rng.integers(0, 2, size=(3, 6))  # (classes 2 and 3 absent)
    return [
        Case("empty", (lg(rng, (0, 6, _K)), ci(rng, (0, 6), _K)),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d-one-pixel-per-sample", (lg(rng, (5, _K)), ci(rng, (5,), _K)),
             {"per_sample": True}, tags=frozenset({"0d", "2d"})),
        Case("nd", (lg(rng, (3, 6, _K)), ci(rng, (3, 6), _K)), tags=_ND),
        Case("nd-absent-classes-all", (lg(rng, (3, 6, _K)), absent), {"classes": "all"},
             tags=_ND),
        Case("nd-ignore-per-sample", (lg(rng, (3, 6, _K)), t_ign),
             {"ignore_index": -1, "per_sample": True}, tags=frozenset({"nd", "ignore"})),
        Case("nd-axis1", (lg(rng, (2, _K, 3, 2)), ci(rng, (2, 3, 2), _K)),
             {"axis": 1, "per_sample": True, "classes": "all"}, tags=_ND),
    ]


def _hinge_extreme(rng: np.random.Generator) -> list[Case]:
    """Logits of +-1e4 (+-1e2 in half precision), a one-class batch, ignored NaN/inf
    logits."""
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * rng.choice([-1.0, -0.5, 0.5, 1.0], size=(3, 6))
        out.append(Case(f"logits-pm{m:g}", (x, binary_targets(rng, (3, 6))), dtypes=dtypes,
                        tags=_2D))
    x = EXTREME_LOGIT["float32"] * rng.choice([-1.0, -0.5, 0.5, 1.0], size=(3, 6))
    out.append(Case("logits-pm1e4-all-1-batch", (x, np.ones((3, 6))), {"per_sample": False},
                    dtypes=FULL, tags=_2D))
    pad = logits(rng, (3, 6))
    pad[0, 1], pad[1, 2], pad[1, 3] = np.nan, np.inf, -np.inf
    y = binary_targets(rng, (3, 6))
    y[0, 1] = y[1, 2] = y[1, 3] = 255.0
    out.append(Case("ignored-nan-and-inf-logits", (pad, y), {"ignore_index": 255}, tags=_2D))
    return out


def _softmax_extreme(rng: np.random.Generator) -> list[Case]:
    """Logits of +-1e4 (+-1e2 in half precision; one class in the target), ignored
    NaN/inf logits."""
    out = []
    for dtypes, y in ((FULL, class_indices(rng, (3, 6), _K)), (HALF, np.ones((3, 6), np.int64))):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * rng.choice([-1.0, -0.5, 0.5, 1.0], size=(3, 6, _K))
        out.append(Case(f"logits-pm{m:g}", (x, y), {"classes": "all", "per_sample": True},
                        dtypes=dtypes, tags=_ND))
    pad = logits(rng, (3, 6, _K))
    pad[0, 1, 2], pad[1, 2, :] = np.nan, np.inf
    y = class_indices(rng, (3, 6), _K)
    y[0, 1] = y[1, 2] = -1
    out.append(Case("ignored-nan-and-inf-logits", (pad, y), {"ignore_index": -1}, tags=_ND))
    return out


_X_DOC = np.array([[2.0, -1.0, 0.5, -3.0], [1.0, 1.0, -1.0, -1.0]])
_Y_LOVASZ_DOC = np.array([[1, 0, 0, 0], [1, 0, 1, 0]])
_P_LOVASZ_DOC = np.log(np.array([[[0.7, 0.2, 0.1], [0.2, 0.6, 0.2], [0.5, 0.3, 0.2]]]))

_HINGE_PINNED = (
    # by hand: errors (-1, 0, 1.5, -2): 1.5 first, J = 1/2: 0.75; the second image:
    # errors (0, 2, 2, 0): the two 2s first, J = 1/3 then 2/3: 2/3 + 2/3
    Pinned("docstring-example", (_X_DOC, _Y_LOVASZ_DOC), value=np.array([0.75, 4.0 / 3.0]),
           dtypes=("float64",)),
    Pinned("every-pixel-ignored-is-0-with-a-zero-gradient",
           (_X_DOC, np.array([[1, 255, 255, 0], [255] * 4])), {"ignore_index": 255},
           value=0.0, reductions=("mean",), grad=np.zeros((2, 4)), compiled=True,
           dtypes=("float32",)),
    # logits of +-1 on the foreground: 2 (1 - IoU) of the thresholded prediction
    Pinned("pm1-logits-are-twice-one-minus-iou",
           (np.array([[1.0, 1.0, -1.0, -1.0, 1.0]]), np.array([[1, 0, 1, 0, 1]])),
           value=np.array([2.0 * (1.0 - 2.0 / 4.0)]), dtypes=("float64",)),
)

_SOFTMAX_PINNED = (
    # by hand: class 0 errors (0.3, 0.2, 0.5) sorted 0.5 (J 1/2), 0.3 (J 1): 0.4; class 1
    # errors (0.2, 0.4, 0.7) sorted 0.7 (J 1/2), 0.4 (J 1): 0.55; class 2 (absent): its
    # largest probability 0.2.  Present: (0.4 + 0.55) / 2; all: (0.4 + 0.55 + 0.2) / 3
    Pinned("docstring-example", (_P_LOVASZ_DOC, np.array([[0, 1, 1]])), value=0.475,
           reductions=("mean",), dtypes=("float64",)),
    Pinned("docstring-example-all-classes", (_P_LOVASZ_DOC, np.array([[0, 1, 1]])),
           {"classes": "all"}, value=1.15 / 3.0, reductions=("mean",), dtypes=("float64",)),
    Pinned("every-pixel-ignored-is-0-with-a-zero-gradient",
           (_P_LOVASZ_DOC, np.array([[-1, -1, -1]])), {"ignore_index": -1},
           value=0.0, reductions=("mean",), grad=np.zeros((1, 3, 3)), compiled=True,
           dtypes=("float32",)),
)

_HINGE_DIFFERENCES = (
    "The oracle is the paper's algorithm as an explicit loop (PyTorch float64, autograd). "
    "The reference implementation's per_image mean counts a wholly ignored image as 0 in "
    "its denominator; here it leaves it. kornia (a cross-check where importable) has no "
    "ignore_index and is always per image.")

_SOFTMAX_DIFFERENCES = (
    "The oracle is the paper's algorithm as an explicit loop (PyTorch float64, autograd). "
    "The reference implementation takes probabilities and also a list of classes (not "
    "accepted here); its per_image mean counts a wholly ignored image as 0. kornia (a "
    "cross-check where importable) counts every class (classes='all'), always per image, "
    "no ignore_index.")

_WHY = "holds pixels that the Lovász loss sorts together"

SPECS += [
    spec("lovasz_hinge_loss", from_torch(_lovasz_hinge_loop),
         "the paper's algorithm, an explicit loop over the sorted errors (PyTorch float64)",
         _hinge_cases, _hinge_extreme, torch_expr=_lovasz_hinge_loop,
         differences=_HINGE_DIFFERENCES,
         cross_checks=() if _KORNIA_MISSING else (
             ("kornia.losses.lovasz_hinge_loss (per image, mean)", _kornia_hinge, EXACT),),
         pinned=_HINGE_PINNED,
         error_fields={"sorted-axis-chunked": {"axis": "1", "why": _WHY}}),
    spec("lovasz_softmax_loss", from_torch(_lovasz_softmax_loop),
         "the paper's algorithm, an explicit loop over the sorted errors (PyTorch float64)",
         _softmax_cases, _softmax_extreme, torch_expr=_lovasz_softmax_loop,
         differences=_SOFTMAX_DIFFERENCES,
         cross_checks=() if _KORNIA_MISSING else (
             ("kornia.losses.lovasz_softmax_loss (classes='all', per image, mean)",
              _kornia_softmax, EXACT),),
         pinned=_SOFTMAX_PINNED,
         error_fields={"sorted-axis-chunked": {"axis": "0", "why": _WHY}}),
]
