"""Running the matrix: one cell, every cell of some specs, and the report of them.

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

import contextlib
import textwrap
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from .. import _settings
from .._testing.backends import (
    BACKENDS,
    Backend,
    BackendUnavailable,
    devices_under_test,
    get_backend,
    one_chunk,
)
from ._cells import Combo, skip_types
from ._checks import CHECKS, Check
from ._matrix import backend_skip, cells, full_matrix, strict_mode, unsupported
from ._spec import Spec

__all__ = ["Outcome", "Report", "load_backends", "run_cell", "run_matrix"]


@contextlib.contextmanager
def cell_context(combo: Combo) -> Iterator[None]:
    """What every cell runs in: ``losses_xp.exact_tails()`` for a ``tail`` case (its
    values are compared in relative terms, which a fused kernel's rounding to 0 in the far
    tails does not meet), Dask arrays in one chunk for a function declared ``sorts``."""
    with _settings.exact_tails("tail" in combo.case.tags), one_chunk(combo.spec.decl.sorts):
        yield


def run_cell(check: Check, combo: Combo) -> None:
    """Run ``check`` on one cell: returns, fails (an exception) or skips.  Any
    ``RuntimeWarning`` is an error (but where the case expects one: ``expected_warnings``)."""
    with cell_context(combo), strict_mode(combo.bk.name == "array_api_strict"), \
            warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        check.run(combo)


def load_backends(name: str) -> list[Backend]:
    """The backend ``name`` on every device a run covers here
    (``BackendUnavailable``/``NoDevice`` with the reason where it cannot run)."""
    get_backend(name).load()
    out = [get_backend(name, d) for d in devices_under_test(name)]
    for bk in out:
        bk.load()
    return out


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Outcome:
    """What one cell (or a check skipped as a whole on a backend: ``cell`` ``"*"``) gave.

    ``status``: ``"passed"``, ``"failed"`` or ``"skipped"``; ``message``: why it failed
    (the first line of the exception) or was skipped; ``detail``: a failure's traceback."""

    check: str
    backend: str
    loss: str
    cell: str
    status: str
    message: str = ""
    detail: str = field(default="", repr=False)


@dataclass
class Report:
    """The outcomes of a run of the matrix, and their table.

    ``str(report)`` is the table: one block per loss, a row per check and a column per
    backend, each entry ``ok N`` (N cells passed), ``FAIL k/N`` (k of N failed) or
    ``skip`` (the check does not run there), followed by the most common reason of every
    failing entry (with one of its cells) and the reasons of the skips.  Backends that
    could not be loaded are listed with the reason.
    """

    losses: list[str] = field(default_factory=list)
    backends: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether no cell failed."""
        return not any(o.status == "failed" for o in self.outcomes)

    def select(self, status: str | None = None, *, check: str | None = None,
               backend: str | None = None, loss: str | None = None) -> list[Outcome]:
        """The outcomes with that status, check, backend and loss (``None``: any)."""
        return [o for o in self.outcomes
                if (status is None or o.status == status) and (check is None or o.check == check)
                and (backend is None or o.backend == backend) and (loss is None or o.loss == loss)]

    def failures(self, *, check: str | None = None, backend: str | None = None,
                 loss: str | None = None) -> list[Outcome]:
        """The failed cells (of that check, backend and loss)."""
        return self.select("failed", check=check, backend=backend, loss=loss)

    def failed_entries(self, loss: str | None = None) -> set[tuple[str, str]]:
        """The ``(check, backend)`` entries of the table with a failed cell."""
        return {(o.check, o.backend) for o in self.failures(loss=loss)}

    def raise_for_failures(self) -> None:
        """``AssertionError`` with the table where a cell failed."""
        if not self.ok:
            raise AssertionError("losses_xp.testing: cells failed\n" + self.table())

    def entry(self, loss: str, check: str, backend: str) -> str:
        got = self.select(check=check, backend=backend, loss=loss)
        ran = [o for o in got if o.status != "skipped"]
        failed = [o for o in ran if o.status == "failed"]
        if failed:
            return f"FAIL {len(failed)}/{len(ran)}"
        if ran:
            return f"ok {len(ran)}"
        return "skip" if got else "-"

    def table(self, loss: str | None = None) -> str:
        """The table of one loss, or of every loss one after the other."""
        names = [loss] if loss is not None else self.losses
        return "\n\n".join(self._block(n) for n in names) + self._unavailable()

    __str__ = table

    def _block(self, loss: str) -> str:
        cols = self.backends
        rows = [["check", *cols]]
        rows += [[check, *(self.entry(loss, check, b) for b in cols)] for check in self.checks]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [f"{loss}  (oracle: {self.references.get(loss, '?')})"]
        for i, r in enumerate(rows):
            lines.append("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
        by_entry: dict[tuple[str, str], list[Outcome]] = {}
        for o in self.failures(loss=loss):
            by_entry.setdefault((o.check, o.backend), []).append(o)
        if by_entry:
            lines.append("failures (the most common reason of each entry, and a cell):")
        for (check, backend), failed in by_entry.items():
            reasons = Counter(o.message for o in failed)
            message, count = reasons.most_common(1)[0]
            cell = next(o.cell for o in failed if o.message == message)
            others = len(reasons) - 1
            also = f"; {others} other reason{'s' * (others > 1)}" if others else ""
            lines.append(_wrap(f"{check} on {backend}, {count} of {len(failed)} failed cells"
                               f"{also} [{cell}]: {message}"))
        skips: dict[str, list[str]] = {}
        for o in self.select("skipped", loss=loss):
            if o.cell == "*" or not self.select("passed", check=o.check, backend=o.backend,
                                                loss=loss):
                skips.setdefault(o.message, [])
                where = f"{o.check} on {o.backend}"
                if where not in skips[o.message]:
                    skips[o.message].append(where)
        if skips:
            lines.append("skipped:")
            lines += [_wrap(f"{', '.join(w)}: {m}") for m, w in skips.items()]
        return "\n".join(lines)

    def _unavailable(self) -> str:
        if not self.unavailable:
            return ""
        return "\n\nnot run here:\n" + "\n".join(_wrap(f"{b}: {why}")
                                                for b, why in self.unavailable.items())


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=100, initial_indent="  ", subsequent_indent="    ",
                         break_long_words=False, break_on_hyphens=False)


def describe(exc: BaseException) -> str:
    """The first line of an exception's message, with its type where it is not an
    assertion (the loss raised it)."""
    text = str(exc).strip().splitlines()
    first = next((line.strip() for line in text if line.strip()), "")
    if isinstance(exc, AssertionError):
        return first or "assertion failed"
    return f"{type(exc).__name__}: {first}"


# --------------------------------------------------------------------------- the run


def run_matrix(specs: Sequence[Spec], *, backends: Iterable[str] | None = None,
               checks: Iterable[str] | None = None, matrix: str = "auto",
               progress: Callable[[str], None] | None = None) -> Report:
    """Every cell of ``checks`` (default: all of :data:`CHECKS`) for ``specs`` on
    ``backends`` (default: every backend the kit knows; those that cannot be loaded here
    are listed as not run, with the reason)."""
    names = list(BACKENDS) if backends is None else list(backends)
    unknown = [b for b in names if b not in BACKENDS]
    if unknown:
        raise ValueError(f"backends: unknown {unknown}; expected names from {list(BACKENDS)}")
    chosen = list(CHECKS) if checks is None else list(checks)
    bad = [c for c in chosen if c not in CHECKS]
    if bad:
        raise ValueError(f"checks: unknown {bad}; expected names from {list(CHECKS)}")
    report = Report(losses=[s.name for s in specs], checks=chosen,
                    references={s.name: s.reference for s in specs})
    for name in names:
        try:
            bks = load_backends(name)
        except BackendUnavailable as exc:
            report.unavailable[name] = str(exc)
            continue
        report.backends.append(name)
        if progress is not None:
            progress(f"{name}: {', '.join(str(b.device_name) for b in bks)}")
        full = full_matrix(matrix, name)
        for bk in bks:
            for check in (CHECKS[c] for c in chosen):
                _run_check(report, check, bk, specs, full)
    return report


def _run_check(report: Report, check: Check, bk: Backend, specs: Sequence[Spec],
               full: bool) -> None:
    why = backend_skip(check, bk)
    for s in specs:
        reason = why or unsupported(s, bk.name, check.needs)
        if reason is not None:
            report.outcomes.append(Outcome(check.name, bk.name, s.name, "*", "skipped", reason))
            continue
        for combo in cells(check, s, bk, full=full):
            report.outcomes.append(_outcome(check, combo))


def _outcome(check: Check, combo: Combo) -> Outcome:
    where = f"{combo.id(False)}" + (f"@{combo.bk.device_name}" if combo.bk.device_name else "")
    try:
        run_cell(check, combo)
    except skip_types() as exc:
        return Outcome(check.name, combo.bk.name, combo.spec.name, where, "skipped",
                       str(getattr(exc, "msg", exc)))
    except Exception as exc:  # a failure: an assertion, or the loss raised
        return Outcome(check.name, combo.bk.name, combo.spec.name, where, "failed",
                       describe(exc), "".join(traceback.format_exception(exc)))
    return Outcome(check.name, combo.bk.name, combo.spec.name, where, "passed")
