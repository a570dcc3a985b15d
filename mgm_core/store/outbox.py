"""SQL for the notification outbox (see migration 0003)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from mgm_core.domain.payouts import PayoutEventType
from mgm_core.store.database import Database
from mgm_core.store.events import append_event


@dataclass(frozen=True)
class Delivery:
    payout_id: uuid.UUID
    channel: str
    status: str
    detail: str | None


async def enqueue(
    conn: asyncpg.Connection, payout_id: uuid.UUID, channels: Iterable[str], now: datetime
) -> None:
    """One pending row per channel; called inside the transaction that commits Sent."""
    await conn.executemany(
        "INSERT INTO notification_deliveries (payout_id, channel, created_at) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        [(payout_id, channel, now) for channel in channels],
    )


async def claim(
    db: Database,
    channels: Iterable[str],
    now: datetime,
    instance: str,
    payout_id: uuid.UUID | None = None,
) -> list[Delivery]:
    """Move pending rows of the given channels to ``claimed`` (for one payout, or all).

    The ``UPDATE … WHERE status = 'pending'`` is atomic per row: of any number
    of concurrent claimers, exactly one gets each row.
    """
    names = list(channels)
    if not names:
        return []
    async with db.transaction() as conn:
        rows = await conn.fetch(
            """
            UPDATE notification_deliveries
               SET status = 'claimed', claimed_at = $2, claimed_by = $3
             WHERE status = 'pending' AND channel = ANY($1::text[])
               AND ($4::uuid IS NULL OR payout_id = $4)
            RETURNING payout_id, channel, status, detail
            """,
            names,
            now,
            instance,
            payout_id,
        )
    return [Delivery(**dict(r)) for r in rows]


async def finish(
    db: Database,
    delivery: Delivery,
    status: str,
    now: datetime,
    detail: str | None = None,
    *,
    announced_to_chat: bool = False,
) -> None:
    """Record a claimed delivery's outcome; a chat announcement also sets the payout's flag."""
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE notification_deliveries SET status = $3, finished_at = $4, detail = $5"
            " WHERE payout_id = $1 AND channel = $2",
            delivery.payout_id,
            delivery.channel,
            status,
            now,
            detail,
        )
        if announced_to_chat:
            await conn.execute(
                "UPDATE payouts SET is_reward_sent_announced_to_chat = true WHERE id = $1", delivery.payout_id
            )
            await append_event(
                conn,
                delivery.payout_id,
                PayoutEventType.ANNOUNCEMENT_SUCCEEDED,
                now,
                data={"channel": delivery.channel},
            )


async def deliveries_of(db: Database, payout_id: uuid.UUID) -> list[Delivery]:
    async with db.connection() as conn:
        rows = await conn.fetch(
            "SELECT payout_id, channel, status, detail FROM notification_deliveries"
            " WHERE payout_id = $1 ORDER BY channel",
            payout_id,
        )
    return [Delivery(**dict(r)) for r in rows]
