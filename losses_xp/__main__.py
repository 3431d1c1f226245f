"""Command line of losses_xp: ``python -m losses_xp <command>``.

Commands:

``check``
    Run every loss on every installed array library (numpy, array_api_strict, torch, jax,
    dask, cupy) against the NumPy float64 reference and print a loss × backend matrix
    (max relative deviation, compiled path, time per call); exit 1 on any disagreement.
    See ``losses_xp/_check.py``.  ``check --module mypkg.losses`` runs the conformance kit
    (``losses_xp.testing``) over a project's own declared losses instead.
``bench``
    Time every loss that has a native counterpart (PyTorch eager and torch.compile, optax
    under jax.jit, NumPy formulas, scikit-learn metrics) against it, interleaved in one
    process, from 1e2 to 1e7 elements, forward and forward+backward; write
    ``results.md``, ``results.json`` and ``ratios.png`` with the ratio ours/native per case
    and whether it meets its performance target (the largest ratio that counts as met, per
    backend and size: docs/benchmarks.md), and print a short summary.  See
    ``losses_xp/_bench/``.
``vendor DEST``
    Copy the package into ``DEST/<name>`` with a copy of the array-api-compat it uses in
    ``<name>/_vendor/array_api_compat``, so that a project can ship it inside its own tree
    (the package uses relative imports only; ``_compat.py`` prefers the vendored copy).
    ``<name>/VENDORED.txt`` records the versions and the licenses, and the license texts
    that are available are copied beside the code.
``version``
    Print the version.

Only relative imports: this module also works in a vendored copy under another name.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from ._version import __version__

_PACKAGE = __package__ or "losses_xp"
# array-api-compat's license (MIT, every release), shipped in the package: its wheels carry
# no license file, and a vendored copy must carry the notice
_AAC_LICENSE = "array-api-compat-MIT.txt"


def _vendor(args: argparse.Namespace) -> int:
    from . import _compat  # the one module that knows which array-api-compat is in use

    source = Path(__file__).resolve().parent
    name = args.name or source.name
    if not name.isidentifier():
        print(f"error: --name must be a Python identifier; got {name!r}", file=sys.stderr)
        return 2
    dest = Path(args.dest).resolve() / name
    # before anything is deleted: --force must never remove the source being copied
    if source == dest or source in dest.parents or dest in source.parents:
        print(f"error: cannot vendor {source} into itself ({dest})", file=sys.stderr)
        return 2
    if dest.exists():
        if not args.force:
            print(f"error: {dest} exists (pass --force to replace it)", file=sys.stderr)
            return 1
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(
        "__pycache__", "*.pyc", "*.pyo", "_vendor"))
    notes = [f"{name}: a vendored copy of losses_xp {__version__} "
             f"(`python -m losses_xp vendor`), license BSD-3-Clause: "
             + _copy_license(_own_license(source), dest / "LICENSE")]
    if not args.without_compat:
        aac = vars(_compat)["_aac"]
        compat_dir = Path(aac.__file__).resolve().parent
        vendor_dir = dest / "_vendor"
        vendor_dir.mkdir()
        (vendor_dir / "__init__.py").write_text(
            '"""Vendored dependencies of this copy of losses_xp."""\n', encoding="utf-8")
        shutil.copytree(compat_dir, vendor_dir / "array_api_compat", ignore=shutil.ignore_patterns(
            "__pycache__", "*.pyc", "*.pyo", "tests", "vendor_tests"))
        license_name, license_file = _dist_license("array-api-compat")
        if license_file is None:  # its wheels ship no license file: the notice we ship
            license_name, license_file = "MIT", source / "_licenses" / _AAC_LICENSE
        notes.append(f"_vendor/array_api_compat: array-api-compat {aac.__version__}, license "
                     f"{license_name}: " + _copy_license(
                         license_file, vendor_dir / "array_api_compat" / "LICENSE"))
    else:
        notes.append("array-api-compat: not vendored; the installed one is used.")
    (dest / "VENDORED.txt").write_text("\n".join(notes) + "\n", encoding="utf-8")
    print(f"vendored {_PACKAGE} {__version__} into {dest}"
          + ("" if args.without_compat else f" with array-api-compat from {compat_dir}"))
    for note in notes:
        if "NOT FOUND" in note:
            print(f"warning: {note}", file=sys.stderr)
    return 0


def _own_license(source: Path) -> Path | None:
    """losses_xp's license text: in a vendored copy, a source checkout or the install."""
    for candidate in (source / "LICENSE", source.parent / "LICENSE"):
        if candidate.is_file() and "BSD" in candidate.read_text(encoding="utf-8")[:200]:
            return candidate
    return _dist_license("losses_xp")[1]


def _dist_license(dist: str) -> tuple[str, Path | None]:
    """The license expression and license file of an installed distribution."""
    try:
        meta = importlib.metadata.distribution(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown", None
    fields = meta.metadata  # get_all: a missing field is None (no KeyError, no warning)
    name = next(iter(fields.get_all("License-Expression") or fields.get_all("License")
                      or ["unknown"]))
    for f in meta.files or ():
        if Path(str(f)).name.upper().startswith(("LICENSE", "LICENCE", "COPYING")):
            return name, Path(str(meta.locate_file(f)))
    return name, None


def _copy_license(found: Path | None, target: Path) -> str:
    if found is None:
        return ("license text NOT FOUND where this command looked (the distribution ships "
                "none): add it beside the code before redistributing.")
    shutil.copyfile(found, target)
    return f"text in {target.name}."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m {_PACKAGE}",
        description="losses_xp: loss functions for every array-API library.")
    parser.add_argument("--version", action="version", version=f"{_PACKAGE} {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.required = True

    from . import _check

    check = sub.add_parser(
        "check", help="every loss on every installed backend vs the NumPy float64 reference",
        description=(_check.__doc__ or "").split("\n\n")[1])
    _check.add_arguments(check)
    check.set_defaults(func=_check.run)

    from . import _bench

    bench = sub.add_parser(
        "bench", help="time every loss against its native counterpart (PyTorch, JAX/optax, "
                      "NumPy, scikit-learn)",
        description=(_bench.__doc__ or "").split("\n\n")[1])
    _bench.add_arguments(bench)
    bench.set_defaults(func=_bench.run)

    vendor = sub.add_parser("vendor", help="copy the package (and array-api-compat) into DEST")
    vendor.add_argument("dest", help="the folder that receives the package")
    vendor.add_argument("--name", help="the package's name there (default: losses_xp)")
    vendor.add_argument("--without-compat", action="store_true",
                        help="do not copy array-api-compat (the installed one is then used)")
    vendor.add_argument("--force", action="store_true", help="replace an existing copy")
    vendor.set_defaults(func=_vendor)

    version = sub.add_parser("version", help="print the version")
    version.set_defaults(func=lambda _args: print(f"{_PACKAGE} {__version__}") or 0)
    return parser


def quiet_torch_cuda_probe() -> None:
    """Silence PyTorch's "No CUDA runtime is found, using CUDA_HOME=..." line.

    A CUDA build of PyTorch (what ``pip install torch`` gives) on a machine without a GPU
    logs it once, when ``torch.compile``'s inductor imports ``torch.utils.cpp_extension``:
    noise in ``check`` and ``bench``, which compile on the CPU on purpose and say which
    device they use.  Only these commands do this; importing losses_xp leaves PyTorch's
    logging alone (docs/getting_started.md says how to silence it in your own program).
    """
    import logging

    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("check", "bench"):
        quiet_torch_cuda_probe()
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
