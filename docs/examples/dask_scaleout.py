"""A loss over a Dask array that need not fit in memory, computed chunk by chunk.

    python docs/examples/dask_scaleout.py                      # 10^7 elements, mse_loss
    python docs/examples/dask_scaleout.py --elements 1e8 --loss sigmoid_focal_loss
    python docs/examples/dask_scaleout.py --loss cross_entropy --class-chunk 250
    python docs/examples/dask_scaleout.py --scheduler distributed --workers 2  # needs
                                                  # `pip install distributed` (dask.distributed)

The inputs are random but seeded (``dask.array.random.default_rng``), generated inside
the tasks, so no array of the full size exists anywhere; in real use they come from
``da.from_zarr``, ``da.from_array(h5py_dataset)``, ``dask.array.image.imread`` ...
The loss call only builds a graph (the script checks that nothing is computed inside it);
``dask.compute`` then runs the graph once and returns the loss together with a
chunk-wise reference: each chunk's summed loss from the NumPy backend of losses_xp,
added up and divided by the count, which must agree with it.

See docs/scaleout.md for the chunking advice, the memory figures, and the JAX variant.
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import dask
import dask.array as da
import numpy as np

import losses_xp as lx

LOSSES = ("mse_loss", "cross_entropy", "sigmoid_focal_loss")


def make_inputs(loss: str, elements: int, chunk: int, classes: int, class_chunk: int,
                seed: int = 0) -> tuple[tuple[Any, ...], int]:
    """Lazy float32 inputs of ``elements`` elements in chunks of about ``chunk`` elements,
    and the mean's denominator."""
    rng = da.random.default_rng(seed)
    if loss == "mse_loss":
        pred = rng.standard_normal(elements, chunks=chunk, dtype=np.float32)
        target = rng.standard_normal(elements, chunks=chunk, dtype=np.float32)
        return (pred, target), elements
    rows = max(1, chunk // classes)  # chunk along the batch; the class axis whole
    batch = elements // classes
    logits = rng.standard_normal((batch, classes), chunks=(rows, classes), dtype=np.float32)
    if class_chunk < classes:  # allowed: same result, more tasks (docs/scaleout.md)
        logits = logits.rechunk((rows, class_chunk))
    if loss == "cross_entropy":
        target = rng.integers(0, classes, size=batch, chunks=rows, dtype=np.int64)
        return (logits, target), batch
    target = rng.random((batch, classes), chunks=(rows, classes), dtype=np.float32) < 0.1
    return (logits, target), batch * classes


def chunk_sum(loss: str, *chunk: np.ndarray) -> float:
    """One chunk's summed loss on the NumPy backend (what the reference adds up)."""
    return float(getattr(lx, loss)(*chunk, reduction="sum"))


def chunkwise_sums(loss: str, arrays: tuple[Any, ...]) -> list[Any]:
    """One ``Delayed`` summed loss per chunk of the batch axis.

    The same pattern is a workaround for a loss whose Dask graph holds too much memory
    (docs/scaleout.md, "Known limitation"): each task runs the NumPy loss on one chunk.
    """
    whole_rows = [a.rechunk(dict.fromkeys(range(1, a.ndim), -1)) if a.ndim > 1 else a
                  for a in arrays]
    blocks = zip(*(a.to_delayed().ravel() for a in whole_rows), strict=True)
    return [dask.delayed(chunk_sum)(loss, *b) for b in blocks]


def refuse(*_: Any, **__: Any) -> Any:
    raise AssertionError("the loss computed something: it must only build a graph")


def run(args: argparse.Namespace) -> None:
    elements, chunk = int(float(args.elements)), int(float(args.chunk))
    inputs, count = make_inputs(args.loss, elements, chunk, args.classes, args.class_chunk)
    fn = getattr(lx, args.loss)
    with dask.config.set(scheduler=refuse):  # any compute inside the call raises
        loss = fn(*inputs)
    nbytes = sum(a.nbytes for a in inputs)
    print(f"{args.loss} over {', '.join(str(a.shape) for a in inputs)} "
          f"({nbytes / 2**30:.2f} GiB of inputs, chunks {inputs[0].chunksize}, "
          f"{inputs[0].npartitions} chunks): lazy {type(loss).__name__}, "
          f"{len(loss.__dask_graph__())} tasks")
    collections = [loss] + (chunkwise_sums(args.loss, inputs) if args.check else [])
    start = time.perf_counter()
    value, *sums = dask.compute(*collections)
    seconds = time.perf_counter() - start
    print(f"loss = {float(value):.7g}  ({seconds:.1f} s, scheduler: {args.scheduler})")
    if args.check:
        reference = math.fsum(sums) / count
        deviation = abs(float(value) / reference - 1.0)
        print(f"chunk-wise NumPy reference = {reference:.7g}  (relative deviation "
              f"{deviation:.1e})")
        if deviation > 1e-5:
            raise SystemExit("the Dask loss and the chunk-wise reference disagree")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", default="1e7",
                        help="elements of the (largest) input, e.g. 1e8 (default 1e7)")
    parser.add_argument("--chunk", default="1e6",
                        help="elements per chunk (default 1e6: 4 MB of float32)")
    parser.add_argument("--loss", choices=LOSSES, default="mse_loss")
    parser.add_argument("--classes", type=int, default=1000,
                        help="class axis of cross_entropy / sigmoid_focal_loss")
    parser.add_argument("--class-chunk", type=int, default=None,
                        help="split the class axis into chunks of this size (default: whole)")
    parser.add_argument("--scheduler", choices=("threads", "synchronous", "distributed"),
                        default="threads")
    parser.add_argument("--workers", type=int, default=2,
                        help="threads (threads) or worker processes (distributed)")
    parser.add_argument("--no-check", dest="check", action="store_false",
                        help="skip the chunk-wise NumPy reference")
    args = parser.parse_args()
    args.class_chunk = args.class_chunk or args.classes
    if args.scheduler == "distributed":
        from dask.distributed import Client, LocalCluster

        # one thread per worker process; each worker may hold memory_limit before it
        # spills to disk or pauses, so n_workers * memory_limit bounds the whole job
        with LocalCluster(n_workers=args.workers, threads_per_worker=1,
                          memory_limit="2GiB") as cluster, Client(cluster) as client:
            print(f"dask.distributed: {client}")
            run(args)  # the Client is the default scheduler inside this block
    else:
        with dask.config.set(scheduler=args.scheduler, num_workers=args.workers):
            run(args)


if __name__ == "__main__":
    main()
