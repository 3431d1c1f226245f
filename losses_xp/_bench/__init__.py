"""``python -m losses_xp bench``: every loss timed against its framework's own version.

For every loss that has a native counterpart (PyTorch ``torch.nn.functional`` eager and
under ``torch.compile(fullgraph=True)``, optax under ``jax.jit``, a direct NumPy formula,
scikit-learn for the metrics), time losses_xp and the native version in the same process,
interleaved, on the same float32 inputs, forward and forward+backward, from 1e2 to 1e7
elements, and report the ratio ours/native per case against its performance target
(PyTorch eager from 1e6 elements on: 1.0 for the fused losses and for KL, the Poisson and
Gaussian NLLs and distillation, 0.8 for the sigmoid focal
loss against torchvision's formula, 1.2 for the softmax focal loss against PyTorch's
cross-entropy; PyTorch eager at 100 elements and fewer: 1.3 or at most 4 µs more per call,
whichever is looser; JAX against optax: 1.0; torch.compile: 1.2; NumPy and scikit-learn:
reported only; see docs/benchmarks.md), with the peak memory at the largest size (target: ours <=
1.1 × native + 64 KiB), and ours under each value-check mode (PyTorch eager, forward,
reported only).  Writes ``results.md`` (the full report), ``results.json`` and
``ratios.png`` into ``--out`` and prints a short summary: the targets met, every target
not met, the highest ratios, the files written.  ``--update-docs`` (a full run only) then
rewrites the generated performance blocks of README.md and docs/performance.md and copies
the three files into docs/performance/.

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
  meaningless).  Where the native is a timing baseline only (another loss: the softmax
  focal loss against PyTorch's cross-entropy), ours is checked against the pair's
  ``reference``, an independent formula of our loss, instead.  That call is also the warm-up
  (``jax.jit`` and ``torch.compile`` compile there; each side is then called once more
  before timing).
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
* Targets: a speed ratio up to 3% above its target counts as met (``PARITY_BAND``: the
  spread of two identical programs timed this way); :mod:`.cases` has them all.
* Value-check modes (``--no-value-checks`` skips them): PyTorch eager, forward, the losses
  whose values are checked, at the smallest and the largest size: ours checked to agree
  under each mode of the package's ``value_checks(mode)`` (looked up at run time; a
  package without it skips the section, saying why), then the native and ours under each
  mode timed interleaved, each batch of ours inside its mode; reported, no target (only
  the default counts: the main tables run it).
* torch.compile: only focal, BCE with logits, cross-entropy, MSE and Huber, at the
  smallest size and at the largest size not above 1e6 (compiling takes seconds per shape);
  ``torch._dynamo.reset()`` before each case.
* glibc: without ``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184``
  large temporaries are unmapped after each call and faulted in again on the next one; the
  command recommends them when unset (the nox ``bench`` session sets them), and the header
  records them, with the load average.

Exit status: 0 when every case agrees (targets not met are reported, not failures), 1 on a
numerical mismatch or an exception, or when a backend named in ``--backends`` cannot run,
or when ``--update-docs`` cannot write the docs after the run, 2 on a usage error (an
``--out`` folder that cannot be created among them, and ``--update-docs`` for a partial
run or without the docs' files and markers, both refused before anything is measured).

Output: the absolute path of ``--out`` first, then the progress, on the standard error (on
a terminal one line per mode, rewritten in place; elsewhere one line per case); the
summary and the verdict (``OK:`` or ``FAILED:`` with each mismatch or error) on the
standard output.  A library the bench compares with that is missing is named with the
command that installs them all: ``pip install "losses_xp[bench]"``.

Modules, by concern: ``cli`` (the command line), ``options`` (what a run is asked to do),
``pairs`` (the table of native counterparts: the one module that names losses),
``cases`` (inputs, targets, agreement), ``measure`` (timing, peak memory), ``modes`` (each
backend's calls), ``case`` (one case run), ``runner`` (the run), ``checks`` (the
value-check section), ``report`` (results.md, results.json, ratios.png), ``docs`` (the
generated blocks of README.md and docs/performance.md).

Only relative imports: this package also works in a vendored copy under another name.
"""

from __future__ import annotations

from .cases import (
    RTOL,
    deviation,
    is_met,
    make_inputs,
    memory_met,
    shape_for,
    slack_for,
    target_for,
)
from .cli import add_arguments, run
from .docs import partial_run, render_blocks, replace_blocks, update_docs
from .measure import Timing, calls_per_round, time_interleaved
from .modes import Mode, Prepared, build_modes, numpy_mode, with_wrong_native
from .options import BACKENDS, DEFAULT_SIZES, QUICK_SIZES, Options
from .pairs import Pair
from .report import Result
from .runner import bench

__all__ = ["BACKENDS", "DEFAULT_SIZES", "QUICK_SIZES", "RTOL", "Mode", "Options", "Pair",
           "Prepared", "Result", "Timing", "add_arguments", "bench", "build_modes",
           "calls_per_round", "deviation", "is_met", "make_inputs", "memory_met",
           "numpy_mode", "partial_run", "render_blocks", "replace_blocks", "run",
           "shape_for", "slack_for", "target_for", "time_interleaved", "update_docs",
           "with_wrong_native"]
