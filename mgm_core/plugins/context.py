"""What a hook implementation gets to work with, and the objects hooks exchange."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

import aiohttp

from mgm_core.clock import Clock
from mgm_core.config import Config, LiveConfig


class PluginContext:
    """Shared services of one EBS instance, handed to every hook call.

    ``config`` is the configuration in force *now*: read it on every call, never
    keep it (a development EBS may change it between requests, see
    :class:`mgm_core.config.LiveConfig`). ``http`` is the instance's one outbound
    :class:`aiohttp.ClientSession` (``None`` only outside a running app, e.g. in ``mgm plugins``).
    """

    __slots__ = ("_settings", "clock", "http", "log")

    def __init__(
        self,
        config: Config | LiveConfig,
        clock: Clock,
        http: aiohttp.ClientSession | None,
        log: logging.Logger | None = None,
    ) -> None:
        self._settings = config if isinstance(config, LiveConfig) else LiveConfig(config)
        self.clock = clock
        self.http = http
        self.log = log or logging.getLogger("mgm_core.plugins")

    @property
    def config(self) -> Config:
        return self._settings.current


class SubscriberSource(StrEnum):
    CHAT = "chat"  # an EventSub chat message; ``badges`` holds its badge set ids
    CLAIM = "claim"  # the Extension's claim route; no badges are known


@dataclass(frozen=True)
class SubscriberQuery:
    """Is this viewer a subscriber of the channel?"""

    twitch_user_id: str
    display_name: str
    source: SubscriberSource
    badges: Sequence[str] = ()
    broadcaster_id: str = ""


class SubscriberVerdict(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


DEFAULT_RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class SubscriberCheckUnavailable:
    """The third verdict: whether the viewer subscribes cannot be known *now*.

    ``reason`` is a stable code naming why (e.g. ``helix_rate_limited``,
    ``helix_unreachable``); it is logged and returned to the client in the
    error's ``details``. ``retry_after_seconds`` (at least 1) becomes the
    answer's ``Retry-After``.
    """

    reason: str
    retry_after_seconds: int = DEFAULT_RETRY_AFTER_SECONDS

    def __post_init__(self) -> None:
        if not self.reason:
            raise ValueError("SubscriberCheckUnavailable needs a reason code")
        if self.retry_after_seconds < 1:
            object.__setattr__(self, "retry_after_seconds", 1)


@dataclass(frozen=True)
class RewardSentNotification:
    """One payout reached Sent: what every notification channel announces."""

    payout_id: str
    twitch_user_id: str
    twitch_display_name: str
    character_name: str
    gold_amount: int
    message: str  # the exact Russian announcement line
    # Stable across redeliveries of this payout to this channel: an idempotent
    # channel deduplicates on it (e.g. an ``Idempotency-Key`` header).
    delivery_id: str = ""


@runtime_checkable
class NotificationChannel(Protocol):
    """A place the reward-sent announcement goes (Twitch chat, a webhook, …).

    ``name`` is stable and unique: the outbox keeps one delivery per payout and
    channel name. ``deliver`` raises :class:`DeliveryFailed` (or anything else)
    when the notification did not get through; it is never called twice for
    the same payout — unless the channel declares ``idempotent = True``: then a
    delivery whose process died mid-attempt is made again with the same
    ``notification.delivery_id``, which the channel must deduplicate on. A
    channel that is not idempotent gets such a delivery marked ``uncertain``
    for an operator instead (docs/plugins.md, "Delivery guarantees").
    """

    name: str

    def deliver(self, notification: RewardSentNotification, context: PluginContext) -> Awaitable[None]: ...


class DeliveryFailed(Exception):
    """A channel could not deliver; ``permanent`` says whether retrying could help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class DeliverySkipped(Exception):
    """A channel chose not to deliver (e.g. it is not configured); not an error."""
