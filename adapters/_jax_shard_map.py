"""The JAX recipe of docs/frameworks/distributed.md on 8 simulated CPU devices.

Run by ``adapters/test_distributed.py`` in a fresh interpreter (JAX fixes its device
count when it starts: ``XLA_FLAGS=--xla_force_host_platform_device_count=8`` must come
first)::

    python -m adapters._jax_shard_map        # its last line: one JSON document

Each loss whose ``mean`` divides by something other than the element count runs under
``jax.jit(jax.shard_map(...))`` over a batch of 8 shards (one per device): every shard
computes ``reduction="sum_and_count"``, ``jax.lax.psum`` adds the totals and the counts
over the devices, and the global mean is one division.  The same loss with ``mean`` on
the whole batch on one device is the reference; the shards' mean of means (what a plain
``pmean`` of each shard's ``mean`` gives) is reported too, to show that it differs.  The
contrastive loss gathers the keys with ``jax.lax.all_gather`` and passes
``row_offset = jax.lax.axis_index("b") * n`` (a traced offset).  float64 (x64 enabled).

A batch placed over the 8 devices (``NamedSharding``) is fully addressable in this one
process, so the eager value checks read it: an out-of-range probability raises
``ValueError`` there, as on one device.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

DEVICES = 8


def main() -> dict[str, Any]:
    flag = f"--xla_force_host_platform_device_count={DEVICES}"
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flag}".strip()
    os.environ["JAX_PLATFORMS"] = "cpu"
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    import losses_xp as lx

    assert len(jax.devices()) == DEVICES
    mesh = Mesh(np.array(jax.devices()), ("b",))
    rng = np.random.default_rng(0)
    n = 3  # rows per device
    N = n * DEVICES

    def sharded(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                gather: bool = False) -> dict[str, float]:
        """``fn(*args, **kwargs)``: the global mean from the shards' psum-ed parts, the
        shards' mean of means, and the one-device mean of the whole batch."""
        def local(*shard: Any) -> tuple[Any, Any, Any]:
            extra = dict(kwargs)
            if gather:  # the keys of every device, and this shard's first key row
                extra["keys"] = jax.lax.all_gather(shard[0], "b", tiled=True)
                extra["key_labels"] = jax.lax.all_gather(shard[1], "b", tiled=True)
                extra["row_offset"] = jax.lax.axis_index("b") * shard[0].shape[0]
            total, count = fn(*shard, reduction="sum_and_count", **extra)
            own_mean = fn(*shard, reduction="mean", **extra)
            return (jax.lax.psum(total, "b"), jax.lax.psum(count, "b"),
                    jax.lax.pmean(own_mean, "b"))
        run = jax.jit(jax.shard_map(local, mesh=mesh, in_specs=tuple(P("b") for _ in args),
                                    out_specs=(P(), P(), P())))
        total, count, mean_of_means = run(*(jnp.asarray(a) for a in args))
        whole = fn(*(jnp.asarray(a) for a in args), reduction="mean", **kwargs)
        return {"sharded": float(total / count), "single": float(whole),
                "mean_of_means": float(mean_of_means), "count": float(count)}

    out: dict[str, Any] = {"devices": len(jax.devices())}

    # cross_entropy: class weights, ignore_index, the ignored targets uneven over shards
    logits = rng.normal(size=(N, 5))
    target = rng.integers(0, 5, size=N)
    target[: 2 * n] = -100  # the first two shards wholly ignored
    target[2 * n: 3 * n - 1] = -100
    weight = jnp.asarray([0.2, 1.0, 3.0, 0.5, 2.0])
    out["cross_entropy"] = sharded(
        lambda x, t, **k: lx.cross_entropy(x, t, weight=weight, **k), (logits, target), {})

    # a ranking loss with `where`: lists that rank nothing do not count
    scores = rng.normal(size=(N, 4))
    relevance = rng.integers(0, 3, size=(N, 4)).astype(np.float64)
    where = rng.uniform(size=(N, 4)) < 0.7
    where[:n] = False  # the first shard: no valid item
    relevance[n: 2 * n] = 1.0  # the second: all one grade, nothing to rank
    out["softmax_ranking_loss"] = sharded(
        lambda s, r, w, **k: lx.softmax_ranking_loss(s, r, where=w, **k),
        (scores, relevance, where), {})

    # lovasz_hinge_loss per sample: a sample whose pixels are all ignored does not count
    seg = rng.normal(size=(N, 4, 4))
    mask = (rng.uniform(size=(N, 4, 4)) < 0.4).astype(np.int64)
    mask[: n + 1] = 255  # shard 0 and one sample of shard 1 wholly ignored
    out["lovasz_hinge_loss"] = sharded(
        lambda x, t, **k: lx.lovasz_hinge_loss(x, t, ignore_index=255, **k), (seg, mask),
        {"per_sample": True})

    # ctc_loss: PyTorch's mean divides each sequence by its target length first
    T, C, S = 8, 4, 3
    x = rng.normal(size=(N, T, C))
    log_probs = x - np.log(np.sum(np.exp(x), axis=-1, keepdims=True))
    targets = rng.integers(1, C, size=(N, S))
    target_lengths = rng.integers(0, S + 1, size=N)
    input_lengths = rng.integers(2 * S + 1, T + 1, size=N)
    out["ctc_loss"] = sharded(lx.ctc_loss, (log_probs, targets, input_lengths,
                                            target_lengths), {})

    # the contrastive loss over keys gathered from every device
    emb = rng.normal(size=(N, 6))
    labels = rng.integers(0, N // 2, size=N)
    out["contrastive_loss"] = sharded(lx.contrastive_loss, (emb, labels),
                                      {"temperature": 0.5}, gather=True)

    # a batch over the 8 devices of this process: fully addressable, checked eagerly
    placed = NamedSharding(mesh, P("b"))
    probs = jax.device_put(np.where(np.arange(N) == N - 1, 1.5, 0.5), placed)
    out["placed_fully_addressable"] = bool(probs.is_fully_addressable)
    out["placed_shards"] = len(probs.addressable_shards)
    try:
        lx.binary_cross_entropy(probs, jax.device_put(np.ones(N), placed))
        out["placed_error"] = ""
    except ValueError as e:
        out["placed_error"] = str(e)
    return out


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)
