"""JSON error answers for the mocks' own routes: ``{"code", "message", "details"}``.

The seed's routes keep their seed shapes; everything a mock adds answers errors
in the same form as the EBS (decisions.md "Wire and errors"), so a test never
has to guess whether an empty body or an HTML page means a bug.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from mgm_core.errors import ErrorCode

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Codes only the mocks emit; the shared ones come from mgm_core.errors.
BACKEND_UNREACHABLE = "backend_unreachable"
NOT_CONFIGURED = "not_configured"

_CODE_BY_STATUS = {
    400: ErrorCode.INVALID_PAYLOAD.value,
    404: ErrorCode.NOT_FOUND.value,
    405: ErrorCode.METHOD_NOT_ALLOWED.value,
    413: ErrorCode.PAYLOAD_TOO_LARGE.value,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE.value,
}


class MockError(Exception):
    """A refusal from a mock's own route, answered as ``{"code","message","details"}``."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = str(code)
        self.message = message
        self.details = details or {}

    def response(self) -> web.Response:
        return error_response(self.status, self.code, self.message, self.details)


def invalid_payload(message: str, field: str | None = None) -> MockError:
    """A ``400 invalid_payload`` naming the offending field when there is one."""
    return MockError(400, ErrorCode.INVALID_PAYLOAD, message, {"field": field} if field else {})


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """The JSON error answer every added route uses."""
    return web.json_response(
        {"code": str(code), "message": message, "details": details or {}}, status=status, headers=headers
    )


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn :class:`MockError` and aiohttp's plain-text 4xx/5xx (unknown route, wrong method) into JSON."""
    try:
        return await handler(request)
    except MockError as error:
        return error.response()
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        code = _CODE_BY_STATUS.get(exc.status, "http_error")
        return error_response(exc.status, code, exc.reason, {"path": request.path}, headers)
