"""``losses_xp.streaming``: mergeable metric states on NumPy, PyTorch and JAX.

Streaming over uneven batches (an empty one among them) equals the one-shot function on
the concatenation (the function as reference, and scikit-learn's ``hamming_loss``,
``top_k_accuracy_score`` and ``f1_score`` ... as independent oracles); merging equals
one stream; the sums survive an all-reduce (``arrays`` / ``from_arrays``) and
``jax.jit``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sklearn.metrics
import torch

import losses_xp as lx
from losses_xp.anyloss import METRICS
from losses_xp.streaming import ConfusionMatrixState, HammingLossState, TopKAccuracyState


class _JaxArray:
    """``jnp.asarray`` that also names the JAX batches: fewer batch shapes than on NumPy
    (each new shape compiles every eager JAX operation again: seconds on a CI core)."""

    splits = (0, 12, 12, 40)

    def __call__(self, a: np.ndarray) -> Any:
        return jnp.asarray(a)


#: array library -> (convert a NumPy array, relative tolerance of its float results)
BACKENDS: dict[str, tuple[Callable[[np.ndarray], Any], float]] = {
    "numpy": (lambda a: a, 1e-12),
    "torch": (torch.asarray, 1e-12),
    "jax": (_JaxArray(), 2e-6),  # (float32: JAX without x64)
}
SPLITS = (0, 3, 3, 10, 23, 40)  # uneven batches, one of them empty
N = SPLITS[-1]


def _batches(*arrays: np.ndarray, to: Any = None) -> list[tuple[np.ndarray, ...]]:
    splits = getattr(to, "splits", SPLITS)
    return [tuple(a[lo:hi] for a in arrays) for lo, hi in itertools.pairwise(splits)]


def _f(x: Any) -> float:
    return float(np.asarray(x))


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> tuple[Callable[[np.ndarray], Any], float]:
    return BACKENDS[request.param]


@pytest.fixture(params=sorted(BACKENDS))
def named_backend(request: pytest.FixtureRequest) -> tuple[str, Callable[[np.ndarray], Any],
                                                           float]:
    return (request.param, *BACKENDS[request.param])


RNG = np.random.default_rng(0)
PROBS = RNG.uniform(size=(N, 4))
LABELS = (RNG.uniform(size=(N, 4)) < 0.4).astype(np.int64)
WEIGHTS = RNG.uniform(0.5, 2.0, size=N)
SCORES = RNG.normal(size=(N, 5))
CLASSES = RNG.integers(0, 5, size=N)


@pytest.mark.parametrize("weighted", [False, True])
def test_hamming_streaming_equals_one_shot(backend: Any, weighted: bool) -> None:
    to, rtol = backend
    state = HammingLossState()
    for p, y, w in _batches(PROBS, LABELS, WEIGHTS, to=to):
        state = state.update(to(p), to(y), sample_weight=to(w) if weighted else None)
    w_all = to(WEIGHTS) if weighted else None
    one_shot = _f(lx.hamming_loss(to(PROBS), to(LABELS), sample_weight=w_all))
    oracle = sklearn.metrics.hamming_loss(LABELS, PROBS > 0.5,
                                          sample_weight=WEIGHTS if weighted else None)
    assert _f(state.compute()) == pytest.approx(one_shot, rel=rtol)
    assert _f(state.compute()) == pytest.approx(oracle, rel=rtol)
    assert type(state.wrong) is type(to(PROBS))  # the sums are the inputs' arrays


@pytest.mark.parametrize("k", [1, 3])
def test_top_k_streaming_equals_one_shot(backend: Any, k: int) -> None:
    to, rtol = backend
    state = TopKAccuracyState(k=k)
    for s, y in _batches(SCORES, CLASSES, to=to):
        state = state.update(to(s), to(y))
    one_shot = _f(lx.top_k_accuracy(to(SCORES), to(CLASSES), k=k))
    oracle = sklearn.metrics.top_k_accuracy_score(CLASSES, SCORES, k=k, labels=range(5))
    assert _f(state.compute()) == pytest.approx(one_shot, rel=rtol)
    assert _f(state.compute()) == pytest.approx(oracle, rel=rtol)
    assert _f(state.count) == N


@pytest.mark.parametrize("axis", [None, -1])
def test_confusion_matrix_streaming_equals_any_loss(named_backend: Any,
                                                    axis: int | None) -> None:
    """Every metric of any_loss, from the accumulated soft counts: 1 - any_loss of the
    concatenation (macro and micro; per class with reduction='none'); every metric on
    NumPy, two on PyTorch and JAX (whose eager calls are slower)."""
    name, to, rtol = named_backend
    if axis is None:
        probs, target = PROBS, LABELS  # multi-label elements pooled
    else:
        probs, target = np.exp(SCORES) / np.exp(SCORES).sum(-1, keepdims=True), CLASSES
    state = ConfusionMatrixState(L=5.0, axis=axis)
    for p, y in _batches(probs, target, to=to):
        state = state.update(to(p), to(y))
    for c, ref in zip(state.arrays.values(),
                      lx.soft_confusion_matrix(to(probs), to(target), L=5.0, axis=axis),
                      strict=True):
        np.testing.assert_allclose(np.asarray(c), np.asarray(ref), rtol=rtol)
    for metric in METRICS if name == "numpy" else ("f1", "mcc"):
        for average in ("macro", "micro"):
            loss = lx.any_loss(to(probs), to(target), metric=metric, L=5.0, axis=axis,
                               average=average, beta=2.0)
            got = state.compute(metric, average=average, beta=2.0)
            assert _f(got) == pytest.approx(1.0 - _f(loss), rel=rtol, abs=rtol), metric
        per_class = lx.any_loss(to(probs), to(target), metric=metric, L=5.0, axis=axis,
                                reduction="none")
        np.testing.assert_allclose(np.asarray(state.loss(metric, reduction="none")),
                                   np.asarray(per_class), rtol=rtol, atol=rtol)


def test_hard_confusion_metrics_equal_sklearns() -> None:
    """With a steep L and probabilities away from 0.5, the streamed soft counts are the
    hard ones: the metrics are scikit-learn's (binary and multi-class macro)."""
    p = np.clip(PROBS[:, 0], 0.05, 0.95)
    p = np.where(np.abs(p - 0.5) < 0.1, p + 0.2, p)
    y = LABELS[:, 0]
    state = ConfusionMatrixState(L=1e4)
    for pb, yb in _batches(p, y):
        state = state.update(pb, yb)
    hard = (p > 0.5).astype(np.int64)
    for metric, oracle in [("f1", sklearn.metrics.f1_score),
                           ("precision", sklearn.metrics.precision_score),
                           ("recall", sklearn.metrics.recall_score),
                           ("accuracy", sklearn.metrics.accuracy_score),
                           ("balanced_accuracy", sklearn.metrics.balanced_accuracy_score),
                           ("mcc", sklearn.metrics.matthews_corrcoef),
                           ("jaccard", sklearn.metrics.jaccard_score)]:
        assert _f(state.compute(metric)) == pytest.approx(oracle(y, hard), rel=1e-9), metric
    # multi-class: one-hot rows of the arg-max, macro f1
    onehot = np.eye(5)[np.argmax(SCORES, axis=1)] * 0.9 + 0.02
    state = ConfusionMatrixState(L=1e4, axis=-1)
    for pb, yb in _batches(onehot, CLASSES):
        state = state.update(pb, yb)
    expected = sklearn.metrics.f1_score(CLASSES, np.argmax(SCORES, axis=1), average="macro")
    assert _f(state.compute("f1")) == pytest.approx(expected, rel=1e-9)


def test_merge_equals_one_stream_and_arrays_all_reduce(backend: Any) -> None:
    """Three "ranks" each stream their shard; merging, or summing their ``arrays`` (what
    an all-reduce does) and ``from_arrays``, is the state of the whole stream."""
    to, rtol = backend
    shards = [(0, 12), (12, 12), (12, N)]  # (one of them empty; JAX's batch shapes)
    ranks = [HammingLossState().update(to(PROBS[a:b]), to(LABELS[a:b])) for a, b in shards]
    whole = HammingLossState().update(to(PROBS), to(LABELS))
    merged = ranks[0].merge(ranks[1]).merge(ranks[2])
    reduced = HammingLossState.from_arrays(
        {k: sum(r.arrays[k] for r in ranks) for k in HammingLossState.SUMS})
    for state in (merged, reduced):
        assert _f(state.compute()) == pytest.approx(_f(whole.compute()), rel=rtol)
    ranks_k = [TopKAccuracyState(k=2).update(to(SCORES[a:b]), to(CLASSES[a:b]))
               for a, b in shards]
    merged_k = ranks_k[0].merge(ranks_k[1]).merge(ranks_k[2])
    whole_k = TopKAccuracyState(k=2).update(to(SCORES), to(CLASSES))
    assert _f(merged_k.compute()) == pytest.approx(_f(whole_k.compute()), rel=rtol)
    # a state that has seen nothing is the identity of merge
    assert _f(HammingLossState().merge(whole).compute()) == _f(whole.compute())
    assert _f(whole.merge(HammingLossState()).compute()) == _f(whole.compute())


def test_updates_under_jax_jit() -> None:
    """The sums are a pytree (a dict of arrays): a jitted update, and a ``lax.scan``
    over equal batches, give the eager values."""

    @jax.jit
    def step(arrays: dict[str, Any], p: Any, y: Any) -> dict[str, Any]:
        return HammingLossState.from_arrays(arrays).update(p, y).arrays

    zeros = {k: jnp.zeros(()) for k in HammingLossState.SUMS}
    arrays = zeros
    for p, y in _batches(PROBS, LABELS):
        arrays = step(arrays, jnp.asarray(p), jnp.asarray(y))
    value = HammingLossState.from_arrays(arrays).compute()
    assert _f(value) == pytest.approx(_f(lx.hamming_loss(PROBS, LABELS)), rel=2e-6)

    def scan_step(arrays: dict[str, Any], batch: tuple[Any, Any]) -> tuple[dict[str, Any], None]:
        state = ConfusionMatrixState.from_arrays(arrays, axis=-1)
        return state.update(*batch).arrays, None

    probs = jnp.asarray(np.exp(SCORES) / np.exp(SCORES).sum(-1, keepdims=True))
    batches = (probs.reshape(4, 10, 5), jnp.asarray(CLASSES).reshape(4, 10))
    start = {k: jnp.zeros(5) for k in ConfusionMatrixState.SUMS}
    final, _ = jax.jit(lambda a, b: jax.lax.scan(scan_step, a, b))(start, batches)
    got = ConfusionMatrixState.from_arrays(final, axis=-1).compute("f1")
    expected = 1.0 - _f(lx.any_loss(probs, jnp.asarray(CLASSES), axis=-1))
    assert _f(got) == pytest.approx(expected, rel=2e-6)
    top = jax.jit(lambda a, s, y: TopKAccuracyState.from_arrays(a, k=2).update(s, y).arrays)
    out = top({k: jnp.zeros(()) for k in TopKAccuracyState.SUMS}, jnp.asarray(SCORES),
              jnp.asarray(CLASSES))
    assert _f(TopKAccuracyState.from_arrays(out, k=2).compute()) == pytest.approx(
        _f(lx.top_k_accuracy(SCORES, CLASSES, k=2)), rel=2e-6)


def test_errors() -> None:
    with pytest.raises(ValueError, match="has accumulated nothing: call `update` first"):
        HammingLossState().compute()
    a = TopKAccuracyState(k=1).update(SCORES, CLASSES)
    with pytest.raises(ValueError, match="`other` must have the options"):
        a.merge(TopKAccuracyState(k=2).update(SCORES, CLASSES))
    with pytest.raises(TypeError, match="`other` must be a TopKAccuracyState; got Hamming"):
        a.merge(HammingLossState())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"`arrays` must have exactly the keys \['count'"):
        HammingLossState.from_arrays({"wrong": np.zeros(())})
    with pytest.raises(ValueError, match="`metric` must be a callable or one of"):
        ConfusionMatrixState().update(PROBS, LABELS).compute("auc")
    with pytest.raises(ValueError, match="`reduction` must be one of"):
        ConfusionMatrixState().update(PROBS, LABELS).loss(reduction="avg")
    # empty streams: NaN, as the functions of an empty batch
    empty = HammingLossState().update(PROBS[:0], LABELS[:0])
    assert np.isnan(_f(empty.compute()))
    assert np.isnan(_f(lx.hamming_loss(PROBS[:0], LABELS[:0])))
    # a user metric of the counts
    state = ConfusionMatrixState().update(PROBS, LABELS)
    tpr = state.compute(lambda tp, fn, fp, tn: tp / (tp + fn))
    assert _f(tpr) == pytest.approx(_f(state.compute("recall")), rel=1e-12)
    assert state.config == {"L": 73.0, "axis": None, "from_logits": False}


@pytest.mark.parametrize("library", ["array_api_strict", "dask"])
def test_other_array_libraries_stream_too(library: str) -> None:
    """The states are array-API code: array-api-strict, and Dask (lazily: ``compute()``
    is a Dask array until it is computed)."""
    if library == "dask":
        import dask.array as da

        def to(a: np.ndarray) -> Any:
            return da.from_array(a, chunks=7)
    else:
        import array_api_strict as xps
        to = xps.asarray
    hamming, top, cm = HammingLossState(), TopKAccuracyState(k=2), ConfusionMatrixState()
    for p, y, w, s, c in _batches(PROBS, LABELS, WEIGHTS, SCORES, CLASSES):
        hamming = hamming.update(to(p), to(y), sample_weight=to(w))
        top = top.update(to(s), to(c))
        cm = cm.update(to(p), to(y))
    assert type(hamming.compute()) is type(to(PROBS))
    assert _f(hamming.compute()) == pytest.approx(
        _f(lx.hamming_loss(PROBS, LABELS, sample_weight=WEIGHTS)), rel=1e-12)
    assert _f(top.compute()) == pytest.approx(_f(lx.top_k_accuracy(SCORES, CLASSES, k=2)),
                                              rel=1e-12)
    assert _f(cm.compute("jaccard")) == pytest.approx(
        1 - _f(lx.any_loss(PROBS, LABELS, metric="jaccard")), rel=1e-12)


def test_update_under_torch_compile() -> None:
    """An update traces whole (``fullgraph=True``): the sums in, the sums out.  (The
    ``aot_eager`` backend: Dynamo's capture of the whole graph, the property under test,
    without inductor's code generation, 13 s of the adapters session.)"""

    def step(hits: Any, count: Any, scores: Any, labels: Any) -> tuple[Any, Any]:
        arrays = TopKAccuracyState.from_arrays({"hits": hits, "count": count}, k=2).update(
            scores, labels).arrays
        return arrays["hits"], arrays["count"]

    compiled = torch.compile(step, fullgraph=True, backend="aot_eager")
    zero = torch.zeros((), dtype=torch.float64)
    hits, count = compiled(zero, zero, torch.asarray(SCORES), torch.asarray(CLASSES))
    assert float(hits) == float(lx.top_k_accuracy(SCORES, CLASSES, k=2, reduction="sum"))
    assert float(count) == N


def test_the_loss_of_the_counts_has_no_parts() -> None:
    """As ``any_loss``: ``sum_and_count`` is refused, saying to merge the states."""
    state = ConfusionMatrixState().update(PROBS, LABELS)
    with pytest.raises(ValueError, match="merge the states"):
        state.loss("f1", reduction="sum_and_count")
