"""EventSub and Extension JWT contract: the mocks (always) and real Twitch (when configured)."""

from __future__ import annotations

import os

import httpx
import pytest

from . import eventsub_checks as checks
from .targets import (
    DEFAULT_TWITCH_AUTH,
    DEFAULT_TWITCH_HELIX,
    TWITCH_APP,
    TWITCH_EXTENSION_JWT,
    HelixTarget,
    require_env,
)


@pytest.fixture(params=["mock", pytest.param("twitch", marks=pytest.mark.tier_c)])
def app_target(request: pytest.FixtureRequest) -> HelixTarget:
    """Helix with an app access token (what EventSub webhook admin needs on Twitch)."""
    if request.param == "mock":
        return request.getfixturevalue("helix_mock_target")
    env = require_env(TWITCH_APP)
    auth = os.environ.get("MGM_TIER_C_TWITCH_AUTH_BASE_URL", DEFAULT_TWITCH_AUTH)
    grant = httpx.post(
        f"{auth}/oauth2/token",
        data={
            "client_id": env["MGM_TIER_C_TWITCH_CLIENT_ID"],
            "client_secret": env["MGM_TIER_C_TWITCH_CLIENT_SECRET"],
            "grant_type": "client_credentials",
        },
        timeout=15,
    )
    grant.raise_for_status()
    return HelixTarget(
        "twitch",
        os.environ.get("MGM_TIER_C_HELIX_BASE_URL", DEFAULT_TWITCH_HELIX),
        os.environ.get("MGM_TIER_C_BROADCASTER_ID", ""),
        grant.json()["access_token"],
        env["MGM_TIER_C_TWITCH_CLIENT_ID"],
    )


@pytest.mark.recordings(
    "eventsub-create-subscription",
    "eventsub-create-subscription-conflict",
    "eventsub-list-subscriptions",
    "eventsub-delete-subscription",
)
def test_eventsub_subscription_admin_cycle(app_target):
    checks.eventsub_create_list_delete(app_target)


@pytest.mark.recordings("eventsub-list-subscriptions")
def test_eventsub_subscription_listing(app_target):
    checks.eventsub_list(app_target)


@pytest.mark.parametrize(
    ("recording", "check"),
    [
        ("eventsub-delivery-notification", checks.delivery_notification),
        ("eventsub-delivery-verification", checks.delivery_verification),
        ("eventsub-delivery-revocation", checks.delivery_revocation),
    ],
)
def test_eventsub_mock_deliveries_look_like_twitchs(delivery_source, recording, check):
    check(delivery_source)


def test_live_eventsub_deliveries_are_not_checked_here():
    pytest.skip(
        "real Twitch deliveries need a public HTTPS callback: verified by the Tier C runbook "
        "(docs/tier-c-runbook.md), not by this suite"
    )


@pytest.mark.recordings("extension-jwt-claims")
@pytest.mark.parametrize("target", ["mock", pytest.param("twitch", marks=pytest.mark.tier_c)])
def test_extension_jwt_claims_look_like_twitchs(target, request):
    if target == "mock":
        url = request.getfixturevalue("jwt_mock")
        query = {"userId": "27419011", "role": "broadcaster", "opaqueUserId": "UT08Cj3f9G5DG0rexjdu1sSDT0bUn"}
        token = httpx.get(f"{url}/token", params=query, timeout=10).json()["access_token"]
    else:
        token = require_env(TWITCH_EXTENSION_JWT)["MGM_TIER_C_EXTENSION_JWT"]
    checks.extension_jwt_claims(token)
