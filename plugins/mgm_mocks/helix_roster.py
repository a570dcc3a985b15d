"""The Helix mock's subscriber roster: who subscribes to which channel, set by tests."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

TIERS = ("1000", "2000", "3000")
# Subscriber points per tier, as Twitch counts them for Get Broadcaster Subscriptions' ``points``.
TIER_POINTS = {"1000": 1, "2000": 2, "3000": 6}
MAX_USER_IDS = 100
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class RosterError(ValueError):
    """A roster entry that cannot be stored; ``field`` names the offending key."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _text(given: dict[str, Any], camel: str, snake: str, *, required: bool = False) -> str | None:
    value = given.get(camel, given.get(snake))
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RosterError(f"{camel} is required", camel)
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise RosterError(f"{camel} must be a string", camel)
    return str(value).strip()


@dataclass(frozen=True)
class Subscriber:
    """One viewer's subscription to one broadcaster."""

    broadcaster_id: str
    user_id: str
    tier: str = "1000"
    is_gift: bool = False
    broadcaster_login: str | None = None
    broadcaster_name: str | None = None
    gifter_id: str | None = None
    gifter_login: str | None = None
    gifter_name: str | None = None
    user_login: str | None = None
    user_name: str | None = None
    plan_name: str | None = None

    @classmethod
    def parse(cls, given: Any) -> Subscriber:
        """An entry from camelCase (or Twitch's snake_case) JSON; raises :class:`RosterError`."""
        if not isinstance(given, dict):
            raise RosterError("each subscriber must be a JSON object", "subscribers")
        tier = _text(given, "tier", "tier") or "1000"
        if tier not in TIERS:
            raise RosterError(f"tier must be one of {', '.join(TIERS)}", "tier")
        is_gift = given.get("isGift", given.get("is_gift", False))
        if not isinstance(is_gift, bool):
            raise RosterError("isGift must be true or false", "isGift")
        return cls(
            broadcaster_id=_text(given, "broadcasterId", "broadcaster_id", required=True) or "",
            user_id=_text(given, "userId", "user_id", required=True) or "",
            tier=tier,
            is_gift=is_gift,
            broadcaster_login=_text(given, "broadcasterLogin", "broadcaster_login"),
            broadcaster_name=_text(given, "broadcasterName", "broadcaster_name"),
            gifter_id=_text(given, "gifterId", "gifter_id"),
            gifter_login=_text(given, "gifterLogin", "gifter_login"),
            gifter_name=_text(given, "gifterName", "gifter_name"),
            user_login=_text(given, "userLogin", "user_login"),
            user_name=_text(given, "userName", "user_name"),
            plan_name=_text(given, "planName", "plan_name"),
        )

    def to_json(self) -> dict[str, Any]:
        """The roster admin form (camelCase)."""
        return {
            "broadcasterId": self.broadcaster_id,
            "userId": self.user_id,
            "tier": self.tier,
            "isGift": self.is_gift,
            "broadcasterLogin": self.broadcaster_login,
            "broadcasterName": self.broadcaster_name,
            "gifterId": self.gifter_id,
            "gifterLogin": self.gifter_login,
            "gifterName": self.gifter_name,
            "userLogin": self.user_login,
            "userName": self.user_name,
            "planName": self.plan_name,
        }

    def to_helix(self) -> dict[str, Any]:
        """The ``data`` item of Helix's ``GET /subscriptions/user``."""
        login = self.broadcaster_login or self.broadcaster_id.lower()
        item: dict[str, Any] = {
            "broadcaster_id": self.broadcaster_id,
            "broadcaster_login": login,
            "broadcaster_name": self.broadcaster_name or login,
            "is_gift": self.is_gift,
            "tier": self.tier,
        }
        if self.is_gift:
            gifter_login = self.gifter_login or (self.gifter_id or "").lower()
            item |= {
                "gifter_id": self.gifter_id or "",
                "gifter_login": gifter_login,
                "gifter_name": self.gifter_name or gifter_login,
            }
        return item

    def to_broadcaster_subscription(self) -> dict[str, Any]:
        """The ``data`` item of Helix's Get Broadcaster Subscriptions (``GET /subscriptions``).

        Twitch sends every key on every item; the gifter keys are empty strings
        when the subscription is not a gift.
        """
        login = self.broadcaster_login or self.broadcaster_id.lower()
        user_login = self.user_login or self.user_id.lower()
        gifter_login = (self.gifter_login or (self.gifter_id or "").lower()) if self.is_gift else ""
        return {
            "broadcaster_id": self.broadcaster_id,
            "broadcaster_login": login,
            "broadcaster_name": self.broadcaster_name or login,
            "gifter_id": (self.gifter_id or "") if self.is_gift else "",
            "gifter_login": gifter_login,
            "gifter_name": (self.gifter_name or gifter_login) if self.is_gift else "",
            "is_gift": self.is_gift,
            "plan_name": self.plan_name or f"Channel Subscription ({login})",
            "tier": self.tier,
            "user_id": self.user_id,
            "user_name": self.user_name or user_login,
            "user_login": user_login,
        }


class PageError(ValueError):
    """A Get Broadcaster Subscriptions query Helix answers 400 to; the message is Helix's."""


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"mgm-offset:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix != "mgm-offset" or not number.isdigit():
            raise ValueError(cursor)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise PageError('The parameter "after" was malformed') from exc


class SubscriberRoster:
    """Subscriptions keyed by ``(broadcaster_id, user_id)``."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], Subscriber] = {}

    def replace(self, subscribers: list[Subscriber]) -> None:
        self._entries = {(s.broadcaster_id, s.user_id): s for s in subscribers}

    def add(self, subscribers: list[Subscriber]) -> None:
        """Add or update entries."""
        for s in subscribers:
            self._entries[(s.broadcaster_id, s.user_id)] = s

    def remove(self, broadcaster_id: str, user_id: str) -> bool:
        return self._entries.pop((broadcaster_id, user_id), None) is not None

    def find(self, broadcaster_id: str, user_id: str) -> Subscriber | None:
        return self._entries.get((broadcaster_id, user_id))

    def all(self) -> list[Subscriber]:
        return list(self._entries.values())

    def clear(self) -> None:
        self._entries.clear()

    def broadcaster_subscriptions(
        self, broadcaster_id: str, user_ids: list[str], first: str | None, after: str | None
    ) -> dict[str, Any]:
        """Get Broadcaster Subscriptions' body: ``data``, ``pagination``, ``total`` and ``points``.

        With ``user_id`` filters the listed viewers' subscriptions come back and
        ``pagination`` is empty (Twitch: the filter supersedes any cursor);
        without, one page of ``first`` (default 20, 1–100) after ``after``.
        ``total`` and ``points`` always count the whole channel.
        """
        channel = [s for s in self._entries.values() if s.broadcaster_id == broadcaster_id]
        counts = {"total": len(channel), "points": sum(TIER_POINTS[s.tier] for s in channel)}
        if user_ids:
            if len(user_ids) > MAX_USER_IDS:
                raise PageError(f"The number of user_id parameters exceeds the maximum of {MAX_USER_IDS}")
            wanted = set(user_ids)
            found = [s.to_broadcaster_subscription() for s in channel if s.user_id in wanted]
            return {"data": found, "pagination": {}, **counts}
        size = DEFAULT_PAGE_SIZE
        if first is not None:
            if not first.isdigit() or not 1 <= int(first) <= MAX_PAGE_SIZE:
                raise PageError('The parameter "first" was malformed: the value must be between 1 and 100')
            size = int(first)
        start = _offset(after) if after else 0
        page = channel[start : start + size]
        more = start + size < len(channel)
        return {
            "data": [s.to_broadcaster_subscription() for s in page],
            "pagination": {"cursor": _cursor(start + size)} if more else {},
            **counts,
        }
