"""Conformance specs of ``losses_xp.ranking`` (see ``conformance/registry.py`` for the fields).

Oracles (float64): ``optax.losses.ranking_softmax_loss`` for ListNet, given the
relevance normalised per list (optax does not normalise: see the spec's differences);
gradients by PyTorch autograd through ``F.cross_entropy`` with the normalised relevance
as class probabilities (also a value cross-check).  rax (a test dependency of the nox
sessions, pinned in ``constraints/``) is a cross-check (``rax.softmax_loss`` with
``label_fn=rax.utils.normalize_probabilities``).
RankNet and ListMLE have no peer in optax, PyTorch, Keras or scikit-learn: their oracles
are explicit loops in PyTorch float64 (autograd: the gradient oracles), an algorithm
other than the loss's — every ordered pair of valid items with ``y_i > y_j``
(``logaddexp(0, -(s_i - s_j))``, averaged per list), and the permutation sorted by
Python's stable ``sorted`` with a suffix ``logsumexp`` per position (the loss itself
sorts nothing: it compares pairs); ``rax.pairwise_logistic_loss`` and
``rax.listmle_loss`` are cross-checks (rax 0.4.0: every case agrees to 1e-9; ListMLE on
lists without ties).

Which lists count (the module's convention, not a formula under test): a list ranks
something when one of its valid items is strictly more relevant than another valid
item; the others are 0 and leave the mean's denominator, which is 0 where no list ranks
anything (NaN for an empty batch).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from losses_xp._testing.inputs import EXTREME_LOGIT, FULL, HALF, Case, logits

from .registry import EXACT, Pinned, Spec, from_torch, jax_x64, spec, torch

_2D, _ND = frozenset({"2d"}), frozenset({"nd"})
C = 5  # the list length of the cases (pairs are O(C^2): kept small)


# --------------------------------------------------------------------------- shared


def _lists(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any]
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(scores, relevance, valid)`` in float64 / bool with the lists along the last
    axis, masked scores replaced by 0 (their values take no part)."""
    s = np.asarray(args[0], np.float64)
    axis = int(kwargs.get("axis", -1)) % max(1, s.ndim)
    y = np.moveaxis(np.asarray(args[1]).astype(np.float64), axis, -1)
    s = np.moveaxis(s, axis, -1)
    mask = kwargs.get("where")
    v = np.ones(s.shape, bool) if mask is None else np.moveaxis(np.asarray(mask, bool), axis, -1)
    return np.where(v, s, 0.0), y, v


def _ranks(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Whether each list ranks something (a valid item more relevant than another)."""
    if y.size == 0:
        return np.zeros(y.shape[:-1], bool)
    return np.asarray(np.max(np.where(v, y, -np.inf), axis=-1)
                      > np.min(np.where(v, y, np.inf), axis=-1))


def _reduce(per: np.ndarray, ranks: np.ndarray, reduction: str) -> np.ndarray:
    """Our reductions of per-list values: lists that rank nothing are 0 and leave the
    mean, which is 0 where no list ranks anything and NaN for no list at all."""
    per = np.where(ranks, per, 0.0)
    if reduction == "none":
        return per
    if reduction == "sum":
        return np.asarray(np.sum(per))
    if per.size == 0:
        return np.asarray(np.nan)
    return np.asarray(np.sum(per) / max(1, int(np.sum(ranks))))




def _rax() -> Any:
    import rax  # type: ignore[import-not-found,unused-ignore]  # (a test dependency)

    return rax


def _relevance(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Graded relevance with ties and zeros."""
    return rng.choice([0.0, 0.0, 1.0, 2.0, 0.5, 3.0], size=shape)


def _mask(rng: np.random.Generator, shape: tuple[int, ...], axis: int = -1) -> np.ndarray:
    """A quarter of the items masked, the first list entirely."""
    m = rng.uniform(size=shape) >= 0.25
    np.moveaxis(m, axis, -1)[(0,) * (len(shape) - 1)] = False
    return m


def _list_cases(rng: np.random.Generator) -> list[Case]:
    """Scores against graded relevance in every shape a ranking loss takes: 1-d (a 0-d
    result), empty, 2-d (float, int and bool relevance, masks, lists that rank nothing),
    the list axis first, N-d with axis=1 and the last axis."""
    lg, rel = logits, _relevance
    y_const = np.array([[1.0] * C, [0.0] * C, [2.0, 0.0, 0.0, 1.0, 0.0], [0.0, 3.0, 3.0, 0.0, 1.0]])
    return [
        Case("1d-0d-result", (lg(rng, (C,)), rel(rng, (C,))), tags=frozenset({"0d"})),
        Case("empty", (lg(rng, (0, C)), rel(rng, (0, C))),
             tags=frozenset({"empty", "nan-mean"}), grad=False),
        Case("2d", (lg(rng, (6, C)), rel(rng, (6, C))), tags=_2D),
        Case("2d-int-relevance", (lg(rng, (6, C)), rng.integers(0, 4, size=(6, C))),
             tags=frozenset({"2d", "int-target"})),
        Case("2d-bool-relevance", (lg(rng, (6, C)), rng.integers(0, 2, size=(6, C)) > 0),
             tags=frozenset({"2d", "bool-target"})),
        Case("2d-mask", (lg(rng, (6, C)), rel(rng, (6, C))), {"where": _mask(rng, (6, C))},
             tags=_2D),
        Case("2d-lists-ranking-nothing", (lg(rng, (4, C)), y_const), tags=_2D),
        Case("2d-no-list-ranks", (lg(rng, (2, C)), np.ones((2, C))), tags=_2D),
        Case("2d-every-item-masked", (lg(rng, (2, C)), rel(rng, (2, C))),
             {"where": np.zeros((2, C), bool)}, tags=_2D),
        Case("2d-axis0", (lg(rng, (C, 6)), rel(rng, (C, 6))), {"axis": 0}, tags=_2D),
        Case("nd-axis1", (lg(rng, (2, C, 3)), rel(rng, (2, C, 3))), {"axis": 1}, tags=_ND),
        Case("nd-axis1-mask", (lg(rng, (2, C, 3)), rel(rng, (2, C, 3))),
             {"axis": 1, "where": _mask(rng, (2, C, 3), 1)}, tags=_ND),
        Case("nd-last", (lg(rng, (2, 3, C)), rel(rng, (2, 3, C))), tags=_ND),
    ]


def _list_extreme(rng: np.random.Generator) -> list[Case]:
    """Scores of ±1e4 (±1e2 in half precision), masks, and masked scores of ±inf and
    NaN (padding that holds anything: it takes no part, its gradient is 0)."""
    out = []
    y = np.array([[2.0, 0.0, 1.0, 0.0, 3.0], [0.0, 0.0, 0.0, 1.0, 0.0],
                  [1.0, 1.0, 0.0, 0.0, 1.0]])
    for dtypes in (FULL, HALF):
        m = EXTREME_LOGIT[dtypes[0]]
        # (distinct within a list: at tied scores the generic softplus's autodiff has
        # the subgradients of max and |x|, which test_fast_paths leaves out at 0 only)
        x = m * np.array([[1.0, -1.0, 0.5, -0.5, 0.0], [-1.0, -0.75, 1.0, -0.5, 0.25],
                          [1.0, 0.75, -1.0, -0.25, -0.5]])
        out += [Case(f"logits-pm{m:g}", (x, y), dtypes=dtypes, tags=_2D),
                Case(f"logits-pm{m:g}-reversed", (-x, y), dtypes=dtypes, tags=_2D),
                Case(f"logits-pm{m:g}-mask", (x, y), {"where": x < 0.9 * m}, dtypes=dtypes,
                     tags=_2D)]
    pad = np.array([[0.5, -1.0, np.inf, 2.0, np.nan], [-np.inf, 1.0, 0.0, np.nan, 3.0]])
    out.append(Case("masked-inf-and-nan-scores", (pad, y[:2]), {"where": np.isfinite(pad)},
                    tags=_2D))
    return out


# --------------------------------------------------------------------------- softmax


def _softmax_optax(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                   reduction: str) -> np.ndarray:
    """``optax.losses.ranking_softmax_loss(scores, p, where=..., reduce_fn=None)`` in
    float64, ``p`` the valid relevance divided by its sum over the list (ListNet's
    normalisation, which optax leaves to its caller), then our reductions."""
    import jax.numpy as jnp
    import optax

    s, y, v = _lists(args, kwargs)
    ranks = _ranks(y, v)
    if s.size == 0:
        return _reduce(np.sum(s, axis=-1), ranks, reduction)
    yv = np.where(v, y, 0.0)
    total = np.sum(yv, axis=-1, keepdims=True)
    p = yv / np.where(total > 0.0, total, 1.0)
    per = jax_x64(lambda: optax.losses.ranking_softmax_loss(
        jnp.asarray(s), jnp.asarray(p), where=jnp.asarray(v), reduce_fn=None))
    return _reduce(per, ranks, reduction)


def _softmax_rax(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                 reduction: str) -> np.ndarray | None:
    """``rax.softmax_loss(..., label_fn=rax.utils.normalize_probabilities,
    reduce_fn=None)`` in float64."""
    rax = _rax()
    import jax.numpy as jnp

    s, y, v = _lists(args, kwargs)
    if s.size == 0:
        return None
    per = jax_x64(lambda: rax.softmax_loss(
        jnp.asarray(s), jnp.asarray(y), where=jnp.asarray(v), reduce_fn=None,
        label_fn=rax.utils.normalize_probabilities))
    return _reduce(per, _ranks(y, v), reduction)


def _torch_lists(t: list[Any], kw: Mapping[str, Any]) -> tuple[Any, Any, Any, Any]:
    """``(scores, relevance, valid, ranks)`` as float64 / bool tensors, the lists along
    the last axis (PyTorch's side of :func:`_lists` and :func:`_ranks`)."""
    th = torch()
    s = t[0]
    axis = int(kw.get("axis", -1)) % max(1, s.ndim)
    s = s.movedim(axis, -1)
    y = t[1].to(th.float64).movedim(axis, -1)
    mask = kw.get("where")
    v = th.ones(s.shape, dtype=th.bool) if mask is None else (mask.movedim(axis, -1) > 0.5)
    if s.numel() == 0:
        return s, y, v, th.zeros(s.shape[:-1], dtype=th.bool)
    inf = th.tensor(math.inf, dtype=th.float64)
    ranks = th.where(v, y, -inf).amax(-1) > th.where(v, y, inf).amin(-1)
    return s, y, v, ranks


def _torch_reduce(per: Any, ranks: Any, reduction: str) -> Any:
    th = torch()
    per = th.where(ranks, per, th.zeros((), dtype=per.dtype))
    if reduction == "none":
        return per
    if reduction == "sum" or per.numel() == 0:
        return per.sum() * (1.0 if reduction == "sum" else math.nan)
    return per.sum() / max(1, int(ranks.sum()))


def _softmax_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """PyTorch's ``F.cross_entropy`` of the scores (masked ones -1e300: no part in the
    softmax) against the normalised relevance as class probabilities, in float64: the
    gradient oracle (autograd) and a value cross-check."""
    th = torch()
    s, y, v, ranks = _torch_lists(t, kw)
    zero = th.zeros((), dtype=th.float64)
    yv = th.where(v, y, zero)
    total = yv.sum(-1, keepdim=True)
    p = yv / th.where(total > 0.0, total, th.ones((), dtype=th.float64))
    x = th.where(v, s, th.full((), -1e300, dtype=th.float64))
    L = s.shape[-1]
    per = th.nn.functional.cross_entropy(x.reshape(-1, L), p.reshape(-1, L),
                                         reduction="none").reshape(s.shape[:-1])
    return _torch_reduce(per, ranks, reduction)


_S_DOC = np.array([[2.0, 1.0, 3.0], [1.0, 0.5, 1.5]])
_Y_DOC = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 2.0]])

_SOFTMAX_PINNED = (
    Pinned("docstring-example", (_S_DOC, _Y_DOC),
           value=np.array([1.4076059644443804, 1.1802696757823220]), dtypes=("float64",)),
    Pinned("docstring-example-mask", (_S_DOC, _Y_DOC),
           {"where": np.array([[True, True, False], [True, True, True]])},
           value=np.array([0.31326168751822286, 1.1802696757823220]), dtypes=("float64",)),
    # optax's own docstring example (one relevant item of relevance 1: no difference)
    Pinned("optax-docstring", (np.array([2.0, 1.0, 3.0]), np.array([1.0, 0.0, 0.0])),
           value=1.4076059644443804, reductions=("mean",), dtypes=("float64",)),
    # graded relevance (2, 0, 1): the labels normalised to (2/3, 0, 1/3); optax's
    # unnormalised value is 3 times this (3.3823...)
    Pinned("graded-relevance-normalised", (np.array([[2.0, 1.0, 3.0]]),
                                            np.array([[2.0, 0.0, 1.0]])),
           value=np.array([(2.0 * 1.4076059644443804 + 0.4076059644443804) / 3.0]),
           dtypes=("float64",)),
    # a list without a relevant item leaves the mean (optax: counted, mean halved);
    # its scores get a zero gradient
    Pinned("no-relevant-item-leaves-the-mean", (np.array([[2.0, 1.0, 3.0], [1.0, 0.5, 1.5]]),
                                                 np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])),
           value=1.4076059644443804, reductions=("mean",), dtypes=("float64",),
           grad="oracle", compiled=True),
    # every list ranks nothing: 0 with a zero gradient, not NaN
    Pinned("no-list-ranks-mean-0", (np.array([[2.0, 1.0, 3.0]]), np.array([[1.0, 1.0, 1.0]])),
           value=0.0, reductions=("mean",), grad=np.zeros((1, 3)),
           dtypes=("float32",), compiled=True),
    Pinned("every-item-masked-mean-0", (np.array([[2.0, 1.0, 3.0]]), np.array([[1.0, 0.0, 0.0]])),
           {"where": np.zeros((1, 3), bool)}, value=0.0, reductions=("mean",),
           grad=np.zeros((1, 3)), dtypes=("float32",), compiled=True),
    # masked padding of inf / NaN takes no part: finite value, zero gradient there
    Pinned("masked-inf-and-nan-scores", (np.array([[2.0, np.inf, 3.0, np.nan]]),
                                          np.array([[1.0, 5.0, 0.0, 2.0]])),
           {"where": np.array([[True, False, True, False]])},
           value=np.array([1.0 + math.log1p(math.exp(-1.0))]),
           grad=np.array([[-math.e / (1.0 + math.e), 0.0, math.e / (1.0 + math.e), 0.0]]),
           dtypes=("float32",), compiled=True),
)

_DIFFERENCES_SOFTMAX = (
    "optax does not normalise the labels: the oracle passes the relevance divided by its "
    "sum over the valid items of each list (ListNet, TF-Ranking's SoftmaxLoss; optax's "
    "value is that sum times ours). optax's mean counts lists without a relevant item (as "
    "0) and lists whose valid items are all equally relevant (with their value); here "
    "they are 0 and leave the mean, which is 0 where no list ranks anything. optax's "
    "axis is always the last: the oracle moves ours there.")


# --------------------------------------------------------------------------- pairwise


def _per_list_torch(t: list[Any], kw: Mapping[str, Any], reduction: str,
                    one: Callable[[Any, list[float], list[int]], Any]) -> Any:
    """``one(scores, relevance, valid indices)`` of every list (a PyTorch loop over the
    lists, autograd through it), then our reductions."""
    th = torch()
    s, y, v, ranks = _torch_lists(t, kw)
    L = s.shape[-1]
    flat_s, flat_y, flat_v = s.reshape(-1, L), y.reshape(-1, L), v.reshape(-1, L)
    values = []
    for b in range(flat_s.shape[0]):
        valid = [i for i in range(L) if bool(flat_v[b, i])]
        values.append(one(flat_s[b], [float(a) for a in flat_y[b]], valid))
    per = (th.stack(values) if values else th.zeros(0, dtype=th.float64)).reshape(ranks.shape)
    # (+ 0 x the valid scores: the graph reaches the scores where no list has a term)
    per = per + 0.0 * th.where(v, s, th.zeros((), dtype=s.dtype)).sum(-1)
    return _torch_reduce(per, ranks, reduction)


def _pairs_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """An explicit loop over every ordered pair of valid items ``(i, j)`` with
    ``y_i > y_j``: ``log(1 + exp(-(s_i - s_j)))`` as ``torch.logaddexp(0, ·)`` in
    float64, averaged over the list's pairs (autograd: the gradient oracle)."""
    th = torch()
    zero = th.zeros((), dtype=th.float64)

    def one(s: Any, y: list[float], valid: list[int]) -> Any:
        terms = [th.logaddexp(zero, -(s[i] - s[j])) for i in valid for j in valid
                 if y[i] > y[j]]
        return th.stack(terms).mean() if terms else zero
    return _per_list_torch(t, kw, reduction, one)


def _pairs_rax(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
               reduction: str) -> np.ndarray | None:
    """``rax.pairwise_logistic_loss(..., reduce_fn=None)`` (one value per pair) in
    float64, averaged over each list's pairs."""
    rax = _rax()
    import jax.numpy as jnp

    s, y, v = _lists(args, kwargs)
    if s.size == 0:
        return None
    pairs = jax_x64(lambda: rax.pairwise_logistic_loss(
        jnp.asarray(s), jnp.asarray(y), where=jnp.asarray(v), reduce_fn=None))
    valid = (y[..., :, None] > y[..., None, :]) & v[..., :, None] & v[..., None, :]
    n = np.sum(valid.reshape(pairs.shape), axis=-1)
    per = np.sum(np.where(valid.reshape(pairs.shape), pairs, 0.0), axis=-1) / np.maximum(n, 1)
    return _reduce(per, _ranks(y, v), reduction)


_PAIRS_PINNED = (
    # (i, j) = (0, 1), (0, 2); then (1, 0), (1, 2), (2, 0)
    Pinned("docstring-example", (_S_DOC, np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 1.0]])),
           value=np.array([0.8132616875182228, 0.9204718852928121]), dtypes=("float64",)),
    # rax's mean over every pair of the batch would be (2 * 0.8133 + 3 * 0.9205) / 5
    Pinned("mean-over-lists-not-pairs", (_S_DOC, np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 1.0]])),
           value=(0.8132616875182228 + 0.9204718852928121) / 2, reductions=("mean",),
           dtypes=("float64",)),
    # equal relevance forms no pair: a list of ties is 0, leaves the mean, zero gradient
    Pinned("ties-form-no-pair", (_S_DOC, np.array([[1.0, 0.0, 0.0], [2.0, 2.0, 2.0]])),
           value=0.8132616875182228, reductions=("mean",), dtypes=("float64",),
           grad="oracle", compiled=True),
    Pinned("no-pair-anywhere-mean-0", (np.array([[2.0, 1.0, 3.0]]), np.array([[0, 0, 0]])),
           value=0.0, reductions=("mean",), grad=np.zeros((1, 3)),
           dtypes=("float32",), compiled=True),
    # scores 1e4 apart: softplus(2e4) = 2e4 and softplus(-2e4) = 0, finite gradients
    Pinned("far-apart-scores", (np.array([[-1e4, 1e4]]), np.array([[1.0, 0.0]])),
           value=np.array([2e4]), grad=np.array([[-1.0, 1.0]]), dtypes=("float32", "float64"),
           compiled=True),
    Pinned("masked-inf-and-nan-scores", (np.array([[2.0, np.inf, 3.0, np.nan]]),
                                          np.array([[1.0, 5.0, 0.0, 2.0]])),
           {"where": np.array([[True, False, True, False]])},
           value=np.array([1.0 + math.log1p(math.exp(-1.0))]),
           grad=np.array([[-math.e / (1.0 + math.e), 0.0, math.e / (1.0 + math.e), 0.0]]),
           dtypes=("float32",), compiled=True),
)

_DIFFERENCES_PAIRS = (
    "The oracle is an explicit loop over the pairs (PyTorch float64, autograd), not a "
    "library: optax, PyTorch, Keras and scikit-learn have no RankNet loss. rax "
    "(a cross-check) averages over every pair of the batch; here each "
    "list is averaged over its pairs, then the lists.")


# --------------------------------------------------------------------------- ListMLE


def _listmle_torch(t: list[Any], kw: Mapping[str, Any], reduction: str) -> Any:
    """An explicit loop over the sorted permutation: the valid items sorted by
    relevance descending, ties by position (Python's stable ``sorted``), then
    ``logsumexp(s[π(k:)]) - s[π(k)]`` summed over k, in PyTorch float64 (autograd)."""
    th = torch()

    def one(s: Any, y: list[float], valid: list[int]) -> Any:
        order = sorted(valid, key=lambda i: -y[i])
        terms = [th.logsumexp(s[order[k:]], dim=0) - s[order[k]] for k in range(len(order))]
        return th.stack(terms).sum() if terms else th.zeros((), dtype=th.float64)
    return _per_list_torch(t, kw, reduction, one)


def _listmle_rax(args: tuple[np.ndarray, ...], kwargs: Mapping[str, Any],
                 reduction: str) -> np.ndarray | None:
    """``rax.listmle_loss(..., reduce_fn=None)`` in float64 where no two valid items of
    a list are equally relevant (rax's tie order is its sort's)."""
    rax = _rax()
    import jax.numpy as jnp

    s, y, v = _lists(args, kwargs)
    if s.size == 0:
        return None
    ties = (y[..., :, None] == y[..., None, :]) & v[..., :, None] & v[..., None, :]
    if np.any(ties & ~np.eye(y.shape[-1], dtype=bool)):
        return None
    per = jax_x64(lambda: rax.listmle_loss(jnp.asarray(s), jnp.asarray(y), where=jnp.asarray(v),
                                        reduce_fn=None))
    return _reduce(per, _ranks(y, v), reduction)


def _distinct_cases(rng: np.random.Generator) -> list[Case]:
    """Lists of distinct relevance (rax's ListMLE breaks ties its own way): the cases
    its cross-check applies to."""
    def grades(shape: tuple[int, ...]) -> np.ndarray:
        return np.argsort(rng.uniform(size=shape), axis=-1).astype(np.float64)
    return [Case("2d-distinct", (logits(rng, (6, C)), grades((6, C))), tags=_2D),
            Case("2d-distinct-mask", (logits(rng, (6, C)), grades((6, C))),
                 {"where": _mask(rng, (6, C))}, tags=_2D)]


def _listmle_cases(rng: np.random.Generator) -> list[Case]:
    return [*_list_cases(rng), *_distinct_cases(rng)]


_LISTMLE_PINNED = (
    Pinned("docstring-example", (_S_DOC, np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 1.0]])),
           value=np.array([3.534533975487353, 2.1543466548218415]), dtypes=("float64",)),
    # ties by position: relevance (1, 1, 0) is the permutation (0, 1, 2), not (1, 0, 2):
    # lse(0, 1, 2) - 0 + lse(1, 2) - 1 (rax 0.4.0 without key: the same)
    Pinned("ties-broken-by-position", (np.array([[0.0, 1.0, 2.0]]),
                                        np.array([[1.0, 1.0, 0.0]])),
           value=np.array([3.720867651962603]), dtypes=("float64",)),
    Pinned("all-tied-list-leaves-the-mean", (_S_DOC, np.array([[1.0, 0.0, 0.0], [2.0, 2.0, 2.0]])),
           value=3.534533975487353, reductions=("mean",), dtypes=("float64",),
           grad="oracle", compiled=True),
    Pinned("far-apart-scores", (np.array([[-1e4, 0.0, 1e4]]), np.array([[2.0, 1.0, 0.0]])),
           value=np.array([3e4]), grad=np.array([[-1.0, -1.0, 2.0]]),
           dtypes=("float32", "float64"), compiled=True),
    Pinned("masked-inf-and-nan-scores", (np.array([[2.0, np.inf, 3.0, np.nan]]),
                                          np.array([[1.0, 5.0, 0.0, 2.0]])),
           {"where": np.array([[True, False, True, False]])},
           value=np.array([1.0 + math.log1p(math.exp(-1.0))]),
           grad=np.array([[-math.e / (1.0 + math.e), 0.0, math.e / (1.0 + math.e), 0.0]]),
           dtypes=("float32",), compiled=True),
)

_DIFFERENCES_LISTMLE = (
    "The oracle is an explicit loop over the sorted permutation (PyTorch float64, "
    "autograd), not a library: optax, PyTorch, Keras and scikit-learn have no ListMLE. "
    "rax (a cross-check, on lists without ties) breaks ties its own "
    "way and counts lists of equal relevance in its mean.")


SPECS: list[Spec] = [
    spec("softmax_ranking_loss", _softmax_optax,
         "optax.losses.ranking_softmax_loss (JAX float64, normalised labels)",
         _list_cases, _list_extreme, differences=_DIFFERENCES_SOFTMAX,
         torch_expr=_softmax_torch,
         cross_checks=(("torch F.cross_entropy(probability targets)", from_torch(_softmax_torch),
                        EXACT),
                       ("rax.softmax_loss(label_fn=normalize_probabilities)", _softmax_rax,
                        EXACT)),
         pinned=_SOFTMAX_PINNED),
    spec("pairwise_logistic_loss", from_torch(_pairs_torch),
         "an explicit loop over the pairs (PyTorch float64 logaddexp)", _list_cases,
         _list_extreme, torch_expr=_pairs_torch, differences=_DIFFERENCES_PAIRS,
         cross_checks=(("rax.pairwise_logistic_loss (per pair, averaged per list)",
                        _pairs_rax, EXACT),),
         pinned=_PAIRS_PINNED),
    spec("listmle_loss", from_torch(_listmle_torch),
         "an explicit loop over the sorted permutation (PyTorch float64 logsumexp)",
         _listmle_cases, _list_extreme, torch_expr=_listmle_torch,
         differences=_DIFFERENCES_LISTMLE,
         cross_checks=(("rax.listmle_loss (lists without ties)", _listmle_rax, EXACT),),
         pinned=_LISTMLE_PINNED),
]
