"""The Helix mock's request journal: every API call it received, queryable and resettable."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from mgm_core.security.eventsub import format_timestamp


@dataclass
class JournaledRequest:
    """One received request and how the mock answered it (``status`` is ``None`` for a reset connection)."""

    sequence: int
    method: str
    path: str
    query: dict[str, str | list[str]]
    headers: dict[str, str]
    raw_body: str
    body: Any
    received_at: datetime
    status: int | None = None
    fault: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.sequence,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "rawBody": self.raw_body,
            "receivedAt": format_timestamp(self.received_at),
            "status": self.status,
            "fault": self.fault,
        }


@dataclass(frozen=True)
class JournalFilter:
    """Which journaled requests to list or count; every given field must match."""

    method: str | None = None
    path: str | None = None
    status: int | None = None
    body_contains: str | None = None

    def matches(self, entry: JournaledRequest) -> bool:
        return (
            (self.method is None or entry.method.upper() == self.method.upper())
            and (self.path is None or entry.path == self.path)
            and (self.status is None or entry.status == self.status)
            and (self.body_contains is None or self.body_contains in entry.raw_body)
        )


@dataclass
class RequestJournal:
    """Requests in arrival order."""

    entries: list[JournaledRequest] = field(default_factory=list)
    _next: int = 1

    def record(self, request: web.Request, raw: bytes, now: datetime) -> JournaledRequest:
        """Journal ``request`` (its body already read as ``raw``) before it is answered."""
        text = raw.decode(errors="replace")
        try:
            body = json.loads(text) if text.strip() else None
        except json.JSONDecodeError:
            body = None
        query: dict[str, str | list[str]] = {}
        for name in request.query:
            values = request.query.getall(name)
            query[name] = values[0] if len(values) == 1 else list(values)
        entry = JournaledRequest(
            sequence=self._next,
            method=request.method,
            path=request.path,
            query=query,
            headers=dict(request.headers),
            raw_body=text,
            body=body,
            received_at=now,
        )
        self._next += 1
        self.entries.append(entry)
        return entry

    def find(self, where: JournalFilter) -> list[JournaledRequest]:
        """Matching requests, oldest first."""
        return [entry for entry in self.entries if where.matches(entry)]

    def clear(self) -> None:
        self.entries.clear()
