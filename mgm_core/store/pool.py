"""SQL for the pool.

Slots are kept dense (0 .. size-1) under the ``pool_state`` row lock, so a
uniform draw is one random slot and one index lookup however large the pool.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from mgm_core.domain.names import name_key
from mgm_core.domain.pool import PoolEntry, Viewer


async def lock(conn: asyncpg.Connection) -> int:
    """Take the pool lock for this transaction; returns the pool size."""
    size: int = await conn.fetchval("SELECT size FROM pool_state WHERE singleton FOR UPDATE")
    return size


async def size(conn: asyncpg.Connection) -> int:
    value: int = await conn.fetchval("SELECT size FROM pool_state WHERE singleton")
    return value


async def entry_of(conn: asyncpg.Connection, twitch_user_id: str) -> PoolEntry | None:
    row = await conn.fetchrow(
        "SELECT twitch_user_id, twitch_display_name, character_name FROM pool_entries"
        " WHERE twitch_user_id = $1",
        twitch_user_id,
    )
    return PoolEntry(**dict(row)) if row else None


async def name_holder(conn: asyncpg.Connection, character_name: str) -> str | None:
    holder: str | None = await conn.fetchval(
        "SELECT twitch_user_id FROM pool_entries WHERE character_name_key = $1",
        name_key(character_name),
    )
    return holder


async def put(
    conn: asyncpg.Connection,
    viewer: Viewer,
    character_name: str,
    *,
    source: str,
    now: datetime,
    pool_size: int,
) -> None:
    """Give ``viewer`` a row for ``character_name``, replacing their old row (lock held)."""
    updated = await conn.execute(
        """
        UPDATE pool_entries
           SET twitch_display_name = $2, character_name = $3, character_name_key = $4,
               source = $5, enrolled_at = $6
         WHERE twitch_user_id = $1
        """,
        viewer.twitch_user_id,
        viewer.display_name,
        character_name,
        name_key(character_name),
        source,
        now,
    )
    if updated == "UPDATE 1":
        return
    await conn.execute(
        """
        INSERT INTO pool_entries
            (twitch_user_id, twitch_display_name, character_name, character_name_key,
             slot, source, enrolled_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """,
        viewer.twitch_user_id,
        viewer.display_name,
        character_name,
        name_key(character_name),
        pool_size,
        source,
        now,
    )
    await conn.execute("UPDATE pool_state SET size = size + 1 WHERE singleton")


async def remove(conn: asyncpg.Connection, twitch_user_id: str) -> bool:
    """Remove the viewer's row, moving the last slot into the hole; takes the pool lock."""
    pool_size = await lock(conn)
    slot = await conn.fetchval(
        "DELETE FROM pool_entries WHERE twitch_user_id = $1 RETURNING slot", twitch_user_id
    )
    if slot is None:
        return False
    last = pool_size - 1
    if slot != last:
        await conn.execute("UPDATE pool_entries SET slot = $1 WHERE slot = $2", slot, last)
    await conn.execute("UPDATE pool_state SET size = $1 WHERE singleton", last)
    return True
