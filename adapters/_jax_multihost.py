"""One process of a two-process JAX job on the CPU (``jax.distributed`` over gloo): a
real multi-host array, which no single process can read.

Run by ``adapters/test_distributed.py`` as two processes (process ids 0 and 1, 4 CPU
devices each, 8 in all)::

    python -m adapters._jax_multihost PORT PROCESS_ID  # its last line: one JSON document

A batch sharded over the 8 devices of both processes is not fully addressable
(``is_fully_addressable`` False: each process holds 4 of its 8 shards), so the eager value
checks of losses_xp must not read it (``_compat.values_readable``): reading it would block
on the other process, and a ``ValueError`` raised in one process but not in the other (which
holds only valid values) would leave that one waiting in the next collective forever.  The
check is then made on the device, and an invalid value makes the loss NaN in every process.
A fully addressable array in the same processes (the bad rows on this process's own
devices) is still checked eagerly.
"""

from __future__ import annotations

import json
import os
import sys

PROCESSES = 2
LOCAL_DEVICES = 4
ROWS = 4  # rows of the batch per process


def main(port: int, pid: int) -> dict[str, object]:
    os.environ["JAX_PLATFORMS"] = "cpu"
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={LOCAL_DEVICES}"
    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(f"localhost:{port}", num_processes=PROCESSES, process_id=pid)
    jax.config.update("jax_enable_x64", True)
    import numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    import losses_xp as lx
    from losses_xp._compat import values_readable

    rng = np.random.default_rng(0)  # the same draws in both processes: the global batch
    probs = rng.uniform(0.05, 0.95, size=(PROCESSES * ROWS, 3))
    target = (rng.uniform(size=probs.shape) < 0.5).astype(np.float64)
    bad = probs.copy()
    bad[-1, -1] = 1.5  # out of range, in process 1's shard only
    mesh = Mesh(np.array(jax.devices()), ("b",))
    sharding = NamedSharding(mesh, PartitionSpec("b"))
    mine = slice(pid * ROWS, (pid + 1) * ROWS)

    def global_array(a: np.ndarray) -> jax.Array:
        return jax.make_array_from_process_local_data(sharding, a[mine])

    def scalar(r: jax.Array) -> float:  # a replicated 0-d result: its local copy
        return float(np.asarray(r.addressable_data(0)))

    p, t, b = global_array(probs), global_array(target), global_array(bad)
    out: dict[str, object] = {
        "pid": pid, "devices": len(jax.devices()), "local_devices": len(jax.local_devices()),
        "fully_addressable": bool(p.is_fully_addressable), "readable": values_readable(p),
        "value": scalar(lx.binary_cross_entropy(p, t)),
        # the single-process loss on the whole batch (NumPy)
        "reference": float(lx.binary_cross_entropy(probs, target)),
    }
    try:  # not read eagerly: no ValueError, the on-device check makes the loss NaN
        out["bad_value"] = scalar(lx.binary_cross_entropy(b, t))
    except ValueError as e:  # pragma: no cover - the failure this test exists to catch
        out["bad_value"] = f"ValueError: {e}"
    own = NamedSharding(Mesh(np.array(jax.local_devices()), ("b",)), PartitionSpec("b"))
    local = jax.device_put(bad[-ROWS:], own)
    out["local_fully_addressable"] = bool(local.is_fully_addressable)
    try:  # the bad rows on this process's own devices: fully addressable, checked eagerly
        lx.binary_cross_entropy(local, jax.device_put(target[-ROWS:], own))
        out["local_error"] = ""
    except ValueError as e:
        out["local_error"] = str(e)
    return out


if __name__ == "__main__":
    result = main(int(sys.argv[1]), int(sys.argv[2]))
    print(json.dumps(result), flush=True)
    import jax

    jax.distributed.shutdown()
