"""Payouts: statuses, the transition table, and the payout's public shape.

The table is the single source of truth for which PATCH moves are allowed
(ebs-contract.md §5.5, decisions.md "Payouts"). ``Expired`` is reached only
through the 24 h sweep.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from mgm_core.errors import ErrorCode, Refusal

EXPIRY_AGE = timedelta(hours=24)


class PayoutStatus(StrEnum):
    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    SENT = "Sent"
    FAILED = "Failed"
    CANCELLED = "Cancelled"
    EXPIRED = "Expired"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL

    @property
    def is_active(self) -> bool:
        return self in ACTIVE

    @classmethod
    def parse(cls, value: object, field: str = "status") -> PayoutStatus:
        """Any casing of a status name, or its ordinal (Pending 0 … Expired 5)."""
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON's 2.0 is the integer 2
        if isinstance(value, int) and not isinstance(value, bool):
            members = list(cls)
            if 0 <= value < len(members):
                return members[value]
        elif isinstance(value, str):
            wanted = value.strip().replace("_", "").lower()
            for member in cls:
                if member.value.lower() == wanted:
                    return member
        allowed = ", ".join(m.value for m in cls)
        raise Refusal(
            ErrorCode.INVALID_PAYLOAD,
            f"{field} must be one of {allowed}",
            {"field": field, "allowed": allowed},
        )


TERMINAL = frozenset({PayoutStatus.SENT, PayoutStatus.FAILED, PayoutStatus.CANCELLED, PayoutStatus.EXPIRED})
ACTIVE = frozenset({PayoutStatus.PENDING, PayoutStatus.IN_PROGRESS})

TRANSITIONS: dict[PayoutStatus, frozenset[PayoutStatus]] = {
    PayoutStatus.PENDING: frozenset({PayoutStatus.IN_PROGRESS, PayoutStatus.FAILED, PayoutStatus.CANCELLED}),
    PayoutStatus.IN_PROGRESS: frozenset(
        {PayoutStatus.SENT, PayoutStatus.FAILED, PayoutStatus.CANCELLED, PayoutStatus.PENDING}
    ),
}


def check_transition(current: PayoutStatus, target: PayoutStatus) -> bool:
    """Whether a PATCH from ``current`` to ``target`` changes anything.

    Returns ``False`` for a move to the status the payout already has (a
    harmless replay), ``True`` for an allowed move, and raises ``409`` otherwise.
    """
    if current == target:
        return False
    if current.is_terminal:
        raise Refusal(
            ErrorCode.TERMINAL_STATUS_CHANGE_NOT_ALLOWED,
            f"the payout is {current} and can no longer change",
            {"from": current.value, "to": target.value},
        )
    if target not in TRANSITIONS.get(current, frozenset()):
        raise Refusal(
            ErrorCode.INVALID_TRANSITION,
            f"a payout cannot move from {current} to {target}",
            {"from": current.value, "to": target.value},
        )
    return True


class PayoutEventType(StrEnum):
    CREATED = "PayoutCreated"
    STATUS_CHANGED = "PayoutStatusChanged"
    ACCEPTANCE_RECORDED = "WinnerAcceptanceRecorded"
    ANNOUNCEMENT_SUCCEEDED = "HelixRewardSentAnnouncementSucceeded"


@dataclass(frozen=True)
class Payout:
    id: uuid.UUID
    twitch_user_id: str
    twitch_display_name: str
    character_name: str
    gold_amount: int
    enrollment_request_id: str
    status: PayoutStatus
    spin_cycle_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    winner_accepted_at: datetime | None
    is_reward_sent_announced_to_chat: bool


@dataclass(frozen=True)
class PayoutEvent:
    id: int
    payout_id: uuid.UUID
    type: PayoutEventType
    from_status: PayoutStatus | None
    to_status: PayoutStatus | None
    data: dict[str, object]
    occurred_at: datetime


@dataclass(frozen=True)
class Transition:
    """A committed status change, as observers see it."""

    payout: Payout
    old_status: PayoutStatus
    new_status: PayoutStatus
    event: PayoutEvent


def spin_enrollment_request_id(spin_cycle_id: uuid.UUID) -> str:
    """The seed's enrollment id for a payout won in a spin: ``spin:`` + 32 hex digits."""
    return "spin:" + spin_cycle_id.hex
