"""Embedding losses: cosine, triplet and contrastive (NT-Xent, SupCon, InfoNCE, CLIP) losses.

Conventions shared by this module are stated here as its losses land.
"""

from __future__ import annotations

__all__: list[str] = []
