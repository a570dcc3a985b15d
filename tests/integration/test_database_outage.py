"""Database outages: every route answers 503 + Retry-After (never 500), and the pool heals.

Faults are real: backends terminated with ``pg_terminate_backend`` on the server,
and a TCP proxy between the EBS and PostgreSQL that refuses or cuts connections.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import asyncpg
import pytest

from mgm_core.testing.ebs import RunningEbs
from mgm_core.testing.ebs import test_config as ebs_config
from mgm_core.testing.fault_proxy import FaultProxy, postgres_target, proxied_dsn
from mgm_core.testing.postgres import database_of


def _terminate_backends(server_dsn: str, database: str) -> int:
    async def run() -> int:
        conn = await asyncpg.connect(server_dsn)
        try:
            return len(
                await conn.fetch(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = $1 AND pid <> pg_backend_pid()",
                    database,
                )
            )
        finally:
            await conn.close()

    return asyncio.run(run())


@pytest.fixture
def proxied_ebs(database_url, mgm_clock):
    with FaultProxy(postgres_target(database_url)) as proxy:
        ebs = RunningEbs(ebs_config(proxied_dsn(database_url, proxy)), clock=mgm_clock)
        try:
            yield ebs, proxy
        finally:
            proxy.restore()
            ebs.stop()


def _assert_unavailable(answer) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "service_unavailable"
    assert int(answer.headers["Retry-After"]) >= 1


def test_refused_connections_answer_503_on_every_kind_of_route_and_heal(proxied_ebs):
    ebs, proxy = proxied_ebs
    assert ebs.chat_delivery("1", "!twgold Norinn").status_code == 204

    proxy.refuse()
    _assert_unavailable(ebs.http.get("/health/ready"))
    _assert_unavailable(ebs.http.get("/api/payouts/pending", headers=ebs.desktop()))
    _assert_unavailable(ebs.http.get("/api/pool/me", headers=ebs.bearer("1")))
    _assert_unavailable(ebs.http.get("/api/roulette/state", headers=ebs.bearer("1")))
    _assert_unavailable(ebs.chat_delivery("2", "!twgold Etoehero"))
    _assert_unavailable(ebs.claim("3", "Thrall"))
    assert ebs.http.get("/health").status_code == 200  # liveness does not need the database

    proxy.restore()  # no EBS restart: the pool reconnects on its own
    assert ebs.http.get("/health/ready").status_code == 200
    assert ebs.chat_delivery("2", "!twgold Etoehero").status_code == 204  # the client's retry
    assert ebs.pool_me("1")["characterName"] == "Norinn"
    assert ebs.pool_me("2")["characterName"] == "Etoehero"


def test_a_read_on_a_cut_connection_is_retried_once(proxied_ebs):
    ebs, proxy = proxied_ebs
    assert ebs.chat_delivery("1", "!twgold Norinn").status_code == 204
    for _ in range(3):
        proxy.cut()  # every pooled connection dies; the next read meets a dead one or reconnects
        answer = ebs.http.get("/api/pool/me", headers=ebs.bearer("1"))
        assert answer.status_code == 200, answer.text
        assert answer.json()["characterName"] == "Norinn"


def test_terminated_backends_under_load_never_answer_500_and_lose_no_acknowledged_write(
    ebs, database_url, pg_server_dsn
):
    database = database_of(database_url)
    ids = [str(1000 + i) for i in range(120)]

    def name(user_id: str) -> str:
        return "Hero" + "".join(chr(97 + int(d)) for d in user_id)

    def enroll(user_id: str) -> tuple[str, int, str]:
        answer = ebs.chat_delivery(user_id, f"!twgold {name(user_id)}")
        return user_id, answer.status_code, answer.headers.get("Retry-After", "")

    def read(user_id: str) -> tuple[str, int, str]:
        answer = ebs.http.get("/api/pool/me", headers=ebs.bearer(user_id))
        return user_id, answer.status_code, answer.headers.get("Retry-After", "")

    results: list[tuple[str, int, str]] = []
    terminated = 0
    with ThreadPoolExecutor(max_workers=8) as workers:
        for start in range(0, len(ids), 20):
            batch = ids[start : start + 20]
            futures = [workers.submit(enroll, u) for u in batch] + [workers.submit(read, u) for u in batch]
            terminated += _terminate_backends(pg_server_dsn, database)
            results.extend(f.result() for f in futures)
    assert terminated > 0  # the fault really hit live connections

    statuses = {status for _, status, _ in results}
    assert statuses <= {200, 204, 503}, sorted(statuses)
    assert all(retry for _, status, retry in results if status == 503)
    assert ebs.http.get("/health/ready").status_code == 200  # healed, no restart

    acknowledged = {user for user, status, _ in results if status == 204}
    enrolled = set(ebs.fetchval("SELECT coalesce(array_agg(twitch_user_id), '{}') FROM pool_entries"))
    assert acknowledged <= enrolled
    for user in ids:  # a refused write retried later lands exactly once
        if user not in acknowledged:
            assert ebs.chat_delivery(user, f"!twgold {name(user)}").status_code == 204
    assert ebs.fetchval("SELECT count(*) FROM pool_entries") == len(ids)
