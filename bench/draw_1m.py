"""Draw time with a 1,000,000-row pool: the O(log n) slot draw against ORDER BY random().

Starts an embedded PostgreSQL (or uses MGM_TEST_DATABASE_URL's server), fills a
fresh migrated database with a million pool rows (1 % of them holding an active
payout, so rejection sampling is exercised), then times, in one run:

* the EBS's draw (``pick_eligible``: random slot + indexed lookups), and
* the naive ``ORDER BY random() LIMIT 1`` over eligible rows, for the ratio,
* and the slot assignment the draw runs first for rows enrolled since the last one.

Usage: python bench/draw_1m.py [--rows N] [--draws N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from mgm_core.db.embedded import EmbeddedPostgres
from mgm_core.store import pool
from mgm_core.store import roulette as roulette_store
from mgm_core.testing.postgres import TestDatabases

NAIVE = """
    SELECT twitch_user_id FROM pool_entries e
     WHERE NOT EXISTS (SELECT 1 FROM payouts p WHERE p.twitch_user_id = e.twitch_user_id
                       AND p.status IN ('Pending', 'InProgress'))
     ORDER BY random() LIMIT 1
"""


async def fill(dsn: str, rows: int) -> None:
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    try:
        await conn.copy_records_to_table(
            "pool_entries",
            columns=[
                "twitch_user_id",
                "twitch_display_name",
                "character_name",
                "character_name_key",
                "slot",
                "source",
                "enrolled_at",
            ],
            records=((f"u{i}", f"Viewer{i}", f"N{i}", f"n{i}", i, "chat", now) for i in range(rows)),
        )
        await conn.execute("UPDATE pool_state SET size = $1", rows)
        await conn.copy_records_to_table(
            "payouts",
            columns=[
                "id",
                "twitch_user_id",
                "twitch_display_name",
                "character_name",
                "gold_amount",
                "enrollment_request_id",
                "status",
                "created_at",
                "updated_at",
            ],
            records=(
                (uuid.uuid4(), f"u{i}", f"Viewer{i}", f"N{i}", 1000, f"spin:{i}", "Pending", now, now)
                for i in range(0, rows, 100)
            ),
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def measure(dsn: str, draws: int) -> tuple[list[float], list[float]]:
    conn = await asyncpg.connect(dsn)
    rng = random.Random(7)
    fast, naive = [], []
    try:
        for _ in range(draws):
            started = time.perf_counter()
            async with conn.transaction():
                entry = await roulette_store.pick_eligible(conn, rng)
            fast.append((time.perf_counter() - started) * 1000)
            assert entry is not None
        for _ in range(max(3, draws // 20)):
            started = time.perf_counter()
            await conn.fetchval(NAIVE)
            naive.append((time.perf_counter() - started) * 1000)
    finally:
        await conn.close()
    return fast, naive


FOLD_ROWS = 10_000
NEW_ROW_COLUMNS = ["twitch_user_id", "twitch_display_name", "character_name", "character_name_key", "source"]
NEW_ROW_COLUMNS.append("enrolled_at")


async def fold(dsn: str, rows: int, new: int) -> float:
    """Time ``assign_slots`` after ``new`` enrollments (unslotted rows) on a pool of ``rows``."""
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    try:
        await conn.copy_records_to_table(
            "pool_entries",
            columns=NEW_ROW_COLUMNS,
            records=((f"new{i}", "V", f"New{i}", f"new{i}", "chat", now) for i in range(new)),
        )
        started = time.perf_counter()
        async with conn.transaction():
            size = await pool.assign_slots(conn, await pool.lock(conn))
        elapsed = (time.perf_counter() - started) * 1000
        assert size == rows + new
        return elapsed
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--draws", type=int, default=200)
    args = parser.parse_args()
    external = os.environ.get("MGM_TEST_DATABASE_URL")
    server = None
    if external is None:
        server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="mgm-bench-")), durable=False)
        server_dsn = server.start()
    else:
        server_dsn = external
    databases = TestDatabases(server_dsn)
    try:
        databases.create_template()
        dsn = databases.clone()
        started = time.perf_counter()
        asyncio.run(fill(dsn, args.rows))
        print(f"pool filled: {args.rows:,} rows in {time.perf_counter() - started:.1f} s")
        fast, naive = asyncio.run(measure(dsn, args.draws))
        fast_median, naive_median = statistics.median(fast), statistics.median(naive)
        print(
            f"draw (random slot, O(log n)): median {fast_median:.3f} ms, p95 "
            f"{sorted(fast)[int(len(fast) * 0.95) - 1]:.3f} ms over {len(fast)} draws"
        )
        print(f"ORDER BY random() LIMIT 1:   median {naive_median:.1f} ms over {len(naive)} queries")
        fold_ms = asyncio.run(fold(dsn, args.rows, FOLD_ROWS))
        print(f"slot assignment of {FOLD_ROWS:,} new rows at {args.rows:,} (the fold): {fold_ms:.1f} ms")
        print(
            f"draw {fast_median:.3f} ms vs ORDER BY random() {naive_median:.1f} ms:"
            f" {naive_median / fast_median:,.0f}x faster (median over one run)"
        )
    finally:
        databases.close()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
