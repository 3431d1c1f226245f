"""One case run: its inputs made, its two sides checked to agree, timed and measured.

The main tables (:mod:`.runner`) and the value-check section (:mod:`.checks`) both run their
cases here.
"""

from __future__ import annotations

import traceback
from typing import Any

from .._check import _quiet, _short
from .cases import (
    MEMORY_TARGET,
    RTOL,
    _preview,
    deviation,
    make_inputs,
    shape_for,
    slack_for,
    target_for,
)
from .measure import Timing, time_interleaved
from .modes import Mode
from .options import Options
from .pairs import Pair
from .report import Result

__all__ = ["Inputs", "agree", "failed", "new_result", "record", "run_case"]


class Inputs:
    """The inputs of one size in one mode, each kind made and converted once."""

    def __init__(self, mode: Mode, n: int, seed: int) -> None:
        self.mode, self.n, self.seed = mode, n, seed
        self._made: dict[str, tuple[Any, ...] | str] = {}

    def get(self, kind: str) -> tuple[Any, ...] | str:
        """The arrays of ``kind``, or why they could not be made."""
        if kind not in self._made:
            try:
                self._made[kind] = tuple(self.mode.convert(a) for a in
                                         make_inputs(kind, self.n, self.seed))
            except Exception as exc:
                self._made[kind] = f"making the inputs failed: {_short(exc)}"
        return self._made[kind]


def new_result(mode: Mode, pair: Pair, pass_: str, n: int, counted: bool = True) -> Result:
    """The Result of a case before it runs: its names, shape and targets (``counted``:
    whether its targets apply; False: reported only)."""
    target = target_for(mode.name, pair.loss, n) if counted else None
    return Result(mode.name, pair.loss, pair.native_name, n, shape_for(n), pass_,
                  target=target, slack_s=slack_for(mode.name, n) if target else 0.0,
                  reference=pair.reference_name,
                  memory_target=MEMORY_TARGET if counted and pair.reference is None else None)


def agree(res: Result, pair: Pair, got: tuple[Any, ...], expected: tuple[Any, ...]) -> bool:
    """Whether ours (``got``) agrees with the native or the pair's reference (``expected``);
    if not, ``res`` is a mismatch that says by how much."""
    against = "reference" if pair.reference is not None else "native"
    res.deviation = deviation(got, expected)
    if res.deviation <= RTOL:
        return True
    res.status = "mismatch"
    res.detail = (f"max |ours - {against}| / max |{against}| = {res.deviation:.2e} > "
                  f"{RTOL:g}; ours {_preview(got)}, {against} {_preview(expected)}")
    return False


def record(res: Result, timing: Timing) -> None:
    """The timing of ``res``: medians, ratio, rounds, calls per batch."""
    res.ours_s, res.native_s = timing.ours_median, timing.native_median
    res.ratio = timing.ratio
    res.ours_rounds, res.native_rounds = timing.ours, timing.native
    res.calls_per_round = timing.calls


def failed(res: Result, exc: Exception, verbose: bool) -> None:
    """``res`` is an error: the exception (and its traceback when ``verbose``)."""
    res.status = "error"
    res.detail = _short(exc) + ("\n" + traceback.format_exc() if verbose else "")


def run_case(mode: Mode, pair: Pair, pass_: str, n: int, inputs: tuple[Any, ...] | str,
             opts: Options, measure_memory: bool) -> Result:
    """One case: ours checked against the native (or the pair's reference), then timed
    against the native; the peak memory when ``measure_memory``.  ``inputs``: the arrays,
    or why they could not be made (an error result)."""
    res = new_result(mode, pair, pass_, n)
    if isinstance(inputs, str):
        res.status, res.detail = "error", inputs
        return res
    try:
        with _quiet():
            if mode.before_case is not None:
                mode.before_case()
            prep = mode.prepare(pair, pass_, inputs)
            # also the warm-up (compiles); each side is called once more before timing
            if not agree(res, pair, prep.ours(), prep.expected()):
                return res
            prep.ours()
            prep.native()
            record(res, time_interleaved(prep.ours, prep.native, opts.rounds, opts.min_time))
            if measure_memory and prep.memory is not None:
                try:
                    res.ours_bytes = prep.memory("ours")
                    res.native_bytes = prep.memory("native")
                except Exception as exc:  # a measurement we cannot make is not a failure
                    res.detail = f"peak memory not measured: {_short(exc)}"
    except Exception as exc:
        failed(res, exc, opts.verbose)
    return res
