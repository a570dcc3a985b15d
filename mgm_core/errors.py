"""The error model: every refusal is a :class:`Refusal` with a stable ``code``.

Codes are defined here once. The domain, the store and the handlers raise
:class:`Refusal`; the error middleware turns it into ``{"code", "message",
"details"}`` JSON with the code's status (decisions.md "Wire and errors").
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Every stable error code the EBS emits, with its HTTP status."""

    INVALID_PAYLOAD = "invalid_payload"
    INVALID_CHARACTER_NAME = "invalid_character_name"
    OUT_OF_SEQUENCE = "out_of_sequence"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN_APIKEY = "forbidden_apikey"
    INVALID_SIGNATURE = "invalid_signature"
    STALE_MESSAGE = "stale_message"
    NOT_SUBSCRIBER = "not_subscriber"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    DUPLICATE_ENROLLMENT = "duplicate_enrollment"
    ACTIVE_PAYOUT_EXISTS = "active_payout_exists"
    LIFETIME_CAP_REACHED = "lifetime_cap_reached"
    CHARACTER_NAME_TAKEN_IN_POOL = "character_name_taken_in_pool"
    TERMINAL_STATUS_CHANGE_NOT_ALLOWED = "terminal_status_change_not_allowed"
    INVALID_TRANSITION = "invalid_transition"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    RATE_LIMITED = "rate_limited"
    SERVICE_UNAVAILABLE = "service_unavailable"
    SUBSCRIBER_CHECK_UNAVAILABLE = "subscriber_check_unavailable"
    INTERNAL_ERROR = "internal_error"

    @property
    def status(self) -> int:
        return _STATUS[self]


_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_PAYLOAD: 400,
    ErrorCode.INVALID_CHARACTER_NAME: 400,
    ErrorCode.OUT_OF_SEQUENCE: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN_APIKEY: 403,
    ErrorCode.INVALID_SIGNATURE: 403,
    ErrorCode.STALE_MESSAGE: 403,
    ErrorCode.NOT_SUBSCRIBER: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.DUPLICATE_ENROLLMENT: 409,
    ErrorCode.ACTIVE_PAYOUT_EXISTS: 409,
    ErrorCode.LIFETIME_CAP_REACHED: 409,
    ErrorCode.CHARACTER_NAME_TAKEN_IN_POOL: 409,
    ErrorCode.TERMINAL_STATUS_CHANGE_NOT_ALLOWED: 409,
    ErrorCode.INVALID_TRANSITION: 409,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.SUBSCRIBER_CHECK_UNAVAILABLE: 503,
    ErrorCode.INTERNAL_ERROR: 500,
}


class Refusal(Exception):
    """A refusal the client can act on: a stable code, a message and details."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}

    @property
    def status(self) -> int:
        return self.code.status

    def body(self) -> dict[str, Any]:
        return {"code": self.code.value, "message": self.message, "details": self.details}
