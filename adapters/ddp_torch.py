"""The PyTorch DDP recipe of ``docs/frameworks/pytorch.md``, run by ``test_torch.py``.

A module of its own (not the test file) so that each process that
``torch.multiprocessing.spawn`` starts imports only PyTorch and losses_xp.

The recipe: each rank computes ``(total, count)`` of its shard with
``reduction="sum_and_count"`` (the numerator and the denominator of ``mean``: here the
summed class weights of the targets that are not ``ignore_index``), all-reduces the
count, and

* one batch per step: back-propagates ``total * world_size / global_count``; DDP averages
  the gradients over the ranks (divides their sum by ``world_size``), so the gradient is
  that of ``sum of all totals / global_count``: the global batch's mean;
* gradient accumulation (several micro-batches per step): back-propagates
  ``total * world_size`` of each micro-batch (``no_sync()`` but for the last), then
  divides the gradients by the count all-reduced over the ranks and the micro-batches
  before the optimizer's step: the count is known only once every micro-batch is seen,
  and the gradient is linear in the loss.

A mean of per-rank means would weigh each rank's targets by its own count: wrong where
the ranks ignore different numbers of targets (the test checks that it differs).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from losses_xp.torch import CrossEntropyLoss

WORLD_SIZE = 2
IGNORE = -100
LR = 0.5
STEPS = 3
#: the rows of each rank's shard in each micro-batch (uneven on purpose)
MICRO_BATCHES = (slice(0, 2), slice(2, 7), slice(7, None))


def data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x, y, class_weight)`` of the global batch, float64; rank r's shard is
    ``x[r::WORLD_SIZE]``.  Rank 0's shard has 5 ignored targets of 10, rank 1's one."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(20, 5, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 4, (20,), generator=gen)
    y[[0, 2, 4, 6, 8, 3]] = IGNORE
    w = torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64)
    return x, y, w


def model() -> torch.nn.Module:
    """The same float64 model on every rank and in the single process."""
    torch.manual_seed(1)
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(),
                               torch.nn.Linear(8, 4)).double()


def global_mean_step(ddp: torch.nn.Module, criterion: torch.nn.Module, x: torch.Tensor,
                     y: torch.Tensor, opt: torch.optim.Optimizer) -> torch.Tensor:
    """One step, one batch per rank: the global mean's gradient.  Returns the global
    mean loss (the same value on every rank)."""
    total, count = criterion(ddp(x), y)
    global_count = count.detach().clone()
    dist.all_reduce(global_count)  # sum over the ranks
    opt.zero_grad()
    (total * dist.get_world_size() / global_count).backward()  # DDP averages: / world_size
    opt.step()
    global_total = total.detach().clone()
    dist.all_reduce(global_total)
    return global_total / global_count


def accumulated_step(ddp: Any, criterion: torch.nn.Module, x: torch.Tensor,
                     y: torch.Tensor, opt: torch.optim.Optimizer) -> torch.Tensor:
    """One step over the micro-batches of ``MICRO_BATCHES``: the global mean's gradient
    over every micro-batch of every rank.  Returns the global mean loss."""
    opt.zero_grad()
    count = torch.zeros((), dtype=torch.float64)
    total_seen = torch.zeros((), dtype=torch.float64)
    for i, rows in enumerate(MICRO_BATCHES):
        last = i == len(MICRO_BATCHES) - 1
        with contextlib.nullcontext() if last else ddp.no_sync():  # all-reduce once
            total, n = criterion(ddp(x[rows]), y[rows])
            (total * dist.get_world_size()).backward()
        count += n.detach()
        total_seen += total.detach()
    dist.all_reduce(count)
    for p in ddp.parameters():
        p.grad /= count  # the gradient of the global sum, divided by the global count
    opt.step()
    dist.all_reduce(total_seen)
    return total_seen / count


def worker(rank: int, store: str, out: str) -> None:
    """Rank ``rank`` of ``WORLD_SIZE``: ``STEPS`` DDP steps of each recipe; writes the
    losses and the final parameters to ``out/rank<rank>.pt``."""
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank,
                            world_size=WORLD_SIZE)
    try:
        x, y, w = data()
        x, y = x[rank::WORLD_SIZE], y[rank::WORLD_SIZE]
        criterion = CrossEntropyLoss(weight=w, ignore_index=IGNORE, reduction="sum_and_count")
        result: dict[str, Any] = {}
        for name, step in (("plain", global_mean_step), ("accumulated", accumulated_step)):
            ddp = torch.nn.parallel.DistributedDataParallel(model())
            opt = torch.optim.SGD(ddp.parameters(), lr=LR)
            losses = [float(step(ddp, criterion, x, y, opt)) for _ in range(STEPS)]
            result[name] = (losses, [p.detach().clone() for p in ddp.module.parameters()])
        torch.save(result, Path(out) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()
