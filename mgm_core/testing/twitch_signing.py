"""How Twitch signs an EventSub webhook delivery, written from Twitch's documentation.

The test side signs with this module, never with :mod:`mgm_core.security.eventsub`,
so a fault in the product's verification cannot be mirrored by the tests that
check it. From "Verifying the event message" (EventSub, webhooks):

    hmac_message = message_id + message_timestamp + raw_request_body
    signature    = "sha256=" + HMAC-SHA256(secret, hmac_message) as lowercase hex

where ``message_id`` is the ``Twitch-Eventsub-Message-Id`` header and
``message_timestamp`` the ``Twitch-Eventsub-Message-Timestamp`` header, an RFC 3339
UTC instant (Twitch sends nanosecond digits, e.g. ``2023-07-19T14:56:51.616329898Z``).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime


def twitch_signature(secret: str, message_id: str, timestamp: str, raw_body: bytes) -> str:
    """The ``Twitch-Eventsub-Message-Signature`` header value for one delivery."""
    hmac_message = message_id.encode("utf-8") + timestamp.encode("utf-8") + raw_body
    digest = hmac.new(secret.encode("utf-8"), hmac_message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def twitch_timestamp(instant: datetime) -> str:
    """``instant`` as Twitch writes the timestamp header: RFC 3339, UTC, nine fractional digits."""
    utc = instant.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond:06d}000Z"
