"""Per-test database isolation (embedded or ``--external`` server): what each technique costs.

Run: ``python bench/db_isolation.py [--iterations N] [--external DSN] [--busy-ms MS]``. Each
technique does what the fixture around one test would do, plus a tiny stand-in
test (connect, insert a row, close), and prints the median and 90th-percentile
milliseconds. Figures only: nothing is asserted.

The first section is the product: what the ``database_url`` fixture costs the test
that uses it, i.e. the time the test waits for its fresh database plus the teardown
on its critical path, with tests run back to back (the background thread that makes
clones ahead, or resets reused databases where cloning is slow, competes with them for
the same cores): once with tiny tests (the worst
case: they outpace the clones), then with tests that are busy ``--busy-ms`` besides the
stand-in, as the suite's are. The last line compares the latter with ``BEGIN …
ROLLBACK`` on one shared database (its BEGIN + ROLLBACK), measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

from mgm_core.db.migrate import migrate
from mgm_core.testing.postgres import TestDatabases, database_of, embedded_test_server

TEST_INSERT = "INSERT INTO chat_deliveries_seen (kind, id, seen_at) VALUES ('message', $1, now())"


async def stand_in_test(dsn: str, n: int, busy_ms: float = 0.0) -> None:
    """Connect, insert a row, close; ``busy_ms`` stands for the rest of a real test (the EBS start…)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(TEST_INSERT, f"m{n}")
        if busy_ms:
            await asyncio.sleep(busy_ms / 1000)
    finally:
        await conn.close()


async def tables_children_first(conn: asyncpg.Connection) -> list[str]:
    """Application tables ordered so that a referencing table comes before what it references."""
    names = [
        r["relname"]
        for r in await conn.fetch(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
            " AND relname <> 'schema_migrations'"
        )
    ]
    refs = await conn.fetch(
        "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent"
        " FROM pg_constraint WHERE contype = 'f' AND conrelid <> confrelid"
    )
    ordered: list[str] = []
    remaining = set(names)
    while remaining:
        # Tables no remaining table references can go now.
        ready = sorted(
            t for t in remaining if not any(r["parent"] == t and r["child"] in remaining for r in refs)
        )
        ordered += ready
        remaining -= set(ready)
    return ordered


def timed(iterations: int, step: Callable[[int], Awaitable[None]]) -> list[float]:
    async def run() -> list[float]:
        samples = []
        for i in range(iterations):
            started = time.perf_counter()
            await step(i)
            samples.append((time.perf_counter() - started) * 1000)
        return samples

    return asyncio.run(run())


def report(label: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p90 = samples[min(len(samples) - 1, int(len(samples) * 0.9))]
    print(f"{label:<48} median {statistics.median(samples):7.2f} ms   p90 {p90:7.2f} ms")


def product(server_dsn: str, iterations: int, busy_ms: float) -> tuple[list[float], list[float], str]:
    """The fixture's path, test after test: (isolation ms per test, whole cycle ms per test, isolation)."""
    databases = TestDatabases(server_dsn)
    databases.start_ahead()
    waits: list[float] = []
    teardowns: list[float] = []

    async def one_test(i: int) -> None:
        # acquire/release block only while waiting, as in the fixture; one loop, as in the baseline.
        started = time.perf_counter()
        dsn = databases.acquire()
        got = time.perf_counter()
        await stand_in_test(dsn, i, busy_ms)
        ran = time.perf_counter()
        databases.release(database_of(dsn))
        waits.append((got - started) * 1000)
        teardowns.append((time.perf_counter() - ran) * 1000)

    try:
        cycles = timed(iterations, one_test)
        isolation = [w + t for w, t in zip(waits, teardowns, strict=True)]
    finally:
        databases.close()
    how = (
        "reused databases reset in the background"
        if databases.isolation == "reset"
        else f"clones ({databases.strategy}) made ahead in the background"
    )
    print(f"product: database_url fixture, {how}, tests of {busy_ms:g} ms + the stand-in")
    report("  wait for a fresh database", waits)
    report("  teardown on the test's path", teardowns)
    report("  isolation per test (wait + teardown)", isolation)
    report("  whole cycle with the stand-in test", cycles)
    return isolation, cycles, databases.isolation


def baseline(server_dsn: str, iterations: int, busy_ms: float) -> tuple[list[float], list[float]]:
    """BEGIN … ROLLBACK on one shared database: (BEGIN + ROLLBACK ms, whole cycle ms)."""
    databases = TestDatabases(server_dsn)
    try:
        shared = databases.clone()
        isolation: list[float] = []

        async def rollback(i: int) -> None:
            conn = await asyncpg.connect(shared)
            started = time.perf_counter()
            tx = conn.transaction()
            await tx.start()
            begun = time.perf_counter()
            await conn.execute(TEST_INSERT, f"r{i}")
            if busy_ms:
                await asyncio.sleep(busy_ms / 1000)
            ending = time.perf_counter()
            await tx.rollback()
            isolation.append((begun - started + time.perf_counter() - ending) * 1000)
            await conn.close()

        cycles = timed(iterations, rollback)
    finally:
        databases.close()
    print(
        f"baseline: one shared database, BEGIN … ROLLBACK around the stand-in test, tests of {busy_ms:g} ms"
    )
    report("  isolation per test (BEGIN + ROLLBACK)", isolation)
    report("  whole cycle with the stand-in test", cycles)
    return isolation, cycles


def bench(server_dsn: str, iterations: int) -> None:
    print("-- techniques")
    databases = TestDatabases(server_dsn, prefix="mgm_bench")
    databases.create_template()
    print(
        f"the fixtures' automatic choice here: {databases.isolation} isolation,"
        f" STRATEGY {databases.strategy} for clones"
    )
    try:
        # What the database_url fixture does: clone, test, drop (each with a fresh admin connection).
        for strategy in ("WAL_LOG", "FILE_COPY"):
            databases.strategy = strategy
            samples = []
            for i in range(iterations):
                started = time.perf_counter()
                dsn = databases.clone()
                asyncio.run(stand_in_test(dsn, i))
                databases.drop(database_of(dsn))
                samples.append((time.perf_counter() - started) * 1000)
            report(f"TestDatabases clone+drop, STRATEGY {strategy}", samples)

        assert databases.template is not None
        template = databases.template
        for strategy in ("WAL_LOG", "FILE_COPY"):

            async def clone_with_admin(i: int, strategy: str = strategy) -> None:
                admin = await asyncpg.connect(server_dsn)
                name = f"mgm_bench_s{i}"
                await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY {strategy}')
                await stand_in_test(databases.dsn_for(name), i)
                await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                await admin.close()

            report(f"same, one admin connection, {strategy}", timed(iterations, clone_with_admin))

        shared = databases.clone()

        async def setup_shared() -> list[str]:
            conn = await asyncpg.connect(shared)
            try:
                return await tables_children_first(conn)
            finally:
                await conn.close()

        tables = asyncio.run(setup_shared())

        async def delete_reset(i: int) -> None:
            await stand_in_test(shared, i)
            conn = await asyncpg.connect(shared)
            async with conn.transaction():
                for table in tables:
                    await conn.execute(f'DELETE FROM "{table}"')
                # Seed rows from migrations must be put back by hand: the catch of this technique.
                await conn.execute("INSERT INTO pool_state (singleton, size) VALUES (true, 0)")
            await conn.close()

        report("one database, DELETE from all tables", timed(iterations, delete_reset))

        async def truncate_reset(i: int) -> None:
            await stand_in_test(shared, i)
            conn = await asyncpg.connect(shared)
            listed = ", ".join(f'"{t}"' for t in tables)
            async with conn.transaction():
                await conn.execute(f"TRUNCATE {listed} RESTART IDENTITY CASCADE")
                await conn.execute("INSERT INTO pool_state (singleton, size) VALUES (true, 0)")
            await conn.close()

        report("one database, TRUNCATE … RESTART IDENTITY", timed(iterations, truncate_reset))

        async def product_reset(i: int) -> None:
            await stand_in_test(shared, i)
            await asyncio.to_thread(databases.reset, database_of(shared))

        report("one database, TestDatabases.reset (the batch)", timed(iterations, product_reset))

        async def rollback(i: int) -> None:
            conn = await asyncpg.connect(shared)
            tx = conn.transaction()
            await tx.start()
            await conn.execute(TEST_INSERT, f"r{i}")
            await tx.rollback()
            await conn.close()

        report("one connection, BEGIN … ROLLBACK", timed(iterations, rollback))

        async def migrate_fresh(i: int) -> None:
            admin = await asyncpg.connect(server_dsn)
            name = f"mgm_bench_m{i}"
            await admin.execute(f'CREATE DATABASE "{name}"')
            conn = await asyncpg.connect(databases.dsn_for(name))
            await migrate(conn)
            await conn.close()
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await admin.close()

        report("empty database + migrate() per test", timed(max(5, iterations // 3), migrate_fresh))
    finally:
        databases.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--external", help="bench this server DSN instead of an embedded one")
    parser.add_argument(
        "--busy-ms",
        type=float,
        default=50.0,
        help="what the rest of a test takes besides the stand-in (the suite's database tests: 100+ ms)",
    )
    args = parser.parse_args()
    if args.external:
        print(f"server: external, tmp={tempfile.gettempdir()}")
        run_all(args.external, args.iterations, args.busy_ms)
        return
    started = time.perf_counter()
    with embedded_test_server() as server:
        print(
            f"server: embedded PostgreSQL {server.binaries.version} ({server.binaries.source}), "
            f"data in {Path(server.data_dir).parent}, mode {server.run_mode}, "
            f"started in {(time.perf_counter() - started) * 1000:.0f} ms"
        )
        run_all(server.dsn, args.iterations, args.busy_ms)


def run_all(server_dsn: str, iterations: int, busy_ms: float) -> None:
    bench(server_dsn, iterations)
    print("-- worst case: tiny tests back to back, faster than clones can be made")
    product(server_dsn, iterations, 0.0)
    print(f"-- the product against its baseline, tests busy {busy_ms:g} ms (see bench/README.md)")
    product_isolation, product_cycle, mode = product(server_dsn, iterations, busy_ms)
    baseline_isolation, baseline_cycle = baseline(server_dsn, iterations, busy_ms)
    mine, theirs = statistics.median(product_isolation), statistics.median(baseline_isolation)
    print(
        f"per-test isolation (median, tests busy {busy_ms:g} ms, {mode}):"
        f" product {mine:.2f} ms (wait + teardown)"
        f" vs BEGIN…ROLLBACK baseline {theirs:.2f} ms (BEGIN + ROLLBACK); whole cycles"
        f" {statistics.median(product_cycle):.1f} vs {statistics.median(baseline_cycle):.1f} ms;"
        f" ratio {mine / theirs:.2f}"
    )


if __name__ == "__main__":
    main()
