"""The backend × loss support matrix, generated from the declarations.

The documentation's support page (``docs/support.md``) includes :func:`render`'s table,
generated when the site is built.  The README's short form between
``<!-- support-matrix:start -->`` and ``<!-- support-matrix:end -->`` is
:func:`render_summary`'s output; ``test_registry.py`` fails when it is stale, so neither
table is maintained by hand.  Regenerate the README's with::

    python -m conformance.support_matrix --write README.md

Every cell comes from the function's declaration (``losses_xp._declare``): a backend or
transformation it declares unsupported is a ✗ with the declared reason, anything else
is a ✓.  The conformance suite runs exactly that: ``conformance/conftest.py`` skips a
declared exclusion with its reason, and a run whose outcomes disagree with the
declarations (a supported loss that never ran on the session's backend, an excluded one
that did) fails (:func:`disagreements`).  A ✓ thus means: the whole conformance suite
(values against the oracle in every dtype the backend has, reductions, extreme inputs,
and where the backend has them gradients, ``jax.jit`` / ``jax.vmap`` /
``torch.compile(fullgraph=True)``, Dask laziness and array-api-strict's strict mode on
three devices) runs for that loss on that backend in the default ``nox`` sessions.  CuPy
runs the same suite, but only on a CUDA machine (``nox -s "conformance(cupy)"``), so CI
on CPU cannot vouch for it: its cells read GPU.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from losses_xp._declare import Declaration, declarations

from .registry import SPECS

START, END = "<!-- support-matrix:start -->", "<!-- support-matrix:end -->"

#: backends in the order of the table: column title -> backend name
BACKENDS = {
    "NumPy": "numpy",
    "array-api-strict": "array_api_strict",
    "PyTorch": "torch",
    "JAX": "jax",
    "Dask": "dask",
    "CuPy": "cupy",
}
#: backends that CI on a CPU machine cannot run (their supported cells read this)
GPU_ONLY = {"cupy": "GPU"}


def cell(decl: Declaration, backend: str) -> str:
    """A declaration's cell for one backend: ✓, GPU, or ✗ (why) for an exclusion."""
    if not decl.supports(backend):
        return f"✗ ({decl.reason(backend)})".replace("|", "\\|")
    return GPU_ONLY.get(backend, "✓")


def _names(decl: Declaration) -> str:
    aliases = ", ".join(f"`{a}`" for a in decl.aliases)
    return f"`{decl.name}`" + (f" (alias {aliases})" if aliases else "")


def _by_module() -> dict[str, list[Declaration]]:
    out: dict[str, list[Declaration]] = {}
    for decl in sorted(declarations().values(), key=lambda d: (d.fn.__module__, d.name)):
        out.setdefault(decl.fn.__module__, []).append(decl)
    return out


def render() -> str:
    """The Markdown table, one row per declared function (aliases named in its row)."""
    head = ["loss", "module", *BACKENDS, "reductions", "autodiff", "oracle"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for decls in _by_module().values():
        for decl in decls:
            grad = "✓" if decl.supports("grad") else "- (metric)"
            cells = [_names(decl), decl.module, *(cell(decl, b) for b in BACKENDS.values()),
                     ", ".join(decl.reductions) or "-", grad,
                     SPECS[decl.name].reference.replace("|", "\\|")]
            lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("✓: the whole conformance suite passes on that backend in the default `nox` "
                 "sessions (CPU; every case in every dtype and reduction: their whole "
                 "product on NumPy, every pair of them elsewhere, [Time](testing.md#time)). "
                 "GPU: the same suite, run only on a CUDA machine "
                 "(`nox -s \"conformance(cupy)\"`). ✗: excluded by the function's "
                 "declaration, for the reason given. Generated from the declarations "
                 "(`conformance/support_matrix.py`).")
    return "\n".join(lines)


def _summary_cell(decls: Iterable[Declaration], backend: str) -> str:
    excluded = [d for d in decls if not d.supports(backend)]
    if not excluded:
        return GPU_ONLY.get(backend, "✓")
    names = ", ".join(f"`{d.name}`" for d in excluded)
    return f"{GPU_ONLY.get(backend, '✓')} but {names}"


def render_summary() -> str:
    """The README's short form: one row per module, its functions and the backends."""
    head = ["module", "functions", *BACKENDS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    count = 0
    for module, decls in _by_module().items():
        names = sorted([d.name for d in decls] + [a for d in decls for a in d.aliases])
        count += len(names)
        cells = [f"`{module}`", ", ".join(f"`{n}`" for n in names),
                 *(_summary_cell(decls, b) for b in BACKENDS.values())]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"{count} functions. ✓: the whole conformance suite passes on that backend "
                 "in the default `nox` sessions (CPU); GPU: run only on a CUDA machine. Per "
                 "function, with reductions and the independent oracle each is checked "
                 "against: [docs/support.md](docs/support.md). Generated by "
                 "`python -m conformance.support_matrix --write README.md`.")
    return "\n".join(lines)


def disagreements(backend: str, outcomes: Mapping[str, Mapping[str, int]]) -> list[str]:
    """Where a conformance run on ``backend`` disagrees with the declarations.

    ``outcomes``: loss name -> counts of its matrix tests by outcome (``passed``,
    ``failed``, ``skipped``).  A loss declared supported must have run (some test passed
    or failed: a failure is reported by pytest itself); a loss declared unsupported on
    the backend must have run nothing.
    """
    problems = []
    for name, decl in declarations().items():
        seen = outcomes.get(name, {})
        ran = seen.get("passed", 0) + seen.get("failed", 0)
        if decl.supports(backend) and not ran:
            problems.append(f"{name} is declared to support {backend}, but none of its "
                            f"matrix tests ran ({dict(seen) or 'none collected'})")
        if not decl.supports(backend) and ran:
            problems.append(f"{name} is declared unsupported on {backend} "
                            f"({decl.reason(backend)}), but {ran} of its matrix tests ran")
    return problems


def replace_block(text: str, table: str) -> str:
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"no {START} ... {END} block found")
    return pattern.sub(lambda _: f"{START}\n{table}\n{END}", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="FILE", help="replace the block in FILE")
    parser.add_argument("--summary", action="store_true",
                        help="the README's short form (implied by --write README.md)")
    args = parser.parse_args(argv)
    summary = args.summary or (args.write is not None and Path(args.write).name == "README.md")
    table = render_summary() if summary else render()
    if args.write:
        path = Path(args.write)
        path.write_text(replace_block(path.read_text(encoding="utf-8"), table),
                        encoding="utf-8")
    else:
        sys.stdout.write(table + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
