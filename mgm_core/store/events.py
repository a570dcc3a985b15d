"""SQL for the append-only payout event history."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg

from mgm_core.domain.payouts import PayoutEvent, PayoutEventType, PayoutStatus


def event_from_row(row: asyncpg.Record) -> PayoutEvent:
    return PayoutEvent(
        id=row["id"],
        payout_id=row["payout_id"],
        type=PayoutEventType(row["type"]),
        from_status=PayoutStatus(row["from_status"]) if row["from_status"] else None,
        to_status=PayoutStatus(row["to_status"]) if row["to_status"] else None,
        data=json.loads(row["data"]),
        occurred_at=row["occurred_at"],
    )


async def append_event(
    conn: asyncpg.Connection,
    payout_id: uuid.UUID,
    type_: PayoutEventType,
    now: datetime,
    *,
    from_status: PayoutStatus | None = None,
    to_status: PayoutStatus | None = None,
    data: dict[str, Any] | None = None,
) -> PayoutEvent:
    row = await conn.fetchrow(
        """
        INSERT INTO payout_events (payout_id, type, from_status, to_status, data, occurred_at)
        VALUES ($1, $2, $3, $4, $5::jsonb, $6)
        RETURNING id, payout_id, type, from_status, to_status, data, occurred_at
        """,
        payout_id,
        type_.value,
        from_status.value if from_status else None,
        to_status.value if to_status else None,
        json.dumps(data or {}),
        now,
    )
    return event_from_row(row)
