"""Prize and cap arithmetic (ebs-contract.md §5.3, scenarios.md D11)."""

from __future__ import annotations

GOLD_PER_WIN = 1_000
COPPER_PER_GOLD = 10_000
LIFETIME_CAP_GOLD = 10_000


def gold_to_copper(gold: int) -> int:
    return gold * COPPER_PER_GOLD


def reaches_lifetime_cap(sent_gold: int, prize_gold: int = GOLD_PER_WIN) -> bool:
    """True when one more prize would take the viewer's Sent total past the cap."""
    return sent_gold + prize_gold > LIFETIME_CAP_GOLD
