"""The progress of ``check`` and ``bench`` on the standard error (``losses_xp/_progress.py``).

On a terminal: one line rewritten in place, permanent lines above it, erased at the end;
elsewhere: a few plain lines.  The commands' own progress is tested with them
(tests/test_check.py, tests/test_bench.py).
"""

from __future__ import annotations

import io
import os

import pytest

from losses_xp import _progress
from losses_xp._progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def screen(text: str) -> list[str]:
    """What a terminal shows for ``text``: ``\\r`` returns to the start of the line."""
    rows: list[str] = []
    for raw in text.split("\n"):
        row: list[str] = []
        for piece in raw.split("\r"):
            row[: len(piece)] = list(piece)
        rows.append("".join(row).rstrip())
    return rows


def test_plain_lines_at_each_quarter() -> None:
    err = io.StringIO()
    progress = Progress(err, "losses", tty=False)
    for done in range(21):
        progress.update("torch", done, 20)
    progress.update("torch", 20, 20)  # the same count again: no new line
    progress.finish("torch", "  torch: ok in 1.0 s")
    progress.update("torch", 20, 20)  # a late report of a finished task: ignored
    progress.close()
    assert err.getvalue().splitlines() == [
        "  torch: 0/20 losses", "  torch: 5/20 losses", "  torch: 10/20 losses",
        "  torch: 15/20 losses", "  torch: 20/20 losses", "  torch: ok in 1.0 s"]


def test_plain_lines_every_item_with_details() -> None:
    err = io.StringIO()
    with Progress(err, "cases", every=1) as progress:  # a StringIO is not a terminal
        progress.update("numpy", 0, 2, "2 losses")
        progress.update("numpy", 0, 2, "first")  # what it is doing: terminal only
        progress.update("numpy", 1, 2, "first: done")
        progress.update("numpy", 1, 2, "second: FAILED", keep=True)  # printed regardless
        progress.message("  a note")
    assert err.getvalue().splitlines() == [
        "  numpy: 0/2 cases, 2 losses", "  numpy: 1/2 cases, first: done",
        "  numpy: 1/2 cases, second: FAILED", "  a note"]


def test_a_terminal_gets_one_rewritten_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_progress, "_columns", lambda stream: 60)
    err = Terminal()
    with Progress(err, "losses") as progress:
        assert progress.tty
        progress.update("jax", 0, 22)
        progress.update("dask", 3, 22)
        assert screen(err.getvalue()) == ["  jax: 0/22 losses · dask: 3/22 losses"]
        progress.update("jax", 1, 22, "x" * 80)  # longer than the terminal: cut
        assert screen(err.getvalue())[-1] == "  jax: 1/22 losses, " + "x" * 38 + "…"  # 59
        progress.update("dask", 4, 22, "a failure", keep=True)  # stays, above the line
        progress.finish("jax", "  jax: ok in 9.0 s")
        assert screen(err.getvalue()) == ["  dask: 4/22 losses, a failure",
                                          "  jax: ok in 9.0 s", "  dask: 4/22 losses, a failure"]
        progress.finish("dask", "  dask: ok in 2.0 s")
        assert err.getvalue().endswith("\r  dask: ok in 2.0 s\n")  # nothing left to draw
        progress.update("numpy", 1, 2)
    # leaving the block erases the line: what follows starts on a clean line
    assert screen(err.getvalue()) == ["  dask: 4/22 losses, a failure", "  jax: ok in 9.0 s",
                                      "  dask: ok in 2.0 s", ""]
    assert "\n" not in err.getvalue().split("dask: ok in 2.0 s\n")[1]


def test_a_stream_without_a_terminal() -> None:
    class Closed(io.StringIO):
        def isatty(self) -> bool:
            raise ValueError("I/O operation on closed file")

    assert not Progress(Closed(), "cases").tty
    assert not _progress._isatty(object())  # type: ignore[arg-type]
    assert _progress._columns(io.StringIO()) == 80  # no file descriptor

    class Pipe(io.StringIO):
        def fileno(self) -> int:
            return self.fd

        fd = 0

    read, write = os.pipe()
    try:
        pipe = Pipe()
        pipe.fd = write
        assert _progress._columns(pipe) == 80  # not a terminal
    finally:
        os.close(read)
        os.close(write)
