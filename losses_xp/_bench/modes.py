"""The modes: each backend's way of converting the inputs, calling both sides (forward, or
forward+backward) and measuring their peak memory.

NumPy and scikit-learn call the functions directly; PyTorch eager and under
``torch.compile(fullgraph=True)``, with ``.backward()`` on a ``requires_grad`` input;
JAX under ``jax.jit`` (of ``jax.value_and_grad`` for forward+backward).  Which losses each
mode times is the table of :mod:`.pairs`.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._check import _quiet, _short, _version
from .measure import _torch_profiler_peak, _tracemalloc_peak
from .options import Options
from .pairs import (
    COMPILED,
    QUICK_COMPILED,
    Pair,
    jax_pairs,
    numpy_pairs,
    sklearn_pairs,
    torch_pairs,
)

__all__ = ["Mode", "Prepared", "Unavailable", "build_modes", "numpy_mode", "with_wrong_native"]

MODE_ORDER = ("numpy", "sklearn", "torch", "torch.compile", "jax")
PASSES = ("fwd", "fwd+bwd")
COMPILE_MAX_SIZE = 10**6


#: what installs every library the bench compares with (pyproject.toml's ``bench`` extra)
INSTALL = 'pip install "losses_xp[bench]"'


class Unavailable(Exception):
    """A backend that cannot run here (not installed, no device)."""


def _not_installed(distribution: str) -> Unavailable:
    return Unavailable(f"{distribution} not installed: {INSTALL}")


@dataclass
class Prepared:
    """The two calls of one case (each returns its results, synchronised), how to
    measure the peak memory of one call of a side (``"ours"`` / ``"native"``) and, for a
    pair with a ``reference`` formula, its call (what ours must agree with)."""

    ours: Callable[[], tuple[Any, ...]]
    native: Callable[[], tuple[Any, ...]]
    memory: Callable[[str], int | None] | None = None
    reference: Callable[[], tuple[Any, ...]] | None = None

    @property
    def expected(self) -> Callable[[], tuple[Any, ...]]:
        """The call ours must agree with: the reference if there is one, else the native."""
        return self.reference if self.reference is not None else self.native


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


def with_wrong_native(mode: Mode, loss: str, factor: float = 1.01) -> Mode:
    """``mode`` with the native result of ``loss`` scaled by ``factor`` (tests)."""
    pairs = [replace(p, native=(lambda f: lambda *a: f(*a) * factor)(p.native))
             if p.loss == loss else p for p in mode.pairs]
    return replace(mode, pairs=pairs)


# --------------------------------------------------------------------------- NumPy, sklearn


def _host_prepare(pair: Pair, pass_: str, arrays: tuple[Any, ...]) -> Prepared:
    if pass_ != "fwd":
        raise ValueError(f"{pass_}: NumPy and scikit-learn have no autodiff")

    def call(f: Callable[..., Any]) -> Callable[[], tuple[Any, ...]]:
        return lambda: (f(*arrays),)

    ours, native = call(pair.ours), call(pair.native)
    reference = None if pair.reference is None else call(pair.reference)
    return Prepared(ours, native, lambda side: _tracemalloc_peak(ours if side == "ours"
                                                                 else native), reference)


def numpy_mode() -> Mode:
    """losses_xp on NumPy arrays against direct NumPy formulas (forward only)."""
    return Mode("numpy", f"NumPy {np.__version__} (direct NumPy formulas)", numpy_pairs(),
                ("fwd",), lambda a: a, _host_prepare,
                memory_method="tracemalloc peak of one call")


def _sklearn_mode() -> Mode:
    if importlib.util.find_spec("sklearn") is None:
        raise _not_installed("scikit-learn")
    metrics = importlib.import_module("sklearn.metrics")
    return Mode("sklearn", f"scikit-learn {_version('sklearn')} metrics (NumPy inputs)",
                sklearn_pairs(metrics), ("fwd",), lambda a: a, _host_prepare,
                memory_method="tracemalloc peak of one call")


# --------------------------------------------------------------------------- PyTorch


def _torch_mode(device: str, compiled: bool, quick: bool, num_threads: int | None = None) -> Mode:
    if importlib.util.find_spec("torch") is None:
        raise _not_installed("torch")
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
        reference = None if pair.reference is None else side(pair.reference, pass_, arrays)
        return Prepared(ours, native, lambda s: memory(ours if s == "ours" else native),
                        reference)

    where = f"cuda: {torch.cuda.get_device_name()}" if cuda else "cpu"
    nthreads = torch.get_num_threads()
    threads = f"{nthreads} thread{'s' if nthreads != 1 else ''}"
    method = ("torch.cuda.max_memory_allocated" if cuda else
              "torch.profiler(profile_memory=True): peak of the allocations during one call")
    pairs = torch_pairs(torch)
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


# --------------------------------------------------------------------------- JAX


def _jax_mode(device: str) -> Mode:
    for name in ("jax", "optax"):
        if importlib.util.find_spec(name) is None:
            raise _not_installed(name)
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

    def convert(a: np.ndarray) -> Any:
        if a.dtype.kind == "i":
            a = a.astype(np.int32)  # JAX's default integer (x64 off)
        return jax.device_put(jnp.asarray(a), dev)

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

        reference = None if pair.reference is None else call(jitted(pair.reference))
        return Prepared(call(jo), call(jn), memory, reference)

    where = f"{dev.platform}: {getattr(dev, 'device_kind', dev)}"
    return Mode("jax", f"JAX {jax.__version__} jax.jit, both sides, vs optax "
                f"{_version('optax')} ({where})", jax_pairs(optax), PASSES, convert, prepare,
                "XLA memory_analysis() of the compiled call: temporaries + outputs", where)


# --------------------------------------------------------------------------- all of them


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
