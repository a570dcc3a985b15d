"""The Helix mock's EventSub subscription store: Create, Get and Delete EventSub Subscriptions.

Pure functions over an in-memory store; :mod:`mgm_mocks.helix` serves them at
``/helix/eventsub/subscriptions`` with Helix's answers (twitch-api.md
"Creating the subscription"): 202 on create, 409 for a duplicate, 204 on
delete, 404 for an unknown id, 400 for a malformed request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from mgm_core.security.eventsub import format_timestamp

MAX_TOTAL_COST = 10000
PENDING = "webhook_callback_verification_pending"
ENABLED = "enabled"
TRANSPORT_METHODS = ("webhook", "websocket", "conduit")


class EventSubRequestError(ValueError):
    """A create request Helix answers ``status`` to; the message is Helix's text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class StoredSubscription:
    id: str
    type: str
    version: str
    condition: dict[str, str]
    transport: dict[str, str]  # without the secret: Twitch never echoes it
    created_at: str
    status: str = ENABLED
    cost: int = 0

    def to_helix(self, status: str | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": status or self.status,
            "type": self.type,
            "version": self.version,
            "condition": dict(self.condition),
            "created_at": self.created_at,
            "transport": dict(self.transport),
            "cost": self.cost,
        }


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise EventSubRequestError(400, f'Missing required parameter "{name}"')
    return value


def _transport(given: Any) -> dict[str, str]:
    if not isinstance(given, dict):
        raise EventSubRequestError(400, 'Missing required parameter "transport"')
    method = _text(given, "method")
    if method not in TRANSPORT_METHODS:
        raise EventSubRequestError(400, "transport.method must be webhook, websocket or conduit")
    if method != "webhook":
        ids = {k: str(v) for k, v in given.items() if k in ("session_id", "conduit_id")}
        return {"method": method, **ids}
    callback = _text(given, "callback")
    if not callback.startswith("https://"):
        raise EventSubRequestError(400, "transport.callback must use https on port 443")
    secret = _text(given, "secret")
    if not (10 <= len(secret) <= 100 and secret.isascii()):
        raise EventSubRequestError(400, "transport.secret must be between 10 and 100 ASCII characters")
    return {"method": "webhook", "callback": callback}


@dataclass
class EventSubStore:
    """Subscriptions in creation order."""

    subscriptions: list[StoredSubscription] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        return {
            "total": len(self.subscriptions),
            "total_cost": sum(s.cost for s in self.subscriptions),
            "max_total_cost": MAX_TOTAL_COST,
        }

    def create(self, body: Any, now: datetime) -> dict[str, Any]:
        """Create from a request body; the 202 body. Raises :class:`EventSubRequestError`."""
        if not isinstance(body, dict):
            raise EventSubRequestError(400, "The request body must be a JSON object")
        kind, version = _text(body, "type"), _text(body, "version")
        condition = body.get("condition")
        if not isinstance(condition, dict) or not condition:
            raise EventSubRequestError(400, 'Missing required parameter "condition"')
        condition = {str(k): str(v) for k, v in condition.items()}
        transport = _transport(body.get("transport"))
        for existing in self.subscriptions:
            if (existing.type, existing.version, existing.condition, existing.transport) == (
                kind,
                version,
                condition,
                transport,
            ):
                raise EventSubRequestError(409, "subscription already exists")
        created = StoredSubscription(
            str(uuid.uuid4()), kind, version, condition, transport, format_timestamp(now)
        )
        self.subscriptions.append(created)
        # Twitch answers "pending" at once and enables the subscription after the callback check.
        return {"data": [created.to_helix(PENDING)], **self.totals()}

    def listing(self, status: str | None, kind: str | None, user_id: str | None) -> dict[str, Any]:
        found = [
            s
            for s in self.subscriptions
            if (status is None or s.status == status)
            and (kind is None or s.type == kind)
            and (user_id is None or user_id in s.condition.values())
        ]
        return {"data": [s.to_helix() for s in found], **self.totals(), "pagination": {}}

    def delete(self, subscription_id: str) -> bool:
        before = len(self.subscriptions)
        self.subscriptions = [s for s in self.subscriptions if s.id != subscription_id]
        return len(self.subscriptions) < before

    def set_status(self, subscription_id: str, status: str) -> bool:
        for index, existing in enumerate(self.subscriptions):
            if existing.id == subscription_id:
                self.subscriptions[index] = replace(existing, status=status)
                return True
        return False

    def clear(self) -> None:
        self.subscriptions.clear()
