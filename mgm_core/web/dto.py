"""JSON shapes of domain objects (camelCase, as the seed's clients read them)."""

from __future__ import annotations

from typing import Any

from mgm_core.domain.payouts import Payout, PayoutEvent
from mgm_core.store.outbox import Delivery
from mgm_core.web.wire import iso


def payout_dto(payout: Payout) -> dict[str, Any]:
    return {
        "id": str(payout.id),
        "twitchUserId": payout.twitch_user_id,
        "twitchDisplayName": payout.twitch_display_name,
        "characterName": payout.character_name,
        "goldAmount": payout.gold_amount,
        "enrollmentRequestId": payout.enrollment_request_id,
        "status": payout.status.value,
        "createdAt": iso(payout.created_at),
        "isRewardSentAnnouncedToChat": payout.is_reward_sent_announced_to_chat,
    }


def payout_detail_dto(payout: Payout) -> dict[str, Any]:
    """The Desktop's view: the DTO plus acceptance and bookkeeping fields."""
    return {
        **payout_dto(payout),
        "spinCycleId": str(payout.spin_cycle_id) if payout.spin_cycle_id else None,
        "updatedAt": iso(payout.updated_at),
        "winnerAcceptedWillingToReceiveAt": iso(payout.winner_accepted_at),
    }


def event_dto(event: PayoutEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "payoutId": str(event.payout_id),
        "type": event.type.value,
        "fromStatus": event.from_status.value if event.from_status else None,
        "toStatus": event.to_status.value if event.to_status else None,
        "data": event.data,
        "occurredAt": iso(event.occurred_at),
    }


def delivery_dto(delivery: Delivery) -> dict[str, Any]:
    """One notification channel's outbox row: ``uncertain`` asks an operator to decide."""
    return {
        "channel": delivery.channel,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "detail": delivery.detail,
    }
