"""``python -m mgm_twitch.recorder`` against a stand-in Twitch: its files drop in for the transcribed ones."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
from datetime import UTC, datetime

from mgm_twitch.recorder import run

from tests.contract.shape import RECORDINGS, all_names, answer_differences, body_differences, load

SECRETS = (
    "live-broadcaster-token-1",
    "live-client-secret-2",
    "live-eventsub-secret-3",
    "jostpf5q0uzmxmkba9iyug38kjtgh",
)
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def answer(httpserver_expectation, name):
    response = load(name)["response"]
    headers = {k: v for k, v in response["headers"].items() if k.lower() != "content-type"}
    httpserver_expectation.respond_with_data(
        "" if response["body"] is None else json.dumps(response["body"]),
        status=response["status"],
        headers=headers,
        content_type=response["headers"].get("Content-Type"),
    )


def fake_jwt() -> str:
    recorded = load("extension-jwt-claims")["response"]

    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part(recorded['header'])}.{part(recorded['body'])}.c2lnbmF0dXJl"


def test_the_recorder_writes_redacted_recordings_that_drop_in(httpserver, tmp_path):
    for name in all_names():
        shutil.copy(RECORDINGS / f"{name}.json", tmp_path / f"{name}.json")
    base = httpserver.url_for("/").rstrip("/")
    subs = "/helix/subscriptions"
    for user_id, name in (
        ("527115020", "helix-get-broadcaster-subscriptions-subscriber"),
        ("9001", "helix-get-broadcaster-subscriptions-not-subscribed"),
    ):
        answer(
            httpserver.expect_request(subs, query_string={"broadcaster_id": "141981764", "user_id": user_id}),
            name,
        )
    wrong_token = {"Authorization": "Bearer not-a-valid-token-0000"}
    answer(httpserver.expect_request("/helix/chat/messages", headers=wrong_token), "helix-error-unauthorized")
    answer(httpserver.expect_request("/helix/chat/messages"), "helix-send-chat-message-sent")
    answer(httpserver.expect_request("/oauth2/token", method="POST"), "oauth-client-credentials")
    admin = "/helix/eventsub/subscriptions"
    answer(httpserver.expect_oneshot_request(admin, method="POST"), "eventsub-create-subscription")
    answer(httpserver.expect_oneshot_request(admin, method="POST"), "eventsub-create-subscription-conflict")
    answer(httpserver.expect_request(admin, method="GET"), "eventsub-list-subscriptions")
    answer(httpserver.expect_request(admin, method="DELETE"), "eventsub-delete-subscription")
    environ = {
        "MGM_TIER_C_HELIX_BASE_URL": base,
        "MGM_TIER_C_TWITCH_AUTH_BASE_URL": base,
        "MGM_TIER_C_BROADCASTER_TOKEN": SECRETS[0],
        "MGM_TIER_C_BROADCASTER_ID": "141981764",
        "MGM_TIER_C_TWITCH_CLIENT_ID": "live-client-id",
        "MGM_TIER_C_TWITCH_CLIENT_SECRET": SECRETS[1],
        "MGM_TIER_C_SUBSCRIBER_USER_ID": "527115020",
        "MGM_TIER_C_NON_SUBSCRIBER_USER_ID": "9001",
        "MGM_TIER_C_EVENTSUB_CALLBACK_URL": "https://staging.example/api/twitch/eventsub",
        "MGM_TIER_C_EVENTSUB_SECRET": SECRETS[2],
        "MGM_TIER_C_EXTENSION_JWT": fake_jwt(),
    }

    recorder = asyncio.run(
        run(tmp_path, send_chat=True, eventsub_write=True, environ=environ, now=lambda: NOW)
    )

    not_recordable = {
        "helix-send-chat-message-dropped",
        "helix-rate-limited",
        "eventsub-delivery-notification",
        "eventsub-delivery-verification",
        "eventsub-delivery-revocation",
    }
    assert sorted(recorder.written) == sorted(set(all_names()) - not_recordable)
    assert recorder.skipped == []
    for name in set(recorder.written):
        text = (tmp_path / f"{name}.json").read_text(encoding="utf-8")
        assert not any(secret in text for secret in SECRETS), name
        written, transcribed = json.loads(text), load(name)
        assert written["provenance"] == {
            "kind": "recorded",
            "source": written["provenance"]["source"],
            "captured_at": "2026-01-02T03:04:05Z",
        }
        assert written["provenance"]["source"].startswith("recorded from live Twitch")
        assert written["shape"] == transcribed["shape"]  # the contract notes survive the swap
        response = written["response"]
        if name == "extension-jwt-claims":
            assert (
                body_differences(transcribed["response"]["body"], response["body"], transcribed["shape"])
                == []
            )
        else:
            assert (
                answer_differences(transcribed, response["status"], response["headers"], response["body"])
                == []
            )


def test_the_recorder_names_what_is_missing(tmp_path):
    recorder = asyncio.run(run(tmp_path, environ={}, now=lambda: NOW))
    assert recorder.written == []
    assert any("MGM_TIER_C_BROADCASTER_TOKEN" in reason for reason in recorder.skipped)
    assert any("MGM_TIER_C_TWITCH_CLIENT_SECRET" in reason for reason in recorder.skipped)
    assert any("MGM_TIER_C_EXTENSION_JWT" in reason for reason in recorder.skipped)
    assert list(tmp_path.iterdir()) == []
