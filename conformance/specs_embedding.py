"""Conformance specs of ``losses_xp.embedding`` (see ``conformance/registry.py`` for the fields)."""

from __future__ import annotations

from .registry import Spec

SPECS: list[Spec] = []


# --------------------------------------------------------------------------- contrastive
# (contrastive_loss, info_nce_loss)

import math  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from losses_xp._testing.inputs import FULL, HALF, Case  # noqa: E402

from .registry import EXACT, Pinned, Tol, from_torch, torch, torch_spec  # noqa: E402

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
    if int(kw.get("axis", -1)) % 2 == 0:
        e = e.T
    n = e.shape[0]
    z = F.normalize(e, dim=1)
    logits = (z @ z.T) / float(kw.get("temperature", 0.07))
    eye = th.eye(n, dtype=th.bool)
    logits = logits.masked_fill(eye, -math.inf)
    rows, cols = th.nonzero((y[:, None] == y[None, :]) & ~eye, as_tuple=True)
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
                              _ntxent_optax, EXACT),),
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

    def side(m: Any) -> Any:  # per-row losses of the rows of m
        if labels is None:
            return F.cross_entropy(m, th.arange(n), reduction="none")
        y = th.as_tensor(labels)
        rows, cols = th.nonzero(y[:, None] == y[None, :], as_tuple=True)
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
