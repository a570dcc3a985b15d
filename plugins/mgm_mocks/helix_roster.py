"""The Helix mock's subscriber roster: who subscribes to which channel, set by tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TIERS = ("1000", "2000", "3000")


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
