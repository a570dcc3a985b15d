"""SQL for payouts and their append-only event history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from mgm_core.domain.names import character_name, name_key
from mgm_core.domain.payouts import (
    Payout,
    PayoutEvent,
    PayoutEventType,
    PayoutStatus,
    Transition,
    check_transition,
)
from mgm_core.errors import ErrorCode, Refusal
from mgm_core.store import pool
from mgm_core.store.database import Database
from mgm_core.store.events import append_event, event_from_row
from mgm_core.store.outbox import enqueue as outbox_enqueue

_COLUMNS = (
    "id, twitch_user_id, twitch_display_name, character_name, gold_amount, enrollment_request_id,"
    " status, spin_cycle_id, created_at, updated_at, winner_accepted_at, is_reward_sent_announced_to_chat"
)


def _payout(row: asyncpg.Record) -> Payout:
    values = dict(row)
    values["status"] = PayoutStatus(values["status"])
    return Payout(**values)


def _not_found() -> Refusal:
    return Refusal(ErrorCode.NOT_FOUND, "no payout with this id")


async def insert(conn: asyncpg.Connection, payout: Payout) -> PayoutEvent:
    """Store a new payout and its ``PayoutCreated`` event."""
    await conn.execute(
        f"INSERT INTO payouts ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        payout.id,
        payout.twitch_user_id,
        payout.twitch_display_name,
        payout.character_name,
        payout.gold_amount,
        payout.enrollment_request_id,
        payout.status.value,
        payout.spin_cycle_id,
        payout.created_at,
        payout.updated_at,
        payout.winner_accepted_at,
        payout.is_reward_sent_announced_to_chat,
    )
    return await append_event(
        conn,
        payout.id,
        PayoutEventType.CREATED,
        payout.created_at,
        to_status=payout.status,
        data={"goldAmount": payout.gold_amount, "spinCycleId": str(payout.spin_cycle_id or "") or None},
    )


async def get(conn: asyncpg.Connection, payout_id: uuid.UUID, *, for_update: bool = False) -> Payout | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM payouts WHERE id = $1{lock}", payout_id)
    return _payout(row) if row else None


async def pending(conn: asyncpg.Connection) -> list[Payout]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM payouts WHERE status = 'Pending' ORDER BY created_at, seq"
    )
    return [_payout(r) for r in rows]


async def latest_of(conn: asyncpg.Connection, twitch_user_id: str) -> Payout | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM payouts WHERE twitch_user_id = $1"
        " ORDER BY created_at DESC, seq DESC LIMIT 1",
        twitch_user_id,
    )
    return _payout(row) if row else None


async def active_of(conn: asyncpg.Connection, twitch_user_id: str) -> Payout | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM payouts WHERE twitch_user_id = $1 AND status IN ('Pending', 'InProgress')",
        twitch_user_id,
    )
    return _payout(row) if row else None


async def events_of(conn: asyncpg.Connection, payout_id: uuid.UUID) -> list[PayoutEvent]:
    rows = await conn.fetch(
        "SELECT id, payout_id, type, from_status, to_status, data, occurred_at FROM payout_events"
        " WHERE payout_id = $1 ORDER BY id",
        payout_id,
    )
    return [event_from_row(r) for r in rows]


async def change_status(
    db: Database,
    payout_id: uuid.UUID,
    target: PayoutStatus,
    now: datetime,
    notify_channels: Sequence[str] = (),
) -> tuple[Payout, Transition | None]:
    """Apply a PATCH in one transaction; the row lock serializes concurrent PATCHes.

    Returns the payout after the change and the committed :class:`Transition`
    (``None`` for a same-status no-op). Moving into ``Sent`` removes the
    viewer's pool row and queues one outbox row per ``notify_channels`` name,
    in the same transaction.
    """
    async with db.transaction() as conn:
        current = await get(conn, payout_id, for_update=True)
        if current is None:
            raise _not_found()
        if not check_transition(current.status, target):
            return current, None
        row = await conn.fetchrow(
            f"UPDATE payouts SET status = $2, updated_at = $3 WHERE id = $1 RETURNING {_COLUMNS}",
            payout_id,
            target.value,
            now,
        )
        data: dict[str, Any] = {}
        if target is PayoutStatus.SENT:
            data["poolEntryRemoved"] = await pool.remove(conn, current.twitch_user_id)
            await outbox_enqueue(conn, payout_id, notify_channels, now)
        event = await append_event(
            conn,
            payout_id,
            PayoutEventType.STATUS_CHANGED,
            now,
            from_status=current.status,
            to_status=target,
            data=data,
        )
        updated = _payout(row)
        return updated, Transition(updated, current.status, target, event)


async def confirm_acceptance(db: Database, payout_id: uuid.UUID, given_name: str, now: datetime) -> Payout:
    """Record the winner's consent (idempotent); the status does not change.

    Checks, in order: the payout exists (404), the name is well formed and is the
    payout's (400 ``invalid_character_name``), the payout is not terminal (409).
    """
    async with db.transaction() as conn:
        current = await get(conn, payout_id, for_update=True)
        if current is None:
            raise _not_found()
        if name_key(character_name(given_name)) != name_key(current.character_name):
            raise Refusal(
                ErrorCode.INVALID_CHARACTER_NAME,
                "characterName does not match the payout's character",
                {"field": "characterName"},
            )
        if current.status.is_terminal:
            raise Refusal(
                ErrorCode.TERMINAL_STATUS_CHANGE_NOT_ALLOWED,
                f"the payout is {current.status}; acceptance can no longer be recorded",
                {"status": current.status.value},
            )
        if current.winner_accepted_at is not None:
            return current
        row = await conn.fetchrow(
            f"UPDATE payouts SET winner_accepted_at = $2, updated_at = $2 WHERE id = $1 RETURNING {_COLUMNS}",
            payout_id,
            now,
        )
        await append_event(
            conn,
            payout_id,
            PayoutEventType.ACCEPTANCE_RECORDED,
            now,
            data={"characterName": current.character_name},
        )
        return _payout(row)


async def expire_stale(db: Database, cutoff: datetime, now: datetime) -> list[Transition]:
    """Move every Pending/InProgress payout created before ``cutoff`` to Expired."""
    transitions: list[Transition] = []
    async with db.transaction() as conn:
        rows = await conn.fetch(
            f"""
            SELECT {_COLUMNS} FROM payouts
             WHERE status IN ('Pending', 'InProgress') AND created_at < $1
             ORDER BY created_at
             FOR UPDATE SKIP LOCKED
            """,
            cutoff,
        )
        for row in rows:
            before = _payout(row)
            after_row = await conn.fetchrow(
                f"UPDATE payouts SET status = 'Expired', updated_at = $2 WHERE id = $1 RETURNING {_COLUMNS}",
                before.id,
                now,
            )
            event = await append_event(
                conn,
                before.id,
                PayoutEventType.STATUS_CHANGED,
                now,
                from_status=before.status,
                to_status=PayoutStatus.EXPIRED,
                data={"reason": "older than 24 h"},
            )
            transitions.append(Transition(_payout(after_row), before.status, PayoutStatus.EXPIRED, event))
    return transitions
