"""The real Twitch adapters (aiohttp) against Twitch's recorded answers served by pytest-httpserver.

Each test serves one recording from ``plugins/mgm_mocks/recordings`` and checks
two things: the adapter's request has the recording's method, path, query and
body keys and carries the headers Twitch requires; and the adapter reads the
recorded answer correctly. A real recording captured later with
``python -m mgm_twitch.recorder`` drops in without changing these tests.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import aiohttp
import pytest
from mgm_twitch.broadcaster_subscriptions import (
    BroadcasterSubscriptionsRequest,
    SubscriptionStatus,
    UnavailableReason,
    check_broadcaster_subscription,
)
from mgm_twitch.eventsub_admin import AdminSettings, TwitchAdmin, TwitchAdminError
from mgm_twitch.helix_chat import HelixChatChannel

from mgm_core.clock import VirtualClock
from mgm_core.config import Config
from mgm_core.plugins.context import DeliveryFailed, PluginContext, RewardSentNotification
from tests.contract.shape import load

TOKEN = "adapter-test-token-0123"
CLIENT_ID = "adapter-test-client"
NOW = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)


def serve(httpserver, name, *, path=None, method=None, query=None):
    """Answer the next matching request with the recording's status, headers and body."""
    recording = load(name)
    request, response = recording["request"], recording["response"]
    headers = {k: v for k, v in response["headers"].items() if k.lower() != "content-type"}
    body = "" if response["body"] is None else json.dumps(response["body"])
    httpserver.expect_ordered_request(
        path or request["path"], method=method or request["method"], query_string=query
    ).respond_with_data(
        body,
        status=response["status"],
        headers=headers,
        content_type=response["headers"].get("Content-Type"),
    )
    return recording


def assert_request_like(recorded_request, sent):
    """The request the adapter sent has the recording's shape (values are the adapter's own)."""
    assert sent.method == recorded_request["method"]
    assert sent.path == recorded_request["path"]
    assert sorted(sent.args.keys()) == sorted(recorded_request["query"].keys())
    required = recorded_request.get("headers", [])
    for name in required if isinstance(required, list) else required.keys():
        assert sent.headers.get(name), f"header {name} missing"
    if "body" in recorded_request:
        assert sorted(json.loads(sent.data)) == sorted(recorded_request["body"])


# --- Get Broadcaster Subscriptions -------------------------------------------------------------------------


def check(httpserver, user_id):
    request = BroadcasterSubscriptionsRequest(
        base_url=httpserver.url_for("/"),
        client_id=CLIENT_ID,
        token=TOKEN,
        broadcaster_id="141981764",
        user_id=user_id,
        timeout_seconds=2,
    )

    async def run():
        async with aiohttp.ClientSession() as http:
            return await check_broadcaster_subscription(http, request)

    return asyncio.run(run())


def test_a_recorded_subscription_is_read_as_subscribed(httpserver):
    recording = serve(httpserver, "helix-get-broadcaster-subscriptions-subscriber")
    user_id = recording["response"]["body"]["data"][0]["user_id"]
    result = check(httpserver, user_id)
    assert (result.status, result.tier, result.reason) == (SubscriptionStatus.SUBSCRIBED, "1000", None)
    ((sent, _),) = httpserver.log
    assert_request_like(recording["request"], sent)
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["Client-Id"] == CLIENT_ID
    assert sent.args.to_dict() == {"broadcaster_id": "141981764", "user_id": user_id}


def test_a_recorded_empty_list_is_not_subscribed(httpserver):
    recording = serve(httpserver, "helix-get-broadcaster-subscriptions-not-subscribed")
    assert check(httpserver, "9001").status is SubscriptionStatus.NOT_SUBSCRIBED
    assert_request_like(recording["request"], httpserver.log[0][0])


@pytest.mark.parametrize(
    ("name", "reason", "reset"),
    [
        ("helix-error-unauthorized", UnavailableReason.UNAUTHORIZED, None),
        ("helix-rate-limited", UnavailableReason.RATE_LIMITED, 1741964970),
    ],
)
def test_recorded_errors_are_unavailable_not_a_verdict(httpserver, name, reason, reset):
    serve(httpserver, name, path="/helix/subscriptions", method="GET")
    result = check(httpserver, "527115020")
    assert (result.status, result.reason, result.ratelimit_reset) == (
        SubscriptionStatus.UNAVAILABLE,
        reason,
        reset,
    )
    assert len(httpserver.log) == 1


# --- Send Chat Message ------------------------------------------------------------------------------------


class Sleeps:
    def __init__(self):
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def deliver(httpserver, sleeps=None, *, wall_clock=None):
    config = Config(
        broadcaster_token=TOKEN,
        broadcaster_id="141981764",
        helix_client_id=CLIENT_ID,
        helix_base_url=httpserver.url_for("/").rstrip("/"),
        helix_timeout_seconds=2,
    )
    sleeps = sleeps if sleeps is not None else Sleeps()
    now = NOW.timestamp() if wall_clock is None else wall_clock
    channel = HelixChatChannel(sleep=sleeps, wall_clock=lambda: now)
    notification = RewardSentNotification("p-1", "42", "Norinn", "Norinn", 1000, "Награда отправлена")

    async def run():
        async with aiohttp.ClientSession() as http:
            await channel.deliver(
                notification, PluginContext(config=config, clock=VirtualClock(NOW), http=http)
            )

    asyncio.run(run())
    return sleeps


def test_a_recorded_sent_message_is_delivered(httpserver):
    recording = serve(httpserver, "helix-send-chat-message-sent")
    deliver(httpserver)
    ((sent, _),) = httpserver.log
    assert_request_like(recording["request"], sent)
    assert json.loads(sent.data) == {
        "broadcaster_id": "141981764",
        "sender_id": "141981764",
        "message": "Награда отправлена",
    }


def test_a_recorded_drop_is_retried_then_fails(httpserver):
    for _ in range(3):
        serve(httpserver, "helix-send-chat-message-dropped")
    sleeps = Sleeps()
    with pytest.raises(DeliveryFailed) as failure:
        deliver(httpserver, sleeps)
    assert "msg_duplicate" in str(failure.value) and not failure.value.permanent
    assert len(httpserver.log) == 3
    assert sleeps.waits == [0.2, 0.5]  # the channel's backoff between the three attempts


def test_a_recorded_401_is_not_retried(httpserver):
    serve(httpserver, "helix-error-unauthorized")
    with pytest.raises(DeliveryFailed) as failure:
        deliver(httpserver)
    assert failure.value.permanent
    assert len(httpserver.log) == 1


def test_a_recorded_429_waits_for_a_near_reset_then_sends(httpserver):
    reset = load("helix-rate-limited")["response"]["headers"]["Ratelimit-Reset"]
    serve(httpserver, "helix-rate-limited")
    serve(httpserver, "helix-send-chat-message-sent")
    sleeps = deliver(httpserver, wall_clock=int(reset) - 2)
    assert sleeps.waits == [2]
    assert len(httpserver.log) == 2


def test_a_recorded_429_with_a_far_reset_gives_up(httpserver):
    reset = load("helix-rate-limited")["response"]["headers"]["Ratelimit-Reset"]
    serve(httpserver, "helix-rate-limited")
    with pytest.raises(DeliveryFailed) as failure:
        deliver(httpserver, wall_clock=int(reset) - 600)
    assert failure.value.permanent
    assert len(httpserver.log) == 1


# --- EventSub subscription admin ----------------------------------------------------------------------------


def admin_call(httpserver, action):
    settings = AdminSettings(
        client_id=CLIENT_ID,
        client_secret="adapter-test-secret",
        broadcaster_id="1971641",
        bot_user_id="2914196",
        callback_url="https://this-is-a-callback.com",
        eventsub_secret="s3cre77890ab",
        helix_base_url=httpserver.url_for("/").rstrip("/"),
        auth_base_url=httpserver.url_for("/").rstrip("/"),
    )

    async def run():
        async with aiohttp.ClientSession() as http:
            return await action(TwitchAdmin(settings, http))

    return asyncio.run(run())


def test_subscribe_against_recorded_token_and_create(httpserver):
    token = serve(httpserver, "oauth-client-credentials")
    created = serve(httpserver, "eventsub-create-subscription")
    result = admin_call(httpserver, lambda admin: admin.subscribe())
    assert result["status"] == "webhook_callback_verification_pending"
    assert result["id"] == created["response"]["body"]["data"][0]["id"]
    (grant, _), (create, _) = httpserver.log
    assert grant.form.to_dict().keys() == token["request"]["form"].keys()
    assert_request_like(created["request"], create)
    assert create.headers["Authorization"] == f"Bearer {token['response']['body']['access_token']}"
    sent = json.loads(create.data)
    assert sent["condition"] == {"broadcaster_user_id": "1971641", "user_id": "2914196"}
    assert sorted(sent["transport"]) == sorted(created["request"]["body"]["transport"])


def test_subscribe_reports_a_recorded_conflict(httpserver):
    serve(httpserver, "oauth-client-credentials")
    serve(httpserver, "eventsub-create-subscription-conflict")
    with pytest.raises(TwitchAdminError, match="already exists"):
        admin_call(httpserver, lambda admin: admin.subscribe())


def test_list_reads_a_recorded_listing(httpserver):
    serve(httpserver, "oauth-client-credentials")
    listing = serve(httpserver, "eventsub-list-subscriptions")
    found = admin_call(httpserver, lambda admin: admin.list())
    assert [s["id"] for s in found] == [s["id"] for s in listing["response"]["body"]["data"]]
    assert_request_like(listing["request"], httpserver.log[1][0])


def test_unsubscribe_accepts_a_recorded_204(httpserver):
    serve(httpserver, "oauth-client-credentials")
    deleted = serve(httpserver, "eventsub-delete-subscription")
    subscription_id = deleted["request"]["query"]["id"]
    assert admin_call(httpserver, lambda admin: admin.unsubscribe(subscription_id)) is None
    assert_request_like(deleted["request"], httpserver.log[1][0])
    assert httpserver.log[1][0].args["id"] == subscription_id
