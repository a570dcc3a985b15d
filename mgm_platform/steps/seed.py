"""Seed-compatible Tier B: the harness and SyntheticDesktop, as the seed's CI drives them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from mgm_core.clock import Clock
from mgm_core.serving import BackgroundServer
from mgm_core.testing.http import loopback_client
from mgm_mocks.synthetic_desktop import SyntheticDesktopSettings, create_app
from mgm_platform.evidence.exchanges import journaled
from mgm_platform.steps.helix import HelixRecorder
from mgm_platform.steps.world import World


class SyntheticDesktop:
    def __init__(self, ebs_url: str, api_key: str, *, clock: Clock) -> None:
        settings = SyntheticDesktopSettings(backend_base_url=ebs_url, api_key=api_key, clock=clock)
        self._server = BackgroundServer(lambda: create_app(settings))
        self.http = loopback_client(self._server.start(), timeout=30, **journaled())

    def close(self) -> None:
        self.http.close()
        self._server.stop()


@pytest.fixture
def synthetic_desktop_holder() -> Iterator[dict[str, SyntheticDesktop]]:
    holder: dict[str, SyntheticDesktop] = {}
    yield holder
    if "desktop" in holder:
        holder["desktop"].close()


@given("SyntheticDesktop drives the EBS")
def synthetic_desktop(world: World, synthetic_desktop_holder: dict[str, SyntheticDesktop]) -> None:
    synthetic_desktop_holder["desktop"] = SyntheticDesktop(
        world.ebs.url, world.ebs.config.api_key, clock=world.ebs.clock
    )


@when(parsers.parse('the harness prepares a Pending payout for viewer "{user}"'))
def harness(world: World, user: str) -> None:
    answer = world.answered(
        world.ebs.http.post(
            "/api/e2e/prepare-pending-payout", json={"twitchUserId": user}, headers=world.ebs.desktop()
        )
    )
    if answer.status_code == 200:
        world.payouts[answer.json()["characterName"].casefold()] = answer.json()["payoutId"]


@when(parsers.parse('SyntheticDesktop runs the sequence for "{name}"'))
def run_sequence(world: World, synthetic_desktop_holder: dict[str, SyntheticDesktop], name: str) -> None:
    desktop = synthetic_desktop_holder["desktop"]
    world.answered(
        desktop.http.post("/run-sequence", json={"payoutId": world.payout_id(name), "characterName": name})
    )


@then("the SyntheticDesktop run report is ok with three 2xx steps")
def run_report(synthetic_desktop_holder: dict[str, SyntheticDesktop]) -> None:
    report: dict[str, Any] = synthetic_desktop_holder["desktop"].http.get("/last-run").json()
    assert report["ok"] is True and report["error"] is None, report
    assert [s["name"] for s in report["steps"]] == [
        "POST confirm-acceptance",
        "PATCH status InProgress",
        "PATCH status Sent",
    ]
    assert all(200 <= s["statusCode"] < 300 for s in report["steps"]), report


@then("the Helix mock's last-request shows the announcement:")
def last_request(helix: HelixRecorder, docstring: str) -> None:
    body = helix.http.get("/last-request").json()
    assert body["captured"] is True, body
    assert body["body"]["message"] == docstring.strip(), body
    assert body["body"]["broadcaster_id"] == body["body"]["sender_id"] != ""
    assert body["authorizationHeader"].startswith("Bearer ")
