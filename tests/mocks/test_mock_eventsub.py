"""MockEventSubWebhook over real HTTP: the seed relay and the message generator."""

from __future__ import annotations

import json
import uuid

import pytest

from mgm_core.errors import Refusal
from mgm_core.security.eventsub import (
    HEADER_MESSAGE_ID,
    HEADER_MESSAGE_TYPE,
    HEADER_RETRY,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    check_freshness,
    parse_timestamp,
    signature,
    verify_signature,
)
from mgm_mocks.eventsub import EventSubMockSettings, create_app
from mgm_mocks.eventsub_payloads import Channel, encode_body, seed_chat_payload

from .conftest import FIXED_NOW

SECRET = "e2e-ci-eventsub-secret"


@pytest.fixture
def start(serve, backend, clock):
    def start_mock(**overrides) -> str:
        settings = EventSubMockSettings(backend_base_url=backend.url, clock=clock, **overrides)
        return serve(lambda: create_app(settings))

    return start_mock


@pytest.fixture
def mock(start) -> str:
    return start()


def seed_ci_request(secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    """What the seed's send_e2e_eventsub.py sends: compact JSON, Unix-seconds timestamp."""
    message_id = str(uuid.uuid4())
    body = encode_body(
        seed_chat_payload(
            message_id=message_id,
            chatter_user_id="e2e-viewer-1",
            chatter_login="e2eviewer1",
            text="!twgold Etoehero",
            badges=["subscriber"],
        )
    )
    stamp = str(int(FIXED_NOW.timestamp()))
    headers = {
        HEADER_MESSAGE_ID: message_id,
        HEADER_TIMESTAMP: stamp,
        HEADER_SIGNATURE: signature(secret, message_id, stamp, body) if secret else "sha256=unused",
        "Content-Type": "application/json",
    }
    return body, headers


def verify_call(call, secret: str = SECRET) -> None:
    headers = {k.lower(): v for k, v in call.headers.items()}
    verify_signature(
        secret,
        headers.get(HEADER_MESSAGE_ID.lower()),
        headers.get(HEADER_TIMESTAMP.lower()),
        call.body,
        headers.get(HEADER_SIGNATURE.lower()),
    )


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


# --- seed routes -----------------------------------------------------------------------------------


def test_health_is_the_seed_answer(mock, http):
    response = http.get(f"{mock}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "MockEventSubWebhook"}


def test_relay_forwards_raw_body_and_signature_headers_and_relays_the_answer(mock, backend, http):
    backend.answer("POST", "/api/twitch/eventsub", 200, '{"relayed":true}', "application/json; charset=utf-8")
    body, headers = seed_ci_request()
    response = http.post(f"{mock}/api/twitch/eventsub", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"relayed": True}
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    [call] = backend.calls
    assert (call.method, call.path) == ("POST", "/api/twitch/eventsub")
    assert call.body == body
    sent = lower(call.headers)
    for name in (HEADER_MESSAGE_ID, HEADER_TIMESTAMP, HEADER_SIGNATURE):
        assert sent[name.lower()] == headers[name]
    assert sent["content-type"] == "application/json"
    verify_call(call)


def test_relay_passes_other_twitch_headers_through(mock, backend, http):
    body, headers = seed_ci_request()
    headers[HEADER_MESSAGE_TYPE] = "notification"
    http.post(f"{mock}/api/twitch/eventsub", content=body, headers=headers)
    assert lower(backend.calls[0].headers)[HEADER_MESSAGE_TYPE.lower()] == "notification"


def test_relay_relays_non_2xx_status_and_text_body(mock, backend, http):
    backend.answer("POST", "/api/twitch/eventsub", 403, "nope", "text/plain")
    body, headers = seed_ci_request()
    response = http.post(f"{mock}/api/twitch/eventsub", content=body, headers=headers)
    assert (response.status_code, response.text) == (403, "nope")
    assert response.headers["content-type"].startswith("text/plain")


def test_relay_defaults_the_content_type_to_json_when_the_backend_sends_none(mock, backend, http):
    body, headers = seed_ci_request()
    response = http.post(f"{mock}/api/twitch/eventsub", content=body, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "broken", ["signature", "missing-signature", "missing-id", "missing-timestamp", "body"]
)
def test_relay_refuses_a_bad_signature_with_401_and_forwards_nothing(mock, backend, http, broken):
    body, headers = seed_ci_request()
    if broken == "signature":
        headers[HEADER_SIGNATURE] = "sha256=" + "0" * 64
    elif broken == "missing-signature":
        del headers[HEADER_SIGNATURE]
    elif broken == "missing-id":
        del headers[HEADER_MESSAGE_ID]
    elif broken == "missing-timestamp":
        del headers[HEADER_TIMESTAMP]
    else:
        body = body.replace(b"Etoehero", b"Otherguy")
    response = http.post(f"{mock}/api/twitch/eventsub", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    assert backend.calls == []


def test_relay_does_not_check_the_timestamp_age(mock, backend, http):
    body, headers = seed_ci_request()
    message_id = headers[HEADER_MESSAGE_ID]
    headers[HEADER_TIMESTAMP] = "1"
    headers[HEADER_SIGNATURE] = signature(SECRET, message_id, "1", body)
    assert http.post(f"{mock}/api/twitch/eventsub", content=body, headers=headers).status_code == 200


def test_relay_with_no_secret_skips_the_check(start, backend, http):
    mock = start(secret="")
    body, headers = seed_ci_request(secret="")
    headers.pop(HEADER_SIGNATURE)
    assert http.post(f"{mock}/api/twitch/eventsub", content=body, headers=headers).status_code == 200
    assert len(backend.calls) == 1


def test_relay_answers_500_when_the_backend_is_unreachable(serve, http, closed_port_url, clock):
    settings = EventSubMockSettings(backend_base_url=closed_port_url, clock=clock)
    mock = serve(lambda: create_app(settings))
    body, headers = seed_ci_request()
    response = http.post(f"{mock}/api/twitch/eventsub", content=body, headers=headers)
    assert response.status_code == 500
    assert response.json()["code"] == "backend_unreachable"


# --- generator: chat messages ----------------------------------------------------------------------


def chat(http, mock, **fields):
    request = {"chatterUserId": "e2e-viewer-1", "chatterLogin": "e2eviewer1", "text": "!twgold Etoehero"}
    return http.post(f"{mock}/api/mock/chat-message", json={**request, **fields})


def test_chat_message_is_delivered_signed_with_the_full_payload(mock, backend, http):
    backend.answer("POST", "/api/twitch/eventsub", 204)
    response = chat(http, mock, chatterName="E2EViewer", badges=["subscriber"], messageId="m-1")
    assert response.status_code == 200
    answer = response.json()
    assert answer["delivered"] is True
    assert answer["backend"]["status"] == 204
    assert answer["backend"]["body"] == ""
    assert answer["backend"]["url"] == f"{backend.url}/api/twitch/eventsub"
    [call] = backend.calls
    verify_call(call)
    assert call.body.decode() == answer["rawBody"]
    sent = lower(call.headers)
    assert sent["twitch-eventsub-message-type"] == "notification"
    assert sent["twitch-eventsub-message-retry"] == "0"
    assert sent["twitch-eventsub-subscription-type"] == "channel.chat.message"
    assert sent["twitch-eventsub-subscription-version"] == "1"
    assert sent["twitch-eventsub-message-timestamp"] == "2025-03-14T15:09:26.535897000Z"
    check_freshness(sent["twitch-eventsub-message-timestamp"], FIXED_NOW)
    assert sent["twitch-eventsub-message-id"] == answer["messageId"]
    payload = json.loads(call.body)
    subscription = payload["subscription"]
    assert subscription["status"] == "enabled"
    assert subscription["type"] == "channel.chat.message"
    assert subscription["transport"] == {
        "method": "webhook",
        "callback": f"{backend.url}/api/twitch/eventsub",
    }
    assert subscription["condition"] == {
        "broadcaster_user_id": "e2e-ci-broadcaster",
        "user_id": "e2e-ci-broadcaster",
    }
    assert {"id", "version", "created_at", "cost"} <= set(subscription)
    event = payload["event"]
    assert event["message_id"] == "m-1"
    assert event["chatter_user_id"] == "e2e-viewer-1"
    assert event["chatter_user_login"] == "e2eviewer1"
    assert event["chatter_user_name"] == "E2EViewer"
    assert event["message"]["text"] == "!twgold Etoehero"
    assert event["badges"] == [{"set_id": "subscriber", "id": "0", "info": "1"}]
    assert event["broadcaster_user_login"] == "e2e_ci_broadcaster"
    assert answer["body"] == payload
    assert lower(answer["headers"]) == {k: v for k, v in sent.items() if k.startswith("twitch-")} | {
        "content-type": "application/json"
    }


def test_subscription_id_is_stable_across_messages(mock, http):
    first = chat(http, mock).json()["body"]["subscription"]
    second = chat(http, mock).json()["body"]["subscription"]
    assert first == second


def test_chat_message_without_delivery_returns_what_to_send(mock, backend, http):
    answer = chat(http, mock, deliver=False).json()
    assert answer["delivered"] is False and answer["backend"] is None
    assert backend.calls == []
    headers = answer["headers"]
    verify_signature(
        SECRET,
        headers[HEADER_MESSAGE_ID],
        headers[HEADER_TIMESTAMP],
        answer["rawBody"].encode(),
        headers[HEADER_SIGNATURE],
    )


def test_broadcaster_and_channel_can_be_set_per_message(start, http):
    mock = start(channel=Channel("111", "chan", "Chan"), bot_user_id="222")
    body = chat(http, mock, deliver=False, broadcasterUserId="333").json()["body"]
    assert body["event"]["broadcaster_user_id"] == "333"
    assert body["event"]["broadcaster_user_login"] == "chan"
    assert body["subscription"]["condition"] == {"broadcaster_user_id": "333", "user_id": "222"}


@pytest.mark.parametrize("mode", ["bad", "missing"])
def test_signature_modes_produce_signatures_that_fail_verification(mock, backend, http, mode):
    answer = chat(http, mock, signatureMode=mode).json()
    headers = answer["headers"]
    assert (HEADER_SIGNATURE in headers) is (mode == "bad")
    with pytest.raises(Refusal):
        verify_call(backend.calls[0])


def test_secret_can_be_overridden_per_message(mock, backend, http):
    chat(http, mock, secret="another-secret-123")
    verify_call(backend.calls[0], secret="another-secret-123")


@pytest.mark.parametrize(("mode", "seconds"), [("stale", -660), ("future", 660)])
def test_stale_and_future_timestamps_are_signed_but_fail_freshness(mock, backend, http, mode, seconds):
    answer = chat(http, mock, timestampMode=mode).json()
    stamp = answer["headers"][HEADER_TIMESTAMP]
    assert (parse_timestamp(stamp) - FIXED_NOW).total_seconds() == seconds
    verify_call(backend.calls[0])
    with pytest.raises(Refusal):
        check_freshness(stamp, FIXED_NOW)


def test_epoch_timestamp_is_unix_seconds(mock, backend, http):
    answer = chat(http, mock, timestampMode="epoch").json()
    assert answer["headers"][HEADER_TIMESTAMP] == str(int(FIXED_NOW.timestamp()))
    verify_call(backend.calls[0])


def test_explicit_timestamp_is_used_verbatim(mock, backend, http):
    answer = chat(http, mock, timestamp="2020-01-01T00:00:00Z").json()
    assert answer["headers"][HEADER_TIMESTAMP] == "2020-01-01T00:00:00Z"
    verify_call(backend.calls[0])


@pytest.mark.parametrize("by", ["event", "twitch"])
def test_replay_keeps_the_message_id_and_body(mock, backend, http, clock, by):
    first = chat(http, mock, messageId="chat-1").json()
    clock.advance(30)
    replay_of = "chat-1" if by == "event" else first["messageId"]
    second = chat(http, mock, replayOf=replay_of).json()
    assert second["messageId"] == first["messageId"]
    assert second["rawBody"] == first["rawBody"]
    assert second["retry"] == 1 and second["headers"][HEADER_RETRY] == "1"
    assert parse_timestamp(second["headers"][HEADER_TIMESTAMP]) == parse_timestamp(
        first["headers"][HEADER_TIMESTAMP]
    ).replace(second=56)
    third = chat(http, mock, replayOf=replay_of, timestampMode="original").json()
    assert third["retry"] == 2
    assert third["headers"] == {**first["headers"], HEADER_RETRY: "2"}
    assert [c.body for c in backend.calls] == [backend.calls[0].body] * 3
    for call in backend.calls:
        verify_call(call)


def test_replay_of_an_unknown_message_is_404(mock, http):
    response = chat(http, mock, replayOf="never-sent")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "no earlier delivery has message id 'never-sent'",
        "details": {"field": "replayOf"},
    }


def test_original_timestamp_mode_is_only_for_replays(mock, http):
    response = chat(http, mock, timestampMode="original")
    assert response.status_code == 400
    assert response.json()["details"] == {"field": "timestampMode"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"chatterUserId": None}, "chatterUserId"),
        ({"chatterLogin": ""}, "chatterLogin"),
        ({"text": 5}, "text"),
        ({"badges": "subscriber"}, "badges"),
        ({"badges": [1]}, "badges"),
        ({"signatureMode": "sloppy"}, "signatureMode"),
        ({"timestampMode": "yesterday"}, "timestampMode"),
        ({"deliver": "yes"}, "deliver"),
    ],
)
def test_invalid_chat_requests_are_400_json(mock, http, fields, field):
    response = chat(http, mock, **fields)
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "invalid_payload"
    assert answer["details"] == {"field": field}
    assert set(answer) == {"code", "message", "details"}


def test_non_json_body_is_400_json(mock, http):
    response = http.post(f"{mock}/api/mock/chat-message", content=b"{nope")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_payload"


def test_snake_case_fields_are_accepted(mock, http):
    response = http.post(
        f"{mock}/api/mock/chat-message",
        json={"chatter_user_id": "u9", "chatter_login": "u9", "text": "hi", "deliver": False},
    )
    assert response.json()["body"]["event"]["chatter_user_id"] == "u9"


def test_generator_answers_502_when_the_backend_is_unreachable(serve, http, closed_port_url, clock):
    settings = EventSubMockSettings(backend_base_url=closed_port_url, clock=clock)
    mock = serve(lambda: create_app(settings))
    response = chat(http, mock)
    assert response.status_code == 502
    answer = response.json()
    assert answer["code"] == "backend_unreachable"
    assert answer["details"]["delivery"]["body"]["event"]["chatter_user_id"] == "e2e-viewer-1"


# --- generator: verification and revocation --------------------------------------------------------


def test_verification_challenge(mock, backend, http):
    backend.answer("POST", "/api/twitch/eventsub", 200, "pogchamp-kappa", "text/plain")
    answer = http.post(f"{mock}/api/mock/verification", json={"challenge": "pogchamp-kappa"}).json()
    assert answer["body"]["challenge"] == "pogchamp-kappa"
    assert answer["body"]["subscription"]["status"] == "webhook_callback_verification_pending"
    assert answer["headers"][HEADER_MESSAGE_TYPE] == "webhook_callback_verification"
    assert answer["backend"]["body"] == "pogchamp-kappa"
    assert answer["backend"]["contentType"].startswith("text/plain")
    verify_call(backend.calls[0])


def test_verification_makes_up_a_challenge_when_none_is_given(mock, http):
    response = http.post(f"{mock}/api/mock/verification", json={"deliver": False})
    assert response.json()["body"]["challenge"].startswith("mgm-challenge-")
    assert http.post(f"{mock}/api/mock/verification").status_code == 200  # empty body is fine


@pytest.mark.parametrize(
    "status", ["user_removed", "authorization_revoked", "notification_failures_exceeded", "version_removed"]
)
def test_revocation(mock, backend, http, status):
    answer = http.post(f"{mock}/api/mock/revocation", json={"status": status}).json()
    assert answer["body"] == {"subscription": answer["body"]["subscription"]}
    assert answer["body"]["subscription"]["status"] == status
    assert answer["headers"][HEADER_MESSAGE_TYPE] == "revocation"
    verify_call(backend.calls[0])


def test_revocation_status_must_be_twitchs(mock, http):
    response = http.post(f"{mock}/api/mock/revocation", json={"status": "bored"})
    assert response.status_code == 400
    assert response.json()["details"] == {"field": "status"}


# --- generator journal -----------------------------------------------------------------------------


def test_deliveries_are_listed_and_reset(mock, http):
    chat(http, mock, deliver=False)
    http.post(f"{mock}/api/mock/revocation", json={"deliver": False})
    listed = http.get(f"{mock}/api/mock/deliveries").json()
    assert listed["count"] == 2
    assert [d["messageType"] for d in listed["deliveries"]] == ["notification", "revocation"]
    assert listed["deliveries"][0]["createdAt"] == "2025-03-14T15:09:26.535897000Z"
    first_id = listed["deliveries"][0]["messageId"]
    assert http.post(f"{mock}/api/mock/reset").json() == {"ok": True}
    assert http.get(f"{mock}/api/mock/deliveries").json() == {"count": 0, "deliveries": []}
    assert chat(http, mock, replayOf=first_id).status_code == 404


def test_unknown_routes_and_methods_answer_json(mock, http):
    missing = http.get(f"{mock}/nope")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    wrong = http.get(f"{mock}/api/mock/chat-message")
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "method_not_allowed"
    assert "POST" in wrong.headers["allow"]
