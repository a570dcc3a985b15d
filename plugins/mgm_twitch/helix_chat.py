"""The reward-sent announcement in Twitch chat: Helix Send Chat Message.

``POST {MGM_HELIX_BASE_URL}/helix/chat/messages`` with the broadcaster's token,
``Client-Id`` and ``{"broadcaster_id", "sender_id", "message"}`` (sender = the
broadcaster, the token's owner). Success is a 2xx whose ``data[0].is_sent`` is
true when present — Twitch answers 200 even for a dropped message.

Up to three attempts. A network error, a timeout, a 5xx, a dropped message or
a 429 is retried after a short pause (a 429 waits for ``Ratelimit-Reset`` when
that is at most a few seconds away, else gives up); 400/401/403/404/422 are not
retried: the same request cannot succeed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from mgm_core.plugins import hookimpl
from mgm_core.plugins.context import (
    DeliveryFailed,
    DeliverySkipped,
    NotificationChannel,
    PluginContext,
    RewardSentNotification,
)
from mgm_twitch.helix import HelixNotConfigured, helix_headers, helix_url

ATTEMPTS = 3
BACKOFF_SECONDS = (0.2, 0.5)
MAX_RATELIMIT_WAIT_SECONDS = 5.0
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 422})


class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


@dataclass
class HelixChatChannel:
    """Posts the announcement to the broadcaster's chat; sets ``isRewardSentAnnouncedToChat``."""

    name: str = "helix_chat"
    announces_to_twitch_chat: bool = True
    backoff: Sequence[float] = BACKOFF_SECONDS
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)
    wall_clock: Callable[[], float] = field(default=time.time)

    async def deliver(self, notification: RewardSentNotification, context: PluginContext) -> None:
        config = context.config
        try:
            headers = helix_headers(config, json_body=True)
        except HelixNotConfigured as missing:
            raise DeliverySkipped(f"Helix chat announcement not sent: {missing}") from None
        if context.http is None:
            raise DeliverySkipped("no HTTP session")
        body = {
            "broadcaster_id": config.broadcaster_id,
            "sender_id": config.broadcaster_id,
            "message": notification.message,
        }
        last = "no attempt made"
        for attempt in range(1, ATTEMPTS + 1):
            try:
                await self._attempt(context, headers, body)
                return
            except _Retry as retry:
                last = str(retry)
                context.log.warning(
                    "helix chat attempt failed",
                    extra={"payout_id": notification.payout_id, "attempt": attempt, "reason": last},
                )
                if attempt == ATTEMPTS:
                    break
                wait = (
                    retry.wait
                    if retry.wait is not None
                    else self.backoff[min(attempt, len(self.backoff)) - 1]
                )
                await self.sleep(wait)
        raise DeliveryFailed(f"Helix chat announcement failed after {ATTEMPTS} attempts: {last}")

    async def _attempt(self, context: PluginContext, headers: dict[str, str], body: dict[str, Any]) -> None:
        assert context.http is not None
        config = context.config
        try:
            async with context.http.post(
                helix_url(config, "chat/messages"),
                json=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=config.helix_timeout_seconds),
            ) as answer:
                text = await answer.text()
                status = answer.status
                reset = answer.headers.get("Ratelimit-Reset")
        except (TimeoutError, aiohttp.ClientError) as error:
            raise _Retry(f"{type(error).__name__}: {error}".rstrip(": ")) from error
        if status == 429:
            raise _Retry("429 rate limited", self._ratelimit_wait(reset))
        if status in PERMANENT_STATUSES:
            raise DeliveryFailed(f"Helix answered {status}: {text[:200]}", permanent=True)
        if not 200 <= status < 300:
            raise _Retry(f"Helix answered {status}")
        sent, drop = _is_sent(text)
        if not sent:
            raise _Retry(f"message dropped: {drop}")

    def _ratelimit_wait(self, reset: str | None) -> float:
        try:
            wait = float(reset) - self.wall_clock() if reset else None
        except ValueError:
            wait = None
        if wait is None:
            return self.backoff[-1]
        if wait > MAX_RATELIMIT_WAIT_SECONDS:
            raise DeliveryFailed(f"Helix rate limit resets in {wait:.0f} s; not waiting", permanent=True)
        return max(0.0, wait)


def _is_sent(text: str) -> tuple[bool, str]:
    """A 2xx is sent unless its JSON says ``is_sent: false`` (seed mocks answer 204, empty)."""
    try:
        body = json.loads(text) if text.strip() else None
    except ValueError:
        return True, ""
    data = body.get("data") if isinstance(body, dict) else None
    first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else None
    if first is None or "is_sent" not in first:
        return True, ""
    drop = first.get("drop_reason") or {}
    reason = drop.get("code", "unknown") if isinstance(drop, dict) else str(drop)
    return first["is_sent"] is True, reason


@hookimpl
def mgm_notification_channels(context: PluginContext) -> list[NotificationChannel]:
    return [HelixChatChannel()]
