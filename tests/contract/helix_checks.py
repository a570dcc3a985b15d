"""Contract checks for Helix: each provokes one recorded situation on a target and compares shapes.

Plain functions so the drift test can run them against a deliberately broken mock.
"""

from __future__ import annotations

from .shape import assert_matches, load
from .targets import TWITCH_NON_SUBSCRIBER, TWITCH_SUBSCRIBER, HelixTarget, require_env

CHAT_TEXT = "MGM contract check"


def _chat_body(target: HelixTarget) -> dict[str, str]:
    return {"broadcaster_id": target.broadcaster_id, "sender_id": target.broadcaster_id, "message": CHAT_TEXT}


def send_chat_message_sent(target: HelixTarget) -> None:
    recording = load("helix-send-chat-message-sent")
    answer = target.call("POST", "/helix/chat/messages", json=_chat_body(target))
    assert_matches(recording, answer.status, answer.headers, answer.body)
    assert answer.body["data"][0]["is_sent"] is True


def send_chat_message_dropped(target: HelixTarget) -> None:
    admin = target.needs_mock("a dropped chat message (is_sent: false)")
    admin.post("/api/mock/faults", json={"isSent": False, "dropCode": "msg_duplicate"}).raise_for_status()
    recording = load("helix-send-chat-message-dropped")
    answer = target.call("POST", "/helix/chat/messages", json=_chat_body(target))
    assert_matches(recording, answer.status, answer.headers, answer.body)
    assert answer.body["data"][0]["is_sent"] is False


def unauthorized(target: HelixTarget) -> None:
    recording = load("helix-error-unauthorized")
    answer = target.call(
        "POST", "/helix/chat/messages", token="not-a-valid-token-0000", json=_chat_body(target)
    )
    assert_matches(recording, answer.status, answer.headers, answer.body)


def rate_limited(target: HelixTarget) -> None:
    admin = target.needs_mock("a 429 from the global rate limiter")
    admin.post("/api/mock/faults", json={"status": 429}).raise_for_status()
    recording = load("helix-rate-limited")
    answer = target.call("POST", "/helix/chat/messages", json=_chat_body(target))
    assert_matches(recording, answer.status, answer.headers, answer.body)


def _subscriber_id(target: HelixTarget) -> str:
    if target.admin is not None:
        entry = {"broadcasterId": target.broadcaster_id, "userId": "527115020", "userLogin": "twitchgaming"}
        target.admin.put("/api/mock/subscribers", json=[entry]).raise_for_status()
        return "527115020"
    return require_env(TWITCH_SUBSCRIBER)["MGM_TIER_C_SUBSCRIBER_USER_ID"]


def broadcaster_subscriptions_subscriber(target: HelixTarget) -> None:
    user_id = _subscriber_id(target)
    recording = load("helix-get-broadcaster-subscriptions-subscriber")
    params = {"broadcaster_id": target.broadcaster_id, "user_id": user_id}
    answer = target.call("GET", "/helix/subscriptions", params=params)
    assert_matches(recording, answer.status, answer.headers, answer.body)
    assert [item["user_id"] for item in answer.body["data"]] == [user_id]


def broadcaster_subscriptions_not_subscribed(target: HelixTarget) -> None:
    if target.is_mock:
        user_id = "9001"
    else:
        user_id = require_env(TWITCH_NON_SUBSCRIBER)["MGM_TIER_C_NON_SUBSCRIBER_USER_ID"]
    recording = load("helix-get-broadcaster-subscriptions-not-subscribed")
    params = {"broadcaster_id": target.broadcaster_id, "user_id": user_id}
    answer = target.call("GET", "/helix/subscriptions", params=params)
    assert_matches(recording, answer.status, answer.headers, answer.body)
    assert answer.body["data"] == []


CHECKS = {
    "helix-send-chat-message-sent": send_chat_message_sent,
    "helix-send-chat-message-dropped": send_chat_message_dropped,
    "helix-error-unauthorized": unauthorized,
    "helix-rate-limited": rate_limited,
    "helix-get-broadcaster-subscriptions-subscriber": broadcaster_subscriptions_subscriber,
    "helix-get-broadcaster-subscriptions-not-subscribed": broadcaster_subscriptions_not_subscribed,
}
