"""What one run of the bench is asked to do: :class:`Options` and its defaults.

The command line (:mod:`.cli`) fills the options; the modes, the run and the report read
them.  A run with every default that shapes the data (sizes, rounds, batch time, every
backend and loss, compile, memory, plot, value checks) is a *full* run, the only one that
``--update-docs`` accepts (:func:`.docs.partial_run`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["BACKENDS", "DEFAULT_SIZES", "QUICK_SIZES", "Options"]

BACKENDS = ("numpy", "sklearn", "torch", "jax")  # what --backends accepts
DEFAULT_SIZES = (10**2, 10**4, 10**6, 10**7)
QUICK_SIZES = (10**2, 10**4)
DEFAULT_ROUNDS, QUICK_ROUNDS = 7, 3
DEFAULT_MIN_TIME, QUICK_MIN_TIME = 0.020, 0.005  # seconds per batch of calls


@dataclass
class Options:
    backends: list[str]
    explicit: bool = False
    losses: list[str] | None = None
    sizes: list[int] = field(default_factory=lambda: list(DEFAULT_SIZES))
    rounds: int = DEFAULT_ROUNDS
    min_time: float = DEFAULT_MIN_TIME
    quick: bool = False
    compile: bool = True
    memory: bool = True
    plot: bool = True
    value_check_modes: bool = True  # the value-check section (--no-value-checks: False)
    update_docs: bool = False  # rewrite the docs' generated blocks after the run
    device: str = "cpu"
    torch_threads: int | None = None  # None: PyTorch's default
    out: Path = Path("benchmarks/results")
    seed: int = 0
    command: str = ""
    verbose: bool = False
