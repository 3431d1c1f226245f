"""The migration guides (docs/migration/) cover every loss each peer library shares with us.

Each function's declaration (``peers=`` of ``@declare``) says which peer has it, under
which names; the tests check that each page mentions both sides of every pair and that
every public function is on some page or, deliberately, has no peer (its declaration's
``no_peer`` says why).  Plain text checks: nothing here imports the peer libraries.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import losses_xp as lx
from losses_xp._declare import PEER_PAGES, declarations

MIGRATION = Path(__file__).resolve().parents[1] / "docs" / "migration"


def _peers() -> dict[str, dict[str, tuple[str, ...]]]:
    """page -> {losses_xp function (aliases too): the peer's names for it}: every
    declaration's ``peers`` (``losses_xp._declare``)."""
    out: dict[str, dict[str, tuple[str, ...]]] = {f"{p}.md": {} for p in PEER_PAGES}
    for decl in declarations().values():
        for page, names in decl.peers.items():
            for public in (decl.name, *decl.aliases):
                out[f"{page}.md"][public] = names
    return out


PEERS = _peers()
#: public functions that none of the peers has (their declaration says why)
NO_PEER = {d.name for d in declarations().values() if not d.peers}

PUBLIC = {name for name in lx.__all__ if name not in lx._NOT_LOSSES}


@pytest.mark.parametrize("page", sorted(PEERS))
def test_page_names_both_sides_of_every_pair(page: str) -> None:
    text = (MIGRATION / page).read_text(encoding="utf-8")
    for ours, theirs in PEERS[page].items():
        assert ours in lx.__all__, f"{page}: {ours} is not in losses_xp.__all__"
        assert re.search(rf"losses_xp\.{ours}\b", text), f"{page} never names losses_xp.{ours}"
        for name in theirs:
            assert name in text, f"{page} maps losses_xp.{ours} to {name} but never names it"


def test_every_public_function_is_mapped_or_has_no_peer() -> None:
    mapped = {name for pairs in PEERS.values() for name in pairs}
    assert NO_PEER <= PUBLIC, NO_PEER - PUBLIC
    assert not mapped & NO_PEER, mapped & NO_PEER
    assert sorted(PUBLIC - mapped - NO_PEER) == []


def test_index_lists_every_page() -> None:
    index = (MIGRATION / "index.md").read_text(encoding="utf-8")
    toctree = index.split("```{toctree}")[1].split("```")[0].splitlines()
    entries = [line.strip() for line in toctree if line.strip() and not line.startswith(":")]
    assert sorted(entries) == sorted(page.removesuffix(".md") for page in PEERS)
