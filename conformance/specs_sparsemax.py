"""Conformance specs of ``losses_xp.sparsemax`` (see ``conformance/registry.py`` for the fields)."""

from __future__ import annotations

from .registry import Spec

SPECS: list[Spec] = []
