"""Twitch EventSub webhook signatures and timestamp freshness (twitch-api.md).

One implementation serves both sides: the EBS verifies with it and the mock
EventSub source signs with it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta

from mgm_core.errors import ErrorCode, Refusal

HEADER_MESSAGE_ID = "Twitch-Eventsub-Message-Id"
HEADER_RETRY = "Twitch-Eventsub-Message-Retry"
HEADER_MESSAGE_TYPE = "Twitch-Eventsub-Message-Type"
HEADER_SIGNATURE = "Twitch-Eventsub-Message-Signature"
HEADER_TIMESTAMP = "Twitch-Eventsub-Message-Timestamp"
HEADER_SUBSCRIPTION_TYPE = "Twitch-Eventsub-Subscription-Type"
HEADER_SUBSCRIPTION_VERSION = "Twitch-Eventsub-Subscription-Version"

MAX_MESSAGE_AGE = timedelta(minutes=10)
# Twitch stamps with its own clock; a minute of skew is tolerated, more is "in the future".
MAX_FUTURE_SKEW = timedelta(seconds=60)

_EPOCH = re.compile(r"\d{1,12}(\.\d+)?")
_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$")


def signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``message_id + timestamp + body``, keyed with ``secret``."""
    # hmac.digest: OpenSSL's one-shot HMAC, without an HMAC object per delivery.
    mac = hmac.digest(secret.encode(), message_id.encode() + timestamp.encode() + body, hashlib.sha256)
    return "sha256=" + mac.hex()


def verify_signature(
    secret: str, message_id: str | None, timestamp: str | None, body: bytes, given: str | None
) -> None:
    """Raise ``403 invalid_signature`` unless ``given`` is the signature of this delivery."""
    if not (message_id and timestamp and given):
        raise Refusal(
            ErrorCode.INVALID_SIGNATURE,
            "EventSub message id, timestamp and signature headers are required",
        )
    try:
        expected = signature(secret, message_id, timestamp, body)
        matches = hmac.compare_digest(expected.encode(), given.strip().lower().encode())
    except UnicodeEncodeError:  # header bytes that are not text cannot have been signed by Twitch
        matches = False
    if not matches:
        raise Refusal(ErrorCode.INVALID_SIGNATURE, "EventSub signature does not match")


def parse_timestamp(text: str) -> datetime:
    """Parse Twitch's RFC3339 timestamp (any fractional digits) or Unix epoch seconds.

    Raises ``ValueError`` for anything else.
    """
    text = text.strip()
    if _EPOCH.fullmatch(text):
        return datetime.fromtimestamp(float(text), UTC)
    match = _RFC3339.match(text)
    if not match:
        raise ValueError(f"not an RFC3339 or epoch timestamp: {text!r}")
    date, clock, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if zone in ("Z", "z") else zone
    return datetime.fromisoformat(f"{date}T{clock}.{micro}{zone}").astimezone(UTC)


def check_freshness(timestamp: str | None, now: datetime) -> None:
    """Raise ``403 stale_message`` for a missing, unreadable, old or future timestamp."""
    if not timestamp:
        raise Refusal(ErrorCode.STALE_MESSAGE, "EventSub timestamp header is required")
    try:
        sent = parse_timestamp(timestamp)
    except (ValueError, OverflowError, OSError) as exc:
        raise Refusal(ErrorCode.STALE_MESSAGE, "EventSub timestamp is not readable") from exc
    if now - sent > MAX_MESSAGE_AGE:
        raise Refusal(ErrorCode.STALE_MESSAGE, "EventSub message is older than 10 minutes")
    if sent - now > MAX_FUTURE_SKEW:
        raise Refusal(ErrorCode.STALE_MESSAGE, "EventSub message timestamp is in the future")


def format_timestamp(instant: datetime) -> str:
    """Twitch's form: RFC3339 UTC with nanosecond digits."""
    instant = instant.astimezone(UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond:06d}000Z"
