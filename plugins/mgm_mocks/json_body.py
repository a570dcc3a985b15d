"""Reading the JSON bodies of the mocks' own routes, refusing bad input as ``400 invalid_payload``.

Field names are camelCase, as everywhere on the wire (ebs-contract.md §0); a
snake_case spelling is accepted too, because test authors copy Twitch's names.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from .errors import invalid_payload

_UPPER = re.compile(r"(?<!^)(?=[A-Z])")


async def read_json(request: web.Request) -> Any:
    """The request body as any JSON value; an empty body is ``None``."""
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid_payload(f"the request body is not valid JSON: {exc}") from exc


async def read_json_object(request: web.Request, *, required: bool = True) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is ``{}`` unless ``required``."""
    body = await read_json(request)
    if body is None and not required:
        return {}
    if not isinstance(body, dict):
        raise invalid_payload("the request body must be a JSON object")
    return body


def items_of(body: Any, plural: str) -> list[Any]:
    """``[...]``, ``{"<plural>": [...]}`` or one object, as a list (admin routes take all three)."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and plural in body:
        items = body[plural]
        if not isinstance(items, list):
            raise invalid_payload(f"{plural} must be a list", plural)
        return items
    if isinstance(body, dict):
        return [body]
    raise invalid_payload(f"the request body must be an object, a list or {{{plural!r}: [...]}}")


def _lookup(body: dict[str, Any], name: str) -> Any:
    if name in body:
        return body[name]
    return body.get(_UPPER.sub("_", name).lower())


def optional_str(body: dict[str, Any], name: str, *, allow_blank: bool = False) -> str | None:
    """A string field, or ``None`` when absent or null."""
    value = _lookup(body, name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_payload(f"{name} must be a string", name)
    if not allow_blank and not value.strip():
        raise invalid_payload(f"{name} must not be blank", name)
    return value


def required_str(body: dict[str, Any], name: str, *, allow_blank: bool = False) -> str:
    """A string field that must be present."""
    value = optional_str(body, name, allow_blank=allow_blank)
    if value is None:
        raise invalid_payload(f"{name} is required", name)
    return value


def optional_bool(body: dict[str, Any], name: str, default: bool) -> bool:
    """A boolean field, ``default`` when absent or null."""
    value = _lookup(body, name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid_payload(f"{name} must be true or false", name)
    return value


def optional_int(body: dict[str, Any], name: str, *, minimum: int | None = None) -> int | None:
    """A whole-number field, or ``None`` when absent or null."""
    value = _lookup(body, name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_payload(f"{name} must be a whole number", name)
    if minimum is not None and value < minimum:
        raise invalid_payload(f"{name} must be at least {minimum}", name)
    return value


def optional_choice(body: dict[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    """A string field limited to ``allowed`` (compared case-insensitively)."""
    value = optional_str(body, name)
    if value is None:
        return default
    for choice in allowed:
        if value.lower() == choice.lower():
            return choice
    raise invalid_payload(f"{name} must be one of {', '.join(allowed)}; got {value!r}", name)
