"""The two switches: value checks and exact tails.

How much of the inputs' *values* a loss checks, and whether a framework's fused kernel,
rounded in the far tails, may compute a loss.

Value checks
------------

Static checks (library, device, dtype, shape, options) always run: they read metadata
only and cost nothing under ``jax.jit``, ``torch.compile`` or Dask.  Value checks read
the arrays (a class index outside ``[0, C)``, a probability outside [0, 1]): eagerly
they cost a pass over an input and a host read, under tracing an extra reduction in the
compiled program.  Three levels:

``"essential"`` (the default)
    the checks the frameworks' own losses perform too: class indices in range
    (PyTorch's ``cross_entropy`` / ``nll_loss`` raise), ``probs`` of a loss on
    probabilities in [0, 1] (PyTorch's ``binary_cross_entropy`` raises), the counts of
    ``samples_per_class`` (an option, a handful of values), the variance of
    ``gaussian_nll_loss`` (>= 0: PyTorch raises), the quantile levels of
    ``pinball_loss`` (in (0, 1): scikit-learn raises), the prediction of a loss with a
    domain (a mean > 0 for the Tweedie deviances, a ``log1p`` argument > -1 for the
    squared log error: scikit-learn's metrics raise), and the labels of the margin
    losses (-1 or +1, or bool: no peer checks them, but 0/1 labels are the hinge's
    classic silent bug, a wrong number with no error, so the message says how to
    convert them).
``"all"``
    also the targets of the binary and multi-label losses (a target in [0, 1]), which
    no peer checks: ``binary_cross_entropy_with_logits``, the focal losses, ASL, the
    soft targets of ``cross_entropy``...  What every loss checked before 0.2.  Also
    the targets of the losses with a domain (a count >= 0 for the Poisson deviance, > 0
    for the gamma deviance, > -1 for the squared log error; unchecked, they give inf or
    NaN).
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
share its blocks).  Traced code reads the level when it is traced (both switches).  JAX caches the
trace of a function by the function and its inputs' shapes and dtypes, whatever the
level: a function traced at one level keeps it, even through a new ``jax.jit`` of the
same function (trace it inside the block you want, jit a new wrapper such as
``jax.jit(lambda x, y: lx.cross_entropy(x, y))``, or ``jax.clear_caches()``).
``torch.compile`` guards on the level and recompiles when it changes.  (A
``ContextVar`` would follow asyncio tasks, but Dynamo cannot trace ``ContextVar.get``.)

Exact tails
-----------
Off (the default): where a framework's fused kernel computes a loss to the rounding of
our formula over the range that matters, the loss calls it, in the far tails too.  Today
one kernel qualifies: PyTorch's ``binary_cross_entropy_with_logits`` (also the
cross-entropy term of ``sigmoid_focal_loss`` on PyTorch), which adds the tail
``log1p(exp(-|x|))`` to O(1) terms, ``(1 - y) x + max(-x, 0)``.  Where the loss of an element is
below ``eps`` (a confident, correct logit: ``|x| > 17`` in float32, ``|x| > 37`` in
float64) it returns 0 or a value off by up to ``eps / 2`` absolute (at ``x = -20``,
``y = 0``: 0 instead of 2.06e-9), and its gradient ``σ(x) - y`` is 0 instead of
``-σ(-x)`` at ``x >= 17``, ``y = 1``.  Absolute errors of at most ``eps / 2`` per
element (6e-8 in float32) are below the rounding of a mean or sum that holds any element
with a loss of order 1; they matter to whoever reads the loss of confident elements
(``reduction="none"``: log-likelihoods of rare events, calibration tails; a batch whose
every element is that confident).  The exact
formula takes several passes over memory where the kernel takes one (each a separate
kernel in eager PyTorch); ``docs/numerics.md``, "Exact tails".
On (``exact_tails(True)``, ``set_exact_tails(True)`` or ``LOSSES_XP_EXACT_TAILS=1``):
every loss computes its own formula, exact in both tails, on every library.  NumPy,
JAX, CuPy, Dask and array-api-strict always do (no fused kernel qualifies there).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["LEVELS", "exact_tails", "get_exact_tails", "get_value_checks", "runs",
           "set_exact_tails", "set_value_checks", "value_checks"]

#: the levels, from the most checks to none
LEVELS = ("all", "essential", "none")
_ENV = "LOSSES_XP_VALUE_CHECKS"
_ENV_TAILS = "LOSSES_XP_EXACT_TAILS"


def _level(mode: object, source: str) -> str:
    if not isinstance(mode, str) or mode not in LEVELS:
        valid = ", ".join(repr(m) for m in LEVELS)
        raise ValueError(f"{source} must be one of {valid}; got {mode!r}")
    return mode


def _on_off(value: object, source: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{source} must be True or False; got {value!r}")
    return value


def _env_on_off(name: str) -> bool:
    value = os.environ.get(name) or "0"
    if value not in ("0", "1"):
        raise ValueError(f"the environment variable {name} must be '0' or '1'; got {value!r}")
    return value == "1"


# the process-wide values, and this thread's innermost block (None: no block)
_process: dict[str, object] = {
    "level": _level(os.environ.get(_ENV) or "essential", f"the environment variable {_ENV}"),
    "tails": _env_on_off(_ENV_TAILS),
}
_thread = threading.local()


def _get(key: str) -> object:
    value = getattr(_thread, key, None)
    return _process[key] if value is None else value


def _set(key: str, value: object) -> object:
    previous = _process[key]
    _process[key] = value
    return previous


@contextmanager
def _block(key: str, value: object) -> Iterator[None]:
    previous = getattr(_thread, key, None)
    setattr(_thread, key, value)
    try:
        yield
    finally:
        setattr(_thread, key, previous)


def get_value_checks() -> str:
    """The value-check level in effect in this thread: ``"all"``, ``"essential"`` or
    ``"none"`` (see :func:`value_checks`)."""
    return str(_get("level"))


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
    return str(_set("level", _level(mode, "`mode`")))


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
    with _block("level", _level(mode, "`mode`")):
        yield


def runs(essential: bool) -> bool:
    """Whether a value check runs at the level in effect: an ``essential`` one (a check
    the frameworks perform too) unless the level is ``"none"``, any other only at
    ``"all"``."""
    level = get_value_checks()
    return level == "all" or (essential and level == "essential")


def get_exact_tails() -> bool:
    """Whether exact tails are on in this thread (see :func:`exact_tails`)."""
    return bool(_get("tails"))


def set_exact_tails(on: bool) -> bool:
    """Turn exact tails on or off for the whole process; returns the previous setting.
    An :func:`exact_tails` block still overrides it in its thread.

    >>> import losses_xp as lx
    >>> lx.set_exact_tails(True)
    False
    >>> lx.set_exact_tails(False)
    True
    """
    return bool(_set("tails", _on_off(on, "`on`")))


@contextmanager
def exact_tails(on: bool = True) -> Iterator[None]:
    """Run a block with exact tails on (or off), in this thread only.

    Off (the default), PyTorch's fused ``binary_cross_entropy_with_logits`` kernel
    computes that loss and the cross-entropy term of ``sigmoid_focal_loss``: the same
    numbers to rounding, except that the loss of an element below ``eps`` (a confident,
    correct logit) is off by up to ``eps / 2`` absolute, and its gradient at ``x >= 17``,
    ``y = 1`` is 0 instead of ``-σ(-x)`` (float32).  On, every loss computes its own
    formula, exact in both tails (several passes over memory instead of one kernel).
    Other libraries than PyTorch always compute the exact formula.  Blocks nest; the
    setting is restored on exit.  Under ``jax.jit`` and ``torch.compile`` it is read
    when the function is traced (``torch.compile`` recompiles when it changes).

    >>> import losses_xp as lx
    >>> with lx.exact_tails():
    ...     lx.get_exact_tails()
    True
    >>> lx.get_exact_tails()
    False

    On PyTorch (docs/numerics.md, "Exact tails"): at ``x = -20``, ``y = 0``, float32,
    ``binary_cross_entropy_with_logits`` is 0 by default and 2.06115e-09 (``log1p(e^-20)``)
    in an ``exact_tails()`` block.
    """
    with _block("tails", _on_off(on, "`on`")):
        yield
