"""Conformance specs of ``losses_xp.embedding`` (see ``conformance/registry.py`` for the fields)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from losses_xp._testing.inputs import EPS, FULL, HALF, Case, regression_values

from .registry import (
    EXACT,
    KERAS,
    Pinned,
    Spec,
    Tol,
    from_torch,
    keras,
    np_reduce,
    t_reduce,
    torch,
    torch_spec,
)

SPECS: list[Spec] = []


# =========================================================== cosine and triplet losses
# Oracles (float64): PyTorch's F.cosine_similarity (each norm clamped at eps, as here),
# F.cosine_embedding_loss and F.triplet_margin_loss, gradients by autograd; optax's
# cosine_distance (JAX float64) and Keras's cosine_similarity (NumPy backend, float32)
# as cross-checks.


_2D, _ND = frozenset({"2d"}), frozenset({"nd"})


def _ax(kwargs: Mapping[str, Any], ndim: int) -> int:
    return int(kwargs.get("axis", -1)) % ndim


def _zero_rows(x: np.ndarray, rows: tuple[int, ...], axis: int = -1) -> np.ndarray:
    """``x`` (rows along ``axis``) with the rows numbered ``rows`` (flat order) zero."""
    r = np.moveaxis(np.array(x, dtype=np.float64), axis, -1)
    flat = r.reshape(-1, r.shape[-1])
    flat[list(rows)] = 0.0
    return np.moveaxis(flat.reshape(r.shape), -1, axis)


# --------------------------------------------------------------------------- cosine_distance


def _cosine_cases(rng: np.random.Generator) -> list[Case]:
    rv = regression_values
    p2, t2 = rv(rng, (6, 5)), rv(rng, (6, 5))
    small = rv(rng, (6, 5)) * np.array([1.0, 0.01, 1.0, 0.02, 1.0, 1.0])[:, None]
    return [
        Case("1d-0d-result", (rv(rng, (5,)), rv(rng, (5,))), tags=frozenset({"0d"})),
        Case("empty", (rv(rng, (0, 5)), rv(rng, (0, 5))),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d", (p2, t2), tags=_2D),
        # (the gradient at a distance of 0 or 2 is 0 plus rounding: values only)
        Case("2d-parallel-and-opposite", (p2, np.concatenate([3.0 * p2[:3], -0.5 * p2[3:]])),
             tags=_2D, grad=False),
        # a zero row (in either argument, or both) with an explicit eps: distance 1, the
        # gradient t / (|t| eps) (PyTorch's, with its eps)
        Case("2d-zero-rows-eps", (_zero_rows(p2, (1, 4)), _zero_rows(t2, (2, 4))),
             {"eps": 1e-3}, tags=_2D),
        Case("2d-eps-0.5", (small, rv(rng, (6, 5))), {"eps": 0.5}, tags=_2D),
        Case("2d-one-dimensional-rows", (rv(rng, (6, 1)), rv(rng, (6, 1))), tags=_2D,
             grad=False),  # (distances 0 and 2: the gradient 0 plus rounding)
        Case("2d-axis0", (rv(rng, (5, 6)), rv(rng, (5, 6))), {"axis": 0}, tags=_2D),
        Case("nd-axis1", (rv(rng, (2, 4, 3)), rv(rng, (2, 4, 3))), {"axis": 1}, tags=_ND),
        Case("nd-last", (rv(rng, (2, 3, 4)), rv(rng, (2, 3, 4))), tags=_ND),
        Case("nd-axis-negative", (rv(rng, (2, 3, 4, 2)), rv(rng, (2, 3, 4, 2))),
             {"axis": -3, "eps": 1e-8}, tags=_ND),
    ]


def _cosine_extreme(rng: np.random.Generator) -> list[Case]:
    """Rows far beyond the square root of the range (their squares overflow), rows far
    below the eps (clamped), zero rows with the default eps (a gradient of 1 / eps, finite
    in every dtype)."""
    out = []
    for dtypes, big, tiny in ((FULL, 1e30, 1e-30), (HALF, 6e4, 1e-5)):
        x = rng.choice([-1.0, -0.5, 0.5, 1.0], size=(4, 3))
        y = rng.choice([-1.0, -0.5, 0.5, 1.0], size=(4, 3))
        out += [
            Case(f"rows-of-{big:g}", (big * x, big * y), dtypes=dtypes, tags=_2D),
            Case(f"rows-of-{big:g}-and-{tiny:g}", (big * x, tiny * y), dtypes=dtypes,
                 tags=_2D),
            Case(f"zero-rows-and-{big:g}", (_zero_rows(big * x, (0, 2)), big * y),
                 dtypes=dtypes, tags=_2D),
        ]
    out.append(Case("zero-rows-every-dtype", (_zero_rows(x, (1, 3)), _zero_rows(y, (0, 1))),
                    tags=_2D))
    return out


def _cosine_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """The definition in PyTorch float64, each row divided by its norm clamped at eps
    (``torch.linalg.vector_norm(...).clamp_min(eps)``; without eps a vanishing one,
    1e-300: the value cases with zero rows pass their eps, the extreme cases use the
    dtype's, :func:`_cosine_extreme_oracle`), clipped to [0, 2]: its value is
    ``1 - F.cosine_similarity(pred, target, dim=axis, eps=eps)`` (the cross-check), its
    autograd gradient that of the value (``F.cosine_similarity``'s own passes the
    gradient of the norm straight through its clamp)."""
    th = torch()
    eps = kw.get("eps")
    e = 1e-300 if eps is None else float(eps)
    axis = _ax(kw, t[0].ndim)
    u = [x / th.linalg.vector_norm(x, dim=axis, keepdim=True).clamp_min(e) for x in t[:2]]
    return t_reduce((1.0 - (u[0] * u[1]).sum(axis)).clamp(0.0, 2.0), reduction)


def _cosine_similarity_torch(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                             reduction: str) -> np.ndarray:
    """``1 - F.cosine_similarity(pred, target, dim=axis, eps=eps)`` in float64, clipped
    to [0, 2] (a cross-check of the values)."""
    th = torch()
    eps = kwargs.get("eps")
    p, t = (th.from_numpy(np.array(a, np.float64)) for a in args[:2])
    d = 1.0 - th.nn.functional.cosine_similarity(p, t, dim=_ax(kwargs, p.ndim),
                                                 eps=1e-300 if eps is None else float(eps))
    return np.asarray(t_reduce(d.clamp(0.0, 2.0), reduction).numpy(), np.float64)


def _cosine_extreme_oracle(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                           reduction: str, dtype: str) -> np.ndarray:
    """The PyTorch oracle with the default eps of ``dtype`` (its machine epsilon)."""
    kw = dict(kwargs)
    if kw.get("eps") is None:
        kw["eps"] = EPS[dtype]
    return from_torch(_cosine_torch)(args, kw, reduction)


def _cosine_optax(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                  reduction: str) -> np.ndarray:
    """``optax.losses.cosine_distance(pred, target, epsilon=eps**2, axis=axis)`` in JAX
    float64 (optax clamps the squared norms)."""
    import jax
    import jax.numpy as jnp
    import optax

    eps = kwargs.get("eps")
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        p = np.asarray(args[0], np.float64)
        v = optax.losses.cosine_distance(
            jnp.asarray(p), jnp.asarray(np.asarray(args[1], np.float64)),
            epsilon=1e-300 if eps is None else float(eps) ** 2, axis=_ax(kwargs, p.ndim))
        value = np.clip(np.asarray(v, np.float64), 0.0, 2.0)
    finally:
        jax.config.update("jax_enable_x64", old)
    return np_reduce(value, reduction)


def _cosine_keras(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                  reduction: str) -> np.ndarray | None:
    """``1 + keras.losses.cosine_similarity(target, pred, axis=axis)`` (target first; the
    negative similarity, float32; a norm clamped at 1e-6): ``None`` where a row's norm
    is below the clamps but not 0, and for 1-d rows or another axis than the last
    (Keras's ``normalize`` broadcasts its norms for the last axis only)."""
    p, t = (np.asarray(a, np.float64) for a in args[:2])
    axis = _ax(kwargs, p.ndim)
    if p.ndim < 2 or axis != p.ndim - 1:
        return None
    clamp = max(1e-6, float(kwargs.get("eps") or 0.0))
    for a in (p, t):
        n = np.sqrt(np.sum(a * a, axis=axis))
        if np.any((n > 0) & (n < clamp)):
            return None
    sim = keras().losses.cosine_similarity(t, p, axis=axis)
    return np_reduce(np.clip(1.0 + np.asarray(sim, np.float64), 0.0, 2.0), reduction)


def _cosine_zero_row_grad(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                          reduction: str, dtype: str) -> np.ndarray:
    """The gradient of the rows [0, 0] vs (3, 4) and (3, 4) vs (3, 4): -t / (|t| eps)
    with the dtype's eps, then 0."""
    return np.array([[-0.6, -0.8], [0.0, 0.0]]) / EPS[dtype]


_PINNED_COSINE = (
    Pinned("docstring", (np.array([[1.0, 0.0], [0.0, 3.0], [0.0, 0.0]]),
                         np.array([[0.0, 2.0], [0.0, -1.0], [1.0, 0.0]])),
           value=np.array([1.0, 2.0, 1.0]), dtypes=("float64", "float32")),
    Pinned("docstring-mean", (np.array([[1.0, 0.0], [0.0, 3.0], [0.0, 0.0]]),
                              np.array([[0.0, 2.0], [0.0, -1.0], [1.0, 0.0]])),
           value=4.0 / 3.0, reductions=("mean",), dtypes=("float64",)),
    # a zero row: distance 1 and the gradient -t / (|t| eps) with eps the machine epsilon
    # of the input dtype (1024 times -t/|t| in float16), finite in every dtype; compiled
    Pinned("zero-row-default-eps", (np.array([[0.0, 0.0], [3.0, 4.0]]),
                                    np.array([[3.0, 4.0], [3.0, 4.0]])),
           value=np.array([1.0, 0.0]), grad=_cosine_zero_row_grad,
           dtypes=("float32",), compiled=True),
    # a row of norm 0.5 below eps = 1: divided by 1, so the value 1 - 0.3 and the
    # gradient -t / |t| / eps (PyTorch's F.cosine_similarity autograd: (-0.82, 0.24), the
    # norm's gradient passed straight through its clamp)
    Pinned("row-below-eps", (np.array([[0.3, 0.4]]), np.array([[2.0, 0.0]])), {"eps": 1.0},
           value=np.array([0.7]), grad=np.array([[-1.0, 0.0]])),
    # squares that overflow float32 (1e30^2): the norm of the scaled row
    Pinned("rows-of-1e30", (np.array([[1e30, 0.0], [1e30, 1e30]]),
                            np.array([[0.0, 3e30], [-2e30, -2e30]])),
           value=np.array([1.0, 2.0]), dtypes=("float32", "float64")),
    # optax computes NaN at a zero row (epsilon=0); optax's epsilon is our eps squared
    Pinned("optax-nan-at-zero-row", (np.array([[0.0, 0.0, 0.0]]), np.array([[1.0, 2.0, 2.0]])),
           value=np.array([1.0]), grad=np.array([[-1.0, -2.0, -2.0]]) / 3.0 / 1e-8,
           kwargs={"eps": 1e-8}, dtypes=("float64",)),
)

SPECS += [
    torch_spec("cosine_distance", _cosine_torch,
               "1 - sum(x / max(|x|, eps) * y / max(|y|, eps)) (PyTorch float64), "
               "= 1 - torch.nn.functional.cosine_similarity(pred, target, dim=axis, eps=eps)",
               _cosine_cases, _cosine_extreme,
               differences="No PyTorch cosine distance: the oracle is the definition (each "
               "norm clamped at eps) in PyTorch float64, clipped to [0, 2], whose values "
               "1 - F.cosine_similarity(eps=eps) reproduces (a cross-check); the gradient is "
               "that of the value, where F.cosine_similarity's autograd passes the norm's "
               "gradient straight through its clamp (a row of norm below eps: pinned). The "
               "default eps is the input dtype's machine epsilon (the extreme "
               "cases' oracle uses it; PyTorch's is a fixed 1e-8). optax.cosine_distance "
               "clamps the squared norms (its epsilon = eps**2, default 0: NaN at a zero "
               "row): a cross-check with epsilon = eps**2. Keras returns the negative "
               "similarity (target first, float32): 1 + keras.losses.cosine_similarity is "
               "a cross-check.",
               extreme_oracle=_cosine_extreme_oracle,
               cross_checks=(("1 - F.cosine_similarity(eps=eps) (PyTorch float64)",
                              _cosine_similarity_torch, EXACT),
                             ("optax.losses.cosine_distance(epsilon=eps**2) (JAX float64)",
                              _cosine_optax, EXACT),
                             ("1 + keras.losses.cosine_similarity (NumPy backend)",
                              _cosine_keras, KERAS)),
               pinned=_PINNED_COSINE),
]



# --------------------------------------------------------------------------- cosine_embedding_loss


def _signs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """One -1 or +1 per row (floats), both where there are two rows or more."""
    y = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
    y.reshape(-1)[:2] = (1.0, -1.0)[:y.size]
    return np.asarray(y)


def _cel_cases(rng: np.random.Generator) -> list[Case]:
    rv, sg = regression_values, _signs
    p2, q2 = rv(rng, (6, 5)), rv(rng, (6, 5))
    return [
        Case("1d-0d-result", (rv(rng, (5,)), rv(rng, (5,)), np.asarray(1.0)),
             tags=frozenset({"0d"})),
        Case("1d-0d-result-negative", (rv(rng, (5,)), rv(rng, (5,)), np.asarray(-1.0)),
             {"margin": -0.5}, tags=frozenset({"0d"})),
        Case("empty", (rv(rng, (0, 5)), rv(rng, (0, 5)), sg(rng, (0,))),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d", (p2, q2, sg(rng, (6,))), tags=_2D),
        Case("2d-int-target", (rv(rng, (6, 5)), rv(rng, (6, 5)),
                               sg(rng, (6,)).astype(np.int64)), tags=_2D),
        Case("2d-bool-target", (rv(rng, (6, 5)), rv(rng, (6, 5)), sg(rng, (6,)) > 0),
             tags=_2D),
        Case("2d-margin-0.5", (p2, q2, -np.ones(6)), {"margin": 0.5}, tags=_2D),
        Case("2d-margin--0.5", (p2, q2, sg(rng, (6,))), {"margin": -0.5}, tags=_2D),
        # zero rows: cosine 0 (PyTorch: 0 too, with its 1e-12 on the squared norms; the
        # gradients differ there: pinned)
        Case("2d-zero-rows", (_zero_rows(p2, (1, 4)), _zero_rows(q2, (2, 4)),
                              sg(rng, (6,))), tags=_2D, grad=False),
        Case("2d-axis0", (rv(rng, (5, 6)), rv(rng, (5, 6)), sg(rng, (6,))), {"axis": 0},
             tags=_2D),
        Case("nd-axis1", (rv(rng, (2, 4, 3)), rv(rng, (2, 4, 3)), sg(rng, (2, 3))),
             {"axis": 1, "margin": 0.25}, tags=_ND),
        Case("nd-last", (rv(rng, (2, 3, 4)), rv(rng, (2, 3, 4)), sg(rng, (2, 3))), tags=_ND),
    ]


def _cel_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes, big in ((FULL, 1e30), (HALF, 6e4)):
        x = rng.choice([-1.0, -0.5, 0.5, 1.0], size=(4, 3))
        y = rng.choice([-1.0, -0.5, 0.5, 1.0], size=(4, 3))
        s = np.array([1.0, -1.0, 1.0, -1.0])
        out += [Case(f"rows-of-{big:g}", (big * x, big * y, s), dtypes=dtypes, tags=_2D),
                Case(f"zero-rows-and-{big:g}", (_zero_rows(big * x, (0, 1)), big * y, s),
                     dtypes=dtypes, tags=_2D)]
    return out


def _cel_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """``F.cosine_embedding_loss(x1, x2, y, margin=margin, reduction="none")`` on the
    rows moved to the last axis and flattened to 2-d (PyTorch takes 1-d or 2-d inputs,
    rows along dim 1), then our reductions."""
    F = torch().nn.functional
    x1, x2, y = t[0], t[1], t[2]
    axis = _ax(kw, x1.ndim)
    a, b = (x.movedim(axis, -1) for x in (x1, x2))
    rows = a.shape[:-1]
    # (a bool target reaches the oracle as 0/1 floats: False is -1)
    y = torch().where(y > 0, 1.0, -1.0).to(x1.dtype)
    if a.ndim == 1:
        per = F.cosine_embedding_loss(a[None], b[None], y.reshape(1),
                                      margin=float(kw.get("margin", 0.0)),
                                      reduction="none").reshape(())
    else:
        per = F.cosine_embedding_loss(a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1]),
                                      y.reshape(-1), margin=float(kw.get("margin", 0.0)),
                                      reduction="none").reshape(rows)
    return t_reduce(per, reduction)


def _cel_zero_row_grad(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                       reduction: str, dtype: str) -> np.ndarray:
    """A zero x1 row against (3, 4), label +1: -(0.6, 0.8) / eps of the dtype (PyTorch:
    -(0.6, 0.8) / 1e-6, its 1e-12 on the squared norms); then (3, 4) vs (3, 4), label -1,
    margin 0: the gradient of cos at cos = 1, 0."""
    return np.array([[-0.6, -0.8], [0.0, 0.0]]) / EPS[dtype]


_CEL_X1 = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
_CEL_X2 = np.array([[0.0, 2.0], [4.0, 0.0], [0.0, 1.0]])

_PINNED_CEL = (
    Pinned("docstring", (_CEL_X1, _CEL_X2, np.array([1, -1, -1])),
           value=np.array([1.0, 1.0, 1.0]), dtypes=("float64", "float32")),
    Pinned("docstring-margin", (_CEL_X1, _CEL_X2, np.array([-1, 1, -1])), {"margin": 0.5},
           value=np.array([0.0, 0.0, 0.5]), dtypes=("float64", "float32")),
    Pinned("bool-target", (_CEL_X1, _CEL_X2, np.array([False, True, False])),
           {"margin": 0.5}, value=np.array([0.0, 0.0, 0.5]), dtypes=("float64",)),
    # a zero row: the cosine 0 and a gradient of 1 / eps of the dtype, finite in float16
    Pinned("zero-row", (np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[3.0, 4.0], [3.0, 4.0]]),
                        np.array([1.0, -1.0])),
           value=np.array([1.0, 1.0]), grad=_cel_zero_row_grad,
           tol={"float64": Tol(1e-6, 1e-12), "float32": Tol(1e-5, 1e-5),
                "float16": Tol(1e-2, 1e-2), "bfloat16": Tol(2e-2, 2e-2)}),
)

SPECS += [
    torch_spec("cosine_embedding_loss", _cel_torch,
               "torch.nn.functional.cosine_embedding_loss(x1, x2, target, margin=margin)",
               _cel_cases, _cel_extreme,
               differences="PyTorch takes 1-d or 2-d inputs with the rows along dim 1: the "
               "oracle moves the axis last and flattens the batch. PyTorch's cosine adds "
               "1e-12 to each squared norm where we clamp each norm at the dtype's machine "
               "epsilon: the same values but for rows of norm below ~1e-6 (a zero row: 0 "
               "in both), different gradients at zero rows (checked by a pinned value). "
               "PyTorch takes a target of 0 (or any value) silently; here only -1 and +1 "
               "(the error catalogue).",
               pinned=_PINNED_CEL),
]


# --------------------------------------------------------------------------- triplet_margin_loss


def _triplet_cases(rng: np.random.Generator) -> list[Case]:
    rv = regression_values

    def three(shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
        a = rv(rng, shape)
        return a, a + rv(rng, shape, 0.7), rv(rng, shape)

    t2 = three((6, 5))
    out = [
        Case("1d-0d-result", three((5,)), tags=frozenset({"0d"})),
        Case("empty", three((0, 5)), tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d", t2, tags=_2D),
        Case("2d-swap", t2, {"swap": True}, tags=_2D),
        Case("2d-eps-0", three((6, 5)), {"eps": 0.0}, tags=_2D),
        Case("2d-eps-0.5", three((6, 5)), {"eps": 0.5, "margin": 2.0}, tags=_2D),
        Case("2d-margin-0.25", t2, {"margin": 0.25}, tags=_2D),
        Case("2d-axis0", three((5, 6)), {"axis": 0}, tags=_2D),
        Case("nd-axis1", three((2, 4, 3)), {"axis": 1, "swap": True}, tags=_ND),
        Case("nd-last", three((2, 3, 4)), {"margin": 3.0}, tags=_ND),
    ]
    for p in (1, 1.5, 3.0, math.inf):
        out.append(Case(f"2d-p-{p:g}", three((6, 5)), {"p": p, "margin": 2.0}, tags=_2D))
    out.append(Case("2d-p-1-swap", three((6, 5)), {"p": 1, "swap": True, "margin": 2.0},
                    tags=_2D))
    return out


def _triplet_extreme(rng: np.random.Generator) -> list[Case]:
    """Rows far beyond the square root of the range (float32), large rows in half
    precision (the sum below float16's range), a zero distance with eps = 0 (the
    gradient of the norm at 0: finite, 0 here and in PyTorch)."""
    out = []
    for dtypes, big in ((FULL, 1e30), (HALF, 2e3)):
        a, b, c = (rng.choice([-1.0, -0.5, 0.5, 1.0], size=(4, 3)) for _ in range(3))
        for p in (2.0, 1, math.inf):
            out.append(Case(f"rows-of-{big:g}-p-{p:g}", (big * a, big * b, big * c),
                            {"p": p}, dtypes=dtypes, tags=_2D))
    a = rng.choice([-1.0, -0.5, 0.5, 1.0], size=(4, 3))
    n = rng.choice([-1.0, -0.5, 0.5, 1.0], size=(4, 3))
    for p in (2.0, 1, 3.0):
        out.append(Case(f"zero-distance-eps-0-p-{p:g}", (a, a.copy(), n), {"eps": 0.0, "p": p},
                        tags=_2D))
        out.append(Case(f"zero-distance-eps-0-p-{p:g}-swap", (a, n.copy(), n),
                        {"eps": 0.0, "p": p, "swap": True}, tags=_2D))
    return out


def _triplet_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """``F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
    reduction="none")`` on the rows moved to the last axis and flattened to 2-d (PyTorch
    takes 1-d or 2-d inputs), then our reductions."""
    F = torch().nn.functional
    axis = _ax(kw, t[0].ndim)
    rows = [x.movedim(axis, -1) for x in t[:3]]
    batch = rows[0].shape[:-1]
    flat = [x.reshape(-1, x.shape[-1]) for x in rows]
    per = F.triplet_margin_loss(*flat, margin=float(kw.get("margin", 1.0)),
                                p=float(kw.get("p", 2.0)), eps=float(kw.get("eps", 1e-6)),
                                swap=bool(kw.get("swap", False)), reduction="none")
    return t_reduce(per.reshape(batch), reduction)


_PINNED_TRIPLET = (
    # optax's norm_degree=1 raises the signed differences to the power 1: its distances
    # are the sums eps and -3 + eps and it returns 4 (optax 0.2.8); the L1 triplet loss is
    # max(0, 1 + 2 - 3) = 0 (PyTorch's too)
    Pinned("optax-p-1-is-not-l1", (np.array([[0.0, 0.0]]), np.array([[1.0, -1.0]]),
                                   np.array([[3.0, 0.0]])), {"p": 1},
           value=np.array([0.0]), dtypes=("float64", "float32"),
           tol={"float64": Tol(1e-6, 1e-12), "float32": Tol(1e-5, 1e-6)}),
    Pinned("docstring", (np.array([[0.0, 0.0]]), np.array([[1.0, -1.0]]),
                         np.array([[3.0, 0.0]])), {"eps": 0.0, "margin": 2.0},
           value=np.array([2.0 + math.sqrt(2.0) - 3.0]), dtypes=("float64", "float32")),
    # a zero distance (eps = 0, anchor == positive): the gradient of that norm is 0, the
    # negative's -(a - n)/|a - n|; compiled too
    Pinned("zero-distance-gradient", (np.array([[1.0, 2.0]]), np.array([[1.0, 2.0]]),
                                      np.array([[1.0, 2.5]])), {"eps": 0.0},
           value=np.array([0.5]), grad=np.array([[0.0, 1.0]]), dtypes=("float32",), compiled=True),
)

SPECS += [
    torch_spec("triplet_margin_loss", _triplet_torch,
               "torch.nn.functional.triplet_margin_loss(anchor, positive, negative, "
               "margin=margin, p=p, eps=eps, swap=swap)",
               _triplet_cases, _triplet_extreme,
               differences="PyTorch takes 1-d or 2-d inputs with the rows along the last "
               "dim: the oracle moves the axis last and flattens the batch. None in the "
               "values. optax's triplet_margin_loss is wrong for p != 2 (signed powers): a "
               "pinned case.",
               pinned=_PINNED_TRIPLET),
]


# --------------------------------------------------------------------------- contrastive
# (contrastive_loss, info_nce_loss)

_C2D, _CEMPTY = frozenset({"2d"}), frozenset({"empty"})
#: the feature length of the generated embeddings
_D = 4


def _by_anchor(th: Any, pair_loss: Any, rows: Any, n: int, reduction: str) -> Any:
    """Per-pair losses (``rows``: each pair's anchor) averaged per anchor, then our
    reductions: ``mean`` over the anchors that have a pair, 0 where none has."""
    zeros = th.zeros(n, dtype=th.float64)
    count = zeros.index_add(0, rows, th.ones_like(pair_loss))
    per_row = zeros.index_add(0, rows, pair_loss) / count.clamp(min=1.0)
    if reduction == "none":
        return per_row
    if reduction == "sum":
        return per_row.sum()
    return per_row.sum() / (count > 0).sum().clamp(min=1)


def _supcon_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """SupCon's L_out as PyTorch cross-entropies: one ``F.cross_entropy`` per (anchor,
    positive) pair of the anchor's row of cosine similarities over the temperature
    (``F.normalize``; the anchor itself at ``-inf``) with the positive as the class,
    averaged per anchor (float64; gradients by autograd)."""
    th = torch()
    F = th.nn.functional
    e, y = t[0], t[1]
    keys, ky = kw.get("keys"), kw.get("key_labels")
    k = e if keys is None else th.as_tensor(np.asarray(keys), dtype=e.dtype)
    ky = y if ky is None else th.as_tensor(np.asarray(ky))
    if int(kw.get("axis", -1)) % 2 == 0:
        e, k = e.T, k.T
    n, m = e.shape[0], k.shape[0]
    offset = int(np.asarray(kw.get("row_offset", 0)))
    z = F.normalize(e, dim=1)
    logits = (z @ F.normalize(k, dim=1).T) / float(kw.get("temperature", 0.07))
    # (gathered keys: the local row i is key row i + row_offset)
    eye = th.arange(n)[:, None] + offset == th.arange(m)[None, :]
    logits = logits.masked_fill(eye, -math.inf)
    rows, cols = th.nonzero((y[:, None] == ky[None, :]) & ~eye, as_tuple=True)
    pair = F.cross_entropy(logits[rows], cols, reduction="none")
    return _by_anchor(th, pair, rows, n, reduction)


def _ntxent_optax(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                  reduction: str) -> np.ndarray | None:
    """``optax.ntxent`` in float64 (JAX's x64 on for the call), where it is this loss:
    ``mean`` with exactly one positive per row (two views per label; with more, optax's
    softmax leaves the other positives out)."""
    import jax
    import jax.numpy as jnp
    import optax

    e, y = np.asarray(args[0], np.float64), np.asarray(args[1])
    if int(kwargs.get("axis", -1)) % 2 == 0:
        e = e.T
    if reduction != "mean" or y.size == 0 or np.any(np.sum(y[:, None] == y[None, :], 1) != 2):
        return None
    if kwargs.get("keys") is not None:
        return None  # (gathered keys: optax has no keys of other rows)
    if np.any(np.all(e == 0, axis=1)):
        return None  # (optax divides by its epsilon: a zero vector is not a unit one)
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        return np.asarray(optax.ntxent(jnp.asarray(e), jnp.asarray(y),
                                       temperature=float(kwargs.get("temperature", 0.07))),
                          np.float64)
    finally:
        jax.config.update("jax_enable_x64", old)


def _supcon_pml(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                reduction: str) -> np.ndarray | None:
    """PyTorch Metric Learning's ``SupConLoss(temperature=t)`` in float64 (a test
    dependency of the nox sessions), where it is this loss: ``mean`` of a batch in which
    every row has a negative (PML gives 0 to a batch without one, SupCon's paper a value
    >= log |P(i)|)."""
    from pytorch_metric_learning.losses import SupConLoss

    e, y = np.asarray(args[0], np.float64), np.asarray(args[1])
    keys, ky = kwargs.get("keys"), kwargs.get("key_labels")
    k = e if keys is None else np.asarray(keys, np.float64)
    ky = y if ky is None else np.asarray(ky)
    if int(kwargs.get("axis", -1)) % 2 == 0:
        e, k = e.T, k.T
    if reduction != "mean" or y.size == 0 or np.any(np.all(y[:, None] == ky[None, :], 1)):
        return None
    th = torch()
    loss_fn = SupConLoss(temperature=float(kwargs.get("temperature", 0.07)))
    if keys is None:
        loss = loss_fn(th.from_numpy(np.ascontiguousarray(e)), th.from_numpy(y.astype(np.int64)))
    else:  # PML's reference embeddings, its pairs given without each row's own key row
        n, m = e.shape[0], k.shape[0]
        own = np.arange(n)[:, None] + int(np.asarray(kwargs.get("row_offset", 0))) == \
            np.arange(m)[None, :]
        same = y[:, None] == ky[None, :]
        a1, p = (th.from_numpy(i) for i in np.nonzero(same & ~own))
        a2, neg = (th.from_numpy(i) for i in np.nonzero(~same & ~own))
        loss = loss_fn(th.from_numpy(np.ascontiguousarray(e)),
                       th.from_numpy(y.astype(np.int64)), indices_tuple=(a1, p, a2, neg),
                       ref_emb=th.from_numpy(np.ascontiguousarray(k)),
                       ref_labels=th.from_numpy(ky.astype(np.int64)))
    return np.asarray(loss.detach().numpy(), np.float64)


def _embeddings(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0
                ) -> np.ndarray:
    return np.asarray(rng.normal(0.0, scale, size=shape))


def _pairs(rng: np.random.Generator, n: int) -> np.ndarray:
    """Two views per label, in a random order."""
    return np.asarray(rng.permutation(np.repeat(np.arange(n // 2), 2)), np.int64)


def _contrastive_cases(rng: np.random.Generator) -> list[Case]:
    e, N = _embeddings, 6
    groups = np.array([2, 0, 1, 0, 2, 0, 3], np.int64)  # 3, 2, 1 and 1 rows: two without
    zero = e(rng, (N, _D))
    zero[2] = 0.0  # a zero vector: cosine 0 with every row (the oracle's gradient differs)
    return [
        Case("empty", (e(rng, (0, _D)), np.zeros(0, np.int64)), tags=_CEMPTY),
        Case("2d-pairs", (e(rng, (N, _D)), _pairs(rng, N)), tags=_C2D),
        Case("2d-groups", (e(rng, (7, _D)), groups), tags=_C2D),
        Case("2d-no-positive", (e(rng, (N, _D)), np.arange(N, dtype=np.int64)), tags=_C2D),
        Case("2d-one-row", (e(rng, (1, _D)), np.zeros(1, np.int64)), tags=_C2D),
        Case("2d-one-label", (e(rng, (4, _D)), np.full(4, 7, np.int64)), tags=_C2D),
        Case("2d-axis0", (e(rng, (_D, 7)), groups), {"axis": 0}, tags=_C2D),
        Case("2d-pairs-int32-temperature-0.5",
             (e(rng, (N, _D)), _pairs(rng, N).astype(np.int32)), {"temperature": 0.5},
             tags=frozenset({"2d", "int-target"})),
        Case("2d-groups-temperature-2", (e(rng, (7, _D)), groups), {"temperature": 2.0},
             tags=_C2D),
        Case("2d-zero-vector", (zero, _pairs(rng, N)), tags=_C2D, grad=False),
        *_gathered_contrastive_cases(rng),
    ]


#: the cases of one process of several, with keys gathered from all of them
_GATHERED = frozenset({"2d", "gathered"})


def _gathered_contrastive_cases(rng: np.random.Generator) -> list[Case]:
    """The rows 3 to 6 of a batch of 9 gathered from 3 processes (process 1 of 0, 1, 2:
    ``row_offset=3``), their own key rows excluded; the offset as a 0-d array too (what a
    traced ``jax.lax.axis_index(...) * n`` is), and the features along axis 0.  (Few:
    each case is compiled per dtype and transformation; the first process, offset 0, and
    uneven shards are adapters/test_distributed.py's.)"""
    x = _embeddings(rng, (9, _D))
    y = np.array([0, 1, 2, 0, 1, 3, 2, 0, 4], np.int64)  # row 5: no positive
    local = {"keys": x, "key_labels": y}
    return [
        Case("2d-gathered-offset-3", (x[3:6].copy(), y[3:6].copy()),
             {**local, "row_offset": 3}, tags=_GATHERED),
        Case("2d-gathered-offset-array-temperature-0.5", (x[6:].copy(), y[6:].copy()),
             {**local, "row_offset": np.array(6), "temperature": 0.5}, tags=_GATHERED),
        Case("2d-gathered-axis0", (x[3:6].T.copy(), y[3:6].copy()),
             {"keys": x.T.copy(), "key_labels": y, "row_offset": 3, "axis": 0},
             tags=_GATHERED),
    ]


def _contrastive_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes, m in ((FULL, 1e4), (HALF, 1e2)):
        for t in (0.07, 0.01):
            x = m * rng.choice([-1.0, -0.5, 0.5, 1.0], size=(6, _D))
            out.append(Case(f"pm{m:g}-temperature-{t:g}", (x, _pairs(rng, 6)),
                            {"temperature": t}, dtypes=dtypes, tags=_C2D))
    # nearly parallel rows at a small temperature: logits of 100 apart by rounding
    base = rng.normal(size=_D)
    near = base + 1e-3 * rng.normal(size=(6, _D))
    out.append(Case("near-parallel-temperature-0.01", (near, np.array([0, 1, 0, 1, 2, 2])),
                    {"temperature": 0.01}, tags=_C2D))
    out.append(Case("tiny-vectors", (1e-30 * rng.normal(size=(6, _D)), _pairs(rng, 6)),
                    dtypes=("float32", "float64"), tags=_C2D))
    return out


def _grad_zero_row_held(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                        reduction: str, dtype: str) -> np.ndarray:
    """The oracle's gradient of ``sum(loss)`` with the zero vectors held constant (their
    own gradient 0: F.normalize's there is 1/eps, ours 0); the other rows by autograd."""
    th = torch()
    e = th.tensor(np.asarray(args[0], np.float64))
    zero = (e == 0).all(dim=1)
    free = e[~zero].clone().requires_grad_(True)
    full = th.zeros_like(e).index_put((th.nonzero(~zero)[:, 0],), free)
    out = _supcon_torch([full, th.tensor(np.asarray(args[1]))], kwargs, reduction).sum()
    (g,) = th.autograd.grad(out, [free])
    grad = np.zeros(e.shape)
    grad[~zero.numpy()] = g.numpy()
    return grad


def _scaled_oracle(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any], reduction: str,
                   dtype: str) -> np.ndarray:
    """The oracle on each vector divided by its largest magnitude (a cosine does not
    change; F.normalize's eps of 1e-12 would take a vector of 1e-30 for a zero one)."""
    e = np.asarray(args[0], np.float64)
    ax = int(kwargs.get("axis", -1)) % 2
    m = np.max(np.abs(e), axis=ax, keepdims=True)
    scaled = e / np.where(m > 0, m, 1.0)
    return from_torch(_supcon_torch)((scaled, *args[1:]), kwargs, reduction)


#: the docstring's example
_DOC_X = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-1.0, 0.0]])

SPECS += [
    torch_spec("contrastive_loss", _supcon_torch,
               "F.cross_entropy per (anchor, positive) pair of the cosine-similarity rows "
               "(SupCon L_out, PyTorch float64)", _contrastive_cases, _contrastive_extreme,
               shape_tags=frozenset({"empty", "2d"}), extreme_oracle=_scaled_oracle,
               cross_checks=(("optax.ntxent (JAX float64; one positive per row)",
                              _ntxent_optax, EXACT),
                             ("pytorch_metric_learning.losses.SupConLoss (PyTorch float64; "
                              "every row with a negative)", _supcon_pml, EXACT)),
               differences="optax.ntxent (PyTorch Metric Learning's NTXentLoss) averages "
               "over positive pairs and leaves the other positives out of each pair's "
               "softmax: equal where every row has one positive; it is NaN without any "
               "positive (here 0). A zero vector has a zero gradient here; F.normalize's "
               "is 1/eps.",
               pinned=(
                   Pinned("docstring", (_DOC_X, np.array([0, 0, 1, 2])),
                          {"temperature": 0.5}, "oracle", ("none", "mean", "sum")),
                   # optax.ntxent returns NaN here: no row has a positive
                   Pinned("no-positive-anywhere-is-0-not-nan",
                          (_DOC_X, np.arange(4, dtype=np.int64)), {}, 0.0,
                          ("mean", "sum", "none"), grad=np.zeros((4, 2)),
                          why="optax.ntxent gives NaN (0/0 over no positive pair)"),
                   Pinned("no-positive-anywhere-is-0-not-nan-compiled",
                          (_DOC_X, np.arange(4, dtype=np.int64)), {}, 0.0, ("mean",),
                          dtypes=("float32",), grad=np.zeros((4, 2)), compiled=True),
                   Pinned("row-without-positive-has-zero-gradient",
                          (_DOC_X, np.array([0, 0, 1, 2])), {"temperature": 0.5},
                          "oracle", ("none",), grad="oracle"),
                   # one label: no negatives; the literature's value (optax, PML: 0)
                   Pinned("no-negative-is-supcon-not-0",
                          (_DOC_X, np.zeros(4, np.int64)), {"temperature": 0.5}, "oracle",
                          ("none", "mean"),
                          why="optax.ntxent and PML's SupConLoss/NTXentLoss give 0 without "
                              "negatives; SupCon's L_out (reference code) does not"),
                   Pinned("zero-vector-value-and-zero-gradient",
                          (np.array([[0.0, 0.0], [1.0, 0.0], [0.6, 0.8]]),
                           np.array([0, 0, 1])), {}, "oracle", ("none",),
                          dtypes=("float32", "float64"), grad=_grad_zero_row_held,
                          why="a zero vector's cosine is 0 and its gradient 0 "
                              "(F.normalize's is 1/eps)"),
               )),
]


def _info_nce_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """InfoNCE / CLIP as PyTorch cross-entropies of the cosine-similarity matrix
    (``F.normalize``, over the temperature): ``F.cross_entropy(s, arange(N))`` row by
    row, and of ``s.T`` for the keys with ``symmetric``; with ``labels``, one
    ``F.cross_entropy`` per (query, key of its label) pair averaged per query (float64;
    gradients by autograd)."""
    th = torch()
    F = th.nn.functional
    q, k = t[0], t[1]
    n = q.shape[0]
    s = (F.normalize(q, dim=1) @ F.normalize(k, dim=1).T) / float(kw.get("temperature", 0.07))
    labels = kw.get("labels")
    # (gathered keys: query i's own key is key row i + row_offset)
    own = th.arange(n) + int(np.asarray(kw.get("row_offset", 0)))

    def side(m: Any) -> Any:  # per-row losses of the rows of m
        if labels is None:
            return F.cross_entropy(m, own, reduction="none")
        y = th.as_tensor(np.asarray(labels))
        rows, cols = th.nonzero(y[own][:, None] == y[None, :], as_tuple=True)
        return _by_anchor(th, F.cross_entropy(m[rows], cols, reduction="none"), rows, n,
                          "none")
    per = side(s)
    if kw.get("symmetric", False):
        per = (per + side(s.T)) / 2.0
    if reduction == "none":
        return per
    return per.sum() if reduction == "sum" else per.sum() / max(n, 1)


def _info_nce_cases(rng: np.random.Generator) -> list[Case]:
    e, N = _embeddings, 6
    lab = np.array([0, 1, 0, 2, 1, 3], np.int64)
    zq, zk = e(rng, (N, _D)), e(rng, (N, _D))
    zq[1], zk[4] = 0.0, 0.0
    return [
        Case("empty", (e(rng, (0, _D)), e(rng, (0, _D))), tags=_CEMPTY),
        Case("2d", (e(rng, (N, _D)), e(rng, (N, _D))), tags=_C2D),
        Case("2d-symmetric", (e(rng, (N, _D)), e(rng, (N, _D))), {"symmetric": True},
             tags=_C2D),
        Case("2d-labels", (e(rng, (N, _D)), e(rng, (N, _D))), {"labels": lab}, tags=_C2D),
        Case("2d-labels-symmetric-temperature-0.5", (e(rng, (N, _D)), e(rng, (N, _D))),
             {"labels": lab.astype(np.int32), "symmetric": True, "temperature": 0.5},
             tags=_C2D),
        Case("2d-temperature-2", (e(rng, (N, _D)), e(rng, (N, _D))), {"temperature": 2.0},
             tags=_C2D),
        Case("2d-one-row", (e(rng, (1, _D)), e(rng, (1, _D))), {"symmetric": True},
             tags=_C2D),
        Case("2d-zero-vectors", (zq, zk), {"symmetric": True}, tags=_C2D, grad=False),
        # one process of three: its 2 queries and the 6 keys of all three
        Case("2d-gathered-offset-2", (e(rng, (2, _D)), e(rng, (N, _D))), {"row_offset": 2},
             tags=_GATHERED),
        Case("2d-gathered-offset-array-labels", (e(rng, (2, _D)), e(rng, (N, _D))),
             {"row_offset": np.array(4), "labels": lab}, tags=_GATHERED),
    ]


def _info_nce_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for dtypes, m in ((FULL, 1e4), (HALF, 1e2)):
        for t in (0.07, 0.01):
            x = m * rng.choice([-1.0, -0.5, 0.5, 1.0], size=(6, _D))
            y = m * rng.choice([-1.0, -0.5, 0.5, 1.0], size=(6, _D))
            out.append(Case(f"pm{m:g}-temperature-{t:g}-symmetric", (x, y),
                            {"temperature": t, "symmetric": True}, dtypes=dtypes, tags=_C2D))
    base = rng.normal(size=_D)
    out.append(Case("near-parallel-temperature-0.01",
                    (base + 1e-3 * rng.normal(size=(6, _D)),
                     base + 1e-3 * rng.normal(size=(6, _D))),
                    {"temperature": 0.01, "labels": np.array([0, 1, 0, 1, 2, 2])}, tags=_C2D))
    out.append(Case("tiny-vectors", (1e-30 * rng.normal(size=(6, _D)),
                                     1e-30 * rng.normal(size=(6, _D))),
                    dtypes=("float32", "float64"), tags=_C2D))
    return out


def _info_nce_scaled(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                     reduction: str, dtype: str) -> np.ndarray:
    """The oracle on each vector divided by its largest magnitude (see
    :func:`_scaled_oracle`)."""
    scaled = []
    for a in args:
        a = np.asarray(a, np.float64)
        m = np.max(np.abs(a), axis=1, keepdims=True) if a.size else np.ones((0, 1))
        scaled.append(a / np.where(m > 0, m, 1.0))
    return from_torch(_info_nce_torch)(tuple(scaled), kwargs, reduction)


_DOC_Q = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
_DOC_K = np.array([[0.9, 0.1], [0.2, 1.0], [1.0, 0.8]])

SPECS += [
    torch_spec("info_nce_loss", _info_nce_torch,
               "F.cross_entropy(s, arange(N)) of the cosine similarities (and of s.T: "
               "CLIP), per (query, key) pair with labels (PyTorch float64)",
               _info_nce_cases, _info_nce_extreme, shape_tags=frozenset({"empty", "2d"}),
               extreme_oracle=_info_nce_scaled,
               differences="No peer library has it: the oracle is the usual PyTorch code "
               "(open_clip's ClipLoss on normalised features). A zero vector has a zero "
               "gradient here; F.normalize's is 1/eps.",
               pinned=(
                   Pinned("docstring", (_DOC_Q, _DOC_K), {"temperature": 0.5}, "oracle",
                          ("none", "mean", "sum")),
                   Pinned("docstring-symmetric", (_DOC_Q, _DOC_K),
                          {"temperature": 0.5, "symmetric": True}, "oracle",
                          ("mean", "none"), grad="oracle"),
                   Pinned("empty-batch-is-0-not-nan", (np.zeros((0, 3)), np.zeros((0, 3))),
                          {"symmetric": True}, 0.0, ("mean", "sum"),
                          why="no positive anywhere: 0, as contrastive_loss"),
                   Pinned("distinct-labels-are-no-labels", (_DOC_Q, _DOC_K),
                          {"temperature": 0.5, "labels": np.array([4, 2, 7])},
                          np.array([0.61836803, 0.51057091, 0.86566587]), ("none",),
                          tol=Tol(rtol=1e-6, atol=1e-7), dtypes=("float32", "float64"),
                          compiled=True),
               )),
]
