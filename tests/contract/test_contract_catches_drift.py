"""The contract suite is not a rubber stamp: a mock that drifts from Twitch's shape fails it.

Each case breaks one thing in a running mock (a monkeypatched builder or a
fault setting) and runs the same check the suite runs; the check must fail and
name the difference.
"""

from __future__ import annotations

import hashlib
import hmac

import httpx
import pytest

import mgm_mocks.eventsub as eventsub_mock
import mgm_mocks.eventsub_payloads as payloads
import mgm_mocks.extension_jwt as extension_jwt_mock
from mgm_mocks import helix as helix_mock
from mgm_mocks.helix_eventsub import StoredSubscription
from mgm_mocks.helix_roster import Subscriber

from . import eventsub_checks, helix_checks
from .conftest import start_helix_mock


def without(key):
    def strip(result):
        return {k: v for k, v in result.items() if k != key}

    return strip


def patch_result(monkeypatch, owner, name, change):
    original = getattr(owner, name)

    def patched(*args, **kwargs):
        return change(original(*args, **kwargs))

    monkeypatch.setattr(owner, name, patched)


def expect_drift(check, target, *fragments):
    with pytest.raises(AssertionError) as failure:
        check(target)
    message = str(failure.value)
    assert "drift from recording" in message
    for fragment in fragments:
        assert fragment in message, message


def test_a_missing_subscription_key_fails(monkeypatch, helix_mock_target):
    patch_result(monkeypatch, Subscriber, "to_broadcaster_subscription", without("user_login"))
    expect_drift(
        helix_checks.broadcaster_subscriptions_subscriber, helix_mock_target, "$.data[].user_login: missing"
    )


def test_a_wrong_json_type_fails(monkeypatch, helix_mock_target):
    patch_result(monkeypatch, Subscriber, "to_broadcaster_subscription", lambda item: {**item, "tier": 1000})
    expect_drift(
        helix_checks.broadcaster_subscriptions_subscriber,
        helix_mock_target,
        "$.data[].tier: expected string, got integer",
    )


def test_an_unrecorded_key_fails(monkeypatch, helix_mock_target):
    patch_result(monkeypatch, Subscriber, "to_broadcaster_subscription", lambda item: {**item, "months": 3})
    expect_drift(helix_checks.broadcaster_subscriptions_subscriber, helix_mock_target, "$.data[].months")


def test_the_old_404_for_a_non_subscriber_fails(monkeypatch, helix_mock_target):
    async def old_answer(request):
        return helix_mock.helix_error(404, "User has no subscription")

    monkeypatch.setattr(helix_mock, "get_broadcaster_subscriptions", old_answer)
    # The route table holds the handler, so build a mock after patching.
    server, target = start_helix_mock()
    try:
        expect_drift(
            helix_checks.broadcaster_subscriptions_not_subscribed, target, "status: expected 200, got 404"
        )
    finally:
        server.stop()


def test_missing_rate_limit_headers_fail(monkeypatch, helix_mock_target):
    monkeypatch.setattr(helix_mock.RateWindow, "count", lambda self, epoch: {})
    expect_drift(helix_checks.send_chat_message_sent, helix_mock_target, "header Ratelimit-Limit: missing")


def test_a_seed_style_204_fault_fails_the_send_chat_contract(helix_mock_target):
    assert helix_mock_target.admin is not None
    helix_mock_target.admin.post("/api/mock/faults", json={"status": 204}).raise_for_status()
    expect_drift(helix_checks.send_chat_message_sent, helix_mock_target, "status: expected 200, got 204")


def test_an_unparsable_body_fails(helix_mock_target):
    assert helix_mock_target.admin is not None
    helix_mock_target.admin.post("/api/mock/faults", json={"malformed": True}).raise_for_status()
    expect_drift(helix_checks.send_chat_message_sent, helix_mock_target, "$: expected object, got string")


def test_an_eventsub_subscription_without_cost_fails(monkeypatch, helix_mock_target):
    patch_result(monkeypatch, StoredSubscription, "to_helix", without("cost"))
    expect_drift(eventsub_checks.eventsub_create_list_delete, helix_mock_target, "$.data[].cost: missing")


def test_a_notification_event_without_badges_fails(monkeypatch, delivery_source):
    patch_result(monkeypatch, eventsub_mock, "chat_message_event", without("badges"))
    expect_drift(eventsub_checks.delivery_notification, delivery_source, "$.event.badges: missing")


def test_a_signature_that_leaves_out_the_timestamp_fails(monkeypatch, delivery_source):
    def unstamped(mode, secret, message_id, timestamp, body):
        return "sha256=" + hmac.new(secret.encode(), message_id.encode() + body, hashlib.sha256).hexdigest()

    monkeypatch.setattr(payloads, "signature_for", unstamped)
    expect_drift(eventsub_checks.delivery_verification, delivery_source, "signature is not")


def test_a_jwt_without_pubsub_perms_fails(monkeypatch, jwt_mock):
    patch_result(monkeypatch, extension_jwt_mock, "viewer_claims", without("pubsub_perms"))
    query = {"userId": "27419011", "role": "broadcaster", "opaqueUserId": "Uabc"}
    token = httpx.get(f"{jwt_mock}/token", params=query, timeout=10).json()["access_token"]
    expect_drift(eventsub_checks.extension_jwt_claims, token, "$.pubsub_perms: missing")
