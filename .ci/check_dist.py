"""Check the built wheel and sdist (run by ``nox -s package`` after ``twine check``).

    python .ci/check_dist.py dist/losses_xp-X-py3-none-any.whl dist/losses_xp-X.tar.gz

The version in both file names and in the wheel's METADATA is the one in
``losses_xp/_version.py`` (its single source); the wheel ships ``py.typed``, the package's
modules and nothing else (no tests, no conformance suite, no vendored array-api-compat);
the sdist has what is needed to rebuild and test (tests, conformance suite, docs,
noxfile, constraints, license).
"""

from __future__ import annotations

import re
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(wheel: str, sdist: str) -> int:
    version = re.search(r'__version__\s*=\s*"([^"]+)"',
                        (ROOT / "losses_xp" / "_version.py").read_text())
    assert version, "no __version__ in losses_xp/_version.py"
    want = version.group(1)
    errors: list[str] = []

    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode())
    if meta["Version"] != want:
        errors.append(f"wheel METADATA Version {meta['Version']!r} != _version.py {want!r}")
    if f"-{want}-" not in Path(wheel).name:
        errors.append(f"wheel file name {Path(wheel).name} lacks version {want}")
    for required in ("losses_xp/py.typed", "losses_xp/__init__.py", "losses_xp/__main__.py",
                     "losses_xp/_bench/pairs.py", "losses_xp/_testing/declared.py",
                     "losses_xp/testing/_checks.py",  # (the public conformance kit)
                     "losses_xp/_licenses/array-api-compat-MIT.txt"):  # (vendor copies it)
        if required not in names:
            errors.append(f"wheel lacks {required}")
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        errors.append("wheel lacks the LICENSE file")
    stray = [n for n in names if not (n.startswith("losses_xp/") or ".dist-info/" in n)
             or n.startswith("losses_xp/_vendor/") or n.endswith(".pyc")]
    if stray:
        errors.append(f"wheel has files outside the package: {stray[:5]}")
    if meta["Requires-Python"] != ">=3.10":
        errors.append(f"wheel Requires-Python is {meta['Requires-Python']!r}")

    with tarfile.open(sdist) as tf:
        members = {m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name}
    if f"losses_xp-{want}" not in Path(sdist).name:
        errors.append(f"sdist file name {Path(sdist).name} lacks version {want}")
    for required in ("pyproject.toml", "README.md", "LICENSE", "noxfile.py",
                     "constraints/ci.txt", "losses_xp/py.typed", "tests/test_package.py",
                     "conformance/registry.py", "docs/conf.py"):
        if required not in members:
            errors.append(f"sdist lacks {required}")

    for e in errors:
        print(f"check_dist: {e}", file=sys.stderr)
    if not errors:
        print(f"check_dist: wheel and sdist of losses_xp {want} are complete "
              f"({len(names)} files in the wheel, {len(members)} in the sdist)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
