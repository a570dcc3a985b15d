"""Enrollment transactions: chat (`!twgold`) and Extension claim.

Each runs in one transaction under the pool lock, reads the facts, lets the
domain rules decide, then writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import asyncpg

from mgm_core.domain.pool import Viewer, check_enrollment
from mgm_core.errors import ErrorCode, Refusal
from mgm_core.store import pool, viewers
from mgm_core.store.database import Database


class ChatOutcome(StrEnum):
    """What became of one chat delivery (logged; EventSub always answers 2xx)."""

    ENROLLED = "enrolled"
    REPLAY = "replay"
    IGNORED = "ignored"
    REFUSED = "refused"


@dataclass(frozen=True)
class ChatDelivery:
    delivery_id: str | None  # Twitch-Eventsub-Message-Id
    message_id: str | None  # event.message_id


@dataclass(frozen=True)
class Claim:
    enrollment_request_id: str
    character_name: str
    created: bool  # False when this was a replay of an earlier claim


async def _record_delivery(conn: asyncpg.Connection, delivery: ChatDelivery, now: datetime) -> bool:
    """Record both ids; False when either was seen before (a replay)."""
    fresh = True
    for kind, key in (("delivery", delivery.delivery_id), ("message", delivery.message_id)):
        if not key:
            continue
        inserted = await conn.fetchval(
            "INSERT INTO chat_deliveries_seen (kind, id, seen_at) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING RETURNING true",
            kind,
            key,
            now,
        )
        fresh = fresh and bool(inserted)
    return fresh


async def remember_chat_delivery(db: Database, delivery: ChatDelivery, now: datetime) -> bool:
    """Record a delivery that enrolls nobody; False when it is a replay."""
    async with db.transaction() as conn:
        return await _record_delivery(conn, delivery, now)


async def enroll_from_chat(
    db: Database, delivery: ChatDelivery, viewer: Viewer, character_name: str, now: datetime
) -> tuple[ChatOutcome, str]:
    """Enroll from a chat command that passed parsing, badge and name checks.

    Returns the outcome and a reason for the log. Refusals are silent by design:
    the chat sender gets no answer and Twitch must see a 2xx.
    """
    async with db.transaction() as conn:
        if not await _record_delivery(conn, delivery, now):
            return ChatOutcome.REPLAY, "delivery or message id seen before"
        pool_size = await pool.lock(conn)
        facts = await viewers.enrollment_facts(conn, viewer, character_name)
        try:
            check_enrollment(viewer, facts)
        except Refusal as refusal:
            return ChatOutcome.REFUSED, refusal.code.value
        await pool.put(conn, viewer, character_name, source="chat", now=now, pool_size=pool_size)
        return ChatOutcome.ENROLLED, "enrolled"


async def claim(
    db: Database, viewer: Viewer, character_name: str, enrollment_request_id: str, now: datetime
) -> Claim:
    """Enroll through the Extension; idempotent per ``enrollment_request_id``."""
    async with db.transaction() as conn:
        pool_size = await pool.lock(conn)
        earlier = await conn.fetchrow(
            "SELECT twitch_user_id, character_name FROM enrollment_requests WHERE enrollment_request_id = $1",
            enrollment_request_id,
        )
        if earlier is not None:
            if earlier["twitch_user_id"] != viewer.twitch_user_id:
                raise Refusal(
                    ErrorCode.DUPLICATE_ENROLLMENT,
                    "this enrollmentRequestId was already used by another viewer",
                    {"field": "enrollmentRequestId"},
                )
            return Claim(enrollment_request_id, earlier["character_name"], created=False)
        facts = await viewers.enrollment_facts(conn, viewer, character_name)
        check_enrollment(viewer, facts)
        await pool.put(conn, viewer, character_name, source="claim", now=now, pool_size=pool_size)
        await conn.execute(
            """
            INSERT INTO enrollment_requests
                (enrollment_request_id, twitch_user_id, twitch_display_name, character_name, created_at)
            VALUES ($1, $2, $3, $4, $5)
            """,
            enrollment_request_id,
            viewer.twitch_user_id,
            viewer.display_name,
            character_name,
            now,
        )
        return Claim(enrollment_request_id, character_name, created=True)


async def record_revocation(
    db: Database, subscription_id: str | None, type_: str | None, status: str | None, now: datetime
) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO eventsub_revocations (subscription_id, type, status, received_at)"
            " VALUES ($1, $2, $3, $4)",
            subscription_id,
            type_,
            status,
            now,
        )
