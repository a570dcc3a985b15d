"""A notification channel that posts the reward-sent announcement to a webhook.

Configured by environment variables:

* ``MGM_WEBHOOK_URL`` — where to POST (a Discord webhook URL, or any endpoint
  accepting the same JSON). Unset: the plugin provides no channel.
* ``MGM_WEBHOOK_TIMEOUT_SECONDS`` — per request (default 5).
* ``MGM_WEBHOOK_IDEMPOTENT`` — ``true`` (default) when the receiver deduplicates
  on the ``Idempotency-Key`` header: a delivery whose EBS died mid-attempt is
  then sent again with the same key. ``false`` for a receiver that cannot (a
  plain Discord webhook): such a delivery becomes ``uncertain`` for an operator.

The body is Discord's execute-webhook shape: ``content`` is the exact Russian
announcement, ``username`` names the bot, and ``allowed_mentions`` is empty so a
character name can never ping anyone. A 429 is retried once after
``Retry-After`` when that is short; any other non-2xx fails the delivery.
"""

from __future__ import annotations

import asyncio
import os

import aiohttp

from mgm_core.plugins import hookimpl
from mgm_core.plugins.context import DeliveryFailed, PluginContext, RewardSentNotification

CHANNEL_NAME = "webhook"
BOT_NAME = "Mimiron's Gold-o-Matic"
MAX_RETRY_AFTER_SECONDS = 5.0


class WebhookChannel:
    """Posts one JSON message per payout that reaches Sent."""

    name = CHANNEL_NAME

    def __init__(self, url: str, timeout_seconds: float = 5.0, *, idempotent: bool = True) -> None:
        self.url = url
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self.idempotent = idempotent  # the outbox redelivers after a crash only when True

    @staticmethod
    def headers(notification: RewardSentNotification) -> dict[str, str]:
        """The stable delivery id, the same on every redelivery of this payout."""
        return {"Idempotency-Key": notification.delivery_id} if notification.delivery_id else {}

    def body(self, notification: RewardSentNotification) -> dict[str, object]:
        return {
            "content": notification.message,
            "username": BOT_NAME,
            "allowed_mentions": {"parse": []},
        }

    async def deliver(self, notification: RewardSentNotification, context: PluginContext) -> None:
        if context.http is None:
            raise DeliveryFailed("no HTTP session")
        for attempt in (1, 2):
            try:
                async with context.http.post(
                    self.url,
                    json=self.body(notification),
                    headers=self.headers(notification),
                    timeout=self.timeout,
                ) as answer:
                    if 200 <= answer.status < 300:
                        return
                    retry_after = answer.headers.get("Retry-After", "")
                    status = answer.status
            except (aiohttp.ClientError, TimeoutError) as error:
                raise DeliveryFailed(f"webhook unreachable: {type(error).__name__}") from error
            if status == 429 and attempt == 1 and _short(retry_after):
                await asyncio.sleep(float(retry_after))
                continue
            raise DeliveryFailed(f"webhook answered {status}", permanent=status != 429)


def _short(retry_after: str) -> bool:
    try:
        return 0 <= float(retry_after) <= MAX_RETRY_AFTER_SECONDS
    except ValueError:
        return False


@hookimpl
def mgm_notification_channels(context: PluginContext) -> list[WebhookChannel] | None:
    url = os.environ.get("MGM_WEBHOOK_URL", "").strip()
    if not url:
        return None
    timeout = float(os.environ.get("MGM_WEBHOOK_TIMEOUT_SECONDS", "5") or 5)
    idempotent = os.environ.get("MGM_WEBHOOK_IDEMPOTENT", "true").strip().lower() not in {
        "0",
        "false",
        "no",
        "off",
    }
    return [WebhookChannel(url, timeout, idempotent=idempotent)]
