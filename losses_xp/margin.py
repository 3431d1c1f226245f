"""Margin and hinge losses: binary and multi-class hinges, soft margins, margin ranking.

Conventions shared by this module are stated here as its losses land.
"""

from __future__ import annotations

__all__: list[str] = []
