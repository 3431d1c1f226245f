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

from .registry import Pinned, Spec, Tol, keras, torch, torch_spec

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


def _x64(fn: Callable[[], Any]) -> np.ndarray:
    import jax

    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        return np.asarray(fn(), np.float64)
    finally:
        jax.config.update("jax_enable_x64", old)


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
        per = _x64(lambda: optax.losses.dice_loss(
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
    checks: list[tuple[str, Callable[..., np.ndarray | None], Tol]] = [
        (f"monai.losses.{monai}", _monai_check(which),
         _MONAI_GDL_TOL if which == "generalized_dice_loss" else _EXACT)]
    if which in ("dice_loss", "tversky_loss"):
        checks += [("optax.losses.dice_loss", _optax_check(which), _EXACT),
                   (f"keras.losses.{'dice' if which == 'dice_loss' else 'tversky'}",
                    _keras_check(which), _KERAS_TOL)]
    expr = _overlap_torch(which)
    return torch_spec(which, expr, "the paper's definition on soft counts (PyTorch float64)",
                      _cases(which), _extreme(which), differences=_DIFFERENCES[which],
                      shape_tags=frozenset({"1d", "2d", "nd", "empty"}),
                      cross_checks=tuple(checks), pinned=_pinned(which))


SPECS: list[Spec] = [_spec(n) for n in _NAMES]
