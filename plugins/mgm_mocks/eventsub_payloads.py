"""Twitch EventSub webhook messages, built and signed as Twitch sends them (twitch-api.md).

Plain functions with no server behind them: the mock EventSub source serves
them over HTTP, and tests and Gherkin steps import them to sign their own
deliveries. Signing itself is :func:`mgm_core.security.eventsub.signature`, the
same code the EBS verifies with.

A typical step::

    delivery = chat_message_delivery(
        secret="e2e-ci-eventsub-secret", now=clock.now(),
        chatter_user_id="e2e-viewer-1", chatter_login="e2eviewer1", text="!twgold Etoehero",
    )
    httpx.post(ebs + "/api/twitch/eventsub", content=delivery.body, headers=delivery.headers)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mgm_core.security.eventsub import (
    HEADER_MESSAGE_ID,
    HEADER_MESSAGE_TYPE,
    HEADER_RETRY,
    HEADER_SIGNATURE,
    HEADER_SUBSCRIPTION_TYPE,
    HEADER_SUBSCRIPTION_VERSION,
    HEADER_TIMESTAMP,
    MAX_MESSAGE_AGE,
    format_timestamp,
    signature,
)

NOTIFICATION = "notification"
VERIFICATION = "webhook_callback_verification"
REVOCATION = "revocation"
MESSAGE_TYPES = (NOTIFICATION, VERIFICATION, REVOCATION)

CHAT_MESSAGE = "channel.chat.message"
CHAT_MESSAGE_VERSION = "1"
ENABLED = "enabled"
VERIFICATION_PENDING = "webhook_callback_verification_pending"
REVOCATION_STATUSES = (
    "user_removed",
    "authorization_revoked",
    "notification_failures_exceeded",
    "version_removed",
)

SIGNATURE_MODES = ("valid", "bad", "missing")
TIMESTAMP_MODES = ("now", "stale", "future", "epoch")
# One minute past Twitch's replay window, so a receiver that checks freshness must refuse it.
TIMESTAMP_SKEW = MAX_MESSAGE_AGE + timedelta(minutes=1)
# What the seed's CI sends as the signature when no secret is configured.
UNSIGNED = "sha256=unused"


@dataclass(frozen=True)
class Channel:
    """The broadcaster whose chat the subscription watches."""

    user_id: str
    login: str
    name: str


DEFAULT_CHANNEL = Channel("e2e-ci-broadcaster", "e2e_ci_broadcaster", "E2E_CI_Broadcaster")


@dataclass(frozen=True)
class Subscription:
    """A webhook subscription as Twitch repeats it in every message it sends."""

    id: str
    type: str
    version: str
    condition: Mapping[str, str]
    callback: str
    created_at: str
    cost: int = 0

    def to_json(self, status: str = ENABLED) -> dict[str, Any]:
        """The ``subscription`` object of a message, with ``status``."""
        return {
            "id": self.id,
            "status": status,
            "type": self.type,
            "version": self.version,
            "condition": dict(self.condition),
            "transport": {"method": "webhook", "callback": self.callback},
            "created_at": self.created_at,
            "cost": self.cost,
        }


def chat_subscription(
    channel: Channel,
    *,
    callback: str,
    created_at: datetime,
    bot_user_id: str | None = None,
    subscription_id: str | None = None,
) -> Subscription:
    """A ``channel.chat.message`` v1 subscription reading ``channel``'s chat as ``bot_user_id``."""
    return Subscription(
        id=subscription_id or str(uuid.uuid4()),
        type=CHAT_MESSAGE,
        version=CHAT_MESSAGE_VERSION,
        condition={"broadcaster_user_id": channel.user_id, "user_id": bot_user_id or channel.user_id},
        callback=callback,
        created_at=format_timestamp(created_at),
    )


def badge(set_id: str, badge_id: str | None = None, info: str | None = None) -> dict[str, str]:
    """A chat badge; for ``subscriber``/``founder`` Twitch puts the months subscribed in ``info``."""
    is_sub = set_id in ("subscriber", "founder")
    return {
        "set_id": set_id,
        "id": badge_id if badge_id is not None else ("0" if is_sub else "1"),
        "info": info if info is not None else ("1" if is_sub else ""),
    }


def chat_message_event(
    channel: Channel,
    *,
    chatter_user_id: str,
    chatter_login: str,
    text: str,
    chatter_name: str | None = None,
    badges: Iterable[str | Mapping[str, str]] = (),
    message_id: str | None = None,
    color: str = "",
    message_type: str = "text",
) -> dict[str, Any]:
    """The full ``event`` object of a ``channel.chat.message`` v1 notification.

    ``badges`` may name set ids (``"subscriber"``) or give whole badge objects.
    Fields a plain chat line does not use are present and null, as Twitch sends them.
    """
    fragments = (
        [{"type": "text", "text": text, "cheermote": None, "emote": None, "mention": None}] if text else []
    )
    return {
        "broadcaster_user_id": channel.user_id,
        "broadcaster_user_login": channel.login,
        "broadcaster_user_name": channel.name,
        "chatter_user_id": chatter_user_id,
        "chatter_user_login": chatter_login,
        "chatter_user_name": chatter_name or chatter_login,
        "message_id": message_id or str(uuid.uuid4()),
        "message": {"text": text, "fragments": fragments},
        "message_type": message_type,
        "badges": [badge(b) if isinstance(b, str) else _badge_object(b) for b in badges],
        "cheer": None,
        "color": color,
        "reply": None,
        "channel_points_custom_reward_id": None,
        "channel_points_animation_id": None,
        "source_broadcaster_user_id": None,
        "source_broadcaster_user_login": None,
        "source_broadcaster_user_name": None,
        "source_message_id": None,
        "source_badges": None,
        "is_source_only": None,
    }


def _badge_object(given: Mapping[str, str]) -> dict[str, str]:
    set_id = given.get("set_id") or given.get("setId") or ""
    return badge(set_id, given.get("id"), given.get("info"))


def notification_payload(subscription: Subscription, event: Mapping[str, Any]) -> dict[str, Any]:
    """A ``notification`` body: the enabled subscription and its event."""
    return {"subscription": subscription.to_json(ENABLED), "event": dict(event)}


def verification_payload(subscription: Subscription, challenge: str) -> dict[str, Any]:
    """A ``webhook_callback_verification`` body; the receiver must echo ``challenge``."""
    return {"challenge": challenge, "subscription": subscription.to_json(VERIFICATION_PENDING)}


def revocation_payload(subscription: Subscription, status: str) -> dict[str, Any]:
    """A ``revocation`` body; ``status`` says why Twitch ended the subscription."""
    if status not in REVOCATION_STATUSES:
        raise ValueError(f"revocation status must be one of {', '.join(REVOCATION_STATUSES)}")
    return {"subscription": subscription.to_json(status)}


def seed_chat_payload(
    *, message_id: str, chatter_user_id: str, chatter_login: str, text: str, badges: Iterable[str] = ()
) -> dict[str, Any]:
    """The minimal body the seed's CI script sends (ebs-contract.md §9), for compatibility tests."""
    return {
        "subscription": {"type": CHAT_MESSAGE},
        "event": {
            "message_id": message_id,
            "chatter_user_id": chatter_user_id,
            "chatter_user_login": chatter_login,
            "message": {"text": text},
            "badges": [{"set_id": b} for b in badges],
        },
    }


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON, the bytes that get signed and sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def timestamp_for(mode: str, now: datetime) -> str:
    """The timestamp header for ``mode``.

    ``now``: RFC3339 with nanoseconds as Twitch sends; ``stale``/``future``: the
    same form, just outside the 10-minute window; ``epoch``: Unix seconds, as
    the seed's CI sends.
    """
    if mode == "now":
        return format_timestamp(now)
    if mode == "stale":
        return format_timestamp(now - TIMESTAMP_SKEW)
    if mode == "future":
        return format_timestamp(now + TIMESTAMP_SKEW)
    if mode == "epoch":
        return str(int(now.timestamp()))
    raise ValueError(f"timestamp mode must be one of {', '.join(TIMESTAMP_MODES)}; got {mode!r}")


def signature_for(mode: str, secret: str, message_id: str, timestamp: str, body: bytes) -> str | None:
    """The signature header for ``mode``: ``valid``, ``bad`` (well-formed, wrong key) or ``missing``."""
    if mode == "valid":
        return signature(secret, message_id, timestamp, body) if secret else UNSIGNED
    if mode == "bad":
        return signature(secret + "-not-the-secret", message_id, timestamp, body)
    if mode == "missing":
        return None
    raise ValueError(f"signature mode must be one of {', '.join(SIGNATURE_MODES)}; got {mode!r}")


@dataclass(frozen=True)
class Delivery:
    """One signed webhook request: the exact body bytes and Twitch's headers."""

    message_id: str
    message_type: str
    timestamp: str
    signature: str | None
    body: bytes
    subscription_type: str
    subscription_version: str
    retry: int = 0
    headers: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        headers = {
            HEADER_MESSAGE_ID: self.message_id,
            HEADER_RETRY: str(self.retry),
            HEADER_MESSAGE_TYPE: self.message_type,
            HEADER_TIMESTAMP: self.timestamp,
            HEADER_SUBSCRIPTION_TYPE: self.subscription_type,
            HEADER_SUBSCRIPTION_VERSION: self.subscription_version,
            "Content-Type": "application/json",
        }
        if self.signature is not None:
            headers[HEADER_SIGNATURE] = self.signature
        object.__setattr__(self, "headers", headers)

    def payload(self) -> dict[str, Any]:
        """The body parsed back into JSON."""
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    def describe(self) -> dict[str, Any]:
        """What a caller needs to send this delivery itself: headers, parsed body and raw body."""
        return {
            "messageId": self.message_id,
            "messageType": self.message_type,
            "retry": self.retry,
            "headers": dict(self.headers),
            "body": self.payload(),
            "rawBody": self.body.decode(),
        }


def sign(
    payload: Mapping[str, Any] | bytes,
    *,
    secret: str,
    message_type: str,
    now: datetime,
    message_id: str | None = None,
    timestamp_mode: str = "now",
    timestamp: str | None = None,
    signature_mode: str = "valid",
    subscription_type: str | None = None,
    subscription_version: str | None = None,
    retry: int = 0,
) -> Delivery:
    """Sign a message body as Twitch does.

    ``timestamp`` (verbatim) wins over ``timestamp_mode``. The subscription
    headers default to the ones in the payload.
    """
    if message_type not in MESSAGE_TYPES:
        raise ValueError(f"message type must be one of {', '.join(MESSAGE_TYPES)}")
    body = payload if isinstance(payload, bytes) else encode_body(payload)
    if subscription_type is None or subscription_version is None:
        described = json.loads(body).get("subscription") or {}
        subscription_type = subscription_type or str(described.get("type", ""))
        subscription_version = subscription_version or str(described.get("version", ""))
    message_id = message_id or str(uuid.uuid4())
    stamp = timestamp if timestamp is not None else timestamp_for(timestamp_mode, now)
    return Delivery(
        message_id=message_id,
        message_type=message_type,
        timestamp=stamp,
        signature=signature_for(signature_mode, secret, message_id, stamp, body),
        body=body,
        subscription_type=subscription_type,
        subscription_version=subscription_version,
        retry=retry,
    )


def resend(
    original: Delivery,
    *,
    secret: str,
    now: datetime,
    timestamp_mode: str = "now",
    timestamp: str | None = None,
    signature_mode: str = "valid",
) -> Delivery:
    """Twitch's retry of ``original``: same message id and body, retry count plus one.

    ``timestamp_mode="original"`` keeps the first timestamp, so with a valid
    signature the resend is byte-for-byte the first request.
    """
    if timestamp is None and timestamp_mode == "original":
        timestamp = original.timestamp
    return sign(
        original.body,
        secret=secret,
        message_type=original.message_type,
        now=now,
        message_id=original.message_id,
        timestamp_mode=timestamp_mode,
        timestamp=timestamp,
        signature_mode=signature_mode,
        subscription_type=original.subscription_type,
        subscription_version=original.subscription_version,
        retry=original.retry + 1,
    )


def chat_message_delivery(
    *,
    secret: str,
    now: datetime,
    chatter_user_id: str,
    chatter_login: str,
    text: str,
    chatter_name: str | None = None,
    badges: Iterable[str | Mapping[str, str]] = ("subscriber",),
    message_id: str | None = None,
    channel: Channel = DEFAULT_CHANNEL,
    subscription: Subscription | None = None,
    signature_mode: str = "valid",
    timestamp_mode: str = "now",
    timestamp: str | None = None,
) -> Delivery:
    """A signed ``channel.chat.message`` notification in one call (for steps and tests)."""
    subscription = subscription or chat_subscription(channel, callback="", created_at=now)
    event = chat_message_event(
        channel,
        chatter_user_id=chatter_user_id,
        chatter_login=chatter_login,
        chatter_name=chatter_name,
        text=text,
        badges=badges,
        message_id=message_id,
    )
    return sign(
        notification_payload(subscription, event),
        secret=secret,
        message_type=NOTIFICATION,
        now=now,
        signature_mode=signature_mode,
        timestamp_mode=timestamp_mode,
        timestamp=timestamp,
    )
