"""Distributed correctness: a loss over a global batch split over processes or devices.

* contrastive losses over keys gathered from every rank (simulated ranks, NumPy and
  PyTorch): the local losses add up to the global one;
* JAX with 8 simulated CPU devices (one fresh interpreter, ``adapters/_jax_shard_map.py``):
  ``shard_map`` + ``psum`` of ``reduction="sum_and_count"`` equals the single-device loss;
  a batch sharded over the 8 devices is fully addressable, so the eager value checks run;
* JAX over two processes (``jax.distributed`` on gloo, ``adapters/_jax_multihost.py``): a
  batch that is not fully addressable is never read by the eager checks;
* a real ``dask.distributed`` ``LocalCluster`` (2 worker processes with a memory limit).

The PyTorch DDP recipe is tested in ``adapters/test_torch.py``.  docs/frameworks/distributed.md
describes all of it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import losses_xp as lx

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    """The environment of a subprocess: this checkout first on the path (the one under
    test), JAX on the CPU."""
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep)
    return env


def _last_json(stdout: str) -> Any:
    """The last line of a subprocess's output (gloo prints its own lines before it)."""
    return json.loads(stdout.strip().splitlines()[-1])


# --------------------------------------------------------------- JAX, two processes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_multi_host_jax_array_is_not_read_by_the_eager_checks() -> None:
    """Two JAX processes (4 CPU devices each) share one batch sharded over all 8
    devices: each process holds half of it (``is_fully_addressable`` False, a real
    multi-host array, not a stand-in).  The eager value checks skip it
    (``values_readable`` False), so no process reads the other's shards or raises alone;
    an out-of-range probability in process 1's shard makes the loss NaN in both; valid
    values give the single-process NumPy loss of the whole batch; and a fully
    addressable array in the same processes is still checked eagerly (ValueError)."""
    port = _free_port()
    procs = [subprocess.Popen([sys.executable, "-m", "adapters._jax_multihost", str(port),
                               str(pid)], cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for pid in (0, 1)]
    outs = []
    try:
        for p in procs:
            stdout, stderr = p.communicate(timeout=120)
            assert p.returncode == 0, stderr[-3000:]
            outs.append(_last_json(stdout))
    finally:
        for p in procs:
            if p.poll() is None:  # pragma: no cover - a hung process
                p.kill()
    for pid, out in enumerate(outs):
        assert out["pid"] == pid
        assert (out["devices"], out["local_devices"]) == (8, 4)
        assert out["fully_addressable"] is False
        assert out["readable"] is False
        assert out["value"] == pytest.approx(out["reference"], rel=1e-12)
        assert isinstance(out["bad_value"], float), out
        assert np.isnan(out["bad_value"]), out
        assert out["local_fully_addressable"] is True
        assert "`probs` must lie in [0, 1]" in out["local_error"]


# ------------------------------------------------------------------ dask.distributed


def _dask_example() -> Any:
    spec = importlib.util.spec_from_file_location(
        "dask_scaleout", ROOT / "docs" / "examples" / "dask_scaleout.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dask_distributed_local_cluster_equals_numpy() -> None:
    """docs/scaleout.md's "With dask.distributed": a real scheduler and 2 worker
    processes (one thread each, 512 MiB each) compute ``cross_entropy`` with class
    weights and an ignored class over a lazily generated batch (seeded, generated inside
    the tasks by docs/examples/dask_scaleout.py's ``make_inputs``: no array of the full
    size exists in this process), equal to NumPy's on the same data."""
    import dask
    from dask.distributed import Client, LocalCluster

    example = _dask_example()
    weight = [0.5 + 0.25 * k for k in range(10)]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      memory_limit="512MiB", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        # the workers are other processes, and run this checkout's losses_xp
        files = client.run(lambda: __import__("losses_xp").__file__)
        assert len(files) == 2
        assert set(files.values()) == {lx.__file__}
        (logits, target), _ = example.make_inputs("cross_entropy", 200_000, 20_000, 10, 10,
                                                  seed=3)
        with dask.config.set(scheduler=example.refuse):  # the call only builds a graph
            loss = lx.cross_entropy(logits, target, weight=weight, ignore_index=3)
        assert logits.npartitions == 10
        value = loss.compute()  # on the workers
        arrays = dask.compute(logits, target)  # the same seeded data, as NumPy arrays
    assert isinstance(arrays[0], np.ndarray)
    reference = lx.cross_entropy(*arrays, weight=np.asarray(weight), ignore_index=3)
    np.testing.assert_allclose(float(value), float(reference), rtol=1e-6)
