"""Progress of a long command on a stream (stderr): ``check`` and ``bench`` both use it.

On a terminal, the running tasks share one line that is rewritten in place (``\\r``):
``  torch: 12/22 losses · jax: 3/22 losses``; a finished task leaves one permanent line.
Elsewhere (a CI log, a file, a pipe), plain lines: one when a task is first reported, then
one every ``every`` items (default: at each quarter of the task), so that a log stays
short.  :meth:`Progress.close` (or leaving the ``with`` block) erases the rewritten line,
so that what follows on the terminal starts on a clean line.

No dependency; only relative imports (this module also works in a vendored copy).
"""

from __future__ import annotations

import math
import os
from types import TracebackType
from typing import TextIO

__all__ = ["Progress"]


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def _columns(stream: TextIO) -> int:
    """The terminal's width (a rewritten line must not wrap: ``\\r`` returns to the start
    of the last row only)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns if columns > 0 else 80  # (a terminal that does not say: 0)


class Progress:
    """Progress of named tasks (backends, modes), each counting ``unit`` (losses, cases).

    ``tty`` defaults to ``stream.isatty()``; ``every`` is the number of items between two
    plain lines when the stream is not a terminal (default: a quarter of the task).
    """

    def __init__(self, stream: TextIO, unit: str, *, every: int | None = None,
                 tty: bool | None = None) -> None:
        self.stream = stream
        self.unit = unit
        self.every = every
        self.tty = _isatty(stream) if tty is None else tty
        self._tasks: dict[str, tuple[int, int, str]] = {}  # task -> (done, total, detail)
        self._finished: set[str] = set()
        self._shown = 0  # characters of the rewritten line now on the terminal

    def line(self, task: str, done: int, total: int, detail: str = "") -> str:
        """``  task: done/total unit, detail``."""
        return f"  {task}: {done}/{total} {self.unit}" + (f", {detail}" if detail else "")

    def update(self, task: str, done: int, total: int, detail: str = "",
               keep: bool = False) -> None:
        """``task`` has done ``done`` of its ``total`` items (``detail``: what it is doing or
        has just done).  ``keep``: this line stays (on a terminal too, above the rewritten
        line; elsewhere whether or not a line is due).  A finished task is not updated."""
        if task in self._finished:
            return  # (a late report from a worker process)
        previous = self._tasks.get(task)
        self._tasks[task] = (done, total, detail)
        text = self.line(task, done, total, detail)
        if self.tty:
            if keep:
                self._print(text)
            self._draw()
            return
        step = self.every or max(1, math.ceil(total / 4))
        if keep or previous is None or done // step > previous[0] // step:
            self._print(text)

    def message(self, text: str) -> None:
        """A permanent line (on a terminal: above the rewritten line)."""
        self._print(text)
        if self.tty:
            self._draw()

    def finish(self, task: str, text: str) -> None:
        """``task`` is done: its permanent line ``text`` replaces its progress."""
        self._tasks.pop(task, None)
        self._finished.add(task)
        self.message(text)

    def close(self) -> None:
        """Erase the rewritten line (terminal only)."""
        self._erase()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # ----------------------------------------------------------------------- terminal

    def _print(self, text: str) -> None:
        self._erase()
        print(text, file=self.stream, flush=True)

    def _erase(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self.stream.flush()
            self._shown = 0

    def _draw(self) -> None:
        if not self._tasks:
            self._erase()
            return
        parts = [self.line(t, d, n, detail).strip() for t, (d, n, detail) in self._tasks.items()]
        text = "  " + " · ".join(parts)
        width = _columns(self.stream) - 1
        if len(text) > width:
            text = text[: max(0, width - 1)] + "…"
        pad = " " * max(0, self._shown - len(text))
        self.stream.write("\r" + text + pad)
        self.stream.flush()
        self._shown = len(text)
