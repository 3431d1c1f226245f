"""The error catalogue: every kind of invalid input losses_xp rejects, with its exact error.

A silent failure is the worst thing a loss can do: a ``(N, 1)`` prediction against an
``(N,)`` target broadcast to ``(N, N)``, a class index wrapped to the last class, a
probability of 1.5 clipped into a perfect score all train a model on a plausible
number.  So every such input is refused, with a message that names the argument, what
was expected and what was received, and that reads the same on every backend.  This
package is the single list of them: one :class:`~.model.Row` per kind of invalid input,
with

* the functions it applies to, **derived** from the declarations
  (``losses_xp._declare.declarations()``: each public function's
  :class:`~losses_xp._declare.Declaration` says what its prediction, target and options
  are), never listed by hand, so a newly declared function is covered by every row that
  fits its arguments;
* a builder of the bad call from valid NumPy inputs (:func:`~.model.valid_call`), which
  the test converts to the backend and dtype under test;
* the exception type and the exact, full message as a template (``{pred}``, ``{shape}``
  ...: the received values, filled in by the builder; ``{lib}``, ``{device}`` ...: the
  backend under test, filled in by the test; ``{why}`` ...: a function's own wording,
  from its conformance spec's ``error_fields``).

The modules, by what their rows reject:

* :mod:`.model`: what a row is (``Row``, ``Bad``, ``Call``, ``Loss``) and the valid calls;
* :mod:`.arrays`: arrays of the wrong type, library, device or dtype;
* :mod:`.shapes`: shapes and axes, array options of the wrong length or shape;
* :mod:`.options`: ``reduction`` and the number, int, flag and choice options;
* :mod:`.values`: values out of their domain (read from the arrays).

``conformance/test_errors.py`` runs every row on every backend, device and dtype;
``docs/errors.md`` shows :func:`render`'s table, generated when the site is built.
"""

from __future__ import annotations

from functools import cache

from . import arrays, options, shapes, values
from .model import (
    COMPLEX_DTYPE,
    DEVICE,
    DTYPE,
    FOREIGN,
    LIB,
    OTHER_DEVICE,
    Bad,
    Call,
    Chunked,
    Complex,
    Foreign,
    Kept,
    Loss,
    OtherDevice,
    Placeholder,
    Row,
    complex_dtype,
    losses,
    spec_fields,
    valid_call,
)

__all__ = [
    "COMPLEX_DTYPE",
    "DEVICE",
    "DTYPE",
    "FOREIGN",
    "LIB",
    "OTHER_DEVICE",
    "ROWS",
    "Bad",
    "Call",
    "Chunked",
    "Complex",
    "Foreign",
    "Kept",
    "Loss",
    "OtherDevice",
    "Placeholder",
    "Row",
    "applicable",
    "complex_dtype",
    "losses",
    "render",
    "spec_fields",
    "valid_call",
]

#: every row, in the order of the docs table
ROWS: tuple[Row, ...] = (*options.REDUCTION_ROWS, *arrays.ROWS, *shapes.ROWS,
                         *options.ROWS, *values.ROWS)


@cache
def applicable(row_id: str) -> tuple[Loss, ...]:
    """The functions a row applies to."""
    row = next(r for r in ROWS if r.id == row_id)
    return tuple(loss for loss in losses() if row.applies(loss))


# --------------------------------------------------------------------------- docs


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    """Inline code that may itself hold backticks (the messages quote names in them)."""
    return f"`` {_cell(text)} ``"


def render() -> str:
    """The Markdown table of ``docs/errors.md``: one line per row."""
    names = [loss.name for loss in losses()]
    head = ["id", "invalid input", "functions", "exception", "message",
            "where values cannot be read"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in ROWS:
        got = [loss.name for loss in applicable(row.id)]
        others = [n for n in names if n not in got]
        if not others:
            functions = "all"
        elif len(others) < len(got):
            functions = f"{row.scope}: all but " + ", ".join(f"`{n}`" for n in others)
        else:
            functions = f"{row.scope}: " + ", ".join(f"`{n}`" for n in got)
        unreadable = "NaN result" if row.value_dependent else "raises (static check)"
        lines.append("| " + " | ".join([
            f"`{row.id}`", _cell(row.what), functions, f"`{row.exc.__name__}`",
            _code(row.message), unreadable]) + " |")
    lines.append("")
    lines.append(f"{len(ROWS)} kinds of invalid input. Generated from "
                 "`conformance/errors/` (the functions of each row are derived from their "
                 "declarations); `conformance/test_errors.py` checks every message exactly "
                 "on every backend, device and dtype.")
    return "\n".join(lines)
