"""Conformance spec entries of the divergences (``losses_xp/divergence.py``).

Oracles (float64): PyTorch's ``F.kl_div`` with its own reductions (``batchmean`` for
``(N, C)`` rows, ``sum``; ``none`` summed over the axis), SciPy's ``rel_entr`` as a
cross-check; the Jensen-Shannon divergence as its definition ``KL(p ‖ m)/2 + KL(t ‖
m)/2`` through ``F.kl_div`` (gradients by autograd), SciPy's ``jensenshannon(base=e)``
squared as a cross-check; the distillation loss as the PyTorch expression of Hinton et
al. (``F.kl_div`` of the two log-softmaxes, ``log_target=True``, times T²), SciPy's
``rel_entr`` of the two softmaxes as a cross-check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._testing.backends import Backend
from losses_xp._testing.inputs import (
    EXTREME_LOGIT,
    FULL,
    HALF,
    Case,
    class_probabilities,
    log_probabilities,
    logits,
    soft_class_targets,
)

from .registry import EXACT, Pinned, Tol, torch, torch_spec

_2D, _ND = frozenset({"2d"}), frozenset({"nd"})


def _axis(kwargs: Mapping[str, Any], ndim: int) -> int:
    return int(kwargs.get("axis", -1)) % ndim


def _samples(per: Any, reduction: str) -> Any:
    """Our reductions of per-sample values (a PyTorch tensor): the mean over samples."""
    if reduction == "none":
        return per
    return per.sum() if reduction == "sum" else per.sum() / per.numel()


def _np_samples(per: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return per
    if reduction == "sum":
        return np.asarray(np.sum(per))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.sum(per) / np.float64(per.size))


# --------------------------------------------------------------------------- kl_div


def _row_cases(rng: np.random.Generator, pred: Any) -> list[Case]:
    """``pred(rng, shape, axis=...)`` rows against probability rows in every shape a
    divergence takes: 1-d (a 0-d result), empty, 2-d, zeros, a one-hot int target, the
    class axis first, N-d with axis=1 and the last axis."""
    sc, C = soft_class_targets, 5
    return [
        Case("1d-0d-result", (pred(rng, (C,)), sc(rng, (C,))), tags=frozenset({"0d"})),
        Case("empty", (pred(rng, (0, C)), sc(rng, (0, C))),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d", (pred(rng, (6, C)), sc(rng, (6, C))), tags=_2D),
        Case("2d-target-zeros", (pred(rng, (6, C)), sc(rng, (6, C), zeros=True)), tags=_2D),
        Case("2d-one-hot-int-target",
             (pred(rng, (6, C)), np.eye(C, dtype=np.int64)[rng.integers(0, C, 6)]),
             tags=frozenset({"2d", "int-target"})),
        Case("2d-axis0", (pred(rng, (C, 6), axis=0), sc(rng, (C, 6), axis=0)), {"axis": 0},
             tags=_2D),
        Case("nd-axis1", (pred(rng, (2, 3, 4), axis=1), sc(rng, (2, 3, 4), axis=1)),
             {"axis": 1}, tags=_ND),
        Case("nd-last", (pred(rng, (2, 3, 4)), sc(rng, (2, 3, 4))), tags=_ND),
    ]


def _kl_cases(rng: np.random.Generator) -> list[Case]:
    lp, C = log_probabilities, 5
    return [
        *_row_cases(rng, lp),
        Case("2d-bool-target", (lp(rng, (4, C)), np.eye(C, dtype=bool)[rng.integers(0, C, 4)]),
             tags=frozenset({"2d", "bool-target"})),
        Case("2d-log-target", (lp(rng, (6, C)), lp(rng, (6, C))), {"log_target": True},
             tags=_2D),
        Case("nd-axis1-log-target", (lp(rng, (2, 4, 3, 2), axis=1),
                                     lp(rng, (2, 4, 3, 2), axis=1)),
             {"axis": 1, "log_target": True}, tags=_ND),
    ]


def _kl_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * np.array([[1.0, -1.0, 0.5, -0.5], [-1.0, -1.0, 1.0, 0.0],
                          [1.0, 1.0, -1.0, -1.0]])
        lq = x - np.max(x, axis=-1, keepdims=True)
        lq = lq - np.log(np.sum(np.exp(lq), axis=-1, keepdims=True))
        t = np.array([[0.0, 1.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.5], [0.0, 0.0, 0.25, 0.75]])
        lt = np.array([[-1.0, -m, -2.0, -3.0], [-m, 0.0, -m, -m], [-0.5, -1.5, -m, -2.0]])
        out += [
            Case(f"log-probs-of-logits-pm{m:g}", (lq, t), dtypes=dtypes, tags=_2D),
            Case(f"log-probs-of-logits-pm{m:g}-log-target", (lq, lt), {"log_target": True},
                 dtypes=dtypes, tags=_2D),
        ]
    # a zero target where log_pred is -inf contributes 0 (PyTorch: 0 * -inf = NaN)
    li = np.array([[-np.inf, np.log(0.4), np.log(0.6)], [0.0, -np.inf, -np.inf]])
    ti = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    out.append(Case("neg-inf-log-pred-zero-target", (li, ti), tags=_2D))
    lti = np.array([[-np.inf, np.log(0.5), np.log(0.5)], [0.0, -np.inf, -np.inf]])
    out.append(Case("neg-inf-log-target", (li, lti), {"log_target": True}, tags=_2D))
    return out


def _kl_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """``F.kl_div(log_pred, target, log_target=...)``: PyTorch's ``batchmean`` and
    ``sum`` for ``(N, C)`` rows along the last axis, its ``none`` summed over the axis
    otherwise (then the mean over the samples)."""
    F = torch().nn.functional
    lq, tg = t[0], t[1].to(t[0].dtype)  # (integer and bool one-hot rows: as floats)
    log_target = bool(kw.get("log_target", False))
    axis = _axis(kw, lq.ndim)
    if lq.ndim == 2 and axis == 1 and lq.shape[0] and reduction != "none":
        return F.kl_div(lq, tg, reduction="batchmean" if reduction == "mean" else "sum",
                        log_target=log_target)
    per = F.kl_div(lq, tg, reduction="none", log_target=log_target).sum(axis)
    return _samples(per, reduction)


def _kl_scipy(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
              reduction: str) -> np.ndarray:
    """``scipy.special.rel_entr(t, exp(log_pred))`` summed over the axis."""
    from scipy.special import rel_entr

    lq, tg = np.asarray(args[0], np.float64), np.asarray(args[1], np.float64)
    if kwargs.get("log_target", False):
        tg = np.exp(tg)
    axis = _axis(kwargs, lq.ndim)
    return _np_samples(np.sum(rel_entr(tg, np.exp(lq)), axis=axis), reduction)


# the docstring's example: PyTorch's batchmean (not its element-wise mean, 0.130863)
_KL_Q = np.array([[0.5, 0.25, 0.25], [0.1, 0.2, 0.7]])
_KL_T = np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]])

_PINNED_KL = (
    Pinned("docstring-example-batchmean", (np.log(_KL_Q), _KL_T), value=0.39259001539688854,
           reductions=("mean",), dtypes=("float64",)),
    Pinned("docstring-example-none", (np.log(_KL_Q), _KL_T),
           value=np.array([0.6931471805599453, 0.09203285023383184]), dtypes=("float64",)),
    # a zero target contributes exactly 0, value and gradient, even at log_pred = -inf
    # (PyTorch: NaN there); the other terms: 0.5 (log 0.5 + 1) each
    Pinned("zero-target-at-neg-inf", (np.array([[-np.inf, -1.0, -1.0]]),
                                      np.array([[0.0, 0.5, 0.5]])),
           value=np.array([1.0 - math.log(2.0)]), grad=np.array([[0.0, -0.5, -0.5]]),
           compiled=True),
    Pinned("neg-inf-log-target", (np.array([[-np.inf, -1.0, -1.0]]),
                                  np.array([[-np.inf, math.log(0.5), math.log(0.5)]])),
           {"log_target": True}, value=np.array([1.0 - math.log(2.0)]),
           grad=np.array([[0.0, -0.5, -0.5]]), compiled=True),
    Pinned("0d-result-is-an-array", (np.array([0.0]), np.array([1.0])), value=0.0),
)


# --------------------------------------------------------------------------- js_divergence


def _js_cases(rng: np.random.Generator) -> list[Case]:
    cp, lg, C = class_probabilities, logits, 5
    return [
        *_row_cases(rng, cp),
        Case("2d-equal-rows", (cp(rng, (4, C)),) * 2, tags=_2D),
        Case("2d-from-logits", (lg(rng, (6, C)), lg(rng, (6, C))), {"from_logits": True},
             tags=_2D),
        Case("nd-axis1-from-logits", (lg(rng, (2, 4, 3, 2)), lg(rng, (2, 4, 3, 2))),
             {"axis": 1, "from_logits": True}, tags=_ND),
    ]


def _js_extreme(rng: np.random.Generator) -> list[Case]:
    # one-hot rows, halves and disjoint supports: probabilities of exactly 0 and 1
    p = np.array([[1.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5],
                  [0.25, 0.25, 0.25, 0.25]])
    t = np.array([[0.0, 1.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0],
                  [1.0, 0.0, 0.0, 0.0]])
    out = [Case("probs-0-and-1", (p, t), tags=_2D)]
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * np.array([[1.0, -1.0, 0.5, -0.5], [-1.0, -1.0, 1.0, 0.0],
                          [1.0, 1.0, -1.0, -1.0]])
        y = m * np.array([[-1.0, 1.0, 0.5, -0.5], [-1.0, -1.0, 1.0, 0.0],
                          [0.5, 1.0, -1.0, 1.0]])
        out.append(Case(f"logits-pm{m:g}", (x, y), {"from_logits": True}, dtypes=dtypes,
                        tags=_2D))
    return out


def _js_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """The definition ``KL(p ‖ m)/2 + KL(t ‖ m)/2``, ``m = (p + t)/2``, each KL by
    ``F.kl_div`` summed over the axis (with logits: of the two log-softmaxes,
    ``log_target=True``, ``log m`` by ``logsumexp``)."""
    th = torch()
    F = th.nn.functional
    axis = _axis(kw, t[0].ndim)
    if kw.get("from_logits", False):
        lp, lt = F.log_softmax(t[0], axis), F.log_softmax(t[1], axis)
        lm = th.logsumexp(th.stack([lp, lt]), 0) - math.log(2.0)
        per = (F.kl_div(lm, lp, reduction="none", log_target=True)
               + F.kl_div(lm, lt, reduction="none", log_target=True)).sum(axis) * 0.5
    else:
        p, q = t[0], t[1].to(t[0].dtype)
        m = 0.5 * (p + q)
        lm = th.log(th.where(m > 0, m, th.ones_like(m)))  # (m = 0: p = t = 0, no term)
        per = (F.kl_div(lm, p, reduction="none")
               + F.kl_div(lm, q, reduction="none")).sum(axis) * 0.5
    return _samples(per, reduction)


def _js_scipy(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
              reduction: str) -> np.ndarray | None:
    """``scipy.spatial.distance.jensenshannon(p, t, base=e) ** 2`` along the axis (of
    the softmaxes with logits).  SciPy renormalises the rows (they sum to 1 here) and
    loses digits for close rows (its two ``rel_entr`` terms cancel): left out there."""
    from scipy.spatial.distance import jensenshannon
    from scipy.special import softmax

    p, t = np.asarray(args[0], np.float64), np.asarray(args[1], np.float64)
    axis = _axis(kwargs, p.ndim)
    if kwargs.get("from_logits", False):
        p, t = softmax(p, axis=axis), softmax(t, axis=axis)
    if p.size == 0 or np.max(np.abs(p - t)) < 1e-3:
        return None
    return _np_samples(jensenshannon(p, t, axis=axis, base=math.e) ** 2, reduction)


def _js_mpmath(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any], reduction: str,
               dtype: str) -> np.ndarray:
    """The definition in 50-digit arithmetic (mpmath), per row of the last axis."""
    import mpmath

    with mpmath.workdps(50):
        rows = []
        for pr, tr in zip(np.asarray(args[0]), np.asarray(args[1]), strict=True):
            total = mpmath.mpf(0)
            for a, b in zip(pr.tolist(), tr.tolist(), strict=True):
                a, b = mpmath.mpf(a), mpmath.mpf(b)
                m = (a + b) / 2
                total += (a * mpmath.log(a / m) if a else 0) + (b * mpmath.log(b / m) if b else 0)
            rows.append(float(total / 2))
    return _np_samples(np.array(rows), reduction)


def _close_rows() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(17)
    p = rng.dirichlet(np.ones(5), size=4)
    t = p * (1.0 + 1e-6 * rng.normal(size=p.shape))
    return p, t / np.sum(t, axis=1, keepdims=True)


_PINNED_JS = (
    Pinned("docstring-example", (np.array([[0.5, 0.5, 0.0], [0.1, 0.2, 0.7]]),
                                 np.array([[0.0, 0.0, 1.0], [0.2, 0.3, 0.5]])),
           value=np.array([math.log(2.0), 0.02190117896849383]), dtypes=("float64",)),
    # disjoint supports: log 2, in every dtype (half precision within its tolerance)
    Pinned("disjoint-supports-log-2", (np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])),
           value=np.array([math.log(2.0)]), compiled=True),
    # close rows (|p - t| ~ 1e-7): the divergence ~1e-13 to 1e-12 digits, where the
    # direct form (and SciPy's jensenshannon: relative error 1e-3 here) cancels
    Pinned("close-rows-keep-their-digits", _close_rows(), value=_js_mpmath,
           dtypes=("float64",), tol=Tol(rtol=1e-12, atol=0.0)),
    Pinned("0d-result-is-an-array", (np.array([0.25, 0.75]), np.array([0.75, 0.25])),
           value="oracle"),
)


# --------------------------------------------------------------------------- distillation


def _distill_cases(rng: np.random.Generator) -> list[Case]:
    lg, C = logits, 5
    return [
        Case("1d-0d-result", (lg(rng, (C,)), lg(rng, (C,))), tags=frozenset({"0d"})),
        Case("empty", (lg(rng, (0, C)), lg(rng, (0, C))),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d", (lg(rng, (6, C)), lg(rng, (6, C))), tags=_2D),
        *(Case(f"2d-temperature-{T:g}", (lg(rng, (6, C)), lg(rng, (6, C))),
               {"temperature": T}, tags=_2D) for T in (0.5, 2.5, 10.0)),
        Case("2d-axis0", (lg(rng, (C, 6)), lg(rng, (C, 6))), {"axis": 0}, tags=_2D),
        Case("nd-axis1", (lg(rng, (2, 4, 3, 2)), lg(rng, (2, 4, 3, 2))),
             {"axis": 1, "temperature": 4.0}, tags=_ND),
        Case("nd-last", (lg(rng, (2, 3, 4)), lg(rng, (2, 3, 4))), tags=_ND),
    ]


def _distill_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        x = m * np.array([[1.0, -1.0, 0.5, -0.5], [-1.0, -1.0, 1.0, 0.0],
                          [1.0, 1.0, -1.0, -1.0]])
        y = m * np.array([[-1.0, 1.0, 0.5, -0.5], [-1.0, -1.0, 1.0, 0.0],
                          [0.5, 1.0, -1.0, 1.0]])
        out += [Case(f"logits-pm{m:g}-temperature-{T:g}", (x, y), {"temperature": T},
                     dtypes=dtypes, tags=_2D) for T in (0.5, 1.0, 4.0)]
    return out


def _distill_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """Hinton et al.: ``F.kl_div(F.log_softmax(s / T), F.log_softmax(t / T),
    log_target=True, reduction="batchmean") * T**2`` (``sum`` likewise; ``none``
    summed over the axis), the teacher detached."""
    F = torch().nn.functional
    T = float(kw.get("temperature", 1.0))
    axis = _axis(kw, t[0].ndim)
    ls = F.log_softmax(t[0] / T, axis)
    lt = F.log_softmax(t[1].detach() / T, axis)
    if t[0].ndim == 2 and axis == 1 and t[0].shape[0] and reduction != "none":
        return F.kl_div(ls, lt, log_target=True,
                        reduction="batchmean" if reduction == "mean" else "sum") * T**2
    per = F.kl_div(ls, lt, log_target=True, reduction="none").sum(axis) * T**2
    return _samples(per, reduction)


def _distill_scipy(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                   reduction: str) -> np.ndarray:
    """``T**2 * scipy.special.rel_entr(softmax(t / T), softmax(s / T))`` summed over the
    axis."""
    from scipy.special import rel_entr, softmax

    T = float(kwargs.get("temperature", 1.0))
    s, t = np.asarray(args[0], np.float64), np.asarray(args[1], np.float64)
    axis = _axis(kwargs, s.ndim)
    per = T**2 * np.sum(rel_entr(softmax(t / T, axis=axis), softmax(s / T, axis=axis)),
                        axis=axis)
    return _np_samples(per, reduction)


_S = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
_T = np.array([[3.0, 0.0, -2.0], [0.0, 0.5, 2.5]])

_PINNED_DISTILL = (
    Pinned("docstring-example", (_S, _T), {"temperature": 2.0},
           value=np.array([0.28201298, 0.05193584]), dtypes=("float64",),
           tol=Tol(rtol=1e-7, atol=0.0)),
    # equal rows up to a shift: exactly +0.0 (never a rounded negative, never -0.0)
    Pinned("shifted-teacher-is-zero", (np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 2.0, 3.0]])),
           {"temperature": 3.0}, value=np.array([0.0])),
    Pinned("0d-result-is-an-array", (np.array([0.5, -0.5]), np.array([-0.5, 0.5])),
           value="oracle", grad="oracle", compiled=True),
    # fuzzer: at T = 1e4 the direct sum's terms (~1e-5) cancelled to their rounding, times
    # T**2 (PyTorch 5.996 vs NumPy 0.0373 in float16); the value in 60-digit arithmetic
    Pinned("high-temperature-keeps-its-digits",
           (np.array([0.125732421875, -0.132080078125]), np.array([0.640625, 0.10491943359375])),
           {"temperature": 10000.0}, value=0.009653069539742416,
           tol={"float64": Tol(1e-12, 0.0), "float32": Tol(1e-5, 0.0),
                "float16": Tol(1e-2, 0.0), "bfloat16": Tol(2e-2, 0.0)}),
)


# --------------------------------------------------------------------------- specs

SPECS = [
    torch_spec("kl_div", _kl_torch, "torch.nn.functional.kl_div (batchmean, sum; none "
               "summed over the axis)", _kl_cases, _kl_extreme,
               differences="losses_xp's mean is PyTorch's reduction='batchmean' for (N, C) "
               "rows (the mean over samples for N-d inputs; PyTorch's element-wise 'mean' "
               "divides by N*C); its 'none' is PyTorch's summed over the axis. A zero target "
               "where log_pred is -inf, and a log-target of -inf, contribute 0 (PyTorch: NaN, "
               "0 * -inf).",
               cross_checks=(("scipy.special.rel_entr", _kl_scipy, EXACT),),
               pinned=_PINNED_KL),
    torch_spec("js_divergence", _js_torch, "KL(p || m)/2 + KL(t || m)/2 by "
               "torch.nn.functional.kl_div (Lin 1991)", _js_cases, _js_extreme,
               differences="No loss library has it: the oracle is its definition through "
               "PyTorch's kl_div in float64 (its gradient at a probability of 0 is -inf: "
               "the extreme cases compare finite values only). SciPy's jensenshannon is the "
               "square root and renormalises the rows: squared, a cross-check.",
               cross_checks=(("scipy.spatial.distance.jensenshannon(base=e) ** 2", _js_scipy,
                              EXACT),),
               pinned=_PINNED_JS),
    torch_spec("distillation_loss", _distill_torch, "F.kl_div(F.log_softmax(s / T), "
               "F.log_softmax(t / T), log_target=True, reduction='batchmean') * T**2 "
               "(Hinton et al. 2015)", _distill_cases, _distill_extreme,
               differences="The mean is over samples (PyTorch's batchmean for (N, C)); the "
               "teacher's gradient is stopped (the expression detaches it).",
               cross_checks=(("T**2 * scipy.special.rel_entr(softmax(t / T), softmax(s / T))",
                              _distill_scipy, EXACT),),
               pinned=_PINNED_DISTILL),
]


# --------------------------------------------------------------------------- tests


def test_distillation_loss_teacher_gradient_is_stopped(bk: Backend) -> None:
    """The teacher is a fixed target on every autodiff backend: ``jax.grad`` with respect
    to it is 0; PyTorch leaves it out of the graph (``.grad`` stays ``None``), and the
    student's gradient is PyTorch's own through the detached expression."""
    if not bk.autodiff:
        pytest.skip(f"{bk.name} has no autodiff: nothing to stop")
    s, t = _S, _T
    if bk.name == "jax":
        import jax

        g = jax.grad(lambda a, b: lx.distillation_loss(a, b, temperature=2.0),
                     argnums=(0, 1))(bk.asarray(s, "float64"), bk.asarray(t, "float64"))
        assert np.all(bk.to_numpy(g[1]) == 0.0)
        student = bk.to_numpy(g[0])
    else:
        a = bk.asarray(s, "float64").requires_grad_(True)
        b = bk.asarray(t, "float64").requires_grad_(True)
        lx.distillation_loss(a, b, temperature=2.0).backward()
        assert b.grad is None
        student = bk.to_numpy(a.grad)
    th = torch()
    ts = th.tensor(s, requires_grad=True)
    _distill_torch([ts, th.tensor(t)], {"temperature": 2.0}, "mean").backward()
    np.testing.assert_allclose(student, ts.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_js_divergence_is_symmetric_and_bounded(bk: Backend) -> None:
    """Swapping the arguments gives the same bits; the value lies in [0, log 2], log 2
    exactly for disjoint supports (probabilities and logits)."""
    dtype = "float64" if "float64" in bk.dtypes else "float32"
    eps = float(np.finfo(dtype).eps)
    rng = np.random.default_rng(5)
    p = soft_class_targets(rng, (8, 6), zeros=True)
    t = soft_class_targets(rng, (8, 6), zeros=True)
    for a, b, kw in ((p, t, {}), (logits(rng, (8, 6)), logits(rng, (8, 6)),
                                  {"from_logits": True})):
        x, y = bk.asarray(a, dtype), bk.asarray(b, dtype)
        one = bk.to_numpy(lx.js_divergence(x, y, reduction="none", **kw))
        other = bk.to_numpy(lx.js_divergence(y, x, reduction="none", **kw))
        np.testing.assert_array_equal(one, other)
        assert np.all((one >= 0.0) & (one <= math.log(2.0) * (1 + 4 * eps)))
    eye = np.eye(4)
    out = bk.to_numpy(lx.js_divergence(bk.asarray(eye, dtype), bk.asarray(eye[::-1], dtype),
                                       reduction="none"))
    np.testing.assert_allclose(out, math.log(2.0), rtol=4 * eps)
