"""SQL for the pool.

Enrollment never takes the pool lock: it inserts a row with no slot (or
renames the viewer's row, keeping its slot) in one statement. Slots are made
dense (0 .. size-1) later, in batches, by :func:`assign_slots` under the
``pool_state`` row lock (the draw, the scheduler tick and removals take it),
so a uniform draw is still one random slot and one index lookup however large
the pool (decisions.md "Performance").
"""

from __future__ import annotations

import asyncpg

from mgm_core.domain.names import name_key
from mgm_core.domain.pool import PoolEntry

# The pool's participant count: slotted rows plus rows waiting for a slot.
PARTICIPANTS_SQL = (
    "(SELECT size FROM pool_state WHERE singleton)"
    " + (SELECT count(*) FROM pool_entries WHERE slot IS NULL)::integer"
)


async def lock(conn: asyncpg.Connection) -> int:
    """Take the pool lock for this transaction; returns the number of slotted rows."""
    size: int = await conn.fetchval("SELECT size FROM pool_state WHERE singleton FOR UPDATE")
    return size


async def try_lock(conn: asyncpg.Connection) -> int | None:
    """The pool lock if nobody holds it, else ``None`` (the scheduler's optional fold)."""
    size: int | None = await conn.fetchval(
        "SELECT size FROM pool_state WHERE singleton FOR UPDATE SKIP LOCKED"
    )
    return size


async def participants(conn: asyncpg.Connection) -> int:
    """How many viewers are in the pool (slotted or not)."""
    value: int = await conn.fetchval(f"SELECT {PARTICIPANTS_SQL}")
    return value


async def assign_slots(conn: asyncpg.Connection, size: int) -> int:
    """Give every committed unslotted row the next dense slot (pool lock held); returns the new size.

    Rows are numbered in enrollment order from ``size``. Rows that commit while
    this runs stay unslotted until the next call: they count in
    :func:`participants` and were, in effect, enrolled after this draw.
    """
    pending = [
        r["twitch_user_id"]
        for r in await conn.fetch(
            "SELECT twitch_user_id FROM pool_entries WHERE slot IS NULL ORDER BY enrolled_at, twitch_user_id"
        )
    ]
    if not pending:
        return size
    # unnest joined on the primary key: one index probe per new row (a set-based
    # UPDATE … FROM over a window took 15 s for 10,000 rows at 1M, bench/draw_1m.py).
    moved = await conn.execute(
        "UPDATE pool_entries e SET slot = v.slot"
        " FROM unnest($1::text[], $2::int[]) AS v (id, slot)"
        " WHERE e.twitch_user_id = v.id AND e.slot IS NULL",
        pending,
        list(range(size, size + len(pending))),
    )
    assigned = int(moved.split()[-1])
    if assigned != len(pending):  # only pool-lock holders delete rows, so this cannot happen
        raise RuntimeError(f"slot assignment moved {assigned} of {len(pending)} rows")
    if assigned:
        await conn.execute("UPDATE pool_state SET size = size + $1 WHERE singleton", assigned)
    return size + assigned


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


async def remove(conn: asyncpg.Connection, twitch_user_id: str) -> bool:
    """Remove the viewer's row, moving the last slot into the hole; takes the pool lock."""
    size = await lock(conn)
    slot = await conn.fetchval(
        "DELETE FROM pool_entries WHERE twitch_user_id = $1 RETURNING coalesce(slot, -1)", twitch_user_id
    )
    if slot is None:
        return False
    if slot < 0:
        return True  # an unslotted row leaves no hole
    last = size - 1
    if slot != last:
        await conn.execute("UPDATE pool_entries SET slot = $1 WHERE slot = $2", slot, last)
    await conn.execute("UPDATE pool_state SET size = $1 WHERE singleton", last)
    return True
