"""Catalogue entries (see :mod:`losses_xp._testing.cases`) of the focal family.

``sigmoid_focal_loss`` and ``asymmetric_loss`` are element-wise (binary / multi-label
targets of the logits' shape); ``softmax_focal_loss`` takes class indices like
``cross_entropy``.  The extreme cases put logits at ±1e4 (±1e2 in half precision, and
±1e2 in every dtype for ASL, whose issue names ±100) with every focusing exponent
γ ∈ {0, 0.0, 0.5, 1, 2}: the naive ``(1 - p_t) ** gamma`` has a NaN/inf gradient
there, ours must stay finite.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .cases import (
    EXTREME_LOGIT,
    FULL,
    HALF,
    ArgKinds,
    Case,
    LossCases,
    _entry,
    _with_ignored,
    binary_targets,
    class_indices,
    logits,
    soft_targets,
    weights,
)

#: the focusing exponents of the extreme cases (0 as an int and as a float)
GAMMAS: tuple[float, ...] = (0, 0.0, 0.5, 1, 2)


def _t(*names: str) -> frozenset[str]:
    return frozenset(names)


# ------------------------------------------------------------------ sigmoid focal


def _sigmoid_focal_cases(rng: np.random.Generator) -> list[Case]:
    lg, bt, st = logits, binary_targets, soft_targets
    anchors = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])[:, None]  # a RetinaNet-style mask
    return [
        Case("0d", (lg(rng, ()), bt(rng, ())), tags=_t("0d")),
        Case("empty", (lg(rng, (0, 4)), bt(rng, (0, 4))), tags=_t("empty", "nan-mean"),
             grad=False),
        Case("1d", (lg(rng, (8,)), bt(rng, (8,))), tags=_t("1d")),
        Case("2d", (lg(rng, (4, 5)), bt(rng, (4, 5))), tags=_t("2d")),
        Case("2d-soft", (lg(rng, (4, 5)), st(rng, (4, 5))), tags=_t("2d")),
        Case("nd", (lg(rng, (2, 3, 4, 5)), bt(rng, (2, 3, 4, 5))), tags=_t("nd")),
        Case("nd-soft-alpha-none", (lg(rng, (2, 3, 4)), st(rng, (2, 3, 4))),
             {"alpha": None}, tags=_t("nd")),
        Case("bool-target", (lg(rng, (6,)), rng.integers(0, 2, size=(6,)).astype(bool)),
             tags=_t("1d", "bool-target")),
        Case("int-target", (lg(rng, (6,)), rng.integers(0, 2, size=(6,))),
             tags=_t("1d", "int-target")),
        Case("2d-alpha-none", (lg(rng, (4, 5)), bt(rng, (4, 5))), {"alpha": None},
             tags=_t("2d")),
        Case("2d-alpha-0.6-gamma-1", (lg(rng, (4, 5)), bt(rng, (4, 5))),
             {"alpha": 0.6, "gamma": 1}, tags=_t("2d")),
        Case("2d-gamma-0", (lg(rng, (4, 5)), st(rng, (4, 5))), {"gamma": 0}, tags=_t("2d")),
        Case("2d-gamma-0.0", (lg(rng, (4, 5)), bt(rng, (4, 5))), {"gamma": 0.0},
             tags=_t("2d")),
        Case("2d-gamma-0.5", (lg(rng, (4, 5)), bt(rng, (4, 5))), {"gamma": 0.5},
             tags=_t("2d")),
        Case("2d-gamma-3.5-soft", (lg(rng, (4, 5)), st(rng, (4, 5))), {"gamma": 3.5},
             tags=_t("2d")),
        Case("2d-weight", (lg(rng, (4, 5)), st(rng, (4, 5))), {"weight": weights(rng, (4, 5))},
             tags=_t("2d", "weight")),
        Case("2d-weight-list", (lg(rng, (4, 5)), bt(rng, (4, 5))),
             {"weight": [float(w) for w in weights(rng, (5,))]}, tags=_t("2d", "weight")),
        Case("2d-anchor-mask", (lg(rng, (6, 3)), bt(rng, (6, 3))),
             {"weight": anchors, "alpha": 0.25, "gamma": 2.0}, tags=_t("2d", "weight")),
    ]


def _binary_extreme(magnitudes: Sequence[tuple[str, tuple[str, ...], float]], gamma_key: str,
                    extra: list[dict[str, object]]) -> list[Case]:
    """Logits at ±m against agreeing, disagreeing and soft targets, for every γ.

    ``magnitudes``: ``(name tag, dtypes, m)`` triples."""
    out = []
    for tag, dtypes, m in magnitudes:
        x = m * np.array([[1.0, -1.0, 1.0, -1.0], [1.0, -1.0, 0.5, -0.5]])
        y = np.array([[1.0, 0.0, 0.0, 1.0], [0.3, 0.7, 1.0, 0.0]])
        hard = np.array([[1.0, 0.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0]])
        for g in GAMMAS:
            gname = f"{g!r}"
            out.append(Case(f"logits-pm{tag}-{gamma_key}-{gname}", (x, hard),
                            {gamma_key: g}, dtypes=dtypes, tags=_t("2d")))
            # bool targets take the hard-target algebra (chosen from the dtype)
            out.append(Case(f"logits-pm{tag}-{gamma_key}-{gname}-bool", (x, hard > 0),
                            {gamma_key: g}, dtypes=dtypes, tags=_t("2d", "bool-target")))
        for i, kw in enumerate(extra):
            out.append(Case(f"logits-pm{tag}-opts{i}", (x, y if "soft" in kw else hard),
                            {k: v for k, v in kw.items() if k != "soft"}, dtypes=dtypes,
                            tags=_t("2d")))
        out.append(Case(f"logit-pm{tag}-0d", (np.array(-m), np.array(1.0)), dtypes=dtypes,
                        tags=_t("0d")))
    return out


def _sigmoid_focal_extreme(rng: np.random.Generator) -> list[Case]:
    mags = [(f"{EXTREME_LOGIT[d[0]]:g}", d, EXTREME_LOGIT[d[0]]) for d in (FULL, HALF)]
    extra: list[dict[str, object]] = [
        {"soft": True, "gamma": 0.5, "alpha": None},
        {"soft": True, "gamma": 2.0},
        {"gamma": 0.0, "alpha": None},
        {"weight": weights(rng, (4,)), "gamma": 0.5},
    ]
    return _binary_extreme(mags, "gamma", extra)


# ------------------------------------------------------------------ softmax focal


def _softmax_focal_cases(rng: np.random.Generator) -> list[Case]:
    lg, ci = logits, class_indices
    C = 5
    alpha = weights(rng, (C,)) / 2.0
    return [
        Case("1d-logits-0d-target", (lg(rng, (C,)), ci(rng, (), C)), tags=_t("0d")),
        Case("empty", (lg(rng, (0, C)), ci(rng, (0,), C)), tags=_t("empty", "nan-mean"),
             grad=False),
        Case("2d", (lg(rng, (6, C)), ci(rng, (6,), C)), tags=_t("2d")),
        Case("nd-axis1", (lg(rng, (2, 3, 4, 5)), ci(rng, (2, 4, 5), 3)), {"axis": 1},
             tags=_t("nd")),
        Case("nd-last", (lg(rng, (2, 3, 4)), ci(rng, (2, 3), 4)), tags=_t("nd")),
        Case("2d-gamma-0", (lg(rng, (6, C)), ci(rng, (6,), C)), {"gamma": 0}, tags=_t("2d")),
        Case("2d-gamma-0.0", (lg(rng, (6, C)), ci(rng, (6,), C)), {"gamma": 0.0},
             tags=_t("2d")),
        Case("2d-gamma-0.5", (lg(rng, (6, C)), ci(rng, (6,), C)), {"gamma": 0.5},
             tags=_t("2d")),
        Case("2d-gamma-1", (lg(rng, (6, C)), ci(rng, (6,), C)), {"gamma": 1}, tags=_t("2d")),
        Case("2d-alpha-scalar", (lg(rng, (6, C)), ci(rng, (6,), C)), {"alpha": 0.25},
             tags=_t("2d")),
        Case("2d-alpha-array", (lg(rng, (6, C)), ci(rng, (6,), C)), {"alpha": alpha},
             tags=_t("2d")),
        Case("2d-alpha-list", (lg(rng, (6, C)), ci(rng, (6,), C)),
             {"alpha": [float(a) for a in weights(rng, (C,)) / 2.0]}, tags=_t("2d")),
        Case("2d-weight", (lg(rng, (6, C)), ci(rng, (6,), C)), {"weight": weights(rng, (C,))},
             tags=_t("2d", "class-weight")),
        Case("2d-ignore", (lg(rng, (8, C)), _with_ignored(rng, ci(rng, (8,), C), -100)),
             tags=_t("2d", "ignore")),
        Case("2d-ignore-in-range", (lg(rng, (8, C)), ci(rng, (8,), C)), {"ignore_index": 2},
             tags=_t("2d", "ignore")),
        Case("2d-gamma-0.5-ignore", (lg(rng, (8, C)), _with_ignored(rng, ci(rng, (8,), C), -100)),
             {"gamma": 0.5}, tags=_t("2d", "ignore")),
        Case("nd-axis1-alpha-weight-ignore",
             (lg(rng, (2, 4, 3, 2)), _with_ignored(rng, ci(rng, (2, 3, 2), 4), 7)),
             {"axis": 1, "alpha": [0.1, 0.2, 0.3, 0.4],
              "weight": [float(w) for w in weights(rng, (4,))], "ignore_index": 7,
              "gamma": 1.5},
             tags=_t("nd", "class-weight", "ignore")),
        Case("all-ignored", (lg(rng, (4, C)), np.full((4,), -100, dtype=np.int64)),
             tags=_t("2d", "ignore", "nan-mean"), grad=False),
    ]


def _softmax_focal_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * np.array([[1.0, -1.0, 0.5, -0.5], [-1.0, -1.0, 1.0, 0.0],
                          [1.0, 1.0, -1.0, -1.0], [1.0, -1.0, -1.0, -1.0]])
        y = np.array([1, 2, 2, 0], dtype=np.int64)  # wrong, right, wrong, right
        tag = f"{m:g}"
        for g in GAMMAS:
            out.append(Case(f"logits-pm{tag}-gamma-{g!r}", (x, y), {"gamma": g}, dtypes=dtypes,
                            tags=_t("2d")))
        out += [
            Case(f"logits-pm{tag}-alpha-weight", (x, y),
                 {"gamma": 0.5, "alpha": weights(rng, (4,)) / 2, "weight": weights(rng, (4,))},
                 dtypes=dtypes, tags=_t("2d", "class-weight")),
            Case(f"logits-pm{tag}-nd-axis1",
                 (m * rng.choice([-1.0, 1.0], size=(2, 3, 2)), class_indices(rng, (2, 2), 3)),
                 {"axis": 1}, dtypes=dtypes, tags=_t("nd")),
        ]
    return out


# ------------------------------------------------------------------ asymmetric


def _asymmetric_cases(rng: np.random.Generator) -> list[Case]:
    lg, bt = logits, binary_targets
    return [
        Case("0d", (lg(rng, ()), bt(rng, ())), tags=_t("0d")),
        Case("empty", (lg(rng, (0, 4)), bt(rng, (0, 4))), tags=_t("empty", "nan-mean"),
             grad=False),
        Case("1d", (lg(rng, (8,)), bt(rng, (8,))), tags=_t("1d")),
        Case("2d", (lg(rng, (4, 6)), bt(rng, (4, 6))), tags=_t("2d")),
        Case("nd", (lg(rng, (2, 3, 4, 5)), bt(rng, (2, 3, 4, 5))), tags=_t("nd")),
        Case("bool-target", (lg(rng, (6,)), rng.integers(0, 2, size=(6,)).astype(bool)),
             tags=_t("1d", "bool-target")),
        Case("int-target", (lg(rng, (3, 4)), rng.integers(0, 2, size=(3, 4))),
             tags=_t("2d", "int-target")),
        Case("2d-official-defaults", (lg(rng, (4, 6)), bt(rng, (4, 6))),
             {"gamma_pos": 1, "gamma_neg": 4, "clip": 0.05}, tags=_t("2d")),
        Case("2d-clip-0", (lg(rng, (4, 6)), bt(rng, (4, 6))), {"clip": 0.0}, tags=_t("2d")),
        Case("2d-bce", (lg(rng, (4, 6)), bt(rng, (4, 6))),
             {"gamma_pos": 0, "gamma_neg": 0, "clip": 0}, tags=_t("2d")),
        Case("2d-focal-clip-0", (lg(rng, (4, 6)), bt(rng, (4, 6))),
             {"gamma_pos": 2, "gamma_neg": 2, "clip": 0.0}, tags=_t("2d")),
        # γ- < 1 only without clip: with it the official pow(0, γ- - 1) gradient is NaN
        Case("2d-gamma-0.5-clip-0", (lg(rng, (4, 6)), bt(rng, (4, 6))),
             {"gamma_pos": 0.5, "gamma_neg": 0.5, "clip": 0.0}, tags=_t("2d")),
        Case("2d-gamma-1.5-clip-0.2", (lg(rng, (4, 6)), bt(rng, (4, 6))),
             {"gamma_pos": 0.5, "gamma_neg": 1.5, "clip": 0.2}, tags=_t("2d")),
        Case("2d-detach", (lg(rng, (4, 6)), bt(rng, (4, 6))),
             {"gamma_pos": 1, "detach_focusing": True}, tags=_t("2d")),
        Case("nd-detach-clip-0", (lg(rng, (2, 3, 4)), bt(rng, (2, 3, 4))),
             {"gamma_pos": 1, "gamma_neg": 3, "clip": 0.0, "detach_focusing": True},
             tags=_t("nd")),
        Case("2d-eps-1e-3", (lg(rng, (4, 6)), bt(rng, (4, 6))), {"eps": 1e-3}, tags=_t("2d")),
    ]


def _asymmetric_extreme(rng: np.random.Generator) -> list[Case]:
    # ±1e4 where the dtype holds it, and the issue's ±100 in every dtype
    mags = [("1e4", FULL, 1e4), ("100", FULL + HALF, 100.0)]
    extra: list[dict[str, object]] = [
        {"clip": 0.0},
        {"clip": 0.05, "gamma_pos": 1},
        {"clip": 0.0, "gamma_pos": 0.5, "gamma_neg": 0.5, "detach_focusing": True},
        {"clip": 0.05, "gamma_neg": 0.5},
    ]
    return _binary_extreme(mags, "gamma_neg", extra)


ENTRIES: dict[str, LossCases] = {
    "sigmoid_focal_loss": _entry(
        "sigmoid_focal_loss", _sigmoid_focal_cases, _sigmoid_focal_extreme,
        kinds=ArgKinds("logits", "binary", options={"alpha": "alpha", "gamma": "gamma",
                                                    "weight": "element_weight"})),
    "softmax_focal_loss": _entry(
        "softmax_focal_loss", _softmax_focal_cases, _softmax_focal_extreme,
        kinds=ArgKinds("logits", "index", "axis",
                       {"axis": "axis", "alpha": "class_alpha", "gamma": "gamma",
                        "weight": "class_weight", "ignore_index": "ignore_index"},
                       unit="kept", min_ndim=1)),
    # bounded: -log max(p, eps) <= -log(eps) with eps >= the smallest normal number
    "asymmetric_loss": _entry(
        "asymmetric_loss", _asymmetric_cases, _asymmetric_extreme,
        kinds=ArgKinds("logits", "binary",
                       options={"gamma_pos": "gamma", "gamma_neg": "gamma", "clip": "unit",
                                "eps": "eps", "detach_focusing": "flag"},
                       growth="bounded")),
}
