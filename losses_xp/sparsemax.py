"""Sparsemax: the sparse projection onto the simplex and its loss.

Conventions shared by this module are stated here as its losses land.
"""

from __future__ import annotations

__all__: list[str] = []
