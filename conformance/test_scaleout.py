"""Scale-out: losses over Dask arrays of 10^8 elements, and under ``jax.jit`` on 8 devices.

Dask (``--backend=dask``, the ``conformance(dask)`` session)
    Inputs of 10^8 float32 elements are built lazily with ``dask.array.random`` (seeded)
    in chunks of 10^7 elements (40 MB), so no full-size NumPy array ever exists.  For
    each problem the loss must (a) build a graph without computing anything (the
    scheduler raises inside the call) and return Dask arrays whose ``none`` output keeps
    the input's chunks along the batch; (b) after ``compute()``, equal the chunk-wise
    reference: every chunk's summed loss from the **NumPy** backend of losses_xp
    (``reduction="sum"``, in float32 like the Dask path, so the comparison isolates
    what scale-out adds: the lazy graph, the partial sums of the tree reduction and the
    mean's denominator), added up exactly (``math.fsum``) and divided by the count —
    the cross-entropy problem also with its logits' class axis split over 4 chunks
    (same values), which must give the same result;
    (c) on a slice (the first 1% of the batch: 10^6 elements, inside the first chunk),
    equal the plain NumPy result of losses_xp on the computed slice and the
    independent oracle of the conformance registry (``torch.nn.functional`` or its
    formula in torch ops, float64 on the float32 inputs) for ``mean``, ``sum`` and
    ``none``.  Computing runs on the threaded scheduler with 2 workers (fixed, so that
    time and memory do not depend on the machine's core count); the time and the peak
    RSS of each problem are printed (``pytest -s``) and the peak must stay under
    ``PEAK_RSS_CAP``.

    A second test checks that the peak memory is a per-chunk quantity: it computes the
    same loss on N and 2N elements (same chunk size) and measures the peak of the NumPy
    buffers alive at once (``tracemalloc``, which NumPy reports its allocations to);
    the growth must stay under ``MAX_GROWTH_PER_ELEMENT`` bytes per added element.  (It
    found that array-api-compat's Dask ``clip`` with a Python bound held a float64 array
    of the whole input: ``_primitives.clip`` now calls ``dask.array.clip``.)
    ``docs/examples/dask_scaleout.py`` is run at 10^6 elements.

JAX (``--backend=jax``, the ``conformance(jax)`` session)
    ``conformance/_scaleout_jax.py`` runs in a fresh interpreter with
    ``XLA_FLAGS=--xla_force_host_platform_device_count=8`` (JAX reads it once, when it
    initialises its backend, which the conformance session did long ago): every loss
    of the case catalogue with a batch axis, jitted, on inputs sharded along the batch
    over 8 CPU devices vs the same inputs on one device.  Values must agree (float64:
    1e-12 relative, the two differ only by the order of partial sums; float32: the
    suite's float32 tolerance) and a batched ``reduction="none"`` output must stay
    split over the 8 devices along the batch.

Other backends: each test here is reported once, as skipped, naming the backend it needs.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import math
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import losses_xp as lx
from losses_xp._declare import Declaration, declaration, declarations
from losses_xp._testing.backends import get_backend

from .conftest import session_of
from .helpers import assert_close
from .registry import SPECS, TOLERANCES, Tol

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "dask_scaleout.py"

# --------------------------------------------------------------------------- selection


def _only_on(metafunc: pytest.Metafunc, argname: str, backend: str, values: list[Any],
             ids: list[str], what: str) -> None:
    """Parametrize ``argname`` over ``values`` on ``backend``; elsewhere one skipped item."""
    s = session_of(metafunc.config)
    reason = s.skip_reason
    if reason is None and s.name != backend:
        reason = (f"{what} runs with --backend={backend} (nox -s \"conformance({backend})\"); "
                  f"this run is --backend={s.name}")
    if reason is not None:
        metafunc.parametrize(argname, [pytest.param(None, marks=pytest.mark.skip(reason=reason),
                                                    id="skipped")])
        return
    metafunc.parametrize(argname, values, ids=ids)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "problem" in metafunc.fixturenames:
        _only_on(metafunc, "problem", "dask", PROBLEMS, [p.id for p in PROBLEMS],
                 "the Dask scale-out test (10^8 elements)")
    if "memory_case" in metafunc.fixturenames:
        _only_on(metafunc, "memory_case", "dask", MEMORY_CASES, [m.id for m in MEMORY_CASES],
                 "the Dask peak-memory test")
    if "dask_example" in metafunc.fixturenames:
        _only_on(metafunc, "dask_example", "dask", [EXAMPLE], ["dask_scaleout.py"],
                 "docs/examples/dask_scaleout.py")
    if "sharded_loss" in metafunc.fixturenames:
        names = sorted(SPECS)
        _only_on(metafunc, "sharded_loss", "jax", names, names,
                 "the JAX sharding test (8 simulated CPU devices)")


# --------------------------------------------------------------------------- Dask: inputs

N = 10**8  # elements of the largest input of every problem
CHUNK = 10**7  # elements per chunk: 40 MB of float32
BATCH, CLASSES = 10**5, 1000  # the 2-D problems: (10^5, 10^3) = 10^8 elements
SLICE_FRACTION = 100  # part (c) checks the first 1/100 of the batch: 10^6 elements
F32 = TOLERANCES["float32"]
#: peak RSS growth allowed while one problem computes (2 threads, 10^7-element chunks).
#: Measured: ~0.35 GiB for mse_loss, 0.25-0.9 GiB for cross_entropy.
PEAK_RSS_CAP = 3 * 2**30


def _rng(seed: int) -> Any:
    import dask.array as da

    return da.random.default_rng(seed)


def _regression_inputs() -> tuple[Any, ...]:
    rng = _rng(0)
    pred = rng.standard_normal(N, chunks=CHUNK, dtype=np.float32) * np.float32(2.0)
    target = rng.standard_normal(N, chunks=CHUNK, dtype=np.float32) * np.float32(2.0)
    return pred, target


def _class_inputs() -> tuple[Any, ...]:
    """Logits (10^5, 10^3) chunked along the batch only, class-index targets (10^5,)."""
    rng = _rng(1)
    rows = CHUNK // CLASSES
    logits = rng.standard_normal((BATCH, CLASSES), chunks=(rows, CLASSES),
                                 dtype=np.float32) * np.float32(3.0)
    target = rng.integers(0, CLASSES, size=BATCH, chunks=rows, dtype=np.int64)
    return logits, target


def _split_class_axis(logits: Any, target: Any) -> tuple[Any, ...]:
    """The same logits with the class axis split over 4 chunks (250 classes each)."""
    return logits.rechunk((logits.chunks[0][0], CLASSES // 4)), target


def _multilabel_inputs() -> tuple[Any, ...]:
    rng = _rng(2)
    rows = CHUNK // CLASSES
    logits = rng.standard_normal((BATCH, CLASSES), chunks=(rows, CLASSES),
                                 dtype=np.float32) * np.float32(3.0)
    target = rng.random((BATCH, CLASSES), chunks=(rows, CLASSES), dtype=np.float32) < 0.1
    return logits, target


@dataclass(frozen=True)
class Problem:
    """A loss over inputs of 10^8 elements; ``count`` is the mean's denominator.

    ``variants`` rechunk the same inputs (same values) another way; each variant's loss
    is computed in the same pass and must equal the same reference.
    """

    id: str
    loss: str
    make: Callable[[], tuple[Any, ...]]
    count: int
    kwargs: dict[str, Any] = field(default_factory=dict)
    variants: dict[str, Callable[..., tuple[Any, ...]]] = field(default_factory=dict)


PROBLEMS = [
    Problem("mse_loss-1d", "mse_loss", _regression_inputs, N),
    Problem("cross_entropy", "cross_entropy", _class_inputs, BATCH,
            variants={"class axis split": _split_class_axis}),
    Problem("sigmoid_focal_loss-multilabel", "sigmoid_focal_loss", _multilabel_inputs, N),
]


# --------------------------------------------------------------------------- Dask: helpers


def _row_blocks(arrays: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The inputs as aligned per-chunk ``Delayed`` tuples, one per chunk of the batch axis
    (a class axis split over chunks is joined back per batch chunk)."""
    whole_rows = [a.rechunk(dict.fromkeys(range(1, a.ndim), -1)) if a.ndim > 1 else a
                  for a in arrays]
    per_input = [a.to_delayed().ravel() for a in whole_rows]
    assert len({len(p) for p in per_input}) == 1, "inputs are not chunked alike"
    return list(zip(*per_input, strict=True))


def _numpy_chunk_sum(loss: str, kwargs: dict[str, Any], *chunk: np.ndarray) -> float:
    """The summed loss of one chunk, on the NumPy backend of losses_xp (chunk's dtype)."""
    assert all(isinstance(c, np.ndarray) for c in chunk)
    return float(getattr(lx, loss)(*chunk, reduction="sum", **kwargs))


class PeakRSS:
    """Peak resident memory of this process while the block runs (Linux: the kernel's
    high-water mark ``VmHWM``, reset on entry through ``/proc/self/clear_refs``).

    ``growth`` is the peak minus the resident size on entry, in bytes; ``None`` where the
    kernel offers no resettable high-water mark (macOS, a locked-down /proc).
    """

    growth: int | None = None

    @staticmethod
    def _status(field_name: str) -> int:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) * 1024
        raise OSError(f"no {field_name} in /proc/self/status")

    @contextlib.contextmanager
    def measure(self) -> Iterator[PeakRSS]:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # reset the peak to the current resident size
            start = self._status("VmRSS")
        except OSError:
            yield self
            return
        yield self
        self.growth = self._status("VmHWM") - start


def _compute(*collections: Any) -> tuple[Any, ...]:
    import dask

    with dask.config.set(scheduler="threads", num_workers=2):
        return tuple(dask.compute(*collections))


def _expected_none_shape(problem: Problem, inputs: tuple[Any, ...]) -> tuple[int, ...]:
    if problem.loss == "cross_entropy":  # class-index targets: the target's shape
        return tuple(inputs[1].shape)
    return tuple(inputs[0].shape)


# --------------------------------------------------------------------------- Dask: tests


def test_dask_loss_over_1e8_elements(problem: Problem) -> None:
    """Lazy, equal to the chunk-wise NumPy reference, and to NumPy and the oracle on a
    slice, for inputs of 10^8 elements."""
    import dask
    import dask.array as da

    bk = get_backend("dask")
    fn = getattr(lx, problem.loss)
    inputs = problem.make()
    assert max(a.size for a in inputs) == N
    assert all(math.prod(a.chunksize) <= CHUNK for a in inputs)
    chunkings = {"batch chunks": inputs}
    chunkings.update({name: v(*inputs) for name, v in problem.variants.items()})

    # (a) laziness: any compute inside the call raises
    lazy: dict[tuple[str, str], Any] = {}
    for chunking, arrays in chunkings.items():
        what = f"{problem.id} ({chunking})"
        with bk.forbid_compute():
            outs = {r: fn(*arrays, reduction=r, **problem.kwargs)
                    for r in ("mean", "sum", "none")}
        for r, out in outs.items():
            assert isinstance(out, da.Array), f"{what} {r}: got {type(out)}, not a Dask array"
            assert out.dtype == np.float32, f"{what} {r}: dtype {out.dtype}"
        assert outs["mean"].shape == ()
        assert outs["sum"].shape == ()
        none = outs["none"]
        assert tuple(none.shape) == _expected_none_shape(problem, arrays)
        assert none.chunks[0] == arrays[0].chunks[0], (
            f"{what}: reduction='none' rechunked the batch axis: {none.chunks[0][:3]}... "
            f"instead of the input's {arrays[0].chunks[0][:3]}...")
        lazy[chunking, "mean"], lazy[chunking, "sum"] = outs["mean"], outs["sum"]

    # (b) the value: every chunking's loss and the chunk-wise reference in one pass
    parts = [dask.delayed(_numpy_chunk_sum)(problem.loss, problem.kwargs, *blocks)
             for blocks in _row_blocks(inputs)]
    start = time.perf_counter()
    with PeakRSS().measure() as peak:
        values = _compute(*lazy.values(), *parts)
    seconds = time.perf_counter() - start
    got = dict(zip(lazy, values[:len(lazy)], strict=True))
    ref = {"sum": math.fsum(values[len(lazy):])}
    ref["mean"] = ref["sum"] / problem.count
    mean = float(got["batch chunks", "mean"])
    rss = "n/a" if peak.growth is None else f"{peak.growth / 2**20:.0f} MiB"
    print(f"\n{problem.id}: {len(parts)} chunks, mean {mean:.7g} (reference "
          f"{ref['mean']:.7g}, relative deviation {abs(mean / ref['mean'] - 1):.1e}), "
          f"compute {seconds:.1f} s, peak RSS growth {rss}")
    for (chunking, r), value in got.items():
        assert_close(np.asarray(value), np.asarray(ref[r]), F32,
                     f"{problem.id} ({chunking}): Dask {r} vs chunk-wise NumPy reference")
    if peak.growth is not None:
        assert peak.growth < PEAK_RSS_CAP, (
            f"{problem.id}: peak RSS grew by {peak.growth / 2**30:.2f} GiB while computing")

    # (c) a slice (the first 1% of the batch, 10^6 elements, inside the first chunk):
    # Dask vs NumPy losses_xp on the computed slice vs the independent oracle
    first = tuple(a[: a.shape[0] // SLICE_FRACTION] for a in inputs)
    reductions = ("mean", "sum", "none")
    with bk.forbid_compute():
        lazy_slice = [fn(*first, reduction=r, **problem.kwargs) for r in reductions]
    computed = _compute(*lazy_slice, *first)
    slice_values, arrays = computed[:len(reductions)], computed[len(reductions):]
    spec = SPECS[problem.loss]
    as64 = tuple(a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays)
    for r, value in zip(reductions, slice_values, strict=True):
        what = f"{problem.id}[first 1%, {r}]"
        eager = np.asarray(fn(*arrays, reduction=r, **problem.kwargs))
        assert eager.dtype == np.float32
        assert_close(value, eager, F32, f"{what}: Dask vs NumPy losses_xp")
        oracle = spec.oracle(as64, problem.kwargs, r)
        assert_close(value, oracle, F32, f"{what}: Dask vs {spec.reference}")


@dataclass(frozen=True)
class MemoryCase:
    """A loss whose peak memory is measured on ``n`` and ``2 n`` elements."""

    id: str
    loss: str
    make: Callable[[int], tuple[Any, ...]]


MEMORY_CHUNK = 10**5  # 400 kB of float32: the per-chunk part of the peak stays small
MEMORY_N = 2 * 10**6
#: a streaming computation's peak does not depend on the number of chunks; allow this
#: much growth per added element (measured: < 0.35 B for the losses that stream)
MAX_GROWTH_PER_ELEMENT = 2.0
def _memory_regression(n: int) -> tuple[Any, ...]:
    rng = _rng(10)
    return tuple(rng.standard_normal(n, chunks=MEMORY_CHUNK, dtype=np.float32)
                 for _ in range(2))


def _memory_binary(n: int) -> tuple[Any, ...]:
    rng = _rng(11)
    x = rng.standard_normal(n, chunks=MEMORY_CHUNK, dtype=np.float32)
    return x, rng.random(n, chunks=MEMORY_CHUNK, dtype=np.float32) < 0.3


def _memory_probs(n: int) -> tuple[Any, ...]:
    rng = _rng(12)
    p = rng.uniform(0.02, 0.98, n, chunks=MEMORY_CHUNK).astype(np.float32)
    return p, rng.random(n, chunks=MEMORY_CHUNK, dtype=np.float32) < 0.3


def _memory_classes(n: int) -> tuple[Any, ...]:
    rng = _rng(13)
    classes = 100
    rows = MEMORY_CHUNK // classes
    x = rng.standard_normal((n // classes, classes), chunks=(rows, classes), dtype=np.float32)
    return x, rng.integers(0, classes, size=n // classes, chunks=rows, dtype=np.int64)


def _with_inputs(make: Callable[[int], tuple[Any, ...]], kinds: tuple[str, ...]
                 ) -> Callable[[int], tuple[Any, ...]]:
    """``make``'s inputs and the further inputs (``Declaration.inputs``) of their shape:
    a variance, sign labels (as bools)."""
    def inputs(n: int) -> tuple[Any, ...]:
        rng = _rng(14)
        more = tuple(rng.random(n, chunks=MEMORY_CHUNK, dtype=np.float32) < 0.5
                     if kind == "sign" else
                     rng.uniform(0.25, 2.0, n, chunks=MEMORY_CHUNK).astype(np.float32)
                     for kind in kinds)
        return (*make(n), *more)
    return inputs


def _memory_inputs(decl: Declaration) -> Callable[[int], tuple[Any, ...]] | None:
    """The memory test's inputs for a declared loss, by its argument kinds (``None``: a
    loss the test has no inputs for)."""
    if decl.class_axis == "none":
        make = {"regression": _memory_regression, "probs": _memory_probs,
                "logits": _memory_binary}.get(decl.prediction)
        if decl.target == "logits":  # (two scores, margin_ranking_loss's)
            make = _memory_regression
        return _with_inputs(make, tuple(decl.inputs.values())) if make and decl.inputs \
            else make
    sorted_axis = SPECS[decl.name].error_fields.get("sorted-axis-chunked", {}).get("axis")
    if sorted_axis == "0":  # (sorts along the batch axis by default: the whole batch
        return None  # in one chunk, by design; a ValueError for these chunked inputs)
    required = [k for k, kind in decl.options.items() if kind == "counts"]
    if decl.prediction == "logits" and decl.target in ("index", "index_or_probs") \
            and not required:
        return _memory_classes
    return None


#: every element-wise loss and every class-index loss of logits: each code path
#: (element-wise without clip, class-axis reductions, and the uses of clip: ``clip(max=)``
#: in Huber, ``clip(min=, max=)`` in BCE, ``relu`` in the softplus of every logit loss)
#: held a float64 array of the whole input before ``_primitives.clip`` (regression tests)
MEMORY_CASES = [MemoryCase(d.name, d.name, make) for d in declarations().values()
                if (make := _memory_inputs(d)) is not None]


def _traced_peak(out: Any) -> int:
    """Peak bytes of Python/NumPy allocations alive at once while ``out`` computes
    (synchronous scheduler: one chunk in flight, so only the graph's own needs count)."""
    tracemalloc.start()
    try:
        out.compute(scheduler="synchronous")
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_dask_peak_memory_is_per_chunk(memory_case: MemoryCase) -> None:
    """Doubling the number of chunks must not grow the peak memory: a loss over an array
    larger than memory needs memory for a few chunks, never for the whole array."""
    fn = declaration(memory_case.loss).fn
    peaks = [_traced_peak(fn(*memory_case.make(n))) for n in (MEMORY_N, 2 * MEMORY_N)]
    growth = (peaks[1] - peaks[0]) / MEMORY_N
    print(f"\n{memory_case.id}: traced peak {peaks[0] / 2**20:.1f} MiB at {MEMORY_N:.0e} "
          f"elements, {peaks[1] / 2**20:.1f} MiB at {2 * MEMORY_N:.0e}: {growth:.2f} bytes "
          "per added element")
    assert growth < MAX_GROWTH_PER_ELEMENT, (
        f"{memory_case.id}: the peak memory grows with the array ({growth:.2f} bytes per "
        f"element: {peaks[0] / 2**20:.1f} MiB -> {peaks[1] / 2**20:.1f} MiB when the "
        "number of chunks doubles)")


def test_dask_example_runs(dask_example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/examples/dask_scaleout.py at a small size: each loss (and the class axis split)
    agrees with its chunk-wise reference (``run`` exits with an error otherwise)."""
    import dask

    spec = importlib.util.spec_from_file_location("dask_scaleout", dask_example)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for loss, class_chunk in [("mse_loss", 100), ("cross_entropy", 100),
                              ("cross_entropy", 25), ("sigmoid_focal_loss", 100)]:
        args = argparse.Namespace(elements="1e6", chunk="1e5", loss=loss, classes=100,
                                  class_chunk=class_chunk, scheduler="threads", workers=2,
                                  check=True)
        with dask.config.set(scheduler="threads", num_workers=2):
            module.run(args)
        out = capsys.readouterr().out
        assert "chunk-wise NumPy reference" in out, out


# --------------------------------------------------------------------------- JAX sharding

JAX_DEVICES = 8
#: float64: sharded and unsharded differ only by the order of the partial sums (measured
#: <= 2e-15); float32: the suite's float32 tolerance (the order of a float32 sum of a few
#: hundred terms moves it by up to ~1e-6 relative)
SHARDED_TOL = {"float64": Tol(rtol=1e-12, atol=1e-14), "float32": F32}


@pytest.fixture(scope="module")
def sharded_results() -> dict[str, Any]:
    """Run ``conformance/_scaleout_jax.py`` once in a fresh interpreter (8 CPU devices)."""
    env = dict(os.environ)
    flags = env.get("XLA_FLAGS", "")
    env["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={JAX_DEVICES}".strip()
    env["JAX_PLATFORMS"] = "cpu"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "conformance._scaleout_jax"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    seconds = time.perf_counter() - start
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        pytest.fail(f"conformance/_scaleout_jax.py exited {proc.returncode}:\n"
                    f"{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    print(f"\nJAX sharded run: {seconds:.1f} s, {result['devices']} {result['platform']} "
          f"devices, jax {result['jax']}, losses: {', '.join(sorted(result['losses']))}")
    assert "error" not in result, result.get("error")
    assert result["devices"] >= JAX_DEVICES
    return result


def test_jax_sharded_matches_unsharded(sharded_loss: str,
                                       sharded_results: dict[str, Any]) -> None:
    """``jax.jit`` on a batch split over 8 devices equals the one-device result, and a
    batched ``none`` output stays split along the batch."""
    if sharded_loss in sharded_results["not_batched"]:
        pytest.skip(f"{sharded_loss}: {sharded_results['not_batched'][sharded_loss]}")
    calls = sharded_results["losses"][sharded_loss]["calls"]
    assert calls, f"{sharded_loss}: no sharded call was made"
    batch = sharded_results["batch"]
    reductions = set()
    for c in calls:
        what = f"{sharded_loss}[{c['case']}, {c['dtype']}, {c['reduction']}]"
        assert "error" not in c, f"{what}: {c['error']}"
        reductions.add(c["reduction"])
        split = f"{what}: the input is not split over the batch: {c['in_shard_shape']}"
        assert c["in_devices"] == JAX_DEVICES, split
        assert c["in_shard_shape"][0] == batch // JAX_DEVICES, split
        tol = SHARDED_TOL[c["dtype"]]
        # deviations measured in the subprocess: |sharded - unsharded|, elementwise max
        assert c["max_abs_dev"] <= tol.atol or c["max_rel_dev"] <= tol.rtol, (
            f"{what}: sharded vs unsharded differ by {c['max_abs_dev']:.3g} "
            f"({c['max_rel_dev']:.3g} relative)")
        shape = c["out_shape"]
        if c["reduction"] == "none" and shape and shape[0] == batch:
            spread = (f"{what}: the batched output is not spread over the devices "
                      f"({c['out_devices']} devices, replicated={c['out_fully_replicated']})")
            assert c["out_devices"] == JAX_DEVICES, spread
            assert not c["out_fully_replicated"], spread
            assert c["out_shard_shape"][0] == batch // JAX_DEVICES, (
                f"{what}: the batched output's shards are {c['out_shard_shape']}, not split "
                f"along the batch of {batch}")
    assert reductions == set(SPECS[sharded_loss].entry.reductions)
