"""The pages' examples (``pytest --doctest-glob='*.md' docs/...``) import the example
modules of ``docs/examples`` by name, as a project imports its own losses module."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "examples"))
