"""MockExtensionJwt (port 9052): issues Twitch Extension tokens the EBS accepts, or is told to break.

Seed routes (ebs-contract.md §9), unchanged: ``GET /health`` and
``GET /token?userId=&displayName=`` → ``{"access_token","token_type":"Bearer","expires_in":7200}``.
The token is HS256 over the base64-decoded Extension secret (the dev key when
the secret is empty) with the seed's claims: ``user_id``, ``unique_name``,
``nbf``, ``iat``, ``exp`` (two hours later) and ``aud`` when a client id is set.

Added query parameters on ``/token`` shape the token for negative tests:
``role``, ``channelId``, ``opaqueUserId``, ``shareIdentity=false`` (no user id),
``expired=true``, ``wrongKey=true``, ``alg`` (``HS256``, ``HS384``, ``HS512`` or
``none`` for an unsigned token), ``expiresIn`` (seconds), ``audience`` and
``now`` (ISO-8601 issue time, to match an EBS on a virtual clock).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from mgm_core.clock import Clock, SystemClock
from mgm_core.config import Config
from mgm_core.security.extension_jwt import ALGORITHM, CLOCK_SKEW, mint, viewer_claims

from . import env
from .errors import invalid_payload, json_errors

SERVICE = "MockExtensionJwt"
DEFAULT_LIFETIME_SECONDS = 7200
ALGORITHMS = ("HS256", "HS384", "HS512", "none")
# Far enough past expiry that the EBS's 5-minute skew allowance cannot save the token.
EXPIRED_BY = CLOCK_SKEW + timedelta(minutes=5)
# A well-formed key that is not the Extension secret, for signature-failure tests.
WRONG_KEY = hashlib.sha256(b"mgm-mock-not-the-extension-secret").digest()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class ExtensionJwtMockSettings:
    """The Extension secret and client id the tokens are made for."""

    extension_secret: str = field(default="", repr=False)
    client_id: str = ""
    channel_id: str = ""
    lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS
    clock: Clock = field(default_factory=SystemClock, repr=False, compare=False)

    def key(self) -> bytes:
        """The HS256 key: the decoded secret, else the development key (in any environment, as the seed)."""
        return Config(extension_secret=self.extension_secret).extension_key()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ExtensionJwtMockSettings:
        """Read ``MGM_*`` variables and the seed's ``Twitch__ExtensionSecret`` / ``…ClientId``."""
        e = os.environ if environ is None else environ
        settings = cls(
            extension_secret=env.text(e, "MGM_EXTENSION_SECRET", "Twitch:ExtensionSecret"),
            client_id=env.text(e, "MGM_EXTENSION_CLIENT_ID", "Twitch:ExtensionClientId"),
            channel_id=env.text(e, "MGM_BROADCASTER_ID", "Twitch:BroadcasterUserId"),
            lifetime_seconds=int(
                env.number(e, "MGM_MOCK_JWT_LIFETIME_SECONDS", default=DEFAULT_LIFETIME_SECONDS)
            ),
            clock=env.clock(e, "MGM_MOCK_NOW"),
        )
        settings.key()  # a malformed secret stops start-up with the variable's name
        return settings


@dataclass(frozen=True)
class TokenOptions:
    """What a caller asked the token to be; the defaults give the seed's token."""

    user_id: str | None
    display_name: str | None = None
    role: str | None = None
    channel_id: str | None = None
    opaque_user_id: str | None = None
    share_identity: bool = True
    expired: bool = False
    wrong_key: bool = False
    algorithm: str = ALGORITHM
    expires_in: int | None = None
    audience: str | None = None
    now: datetime | None = None


@dataclass(frozen=True)
class IssuedToken:
    """A minted token and the claims inside it."""

    access_token: str
    expires_in: int
    claims: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The seed's ``/token`` answer."""
        return {"access_token": self.access_token, "token_type": "Bearer", "expires_in": self.expires_in}


def issue_token(settings: ExtensionJwtMockSettings, options: TokenOptions) -> IssuedToken:
    """Mint a viewer token per ``options`` (usable without the server, e.g. from steps)."""
    if options.algorithm not in ALGORITHMS:
        raise ValueError(f"alg must be one of {', '.join(ALGORITHMS)}")
    now = options.now or settings.clock.now()
    lifetime = timedelta(
        seconds=settings.lifetime_seconds if options.expires_in is None else options.expires_in
    )
    issued = now - lifetime - EXPIRED_BY if options.expired else now
    extra: dict[str, Any] = {}
    if options.role:
        # A token that names a role is Twitch-shaped: Twitch always sends these two with it.
        extra["role"] = options.role
        extra["is_unlinked"] = options.user_id is None or not options.share_identity
        extra["pubsub_perms"] = {
            "listen": ["broadcast", "global"],
            "send": ["broadcast"] if options.role == "broadcaster" else [],
        }
    channel_id = settings.channel_id if options.channel_id is None else options.channel_id
    if channel_id:
        extra["channel_id"] = channel_id
    opaque = options.opaque_user_id
    if opaque is None and not options.share_identity:
        # Twitch: "U…" for a logged-in viewer who did not share identity, "A…" for an anonymous one.
        opaque = f"U{options.user_id}" if options.user_id else f"A{uuid.uuid4().hex}"
    if opaque:
        extra["opaque_user_id"] = opaque
    claims = viewer_claims(
        options.user_id if options.share_identity else None,
        issued,
        display_name=options.display_name,
        lifetime=lifetime,
        audience=settings.client_id if options.audience is None else options.audience,
        **extra,
    )
    if options.algorithm == "none":
        token = mint(claims, None, algorithm="none")  # type: ignore[arg-type]  # unsigned on purpose
    else:
        token = mint(claims, WRONG_KEY if options.wrong_key else settings.key(), algorithm=options.algorithm)
    return IssuedToken(token, claims["exp"] - int(now.timestamp()), claims)


SETTINGS = web.AppKey("jwt_settings", ExtensionJwtMockSettings)


def create_app(settings: ExtensionJwtMockSettings) -> web.Application:
    """The MockExtensionJwt application."""
    settings.key()
    app = web.Application(middlewares=[json_errors])
    app[SETTINGS] = settings
    app.router.add_get("/health", health)
    app.router.add_get("/token", token)
    return app


async def health(request: web.Request) -> web.Response:
    """Seed health answer."""
    return web.json_response({"status": "ok", "service": SERVICE})


def _flag(query: Mapping[str, str], name: str, default: bool) -> bool:
    value = query.get(name)
    if value is None or not value.strip():
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise invalid_payload(f"{name} must be true or false", name)


def _options(query: Mapping[str, str]) -> TokenOptions:
    share_identity = _flag(query, "shareIdentity", True)
    user_id = (query.get("userId") or "").strip() or None
    if user_id is None and share_identity:
        raise invalid_payload("userId is required (or pass shareIdentity=false)", "userId")
    algorithm = (query.get("alg") or ALGORITHM).strip()
    matched = next((a for a in ALGORITHMS if a.lower() == algorithm.lower()), None)
    if matched is None:
        raise invalid_payload(f"alg must be one of {', '.join(ALGORITHMS)}", "alg")
    expires_in: int | None = None
    if query.get("expiresIn"):
        try:
            expires_in = int(query["expiresIn"])
        except ValueError as exc:
            raise invalid_payload("expiresIn must be a whole number of seconds", "expiresIn") from exc
    now: datetime | None = None
    if query.get("now"):
        try:
            now = env.parse_instant(query["now"])
        except ValueError as exc:
            raise invalid_payload("now must be an ISO-8601 instant", "now") from exc
    return TokenOptions(
        user_id=user_id,
        display_name=(query.get("displayName") or "").strip() or None,
        role=(query.get("role") or "").strip() or None,
        channel_id=query.get("channelId"),
        opaque_user_id=(query.get("opaqueUserId") or "").strip() or None,
        share_identity=share_identity,
        expired=_flag(query, "expired", False),
        wrong_key=_flag(query, "wrongKey", False),
        algorithm=matched,
        expires_in=expires_in,
        audience=query.get("audience"),
        now=now,
    )


async def token(request: web.Request) -> web.Response:
    """Seed token route, with the added shaping parameters."""
    issued = issue_token(request.app[SETTINGS], _options(request.query))
    return web.json_response(issued.to_json())
