"""SQL for spin cycles: creating them, the draw, and closing them with a report.

The draw locks the cycle row and sets ``drawn_at`` once, so with any number of
EBS processes on one database exactly one of them draws each cycle.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime

import asyncpg

from mgm_core.domain import roulette
from mgm_core.domain.economics import GOLD_PER_WIN, LIFETIME_CAP_GOLD
from mgm_core.domain.pool import PoolEntry
from mgm_core.domain.roulette import SpinCycle
from mgm_core.store import pool
from mgm_core.store.database import Database

_CYCLE_COLUMNS = (
    "id, cycle_start, verification_deadline, drawn_at, drawn_by, candidate_twitch_user_id,"
    " candidate_display_name, candidate_character_name, outcome, payout_id, closed_at, forced_by_harness"
)

# Rejection sampling: a uniformly drawn slot whose viewer is not eligible is
# redrawn; after this many misses the eligible rows are counted instead.
MAX_REJECTIONS = 32

_ELIGIBLE = f"""
    NOT EXISTS (SELECT 1 FROM payouts p WHERE p.twitch_user_id = e.twitch_user_id
                AND p.status IN ('Pending', 'InProgress'))
    AND (SELECT COALESCE(SUM(p.gold_amount), 0) FROM payouts p
         WHERE p.twitch_user_id = e.twitch_user_id AND p.status = 'Sent')
        + {GOLD_PER_WIN} <= {LIFETIME_CAP_GOLD}
"""


def _cycle(row: asyncpg.Record | None) -> SpinCycle | None:
    return SpinCycle(**dict(row)) if row else None


async def ensure_cycle(conn: asyncpg.Connection, start: datetime) -> SpinCycle:
    """The cycle starting at ``start``, created with a fresh id if it does not exist."""
    await conn.execute(
        "INSERT INTO spin_cycles (id, cycle_start, verification_deadline) VALUES ($1, $2, $3)"
        " ON CONFLICT (cycle_start) DO NOTHING",
        uuid.uuid4(),
        start,
        roulette.verification_deadline(start),
    )
    cycle = await cycle_starting(conn, start)
    assert cycle is not None
    return cycle


async def cycle_starting(
    conn: asyncpg.Connection, start: datetime, *, for_update: bool = False
) -> SpinCycle | None:
    lock = " FOR UPDATE" if for_update else ""
    return _cycle(
        await conn.fetchrow(f"SELECT {_CYCLE_COLUMNS} FROM spin_cycles WHERE cycle_start = $1{lock}", start)
    )


async def cycle_by_id(
    conn: asyncpg.Connection, cycle_id: uuid.UUID, *, for_update: bool = False
) -> SpinCycle | None:
    lock = " FOR UPDATE" if for_update else ""
    return _cycle(
        await conn.fetchrow(f"SELECT {_CYCLE_COLUMNS} FROM spin_cycles WHERE id = $1{lock}", cycle_id)
    )


async def pool_and_cycle(db: Database, start: datetime) -> tuple[int, SpinCycle | None]:
    """The participant count and the cycle starting at ``start``, in one statement (``/state``)."""
    row = await db.fetchrow(
        f"SELECT {pool.PARTICIPANTS_SQL} AS participants, {_CYCLE_COLUMNS}"
        " FROM (SELECT 1) AS one LEFT JOIN spin_cycles ON cycle_start = $1",
        start,
    )
    assert row is not None
    fields = dict(row)
    participants: int = fields.pop("participants")
    return participants, (SpinCycle(**fields) if fields["id"] is not None else None)


async def waiting_candidate(conn: asyncpg.Connection, now: datetime) -> SpinCycle | None:
    """The oldest cycle whose drawn candidate still awaits a report before its deadline."""
    return _cycle(
        await conn.fetchrow(
            f"""
            SELECT {_CYCLE_COLUMNS} FROM spin_cycles
             WHERE candidate_twitch_user_id IS NOT NULL AND outcome IS NULL AND verification_deadline >= $1
               AND drawn_at <= $1
             ORDER BY cycle_start LIMIT 1
            """,
            now,
        )
    )


async def _entry_at_slot(conn: asyncpg.Connection, slot: int) -> PoolEntry | None:
    row = await conn.fetchrow(
        "SELECT twitch_user_id, twitch_display_name, character_name FROM pool_entries WHERE slot = $1", slot
    )
    return PoolEntry(**dict(row)) if row else None


async def _is_eligible(conn: asyncpg.Connection, twitch_user_id: str) -> bool:
    eligible: bool = await conn.fetchval(
        f"SELECT {_ELIGIBLE} FROM pool_entries e WHERE e.twitch_user_id = $1", twitch_user_id
    )
    return bool(eligible)


async def pick_eligible(conn: asyncpg.Connection, rng: random.Random) -> PoolEntry | None:
    """A uniformly random eligible pool row, or ``None`` when nobody is eligible.

    Each attempt is one random slot and two indexed lookups, so the draw costs
    O(log n) in the pool size; rejection keeps it uniform over eligible rows.
    The pool lock must be held (slots must not move meanwhile), and
    :func:`pool.assign_slots` run under it, so every committed row has a slot.
    """
    size: int = await conn.fetchval("SELECT size FROM pool_state WHERE singleton")
    if size == 0:
        return None
    for _ in range(MAX_REJECTIONS):
        entry = await _entry_at_slot(conn, rng.randrange(size))
        if entry is not None and await _is_eligible(conn, entry.twitch_user_id):
            return entry
    eligible: int = await conn.fetchval(f"SELECT count(*) FROM pool_entries e WHERE {_ELIGIBLE}")
    if eligible == 0:
        return None
    row = await conn.fetchrow(
        "SELECT twitch_user_id, twitch_display_name, character_name FROM pool_entries e"
        f" WHERE {_ELIGIBLE} ORDER BY slot OFFSET $1 LIMIT 1",
        rng.randrange(eligible),
    )
    return PoolEntry(**dict(row)) if row else None


async def draw(
    conn: asyncpg.Connection, start: datetime, now: datetime, rng: random.Random, instance: str
) -> SpinCycle | None:
    """Run the draw of the cycle starting at ``start`` unless it already ran.

    Returns the cycle when this call drew (with or without a candidate), else ``None``.
    """
    seen = await cycle_starting(conn, start)
    if seen is not None and seen.drawn_at is not None:
        return None  # drawn already: no lock taken
    # Locks in one order everywhere: the pool first, then the cycle row (the harness and
    # the scheduler's fold do the same); the other order deadlocks against them.
    size = await pool.lock(conn)
    await ensure_cycle(conn, start)
    cycle = await cycle_starting(conn, start, for_update=True)
    if cycle is None or cycle.drawn_at is not None:
        return None
    # Under the pool lock, rows enrolled since the last fold get their dense slots first.
    await pool.assign_slots(conn, size)
    entry = await pick_eligible(conn, rng)
    row = await conn.fetchrow(
        f"""
        UPDATE spin_cycles
           SET drawn_at = $2, drawn_by = $3, candidate_twitch_user_id = $4,
               candidate_display_name = $5, candidate_character_name = $6
         WHERE id = $1
        RETURNING {_CYCLE_COLUMNS}
        """,
        cycle.id,
        now,
        instance,
        entry.twitch_user_id if entry else None,
        entry.twitch_display_name if entry else None,
        entry.character_name if entry else None,
    )
    return _cycle(row)


async def close(
    conn: asyncpg.Connection,
    cycle_id: uuid.UUID,
    outcome: str,
    now: datetime,
    payout_id: uuid.UUID | None = None,
) -> None:
    await conn.execute(
        "UPDATE spin_cycles SET outcome = $2, closed_at = $3, payout_id = $4 WHERE id = $1",
        cycle_id,
        outcome,
        now,
        payout_id,
    )


async def force_candidate(
    conn: asyncpg.Connection, start: datetime, entry: PoolEntry, now: datetime, deadline: datetime
) -> SpinCycle:
    """The harness: make ``entry`` the current cycle's open candidate (development only)."""
    cycle = await ensure_cycle(conn, start)
    row = await conn.fetchrow(
        f"""
        UPDATE spin_cycles
           SET drawn_at = $2, drawn_by = 'harness', candidate_twitch_user_id = $3,
               candidate_display_name = $4, candidate_character_name = $5,
               verification_deadline = $6, outcome = NULL, payout_id = NULL, closed_at = NULL,
               forced_by_harness = true
         WHERE id = $1
        RETURNING {_CYCLE_COLUMNS}
        """,
        cycle.id,
        now,
        entry.twitch_user_id,
        entry.twitch_display_name,
        entry.character_name,
        deadline,
    )
    result = _cycle(row)
    assert result is not None
    return result
