"""Erase every row the EBS keeps (the development reset route; never in production)."""

from __future__ import annotations

import asyncpg

# Everything but the schema's own bookkeeping (schema_migrations) and the pool_state singleton.
TABLES = (
    "pool_entries",
    "chat_deliveries_seen",
    "eventsub_revocations",
    "enrollment_requests",
    "payout_events",
    "notification_deliveries",
    "payouts",
    "spin_cycles",
)


async def erase_all(conn: asyncpg.Connection) -> None:
    """Empty the pool, the dedupe ids, the cycles, the payouts and the outbox (one transaction)."""
    await conn.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
    await conn.execute("UPDATE pool_state SET size = 0")
