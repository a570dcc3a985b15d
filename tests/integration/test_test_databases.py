"""The test-database fixtures: a migrated template per worker, cloned per test."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from mgm_core.db.embedded import dsn_with_database
from mgm_core.db.migrate import available_migrations, migrate
from mgm_core.testing.postgres import (
    EXTERNAL_DSN_ENV,
    TestDatabases,
    database_of,
    default_prefix,
    worker_id,
)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_EXTERNAL_DSN = "postgresql://postgres@127.0.0.1:5432/test"
ALL_VERSIONS = [m.version for m in available_migrations()]


async def _fetch(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


def fetch(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    return asyncio.run(_fetch(dsn, sql, *args))


def databases_named(server_dsn: str, prefix: str) -> list[str]:
    rows = fetch(server_dsn, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix)
    return sorted(r["datname"] for r in rows)


@pytest.fixture(scope="module")
def external_dsn() -> str:
    """A PostgreSQL server outside the test run; skips when none answers."""
    dsn = os.environ.get(EXTERNAL_DSN_ENV, "").strip() or DEFAULT_EXTERNAL_DSN

    async def probe() -> None:
        conn = await asyncpg.connect(dsn, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"no external PostgreSQL at {dsn}: {exc}")
    return dsn


def test_each_test_gets_a_migrated_database_of_its_own(
    database_url: str, pg_test_databases: TestDatabases
) -> None:
    assert database_of(database_url).startswith(pg_test_databases.prefix)
    if not os.environ.get(EXTERNAL_DSN_ENV):
        assert pg_test_databases.strategy == "FILE_COPY", "the embedded server runs without fsync"
    rows = fetch(database_url, "SELECT version FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in rows] == ALL_VERSIONS
    assert fetch(database_url, "SELECT size FROM pool_state")[0]["size"] == 0


@pytest.mark.parametrize("attempt", [1, 2])
def test_writes_do_not_leak_between_tests(database_url: str, attempt: int) -> None:
    # Both runs insert the same key: the second would collide if it saw the first's database.
    fetch(
        database_url,
        "INSERT INTO chat_deliveries_seen (kind, id, seen_at) VALUES ('message', 'same-id', now())",
    )
    assert len(fetch(database_url, "SELECT 1 FROM chat_deliveries_seen")) == 1


def test_clones_are_isolated_from_each_other(pg_test_databases: TestDatabases) -> None:
    first, second = pg_test_databases.clone(), pg_test_databases.clone()
    try:
        assert database_of(first) != database_of(second)
        fetch(first, "UPDATE pool_state SET size = 5")
        assert fetch(first, "SELECT size FROM pool_state")[0]["size"] == 5
        assert fetch(second, "SELECT size FROM pool_state")[0]["size"] == 0
    finally:
        pg_test_databases.drop(database_of(first))
        pg_test_databases.drop(database_of(second))


def test_the_template_refuses_connections(pg_test_databases: TestDatabases) -> None:
    assert pg_test_databases.template is not None
    with pytest.raises(asyncpg.PostgresError, match="not currently accepting connections"):
        fetch(pg_test_databases.dsn_for(pg_test_databases.template), "SELECT 1")


def test_drop_ends_connections_left_open(pg_test_databases: TestDatabases) -> None:
    dsn = pg_test_databases.clone()

    async def scenario() -> None:
        forgotten = await asyncpg.connect(dsn)
        await asyncio.to_thread(pg_test_databases.drop, database_of(dsn))
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError)):
            await forgotten.fetchval("SELECT 1")
        forgotten.terminate()

    asyncio.run(scenario())
    assert databases_named(pg_test_databases.server_dsn, database_of(dsn)) == []


def test_concurrent_migrations_apply_once(pg_server_dsn: str) -> None:
    name = f"{default_prefix()}_race"
    dsn = dsn_with_database(pg_server_dsn, name)

    async def scenario() -> list[list[int]]:
        admin = await asyncpg.connect(pg_server_dsn)
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            one, two = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
            try:
                results = await asyncio.gather(migrate(one), migrate(two))
                rows = await one.fetch("SELECT version FROM schema_migrations ORDER BY version")
                assert [r["version"] for r in rows] == ALL_VERSIONS
            finally:
                await one.close()
                await two.close()
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
        return sorted(results)

    assert asyncio.run(scenario()) == [[], ALL_VERSIONS]


def test_close_drops_the_template_and_every_clone(pg_server_dsn: str) -> None:
    databases = TestDatabases(pg_server_dsn)
    template = databases.create_template()
    assert databases.create_template() == template, "the template is made once"
    kept = databases.clone()
    dropped = databases.clone()
    databases.drop(database_of(dropped))
    assert databases_named(pg_server_dsn, databases.prefix) == sorted([template, database_of(kept)])
    databases.close()
    assert databases_named(pg_server_dsn, databases.prefix) == []


def test_names_are_unique_per_worker_and_run() -> None:
    prefix = default_prefix()
    assert str(os.getpid()) in prefix
    assert worker_id().replace("-", "") in prefix or worker_id() == "main"
    assert default_prefix() != prefix, "a random part separates runs that reuse a pid"
    assert len(prefix) <= 48


def test_an_external_server_works(external_dsn: str) -> None:
    databases = TestDatabases(external_dsn, isolation="auto")
    try:
        first, second = databases.clone(), databases.clone()
        fsync = fetch(first, "SHOW fsync")[0]["fsync"]
        assert databases.strategy == ("FILE_COPY" if fsync == "off" else "WAL_LOG")
        assert databases.isolation == ("clone" if fsync == "off" else "reset")
        fetch(first, "UPDATE pool_state SET size = 3")
        assert fetch(second, "SELECT size FROM pool_state")[0]["size"] == 0
        rows = fetch(second, "SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in rows] == ALL_VERSIONS
    finally:
        databases.close()
    assert databases_named(external_dsn, databases.prefix) == []


def test_the_fixtures_use_the_server_named_by_the_environment(external_dsn: str, tmp_path: Path) -> None:
    record = tmp_path / "seen.txt"
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            f"""
            import asyncio

            import asyncpg


            def test_uses_a_clone(database_url, pg_server_dsn, pg_test_databases):
                async def probe():
                    conn = await asyncpg.connect(database_url)
                    try:
                        return await conn.fetchval("SELECT inet_server_port()")
                    finally:
                        await conn.close()

                assert pg_server_dsn == {external_dsn!r}
                assert asyncio.run(probe()) == {int(external_dsn.split(":")[-1].split("/")[0])}
                with open({str(record)!r}, "w") as out:
                    out.write(pg_test_databases.prefix)
            """
        )
    )
    env = {
        **os.environ,
        EXTERNAL_DSN_ENV: external_dsn,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    # Only the plugin under test: the installed ones add seconds of start-up.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "mgm_core.testing.postgres", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    prefix = record.read_text()
    assert databases_named(external_dsn, prefix) == [], "the session dropped what it made"


def _wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def test_clones_made_ahead_are_fresh_and_released_ones_are_dropped(pg_server_dsn: str) -> None:
    databases = TestDatabases(pg_server_dsn, isolation="clone")
    try:
        databases.start_ahead(depth=2)
        assert databases.isolation == "clone"
        template = databases.template
        assert template is not None
        # Two ready besides the template, made without anyone asking.
        _wait_until(lambda: len(databases_named(pg_server_dsn, databases.prefix)) == 3, "two clones ready")
        first = databases.acquire()
        fetch(first, "UPDATE pool_state SET size = 7")
        databases.release(database_of(first))
        _wait_until(
            lambda: database_of(first) not in databases_named(pg_server_dsn, databases.prefix),
            "the released clone is dropped",
        )
        for _ in range(3):  # more than were ready: later ones are made while we wait
            dsn = databases.acquire()
            assert dsn != first
            assert fetch(dsn, "SELECT size FROM pool_state")[0]["size"] == 0
            rows = fetch(dsn, "SELECT version FROM schema_migrations ORDER BY version")
            assert [r["version"] for r in rows] == ALL_VERSIONS
            databases.release(database_of(dsn))
    finally:
        databases.close()
    assert databases_named(pg_server_dsn, databases.prefix) == []


def test_every_test_database_names_its_owner(database_url: str, pg_server_dsn: str) -> None:
    row = fetch(
        pg_server_dsn,
        "SELECT shobj_description(oid, 'pg_database') AS stamp FROM pg_database WHERE datname = $1",
        database_of(database_url),
    )[0]
    stamp = json.loads(row["stamp"])
    assert stamp["kind"] == "mgm-test"
    assert stamp["pid"] == os.getpid()
    assert stamp["start"] == int(Path(f"/proc/{os.getpid()}/stat").read_text().rsplit(")", 1)[1].split()[19])


def test_a_broken_template_is_reported_to_the_test(pg_server_dsn: str) -> None:
    databases = TestDatabases(pg_server_dsn, isolation="clone")
    try:
        databases.start_ahead(depth=1)
        assert databases.template is not None
        fetch(pg_server_dsn, f'DROP DATABASE "{databases.template}" WITH (FORCE)')
        with pytest.raises(RuntimeError, match="could not prepare a test database"):
            for _ in range(3):  # the one made before the drop may still be handed out
                databases.release(database_of(databases.acquire()))
    finally:
        databases.close()
    assert databases_named(pg_server_dsn, databases.prefix) == []


def test_the_embedded_cluster_lives_in_memory(pg_server_dsn: str, database_url: str) -> None:
    if os.environ.get(EXTERNAL_DSN_ENV) or os.environ.get("MGM_TEST_SCRATCH_DIR"):
        pytest.skip("the cluster is not ours to place")
    if not Path("/dev/shm").is_dir() or shutil.disk_usage("/dev/shm").free < 256 * 1024 * 1024:
        pytest.skip("/dev/shm is missing or too small here")
    data_directory = fetch(database_url, "SHOW data_directory")[0]["data_directory"]
    assert data_directory.startswith("/dev/shm/mgm-pg-")
    owner = json.loads((Path(data_directory).parent / "owner.json").read_text())
    assert owner["pid"] == os.getpid()


def test_tests_faster_than_clones_do_not_pile_up_databases(pg_server_dsn: str) -> None:
    databases = TestDatabases(pg_server_dsn)
    try:
        databases.start_ahead(depth=2)
        for _ in range(20):  # each "test" ends at once, far faster than a clone is made
            databases.release(database_of(databases.acquire()))
        left = databases_named(pg_server_dsn, databases.prefix)
        # template + 2 ready + 1 being made + a few drops waiting; not one per test run so far
        assert len(left) <= 8, left
    finally:
        databases.close()
    assert databases_named(pg_server_dsn, databases.prefix) == []
