"""Pool rules: who may hold a row, and which refusal applies first.

The store gathers :class:`EnrollmentFacts` under the pool lock; the rules here
decide. Nothing in this module knows about SQL or HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mgm_core.domain.economics import reaches_lifetime_cap
from mgm_core.errors import ErrorCode, Refusal

DEFAULT_SUBSCRIBER_BADGES = frozenset({"subscriber", "founder"})


@dataclass(frozen=True)
class Viewer:
    """A Twitch viewer as the EBS knows them."""

    twitch_user_id: str
    display_name: str


@dataclass(frozen=True)
class PoolEntry:
    twitch_user_id: str
    twitch_display_name: str
    character_name: str


@dataclass(frozen=True)
class EnrollmentFacts:
    """What the pool rules need to know about a viewer and a name, read in one transaction."""

    has_active_payout: bool
    sent_gold: int
    name_holder: str | None  # twitch user id of whoever holds the name (any letter case)


def check_enrollment(viewer: Viewer, facts: EnrollmentFacts) -> None:
    """Raise the first :class:`Refusal` that applies, in the contract's order."""
    if facts.has_active_payout:
        raise Refusal(
            ErrorCode.ACTIVE_PAYOUT_EXISTS,
            "the viewer already has a payout waiting to be delivered",
        )
    if reaches_lifetime_cap(facts.sent_gold):
        raise Refusal(ErrorCode.LIFETIME_CAP_REACHED, "the viewer has reached the lifetime gold cap")
    if facts.name_holder is not None and facts.name_holder != viewer.twitch_user_id:
        raise Refusal(
            ErrorCode.CHARACTER_NAME_TAKEN_IN_POOL,
            "another viewer has already entered this character name",
        )


def has_subscriber_badge(badge_set_ids: Iterable[str], counted: frozenset[str]) -> bool:
    """True when any chat badge marks a channel subscriber (``premium`` is Prime, not a sub)."""
    return any(set_id.lower() in counted for set_id in badge_set_ids)
