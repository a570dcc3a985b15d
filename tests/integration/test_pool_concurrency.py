"""Enrollment without the pool lock: the rules hold under concurrency, slots stay dense.

These drive the store directly with many connections at once (64 concurrent
enrollments), then read the tables with plain SQL as the oracle.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from mgm_core.domain.pool import Viewer
from mgm_core.errors import Refusal
from mgm_core.store import enrollment, pool
from mgm_core.store import roulette as roulette_store
from mgm_core.store.database import Database
from mgm_core.store.enrollment import ChatDelivery, ChatOutcome


def run(database_url: str, body: Callable[[Database], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        db = await Database.open(database_url, min_size=1, max_size=64)
        try:
            return await body(db)
        finally:
            await db.close()

    return asyncio.run(main())


async def table(db: Database, sql: str) -> list[asyncpg.Record]:
    async with db.connection() as conn:
        return await conn.fetch(sql)


async def assert_dense_after_fold(db: Database) -> int:
    """Fold as the draw does, then every row holds one of the slots 0 .. size-1."""
    async with db.transaction() as conn:
        size = await pool.assign_slots(conn, await pool.lock(conn))
    rows = await table(db, "SELECT slot FROM pool_entries")
    assert sorted(r["slot"] for r in rows) == list(range(len(rows)))
    assert size == len(rows)
    return size


def test_64_concurrent_enrollments_with_duplicates_give_the_exact_pool(database_url, mgm_clock):
    now = mgm_clock.now()
    # 32 viewers, each delivery sent twice at once (Twitch retries): 64 concurrent calls.
    sends = [(f"v{i}", f"Name{chr(97 + i % 26)}{i}", f"msg-{i}") for i in range(32)] * 2
    random.Random(3).shuffle(sends)

    async def body(db: Database) -> tuple[list[ChatOutcome], list[asyncpg.Record]]:
        results = await asyncio.gather(
            *(
                enrollment.enroll_from_chat(db, ChatDelivery(f"d-{m}", m), Viewer(u, u.upper()), n, now)
                for u, n, m in sends
            )
        )
        await assert_dense_after_fold(db)
        return [outcome for outcome, _ in results], await table(
            db, "SELECT twitch_user_id, character_name FROM pool_entries"
        )

    outcomes, rows = run(database_url, body)
    assert Counter(outcomes) == {ChatOutcome.ENROLLED: 32, ChatOutcome.REPLAY: 32}
    assert sorted((r["twitch_user_id"], r["character_name"]) for r in rows) == sorted(
        {(u, n) for u, n, _ in sends}
    )


def test_concurrent_viewers_racing_for_one_name_leave_one_holder(database_url, mgm_clock):
    now = mgm_clock.now()
    spellings = ["Norinn", "norinn", "NORINN", "NoRinn"]

    async def body(db: Database) -> tuple[list[tuple[ChatOutcome, str]], list[asyncpg.Record]]:
        results = await asyncio.gather(
            *(
                enrollment.enroll_from_chat(
                    db, ChatDelivery(f"d{i}", f"m{i}"), Viewer(f"v{i}", f"V{i}"), spellings[i % 4], now
                )
                for i in range(64)
            )
        )
        await assert_dense_after_fold(db)
        return results, await table(db, "SELECT twitch_user_id, character_name FROM pool_entries")

    results, rows = run(database_url, body)
    assert Counter(o for o, _ in results) == {ChatOutcome.ENROLLED: 1, ChatOutcome.REFUSED: 63}
    assert {why for o, why in results if o is ChatOutcome.REFUSED} == {"character_name_taken_in_pool"}
    assert len(rows) == 1
    winner = next(i for i, (o, _) in enumerate(results) if o is ChatOutcome.ENROLLED)
    assert (rows[0]["twitch_user_id"], rows[0]["character_name"]) == (f"v{winner}", spellings[winner % 4])


def test_one_viewer_renaming_concurrently_keeps_one_row(database_url, mgm_clock):
    now = mgm_clock.now()

    async def body(db: Database) -> tuple[list[tuple[ChatOutcome, str]], list[asyncpg.Record]]:
        results = await asyncio.gather(
            *(
                enrollment.enroll_from_chat(db, ChatDelivery(None, f"m{i}"), Viewer("v", "V"), f"Alt{i}", now)
                for i in range(64)
            )
        )
        await assert_dense_after_fold(db)
        return results, await table(db, "SELECT twitch_user_id, character_name FROM pool_entries")

    results, rows = run(database_url, body)
    assert {o for o, _ in results} == {ChatOutcome.ENROLLED}
    assert len(rows) == 1 and rows[0]["character_name"] in {f"Alt{i}" for i in range(64)}


def test_concurrent_claims_with_one_request_id_create_once(database_url, mgm_clock):
    now = mgm_clock.now()

    async def attempt(db: Database, i: int) -> object:
        try:
            return await enrollment.claim(db, Viewer(f"v{i % 2}", "V"), f"Hero{i % 2}", "req-1", now)
        except Refusal as refusal:
            return refusal.code.value

    async def body(db: Database) -> tuple[list[object], list[asyncpg.Record]]:
        results = await asyncio.gather(*(attempt(db, i) for i in range(32)))
        return results, await table(db, "SELECT twitch_user_id, character_name FROM pool_entries")

    results, rows = run(database_url, body)
    created = [r for r in results if isinstance(r, enrollment.Claim) and r.created]
    assert len(created) == 1
    holder = "v0" if created[0].character_name == "Hero0" else "v1"
    assert [(r["twitch_user_id"], r["character_name"]) for r in rows] == [(holder, created[0].character_name)]
    # The other viewer's 16 calls reused someone else's request id; the holder's 15 others are replays.
    assert Counter(r if isinstance(r, str) else r.created for r in results) == {
        True: 1,
        False: 15,
        "duplicate_enrollment": 16,
    }


def test_removals_of_slotted_and_unslotted_rows_keep_slots_dense(database_url, mgm_clock):
    now = mgm_clock.now()

    async def enroll(db: Database, ids: range) -> None:
        for i in ids:
            outcome, _ = await enrollment.enroll_from_chat(
                db, ChatDelivery(None, f"m{i}"), Viewer(f"v{i}", "V"), f"Name{i}x", now
            )
            assert outcome is ChatOutcome.ENROLLED

    async def remove(db: Database, *ids: int) -> None:
        for i in ids:
            async with db.transaction() as conn:
                assert await pool.remove(conn, f"v{i}")

    async def body(db: Database) -> tuple[list[int], int]:
        counts = []
        await enroll(db, range(10))
        await assert_dense_after_fold(db)  # v0..v9 slotted
        await enroll(db, range(10, 16))  # v10..v15 unslotted
        await remove(db, 0, 9, 12, 4)
        async with db.connection() as conn:
            counts.append(await pool.participants(conn))
        counts.append(await assert_dense_after_fold(db))
        await remove(db, 15, 1)
        counts.append(await assert_dense_after_fold(db))
        return counts, await db.fetchval("SELECT count(*) FROM pool_entries")

    counts, rows = run(database_url, body)
    assert counts == [12, 12, 10]
    assert rows == 10


def test_the_draw_stays_uniform_over_eligible_rows_enrolled_without_slots(database_url, mgm_clock):
    now = mgm_clock.now()

    async def body(db: Database) -> Counter[str]:
        for i in range(5):
            await enrollment.enroll_from_chat(
                db, ChatDelivery(None, f"m{i}"), Viewer(f"v{i}", "V"), f"Name{i}x", now
            )
        async with db.connection() as conn:  # v4 holds an active payout: never drawn
            await conn.execute(
                "INSERT INTO payouts (id, twitch_user_id, twitch_display_name, character_name, gold_amount,"
                " enrollment_request_id, status, created_at, updated_at)"
                " VALUES (gen_random_uuid(), 'v4', 'V', 'Name4x', 1000, 'r', 'Pending', $1, $1)",
                now,
            )
        rng = random.Random(11)
        drawn: Counter[str] = Counter()
        async with db.transaction() as conn:
            await pool.assign_slots(conn, await pool.lock(conn))
            for _ in range(4000):
                entry = await roulette_store.pick_eligible(conn, rng)
                assert entry is not None
                drawn[entry.twitch_user_id] += 1
        return drawn

    drawn = run(database_url, body)
    assert set(drawn) == {"v0", "v1", "v2", "v3"}
    # 1000 expected each; a seeded generator, so this bound (over 5 sigma) is not a flaky one.
    assert all(850 <= n <= 1150 for n in drawn.values()), drawn
