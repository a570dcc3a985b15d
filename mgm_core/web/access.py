"""Who may call a route: Extension JWT, Desktop API key, EventSub HMAC or anyone.

Each handler declares its :class:`Access` with :func:`access`. The middleware
authenticates first (rejections are not counted), then applies the caller's
rate limit, then runs the handler (decisions.md "Authentication", "Rate limiting").
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TypeVar

from aiohttp import web

from mgm_core.errors import ErrorCode, Refusal
from mgm_core.security import extension_jwt
from mgm_core.web import keys

API_KEY_HEADER = "X-MGM-ApiKey"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Handler)


class Access(StrEnum):
    PUBLIC = "public"  # service info and probes: no auth, not rate limited
    EVENTSUB = "eventsub"  # Twitch: HMAC checked by the handler over the raw body; exempt from limits
    EXTENSION = "extension"  # any valid Extension JWT
    VIEWER = "viewer"  # an Extension JWT that carries the viewer's user_id
    DESKTOP = "desktop"  # X-MGM-ApiKey
    HARNESS = "harness"  # X-MGM-ApiKey, and only in development with the harness flag
    DEV_CLOCK = "dev_clock"  # X-MGM-ApiKey, and only in development with the virtual clock


def access(kind: Access) -> Callable[[H], H]:
    """Declare who may call the decorated handler."""

    def mark(handler: H) -> H:
        handler.__mgm_access__ = kind  # type: ignore[attr-defined]
        return handler

    return mark


def access_of(handler: object) -> Access:
    return getattr(handler, "__mgm_access__", Access.PUBLIC)


def _bearer_token(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refusal(
            ErrorCode.UNAUTHORIZED,
            "an Extension Bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


def _check_api_key(request: web.Request) -> None:
    given = request.headers.get(API_KEY_HEADER)
    if given is None:
        raise Refusal(ErrorCode.UNAUTHORIZED, f"the {API_KEY_HEADER} header is required")
    configured = keys.config(request.app).api_key
    # An empty configured key refuses every key: never "no key means open".
    if not configured or not hmac.compare_digest(given.encode(), configured.encode()):
        raise Refusal(ErrorCode.FORBIDDEN_APIKEY, f"the {API_KEY_HEADER} header is not valid")


def _authenticate_extension(request: web.Request, *, need_user: bool) -> str:
    config = keys.config(request.app)
    identity = extension_jwt.identity_from(
        request.app[keys.VERIFIED_TOKENS].claims(_bearer_token(request)),
        request.app[keys.CLOCK].now(),
        client_id=config.extension_client_id,
        channel_id=config.broadcaster_id,
    )
    request[keys.EXTENSION_IDENTITY] = identity
    if need_user and not identity.user_id:
        raise Refusal(
            ErrorCode.UNAUTHORIZED,
            "this route needs a token that shares the viewer's identity (user_id)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return f"user:{identity.user_id}" if identity.user_id else f"ip:{request.remote or 'unknown'}"


def _limit(request: web.Request, key: str, *, desktop: bool) -> None:
    limiter = request.app[keys.DESKTOP_LIMITER if desktop else keys.EXTENSION_LIMITER]
    decision = limiter.hit(key)
    if not decision.allowed:
        raise Refusal(
            ErrorCode.RATE_LIMITED,
            f"rate limit of {limiter.budget} exceeded; retry after {decision.retry_after_seconds} s",
            {"retryAfterSeconds": decision.retry_after_seconds},
            headers={
                "Retry-After": str(decision.retry_after_seconds),
                "RateLimit-Limit": str(decision.limit),
                "RateLimit-Remaining": "0",
            },
        )


@web.middleware
async def access_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    kind = access_of(request.match_info.handler)
    config = keys.config(request.app)
    if kind in (Access.PUBLIC, Access.EVENTSUB):
        return await handler(request)
    if kind is Access.HARNESS and not config.harness_enabled:
        raise Refusal(ErrorCode.NOT_FOUND, "no such route")
    if kind is Access.DEV_CLOCK and not config.virtual_clock:
        raise Refusal(ErrorCode.NOT_FOUND, "no such route")
    if kind in (Access.DESKTOP, Access.HARNESS, Access.DEV_CLOCK):
        _check_api_key(request)
        _limit(request, "desktop", desktop=True)
        return await handler(request)
    key = _authenticate_extension(request, need_user=kind is Access.VIEWER)
    _limit(request, key, desktop=False)
    return await handler(request)
