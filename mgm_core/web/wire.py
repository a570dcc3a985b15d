"""Reading request bodies and writing JSON (decisions.md "Wire and errors").

Input field names match case-insensitively; enum values are accepted in any
casing; a malformed body is ``400 invalid_payload`` naming the field.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from mgm_core.domain.text import storable
from mgm_core.errors import ErrorCode, Refusal

JSON_TYPES = ("application/json",)


def invalid(field: str | None, message: str) -> Refusal:
    details = {"field": field} if field else {}
    return Refusal(ErrorCode.INVALID_PAYLOAD, message, details)


def whole_number(value: object) -> int | None:
    """A JSON integer as JSON Schema counts them: ``1`` and ``1.0`` alike; never a boolean."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


class Body:
    """A JSON object body whose keys are looked up case-insensitively."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = {key.lower(): value for key, value in data.items()}
        self._names = list(data)

    def raw(self, name: str) -> Any:
        return self._data.get(name.lower())

    def has(self, name: str) -> bool:
        return name.lower() in self._data

    def names(self) -> list[str]:
        """The body's field names as sent."""
        return list(self._names)

    def string(self, name: str, *, max_length: int = 1000) -> str:
        """A required non-blank string field (trimmed)."""
        value = self.raw(name)
        if value is None:
            raise invalid(name, f"{name} is required")
        if not isinstance(value, str):
            raise invalid(name, f"{name} must be a string")
        if not value.strip():
            raise invalid(name, f"{name} must not be blank")
        if len(value) > max_length:
            raise invalid(name, f"{name} must be at most {max_length} characters")
        if not storable(value):
            raise invalid(name, f"{name} contains a NUL character or an unpaired surrogate")
        return value.strip()

    def text(self, name: str, *, max_length: int = 1000) -> str:
        """A required string field that may be blank (its rules are checked elsewhere)."""
        value = self.raw(name)
        if value is None:
            raise invalid(name, f"{name} is required")
        if not isinstance(value, str):
            raise invalid(name, f"{name} must be a string")
        if len(value) > max_length:
            raise invalid(name, f"{name} must be at most {max_length} characters")
        if not storable(value):
            raise invalid(name, f"{name} contains a NUL character or an unpaired surrogate")
        return value

    def integer(self, name: str) -> int:
        value = self.raw(name)
        if value is None:
            raise invalid(name, f"{name} is required")
        whole = whole_number(value)
        if whole is None:
            raise invalid(name, f"{name} must be a whole number")
        return whole

    def boolean(self, name: str) -> bool:
        value = self.raw(name)
        if not isinstance(value, bool):
            raise invalid(name, f"{name} must be true or false")
        return value

    def uuid(self, name: str) -> uuid.UUID:
        value = self.raw(name)
        if not isinstance(value, str):
            raise invalid(name, f"{name} must be a UUID string")
        try:
            return uuid.UUID(value.strip())
        except ValueError as exc:
            raise invalid(name, f"{name} must be a UUID") from exc

    def instant(self, name: str) -> datetime:
        value = self.raw(name)
        if not isinstance(value, str):
            raise invalid(name, f"{name} must be an ISO-8601 date-time string")
        try:
            parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC)
        except (ValueError, OverflowError) as exc:
            raise invalid(name, f"{name} must be an ISO-8601 date-time") from exc


def require_json_content(request: web.Request) -> None:
    """Refuse a body that is not declared as JSON (``415``)."""
    if request.content_type not in JSON_TYPES:
        raise Refusal(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"Content-Type must be application/json; got {request.content_type or 'none'!r}",
        )


async def read_body(request: web.Request) -> Body:
    """Parse the request body as one JSON object."""
    if request.body_exists:
        require_json_content(request)
    raw = await request.read()
    if not raw.strip():
        raise invalid(None, "a JSON object body is required")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(None, f"body is not valid JSON: {exc}") from exc
    except RecursionError as exc:  # 64 KiB of "[[[[" is valid JSON nested past the parser's depth
        raise invalid(None, "body is nested too deeply") from exc
    if not isinstance(data, dict):
        raise invalid(None, "body must be a JSON object")
    return Body(data)


def iso(instant: datetime | None) -> str | None:
    """ISO-8601 UTC with ``Z``; whole seconds print without a fraction."""
    if instant is None:
        return None
    instant = instant.astimezone(UTC)
    text = instant.strftime("%Y-%m-%dT%H:%M:%S")
    if instant.microsecond:
        text += f".{instant.microsecond:06d}".rstrip("0")
    return text + "Z"


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=dumps)


def parse_uuid_path(request: web.Request, name: str = "id") -> uuid.UUID:
    """A UUID path segment; anything else is ``404 not_found`` (decisions.md)."""
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError as exc:
        raise Refusal(ErrorCode.NOT_FOUND, "no such resource") from exc
