"""Conformance specs of ``losses_xp.structured`` (see ``conformance/registry.py``).

Oracles (float64): the definition of Martins & Astudillo (2016) written here in PyTorch
(gradients by autograd), with the threshold found **by bisection** on
:math:`\\sum_j \\max(z_j - \\tau, 0) = 1` (no sort, no cumulative sum, no support-size
rule: an algorithm independent of ours), the support read from it and the threshold
recomputed from the support with its gradient; the loss is the paper's expression at
the logits shifted by the threshold (the paper's value for target rows that sum to 1;
in float64 without the cancellation of :math:`z^2` at extreme logits).  Cross-checks:
optax 0.2.8's ``optax.projections.projection_simplex`` row by row (``jax.vmap``) and
``optax.losses.multiclass_sparsemax_loss`` (integer labels, 2-d), in JAX float64.
Pinned: docstring values, ties, extreme logits (±1e30 in float32, the float16 maximum),
optax's binary ``sparsemax_loss`` and ``jax.nn.sparse_sigmoid`` as the two-class case,
and optax's whole-array projection (not row-wise).

On Dask both functions need their class axis in one chunk (they sort along it): the
conformance suite passes them one-chunk arrays (``sorts=True`` in their declarations);
``test_sparsemax_dask_chunks`` below checks the error for a chunked class axis and a
result chunked along the other axes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from losses_xp._testing.backends import Backend
from losses_xp._testing.inputs import (
    EXTREME_LOGIT,
    FULL,
    HALF,
    Case,
    class_indices,
    logits,
    soft_class_targets,
)

from .helpers import close, lazy
from .registry import EXACT, Pinned, Spec, jax_x64, torch, torch_spec

C = 5  # classes of the cases
_1D, _EMPTY, _2D, _ND = (frozenset({t}) for t in ("1d", "empty", "2d", "nd"))
_PROBS = frozenset({"2d", "probs-target"})


# --------------------------------------------------------------------------- oracles


def _threshold_by_bisection(z: np.ndarray) -> np.ndarray:
    """tau with ``sum_j max(z_j - tau, 0) = 1`` along the last axis of logits ``z``
    (float64, shifted so that each row's maximum is 0: the root lies in [-1, 0)),
    by 200 bisection steps (to the last bit), kept dims."""
    lo = np.full((*z.shape[:-1], 1), -1.0)
    hi = np.zeros_like(lo)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        above = np.sum(np.maximum(z - mid, 0.0), axis=-1, keepdims=True) >= 1.0
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return lo


def _sparsemax_parts(x: Any, axis: int) -> tuple[Any, Any, Any]:
    """``(p, z, support)`` of float64 tensor logits ``x`` along ``axis``, the class axis
    moved last: ``z`` the logits less their row maximum (a constant), the support from
    the bisection's threshold, the threshold recomputed from the support (autograd)."""
    th = torch()
    xl = th.movedim(x, axis, -1)
    m = xl.detach().amax(dim=-1, keepdim=True)
    z = xl - m
    tau0 = _threshold_by_bisection(z.detach().numpy())
    support = th.from_numpy(z.detach().numpy() > tau0)
    zero = th.zeros((), dtype=th.float64)
    tau = (th.where(support, z, zero).sum(dim=-1, keepdim=True) - 1.0) / support.sum(
        dim=-1, keepdim=True)
    return th.where(support, z - tau, zero), z - tau, support


def _axis(kw: Mapping[str, Any]) -> int:
    a = kw.get("axis", -1)
    return -1 if a is None else int(a)


def _sparsemax_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """The projection (module docstring), in PyTorch float64, the class axis put back."""
    x = t[0]
    if x.numel() == 0:
        return x * 1.0
    p, _, _ = _sparsemax_parts(x, _axis(kw))
    return torch().movedim(p, -1, _axis(kw) % x.ndim)


def _sparsemax_loss_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """The paper's loss :math:`-q^\\top z + \\frac12 \\sum_{j \\in S} (z_j^2 - \\tau^2)
    + \\frac12 \\|q\\|^2` at the logits shifted by the threshold (``w = z - tau``,
    whose threshold is 0), class indices as one-hot rows, in PyTorch float64."""
    th = torch()
    x, target = t[0], t[1]
    ax = _axis(kw) % x.ndim
    if target.dtype.is_floating_point:
        q = th.movedim(target, ax, -1)
    else:
        q = th.nn.functional.one_hot(target.long(), x.shape[ax]).to(th.float64)
    if x.numel() == 0:
        return _reduce(th.movedim(x, ax, -1).sum(dim=-1), reduction)
    _, w, support = _sparsemax_parts(x, ax)
    zero = th.zeros((), dtype=th.float64)
    # (q w: 0 where q is 0, also at a logit of -inf)
    lin = th.where(q == 0.0, zero, q * th.where(q == 0.0, zero, w)).sum(dim=-1)
    loss = -lin + 0.5 * th.where(support, w * w, zero).sum(dim=-1) + 0.5 * (q * q).sum(dim=-1)
    return _reduce(loss, reduction)


def _reduce(loss: Any, reduction: str) -> Any:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / loss.numel()




def _optax(path: str) -> Any:
    """``optax.<path>``, or a skip that says which optax lacks it (the minimums session's
    optax may predate the projections and the multi-class sparsemax loss)."""
    import optax

    obj: Any = optax
    for part in path.split("."):
        if not hasattr(obj, part):
            pytest.skip(f"optax {optax.__version__} has no optax.{path} (a cross-check)")
        obj = getattr(obj, part)
    return obj


def _rows(x: np.ndarray, axis: int) -> tuple[np.ndarray, tuple[int, ...]]:
    last = np.moveaxis(np.asarray(x, np.float64), axis, -1)
    return last.reshape(-1, last.shape[-1]), last.shape


def _projection_optax(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                      reduction: str) -> np.ndarray | None:
    """``jax.vmap(optax.projections.projection_simplex)`` over the rows (optax projects
    a whole array as one vector), in JAX float64."""
    import jax

    x = args[0]
    if x.size == 0:
        return None
    ax = _axis(kwargs) % x.ndim
    rows, shape = _rows(x, ax)
    project = _optax("projections.projection_simplex")
    p = jax_x64(lambda: jax.vmap(project)(rows))
    return np.moveaxis(p.reshape(shape), -1, ax)


def _multiclass_optax(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                      reduction: str) -> np.ndarray | None:
    """``optax.losses.multiclass_sparsemax_loss(scores, labels)`` over the rows (integer
    labels only; it vmaps over a 2-d batch), in JAX float64, then our reductions."""
    x, y = args
    if x.size == 0 or y.dtype.kind not in "iu":
        return None
    ax = _axis(kwargs) % x.ndim
    rows, _ = _rows(x, ax)
    loss = _optax("losses.multiclass_sparsemax_loss")
    per = jax_x64(lambda: loss(rows, y.reshape(-1)))
    per = per.reshape(y.shape)
    if reduction == "none":
        return per
    return np.asarray(per.sum() if reduction == "sum" else per.mean())


# --------------------------------------------------------------------------- cases


def _ties(rng: np.random.Generator) -> np.ndarray:
    """(6, C) logits with ties: in the support, below it, a whole row equal (the shape
    of the other 2-d cases: one compiled program for them all)."""
    return np.array([[1.0, 1.0, 0.0, -2.0, 0.5], [0.0, 0.0, 0.0, 0.0, 0.0],
                     [2.0, -1.0, 2.0, 2.0, -1.0], [0.3, -0.4, 0.3, 1.1, -0.4],
                     [-3.0, -3.0, 5.0, -3.0, -3.0], [0.25, 0.25, 0.25, 0.25, -0.5]])


def _sparsemax_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case("1d", (logits(rng, (C,)),), tags=_1D),
        Case("empty", (logits(rng, (0, C)),), tags=_EMPTY, grad=False),
        Case("2d", (logits(rng, (6, C)),), tags=_2D),
        Case("2d-ties", (_ties(rng),), tags=_2D),
        Case("nd-axis1", (logits(rng, (2, C, 3)),), {"axis": 1}, tags=_ND),
    ]


def _probs_and_one_hot(rng: np.random.Generator) -> np.ndarray:
    """(6, C) class-probability rows with exact zeros, the last two one-hot."""
    t = soft_class_targets(rng, (6, C), zeros=True)
    t[4:] = np.eye(C)[[1, 3]]
    return t


def _sparsemax_loss_cases(rng: np.random.Generator) -> list[Case]:
    ci, lg = class_indices, logits
    return [
        Case("1d-0d-target", (lg(rng, (C,)), ci(rng, (), C)), tags=_1D),
        Case("empty", (lg(rng, (0, C)), ci(rng, (0,), C)),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d", (lg(rng, (6, C)), ci(rng, (6,), C)), tags=_2D),
        Case("2d-ties", (_ties(rng), np.array([2, 4, 1, 3, 0, 4])), tags=_2D),
        Case("2d-probs-target", (lg(rng, (6, C)), _probs_and_one_hot(rng)), tags=_PROBS),
        Case("nd-axis1", (lg(rng, (2, C, 3)), ci(rng, (2, 3), C)), {"axis": 1}, tags=_ND),
        Case("nd-axis1-probs-target", (lg(rng, (2, C, 3)),
                                       soft_class_targets(rng, (2, C, 3), axis=1)),
             {"axis": 1}, tags=frozenset({"nd", "probs-target"})),
    ]


def _extreme_logits(rng: np.random.Generator, m: float) -> np.ndarray:
    """(6, C) logits of ±m and ±m/2 with a tie at the top of the second row."""
    x = m * rng.choice([-1.0, -0.5, 0.5, 1.0], size=(6, C))
    x[1, :2] = m
    return np.asarray(x)


def _extremes(rng: np.random.Generator) -> list[tuple[str, tuple[str, ...], np.ndarray]]:
    """The library's extreme logits (1e4; 1e2 in half precision); ±1e30 in float32 is
    pinned (value and gradient, compiled) and here once with class probabilities."""
    return [(f"pm{EXTREME_LOGIT[d[0]]:g}", d, _extreme_logits(rng, EXTREME_LOGIT[d[0]]))
            for d in (FULL, HALF)]


def _sparsemax_extreme(rng: np.random.Generator) -> list[Case]:
    return [Case(f"logits-{name}", (x,), dtypes=d, tags=_2D) for name, d, x in _extremes(rng)]


def _sparsemax_loss_extreme(rng: np.random.Generator) -> list[Case]:
    out = []
    for name, d, x in _extremes(rng):
        y = np.array([1, 4, 2, 0, 3, 1])  # (mostly below the largest: the loss ~ the gap)
        out += [Case(f"logits-{name}", (x, y), dtypes=d, tags=_2D),
                Case(f"logits-{name}-probs-target", (x, soft_class_targets(rng, x.shape)),
                     dtypes=d, tags=_PROBS)]
    x = _extreme_logits(rng, 1e30)
    out.append(Case("logits-pm1e30-probs-target", (x, soft_class_targets(rng, x.shape)),
                    dtypes=FULL, tags=_PROBS))
    # a logit of -inf: 0 where its target probability is 0
    xi = np.array([[-np.inf, 1.0, 2.0, 0.0, 0.5], [0.5, -np.inf, -np.inf, 0.0, 0.0]] * 3)
    ti = np.array([[0.0, 0.4, 0.6, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]] * 3)
    out.append(Case("neg-inf-logits-probs-target", (xi, ti), tags=_PROBS))
    return out


# --------------------------------------------------------------------------- pinned

_DOC = np.array([[1.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
_BINARY_X = np.array([-2.0, -0.5, 0.3, 1.5, 0.0, -1.0])
_BINARY_Y = np.array([0, 1, 1, 0, 1, 0])


def _two_class(x: np.ndarray) -> np.ndarray:
    return np.stack([np.zeros_like(x), x], axis=-1)


def _optax_binary(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any], reduction: str,
                  dtype: str) -> np.ndarray:
    """``optax.losses.sparsemax_loss(x, y)`` (the binary loss) of the second logit."""
    import jax.numpy as jnp

    x = args[0][:, 1]
    binary = _optax("losses.sparsemax_loss")
    return jax_x64(lambda: binary(jnp.asarray(x), jnp.asarray(args[1])))


def _sparse_sigmoid(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any], reduction: str,
                    dtype: str) -> np.ndarray:
    """``jax.nn.sparse_sigmoid(x)`` as the second probability of two classes."""
    import jax
    import jax.numpy as jnp

    if not hasattr(jax.nn, "sparse_sigmoid"):
        pytest.skip(f"jax {jax.__version__} has no jax.nn.sparse_sigmoid (a cross-check)")
    s = jax_x64(lambda: jax.nn.sparse_sigmoid(jnp.asarray(args[0][:, 1])))
    return np.stack([1.0 - s, s], axis=-1)


def _optax_whole_array(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                       reduction: str, dtype: str) -> np.ndarray:
    """``optax.projections.projection_simplex`` of the (2, 3) array: ONE projection of all
    six values (optax flattens the pytree), i.e. our sparsemax of the flattened array."""
    import jax.numpy as jnp

    x = args[0].reshape(2, 3)
    project = _optax("projections.projection_simplex")
    return jax_x64(lambda: project(jnp.asarray(x))).reshape(-1)


_SPARSEMAX_PINNED = (
    Pinned("docstring", (_DOC,), value=np.array([[0.75, 0.25, 0.0],
                                                  [0.7 / 3, 1.0 / 3, 1.3 / 3]]),
           dtypes=("float64",)),
    Pinned("pm1e30", (np.array([[1e30, -1e30, 0.0], [-1e30, -1e30, -1e30]]),),
           value=np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]]),
           dtypes=("float32", "float64")),
    Pinned("float16-max", (np.array([[65504.0, -65504.0, 0.0]]),),
           value=np.array([[1.0, 0.0, 0.0]]), dtypes=("float16",)),
    Pinned("jax-sparse-sigmoid-is-two-classes", (_two_class(_BINARY_X),),
           value=_sparse_sigmoid, dtypes=("float64",),
           why="jax.nn.sparse_sigmoid(x) = sparsemax([0, x])[1]"),
    Pinned("optax-projects-the-whole-array", (_DOC.reshape(-1),), value=_optax_whole_array,
           dtypes=("float64",),
           why="optax.projections.projection_simplex(x) of an (N, C) array is one "
               "projection of all N C values: our sparsemax of x.reshape(-1)"),
)

_SPARSEMAX_LOSS_PINNED = (
    Pinned("docstring", (_DOC, np.array([0, 0])), value=np.array([0.0625, 1.33 / 3]),
           dtypes=("float64",)),
    # p = (1/2, 1/2, 0), tau = 1/2: 1/2 (1/4 + 1/4 + 1) + (1/2 - 0); gradient p - e_2
    Pinned("ties", (np.array([[1.0, 1.0, 0.0]]), np.array([2])), value=np.array([1.25]),
           grad=np.array([[0.5, 0.5, -1.0]]), dtypes=("float32",)),
    # p = e_0, tau = 1e30 - 1: 1/2 |e_0 - e_1|^2 + (tau + 1e30) = 2e30; gradient e_0 - e_1
    Pinned("pm1e30", (np.array([[1e30, -1e30, 0.0]]), np.array([1])), value=np.array([2e30]),
           grad=np.array([[1.0, -1.0, 0.0]]), dtypes=("float32", "float64"), compiled=True),
    Pinned("float16-max", (np.array([[65504.0, 0.0, -65504.0]]), np.array([1])),
           value=np.array([65504.0]), grad=np.array([[1.0, -1.0, 0.0]]), dtypes=("float16",)),
    Pinned("optax-binary-sparsemax-loss-is-two-classes", (_two_class(_BINARY_X), _BINARY_Y),
           value=_optax_binary, dtypes=("float64",),
           why="optax.losses.sparsemax_loss(x, y) (binary, Blondel et al. 2020) = "
               "sparsemax_loss(stack([0, x]), y)"),
)

_DIFFERENCES_SPARSEMAX = (
    "The oracle is the paper's definition in PyTorch float64 with the threshold found by "
    "bisection (no library has a row-wise sparsemax: optax's projection_simplex projects "
    "a whole pytree as one vector, pinned; it is a cross-check row by row). jax.nn has no "
    "sparsemax (jax.nn.sparse_sigmoid is the two-class case, pinned). On Dask the class "
    "axis must be one chunk.")

_DIFFERENCES_LOSS = (
    "The oracle is the paper's loss in PyTorch float64 (the threshold by bisection), at "
    "the logits shifted by the threshold: the paper's value for target rows that sum to "
    "1, and for others the shift-invariant value documented (the paper's less "
    "tau (1 - sum q)). optax.losses.multiclass_sparsemax_loss (a cross-check) takes "
    "integer labels only, 2-d; optax.losses.sparsemax_loss is the binary loss (pinned as "
    "the two-class case). On Dask the class axis must be one chunk.")


#: the error catalogue's chunked class axis (row sorted-axis-chunked): axis 1 of the default
#: (N, C) call, and why
_CHUNKS = {"sorted-axis-chunked": {"axis": "1", "why": "sparsemax sorts along",
                                   "sorted": "pred"}}


SPECS: list[Spec] = [
    torch_spec("sparsemax", _sparsemax_torch,
               "the definition (Martins & Astudillo 2016) in PyTorch float64, threshold by "
               "bisection", _sparsemax_cases, _sparsemax_extreme,
               shape_tags=frozenset({"1d", "empty", "2d", "nd"}),
               differences=_DIFFERENCES_SPARSEMAX,
               cross_checks=(("jax.vmap(optax.projections.projection_simplex) (JAX float64)",
                              _projection_optax, EXACT),),
               pinned=_SPARSEMAX_PINNED, error_fields=_CHUNKS),
    torch_spec("sparsemax_loss", _sparsemax_loss_torch,
               "the paper's loss (Martins & Astudillo 2016) in PyTorch float64, threshold "
               "by bisection", _sparsemax_loss_cases, _sparsemax_loss_extreme,
               shape_tags=frozenset({"1d", "empty", "2d", "nd"}),
               differences=_DIFFERENCES_LOSS,
               cross_checks=(("optax.losses.multiclass_sparsemax_loss (JAX float64, integer "
                              "labels)", _multiclass_optax, EXACT),),
               pinned=_SPARSEMAX_LOSS_PINNED, error_fields=_CHUNKS),
]


# --------------------------------------------------------------------------- tests


def test_sparsemax_dask_chunks(bk: Backend) -> None:
    """Dask: a class axis split over chunks is a ValueError naming the argument and the
    rechunk; chunks along the other axes give NumPy's values, lazily."""
    if bk.name != "dask":
        pytest.skip("Dask's chunks: checked with --backend=dask")
    import dask.array as da

    import losses_xp as lx

    rng = np.random.default_rng(19)
    x = rng.normal(0.0, 3.0, (6, C))
    y = class_indices(rng, (6,), C)
    split = da.from_array(x, chunks=(3, 2))
    msg = (r"^`logits` is a Dask array in 3 chunks along axis 1, which sparsemax sorts "
           r"along: that axis must be one chunk; rechunk it first, e.g. "
           r"`logits.rechunk\(\{1: -1\}\)`$")
    with pytest.raises(ValueError, match=msg):
        lx.sparsemax(split)
    with pytest.raises(ValueError, match=msg):
        lx.sparsemax_loss(split, da.from_array(y, chunks=3))
    rows = da.from_array(x, chunks=(2, -1))
    p = lazy(bk, lx.sparsemax, rows)
    close(bk.to_numpy(p), lx.sparsemax(x), "float64", "sparsemax, chunks along the batch")
    loss = lazy(bk, lx.sparsemax_loss, rows, da.from_array(y, chunks=2), reduction="none")
    close(bk.to_numpy(loss), lx.sparsemax_loss(x, y, reduction="none"), "float64",
          "sparsemax_loss, chunks along the batch")
