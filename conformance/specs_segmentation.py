"""Conformance specs of ``losses_xp.segmentation`` (see ``conformance/registry.py``)."""

from __future__ import annotations

from .registry import Spec

SPECS: list[Spec] = []


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

import importlib.util  # noqa: E402
import math  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from losses_xp._testing.inputs import (  # noqa: E402
    EXTREME_LOGIT,
    FULL,
    HALF,
    Case,
    binary_targets,
    class_indices,
    logits,
    soft_targets,
)

from .registry import EXACT, Pinned, from_torch, spec, torch  # noqa: E402

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
_Y_DOC = np.array([[1, 0, 0, 0], [1, 0, 1, 0]])
_P_DOC = np.log(np.array([[[0.7, 0.2, 0.1], [0.2, 0.6, 0.2], [0.5, 0.3, 0.2]]]))

_HINGE_PINNED = (
    # by hand: errors (-1, 0, 1.5, -2): 1.5 first, J = 1/2: 0.75; the second image:
    # errors (0, 2, 2, 0): the two 2s first, J = 1/3 then 2/3: 2/3 + 2/3
    Pinned("docstring-example", (_X_DOC, _Y_DOC), value=np.array([0.75, 4.0 / 3.0]),
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
    Pinned("docstring-example", (_P_DOC, np.array([[0, 1, 1]])), value=0.475,
           reductions=("mean",), dtypes=("float64",)),
    Pinned("docstring-example-all-classes", (_P_DOC, np.array([[0, 1, 1]])),
           {"classes": "all"}, value=1.15 / 3.0, reductions=("mean",), dtypes=("float64",)),
    Pinned("every-pixel-ignored-is-0-with-a-zero-gradient",
           (_P_DOC, np.array([[-1, -1, -1]])), {"ignore_index": -1},
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
