"""EbsClient against the fake EBS: routes, error codes, bounded retries with backoff (no real waiting)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from mgm_wow.bridge.ebs_client import (
    EbsAuthRejected,
    EbsClient,
    EbsRefused,
    EbsUnavailable,
    RetryPolicy,
    retry_after_seconds,
)
from mgm_wow.tags import WhoReport
from mgm_wow.testing import FakeEbs, serving

Scenario = Callable[[EbsClient, FakeEbs, list[float]], Awaitable[None]]


def play(scenario: Scenario, *, api_key: str | None = None, retry: RetryPolicy | None = None) -> None:
    async def main() -> None:
        fake = FakeEbs()
        sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        async with serving(fake.app()) as url:
            key = fake.api_key if api_key is None else api_key
            async with EbsClient(url, key, sleep=sleep, retry=retry, timeout=5) as client:
                await scenario(client, fake, sleeps)

    asyncio.run(main())


def test_desktop_routes_and_api_key_header():
    async def scenario(client, fake, sleeps):
        assert await client.get_candidate() is None
        cycle = fake.set_candidate("Norinn")
        candidate = await client.get_candidate()
        assert candidate.spin_cycle_id == cycle and candidate.character_name == "Norinn"
        assert candidate.spin_phase == "verification" and candidate.verification_deadline.tzinfo is not None
        await client.verify_candidate(WhoReport(1, cycle, "Norinn", True, "2025-11-24T03:41:07Z"))
        (pending,) = await client.get_pending()
        assert (pending.character_name, pending.gold_amount, pending.status) == ("Norinn", 1000, "Pending")
        await client.confirm_acceptance(pending.id, "Norinn")
        assert fake.accepted == {pending.id: "Norinn"}
        moved = await client.patch_status(pending.id, "InProgress")
        assert moved.status == "InProgress"
        assert (await client.get_payout(pending.id)).status == "InProgress"
        assert (await client.get_version())["version"] == fake.version
        assert [c.status for c in fake.calls] == [404, 200, 200, 200, 200, 200, 200, 200]
        assert fake.calls_to("PATCH")[0].body == {"status": "InProgress"}
        assert sleeps == []

    play(scenario)


def test_refusals_carry_the_ebs_code_and_are_not_retried():
    async def scenario(client, fake, sleeps):
        payout = fake.add_payout("Norinn", status="Sent")
        with pytest.raises(EbsRefused) as refused:
            await client.patch_status(payout, "Failed")
        assert (refused.value.status, refused.value.code) == (409, "terminal_status_change_not_allowed")
        with pytest.raises(EbsRefused) as refused:
            await client.confirm_acceptance("00000000-0000-0000-0000-000000000001", "X")
        assert refused.value.code == "not_found"
        assert sleeps == [] and len(fake.calls) == 2

    play(scenario)


@pytest.mark.parametrize(
    ("key", "status", "code"), [("", 403, "forbidden_apikey"), ("wrong", 403, "forbidden_apikey")]
)
def test_a_wrong_key_is_an_auth_rejection(key, status, code):
    async def scenario(client, fake, sleeps):
        with pytest.raises(EbsAuthRejected) as rejected:
            await client.get_pending()
        assert (rejected.value.status, rejected.value.code) == (status, code)

    play(scenario, api_key=key)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429])
def test_transient_failures_are_retried_with_backoff(status):
    async def scenario(client, fake, sleeps):
        fake.fail("GET", "/api/payouts/pending", times=2, status=status)
        assert await client.get_pending() == []
        assert sleeps == [2.0, 4.0]
        assert [c.status for c in fake.calls] == [status, status, 200]

    play(scenario)


def test_dropped_connections_are_retried():
    async def scenario(client, fake, sleeps):
        payout = fake.add_payout("Norinn", status="InProgress")
        fake.fail("PATCH", "/api/payouts/", times=1, disconnect=True)
        assert (await client.patch_status(payout, "Sent")).status == "Sent"
        assert sleeps == [2.0]

    play(scenario)


def test_the_retry_budget_is_bounded():
    async def scenario(client, fake, sleeps):
        fake.down = True
        with pytest.raises(EbsUnavailable) as unavailable:
            await client.get_pending()
        assert unavailable.value.status == 503 and unavailable.value.code == "service_unavailable"
        assert sleeps == [2.0, 4.0, 8.0]
        assert len(fake.calls) == 4

    play(scenario)


def test_an_unreachable_ebs_is_unavailable():
    async def main() -> None:
        sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        fake = FakeEbs()
        async with serving(fake.app()) as url:
            pass  # stopped: nothing listens on that port any more
        async with EbsClient(url, "k", sleep=sleep, retry=RetryPolicy((0.5,))) as client:
            with pytest.raises(EbsUnavailable) as unavailable:
                await client.get_pending()
        assert unavailable.value.status is None and sleeps == [0.5]

    asyncio.run(main())


def test_retry_after_is_honoured_and_capped():
    async def scenario(client, fake, sleeps):
        fake.fail("GET", "/api/payouts/pending", times=1, status=429, retry_after="7")
        fake.fail("GET", "/api/payouts/pending", times=1, status=503, retry_after="3600")
        assert await client.get_pending() == []
        assert sleeps == [7.0, 30.0]

    play(scenario, retry=RetryPolicy(delays=(2.0, 4.0, 8.0), max_retry_after=30.0))


def test_retry_after_parsing():
    now = datetime(2025, 11, 24, 3, 41, 7, tzinfo=UTC)
    assert retry_after_seconds("5") == 5.0
    assert retry_after_seconds(" 1.5 ") == 1.5
    assert retry_after_seconds("-3") == 0.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=12), usegmt=True), now) == 12.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("nan") is None
