"""The plain EventSub message builders: Twitch's shapes, signatures and timestamps."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from mgm_core.errors import Refusal
from mgm_core.security.eventsub import (
    HEADER_MESSAGE_ID,
    HEADER_MESSAGE_TYPE,
    HEADER_RETRY,
    HEADER_SIGNATURE,
    HEADER_SUBSCRIPTION_TYPE,
    HEADER_SUBSCRIPTION_VERSION,
    HEADER_TIMESTAMP,
    check_freshness,
    parse_timestamp,
    verify_signature,
)
from mgm_mocks.eventsub_payloads import (
    DEFAULT_CHANNEL,
    NOTIFICATION,
    REVOCATION,
    REVOCATION_STATUSES,
    UNSIGNED,
    VERIFICATION,
    Channel,
    chat_message_delivery,
    chat_message_event,
    chat_subscription,
    encode_body,
    resend,
    revocation_payload,
    seed_chat_payload,
    sign,
    timestamp_for,
    verification_payload,
)

from .conftest import FIXED_NOW

SECRET = "e2e-ci-eventsub-secret"

EVENT_FIELDS = {
    "broadcaster_user_id",
    "broadcaster_user_login",
    "broadcaster_user_name",
    "chatter_user_id",
    "chatter_user_login",
    "chatter_user_name",
    "message_id",
    "message",
    "message_type",
    "badges",
    "cheer",
    "color",
    "reply",
    "channel_points_custom_reward_id",
    "channel_points_animation_id",
    "source_broadcaster_user_id",
    "source_broadcaster_user_login",
    "source_broadcaster_user_name",
    "source_message_id",
    "source_badges",
    "is_source_only",
}


def verify(delivery, secret: str = SECRET) -> None:
    verify_signature(
        secret,
        delivery.headers.get(HEADER_MESSAGE_ID),
        delivery.headers.get(HEADER_TIMESTAMP),
        delivery.body,
        delivery.headers.get(HEADER_SIGNATURE),
    )


def test_chat_message_event_has_every_field_twitch_sends():
    channel = Channel("1971641", "streamer", "Streamer")
    event = chat_message_event(
        channel,
        chatter_user_id="4145994",
        chatter_login="viewer32",
        chatter_name="Viewer32",
        text="!twgold Etoehero",
        badges=["subscriber", {"set_id": "moderator", "id": "1", "info": ""}],
        message_id="cc106a89-1814-919d-454c-f4f2f970aae7",
    )
    assert set(event) == EVENT_FIELDS
    assert event["broadcaster_user_id"] == "1971641"
    assert event["broadcaster_user_login"] == "streamer"
    assert event["broadcaster_user_name"] == "Streamer"
    assert event["chatter_user_name"] == "Viewer32"
    assert event["message"] == {
        "text": "!twgold Etoehero",
        "fragments": [
            {"type": "text", "text": "!twgold Etoehero", "cheermote": None, "emote": None, "mention": None}
        ],
    }
    assert event["message_type"] == "text"
    assert event["badges"] == [
        {"set_id": "subscriber", "id": "0", "info": "1"},
        {"set_id": "moderator", "id": "1", "info": ""},
    ]
    for name in EVENT_FIELDS:
        if name.startswith("source_") or name in {"cheer", "reply", "is_source_only"}:
            assert event[name] is None, name
    assert event["channel_points_custom_reward_id"] is None
    assert event["channel_points_animation_id"] is None


def test_chat_message_event_defaults_name_to_login_and_makes_a_uuid_message_id():
    event = chat_message_event(DEFAULT_CHANNEL, chatter_user_id="1", chatter_login="abc", text="hi")
    assert event["chatter_user_name"] == "abc"
    assert len(event["message_id"]) == 36
    assert event["badges"] == []


def test_notification_subscription_object_is_complete():
    subscription = chat_subscription(
        DEFAULT_CHANNEL, callback="http://ebs/api/twitch/eventsub", created_at=FIXED_NOW, bot_user_id="bot"
    )
    delivery = chat_message_delivery(
        secret=SECRET,
        now=FIXED_NOW,
        chatter_user_id="u1",
        chatter_login="user1",
        text="!twgold Abc",
        subscription=subscription,
    )
    body = delivery.payload()
    assert body["subscription"] == {
        "id": subscription.id,
        "status": "enabled",
        "type": "channel.chat.message",
        "version": "1",
        "condition": {"broadcaster_user_id": DEFAULT_CHANNEL.user_id, "user_id": "bot"},
        "transport": {"method": "webhook", "callback": "http://ebs/api/twitch/eventsub"},
        "created_at": "2025-03-14T15:09:26.535897000Z",
        "cost": 0,
    }
    assert body["event"]["badges"] == [{"set_id": "subscriber", "id": "0", "info": "1"}]


def test_delivery_headers_are_twitchs_and_the_signature_verifies():
    delivery = chat_message_delivery(
        secret=SECRET, now=FIXED_NOW, chatter_user_id="u1", chatter_login="user1", text="!twgold Abc"
    )
    assert delivery.headers[HEADER_MESSAGE_TYPE] == NOTIFICATION
    assert delivery.headers[HEADER_RETRY] == "0"
    assert delivery.headers[HEADER_SUBSCRIPTION_TYPE] == "channel.chat.message"
    assert delivery.headers[HEADER_SUBSCRIPTION_VERSION] == "1"
    assert delivery.headers[HEADER_TIMESTAMP] == "2025-03-14T15:09:26.535897000Z"
    assert delivery.headers[HEADER_SIGNATURE].startswith("sha256=")
    assert delivery.headers[HEADER_MESSAGE_ID] != delivery.payload()["event"]["message_id"]
    verify(delivery)
    with pytest.raises(Refusal):
        verify(delivery, secret="another-secret-value")


def test_body_is_compact_utf8_json():
    delivery = chat_message_delivery(
        secret=SECRET, now=FIXED_NOW, chatter_user_id="u1", chatter_login="user1", text="!twgold Артас"
    )
    assert b" " not in delivery.body.replace(b"!twgold ", b"")
    assert "Артас".encode() in delivery.body
    assert delivery.body == encode_body(json.loads(delivery.body))


@pytest.mark.parametrize(
    ("mode", "offset"),
    [("now", timedelta(0)), ("stale", -timedelta(minutes=11)), ("future", timedelta(minutes=11))],
)
def test_timestamp_modes_are_rfc3339_with_nanoseconds(mode, offset):
    stamp = timestamp_for(mode, FIXED_NOW)
    assert stamp.endswith("000Z") and len(stamp.split(".")[1]) == 10
    assert parse_timestamp(stamp) == FIXED_NOW + offset


def test_epoch_timestamp_is_unix_seconds_like_the_seed_ci():
    stamp = timestamp_for("epoch", FIXED_NOW)
    assert stamp == str(int(FIXED_NOW.timestamp()))
    check_freshness(stamp, FIXED_NOW)


def test_stale_and_future_timestamps_fail_the_freshness_check_but_now_passes():
    check_freshness(timestamp_for("now", FIXED_NOW), FIXED_NOW)
    for mode in ("stale", "future"):
        with pytest.raises(Refusal) as refused:
            check_freshness(timestamp_for(mode, FIXED_NOW), FIXED_NOW)
        assert refused.value.code == "stale_message"


def test_unknown_timestamp_mode_is_refused():
    with pytest.raises(ValueError, match="timestamp mode"):
        timestamp_for("yesterday", FIXED_NOW)


def test_bad_signature_is_well_formed_but_wrong_and_missing_has_no_header():
    bad = chat_message_delivery(
        secret=SECRET, now=FIXED_NOW, chatter_user_id="u", chatter_login="u", text="x", signature_mode="bad"
    )
    assert bad.headers[HEADER_SIGNATURE].startswith("sha256=") and len(bad.headers[HEADER_SIGNATURE]) == 71
    with pytest.raises(Refusal):
        verify(bad)
    missing = chat_message_delivery(
        secret=SECRET,
        now=FIXED_NOW,
        chatter_user_id="u",
        chatter_login="u",
        text="x",
        signature_mode="missing",
    )
    assert HEADER_SIGNATURE not in missing.headers
    with pytest.raises(Refusal):
        verify(missing)


def test_no_secret_signs_with_the_seed_placeholder():
    delivery = chat_message_delivery(
        secret="", now=FIXED_NOW, chatter_user_id="u", chatter_login="u", text="x"
    )
    assert delivery.headers[HEADER_SIGNATURE] == UNSIGNED


def test_resend_keeps_message_id_and_body_and_counts_retries():
    first = chat_message_delivery(
        secret=SECRET, now=FIXED_NOW, chatter_user_id="u", chatter_login="u", text="x"
    )
    later = FIXED_NOW + timedelta(seconds=30)
    second = resend(first, secret=SECRET, now=later)
    assert second.message_id == first.message_id
    assert second.body == first.body
    assert second.retry == 1 and second.headers[HEADER_RETRY] == "1"
    assert parse_timestamp(second.timestamp) == later
    verify(second)
    third = resend(second, secret=SECRET, now=later, timestamp_mode="original")
    assert third.retry == 2
    assert third.timestamp == second.timestamp


def test_resend_with_original_timestamp_is_byte_for_byte_the_first_request():
    first = chat_message_delivery(
        secret=SECRET, now=FIXED_NOW, chatter_user_id="u", chatter_login="u", text="x"
    )
    again = resend(first, secret=SECRET, now=FIXED_NOW + timedelta(hours=1), timestamp_mode="original")
    assert (again.message_id, again.timestamp, again.signature, again.body) == (
        first.message_id,
        first.timestamp,
        first.signature,
        first.body,
    )


def test_verification_payload_carries_the_challenge_and_pending_status():
    subscription = chat_subscription(DEFAULT_CHANNEL, callback="cb", created_at=FIXED_NOW)
    delivery = sign(
        verification_payload(subscription, "pogchamp-kappa"),
        secret=SECRET,
        message_type=VERIFICATION,
        now=FIXED_NOW,
    )
    body = delivery.payload()
    assert body["challenge"] == "pogchamp-kappa"
    assert body["subscription"]["status"] == "webhook_callback_verification_pending"
    assert delivery.headers[HEADER_MESSAGE_TYPE] == "webhook_callback_verification"
    assert delivery.headers[HEADER_SUBSCRIPTION_TYPE] == "channel.chat.message"
    verify(delivery)


@pytest.mark.parametrize("status", REVOCATION_STATUSES)
def test_revocation_payload_uses_twitchs_statuses(status):
    subscription = chat_subscription(DEFAULT_CHANNEL, callback="cb", created_at=FIXED_NOW)
    delivery = sign(
        revocation_payload(subscription, status), secret=SECRET, message_type=REVOCATION, now=FIXED_NOW
    )
    assert delivery.payload() == {"subscription": subscription.to_json(status)}
    assert delivery.headers[HEADER_MESSAGE_TYPE] == "revocation"
    verify(delivery)


def test_revocation_status_must_be_twitchs():
    subscription = chat_subscription(DEFAULT_CHANNEL, callback="cb", created_at=FIXED_NOW)
    with pytest.raises(ValueError, match="revocation status"):
        revocation_payload(subscription, "bored")


def test_seed_chat_payload_is_the_ci_scripts_minimal_shape():
    assert seed_chat_payload(
        message_id="m1",
        chatter_user_id="e2e-viewer-1",
        chatter_login="e2eviewer1",
        text="!twgold Etoehero",
        badges=["subscriber"],
    ) == {
        "subscription": {"type": "channel.chat.message"},
        "event": {
            "message_id": "m1",
            "chatter_user_id": "e2e-viewer-1",
            "chatter_user_login": "e2eviewer1",
            "message": {"text": "!twgold Etoehero"},
            "badges": [{"set_id": "subscriber"}],
        },
    }
