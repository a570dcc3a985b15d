"""Contract suite fixtures: each case runs against the mocks, and against real Twitch when configured."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

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


@pytest.fixture(params=["mock", "twitch"])
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
