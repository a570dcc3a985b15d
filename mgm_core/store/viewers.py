"""SQL facts about a viewer that the pool rules need."""

from __future__ import annotations

import asyncpg

from mgm_core.domain.pool import EnrollmentFacts, Viewer
from mgm_core.store import pool


async def has_active_payout(conn: asyncpg.Connection, twitch_user_id: str) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM payouts WHERE twitch_user_id = $1"
        " AND status IN ('Pending', 'InProgress'))",
        twitch_user_id,
    )
    return found


async def sent_gold(conn: asyncpg.Connection, twitch_user_id: str) -> int:
    total: int = await conn.fetchval(
        "SELECT COALESCE(SUM(gold_amount), 0) FROM payouts WHERE twitch_user_id = $1 AND status = 'Sent'",
        twitch_user_id,
    )
    return int(total)


async def enrollment_facts(conn: asyncpg.Connection, viewer: Viewer, character_name: str) -> EnrollmentFacts:
    return EnrollmentFacts(
        has_active_payout=await has_active_payout(conn, viewer.twitch_user_id),
        sent_gold=await sent_gold(conn, viewer.twitch_user_id),
        name_holder=await pool.name_holder(conn, character_name),
    )
