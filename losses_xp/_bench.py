"""``python -m losses_xp bench``: every loss timed against its framework's own version.

For every loss that has a native counterpart (PyTorch ``torch.nn.functional`` eager and
under ``torch.compile(fullgraph=True)``, optax under ``jax.jit``, a direct NumPy formula,
scikit-learn for the metrics), time losses_xp and the native version in the same process,
interleaved, on the same float32 inputs, forward and forward+backward, from 1e2 to 1e7
elements, and report the ratio ours/native per case against the targets of issue 5, with
the peak memory at the largest size.  Writes ``results.md``, ``results.json`` and
``ratios.png`` into ``--out``.

Method
------
* Inputs: float32, shape ``(N, C)`` with ``N·C`` = the size: ``C = 10`` below 1e5
  elements, ``100`` below 1e6, ``1000`` from 1e6 on (class indices for cross-entropy, NLL
  and top-k; the same 2-D shape for the element-wise losses).  Seeded, generated once per
  size, identical for ours and native.
* Agreement first: ours and native are called once on the inputs of the case and their
  results (the loss, and the input's gradient for forward+backward) must agree within
  ``max |ours - native| <= 1e-4 · max |native|``; a case that does not is marked MISMATCH,
  is not timed, and makes the exit status 1 (a benchmark of a wrong number is
  meaningless).  That call is also the warm-up (``jax.jit`` and ``torch.compile`` compile
  there; each side is then called once more before timing).
* Timing: each side's batch size is the number of calls that takes at least
  ``--min-time`` (default 20 ms; at least one call).  Then ``--rounds`` rounds (default 7)
  each time one batch of ours and one batch of native, alternating which goes first, with
  the garbage collector off.  Reported: the median over rounds of the time per call of
  each side, and their ratio (``ratio`` < 1: losses_xp is faster).  The median over rounds
  of the per-round ratio and its spread are in ``results.json``; a case whose per-round
  ratios spread over more than a factor 1.5 is marked † (noisy).  A call includes what
  makes the result exist (``block_until_ready`` on JAX, a CUDA synchronisation) and, for
  forward+backward, ``.backward()`` on a ``requires_grad`` input (PyTorch) or
  ``jax.jit(jax.value_and_grad(f))`` (JAX).
* Peak memory (largest size only): NumPy and scikit-learn: ``tracemalloc``'s peak during
  one call (NumPy reports its buffers to tracemalloc); PyTorch CPU: the running sum of the
  allocations and frees that ``torch.profiler`` (``profile_memory=True``) records during
  one call; CUDA: ``torch.cuda.max_memory_allocated``; JAX: the compiled executable's
  ``memory_analysis()``, temporaries plus outputs.
* torch.compile: only focal, BCE with logits, cross-entropy, MSE and Huber, at the
  smallest size and at the largest size not above 1e6 (compiling takes seconds per shape);
  ``torch._dynamo.reset()`` before each case.
* glibc: without ``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184``
  large temporaries are unmapped after each call and faulted in again on the next one; the
  command recommends them when unset (the nox ``bench`` session sets them), and the header
  records them, with the load average.

Exit status: 0 when every case agrees (targets not met are reported, not failures), 1 on a
numerical mismatch or an exception, or when a backend named in ``--backends`` cannot run,
2 on a usage error.

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
import traceback
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from . import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hamming_loss,
    huber_loss,
    l1_loss,
    log_cosh_loss,
    mse_loss,
    nll_loss,
    sigmoid_focal_loss,
    smooth_l1_loss,
    top_k_accuracy,
)
from ._check import _parse_list, _quiet, _short, _version
from ._version import __version__

__all__ = ["BACKENDS", "DEFAULT_SIZES", "QUICK_SIZES", "RTOL", "Mode", "Options", "Pair",
           "Prepared", "Result", "Timing", "add_arguments", "bench", "build_modes",
           "calls_per_round", "deviation", "make_inputs", "numpy_mode", "run", "shape_for",
           "target_for", "time_interleaved", "with_wrong_native"]

_PACKAGE = __package__ or "losses_xp"

BACKENDS = ("numpy", "sklearn", "torch", "jax")  # what --backends accepts
MODE_ORDER = ("numpy", "sklearn", "torch", "torch.compile", "jax")
PASSES = ("fwd", "fwd+bwd")
DEFAULT_SIZES = (10**2, 10**4, 10**6, 10**7)
QUICK_SIZES = (10**2, 10**4)
DEFAULT_ROUNDS, QUICK_ROUNDS = 7, 3
DEFAULT_MIN_TIME, QUICK_MIN_TIME = 0.020, 0.005  # seconds per batch of calls
COMPILE_MAX_SIZE = 10**6
#: the losses of issue 5's headline targets; also the ones compiled with torch.compile
HEADLINE = ("sigmoid_focal_loss", "binary_cross_entropy_with_logits", "cross_entropy",
            "mse_loss", "huber_loss", "smooth_l1_loss")
COMPILED = ("sigmoid_focal_loss", "binary_cross_entropy_with_logits", "cross_entropy",
            "mse_loss", "huber_loss")
QUICK_COMPILED = ("mse_loss",)  # --quick: this one, forward only, at the smallest size
RTOL = 1e-4
FOCAL_ALPHA, FOCAL_GAMMA = 0.25, 2.0
TOP_K = 5
#: a case whose per-round ratios spread over more than this factor (max / min) is marked noisy
#: a median ratio up to this fraction above its target still counts as met: the spread
#: between two identical programs timed this way (JAX: losses_xp and optax compile to the
#: same XLA program for mse/huber/CE and measure 0.98 to 1.03 run to run)
PARITY_BAND = 0.03
NOISY = 1.5
#: the memory target is ours <= native + this: Python objects and allocator rounding, not arrays
MEMORY_SLACK = 64 * 1024
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "17179869184"}

# distributions whose version goes into the header, by the name they are imported as
#: the libraries whose versions the report's header lists (``_check._version`` maps a
#: module to its distribution name)
REPORTED = ("numpy", "array_api_compat", "torch", "jax", "jaxlib", "optax", "sklearn",
            "matplotlib")


class Unavailable(Exception):
    """A backend that cannot run here (not installed, no device)."""


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Pair:
    """One loss of losses_xp and its native counterpart, called with the same arrays.

    ``kind`` names the inputs (see :func:`make_inputs`); the first array is the one
    differentiated in the forward+backward pass.
    """

    loss: str
    native_name: str
    kind: str
    ours: Callable[..., Any]
    native: Callable[..., Any]
    grad: bool = True


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


def _focal(x: Any, t: Any) -> Any:
    return sigmoid_focal_loss(x, t, alpha=FOCAL_ALPHA, gamma=FOCAL_GAMMA)


def target_for(mode: str, loss: str, n: int) -> float | None:
    """The largest ratio ours/native that meets issue 5's target, or None (no target)."""
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


# --------------------------------------------------------------------------- timing


@dataclass
class Timing:
    """Per-call seconds of each side, one value per round."""

    ours: list[float]
    native: list[float]
    calls: tuple[int, int]

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours)

    @property
    def native_median(self) -> float:
        return statistics.median(self.native)

    @property
    def ratio(self) -> float:
        return self.ours_median / self.native_median

    @property
    def round_ratios(self) -> list[float]:
        return [o / n for o, n in zip(self.ours, self.native, strict=True)]


def _batch(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return time.perf_counter() - start


def calls_per_round(fn: Callable[[], Any], min_time: float, max_calls: int = 100_000) -> int:
    """The number of calls of ``fn`` that takes at least ``min_time`` seconds (>= 1)."""
    n = 1
    while True:
        elapsed = _batch(fn, n)
        if elapsed >= min_time or n >= max_calls:
            return n
        grow = math.ceil(n * 1.2 * min_time / max(elapsed, 1e-9))
        n = min(max_calls, max(2 * n, grow))


@contextlib.contextmanager
def _gc_off() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def time_interleaved(ours: Callable[[], Any], native: Callable[[], Any], rounds: int,
                     min_time: float) -> Timing:
    """``rounds`` rounds of one batch of each side, alternating which side goes first."""
    n_ours = calls_per_round(ours, min_time)
    n_native = calls_per_round(native, min_time)
    times: tuple[list[float], list[float]] = ([], [])
    sides = ((0, ours, n_ours), (1, native, n_native))
    with _gc_off():
        for r in range(max(1, rounds)):
            for side, fn, n in (sides if r % 2 == 0 else sides[::-1]):
                times[side].append(_batch(fn, n) / n)
    return Timing(times[0], times[1], (n_ours, n_native))


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


# --------------------------------------------------------------------------- backends


@dataclass
class Prepared:
    """The two calls of one case (each returns its results, synchronised) and how to
    measure the peak memory of one call of a side (``"ours"`` / ``"native"``)."""

    ours: Callable[[], tuple[Any, ...]]
    native: Callable[[], tuple[Any, ...]]
    memory: Callable[[str], int | None] | None = None


@dataclass
class Mode:
    """One backend in one mode (PyTorch eager and compiled are two modes)."""

    name: str
    title: str
    pairs: list[Pair]
    passes: tuple[str, ...]
    convert: Callable[[np.ndarray], Any]
    prepare: Callable[[Pair, str, tuple[Any, ...]], Prepared]
    memory_method: str = "n/a"
    platform: str = "cpu"
    choose_sizes: Callable[[Sequence[int]], list[int]] | None = None  # default: every size
    before_case: Callable[[], None] | None = None  # e.g. torch._dynamo.reset

    def sizes(self, sizes: Sequence[int]) -> list[int]:
        return sorted(set(self.choose_sizes(sizes) if self.choose_sizes else sizes))

    def passes_for(self, pair: Pair) -> tuple[str, ...]:
        return tuple(p for p in self.passes if p == "fwd" or pair.grad)


def _tracemalloc_peak(fn: Callable[[], Any]) -> int:
    """Bytes above the starting point at the peak of one call (tracemalloc)."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        if started:
            tracemalloc.stop()
    return max(0, peak - base)


def _host_prepare(pair: Pair, pass_: str, arrays: tuple[Any, ...]) -> Prepared:
    if pass_ != "fwd":
        raise ValueError(f"{pass_}: NumPy and scikit-learn have no autodiff")

    def ours() -> tuple[Any, ...]:
        return (pair.ours(*arrays),)

    def native() -> tuple[Any, ...]:
        return (pair.native(*arrays),)

    return Prepared(ours, native, lambda side: _tracemalloc_peak(ours if side == "ours"
                                                                 else native))


def _np_bce_logits(x: np.ndarray, t: np.ndarray) -> Any:
    return np.mean(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))))


def _np_bce(p: np.ndarray, t: np.ndarray) -> Any:
    eps = np.finfo(p.dtype).eps
    q = np.clip(p, eps, 1 - eps)
    return -np.mean(t * np.log(q) + (1 - t) * np.log1p(-q))


def _np_huber(p: np.ndarray, t: np.ndarray, delta: float = 1.0) -> Any:
    d = np.abs(p - t)
    return np.mean(np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)))


def _np_smooth_l1(p: np.ndarray, t: np.ndarray, beta: float = 1.0) -> Any:
    d = np.abs(p - t)
    return np.mean(np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta))


def _np_mse(p: np.ndarray, t: np.ndarray) -> Any:
    d = p - t
    return np.mean(d * d)


def _np_log_cosh(p: np.ndarray, t: np.ndarray) -> Any:
    a = np.abs(p - t)  # log cosh e = |e| + log1p(exp(-2|e|)) - log 2, finite for every e
    return np.mean(a + np.log1p(np.exp(-2 * a)) - np.float32(math.log(2.0)))


def _np_cross_entropy(x: np.ndarray, t: np.ndarray) -> Any:
    z = x - x.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=1))
    return np.mean(lse - np.take_along_axis(z, t[:, None], axis=1)[:, 0])


def _np_nll(logp: np.ndarray, t: np.ndarray) -> Any:
    return -np.mean(np.take_along_axis(logp, t[:, None], axis=1))


def _np_focal(x: np.ndarray, t: np.ndarray, alpha: float = FOCAL_ALPHA,
              gamma: float = FOCAL_GAMMA) -> Any:
    p = 1 / (1 + np.exp(-x))
    ce = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return np.mean(loss)


def numpy_mode() -> Mode:
    """losses_xp on NumPy arrays against direct NumPy formulas (forward only)."""
    pairs = [
        Pair("mse_loss", "np: mean((p-t)**2)", "regression", mse_loss, _np_mse),
        Pair("l1_loss", "np: mean(abs(p-t))", "regression", l1_loss,
             lambda p, t: np.mean(np.abs(p - t))),
        Pair("huber_loss", "np: where(abs(e)<1, ...)", "regression", huber_loss, _np_huber),
        Pair("smooth_l1_loss", "np: where(abs(e)<1, ...)", "regression", smooth_l1_loss,
             _np_smooth_l1),
        Pair("log_cosh_loss", "np: abs(e)+log1p(exp(-2abs(e)))-log 2", "regression", log_cosh_loss,
             _np_log_cosh),
        Pair("binary_cross_entropy", "np: clip + log/log1p", "probs", binary_cross_entropy,
             _np_bce),
        Pair("binary_cross_entropy_with_logits", "np: max(x,0)-xt+log1p(exp(-abs(x)))", "logits",
             binary_cross_entropy_with_logits, _np_bce_logits),
        Pair("cross_entropy", "np: shifted log-softmax + take_along_axis", "classes",
             cross_entropy, _np_cross_entropy),
        Pair("nll_loss", "np: take_along_axis", "log_probs", nll_loss, _np_nll),
        Pair("sigmoid_focal_loss", "np: torchvision formula", "logits",
             _focal, _np_focal),
    ]
    return Mode("numpy", f"NumPy {np.__version__} (direct NumPy formulas)", pairs, ("fwd",),
                lambda a: a, _host_prepare, memory_method="tracemalloc peak of one call")


def _sklearn_mode() -> Mode:
    if importlib.util.find_spec("sklearn") is None:
        raise Unavailable("not installed")
    metrics = importlib.import_module("sklearn.metrics")

    def sk_top_k(scores: np.ndarray, t: np.ndarray) -> Any:
        return metrics.top_k_accuracy_score(t, scores, k=TOP_K,
                                            labels=np.arange(scores.shape[1]))

    pairs = [
        Pair("hamming_loss", "sklearn.metrics.hamming_loss", "labels", hamming_loss,
             lambda pred, true: metrics.hamming_loss(true, pred), grad=False),
        Pair("top_k_accuracy", f"sklearn.metrics.top_k_accuracy_score (k={TOP_K})", "classes",
             lambda s, t: top_k_accuracy(s, t, k=TOP_K), sk_top_k, grad=False),
    ]
    return Mode("sklearn", f"scikit-learn {_version('sklearn')} metrics (NumPy inputs)", pairs,
                ("fwd",), lambda a: a, _host_prepare,
                memory_method="tracemalloc peak of one call")


def _torch_pairs(torch: Any) -> list[Pair]:
    F = torch.nn.functional

    def tv_focal(x: Any, t: Any, alpha: float = FOCAL_ALPHA, gamma: float = FOCAL_GAMMA) -> Any:
        # torchvision.ops.sigmoid_focal_loss (reduction="mean"), written inline
        p = torch.sigmoid(x)
        ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
        p_t = p * t + (1 - p) * (1 - t)
        loss = ce * ((1 - p_t) ** gamma)
        if alpha >= 0:
            alpha_t = alpha * t + (1 - alpha) * (1 - t)
            loss = alpha_t * loss
        return loss.mean()

    return [
        Pair("cross_entropy", "F.cross_entropy", "classes", cross_entropy, F.cross_entropy),
        Pair("binary_cross_entropy_with_logits", "F.binary_cross_entropy_with_logits",
             "logits", binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits),
        Pair("binary_cross_entropy", "F.binary_cross_entropy", "probs", binary_cross_entropy,
             F.binary_cross_entropy),
        Pair("mse_loss", "F.mse_loss", "regression", mse_loss, F.mse_loss),
        Pair("l1_loss", "F.l1_loss", "regression", l1_loss, F.l1_loss),
        Pair("huber_loss", "F.huber_loss", "regression", huber_loss, F.huber_loss),
        Pair("smooth_l1_loss", "F.smooth_l1_loss", "regression", smooth_l1_loss,
             F.smooth_l1_loss),
        Pair("nll_loss", "F.nll_loss", "log_probs", nll_loss, F.nll_loss),
        Pair("sigmoid_focal_loss", "torchvision sigmoid_focal_loss (inline)", "logits",
             _focal, tv_focal),
    ]


@contextlib.contextmanager
def _fd2_silenced() -> Iterator[None]:
    """File descriptor 2 to /dev/null: the profiler's C++ side logs each start and stop."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _torch_profiler_peak(torch: Any, fn: Callable[[], Any]) -> int:
    """Peak of the running sum of the allocations/frees that the profiler records."""
    from torch.profiler import ProfilerActivity, profile

    with _fd2_silenced(), profile(activities=[ProfilerActivity.CPU],
                                  profile_memory=True) as prof:
        result = fn()
        del result
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trace.json"
        prof.export_chrome_trace(str(path))
        events = json.loads(path.read_text(encoding="utf-8")).get("traceEvents", [])
    mem = sorted((e for e in events if e.get("name") == "[memory]"),
                 key=lambda e: float(e.get("ts", 0)))
    current = peak = 0
    for e in mem:
        current += int(e.get("args", {}).get("Bytes", 0))
        peak = max(peak, current)
    return peak


def _torch_mode(device: str, compiled: bool, quick: bool, num_threads: int | None = None) -> Mode:
    if importlib.util.find_spec("torch") is None:
        raise Unavailable("not installed")
    torch = importlib.import_module("torch")
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    if device == "cuda" and not torch.cuda.is_available():
        raise Unavailable("no CUDA device")
    cuda = device == "cuda"

    def sync() -> None:
        if cuda:  # pragma: no cover - needs a CUDA device
            torch.cuda.synchronize()

    def convert(a: np.ndarray) -> Any:
        return torch.from_numpy(np.array(a)).to(device)

    def side(f: Callable[..., Any], pass_: str, arrays: tuple[Any, ...]) -> Callable[[], Any]:
        if compiled:
            f = torch.compile(f, fullgraph=True)
        if pass_ == "fwd":
            def call() -> tuple[Any, ...]:
                out = f(*arrays)
                sync()
                return (out,)
            return call
        x = arrays[0].detach().clone().requires_grad_(True)
        rest = arrays[1:]

        def call_bwd() -> tuple[Any, ...]:
            out = f(x, *rest)
            out.backward()
            grad = x.grad
            x.grad = None
            sync()
            return out.detach(), grad
        return call_bwd

    def memory(call: Callable[[], Any]) -> int | None:
        if cuda:  # pragma: no cover - needs a CUDA device
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated()
            result = call()
            peak = int(torch.cuda.max_memory_allocated()) - int(base)
            del result
            return max(0, peak)
        return _torch_profiler_peak(torch, call)

    def prepare(pair: Pair, pass_: str, arrays: tuple[Any, ...]) -> Prepared:
        ours, native = side(pair.ours, pass_, arrays), side(pair.native, pass_, arrays)
        return Prepared(ours, native, lambda s: memory(ours if s == "ours" else native))

    where = f"cuda: {torch.cuda.get_device_name()}" if cuda else "cpu"
    nthreads = torch.get_num_threads()
    threads = f"{nthreads} thread{'s' if nthreads != 1 else ''}"
    method = ("torch.cuda.max_memory_allocated" if cuda else
              "torch.profiler(profile_memory=True): peak of the allocations during one call")
    pairs = _torch_pairs(torch)
    if not compiled:
        return Mode("torch", f"PyTorch {torch.__version__} eager, torch.nn.functional "
                    f"({where}, {threads})", pairs, PASSES, convert, prepare, method, where)
    pairs = [p for p in pairs if p.loss in (QUICK_COMPILED if quick else COMPILED)]

    def compile_sizes(sizes: Sequence[int]) -> list[int]:
        small = min(sizes)
        capped = [s for s in sizes if s <= COMPILE_MAX_SIZE]
        chosen = {small} if quick else {small, max(capped) if capped else small}
        return sorted(chosen)

    return Mode("torch.compile", f"PyTorch {torch.__version__} torch.compile(fullgraph=True), "
                f"both sides ({where}, {threads})", pairs, ("fwd",) if quick else PASSES,
                convert, prepare, method, where, choose_sizes=compile_sizes,
                before_case=torch._dynamo.reset)


def _jax_mode(device: str) -> Mode:
    for name in ("jax", "optax"):
        if importlib.util.find_spec(name) is None:
            raise Unavailable(f"{name} not installed")
    jax = importlib.import_module("jax")
    optax = importlib.import_module("optax")
    jnp = jax.numpy
    if device == "cuda":
        try:
            dev = jax.devices("gpu")[0]
        except RuntimeError as exc:
            raise Unavailable("no GPU for JAX") from exc
    else:
        dev = jax.devices("cpu")[0]
    L = optax.losses

    def convert(a: np.ndarray) -> Any:
        if a.dtype.kind == "i":
            a = a.astype(np.int32)  # JAX's default integer (x64 off)
        return jax.device_put(jnp.asarray(a), dev)

    pairs = [
        Pair("cross_entropy", "optax softmax_cross_entropy_with_integer_labels", "classes",
             cross_entropy,
             lambda x, t: L.softmax_cross_entropy_with_integer_labels(x, t).mean()),
        Pair("binary_cross_entropy_with_logits", "optax sigmoid_binary_cross_entropy", "logits",
             binary_cross_entropy_with_logits,
             lambda x, t: L.sigmoid_binary_cross_entropy(x, t).mean()),
        Pair("sigmoid_focal_loss", "optax sigmoid_focal_loss", "logits",
             _focal,
             lambda x, t: L.sigmoid_focal_loss(x, t, alpha=FOCAL_ALPHA,
                                               gamma=FOCAL_GAMMA).mean()),
        Pair("huber_loss", "optax huber_loss", "regression", huber_loss,
             lambda p, t: L.huber_loss(p, t, delta=1.0).mean()),
        Pair("log_cosh_loss", "optax log_cosh", "regression", log_cosh_loss,
             lambda p, t: L.log_cosh(p, t).mean()),
        Pair("mse_loss", "optax squared_error", "regression", mse_loss,
             lambda p, t: L.squared_error(p, t).mean()),
    ]

    def prepare(pair: Pair, pass_: str, arrays: tuple[Any, ...]) -> Prepared:
        def jitted(f: Callable[..., Any]) -> Any:
            return jax.jit(f if pass_ == "fwd" else jax.value_and_grad(f))

        jo, jn = jitted(pair.ours), jitted(pair.native)

        def call(j: Any) -> Callable[[], tuple[Any, ...]]:
            def run_it() -> tuple[Any, ...]:
                out = jax.block_until_ready(j(*arrays))
                if isinstance(out, tuple):  # (value, grad)
                    return tuple(out)
                return (out,)
            return run_it

        def memory(s: str) -> int | None:
            stats = (jo if s == "ours" else jn).lower(*arrays).compile().memory_analysis()
            if stats is None:  # pragma: no cover - XLA's CPU client always has the analysis
                return None
            return int(stats.temp_size_in_bytes) + int(stats.output_size_in_bytes)

        return Prepared(call(jo), call(jn), memory)

    where = f"{dev.platform}: {getattr(dev, 'device_kind', dev)}"
    return Mode("jax", f"JAX {jax.__version__} jax.jit, both sides, vs optax "
                f"{_version('optax')} ({where})", pairs, PASSES, convert, prepare,
                "XLA memory_analysis() of the compiled call: temporaries + outputs", where)


def build_modes(opts: Options) -> tuple[list[Mode], dict[str, str]]:
    """The modes to run and the status of every requested backend ("ok" or why not)."""
    modes: list[Mode] = []
    status: dict[str, str] = {}
    for backend in opts.backends:
        try:
            with _quiet():
                if backend == "numpy":
                    modes.append(numpy_mode())
                elif backend == "sklearn":
                    modes.append(_sklearn_mode())
                elif backend == "torch":
                    modes.append(_torch_mode(opts.device, False, opts.quick, opts.torch_threads))
                    if opts.compile:
                        modes.append(_torch_mode(opts.device, True, opts.quick,
                                                 opts.torch_threads))
                elif backend == "jax":
                    modes.append(_jax_mode(opts.device))
            status[backend] = "ok"
        except Unavailable as exc:
            status[backend] = str(exc)
        except Exception as exc:  # an import failing half-way
            status[backend] = "unavailable: " + _short(exc)
    modes.sort(key=lambda m: MODE_ORDER.index(m.name))
    return modes, status


# --------------------------------------------------------------------------- the run


@dataclass
class Options:
    backends: list[str]
    explicit: bool = False
    losses: list[str] | None = None
    sizes: list[int] = field(default_factory=lambda: list(DEFAULT_SIZES))
    rounds: int = DEFAULT_ROUNDS
    min_time: float = DEFAULT_MIN_TIME
    quick: bool = False
    compile: bool = True
    memory: bool = True
    plot: bool = True
    device: str = "cpu"
    torch_threads: int | None = None  # None: PyTorch's default
    out: Path = Path("benchmarks/results")
    seed: int = 0
    command: str = ""
    verbose: bool = False


@dataclass
class Result:
    """One case: a loss, a size and a pass in one mode."""

    mode: str
    loss: str
    native: str
    n: int
    shape: tuple[int, int]
    pass_: str
    status: str = "ok"  # "ok", "mismatch", "error"
    detail: str = ""
    deviation: float | None = None
    ours_s: float | None = None
    native_s: float | None = None
    ratio: float | None = None
    target: float | None = None
    ours_rounds: list[float] = field(default_factory=list)
    native_rounds: list[float] = field(default_factory=list)
    calls_per_round: tuple[int, int] = (0, 0)
    ours_bytes: int | None = None
    native_bytes: int | None = None

    @property
    def met(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.ratio <= self.target * (1.0 + PARITY_BAND)

    @property
    def noisy(self) -> bool:
        """The per-round ratios spread over more than a factor NOISY (max / min)."""
        if not self.ours_rounds or not self.native_rounds:
            return False
        ratios = [o / n for o, n in zip(self.ours_rounds, self.native_rounds, strict=True)]
        return min(ratios) > 0 and max(ratios) / min(ratios) > NOISY

    @property
    def memory_ratio(self) -> float | None:
        if self.ours_bytes is None or self.native_bytes is None:
            return None
        if self.native_bytes == 0:
            return 1.0 if self.ours_bytes == 0 else math.inf
        return self.ours_bytes / self.native_bytes

    @property
    def memory_met(self) -> bool | None:
        if self.ours_bytes is None or self.native_bytes is None:
            return None
        return self.ours_bytes <= self.native_bytes + MEMORY_SLACK

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["pass"] = d.pop("pass_")
        d["met"] = self.met
        if self.ours_rounds and self.native_rounds:
            ratios = [o / n for o, n in zip(self.ours_rounds, self.native_rounds, strict=True)]
            d["ratio_paired_median"] = statistics.median(ratios)
            d["ratio_min"], d["ratio_max"] = min(ratios), max(ratios)
        d["noisy"] = self.noisy
        d["memory_ratio"] = self.memory_ratio
        d["memory_met"] = self.memory_met
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in d.items()}


def _run_case(mode: Mode, pair: Pair, pass_: str, n: int, arrays: tuple[Any, ...],
              opts: Options, measure_memory: bool) -> Result:
    res = Result(mode.name, pair.loss, pair.native_name, n, shape_for(n), pass_,
                 target=target_for(mode.name, pair.loss, n))
    try:
        with _quiet():
            if mode.before_case is not None:
                mode.before_case()
            prep = mode.prepare(pair, pass_, arrays)
            got, expected = prep.ours(), prep.native()  # also the warm-up (compiles)
            res.deviation = deviation(got, expected)
            if not res.deviation <= RTOL:
                res.status = "mismatch"
                res.detail = (f"max |ours - native| / max |native| = {res.deviation:.2e} > "
                              f"{RTOL:g}; ours {_preview(got)}, native {_preview(expected)}")
                return res
            del got, expected
            prep.ours()
            prep.native()
            timing = time_interleaved(prep.ours, prep.native, opts.rounds, opts.min_time)
            res.ours_s, res.native_s = timing.ours_median, timing.native_median
            res.ratio = timing.ratio
            res.ours_rounds, res.native_rounds = timing.ours, timing.native
            res.calls_per_round = timing.calls
            if measure_memory and prep.memory is not None:
                try:
                    res.ours_bytes = prep.memory("ours")
                    res.native_bytes = prep.memory("native")
                except Exception as exc:  # a measurement we cannot make is not a failure
                    res.detail = f"peak memory not measured: {_short(exc)}"
    except Exception as exc:
        res.status = "error"
        res.detail = _short(exc)
        if opts.verbose:
            res.detail += "\n" + traceback.format_exc()
    return res


def _preview(values: Sequence[Any]) -> str:
    first = _to_numpy(values[0]).reshape(-1)[:3] if values else np.zeros(0)
    return np.array2string(first, precision=7, separator=", ")


def bench(opts: Options, out: TextIO, err: TextIO, modes: list[Mode] | None = None,
          status: dict[str, str] | None = None) -> int:
    """Run the benchmark, write the reports into ``opts.out``; the exit status.

    ``modes`` defaults to :func:`build_modes` (tests pass their own).
    """
    start = time.perf_counter()
    load_before = _loadavg()
    if modes is None:
        modes, status = build_modes(opts)
    status = dict(status or {m.name: "ok" for m in modes})
    failures: list[str] = []
    for backend, why in status.items():
        if why != "ok":
            print(f"  {backend}: {why}", file=err, flush=True)
            if opts.explicit:
                failures.append(f"{backend}: requested with --backends but {why}")
    _malloc_note(err)
    busy = _busy(load_before)
    if busy:
        print(f"warning: {busy}", file=err, flush=True)
    results: list[Result] = []
    for mode in modes:
        t0 = time.perf_counter()
        sizes = mode.sizes(opts.sizes)
        pairs = [p for p in mode.pairs if opts.losses is None or p.loss in opts.losses]
        print(f"{mode.name}: {len(pairs)} losses × sizes {', '.join(map(_size, sizes))}",
              file=err, flush=True)
        for n in sizes:
            gc.collect()  # once per size: the timing runs with the collector off
            cache: dict[str, tuple[Any, ...]] = {}
            for pair in pairs:
                problem = ""
                if pair.kind not in cache:
                    try:
                        cache[pair.kind] = tuple(mode.convert(a) for a in
                                                 make_inputs(pair.kind, n, opts.seed))
                    except Exception as exc:
                        problem = f"making the inputs failed: {_short(exc)}"
                for pass_ in mode.passes_for(pair):
                    if problem:
                        res = Result(mode.name, pair.loss, pair.native_name, n, shape_for(n),
                                     pass_, status="error", detail=problem)
                    else:
                        res = _run_case(mode, pair, pass_, n, cache[pair.kind], opts,
                                        opts.memory and n == sizes[-1])
                    results.append(res)
                    _progress(err, res)
            cache.clear()
        print(f"{mode.name}: {time.perf_counter() - t0:.1f} s", file=err, flush=True)
    for r in results:
        if r.status != "ok":
            failures.append(f"{r.mode} {r.loss} {_size(r.n)} {r.pass_}: {r.status}: {r.detail}")
    elapsed = time.perf_counter() - start
    meta = _meta(opts, modes, status, elapsed)
    meta["load_average"] = {"start": load_before, "end": _loadavg()}
    opts.out.mkdir(parents=True, exist_ok=True)
    report = _markdown(meta, modes, results, failures)
    (opts.out / "results.md").write_text(report, encoding="utf-8")
    payload = {"meta": meta, "results": [r.as_json() for r in results]}
    (opts.out / "results.json").write_text(json.dumps(payload, indent=1) + "\n",
                                           encoding="utf-8")
    plot = opts.out / "ratios.png"
    try:
        plot_note = _plot(results, modes, plot) if opts.plot else "--no-plot"
    except Exception as exc:
        plot_note = f"drawing failed: {_short(exc)}"
    if plot_note != "ok":
        plot.unlink(missing_ok=True)  # not a stale plot of an earlier run
    print(report, file=out)
    print(f"wrote {opts.out / 'results.md'}, {opts.out / 'results.json'}"
          + (f", {plot}" if plot_note == "ok" else
             f" (no plot: {plot_note})"), file=out)
    if failures:
        print(f"FAILED: {len(failures)} mismatch(es) or error(s) ({elapsed:.1f} s)", file=out)
        for f in failures:
            print("  - " + f, file=out)
        return 1
    if not results:
        print("FAILED: nothing was benchmarked", file=out)
        return 1
    print(f"OK: {len(results)} cases agree ({elapsed:.1f} s)", file=out)
    return 0


def _progress(err: TextIO, r: Result) -> None:
    where = f"  {r.mode:<13} {r.loss:<33} {_size(r.n):>4} {r.pass_:<7}"
    if r.status != "ok":
        print(f"{where} {r.status.upper()}: {r.detail}", file=err, flush=True)
        return
    met = {True: "", False: " (target not met)", None: ""}[r.met]
    print(f"{where} ours {_fmt_time(r.ours_s)}  native {_fmt_time(r.native_s)}  "
          f"ratio {_fmt_ratio(r.ratio)}{met}", file=err, flush=True)


def _malloc_note(err: TextIO) -> None:
    missing = [k for k in MALLOC_ENV if k not in os.environ]
    if missing:
        env = " ".join(f"{k}={v}" for k, v in MALLOC_ENV.items())
        print(f"note: {', '.join(missing)} not set: glibc returns large freed blocks (a 4M-"
              f"element float32 temporary is 15.6 MiB) to the system and re-faults them on the "
              f"next call, which adds page-fault time to both sides; for stable numbers run "
              f"with `{env}` (the nox `bench` session sets them)", file=err, flush=True)


# --------------------------------------------------------------------------- report


def _busy(load: list[float] | None) -> str | None:
    """Why the machine looks too busy for stable numbers, or None."""
    cpus = os.cpu_count() or 1
    if load is None or load[0] <= 0.5 * cpus:
        return None
    return (f"the 1-minute load average is {load[0]:g} on {cpus} CPUs: other work competes for "
            "the CPUs and the numbers will be noisy (PyTorch's threads in particular)")


def _loadavg() -> list[float] | None:
    """1, 5 and 15 minute load averages (other work on the machine makes numbers noisy)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _meta(opts: Options, modes: list[Mode], status: dict[str, str],
          elapsed: float) -> dict[str, Any]:
    uname = platform.uname()
    torch = sys.modules.get("torch")
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "package": _PACKAGE,
        "losses_xp": __version__,
        "machine": f"{uname.system} {uname.release} {uname.machine} ({_cpu_name()})",
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "versions": {m: _version(m) for m in REPORTED},
        "command": opts.command,
        "malloc_env": {k: os.environ.get(k) for k in MALLOC_ENV},
        "thread_env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                                   "OPENBLAS_NUM_THREADS", "XLA_FLAGS")
                       if k in os.environ},
        "device": opts.device,
        "sizes": opts.sizes,
        "rounds": opts.rounds,
        "min_time_s": opts.min_time,
        "rtol": RTOL,
        "seed": opts.seed,
        "backends": status,
        "modes": {m.name: {"title": m.title, "platform": m.platform,
                           "memory_method": m.memory_method} for m in modes},
        "seconds": round(elapsed, 1),
    }


def _size(n: int) -> str:
    e = round(math.log10(n)) if n > 0 else 0
    return f"1e{e}" if n == 10**e else str(n)


def _fmt_time(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1.0:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.3f} s"


def _fmt_ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.2f}"


def _fmt_bytes(b: int | None) -> str:
    if b is None:
        return "n/a"
    if b < 1024:
        return f"{b} B"
    if b < 1024**2:
        return f"{b / 1024:.1f} KiB"
    return f"{b / 1024**2:.1f} MiB"


def _cell(text: str) -> str:
    """``text`` safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def _fmt_met(m: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "-"}[m]


def _markdown(meta: dict[str, Any], modes: list[Mode], results: list[Result],
              failures: list[str]) -> str:
    lines = [f"# {meta['package']} {meta['losses_xp']} benchmark: ours vs each framework's own "
             "losses",
             ""]
    v = meta["versions"]
    libs = ", ".join(f"{m} {v[m] or '-'}" for m in ("numpy", "array_api_compat", "torch", "jax",
                                                    "jaxlib", "optax", "sklearn",
                                                    "matplotlib"))
    malloc = ", ".join(f"`{k}={val}`" if val is not None else f"`{k}` unset"
                       for k, val in meta["malloc_env"].items())
    if any(val is None for val in meta["malloc_env"].values()):
        rec = " ".join(f"{k}={val}" for k, val in MALLOC_ENV.items())
        malloc += f" (recommended: `{rec}`)"
    threads = "" if meta["torch_threads"] is None else f"; torch threads {meta['torch_threads']}"
    thread_env = ", ".join(f"{k}={val}" for k, val in meta["thread_env"].items())
    lines += [
        f"- date: {meta['date']}",
        f"- machine: {meta['machine']}, os.cpu_count() = {meta['cpu_count']}"
        f" ({meta['cpus_usable']} usable){threads}"
        + (f"; {thread_env}" if thread_env else ""),
        f"- load average (1, 5, 15 min): {meta['load_average']['start']} at the start, "
        f"{meta['load_average']['end']} at the end"
        + (f" (**busy**: {busy})" if (busy := _busy(meta["load_average"]["start"])) else ""),
        f"- Python {meta['python']}",
        f"- libraries: {libs}",
        f"- command: `{meta['command']}`",
        f"- malloc environment: {malloc}",
        f"- method: ours and native interleaved in the same process, {meta['rounds']} rounds "
        f"of a batch of calls of at least {meta['min_time_s'] * 1e3:g} ms per side; median "
        f"time per call; ratio = ours / native (< 1: losses_xp is faster); float32; results "
        f"checked to agree within {meta['rtol']:g} (relative to max |native|) before timing; "
        f"a ratio up to {PARITY_BAND:.0%} above its target counts as met (the spread of two "
        "identical programs timed this way)",
        f"- total time: {meta['seconds']} s",
        "",
    ]
    skipped = {b: s for b, s in meta["backends"].items() if s != "ok"}
    if skipped:
        lines += ["Not run: " + ", ".join(f"{b} ({s})" for b, s in skipped.items()), ""]
    for mode in modes:
        rows = [r for r in results if r.mode == mode.name]
        if not rows:
            continue
        lines += [f"## {mode.name}: {mode.title}", "",
                  "| loss | shape | pass | ours | native | ratio | target | met? |",
                  "|---|---|---|---:|---:|---:|---:|---|"]
        for r in rows:
            shape = f"{r.shape[0]}×{r.shape[1]} ({_size(r.n)})"
            name = f"`{r.loss}` vs {_cell(r.native)}"
            target = "-" if r.target is None else f"≤ {r.target:g}"
            if r.status != "ok":
                ratio = "**MISMATCH**" if r.status == "mismatch" else "**ERROR**"
                lines.append(f"| {name} | {shape} | {r.pass_} | - | - | {ratio} | {target} "
                             f"| - |")
                continue
            mark = " †" if r.noisy else ""
            lines.append(f"| {name} | {shape} | {r.pass_} | {_fmt_time(r.ours_s)} | "
                         f"{_fmt_time(r.native_s)} | {_fmt_ratio(r.ratio)}{mark} | {target} | "
                         f"{_fmt_met(r.met)} |")
        if any(r.noisy for r in rows):
            lines += ["", f"† noisy: the ratios of single rounds spread over more than a factor "
                      f"{NOISY:g} (min … max in results.json)"]
        lines.append("")
    mem = [r for r in results if r.ours_bytes is not None or r.native_bytes is not None]
    if mem:
        lines += ["## Peak memory at the largest size", "",
                  f"Target: ours ≤ native (+ {MEMORY_SLACK // 1024} KiB for Python objects and "
                  "allocator rounding).", "",
                  "| backend | loss | shape | pass | ours | native | ratio | met? |",
                  "|---|---|---|---|---:|---:|---:|---|"]
        for r in mem:
            mratio = r.memory_ratio
            lines.append(f"| {r.mode} | `{r.loss}` | {r.shape[0]}×{r.shape[1]} | {r.pass_} | "
                         f"{_fmt_bytes(r.ours_bytes)} | {_fmt_bytes(r.native_bytes)} | "
                         f"{'-' if mratio is None else f'{mratio:.2f}'} | "
                         f"{_fmt_met(r.memory_met)} |")
        lines.append("")
        lines += ["Methods: " + "; ".join(f"{m.name}: {m.memory_method}" for m in modes), ""]
    timed = [r for r in results if r.met is not None]
    met = [r for r in timed if r.met]
    mem_t = [r for r in mem if r.memory_met is not None]
    lines += ["## Summary", "",
              f"- speed targets met: {len(met)} / {len(timed)}",
              f"- memory targets met: {sum(bool(r.memory_met) for r in mem_t)} / {len(mem_t)}"]
    missed = [r for r in timed if not r.met]
    if missed:
        lines.append("- not met: " + ", ".join(
            f"{r.mode} `{r.loss}` {_size(r.n)} {r.pass_} ({r.ratio:.2f} > {r.target:g})"
            for r in missed if r.ratio is not None and r.target is not None))
    if failures:
        lines += ["", f"**{len(failures)} mismatch(es) or error(s):**", ""]
        lines += [f"- {f}" for f in failures]
    else:
        lines.append(f"- every case agrees within {RTOL:g}")
    return "\n".join(lines) + "\n"


def _plot(results: list[Result], modes: list[Mode], path: Path) -> str:
    """Ratio against size, one line per loss and pass, one panel per mode; "ok" or why not."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter
    except Exception as exc:
        return f"matplotlib is not importable ({_short(exc)})"
    shown = [m for m in modes if any(r.mode == m.name and r.ratio for r in results)]
    if not shown:
        return "no timed case"
    cols = min(3, len(shown))
    rows = math.ceil(len(shown) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 4.2 * rows), squeeze=False)
    losses = sorted({r.loss for r in results})
    colors = {name: plt.get_cmap("tab20")(i % 20) for i, name in enumerate(losses)}
    ticks = FuncFormatter(lambda v, _pos: f"{v:g}")
    # minor ticks: label 2 and 5 of each decade only
    minor = FuncFormatter(lambda v, _pos: f"{v:g}" if f"{v:.0e}"[0] in "25" else "")
    for ax, mode in zip(axes.flat, shown, strict=False):
        for loss in losses:
            label: str | None = loss  # one legend entry per loss: solid fwd, dashed fwd+bwd
            for pass_, style in (("fwd", "-"), ("fwd+bwd", "--")):
                pts = sorted((r.n, r.ratio) for r in results if r.mode == mode.name
                             and r.loss == loss and r.pass_ == pass_ and r.ratio)
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o",
                            color=colors[loss], label=label, markersize=3)
                    label = None
        ax.axhline(1.0, color="black", linewidth=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(ticks)
        ax.yaxis.set_minor_formatter(minor)
        ax.set_title(mode.name)
        ax.set_xlabel("elements")
        ax.set_ylabel("time ours / native")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6)
    for ax in list(axes.flat)[len(shown):]:
        ax.set_visible(False)
    fig.suptitle("losses_xp / native time per call (< 1: losses_xp faster; "
                 "solid fwd, dashed fwd+bwd)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return "ok"


# --------------------------------------------------------------------------- entry point


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backends", metavar="A,B",
        help=f"comma-separated subset of {','.join(BACKENDS)} (default: every installed one; "
             f"torch includes torch.compile unless --no-compile); one named here that "
             f"cannot run is a failure")
    parser.add_argument("--losses", metavar="A,B",
                        help="comma-separated losses_xp names (default: every one with a "
                             "native counterpart)")
    parser.add_argument("--sizes", metavar="N,N",
                        help="comma-separated total element counts, e.g. 1e2,1e6 (default "
                             f"{','.join(map(_size, DEFAULT_SIZES))}; --quick: "
                             f"{','.join(map(_size, QUICK_SIZES))})")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_ROUNDS} rounds of >= {QUICK_MIN_TIME * 1e3:g} ms, sizes "
                             f"{','.join(map(_size, QUICK_SIZES))}, torch.compile for "
                             f"{', '.join(QUICK_COMPILED)} forward at the smallest size "
                             "only: under a minute")
    parser.add_argument("--rounds", type=int, metavar="R",
                        help=f"interleaved rounds (default {DEFAULT_ROUNDS}; --quick "
                             f"{QUICK_ROUNDS})")
    parser.add_argument("--min-time", type=float, metavar="MS",
                        help=f"milliseconds per batch of calls (default "
                             f"{DEFAULT_MIN_TIME * 1e3:g}; --quick {QUICK_MIN_TIME * 1e3:g})")
    parser.add_argument("--no-compile", dest="compile", action="store_false",
                        help="skip torch.compile(fullgraph=True)")
    parser.add_argument("--no-memory", dest="memory", action="store_false",
                        help="skip the peak-memory measurement")
    parser.add_argument("--no-plot", dest="plot", action="store_false",
                        help="do not draw ratios.png")
    parser.add_argument("--out", default="benchmarks/results", metavar="DIR",
                        help="folder of results.md, results.json, ratios.png "
                             "(default benchmarks/results)")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"),
                        help="device of the torch and JAX arrays (default cpu)")
    parser.add_argument("--torch-threads", type=int, metavar="N",
                        help="torch.set_num_threads(N) (default: PyTorch's default, recorded in "
                             "the header; 1 avoids OpenMP stalls on a busy machine)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the inputs")
    parser.add_argument("-v", "--verbose", action="store_true", help="tracebacks of errors")


def _parse_sizes(value: str) -> list[int]:
    sizes = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        n = float(item)
        if not math.isfinite(n) or n < 1 or n != round(n):
            raise ValueError(f"a size must be a whole number of elements >= 1; got {item!r}")
        sizes.append(int(n))
    if not sizes:
        raise ValueError("no size given")
    return sorted(set(sizes))


def _all_losses() -> set[str]:
    """Every loss that has a native counterpart in some mode (NumPy has all but the metrics)."""
    return {p.loss for p in numpy_mode().pairs} | {"hamming_loss", "top_k_accuracy"}


def _command_line() -> str:
    argv = getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv]
    return shlex.join(argv)


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Entry point of ``python -m losses_xp bench`` (``args`` from :func:`add_arguments`)."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    requested = _parse_list(args.backends)
    if requested is not None:
        unknown = [b for b in requested if b not in BACKENDS]
        if unknown or not requested:
            print(f"error: unknown backend(s) {unknown or requested}; choose from "
                  f"{', '.join(BACKENDS)}", file=err)
            return 2
    losses = _parse_list(args.losses)
    if losses is not None:
        unknown = sorted(set(losses) - _all_losses())
        if unknown or not losses:
            print(f"error: no native counterpart is benchmarked for {unknown or losses}; "
                  f"choose from {', '.join(sorted(_all_losses()))}", file=err)
            return 2
    try:
        sizes = _parse_sizes(args.sizes) if args.sizes else list(
            QUICK_SIZES if args.quick else DEFAULT_SIZES)
    except ValueError as exc:
        print(f"error: --sizes: {exc}", file=err)
        return 2
    rounds = args.rounds if args.rounds is not None else (
        QUICK_ROUNDS if args.quick else DEFAULT_ROUNDS)
    min_time = args.min_time / 1e3 if args.min_time is not None else (
        QUICK_MIN_TIME if args.quick else DEFAULT_MIN_TIME)
    if rounds < 1 or not min_time >= 0:
        print("error: --rounds must be >= 1 and --min-time >= 0", file=err)
        return 2
    if args.torch_threads is not None and args.torch_threads < 1:
        print("error: --torch-threads must be >= 1", file=err)
        return 2
    opts = Options(
        backends=list(dict.fromkeys(requested or BACKENDS)), explicit=requested is not None,
        losses=losses, sizes=sizes, rounds=rounds, min_time=min_time, quick=args.quick,
        compile=args.compile, memory=args.memory, plot=args.plot, device=args.device,
        torch_threads=args.torch_threads, out=Path(args.out), seed=args.seed,
        command=getattr(args, "command_line", None) or _command_line(), verbose=args.verbose)
    return bench(opts, out, err)


def with_wrong_native(mode: Mode, loss: str, factor: float = 1.01) -> Mode:
    """``mode`` with the native result of ``loss`` scaled by ``factor`` (tests)."""
    pairs = [replace(p, native=(lambda f: lambda *a: f(*a) * factor)(p.native))
             if p.loss == loss else p for p in mode.pairs]
    return replace(mode, pairs=pairs)
