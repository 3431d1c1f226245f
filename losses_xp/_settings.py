"""The value-check switch: how much of the inputs' *values* a loss checks.

Static checks (library, device, dtype, shape, options) always run: they read metadata
only and cost nothing under ``jax.jit``, ``torch.compile`` or Dask.  Value checks read
the arrays (a class index outside ``[0, C)``, a probability outside [0, 1]): eagerly
they cost a pass over an input and a host read, under tracing an extra reduction in the
compiled program.  Three levels:

``"essential"`` (the default)
    the checks the frameworks' own losses perform too: class indices in range
    (PyTorch's ``cross_entropy`` / ``nll_loss`` raise), ``probs`` of a loss on
    probabilities in [0, 1] (PyTorch's ``binary_cross_entropy`` raises), the counts of
    ``samples_per_class`` (an option, a handful of values).
``"all"``
    also the targets of the binary and multi-label losses (a target in [0, 1]), which
    no peer checks: ``binary_cross_entropy_with_logits``, the focal losses, ASL, the
    soft targets of ``cross_entropy``...  What every loss checked before 0.2.
``"none"``
    no value check of ours.  A framework kernel a loss dispatches to may still raise
    its own error (PyTorch's ``cross_entropy`` on an out-of-range index, on the CPU);
    elsewhere an invalid value gives whatever the formula gives (NaN for an
    out-of-range class index).

A check that runs raises ``ValueError`` where the values are readable (NumPy,
array-api-strict, PyTorch CPU outside ``torch.compile``, concrete JAX CPU arrays) and
makes the result NaN where they are not (``docs/numerics.md``, "Invalid values").

The level in effect is the innermost ``value_checks`` block of the current thread,
else the process-wide level (``set_value_checks``; at import, the environment
variable ``LOSSES_XP_VALUE_CHECKS``, else ``"essential"``).  Thread-safe: a block is
seen only by its own thread (``threading.local``; asyncio tasks that share a thread
share its blocks).  Traced code reads the level when it is traced.  JAX caches the
trace of a function by the function and its inputs' shapes and dtypes, whatever the
level: a function traced at one level keeps it, even through a new ``jax.jit`` of the
same function (trace it inside the block you want, jit a new wrapper such as
``jax.jit(lambda x, y: lx.cross_entropy(x, y))``, or ``jax.clear_caches()``).
``torch.compile`` guards on the level and recompiles when it changes.  (A
``ContextVar`` would follow asyncio tasks, but Dynamo cannot trace ``ContextVar.get``.)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["LEVELS", "get_value_checks", "runs", "set_value_checks", "value_checks"]

#: the levels, from the most checks to none
LEVELS = ("all", "essential", "none")
_ENV = "LOSSES_XP_VALUE_CHECKS"


def _level(mode: object, source: str) -> str:
    if not isinstance(mode, str) or mode not in LEVELS:
        valid = ", ".join(repr(m) for m in LEVELS)
        raise ValueError(f"{source} must be one of {valid}; got {mode!r}")
    return mode


_process = {"level": _level(os.environ.get(_ENV) or "essential",
                            f"the environment variable {_ENV}")}
_thread = threading.local()


def get_value_checks() -> str:
    """The value-check level in effect in this thread: ``"all"``, ``"essential"`` or
    ``"none"`` (see :func:`value_checks`)."""
    level: str | None = getattr(_thread, "level", None)
    return _process["level"] if level is None else level


def set_value_checks(mode: str) -> str:
    """Set the process-wide value-check level (``"all"``, ``"essential"``, ``"none"``);
    returns the previous one.  A :func:`value_checks` block still overrides it in its
    thread.

    >>> import losses_xp as lx
    >>> previous = lx.set_value_checks("all")
    >>> lx.get_value_checks()
    'all'
    >>> lx.set_value_checks(previous)
    'all'
    """
    previous = _process["level"]
    _process["level"] = _level(mode, "`mode`")
    return previous


@contextmanager
def value_checks(mode: str) -> Iterator[None]:
    """Run a block with the value-check level ``mode``, in this thread only.

    ``"essential"`` (the default): the checks the frameworks' own losses perform
    (class indices in range, probabilities in [0, 1]); ``"all"``: also the targets
    in [0, 1] of the binary and multi-label losses, which no peer checks; ``"none"``:
    no value check of ours.  Blocks nest; the level is restored on exit, exception or
    not.  Under ``jax.jit`` the level is read when the function is traced.

    >>> import numpy as np, losses_xp as lx
    >>> x, y = np.array([0.5, -1.0]), np.array([1.0, 2.0])  # 2 is not a binary target
    >>> round(float(lx.binary_cross_entropy_with_logits(x, y)), 4)  # not checked by default
    1.3937
    >>> with lx.value_checks("all"):
    ...     lx.binary_cross_entropy_with_logits(x, y)
    Traceback (most recent call last):
    ...
    ValueError: `target` must lie in [0, 1]; got values in [1, 2]
    """
    level = _level(mode, "`mode`")
    previous = getattr(_thread, "level", None)
    _thread.level = level
    try:
        yield
    finally:
        _thread.level = previous


def runs(essential: bool) -> bool:
    """Whether a value check runs at the level in effect: an ``essential`` one (a check
    the frameworks perform too) unless the level is ``"none"``, any other only at
    ``"all"``."""
    level = get_value_checks()
    return level == "all" or (essential and level == "essential")
