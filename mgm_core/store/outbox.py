"""SQL for the notification outbox (migrations 0003 and 0005).

A row goes ``pending`` → ``claimed`` (a lease of :data:`LEASE` held by one
process) → ``delivered`` / ``failed`` / ``skipped``. A lease that ran out means
the claimer died mid-attempt: :func:`recover_expired` re-claims the row for a
channel that deduplicates on ``delivery_id`` (up to :data:`MAX_ATTEMPTS`), and
moves any other row to ``uncertain``, which only an operator resolves
(:func:`redeliver` back to ``pending``, or :func:`abandon`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from mgm_core.domain.payouts import PayoutEventType
from mgm_core.store.database import Database
from mgm_core.store.events import append_event

# Longer than any channel call may take (the outbound HTTP session times out at 30 s).
LEASE = timedelta(minutes=2)
# Automatic redeliveries of an idempotent channel before the row is marked failed.
MAX_ATTEMPTS = 5
# Statuses an operator may act on, and the ones an operator leaves.
OPEN = ("pending", "claimed", "uncertain")


@dataclass(frozen=True)
class Delivery:
    payout_id: uuid.UUID
    channel: str
    status: str
    detail: str | None
    delivery_id: uuid.UUID | None = None
    attempts: int = 0
    claimed_by: str | None = None
    lease_until: datetime | None = None
    created_at: datetime | None = None


_FIELDS = "payout_id, channel, status, detail, delivery_id, attempts, claimed_by, lease_until, created_at"
_RETURNED = ", ".join(f"d.{name.strip()}" for name in _FIELDS.split(","))


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
            f"""
            UPDATE notification_deliveries
               SET status = 'claimed', claimed_at = $2, claimed_by = $3, lease_until = $5,
                   attempts = attempts + 1
             WHERE status = 'pending' AND channel = ANY($1::text[])
               AND ($4::uuid IS NULL OR payout_id = $4)
            RETURNING {_FIELDS}
            """,
            names,
            now,
            instance,
            payout_id,
            now + LEASE,
        )
    return [Delivery(**dict(r)) for r in rows]


async def recover_expired(
    db: Database,
    channels: Iterable[str],
    idempotent: Iterable[str],
    now: datetime,
    instance: str,
) -> tuple[list[Delivery], list[Delivery]]:
    """Take claimed rows whose lease ran out: ``(re-claimed for redelivery, now uncertain)``.

    One atomic ``UPDATE`` per call, so of several processes sweeping at once
    exactly one takes each row. Rows of channels this process does not run are
    left alone (a replica that has them will take them).
    """
    names, safe = list(channels), list(idempotent)
    if not names:
        return [], []
    async with db.transaction() as conn:
        rows = await conn.fetch(
            f"""
            WITH expired AS (
                SELECT payout_id, channel, channel = ANY($2::text[]) AS safe, attempts < $5 AS again
                  FROM notification_deliveries
                 WHERE status = 'claimed' AND channel = ANY($1::text[])
                   AND coalesce(lease_until, claimed_at, '-infinity') <= $3
                   FOR UPDATE SKIP LOCKED
            )
            UPDATE notification_deliveries d
               SET status = CASE WHEN e.safe AND e.again THEN 'claimed'
                                 WHEN e.safe THEN 'failed' ELSE 'uncertain' END,
                   claimed_at = CASE WHEN e.safe AND e.again THEN $3 ELSE d.claimed_at END,
                   claimed_by = CASE WHEN e.safe AND e.again THEN $4 ELSE d.claimed_by END,
                   lease_until = CASE WHEN e.safe AND e.again THEN $6 ELSE d.lease_until END,
                   attempts = d.attempts + CASE WHEN e.safe AND e.again THEN 1 ELSE 0 END,
                   finished_at = CASE WHEN e.safe AND NOT e.again THEN $3 END,
                   detail = CASE
                       WHEN e.safe AND e.again THEN 'lease expired; redelivering'
                       WHEN e.safe THEN 'lease expired ' || d.attempts || ' times'
                       ELSE 'lease expired during the attempt: the channel may or may not have delivered'
                       END
              FROM expired e
             WHERE d.payout_id = e.payout_id AND d.channel = e.channel AND d.status = 'claimed'
            RETURNING {_RETURNED}
            """,
            names,
            safe,
            now,
            instance,
            MAX_ATTEMPTS,
            now + LEASE,
        )
    deliveries = [Delivery(**dict(r)) for r in rows]
    return [d for d in deliveries if d.status == "claimed"], [d for d in deliveries if d.status != "claimed"]


async def list_deliveries(db: Database, statuses: Iterable[str] = OPEN) -> list[Delivery]:
    """Rows in the given statuses, oldest first (what ``mgm outbox list`` shows)."""
    async with db.connection() as conn:
        rows = await conn.fetch(
            f"SELECT {_FIELDS} FROM notification_deliveries WHERE status = ANY($1::text[])"
            " ORDER BY created_at, payout_id, channel",
            list(statuses),
        )
    return [Delivery(**dict(r)) for r in rows]


async def redeliver(db: Database, payout_id: uuid.UUID, channel: str) -> Delivery | None:
    """An operator's choice: send an ``uncertain`` (or ``failed``) row again (back to ``pending``)."""
    async with db.transaction() as conn:
        row = await conn.fetchrow(
            f"""
            UPDATE notification_deliveries
               SET status = 'pending', claimed_by = NULL, lease_until = NULL, finished_at = NULL,
                   detail = 'redelivery requested by an operator'
             WHERE payout_id = $1 AND channel = $2 AND status IN ('uncertain', 'failed')
            RETURNING {_FIELDS}
            """,
            payout_id,
            channel,
        )
    return Delivery(**dict(row)) if row else None


async def abandon(db: Database, payout_id: uuid.UUID, channel: str, now: datetime) -> Delivery | None:
    """An operator's choice: never send an ``uncertain`` / ``pending`` / ``failed`` row."""
    async with db.transaction() as conn:
        row = await conn.fetchrow(
            f"""
            UPDATE notification_deliveries
               SET status = 'abandoned', finished_at = $3, detail = 'abandoned by an operator'
             WHERE payout_id = $1 AND channel = $2 AND status IN ('uncertain', 'pending', 'failed')
            RETURNING {_FIELDS}
            """,
            payout_id,
            channel,
            now,
        )
    return Delivery(**dict(row)) if row else None


async def finish(
    db: Database,
    delivery: Delivery,
    status: str,
    now: datetime,
    detail: str | None = None,
    *,
    announced_to_chat: bool = False,
) -> None:
    """Record a claimed delivery's outcome; a chat announcement also sets the payout's flag.

    Only the lease holder records (a row re-claimed by another process after
    this one's lease ran out is that process's to finish); a late outcome of an
    ``uncertain`` row is the truth and replaces the doubt.
    """
    async with db.transaction() as conn:
        updated = await conn.fetchval(
            "UPDATE notification_deliveries SET status = $3, finished_at = $4, detail = $5"
            " WHERE payout_id = $1 AND channel = $2 AND claimed_by IS NOT DISTINCT FROM $6"
            " AND status IN ('claimed', 'uncertain') RETURNING 1",
            delivery.payout_id,
            delivery.channel,
            status,
            now,
            detail,
            delivery.claimed_by,
        )
        if updated and announced_to_chat:
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
            f"SELECT {_FIELDS} FROM notification_deliveries WHERE payout_id = $1 ORDER BY channel",
            payout_id,
        )
    return [Delivery(**dict(r)) for r in rows]
