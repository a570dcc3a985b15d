"""The verified-token cache: signatures checked once per token, time checked every time."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from mgm_core.errors import Refusal
from mgm_core.security import extension_jwt
from mgm_core.security.token_cache import VerifiedTokens

KEY = b"0123456789abcdef0123456789abcdef"


class CountingKey:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> bytes:
        self.calls += 1
        return KEY


def token(now, user="u1", lifetime=timedelta(hours=1), key=KEY):
    issued = int(now.timestamp())
    claims = {"user_id": user, "exp": issued + int(lifetime.total_seconds())}
    return jwt.encode(claims, key, algorithm="HS256")


def test_a_token_is_verified_once_then_served_from_the_cache(mgm_clock):
    key = CountingKey()
    cache = VerifiedTokens(key)
    given = token(mgm_clock.now())
    first, second = cache.claims(given), cache.claims(given)
    assert first["user_id"] == second["user_id"] == "u1"
    assert key.calls == 1 and len(cache) == 1


def test_expiry_is_still_checked_on_every_request(mgm_clock):
    cache = VerifiedTokens(lambda: KEY)
    given = token(mgm_clock.now(), lifetime=timedelta(minutes=1))
    assert extension_jwt.identity_from(cache.claims(given), mgm_clock.now()).user_id == "u1"
    mgm_clock.advance(7 * 60)  # past exp and the five-minute skew
    with pytest.raises(Refusal, match="expired"):
        extension_jwt.identity_from(cache.claims(given), mgm_clock.now())


def test_a_bad_signature_is_refused_every_time_and_never_cached(mgm_clock):
    cache = VerifiedTokens(lambda: KEY)
    forged = token(mgm_clock.now(), key=b"another key, another key, another")
    for _ in range(2):
        with pytest.raises(Refusal, match="signature"):
            cache.claims(forged)
    assert len(cache) == 0


def test_the_cache_is_bounded_and_drops_the_oldest(mgm_clock):
    key = CountingKey()
    cache = VerifiedTokens(key, capacity=3)
    tokens = [token(mgm_clock.now(), user=f"u{i}") for i in range(4)]
    for given in tokens:
        cache.claims(given)
    assert len(cache) == 3
    cache.claims(tokens[3])
    assert key.calls == 4  # the newest is still cached
    cache.claims(tokens[0])
    assert key.calls == 5  # the oldest was dropped and verified again


def test_cached_claims_are_read_only(mgm_clock):
    claims = VerifiedTokens(lambda: KEY).claims(token(mgm_clock.now()))
    with pytest.raises(TypeError):
        claims["user_id"] = "someone else"  # type: ignore[index]
