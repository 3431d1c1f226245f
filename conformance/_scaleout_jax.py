"""Every loss under ``jax.jit`` on inputs sharded over 8 CPU devices, vs unsharded.

Run by ``conformance/test_scaleout.py`` (``--backend=jax``) in a fresh interpreter,
because JAX fixes its device count when it initialises its backend: the host platform
shows 8 CPU devices only if ``XLA_FLAGS=--xla_force_host_platform_device_count=8`` is in
the environment before that, and the conformance session has imported JAX long before.
Standalone::

    python -m conformance._scaleout_jax            # prints one JSON document

For every loss of the conformance registry whose inputs have a batch axis,
a few catalogue cases (the first 2-D one, the first N-d one and the one with the most
options) are grown to a batch of 64 by concatenating independent draws of the same
case (so the 8 shards hold different rows).  One jitted function returns every
reduction the loss supports; it is called on arrays committed to one device and on
arrays placed with ``NamedSharding(Mesh(devices, ("b",)), PartitionSpec("b"))`` (axis 0
split over the 8 devices; per-class options such as a class ``weight`` are replicated),
in float64 (x64 enabled) for every case and in float32 too for the first.  The JSON
document lists, per loss and call, the largest deviation between the two results and,
for ``reduction="none"``, how the output is sharded.  The checks themselves are made by
the test.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import traceback
from typing import Any

DEVICES = 8
BATCH = 64
#: float64 (x64 enabled) for every selected case: the sharded and unsharded results
#: then differ only by the order of the partial sums (~1e-16 relative); float32 for the
#: first case only (one compilation per case, dtype and placement is what takes time)
DTYPES = ("float64",)
FIRST_CASE_DTYPES = ("float32", "float64")
#: keyword options that carry one value per sample (sharded with the batch); every
#: other array option (class weights, pos_weight, alpha, counts) is replicated.
#: ``weight`` is per sample only when it has the input's number of dimensions
#: (element weights, e.g. a (N, 1) anchor mask); a 1-d ``weight`` is per class; a
#: ``where`` mask (ranking) always has the input's shape.
PER_SAMPLE_OPTIONS = ("sample_weight", "labels")  # (labels: info_nce_loss's, one per row)


def _force_devices() -> None:
    """Ask XLA for 8 host devices (no-op when the caller already did) and use the CPU."""
    flag = f"--xla_force_host_platform_device_count={DEVICES}"
    flags = os.environ.get("XLA_FLAGS", "")
    if "--xla_force_host_platform_device_count" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {flag}".strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")


def _batched_option(key: str, value: Any, ndim: int) -> bool:
    import numpy as np

    if not isinstance(value, np.ndarray):
        return False
    # (a ranking loss's `where` mask has the input's shape: per item, so per sample)
    return key in PER_SAMPLE_OPTIONS or (key in ("weight", "where") and value.ndim == ndim)


def _selected_cases(cases: list[Any]) -> list[Any]:
    """First 2-D case, first N-d case, and the case with the most options (no 0-d or
    empty ones: they have no batch to shard; no NaN-by-definition means; no rows of one
    process among gathered keys; every array with the batch as its first axis)."""
    usable = [c for c in cases
              # (gathered: one process's rows with the keys of all, tied to them by
              # row_offset; a batch grown by concatenating draws is not one)
              if not c.tags & {"0d", "empty", "nan-mean", "gathered"} and c.args
              and c.args[0].ndim >= 1
              # (the batch first in every array: not the (D, N) embeddings with axis=0
              # of the contrastive losses, whose labels have the N rows)
              and all(a.shape[0] == c.args[0].shape[0] for a in c.args if a.ndim)]
    chosen: list[Any] = []
    for pick in (next((c for c in usable if "2d" in c.tags), None),
                 next((c for c in usable if "nd" in c.tags), None),
                 max(usable, key=lambda c: (len(c.kwargs), len(c.tags)), default=None)):
        if pick is not None and pick.name not in {c.name for c in chosen}:
            chosen.append(pick)
    return chosen


def _grown(entry: Any, case_name: str) -> tuple[list[Any], dict[str, Any], set[str]]:
    """The case with its batched arrays grown to ``BATCH`` rows from independent draws.

    Returns ``(args, kwargs, batched_option_names)`` as NumPy arrays (float64/int/bool).
    """
    import numpy as np

    draws = []
    rows = 0
    seed = 0
    while rows < BATCH:
        case = next(c for c in entry.cases(np.random.default_rng(1000 + seed))
                    if c.name == case_name)
        draws.append(case)
        rows += case.args[0].shape[0]
        seed += 1
    first = draws[0]
    ndim = first.args[0].ndim
    args = [np.concatenate([d.args[i] for d in draws], axis=0)[:BATCH]
            for i in range(len(first.args))]
    batched = {k for k, v in first.kwargs.items() if _batched_option(k, v, ndim)}
    kwargs = {k: (np.concatenate([d.kwargs[k] for d in draws], axis=0)[:BATCH]
                  if k in batched else v) for k, v in first.kwargs.items()}
    return args, kwargs, batched


def _deviation(got: Any, want: Any) -> tuple[float, float, bool]:
    import numpy as np

    g = np.asarray(got, dtype=np.float64)
    w = np.asarray(want, dtype=np.float64)
    if g.shape != w.shape:
        return math.inf, math.inf, False
    same_nan = np.isnan(g) == np.isnan(w)
    if not same_nan.all():
        return math.inf, math.inf, False
    finite = ~np.isnan(w)
    diff = np.abs(g[finite] - w[finite])
    abs_dev = float(diff.max()) if diff.size else 0.0
    scale = np.maximum(np.abs(w[finite]), np.finfo(np.float64).tiny)
    rel_dev = float((diff / scale).max()) if diff.size else 0.0
    return abs_dev, rel_dev, bool(np.array_equal(g, w, equal_nan=True))


def run_loss(name: str, entry: Any, mesh: Any) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.sharding import NamedSharding, PartitionSpec

    sharded = NamedSharding(mesh, PartitionSpec("b"))
    replicated = NamedSharding(mesh, PartitionSpec())
    one_device = jax.devices()[0]
    calls = []
    for i, case in enumerate(_selected_cases(entry.cases(np.random.default_rng(0)))):
        args_np, kwargs_np, batched = _grown(entry, case.name)
        static = {k: v for k, v in kwargs_np.items() if not isinstance(v, np.ndarray)}
        arrays = {k: v for k, v in kwargs_np.items() if isinstance(v, np.ndarray)}
        for dtype in FIRST_CASE_DTYPES if i == 0 else DTYPES:
            def conv(a: Any, placement: Any, dtype: str = dtype) -> Any:
                x = jnp.asarray(a, dtype=dtype if a.dtype.kind == "f" else None)
                return jax.device_put(x, placement)

            args_u = [conv(a, one_device) for a in args_np]
            arrays_u = {k: conv(v, one_device) for k, v in arrays.items()}
            args_s = [conv(a, sharded) for a in args_np]
            arrays_s = {k: conv(v, sharded if k in batched else replicated)
                        for k, v in arrays.items()}
            reductions = entry.reductions_for(case)

            # one jitted function returns every reduction: one compilation per placement
            def f(args: list[Any], arrays: dict[str, Any], static: dict[str, Any] = static,
                  reductions: tuple[str, ...] = reductions) -> tuple[Any, ...]:
                return tuple(entry.call(*args, reduction=r, **static, **arrays)
                             for r in reductions)

            base: dict[str, Any] = {
                "case": case.name, "dtype": dtype,
                "input_shapes": [list(a.shape) for a in args_np],
                "sharded_options": sorted(batched),
                "replicated_options": sorted(set(arrays) - batched),
            }
            try:
                jf = jax.jit(f)
                outs_u = jf(args_u, arrays_u)
                outs_s = jax.block_until_ready(jf(args_s, arrays_s))
            except Exception as exc:  # reported per call, checked by the test
                error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                calls += [dict(base, reduction=r, error=error) for r in reductions]
                continue
            for reduction, out_u, out_s in zip(reductions, outs_u, outs_s, strict=True):
                abs_dev, rel_dev, exact = _deviation(out_s, out_u)
                sh = out_s.sharding
                calls.append(dict(
                    base, reduction=reduction, out_shape=list(out_s.shape),
                    max_abs_dev=abs_dev, max_rel_dev=rel_dev, exact=exact,
                    out_devices=len(sh.device_set),
                    out_fully_replicated=bool(sh.is_fully_replicated),
                    out_shard_shape=list(sh.shard_shape(out_s.shape)),
                    in_devices=len(args_s[0].sharding.device_set),
                    in_shard_shape=list(args_s[0].sharding.shard_shape(args_s[0].shape)),
                ))
    return {"calls": calls}


def main(argv: list[str]) -> int:
    _force_devices()
    start = time.perf_counter()
    import jax
    import numpy as np

    jax.config.update("jax_enable_x64", True)
    from jax.sharding import Mesh

    from .registry import SPECS

    names = argv or sorted(SPECS)
    devices = jax.devices()
    result: dict[str, Any] = {
        "jax": jax.__version__, "platform": devices[0].platform, "devices": len(devices),
        "batch": BATCH, "losses": {}, "not_batched": {},
    }
    if len(devices) < DEVICES:
        result["error"] = (f"JAX sees {len(devices)} device(s), expected {DEVICES}: "
                           f"XLA_FLAGS={os.environ.get('XLA_FLAGS')!r} came too late?")
        print(json.dumps(result))
        return 0
    mesh = Mesh(devices[:DEVICES], ("b",))
    for name in names:
        entry = SPECS[name].entry
        if not _selected_cases(entry.cases(np.random.default_rng(0))):
            result["not_batched"][name] = "no catalogue case with a batch axis"
            continue
        if entry.decl.prediction == "counts":
            result["not_batched"][name] = ("takes per-class counts (C,), no batch axis: "
                                           "nothing to shard")
            continue
        t = time.perf_counter()
        out = run_loss(name, entry, mesh)
        out["seconds"] = round(time.perf_counter() - t, 2)
        result["losses"][name] = out
    result["seconds"] = round(time.perf_counter() - start, 2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
