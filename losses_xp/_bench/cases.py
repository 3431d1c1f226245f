"""One case of the bench: its inputs, its targets (speed and peak memory), and the agreement
of its two sides.

The performance targets (docs/benchmarks.md has the table):

* PyTorch eager from :data:`LARGE` elements on: the ratio of :data:`HEADLINE` (1.0 for the
  fused PyTorch losses and the wave-1 losses with a ``torch.nn.functional`` counterpart,
  0.8 for the sigmoid focal loss against torchvision's formula, 1.2 for the softmax focal
  loss against PyTorch's cross-entropy);
* PyTorch eager at :data:`TINY` elements and fewer, every loss: ratio <= 1.3 **or** at most
  :data:`TINY_SLACK_S` more per call, whichever is looser (:func:`slack_for`);
* ``jax.jit`` against optax: 1.0 at every size; ``torch.compile``: 1.2; the speed of
  NumPy and scikit-learn is reported only (their natives are direct formulas and
  another library's metric, not a framework's loss kernel);
* peak memory: ours <= :data:`MEMORY_TARGET` × native + :data:`MEMORY_SLACK`.

A speed ratio up to :data:`PARITY_BAND` above its target still counts as met (:func:`is_met`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._testing.compare import BENCH
from .pairs import HEADLINE

__all__ = ["MEMORY_SLACK", "MEMORY_TARGET", "PARITY_BAND", "RTOL", "deviation", "is_met",
           "make_inputs", "memory_met", "shape_for", "slack_for", "target_for"]

#: ours and native must agree within this (relative to the native result's largest value):
#: the bench's entry of the one tolerance table (``losses_xp._testing.compare``)
RTOL = BENCH.rtol

#: PyTorch eager: the headline targets (:data:`HEADLINE`) apply from this many elements on
LARGE = 10**6
#: PyTorch eager: the per-call overhead target applies at this many elements and fewer
TINY = 100
TINY_RATIO = 1.3
#: ... or ours may take this much longer per call than native (seconds), whichever is looser
TINY_SLACK_S = 4e-6
COMPILE_RATIO = 1.2  # torch.compile(fullgraph=True), both sides
#: a median ratio up to this fraction above its target still counts as met: the spread
#: between two identical programs timed this way (JAX: losses_xp and optax compile to the
#: same XLA program for mse/huber/CE and measure 0.98 to 1.03 run to run)
PARITY_BAND = 0.03
#: the peak-memory target: ours <= MEMORY_TARGET · native + MEMORY_SLACK
MEMORY_TARGET = 1.1
#: bytes: Python objects and allocator rounding, not arrays (a tiny case's peak is a few KiB
#: on either side, where a factor means nothing)
MEMORY_SLACK = 64 * 1024


def shape_for(n: int) -> tuple[int, int]:
    """``(N, C)`` with ``N·C`` = ``n`` (rounded): C = 10 below 1e5, 100 below 1e6, else 1000."""
    c = 10 if n < 10**5 else (100 if n < 10**6 else 1000)
    c = min(c, n)
    return max(1, round(n / c)), c


def make_inputs(kind: str, n: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """The NumPy inputs of one case: float32 (class indices int64), seeded."""
    rng = np.random.default_rng([seed, n, sum(map(ord, kind))])
    shape = shape_for(n)
    f32 = np.float32

    def normal(scale: float) -> np.ndarray:
        x: np.ndarray = rng.standard_normal(shape, dtype=f32) * f32(scale)
        return x

    def classes() -> np.ndarray:
        return rng.integers(0, shape[1], size=shape[0], dtype=np.int64)

    if kind == "regression":  # errors of N(0, 5): both branches of Huber / smooth L1
        return normal(2.0), normal(1.0)
    if kind == "logits":
        return normal(3.0), (rng.random(shape) < 0.3).astype(f32)
    if kind == "probs":
        return rng.uniform(0.01, 0.99, shape).astype(f32), (rng.random(shape) < 0.5).astype(f32)
    if kind == "classes":
        return normal(3.0), classes()
    if kind == "log_probs":
        x = normal(3.0)
        z = x - x.max(axis=1, keepdims=True)
        return (z - np.log(np.exp(z).sum(axis=1, keepdims=True))).astype(f32), classes()
    if kind == "gaussian":  # regression and a variance per element in [0.25, 2]
        return normal(2.0), normal(1.0), rng.uniform(0.25, 2.0, shape).astype(f32)
    if kind == "distributions":  # log-probability rows and probability rows (KL)
        x, y = normal(3.0), normal(3.0)
        z = x - x.max(axis=1, keepdims=True)
        e = np.exp(y - y.max(axis=1, keepdims=True))
        return ((z - np.log(np.exp(z).sum(axis=1, keepdims=True))).astype(f32),
                (e / e.sum(axis=1, keepdims=True)).astype(f32))
    if kind == "embedding_pairs":  # two embedding rows per sample (cosine distance)
        return normal(1.0), normal(1.0)
    if kind == "embedding_signs":  # two rows and one +-1 per row (cosine embedding loss)
        return normal(1.0), normal(1.0), np.where(rng.random(shape[0]) < 0.5, -1.0,
                                                  1.0).astype(f32)
    if kind == "triplets":  # anchor, positive and negative rows (triplet margin loss)
        a = normal(1.0)
        return a, a + normal(0.5), normal(1.0)
    if kind == "ranking":  # lists of scores, one relevant item (relevance 1) per list
        return normal(3.0), np.eye(shape[1], dtype=f32)[classes()]
    if kind == "logit_pairs":  # a student's and a teacher's logits (distillation)
        return normal(3.0), normal(3.0)
    if kind == "signs":  # scores and labels -1 / +1 (the margin losses)
        return normal(3.0), np.where(rng.random(shape) < 0.5, f32(1), f32(-1))
    if kind == "ranked_pairs":  # two scores and labels -1 / +1 (margin ranking)
        return normal(3.0), normal(3.0), np.where(rng.random(shape) < 0.5, f32(1), f32(-1))
    if kind == "class_rows":  # one-hot class rows, alone (label smoothing)
        return (np.eye(shape[1], dtype=f32)[classes()],)
    if kind == "positive":  # means and targets in [0.1, 5]: every regression domain
        return (rng.uniform(0.1, 5.0, shape).astype(f32),
                rng.uniform(0.1, 5.0, shape).astype(f32))
    if kind == "labels":  # hard multi-label predictions and truths, 0/1
        return (rng.random(shape) < 0.5).astype(np.int64), (rng.random(shape) < 0.5).astype(
            np.int64)
    raise ValueError(f"unknown input kind {kind!r}")


def target_for(mode: str, loss: str, n: int) -> float | None:
    """The speed target of a case: the largest ratio ours/native that counts as met
    (docs/benchmarks.md), or None (no target: reported only)."""
    if mode == "torch":
        if n >= LARGE and loss in HEADLINE:
            return HEADLINE[loss]
        return TINY_RATIO if n <= TINY else None
    if mode == "jax":
        return 1.0
    if mode == "torch.compile":
        return COMPILE_RATIO
    return None  # NumPy and scikit-learn: speed reported only (no peer of the same kind)


def slack_for(mode: str, n: int) -> float:
    """Seconds per call by which ours may exceed native and still meet the speed target,
    whatever the ratio (PyTorch eager at :data:`TINY` elements and fewer; else 0)."""
    return TINY_SLACK_S if mode == "torch" and n <= TINY else 0.0


def is_met(ratio: float | None, target: float | None, ours_s: float | None = None,
           native_s: float | None = None, slack_s: float = 0.0) -> bool | None:
    """Whether a speed target is met: ``ratio <= target · (1 + PARITY_BAND)``, or ours takes
    at most ``slack_s`` more per call than native (when ``slack_s`` > 0); None without a
    target or a ratio."""
    if target is None or ratio is None:
        return None
    if ratio <= target * (1.0 + PARITY_BAND):
        return True
    return slack_s > 0 and ours_s is not None and native_s is not None and \
        ours_s - native_s <= slack_s


def memory_met(ours_bytes: int | None, native_bytes: int | None,
               target: float | None = MEMORY_TARGET) -> bool | None:
    """Whether the peak-memory target is met (ours <= target · native + MEMORY_SLACK); None
    without a target or a measurement of both sides."""
    if target is None or ours_bytes is None or native_bytes is None:
        return None
    return ours_bytes <= target * native_bytes + MEMORY_SLACK


# --------------------------------------------------------------------------- agreement


def _to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # torch
        value = value.detach().cpu()
    return np.asarray(value, dtype=np.float64)


def deviation(ours: Sequence[Any], native: Sequence[Any]) -> float:
    """Max over the results (loss, gradient) of ``max|ours - native| / max|native|``."""
    if len(ours) != len(native):
        return math.inf
    worst = 0.0
    for a_, b_ in zip(ours, native, strict=True):
        a, b = _to_numpy(a_), _to_numpy(b_)
        if a.shape != b.shape and a.size != b.size:
            return math.inf
        a, b = a.reshape(-1), b.reshape(-1)
        if a.size == 0:
            continue
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            same = np.array_equal(a, b, equal_nan=True)
            worst = max(worst, 0.0 if same else math.inf)
            continue
        scale = max(float(np.max(np.abs(b))), 1e-30)
        worst = max(worst, float(np.max(np.abs(a - b))) / scale)
    return worst


def _preview(values: Sequence[Any]) -> str:
    """The first three numbers of the first result (what a mismatch report shows)."""
    first = _to_numpy(values[0]).reshape(-1)[:3] if values else np.zeros(0)
    return np.array2string(first, precision=7, separator=", ")
