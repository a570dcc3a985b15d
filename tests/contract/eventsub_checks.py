"""Contract checks for EventSub (subscription admin, webhook deliveries) and the Extension JWT.

Plain functions so the drift test can run them against a deliberately broken mock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

from .shape import assert_matches, body_differences, header_differences, load
from .targets import TWITCH_EVENTSUB_WRITE, HelixTarget, require_env

CHAT_TYPE = "channel.chat.message"
TWITCH_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


def _create_body(target: HelixTarget) -> dict[str, Any]:
    if target.is_mock:
        callback, secret = "https://contract.example/api/twitch/eventsub", "contract-secret-0123"
    else:
        env = require_env(TWITCH_EVENTSUB_WRITE)
        callback, secret = env["MGM_TIER_C_EVENTSUB_CALLBACK_URL"], env["MGM_TIER_C_EVENTSUB_SECRET"]
    return {
        "type": CHAT_TYPE,
        "version": "1",
        "condition": {"broadcaster_user_id": target.broadcaster_id, "user_id": target.broadcaster_id},
        "transport": {"method": "webhook", "callback": callback, "secret": secret},
    }


def eventsub_create_list_delete(target: HelixTarget) -> None:
    """Create (202), create again (409), list (200), delete (204): Twitch's admin cycle."""
    body = _create_body(target)
    created = target.call("POST", "/helix/eventsub/subscriptions", json=body)
    assert_matches(load("eventsub-create-subscription"), created.status, created.headers, created.body)
    subscription_id = created.body["data"][0]["id"]
    try:
        again = target.call("POST", "/helix/eventsub/subscriptions", json=body)
        assert_matches(load("eventsub-create-subscription-conflict"), again.status, again.headers, again.body)
        listed = target.call("GET", "/helix/eventsub/subscriptions", params={"type": CHAT_TYPE})
        assert_matches(load("eventsub-list-subscriptions"), listed.status, listed.headers, listed.body)
        assert subscription_id in [s["id"] for s in listed.body["data"]]
    finally:
        deleted = target.call("DELETE", "/helix/eventsub/subscriptions", params={"id": subscription_id})
    assert_matches(load("eventsub-delete-subscription"), deleted.status, deleted.headers, deleted.body)


def eventsub_list(target: HelixTarget) -> None:
    """Listing alone (safe on live Twitch with an app token): 200 with the list shape."""
    if target.is_mock:
        target.call("POST", "/helix/eventsub/subscriptions", json=_create_body(target))
    listed = target.call("GET", "/helix/eventsub/subscriptions", params={"type": CHAT_TYPE})
    recording = load("eventsub-list-subscriptions")
    if not listed.body or not listed.body.get("data"):
        # An empty list is valid on live Twitch; compare everything but the items.
        recording = {
            **recording,
            "response": {**recording["response"], "body": {**recording["response"]["body"], "data": []}},
        }
    assert_matches(recording, listed.status, listed.headers, listed.body)


# --- deliveries ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliverySource:
    """The EventSub mock's message builder (``deliver: false``), and the secret it signs with."""

    url: str
    secret: str

    def build(self, route: str, request: dict[str, Any]) -> dict[str, Any]:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            answer = http.post(route, json={**request, "deliver": False})
        answer.raise_for_status()
        return answer.json()


def _check_delivery(recording_name: str, built: dict[str, Any], secret: str) -> None:
    recording = load(recording_name)
    headers, raw = built["headers"], built["rawBody"]
    problems = header_differences(recording, headers, side="request")
    problems += body_differences(recording["request"]["body"], json.loads(raw), recording.get("shape", {}))
    stamp = headers.get("Twitch-Eventsub-Message-Timestamp", "")
    if not TWITCH_TIMESTAMP.match(stamp):
        problems.append(f"timestamp {stamp!r} is not RFC3339 UTC")
    signed = (headers.get("Twitch-Eventsub-Message-Id", "") + stamp + raw).encode()
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if headers.get("Twitch-Eventsub-Message-Signature") != expected:
        problems.append("signature is not sha256=HMAC-SHA256(secret, id + timestamp + body)")
    assert not problems, f"drift from recording {recording_name}: " + "; ".join(problems)


def delivery_notification(source: DeliverySource) -> None:
    built = source.build(
        "/api/mock/chat-message",
        {"chatterUserId": "4145994", "chatterLogin": "viewer32", "text": "Hi chat", "badges": ["subscriber"]},
    )
    _check_delivery("eventsub-delivery-notification", built, source.secret)


def delivery_verification(source: DeliverySource) -> None:
    built = source.build("/api/mock/verification", {"challenge": "pogchamp-kappa-360noscope-vohiyo"})
    _check_delivery("eventsub-delivery-verification", built, source.secret)


def delivery_revocation(source: DeliverySource) -> None:
    built = source.build("/api/mock/revocation", {"status": "authorization_revoked"})
    _check_delivery("eventsub-delivery-revocation", built, source.secret)


# --- Extension JWT --------------------------------------------------------------------------------------


def _segment(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def extension_jwt_claims(token: str) -> None:
    """The token's header and claims have the shape of Twitch's (signature not judged here)."""
    recording = load("extension-jwt-claims")
    problems = body_differences(recording["response"]["header"], _segment(token, 0), {})
    problems += body_differences(recording["response"]["body"], _segment(token, 1), recording["shape"])
    assert not problems, "drift from recording extension-jwt-claims: " + "; ".join(problems)
