"""Twitch Extension JWTs: validation for the EBS, minting for the mock issuer.

HS256 only, keyed with the base64-decoded Extension secret (twitch-api.md).
``exp`` and ``nbf`` are checked against the injected clock, with the seed's
five-minute skew, so token lifetime is testable without sleeping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from mgm_core.domain.text import storable
from mgm_core.errors import ErrorCode, Refusal

ALGORITHM = "HS256"
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ExtensionIdentity:
    """Who is calling through the Extension, as the token says."""

    user_id: str | None
    display_name: str | None
    opaque_user_id: str | None
    role: str | None
    channel_id: str | None

    @property
    def viewer_display_name(self) -> str:
        return self.display_name or self.user_id or ""


def _unauthorized(message: str) -> Refusal:
    return Refusal(ErrorCode.UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


def verified_claims(token: str, key: bytes) -> dict[str, Any]:
    """The token's claims once its header and HS256 signature hold, else ``401``.

    This depends only on ``token`` and ``key``, so its result may be cached;
    the time and audience checks of :func:`identity_from` may not.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise _unauthorized("Bearer token is not a JWT") from exc
    if header.get("alg") != ALGORITHM:
        raise _unauthorized("Bearer token must be signed with HS256")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={
                "verify_exp": False,  # checked below against the injected clock
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "require": ["exp"],
            },
        )
    except jwt.MissingRequiredClaimError as exc:
        raise _unauthorized("Bearer token has no exp claim") from exc
    except jwt.PyJWTError as exc:
        raise _unauthorized("Bearer token signature is not valid") from exc
    return claims


def validate(
    token: str,
    key: bytes,
    now: datetime,
    *,
    client_id: str = "",
    channel_id: str = "",
) -> ExtensionIdentity:
    """Return the caller's identity, or raise ``401 unauthorized``."""
    return identity_from(verified_claims(token, key), now, client_id=client_id, channel_id=channel_id)


def identity_from(
    claims: Mapping[str, Any],
    now: datetime,
    *,
    client_id: str = "",
    channel_id: str = "",
) -> ExtensionIdentity:
    """Check verified claims against ``now``, the audience and the channel; the caller's identity."""
    stamp = now.timestamp()
    skew = CLOCK_SKEW.total_seconds()
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise _unauthorized("Bearer token exp claim is not a number")
    if stamp > exp + skew:
        raise _unauthorized("Bearer token has expired")
    nbf = claims.get("nbf")
    if nbf is not None:
        if not isinstance(nbf, int | float) or isinstance(nbf, bool):
            raise _unauthorized("Bearer token nbf claim is not a number")
        if stamp < nbf - skew:
            raise _unauthorized("Bearer token is not valid yet")
    if client_id:
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if client_id not in audiences:
            raise _unauthorized("Bearer token audience does not match this Extension")
    token_channel = claims.get("channel_id")
    if channel_id and str(token_channel) != channel_id:
        raise _unauthorized("Bearer token is for another channel")

    def text(*names: str) -> str | None:
        for name in names:
            value = claims.get(name)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
                return str(value).strip() if storable(str(value)) and len(str(value)) <= 256 else None
        return None

    return ExtensionIdentity(
        user_id=text("user_id", "sub", "nameid"),
        display_name=text("unique_name", "display_name"),
        opaque_user_id=text("opaque_user_id"),
        role=text("role"),
        channel_id=text("channel_id"),
    )


def mint(claims: dict[str, Any], key: bytes, *, algorithm: str = ALGORITHM) -> str:
    """Sign ``claims`` as an Extension token (the mock issuer and tests use this)."""
    return jwt.encode(claims, key, algorithm=algorithm)


def viewer_claims(
    user_id: str | None,
    now: datetime,
    *,
    display_name: str | None = None,
    lifetime: timedelta = timedelta(hours=2),
    audience: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """The claims the seed's mock issuer puts in a viewer token."""
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "nbf": issued,
        "iat": issued,
        "exp": issued + int(lifetime.total_seconds()),
        **extra,
    }
    if user_id is not None:
        claims["user_id"] = user_id
        claims["unique_name"] = display_name or user_id
    if audience:
        claims["aud"] = audience
    return claims
