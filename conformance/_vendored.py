"""Run the conformance suite against a vendored copy of losses_xp (``nox -s vendor``).

``LOSSES_XP_IMPORT=myproject._vendor.losses_xp`` makes ``import losses_xp`` (and every
``losses_xp.<module>``) in this process return that copy's modules, so the suite tests
the vendored files, which import each other relatively and use their own bundled
array-api-compat.  :func:`alias` must run before anything imports ``losses_xp``;
``conftest.py`` calls it first.  Without the variable nothing changes.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

ENV_VAR = "LOSSES_XP_IMPORT"
NAME = "losses_xp"


def alias() -> str | None:
    """Register the copy named by ``$LOSSES_XP_IMPORT`` as ``losses_xp``; its name or None."""
    target = os.environ.get(ENV_VAR, "").strip()
    if not target or target == NAME:
        return None
    loaded = sys.modules.get(NAME)
    if loaded is not None and loaded.__name__ != target:
        raise RuntimeError(f"{NAME} was imported from {loaded.__file__} before "
                           f"${ENV_VAR}={target} could replace it")
    package = importlib.import_module(target)
    sys.modules[NAME] = package
    framework_modules = importlib.import_module(f"{target}._adapters").FRAMEWORK_MODULES
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{target}."):
        suffix = info.name[len(target):]
        # the bundled array-api-compat imports every backend's adapter; __main__ runs a CLI
        if suffix.startswith("._vendor") or suffix.endswith("__main__"):
            continue
        if suffix[1:] in framework_modules:  # imports a framework (imported where used)
            continue
        sys.modules[NAME + suffix] = importlib.import_module(info.name)
    return target
