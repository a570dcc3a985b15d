"""Three ``mgm serve`` processes on one PostgreSQL, load spread over them for several cycles.

Per cycle: exactly one draw, one payout for the verified candidate however many
replicas report it, one Helix announcement however many replicas see ``Sent``;
and nothing acknowledged is lost when a replica is SIGKILLed mid-load. The
oracle reads the database directly and counts Helix calls at the mock.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import asyncpg
import httpx
import pytest

from mgm_core.testing.ebs import TEST_EVENTSUB_SECRET
from mgm_core.testing.serve_process import ServeProcess, serve_env

CYCLE = timedelta(minutes=5)
VIEWERS_PER_CYCLE = 6


def _sql(dsn: str, query: str, *args):
    async def run():
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def _chat(replica: ServeProcess, now: datetime, user: str, text: str) -> httpx.Response:
    """A signed channel.chat.message, built here from Twitch's rules (not the EBS's helpers)."""
    message_id = str(uuid.uuid4())
    body = json.dumps(
        {
            "subscription": {"id": str(uuid.uuid4()), "type": "channel.chat.message", "version": "1"},
            "event": {
                "broadcaster_user_id": "1000",
                "chatter_user_id": user,
                "chatter_user_login": f"login{user}",
                "chatter_user_name": f"Viewer{user}",
                "message_id": message_id,
                "message": {"text": text, "fragments": [{"type": "text", "text": text}]},
                "badges": [{"set_id": "subscriber", "id": "1", "info": ""}],
            },
        }
    ).encode()
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    digest = hmac.new(
        TEST_EVENTSUB_SECRET.encode(), message_id.encode() + stamp.encode() + body, hashlib.sha256
    )
    headers = {
        "Content-Type": "application/json",
        "Twitch-Eventsub-Message-Id": message_id,
        "Twitch-Eventsub-Message-Timestamp": stamp,
        "Twitch-Eventsub-Message-Type": "notification",
        "Twitch-Eventsub-Subscription-Type": "channel.chat.message",
        "Twitch-Eventsub-Subscription-Version": "1",
        "Twitch-Eventsub-Message-Signature": "sha256=" + digest.hexdigest(),
    }
    return replica.http.post("/api/twitch/eventsub", content=body, headers=headers)


def _post(replica: ServeProcess, path: str, body: dict) -> httpx.Response:
    return replica.http.post(path, json=body)


def _patch_sent(replica: ServeProcess, payout_id: str) -> httpx.Response:
    return replica.http.patch(f"/api/payouts/{payout_id}/status", json={"status": "Sent"})


def _name(user: str) -> str:
    return "Hero" + "".join(chr(97 + int(d)) for d in user)


@pytest.mark.slow
def test_three_replicas_one_draw_one_payout_one_announcement_per_cycle(
    database_url, helix_mock, helix_settings, mgm_clock
):
    start = mgm_clock.now()
    env = serve_env(
        database_url,
        start,
        MGM_BROADCASTER_TOKEN=helix_settings["broadcaster_token"],
        MGM_BROADCASTER_ID=helix_settings["broadcaster_id"],
        MGM_HELIX_CLIENT_ID=helix_settings["helix_client_id"],
        MGM_HELIX_BASE_URL=helix_settings["helix_base_url"],
    )
    with ThreadPoolExecutor(3) as boot:
        replicas = list(boot.map(lambda _: ServeProcess(env), range(3)))
    alive = list(replicas)
    acknowledged: set[str] = set()
    sent_payouts: list[str] = []
    try:
        first_cycle = start.replace(minute=start.minute - start.minute % 5, second=0, microsecond=0)
        for cycle in range(3):
            cycle_start = first_cycle + cycle * CYCLE
            now = cycle_start + timedelta(seconds=60)
            for replica in alive:
                replica.set_time(now)
            users = [str(10000 + cycle * 100 + i) for i in range(VIEWERS_PER_CYCLE)]

            def enroll(pair: tuple[int, str], now: datetime = now) -> tuple[str, int]:
                index, user = pair
                try:
                    return user, _chat(
                        alive[index % len(alive)], now, user, f"!twgold {_name(user)}"
                    ).status_code
                except httpx.HTTPError:
                    return user, 0  # the replica died under this request: not acknowledged

            with ThreadPoolExecutor(6) as load:
                futures = [load.submit(enroll, pair) for pair in enumerate(users)]
                if cycle == 2:  # SIGKILL one replica while deliveries are in flight
                    victim = alive.pop()
                    victim.kill()
                results = [f.result() for f in futures]
            acknowledged |= {user for user, status in results if status == 204}
            assert {status for _, status in results} <= {204, 0}
            for user, status in results:
                if status != 204:  # the sender's retry goes to a live replica
                    assert _chat(alive[0], now, user, f"!twgold {_name(user)}").status_code == 204
                    acknowledged.add(user)

            # Every replica reaches the draw instant; only one draws.
            draw_time = cycle_start + timedelta(seconds=240)
            with ThreadPoolExecutor(3) as clocks:
                list(clocks.map(ServeProcess.set_time, alive, [draw_time] * len(alive)))
            drawn = _sql(
                database_url,
                "SELECT id, drawn_by, candidate_character_name FROM spin_cycles"
                " WHERE cycle_start = $1 AND drawn_at IS NOT NULL",
                cycle_start,
            )
            assert len(drawn) == 1, drawn
            candidate = alive[cycle % len(alive)].http.get("/api/roulette/candidate")
            assert candidate.status_code == 200, candidate.text
            spin = candidate.json()
            report = {
                "schemaVersion": 1,
                "spinCycleId": spin["spinCycleId"],
                "characterName": spin["characterName"],
                "online": True,
                "capturedAt": draw_time.isoformat(),
            }
            with ThreadPoolExecutor(3) as desktops:
                answers = list(
                    desktops.map(
                        _post, alive, ["/api/roulette/verify-candidate"] * len(alive), [report] * len(alive)
                    )
                )
            assert {a.status_code for a in answers} <= {200, 409}, [a.text for a in answers]
            payouts = _sql(
                database_url,
                "SELECT id FROM payouts WHERE spin_cycle_id = $1",
                uuid.UUID(spin["spinCycleId"]),
            )
            assert len(payouts) == 1
            payout_id = str(payouts[0]["id"])
            patch = alive[0].http.patch(f"/api/payouts/{payout_id}/status", json={"status": "InProgress"})
            assert patch.status_code == 200, patch.text
            with ThreadPoolExecutor(6) as desktops:
                sents = list(
                    desktops.map(_patch_sent, [alive[i % len(alive)] for i in range(6)], [payout_id] * 6)
                )
            assert {s.status_code for s in sents} == {200}
            sent_payouts.append(payout_id)
            assert len(helix_mock.chat_requests()) == len(sent_payouts)  # one announcement per Sent

        # Nothing acknowledged is lost: every enrolled viewer is in the pool or won.
        rows = _sql(database_url, "SELECT twitch_user_id FROM pool_entries")
        winners = _sql(database_url, "SELECT twitch_user_id FROM payouts")
        assert acknowledged <= {r["twitch_user_id"] for r in rows} | {r["twitch_user_id"] for r in winners}
        cycles = _sql(database_url, "SELECT count(*) AS n FROM spin_cycles WHERE drawn_at IS NOT NULL")
        assert cycles[0]["n"] == 3
        assert len({r["drawn_by"] for r in _sql(database_url, "SELECT drawn_by FROM spin_cycles")}) >= 1
    finally:
        for replica in alive:
            replica.stop()
