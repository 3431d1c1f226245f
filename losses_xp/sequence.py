"""Sequence losses: connectionist temporal classification (CTC).

Conventions shared by this module are stated here as its losses land.
"""

from __future__ import annotations

__all__: list[str] = []
