"""Distributed correctness: a loss over a global batch split over processes or devices.

* contrastive losses over keys gathered from every rank (simulated ranks, NumPy and
  PyTorch): the local losses add up to the global one;
* JAX with 8 simulated CPU devices (one fresh interpreter, ``adapters/_jax_shard_map.py``):
  ``shard_map`` + ``psum`` of ``reduction="sum_and_count"`` equals the single-device loss;
  a batch sharded over the 8 devices is fully addressable, so the eager value checks run;
* JAX over two processes (``jax.distributed`` on gloo, ``adapters/_jax_multihost.py``): a
  batch that is not fully addressable is never read by the eager checks;
* a real ``dask.distributed`` ``LocalCluster`` (2 worker processes with a memory limit).

The tests that start processes are marked ``processes`` (the coverage session leaves
them out).  The PyTorch DDP recipe is tested in ``adapters/test_torch.py``.
docs/frameworks/distributed.md describes all of it.
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


@pytest.mark.processes
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


@pytest.mark.processes
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


# ------------------------------------------------ contrastive losses, simulated ranks


def _ranks(n: int, r: int) -> list[slice]:
    return [slice(k * n // r, (k + 1) * n // r) for k in range(r)]


@pytest.mark.parametrize("lib", ["numpy", "torch"])
def test_contrastive_loss_over_gathered_keys_adds_up_to_the_global_batch(lib: str) -> None:
    """A batch of 12 rows split over 3 simulated ranks of 4 (and over 4 uneven ranks):
    each rank's rows against the keys of all, its ``row_offset`` the position of its first
    row.  The ranks' values are the global batch's rows, their ``sum`` adds up to the
    global ``sum``, their ``sum_and_count`` parts to the global ``mean`` (which a mean of
    the ranks' means is not), and that mean is PyTorch Metric Learning's ``NTXentLoss``
    (two views per label: its pairs are this loss's positives)."""
    import torch
    from pytorch_metric_learning.losses import NTXentLoss

    rng = np.random.default_rng(1)
    x = rng.normal(size=(12, 5))
    y = rng.permutation(np.repeat(np.arange(6), 2))  # two views per label
    conv = (lambda a: torch.from_numpy(np.asarray(a))) if lib == "torch" else np.asarray
    X, Y = conv(x), conv(y)
    whole = np.asarray(lx.contrastive_loss(X, Y, temperature=0.3, reduction="none"))
    pml = float(NTXentLoss(temperature=0.3)(torch.from_numpy(x), torch.from_numpy(y)))
    np.testing.assert_allclose(float(np.sum(whole)) / 12, pml, rtol=1e-12)
    for shards in (_ranks(12, 3), [slice(0, 1), slice(1, 6), slice(6, 7), slice(7, 12)]):
        local = {"keys": X, "key_labels": Y, "temperature": 0.3}
        values = [np.asarray(lx.contrastive_loss(X[s], Y[s], row_offset=s.start,
                                                 reduction="none", **local)) for s in shards]
        np.testing.assert_allclose(np.concatenate(values), whole, rtol=1e-12, atol=1e-15)
        sums = [float(lx.contrastive_loss(X[s], Y[s], row_offset=s.start, reduction="sum",
                                          **local)) for s in shards]
        np.testing.assert_allclose(sum(sums), float(np.sum(whole)), rtol=1e-12)
        parts = [lx.contrastive_loss(X[s], Y[s], row_offset=s.start,
                                     reduction="sum_and_count", **local) for s in shards]
        total = sum(float(t) for t, _ in parts)
        count = sum(float(c) for _, c in parts)
        assert count == 12.0  # every row has its other view
        np.testing.assert_allclose(total / count, pml, rtol=1e-12)
    # uneven labels: the ranks' counts differ, and the mean of their means is not the mean
    y2 = np.array([0, 0, 0, 1, 2, 3, 4, 1, 5, 6, 7, 8])
    Y2 = conv(y2)
    shards = _ranks(12, 3)
    parts = [lx.contrastive_loss(X[s], Y2[s], keys=X, key_labels=Y2, row_offset=s.start,
                                 reduction="sum_and_count") for s in shards]
    means = [float(lx.contrastive_loss(X[s], Y2[s], keys=X, key_labels=Y2,
                                       row_offset=s.start)) for s in shards]
    mean = float(lx.contrastive_loss(X, Y2))
    np.testing.assert_allclose(sum(float(t) for t, _ in parts) /
                               sum(float(c) for _, c in parts), mean, rtol=1e-12)
    assert abs(float(np.mean(means)) - mean) > 1e-3 * mean


def test_torch_gradient_through_a_differentiable_gather_is_the_global_one() -> None:
    """Keys gathered with their gradient (what ``torch.distributed.nn.functional.all_gather``
    returns: here ``torch.cat`` of the ranks' rows): the ranks' losses, each divided by the
    global count and backpropagated, give every row the gradient of the global mean."""
    import torch

    rng = np.random.default_rng(2)
    x = rng.normal(size=(9, 4))
    y = np.array([0, 1, 2, 0, 1, 2, 0, 3, 3])
    shards = _ranks(9, 3)
    full = torch.tensor(x, requires_grad=True)
    lx.contrastive_loss(full, torch.from_numpy(y), temperature=0.2).backward()
    rows = [torch.tensor(x[s], requires_grad=True) for s in shards]
    keys = torch.cat(rows)  # (the differentiable all-gather)
    labels = torch.from_numpy(y)
    parts = [lx.contrastive_loss(r, labels[s], keys=keys, key_labels=labels,
                                 row_offset=s.start, temperature=0.2,
                                 reduction="sum_and_count")
             for r, s in zip(rows, shards, strict=True)]
    count = sum(c for _, c in parts)  # (all-reduced: no gradient)
    (sum(t for t, _ in parts) / count).backward()
    np.testing.assert_allclose(torch.cat([r.grad for r in rows]).numpy(),
                               full.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("lib", ["numpy", "torch"])
def test_info_nce_loss_over_gathered_keys_adds_up_to_the_global_batch(lib: str) -> None:
    """InfoNCE over 3 simulated ranks: each rank's queries against every key, with
    and without labels (one per key); CLIP's symmetric loss as the two directions'
    halves (each rank's queries against all keys, its keys against all queries).  The
    ``oracle``: ``F.cross_entropy`` of the global similarity matrix against ``arange``."""
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(3)
    q, k = rng.normal(size=(9, 4)), rng.normal(size=(9, 4))
    lab = np.array([0, 1, 2, 0, 4, 5, 1, 7, 8])
    conv = (lambda a: torch.from_numpy(np.asarray(a))) if lib == "torch" else np.asarray
    Q, K, L = conv(q), conv(k), conv(lab)
    s = (F.normalize(torch.from_numpy(q), dim=1) @ F.normalize(torch.from_numpy(k), dim=1).T
         ) / 0.1
    oracle = F.cross_entropy(s, torch.arange(9), reduction="none").numpy()
    clip = (oracle + F.cross_entropy(s.T, torch.arange(9), reduction="none").numpy()) / 2
    shards = _ranks(9, 3)

    def ranks(**kw: object) -> np.ndarray:
        return np.concatenate([np.asarray(lx.info_nce_loss(
            Q[s], K, row_offset=s.start, temperature=0.1, reduction="none", **kw))
            for s in shards])
    np.testing.assert_allclose(ranks(), oracle, rtol=1e-12)
    np.testing.assert_allclose(
        ranks(labels=L), np.asarray(lx.info_nce_loss(Q, K, labels=L, temperature=0.1,
                                                     reduction="none")), rtol=1e-12)
    halves = np.concatenate([
        (np.asarray(lx.info_nce_loss(Q[s], K, row_offset=s.start, temperature=0.1,
                                     reduction="none"))
         + np.asarray(lx.info_nce_loss(K[s], Q, row_offset=s.start, temperature=0.1,
                                       reduction="none"))) / 2 for s in shards])
    np.testing.assert_allclose(halves, clip, rtol=1e-12)
    with pytest.raises(ValueError, match="`symmetric=True` needs the queries of every key"):
        lx.info_nce_loss(Q[:3], K, symmetric=True)


# --------------------------------------------------------- JAX, 8 simulated devices


@pytest.fixture(scope="module")
def shard_map_run() -> Any:
    """``adapters/_jax_shard_map.py`` in one fresh interpreter (8 CPU devices)."""
    done = subprocess.run([sys.executable, "-m", "adapters._jax_shard_map"], cwd=ROOT,
                          env=_env(), capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return _last_json(done.stdout)


@pytest.mark.processes
@pytest.mark.parametrize("name", ["cross_entropy", "softmax_ranking_loss",
                                  "lovasz_hinge_loss", "ctc_loss", "contrastive_loss"])
def test_jax_shard_map_psum_of_sum_and_count_is_the_single_device_mean(
        shard_map_run: Any, name: str) -> None:
    """``jax.shard_map`` over 8 devices, each shard's ``sum_and_count`` added by
    ``jax.lax.psum``: the one-device ``mean`` of the whole batch, to 1e-6 (float64).  The
    shards of the first three are uneven (wholly ignored shards, lists that rank nothing,
    ignored samples): there the mean of the shards' means is another number (or NaN)."""
    r = shard_map_run[name]
    assert shard_map_run["devices"] == 8
    assert r["sharded"] == pytest.approx(r["single"], rel=1e-6, abs=1e-12)
    assert np.isfinite(r["single"])
    assert r["count"] > 0
    if name in ("cross_entropy", "softmax_ranking_loss", "lovasz_hinge_loss"):
        # (NaN where a shard has nothing that counts: cross_entropy's wholly ignored ones)
        assert not abs(r["mean_of_means"] - r["single"]) <= 1e-3 * abs(r["single"])


@pytest.mark.processes
def test_a_batch_over_8_devices_of_one_process_is_checked_eagerly(shard_map_run: Any) -> None:
    """A batch placed over the 8 devices of this process is fully addressable: the eager
    check reads it and an out-of-range probability raises, as on one device."""
    assert shard_map_run["placed_fully_addressable"] is True
    assert shard_map_run["placed_shards"] == 8
    assert "`probs` must lie in [0, 1]" in shard_map_run["placed_error"]
