"""``python -m losses_xp check --module mypkg.losses``: the kit over a module's losses.

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from .._declare import ATTRIBUTE
from .._testing.backends import BACKENDS
from ._checks import CHECKS
from ._spec import Spec

__all__ = ["module_specs", "run_module"]


def _specs_in(value: Any) -> Iterable[Spec]:
    if isinstance(value, Spec):
        yield value
    elif isinstance(value, dict):
        yield from (v for v in value.values() if isinstance(v, Spec))
    elif isinstance(value, (list, tuple)):
        yield from (v for v in value if isinstance(v, Spec))


def module_specs(name: str) -> list[Spec]:
    """Every spec of module ``name`` (an attribute that is a :class:`Spec`, or a dict,
    list or tuple of them), then every function declared in it that no spec covers (its
    own oracle: NumPy float64; see :func:`losses_xp.testing.spec`), by name.

    Raises
    ------
    ValueError
        When the module has neither.
    """
    from . import spec

    module = importlib.import_module(name)
    found: dict[int, Spec] = {}
    for value in vars(module).values():
        for s in _specs_in(value):
            found.setdefault(id(s), s)
    covered = {id(s.decl.fn) for s in found.values()}
    for value in vars(module).values():
        if (callable(value) and getattr(value, ATTRIBUTE, None) is not None
                and getattr(value, "__module__", None) == module.__name__
                and id(value) not in covered):
            s = spec(value)
            found[id(s)] = s
    if not found:
        raise ValueError(f"module {name!r} has no spec (losses_xp.testing.spec) and no "
                         "function declared with losses_xp.testing.declare")
    return sorted(found.values(), key=lambda s: s.name)


def _names(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


def run_module(args: Any, out: TextIO, err: TextIO) -> int:
    """Run the kit over ``args.module``; print the report; 0 when every cell passed, 1
    when one failed or a backend named in ``--backends`` cannot run here, 2 on a usage
    error."""
    from . import check

    backends = _names(args.backends)
    checks = _names(getattr(args, "checks", None))
    unknown = [b for b in backends or () if b not in BACKENDS]
    unknown += [c for c in checks or () if c not in CHECKS]
    if unknown:
        print(f"error: unknown backend(s) or check(s) {unknown}; backends: "
              f"{', '.join(BACKENDS)}; checks: {', '.join(CHECKS)}", file=err)
        return 2
    sys.path.insert(0, "")  # (the current directory, as `python -m` itself does)
    try:
        specs = module_specs(args.module)
    except (ImportError, ValueError) as exc:
        print(f"error: {exc}", file=err)
        return 2
    wanted = _names(args.losses)
    if wanted is not None:
        missing = sorted(set(wanted) - {s.name for s in specs})
        if missing:
            print(f"error: {args.module} has no loss {missing}; it has "
                  f"{[s.name for s in specs]}", file=err)
            return 2
        specs = [s for s in specs if s.name in wanted]
    start = time.perf_counter()
    progress: Callable[[str], None] = lambda line: print(  # noqa: E731
        f"[{time.perf_counter() - start:5.1f} s] {line}", file=err, flush=True)
    report = check(*specs, backends=backends, checks=checks, matrix=args.matrix,
                   progress=progress)
    print(report.table(), file=out)
    missing_backends = [b for b in backends or () if b in report.unavailable]
    print(f"\n{len(report.select('passed'))} cells passed, {len(report.failures())} failed, "
          f"{len(report.select('skipped'))} skipped in {time.perf_counter() - start:.0f} s",
          file=out)
    return 0 if report.ok and not missing_backends else 1
