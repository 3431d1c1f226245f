"""One case of the bench: its inputs, its target, and the agreement of its two sides."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._testing.compare import BENCH
from .pairs import HEADLINE

__all__ = ["RTOL", "deviation", "make_inputs", "shape_for", "target_for"]

#: ours and native must agree within this (relative to the native result's largest value):
#: the bench's entry of the one tolerance table (``losses_xp._testing.compare``)
RTOL = BENCH.rtol


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
    if kind == "labels":  # hard multi-label predictions and truths, 0/1
        return (rng.random(shape) < 0.5).astype(np.int64), (rng.random(shape) < 0.5).astype(
            np.int64)
    raise ValueError(f"unknown input kind {kind!r}")


def target_for(mode: str, loss: str, n: int) -> float | None:
    """The performance target of a case: the largest ratio ours/native that counts as met
    (docs/benchmarks.md), or None (no target: reported only)."""
    if mode == "torch":
        if n >= 10**6 and loss in HEADLINE:
            return 1.0
        if n <= 100:
            return 1.3
        return None
    if mode == "jax":
        return 1.0
    if mode in ("numpy", "sklearn"):
        return 1.2
    return None  # torch.compile: reported only


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
