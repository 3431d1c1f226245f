"""Segmentation losses: overlap (Dice, Tversky, Jaccard, generalized Dice) and Lovász losses.

Conventions shared by this module are stated here as its losses land.
"""

from __future__ import annotations

__all__: list[str] = []

# --- overlap losses: dice_loss, tversky_loss, jaccard_loss, generalized_dice_loss --------------

# (overlap losses go above this line)







# --- Lovász losses: lovasz_hinge_loss, lovasz_softmax_loss -------------------------------------

# (Lovász losses go above this line)
