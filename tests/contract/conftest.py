"""Contract suite fixtures: each case runs against the mocks, and against real Twitch when configured."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from mgm_core.clock import VirtualClock
from mgm_core.serving import BackgroundServer
from mgm_mocks.eventsub import EventSubMockSettings
from mgm_mocks.eventsub import create_app as create_eventsub
from mgm_mocks.extension_jwt import ExtensionJwtMockSettings
from mgm_mocks.extension_jwt import create_app as create_jwt
from mgm_mocks.helix import HelixMockSettings
from mgm_mocks.helix import create_app as create_helix

from .eventsub_checks import DeliverySource
from .targets import DEFAULT_TWITCH_HELIX, TWITCH_HELIX, HelixTarget, require_env

MOCK_TOKEN = "contract-broadcaster-token"
MOCK_CLIENT_ID = "contract-client-id"
MOCK_BROADCASTER = "141981764"
EVENTSUB_SECRET = "contract-eventsub-secret"
# Mocks run on a fixed virtual clock: nothing here reads the machine's time.
NOW = datetime(2025, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)


def start_helix_mock() -> tuple[BackgroundServer, HelixTarget]:
    settings = HelixMockSettings(
        expected_token=MOCK_TOKEN, expected_client_id=MOCK_CLIENT_ID, clock=VirtualClock(NOW)
    )
    server = BackgroundServer(lambda: create_helix(settings))
    url = server.start()
    target = HelixTarget(
        "mock", url, MOCK_BROADCASTER, MOCK_TOKEN, MOCK_CLIENT_ID, httpx.Client(base_url=url)
    )
    return server, target


@pytest.fixture
def helix_mock_target() -> Iterator[HelixTarget]:
    server, target = start_helix_mock()
    yield target
    assert target.admin is not None
    target.admin.close()
    server.stop()


@pytest.fixture(params=["mock", pytest.param("twitch", marks=pytest.mark.tier_c)])
def helix_target(request: pytest.FixtureRequest) -> HelixTarget:
    if request.param == "mock":
        return request.getfixturevalue("helix_mock_target")
    env = require_env(TWITCH_HELIX)
    return HelixTarget(
        "twitch",
        os.environ.get("MGM_TIER_C_HELIX_BASE_URL", DEFAULT_TWITCH_HELIX),
        env["MGM_TIER_C_BROADCASTER_ID"],
        env["MGM_TIER_C_BROADCASTER_TOKEN"],
        env["MGM_TIER_C_TWITCH_CLIENT_ID"],
    )


@pytest.fixture
def delivery_source() -> Iterator[DeliverySource]:
    settings = EventSubMockSettings.from_env(
        {
            "MGM_EVENTSUB_SECRET": EVENTSUB_SECRET,
            "MGM_BROADCASTER_ID": "1971641",
            "MGM_MOCK_NOW": NOW.isoformat(),
        }
    )
    server = BackgroundServer(lambda: create_eventsub(settings))
    yield DeliverySource(server.start(), EVENTSUB_SECRET)
    server.stop()


@pytest.fixture
def jwt_mock() -> Iterator[str]:
    server = BackgroundServer(
        lambda: create_jwt(ExtensionJwtMockSettings(channel_id="27419011", clock=VirtualClock(NOW)))
    )
    yield server.start()
    server.stop()


# --- fidelity summary: outcomes per (recording, target), written when MGM_FIDELITY_SUMMARY names a file ---

_HERE = Path(__file__).resolve().parent
_TARGET_PARAMS = ("helix_target", "app_target", "target")
_OUTCOMES: dict[tuple[str, str], str] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "recordings(*names): the recordings a contract test compares against")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Label each contract case with its recordings and target, so even a setup skip is counted."""
    for item in items:
        if _HERE not in item.path.parents:
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        marker = item.get_closest_marker("recordings")
        names = [params["recording"]] if "recording" in params else list(marker.args if marker else ())
        target = next((params[p] for p in _TARGET_PARAMS if p in params), "mock")
        for name in names:
            item.user_properties.append(("recording", f"{name}@{target}"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.skipped or report.failed):
        return
    for key, value in report.user_properties:
        if key != "recording":
            continue
        name, _, target = str(value).partition("@")
        outcome = "skipped" if report.skipped else report.outcome
        if _OUTCOMES.get((name, target)) != "failed":
            _OUTCOMES[(name, target)] = outcome


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get("MGM_FIDELITY_SUMMARY")
    if path and not hasattr(session.config, "workerinput"):  # the controller, which sees every report
        from mgm_mocks.fidelity import write_summary

        write_summary(path, _OUTCOMES)
