"""Conformance specs of ``losses_xp.segmentation`` (see ``conformance/registry.py``)."""

from __future__ import annotations

from .registry import Spec

SPECS: list[Spec] = []
