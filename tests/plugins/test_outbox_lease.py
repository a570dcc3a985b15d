"""Crashes around an announcement: nothing is ever left silently ``claimed``.

The three crash points of one delivery: killed before the claim (the row stays
``pending`` — tests/plugins/test_outbox.py), killed during the attempt, killed
after the provider answered. A channel that deduplicates on the delivery id is
redelivered; Helix chat, which cannot, becomes ``uncertain`` on the payout's
API until an operator resolves it with ``mgm outbox``.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from datetime import timedelta

import httpx
import pytest

from mgm_core.cli import main as mgm
from mgm_core.plugins import hookimpl
from mgm_core.store.outbox import LEASE
from mgm_core.testing.serve_process import ServeProcess, serve_env

HELIX = "helix_chat"
PAST_THE_LEASE = (LEASE + timedelta(minutes=5)).total_seconds()


class Ledger:
    """An idempotent channel: records every call, applies each delivery id once."""

    name = "ledger"
    idempotent = True

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.applied: dict[str, str] = {}

    async def deliver(self, notification, context) -> None:
        self.calls.append(notification.delivery_id)
        self.applied.setdefault(notification.delivery_id, notification.message)


class LedgerPlugin:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    @hookimpl
    def mgm_notification_channels(self, context):
        return [self.ledger]


def sent(ebs, user="90001337", name="Norinn") -> str:
    payout = ebs.win(user, name)
    assert ebs.patch_status(payout["id"], "InProgress").status_code == 200
    assert ebs.patch_status(payout["id"], "Sent").status_code == 200
    return payout["id"]


def notifications(ebs, payout_id: str) -> dict[str, dict]:
    detail = ebs.http.get(f"/api/payouts/{payout_id}", headers=ebs.desktop())
    assert detail.status_code == 200, detail.text
    return {n["channel"]: n for n in detail.json()["notifications"]}


def crash_after_the_provider_answered(ebs, payout_id: str, channel: str) -> None:
    """What a process killed between the channel's answer and the outcome's commit leaves."""
    ebs.fetchval(
        "UPDATE notification_deliveries SET status = 'claimed', claimed_by = 'killed', finished_at = NULL,"
        " claimed_at = $3::timestamptz, lease_until = $3::timestamptz + interval '2 minutes'"
        " WHERE payout_id = $1::uuid AND channel = $2 RETURNING 1",
        payout_id,
        channel,
        ebs.clock.now(),
    )
    ebs.fetchval(
        "UPDATE payouts SET is_reward_sent_announced_to_chat = false WHERE id = $1::uuid RETURNING 1",
        payout_id,
    )


def test_after_the_provider_answered_an_idempotent_channel_is_redelivered_with_the_same_id(make_ebs):
    ledger = Ledger()
    first = make_ebs(plugins=[LedgerPlugin(ledger)])
    payout_id = sent(first)
    assert len(ledger.calls) == 1
    crash_after_the_provider_answered(first, payout_id, "ledger")
    first.stop()

    second = make_ebs(plugins=[LedgerPlugin(ledger)])
    assert notifications(second, payout_id)["ledger"]["status"] == "claimed"  # the lease still runs
    second.advance(PAST_THE_LEASE)
    assert len(ledger.calls) == 2 and len(set(ledger.calls)) == 1  # same delivery id: deduplicated
    assert len(ledger.applied) == 1
    row = notifications(second, payout_id)["ledger"]
    assert (row["status"], row["attempts"]) == ("delivered", 2)
    second.advance(3600 * 2)  # nothing more, ever
    assert len(ledger.calls) == 2


def test_after_helix_answered_the_delivery_is_uncertain_not_resent(make_ebs, helix_mock, helix_settings):
    first = make_ebs(**helix_settings)
    payout_id = sent(first)
    assert len(helix_mock.chat_requests()) == 1
    crash_after_the_provider_answered(first, payout_id, HELIX)
    first.stop()

    second = make_ebs(**helix_settings)
    second.advance(PAST_THE_LEASE)
    row = notifications(second, payout_id)[HELIX]
    assert row["status"] == "uncertain" and "lease expired" in row["detail"]
    second.advance(3600 * 2)
    assert len(helix_mock.chat_requests()) == 1


def test_two_replicas_recovering_at_once_redeliver_once(make_ebs):
    ledger = Ledger()
    one = make_ebs(plugins=[LedgerPlugin(ledger)])
    payout_id = sent(one)
    crash_after_the_provider_answered(one, payout_id, "ledger")
    two = make_ebs(plugins=[LedgerPlugin(ledger)])
    one.clock.advance(PAST_THE_LEASE)  # one clock: both replicas wake at once
    threads = [threading.Thread(target=e.tick) for e in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ledger.calls) == 2
    assert notifications(one, payout_id)["ledger"]["status"] == "delivered"


@pytest.mark.slow
def test_killed_during_the_helix_attempt_then_resolved_by_an_operator(
    make_ebs, database_url, helix_mock, helix_settings, mgm_clock, capsys
):
    setup = make_ebs(**helix_settings)
    payout = setup.win("90001337", "Norinn")
    assert setup.patch_status(payout["id"], "InProgress").status_code == 200
    setup.stop()

    helix_mock.faults({"delayMs": 3000, "times": 1})  # Helix holds the first attempt
    env = serve_env(
        database_url,
        mgm_clock.now(),
        MGM_BROADCASTER_TOKEN=helix_settings["broadcaster_token"],
        MGM_BROADCASTER_ID=helix_settings["broadcaster_id"],
        MGM_HELIX_CLIENT_ID=helix_settings["helix_client_id"],
        MGM_HELIX_BASE_URL=helix_settings["helix_base_url"],
    )
    victim = ServeProcess(env)
    try:
        answers: list[object] = []
        patch = threading.Thread(
            target=lambda: _ignore_errors(
                lambda: answers.append(
                    victim.http.patch(f"/api/payouts/{payout['id']}/status", json={"status": "Sent"})
                )
            )
        )
        patch.start()
        deadline = time.monotonic() + 30
        while not helix_mock.chat_requests():
            assert not answers and time.monotonic() < deadline, (answers, victim.log[-15:])
            time.sleep(0.02)
    finally:
        victim.kill()  # SIGKILL while the Helix POST is in flight
    patch.join(timeout=30)

    after = make_ebs(**helix_settings)
    assert notifications(after, payout["id"])[HELIX]["status"] == "claimed"
    after.advance(PAST_THE_LEASE)
    row = notifications(after, payout["id"])[HELIX]
    assert row["status"] == "uncertain"
    assert len(helix_mock.chat_requests()) == 1  # not resent on its own

    # The operator looks, decides the message did not go out, and redelivers it.
    cli_env = {"MGM_DATABASE_URL": database_url}
    assert _mgm(["outbox", "list", "--json"], cli_env) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["payoutId"], r["channel"], r["status"]) for r in listed] == [
        (payout["id"], HELIX, "uncertain")
    ]
    assert _mgm(["outbox", "redeliver", payout["id"], HELIX], cli_env) == 0
    after.advance(3600 + 1)  # the hourly sweep sends pending rows
    assert len(helix_mock.chat_requests()) == 2
    assert notifications(after, payout["id"])[HELIX]["status"] == "delivered"


def test_an_operator_can_abandon_an_uncertain_delivery(
    make_ebs, database_url, helix_mock, helix_settings, capsys
):
    first = make_ebs(**helix_settings)
    payout_id = sent(first)
    crash_after_the_provider_answered(first, payout_id, HELIX)
    first.advance(PAST_THE_LEASE)
    cli_env = {"MGM_DATABASE_URL": database_url}
    assert _mgm(["outbox", "list"], cli_env) == 0
    table = capsys.readouterr().out
    assert payout_id in table and "uncertain" in table
    assert _mgm(["outbox", "abandon", payout_id, HELIX], cli_env) == 0
    assert notifications(first, payout_id)[HELIX]["status"] == "abandoned"
    assert _mgm(["outbox", "abandon", payout_id, HELIX], cli_env) == 1  # nothing left to abandon
    assert _mgm(["outbox", "redeliver", str(uuid.uuid4()), HELIX], cli_env) == 1
    first.advance(3600 * 2)
    assert len(helix_mock.chat_requests()) == 1


def _mgm(argv: list[str], env: dict[str, str]) -> int:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return mgm(argv)


def _ignore_errors(call) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the process is killed under the request
        call()
