"""Helix steps: a MockHelixApi on a free port that the scenario's EBS announces through."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from mgm_core.clock import Clock, VirtualClock
from mgm_core.serving import BackgroundServer
from mgm_core.testing.http import loopback_client
from mgm_mocks import MOCKS
from mgm_platform.evidence.exchanges import journaled
from mgm_platform.steps.world import World

BROADCASTER_ID = "1000"
BROADCASTER_TOKEN = "helix-scenario-token"
HELIX_CLIENT_ID = "helix-scenario-client"


class HelixRecorder:
    """The scenario's Helix mock: faults in, journal out.

    Started in process for a local EBS; on a shared target, the target's own mock
    (:meth:`attach`), emptied by ``mgm_target`` before the scenario.
    ``broadcaster_id``, ``token`` and ``client_id`` are what the EBS must send.
    """

    def __init__(self, clock: Clock) -> None:
        service = MOCKS["helix"]
        settings = dataclasses.replace(service.settings_from_env({}), clock=clock)
        self._server: BackgroundServer | None = BackgroundServer(lambda: service.create_app(settings))
        self.url = self._server.start()
        self.http = loopback_client(self.url, timeout=10, **journaled())
        self.broadcaster_id, self.token, self.client_id = BROADCASTER_ID, BROADCASTER_TOKEN, HELIX_CLIENT_ID

    @classmethod
    def attach(cls, url: str, *, broadcaster_id: str, token: str, client_id: str) -> HelixRecorder:
        recorder = cls.__new__(cls)
        recorder._server = None
        recorder.url = url
        recorder.http = loopback_client(url, timeout=10, **journaled())
        recorder.broadcaster_id, recorder.token, recorder.client_id = broadcaster_id, token, client_id
        return recorder

    def fault(self, **rule: object) -> None:
        self.http.post("/api/mock/faults", json=rule).raise_for_status()

    def chat_messages(self) -> list[dict]:
        answer = self.http.get("/api/mock/requests", params={"path": "/helix/chat/messages"})
        answer.raise_for_status()
        return list(answer.json()["requests"])

    def close(self) -> None:
        self.http.close()
        if self._server is not None:
            self._server.stop()


@pytest.fixture
def helix(
    request: pytest.FixtureRequest, mgm_platform: Any, mgm_clock: VirtualClock
) -> Iterator[HelixRecorder]:
    target = mgm_platform.target
    if target is None:
        recorder = HelixRecorder(mgm_clock)
    else:
        request.getfixturevalue("mgm_target")  # held and emptied before the scenario looks
        assert "helix" in target.urls, "the shared target names no Helix mock"
        recorder = HelixRecorder.attach(
            target.urls["helix"],
            broadcaster_id=target.secret("broadcasterId"),
            token=target.secret("broadcasterToken"),
            client_id=target.secret("helixClientId"),
        )
    yield recorder
    recorder.close()


@given("the EBS announces rewards through the Helix mock")
def announce_through_mock(world: World, helix: HelixRecorder) -> None:
    if world.remote is not None:
        return  # the stack's EBS announces through the stack's Helix mock (stack.json names both)
    world.configure(
        helix_base_url=helix.url,
        broadcaster_id=BROADCASTER_ID,
        broadcaster_token=BROADCASTER_TOKEN,
        helix_client_id=HELIX_CLIENT_ID,
    )


@given("the broadcaster's Helix credentials are not configured")
def no_helix_credentials(world: World, helix: HelixRecorder) -> None:
    if world.remote is not None:  # a shared target already points at its stack's Helix mock
        world.configure(broadcaster_token="", broadcaster_id="")
        return
    world.configure(helix_base_url=helix.url, broadcaster_token="", broadcaster_id="")


@given(parsers.parse("the Helix mock fails the next {times:d} chat messages with status {status:d}"))
def helix_fails(helix: HelixRecorder, times: int, status: int) -> None:
    helix.fault(times=times, status=status)


@given(parsers.parse("the Helix mock drops the next {times:d} chat messages as {code}"))
def helix_drops(helix: HelixRecorder, times: int, code: str) -> None:
    helix.fault(times=times, isSent=False, dropCode=code)


@given("the Helix mock resets the next connection")
def helix_resets(helix: HelixRecorder) -> None:
    helix.fault(times=1, reset=True)


@when(parsers.parse('the Desktop moves the payout of "{name}" to "{status}" {times:d} times at once'))
def concurrent_moves(world: World, name: str, status: str, times: int) -> None:
    payout_id = world.payout_id(name)
    with ThreadPoolExecutor(10) as workers:
        answers = list(workers.map(lambda _: world.ebs.patch_status(payout_id, status), range(times)))
    for answer in answers:
        world.answered(answer)


@then(parsers.parse("the Helix mock received {count:d} chat messages"))
@then(parsers.parse("the Helix mock received {count:d} chat message"))
def helix_count(helix: HelixRecorder, count: int) -> None:
    messages = helix.chat_messages()
    assert len(messages) == count, [m["body"] for m in messages]


@then("the Helix mock's last chat message was sent as the broadcaster and reads:")
def helix_last_message(helix: HelixRecorder, docstring: str) -> None:
    """Send Chat Message as Twitch documents it, with the doc string as the exact message."""
    messages = helix.chat_messages()
    assert messages, "the Helix mock received no chat message"
    request = messages[-1]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert request["method"] == "POST"
    assert headers["authorization"] == f"Bearer {helix.token}"
    assert headers["client-id"] == helix.client_id
    assert headers["content-type"].startswith("application/json")
    assert request["body"] == {
        "broadcaster_id": helix.broadcaster_id,
        "sender_id": helix.broadcaster_id,
        "message": docstring.strip(),
    }, request["body"]


@then(parsers.parse('the payout of "{name}" is marked as announced in chat'))
def announced(world: World, name: str) -> None:
    detail = world.ebs.http.get(f"/api/payouts/{world.payout_id(name)}", headers=world.ebs.desktop()).json()
    assert detail["isRewardSentAnnouncedToChat"] is True, detail


@then(parsers.parse('the payout of "{name}" is not marked as announced in chat'))
def not_announced(world: World, name: str) -> None:
    detail = world.ebs.http.get(f"/api/payouts/{world.payout_id(name)}", headers=world.ebs.desktop()).json()
    assert detail["isRewardSentAnnouncedToChat"] is False, detail
