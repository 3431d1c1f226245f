"""The matrix as a parametrized pytest test (:func:`losses_xp.testing.conformance`).

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from .._testing.backends import BACKENDS, BackendUnavailable
from ._cells import Combo
from ._checks import CHECKS
from ._matrix import backend_skip, cells, full_matrix, unsupported
from ._run import load_backends, run_cell
from ._spec import Spec


def _skip(reason: str, id: str) -> Any:
    return pytest.param(None, None, marks=pytest.mark.skip(reason=reason), id=id)


def parametrized_test(specs: Sequence[Spec], *, backends: Iterable[str] | None,
                      checks: Iterable[str] | None, matrix: str) -> Any:
    names = list(BACKENDS) if backends is None else list(backends)
    chosen = list(CHECKS) if checks is None else list(checks)
    bad = [b for b in names if b not in BACKENDS] + [c for c in chosen if c not in CHECKS]
    if bad:
        raise ValueError(f"unknown backends or checks {bad}; backends: {list(BACKENDS)}, "
                         f"checks: {list(CHECKS)}")
    params: list[Any] = []
    for name in names:
        try:
            bks = load_backends(name)
        except BackendUnavailable as exc:
            params.append(_skip(str(exc), f"{name}-unavailable"))
            continue
        full = full_matrix(matrix, name)
        for bk in bks:
            label = bk.label.replace("[", "-").replace("]", "")
            for check in (CHECKS[c] for c in chosen):
                why = backend_skip(check, bk)
                if why is not None:
                    params.append(_skip(why, f"{check.name}-{label}-skipped"))
                    continue
                for s in specs:
                    reason = unsupported(s, bk.name, check.needs)
                    if reason is not None:
                        params.append(_skip(reason, f"{check.name}-{label}-{s.name}"))
                        continue
                    params += [pytest.param(check.name, c, id=f"{check.name}-{label}-{c.id(False)}")
                               for c in cells(check, s, bk, full=full)]

    @pytest.mark.parametrize(("losses_xp_check", "losses_xp_cell"), params)
    def test_conformance(losses_xp_check: str, losses_xp_cell: Combo) -> None:
        run_cell(CHECKS[losses_xp_check], losses_xp_cell)

    return test_conformance
