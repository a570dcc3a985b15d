"""Reused test databases: after a dirty test, a reset database equals a fresh clone.

The oracle (:func:`snapshot`) lists tables and sequences through ``information_schema``
and reads every row and sequence value itself, so it shares no code nor table list with
the reset it checks (:mod:`mgm_core.testing.reset`, which reads ``pg_class``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import pytest

from mgm_core.db.migrate import migrate
from mgm_core.testing.postgres import ISOLATION_ENV, TestDatabases, database_of
from mgm_core.testing.reset import schema_changed

Snapshot = dict[str, Any]


async def _snapshot(dsn: str) -> Snapshot:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        tables = await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
        state: Snapshot = {}
        for t in tables:
            name = f'"{t["table_schema"]}"."{t["table_name"]}"'
            rows = await conn.fetch(f"SELECT to_jsonb(x)::text AS row FROM {name} AS x")
            state[f"table {name}"] = sorted(r["row"] for r in rows)
        sequences = await conn.fetch(
            "SELECT sequence_schema, sequence_name FROM information_schema.sequences"
            " WHERE sequence_schema NOT IN ('pg_catalog', 'information_schema')"
        )
        for s in sequences:
            name = f'"{s["sequence_schema"]}"."{s["sequence_name"]}"'
            row = await conn.fetchrow(f"SELECT last_value, is_called FROM {name}")
            assert row is not None
            state[f"sequence {name}"] = (row["last_value"], row["is_called"])
        state["large objects"] = await conn.fetchval("SELECT count(*) FROM pg_largeobject_metadata")
        return state
    finally:
        await conn.close()


def snapshot(dsn: str) -> Snapshot:
    """Every table's rows and every sequence's value, found and read independently of the reset."""
    return asyncio.run(_snapshot(dsn))


def execute(dsn: str, sql: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


DIRTY_TEST = """
UPDATE pool_state SET size = 5;
DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations);
INSERT INTO chat_deliveries_seen (kind, id, seen_at) VALUES ('message', 'dirty', now());
INSERT INTO eventsub_revocations (subscription_id, type, status, received_at)
    VALUES ('s', 't', 'revoked', now());
INSERT INTO payouts (id, twitch_user_id, twitch_display_name, character_name, gold_amount,
                     enrollment_request_id, status, created_at, updated_at)
    VALUES ('00000000-0000-0000-0000-000000000001', 'u', 'U', 'Char', 1000, 'e', 'Pending', now(), now());
INSERT INTO payout_events (payout_id, type, occurred_at)
    VALUES ('00000000-0000-0000-0000-000000000001', 'created', now());
INSERT INTO notification_deliveries (payout_id, channel, created_at)
    VALUES ('00000000-0000-0000-0000-000000000001', 'chat', now());
INSERT INTO spin_cycles (id, cycle_start, verification_deadline, payout_id)
    VALUES ('00000000-0000-0000-0000-000000000002', now(), now(), '00000000-0000-0000-0000-000000000001');
INSERT INTO enrollment_requests (enrollment_request_id, twitch_user_id, twitch_display_name,
                                 character_name, created_at)
    VALUES ('e', 'u', 'U', 'Char', now());
INSERT INTO pool_entries (twitch_user_id, twitch_display_name, character_name, character_name_key,
                          slot, source, enrolled_at)
    VALUES ('u', 'U', 'Char', 'char', 0, 'chat', now());
SELECT lo_create(0);
"""


async def _advance_every_sequence(dsn: str) -> None:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        for s in await conn.fetch(
            "SELECT format('%I.%I', sequence_schema, sequence_name) AS name FROM information_schema.sequences"
        ):
            await conn.fetchval("SELECT nextval($1::regclass)", s["name"])
    finally:
        await conn.close()


@pytest.fixture
def hold_open() -> Iterator[Callable[[str, str], None]]:
    """Leave a connection open in a transaction holding locks, as a test that forgot one would."""
    loop = asyncio.new_event_loop()
    left: list[asyncpg.Connection] = []

    def hold(dsn: str, sql: str) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(dsn, timeout=10)
            left.append(conn)
            await conn.execute("BEGIN")
            await conn.execute(sql)

        loop.run_until_complete(run())

    yield hold
    for conn in left:
        conn.terminate()
    loop.close()


def dirty(dsn: str, hold_open: Callable[[str, str], None]) -> None:
    execute(dsn, DIRTY_TEST)
    asyncio.run(_advance_every_sequence(dsn))
    hold_open(dsn, "SELECT * FROM pool_state FOR UPDATE")


def test_after_a_dirty_test_a_reused_database_equals_a_fresh_clone(
    pg_server_dsn: str, hold_open: Callable[[str, str], None]
) -> None:
    databases = TestDatabases(pg_server_dsn, isolation="reset")
    try:
        databases.start_ahead(depth=1)
        first = databases.acquire()
        fresh = databases.clone()
        clean = snapshot(fresh)
        assert clean['table "public"."pool_state"'] == ['{"size": 0, "singleton": true}']
        assert len(clean['table "public"."schema_migrations"']) >= 6
        dirty(first, hold_open)
        dirtied = snapshot(first)
        unchanged = sorted(k for k in clean if dirtied[k] == clean[k])
        assert unchanged == [], f"the dirty test should change everything; it left {unchanged}"

        databases.release(database_of(first))
        again = databases.acquire()  # one database in the pool: the same one, reset
        assert again == first
        assert snapshot(again) == clean
        assert databases._ahead is not None and databases._ahead.resets == 1
    finally:
        databases.close()


def test_a_new_migration_s_tables_seed_rows_and_sequences_are_covered(
    pg_server_dsn: str, hold_open: Callable[[str, str], None]
) -> None:
    async def migrate_and_more(conn: asyncpg.Connection) -> list[int]:
        applied = await migrate(conn)
        # What a future migration might add, unknown to the reset's code.
        await conn.execute(
            """
            CREATE SCHEMA extra;
            CREATE TABLE extra.settings (
                id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                key text UNIQUE NOT NULL,
                value text,
                key_length int GENERATED ALWAYS AS (length(key)) STORED
            );
            INSERT INTO extra.settings (key, value) VALUES ('mode', 'on'), ('it''s', E'a\\\\b');
            CREATE TABLE extra."Children" (
                id bigserial PRIMARY KEY,
                setting int NOT NULL REFERENCES extra.settings (id)
            );
            INSERT INTO extra."Children" (setting) VALUES (1);
            CREATE SEQUENCE extra.counter START 100;
            SELECT nextval('extra.counter');
            """
        )
        return applied

    databases = TestDatabases(pg_server_dsn, isolation="reset", migrator=migrate_and_more)
    try:
        databases.create_template()
        assert databases.reset_plan is not None
        assert {"extra.settings", 'extra."Children"'} <= set(databases.reset_plan.seeded)
        used, fresh = databases.clone(), databases.clone()
        clean = snapshot(fresh)
        assert clean['table "extra"."Children"'] == ['{"id": 1, "setting": 1}']
        dirty(used, hold_open)
        execute(
            used,
            "DELETE FROM extra.\"Children\"; DELETE FROM extra.settings WHERE key = 'mode';"
            " INSERT INTO extra.settings (key) VALUES ('new'); SELECT nextval('extra.counter');",
        )
        assert snapshot(used) != clean
        databases.reset(database_of(used))
        assert snapshot(used) == clean
    finally:
        databases.close()


def test_a_test_that_changes_the_schema_gets_a_fresh_clone_next(pg_server_dsn: str) -> None:
    databases = TestDatabases(pg_server_dsn, isolation="reset")
    try:
        spare = databases.clone()
        execute(spare, "ALTER TABLE pool_state ADD COLUMN stray int")
        with pytest.raises(asyncpg.PostgresError) as refused:
            databases.reset(database_of(spare))
        assert schema_changed(refused.value)

        databases.start_ahead(depth=1)
        first = databases.acquire()
        execute(first, "CREATE TABLE stray (v int)")
        databases.release(database_of(first))
        second = databases.acquire()
        assert second != first, "a database whose schema a test changed is not handed out again"
        assert snapshot(second) == snapshot(databases.clone())
        assert databases._ahead is not None and databases._ahead.replaced == 1
        rows = asyncio.run(_names(pg_server_dsn, database_of(first)))
        assert rows == [], "the changed database was dropped"
    finally:
        databases.close()


async def _names(server_dsn: str, name: str) -> list[str]:
    conn = await asyncpg.connect(server_dsn, timeout=10)
    try:
        return [
            r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database WHERE datname = $1", name)
        ]
    finally:
        await conn.close()


def test_the_isolation_is_chosen_by_durability_or_by_the_setting(
    pg_server_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ISOLATION_ENV, raising=False)
    fsync = asyncio.run(_show(pg_server_dsn, "fsync"))
    auto = TestDatabases(pg_server_dsn)
    try:
        auto.create_template()
        assert auto.isolation == ("clone" if fsync == "off" else "reset")
    finally:
        auto.close()
    monkeypatch.setenv(ISOLATION_ENV, "reset")
    assert TestDatabases(pg_server_dsn).isolation == "reset"
    monkeypatch.setenv(ISOLATION_ENV, "sometimes")
    with pytest.raises(ValueError, match=ISOLATION_ENV):
        TestDatabases(pg_server_dsn)


async def _show(dsn: str, setting: str) -> str:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        return str(await conn.fetchval(f"SHOW {setting}"))
    finally:
        await conn.close()


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_the_fixture_s_database_is_clean_whatever_the_isolation(database_url: str, attempt: int) -> None:
    state = snapshot(database_url)
    assert state['table "public"."pool_state"'] == ['{"size": 0, "singleton": true}']
    assert state['table "public"."chat_deliveries_seen"'] == []
    assert all(v == (1, False) for k, v in state.items() if k.startswith("sequence")), state
    execute(database_url, DIRTY_TEST)
    asyncio.run(_advance_every_sequence(database_url))
    assert os.environ.get(ISOLATION_ENV, "auto") in ("auto", "clone", "reset")
