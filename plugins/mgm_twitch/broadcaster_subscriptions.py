"""Helix Get Broadcaster Subscriptions for one viewer: the request and how its answer reads.

``GET {base}/helix/subscriptions?broadcaster_id=<channel>&user_id=<viewer>``
with the broadcaster's user token (scope ``channel:read:subscriptions``),
``Authorization: Bearer <token>`` and the matching ``Client-Id``. One viewer, so
never paginated: with ``user_id`` Twitch returns that viewer's subscription or
an empty ``data``.

The answer is one of three, kept apart on purpose:

* ``SUBSCRIBED`` — 200 whose ``data`` holds an entry for this viewer;
* ``NOT_SUBSCRIBED`` — 200 with an empty ``data`` (Twitch's "not a subscriber");
* ``UNAVAILABLE`` — Twitch could not be asked or refused to answer; ``reason``
  is a stable code (below), never a verdict about the viewer.

A 429 is not waited for: its ``Ratelimit-Reset`` is returned for the log only.
Nothing here sleeps, retries or reads a clock. The function takes plain values
(no :class:`~mgm_core.config.Config`) so the claim hook, the contract suite and
a "real Helix" test backend can all call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiohttp
from multidict import CIMultiDict

PATH = "/helix/subscriptions"


class SubscriptionStatus(StrEnum):
    SUBSCRIBED = "subscribed"
    NOT_SUBSCRIBED = "not_subscribed"
    UNAVAILABLE = "unavailable"


class UnavailableReason(StrEnum):
    """Why Twitch gave no verdict (stable codes, for logs and a future 503 mapping)."""

    BAD_REQUEST = "helix_bad_request"  # 400: a malformed or missing broadcaster id
    UNAUTHORIZED = "helix_unauthorized"  # 401: token expired, lacks the scope, or is not the broadcaster's
    FORBIDDEN = "helix_forbidden"  # 403
    RATE_LIMITED = "helix_rate_limited"  # 429
    SERVER_ERROR = "helix_server_error"  # 5xx
    UNEXPECTED_STATUS = "helix_unexpected_status"  # any other status
    UNEXPECTED_ANSWER = "helix_unexpected_answer"  # 200 whose body cannot be read as the documented shape
    UNREACHABLE = "helix_unreachable"  # timeout, refused or reset connection


@dataclass(frozen=True)
class SubscriptionCheck:
    """What Twitch said about one viewer; ``reason`` is set only when ``UNAVAILABLE``."""

    status: SubscriptionStatus
    reason: UnavailableReason | None = None
    http_status: int | None = None
    ratelimit_reset: int | None = None  # epoch seconds from a 429, information only
    tier: str | None = None

    def log_fields(self) -> dict[str, Any]:
        """Fields for a log line (no token, no body)."""
        fields: dict[str, Any] = {"helix_status": self.http_status, "outcome": str(self.status)}
        if self.reason is not None:
            fields["reason"] = str(self.reason)
        if self.ratelimit_reset is not None:
            fields["ratelimit_reset"] = self.ratelimit_reset
        return fields


@dataclass(frozen=True)
class BroadcasterSubscriptionsRequest:
    """Everything the call needs; ``token`` is kept out of ``repr``."""

    base_url: str
    client_id: str
    token: str
    broadcaster_id: str
    user_id: str
    timeout_seconds: float = 10.0

    def __repr__(self) -> str:
        return (
            f"BroadcasterSubscriptionsRequest(base_url={self.base_url!r}, client_id={self.client_id!r}, "
            f"broadcaster_id={self.broadcaster_id!r}, user_id={self.user_id!r})"
        )

    @property
    def url(self) -> str:
        return f"{self.base_url.rstrip('/')}{PATH}"

    @property
    def params(self) -> dict[str, str]:
        return {"broadcaster_id": self.broadcaster_id, "user_id": self.user_id}

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "Client-Id": self.client_id,
            "Accept": "application/json",
        }


_STATUS_REASONS = {
    400: UnavailableReason.BAD_REQUEST,
    401: UnavailableReason.UNAUTHORIZED,
    403: UnavailableReason.FORBIDDEN,
    429: UnavailableReason.RATE_LIMITED,
}


def _unavailable(
    reason: UnavailableReason, status: int | None = None, reset: int | None = None
) -> SubscriptionCheck:
    return SubscriptionCheck(SubscriptionStatus.UNAVAILABLE, reason, status, reset)


def _epoch(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def read_answer(status: int, headers: Mapping[str, str], body: Any, user_id: str) -> SubscriptionCheck:
    """Interpret one answer of Get Broadcaster Subscriptions for ``user_id`` (pure; no I/O)."""
    if status != 200:
        if status >= 500:
            return _unavailable(UnavailableReason.SERVER_ERROR, status)
        reason = _STATUS_REASONS.get(status, UnavailableReason.UNEXPECTED_STATUS)
        reset = _epoch(headers.get("Ratelimit-Reset")) if status == 429 else None
        return _unavailable(reason, status, reset)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return _unavailable(UnavailableReason.UNEXPECTED_ANSWER, status)
    if not data:
        return SubscriptionCheck(SubscriptionStatus.NOT_SUBSCRIBED, http_status=status)
    for entry in data:
        if isinstance(entry, dict) and entry.get("user_id") == user_id:
            tier = entry.get("tier")
            return SubscriptionCheck(
                SubscriptionStatus.SUBSCRIBED,
                http_status=status,
                tier=tier if isinstance(tier, str) else None,
            )
    # Entries, but none for this viewer: the user_id filter was not applied, so no verdict.
    return _unavailable(UnavailableReason.UNEXPECTED_ANSWER, status)


async def check_broadcaster_subscription(
    http: aiohttp.ClientSession, request: BroadcasterSubscriptionsRequest
) -> SubscriptionCheck:
    """Send the one request and read its answer; never raises for HTTP or network trouble."""
    try:
        async with http.get(
            request.url,
            params=request.params,
            headers=request.headers,
            timeout=aiohttp.ClientTimeout(total=request.timeout_seconds),
            allow_redirects=False,
        ) as answer:
            status = answer.status
            headers = CIMultiDict(answer.headers)
            body: Any = None
            if status == 200:
                try:
                    body = await answer.json(content_type=None)
                except ValueError:
                    body = None
    except (TimeoutError, aiohttp.ClientError):
        return _unavailable(UnavailableReason.UNREACHABLE)
    return read_answer(status, headers, body, request.user_id)


__all__ = [
    "PATH",
    "BroadcasterSubscriptionsRequest",
    "SubscriptionCheck",
    "SubscriptionStatus",
    "UnavailableReason",
    "check_broadcaster_subscription",
    "read_answer",
]
