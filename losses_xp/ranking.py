"""Learning-to-rank losses: listwise (ListNet, ListMLE) and pairwise (RankNet) losses.

Conventions shared by this module are stated here as its losses land.
"""

from __future__ import annotations

__all__: list[str] = []
