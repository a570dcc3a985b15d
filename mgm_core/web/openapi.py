"""OpenAPI 3.1 for every route, built from the route table (one source of truth)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from mgm_core import SERVICE_NAME, __version__
from mgm_core.domain.payouts import PayoutStatus
from mgm_core.domain.roulette import SpinPhase
from mgm_core.errors import ErrorCode
from mgm_core.web import patterns
from mgm_core.web.handlers.e2e import (
    EARLIEST,
    EVENTSUB_SECRET_LENGTH,
    HEADER_SAFE,
    LATEST,
    MAX_ADVANCE,
    MAX_HELIX_VALUE_LENGTH,
    MAX_RATE_REQUESTS,
    MAX_RATE_WINDOW_SECONDS,
    PRINTABLE_ASCII,
)

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    429: "Too many requests",
    503: "Service unavailable",
}

_SECURITY = {
    "extension": [{"extensionJwt": []}],
    "viewer": [{"extensionJwt": []}],
    "desktop": [{"apiKey": []}],
    "harness": [{"apiKey": []}],
    "dev_clock": [{"apiKey": []}],
    "eventsub": [{"eventSubSignature": []}],
    "public": [],
}

_STR = {"type": "string"}
_NULLABLE_STR = {"type": ["string", "null"]}
_TIME = {"type": "string", "format": "date-time"}
_UUID = {"type": "string", "format": "uuid"}

# Strings as the handlers read them: trimmed (Python's whitespace), at most 256 / 128 characters.
_CHARACTER_NAME = {
    "type": "string",
    "maxLength": 256,
    "pattern": patterns.character_name(),
    "description": "2-12 Latin or Cyrillic letters after trimming",
}
_IDENTIFIER = {
    "type": "string",
    "maxLength": 128,
    "pattern": patterns.NOT_BLANK,
    "description": "Not blank, no NUL; trimmed",
}

_RATE_LIMIT = {
    "type": "object",
    "description": "The Extension rate limit: requests per window, per viewer",
    "required": ["requests", "windowSeconds"],
    "additionalProperties": False,
    "properties": {
        "requests": {"type": "integer", "minimum": 1, "maximum": MAX_RATE_REQUESTS},
        "windowSeconds": {"type": "integer", "minimum": 1, "maximum": MAX_RATE_WINDOW_SECONDS},
    },
}
_HELIX_VALUE = {
    "type": "string",
    "maxLength": MAX_HELIX_VALUE_LENGTH,
    "pattern": HEADER_SAFE,
    "description": "Empty: not configured (Helix is not called)",
}

PAYOUT_STATUSES = ["Pending", "InProgress", "Sent", "Failed", "Cancelled", "Expired"]

SCHEMAS: dict[str, dict[str, Any]] = {
    "ApiError": {
        "type": "object",
        "required": ["code", "message", "details"],
        "properties": {
            "code": {"type": "string", "enum": [c.value for c in ErrorCode]},
            "message": _STR,
            "details": {"type": "object"},
        },
    },
    "Challenge": {"type": "string", "description": "The verification's challenge, echoed"},
    "OpenApiDocument": {"type": "object", "required": ["openapi", "paths"]},
    "ServiceInfo": {"type": "object", "properties": {"service": _STR, "version": _STR, "status": _STR}},
    "Health": {"type": "object", "properties": {"status": _STR, "component": _STR, "database": _STR}},
    "VersionInfo": {
        "type": "object",
        "properties": {
            "version": _STR,
            "releaseNotesUrl": _NULLABLE_STR,
            "minimumDesktopVersion": _NULLABLE_STR,
            "minimumAddonVersion": _NULLABLE_STR,
            "minimumExtensionVersion": _NULLABLE_STR,
        },
    },
    "EventSubPayload": {
        "description": (
            "A Twitch EventSub webhook body: {subscription, event} for a notification or a revocation,"
            " {subscription, challenge} for the verification. Once the signature holds, any body is"
            " answered 2xx (Twitch neither retries nor revokes): a malformed one is ignored with 204."
        ),
    },
    "PoolMe": {
        "type": "object",
        "required": ["isEnrolled", "characterName"],
        "properties": {"isEnrolled": {"type": "boolean"}, "characterName": _NULLABLE_STR},
    },
    "ClaimRequest": {
        "type": "object",
        "required": ["characterName", "enrollmentRequestId"],
        "properties": {
            "characterName": _CHARACTER_NAME,
            "enrollmentRequestId": _IDENTIFIER,
        },
    },
    "PoolEnrollment": {
        "type": "object",
        "properties": {"characterName": _STR, "enrollmentRequestId": _STR},
    },
    "RouletteState": {
        "type": "object",
        "properties": {
            "nextSpinAt": _TIME,
            "serverNow": _TIME,
            "spinIntervalSeconds": {"type": "integer", "const": 300},
            "poolParticipantCount": {"type": "integer"},
            "spinPhase": {"type": "string", "enum": [p.value for p in SpinPhase]},
            "currentSpinCycleId": {"type": ["string", "null"], "format": "uuid"},
        },
    },
    "PayoutDto": {
        "type": "object",
        "properties": {
            "id": _UUID,
            "twitchUserId": _STR,
            "twitchDisplayName": _STR,
            "characterName": _STR,
            "goldAmount": {"type": "integer"},
            "enrollmentRequestId": _STR,
            "status": {"type": "string", "enum": PAYOUT_STATUSES},
            "createdAt": _TIME,
            "isRewardSentAnnouncedToChat": {"type": "boolean"},
        },
    },
    "PayoutList": {"type": "array", "items": {"$ref": "#/components/schemas/PayoutDto"}},
    "PayoutDetail": {
        "allOf": [
            {"$ref": "#/components/schemas/PayoutDto"},
            {
                "type": "object",
                "properties": {
                    "spinCycleId": {"type": ["string", "null"], "format": "uuid"},
                    "updatedAt": _TIME,
                    "winnerAcceptedWillingToReceiveAt": {"type": ["string", "null"], "format": "date-time"},
                },
            },
        ]
    },
    "PayoutEvent": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "payoutId": _UUID,
            "type": {
                "type": "string",
                "enum": [
                    "PayoutCreated",
                    "PayoutStatusChanged",
                    "WinnerAcceptanceRecorded",
                    "HelixRewardSentAnnouncementSucceeded",
                ],
            },
            "fromStatus": {"type": ["string", "null"]},
            "toStatus": {"type": ["string", "null"]},
            "data": {"type": "object"},
            "occurredAt": _TIME,
        },
    },
    "PayoutEventList": {"type": "array", "items": {"$ref": "#/components/schemas/PayoutEvent"}},
    "StatusChange": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {
                "description": "A status name in any letter case, or its ordinal (Pending 0 ... Expired 5)",
                "oneOf": [
                    {"type": "string", "pattern": patterns.status_name([s.value for s in PayoutStatus])},
                    {"type": "integer", "minimum": 0, "maximum": len(PAYOUT_STATUSES) - 1},
                ],
            }
        },
    },
    "AcceptanceRequest": {
        "type": "object",
        "required": ["characterName"],
        "properties": {"characterName": _CHARACTER_NAME},
    },
    "Candidate": {
        "type": "object",
        "properties": {
            "spinCycleId": _UUID,
            "characterName": _STR,
            "selectedAt": _TIME,
            "verificationDeadline": _TIME,
            "spinPhase": {"type": "string", "enum": [p.value for p in SpinPhase]},
        },
    },
    "VerifyCandidateRequest": {
        "type": "object",
        "required": ["schemaVersion", "spinCycleId", "characterName", "online"],
        "properties": {
            "schemaVersion": {"type": "integer", "const": 1},
            "spinCycleId": _UUID,
            "characterName": _CHARACTER_NAME,
            "online": {"type": "boolean"},
            "capturedAt": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "VerifyCandidateResult": {
        "type": "object",
        "properties": {
            "spinCycleId": _UUID,
            "outcome": {"type": "string", "enum": ["winner", "offline", "already_closed"]},
            "payout": {"oneOf": [{"$ref": "#/components/schemas/PayoutDto"}, {"type": "null"}]},
        },
    },
    "HarnessRequest": {
        "type": "object",
        "required": ["twitchUserId"],
        "properties": {"twitchUserId": _IDENTIFIER},
    },
    "HarnessResult": {"type": "object", "properties": {"payoutId": _UUID, "characterName": _STR}},
    "ClockMove": {
        "type": "object",
        "description": "Exactly one of advanceSeconds or setUtc",
        "properties": {
            "advanceSeconds": {"type": "number", "minimum": 0, "maximum": MAX_ADVANCE.total_seconds()},
            "setUtc": {
                **_TIME,
                "description": f"From {EARLIEST:%Y-%m-%d} to before {LATEST:%Y-%m-%d} UTC, else 400",
            },
        },
        "oneOf": [{"required": ["advanceSeconds"]}, {"required": ["setUtc"]}],
    },
    "ClockMoved": {
        "type": "object",
        "properties": {
            "serverNow": _TIME,
            "drawnSpinCycleId": {"type": ["string", "null"], "format": "uuid"},
            "expiredPayoutIds": {"type": "array", "items": _UUID},
        },
    },
    "ResetDone": {"type": "object", "properties": {"reset": {"type": "boolean"}, "serverNow": _TIME}},
    "SettingsChange": {
        "type": "object",
        "description": "Every field optional ({} changes nothing); in force until POST /api/e2e/reset",
        "additionalProperties": False,
        "properties": {
            "rateLimit": _RATE_LIMIT,
            "devSkipSubscriberCheck": {"type": "boolean"},
            "eventsubSecret": {
                "type": "string",
                "maxLength": EVENTSUB_SECRET_LENGTH[1],
                "pattern": PRINTABLE_ASCII,
                "anyOf": [{"maxLength": 0}, {"minLength": EVENTSUB_SECRET_LENGTH[0]}],
                "description": "Empty: EventSub signatures are not checked (development only)",
            },
            "broadcasterId": _HELIX_VALUE,
            "broadcasterToken": _HELIX_VALUE,
            "helixClientId": _HELIX_VALUE,
        },
    },
    "SettingsInForce": {
        "type": "object",
        "properties": {
            "rateLimit": _RATE_LIMIT,
            "devSkipSubscriberCheck": {"type": "boolean"},
            "eventsubSecretSet": {"type": "boolean"},
            "broadcasterId": _STR,
            "broadcasterTokenSet": {"type": "boolean"},
            "helixClientId": _STR,
        },
    },
}


# Answers that are not JSON: the EventSub verification echoes the challenge as text.
_MEDIA_TYPES = {"Challenge": "text/plain"}

# Routes that answer without the database (liveness, service info, this document).
_NO_DATABASE = frozenset({"/", "/health", "/api/version", "/openapi.json"})


def _operation_id(method: str, path: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", path) or ["root"]
    return method.lower() + "".join(w.capitalize() for w in words)


def build(routes: Iterable[Any]) -> dict[str, Any]:
    """The OpenAPI document for ``routes`` (items of :class:`mgm_core.web.routes.Route`)."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        responses: dict[str, Any] = {}
        for status, schema in sorted(route.responses.items()):
            answer: dict[str, Any] = {"description": _STATUS_TEXT.get(status, str(status))}
            if schema:
                media = _MEDIA_TYPES.get(schema, "application/json")
                answer["content"] = {media: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
            responses[str(status)] = answer
        for status in route.errors:
            responses[str(status)] = {
                "description": route.notes.get(status, _STATUS_TEXT.get(status, str(status))),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}},
            }
        if route.path not in _NO_DATABASE:  # the database is gone: 503 + Retry-After
            responses["503"] = {
                "description": route.notes.get(503, _STATUS_TEXT[503]),
                "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}},
            }
        operation: dict[str, Any] = {
            "operationId": _operation_id(route.method, route.path),
            "summary": route.summary,
            "tags": [route.tag],
            "security": _SECURITY[route.access],
            "responses": responses,
        }
        params = re.findall(r"{(\w+)}", route.path)
        if params:
            operation["parameters"] = [
                {"name": p, "in": "path", "required": True, "schema": _UUID} for p in params
            ]
        if route.request:
            operation["requestBody"] = {
                "required": route.request_required,
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{route.request}"}}
                },
            }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": SERVICE_NAME, "version": __version__},
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "extensionJwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-MGM-ApiKey"},
                "eventSubSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Twitch-Eventsub-Message-Signature",
                    "description": "HMAC-SHA256 over message id + timestamp + raw body",
                },
            },
        },
    }
