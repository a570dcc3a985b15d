"""A bounded cache of Extension tokens whose signature was already checked.

Verifying an HS256 signature (and base64/JSON-decoding the token) is the
same work for every request that carries the same token, and a viewer's
Extension polls ``/api/roulette/state`` with one token for its whole life.
Only the result of :func:`extension_jwt.verified_claims` is cached — a pure
function of the token and the key; expiry, ``nbf``, audience and channel are
checked on every request against the clock. Refused tokens are never cached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from mgm_core.security import extension_jwt

DEFAULT_CAPACITY = 4096


class VerifiedTokens:
    """Token → verified claims for one key; the oldest entry goes when full.

    ``key`` is asked for the HS256 key on each miss (so a configuration without
    one fails where it did before: when a token is checked).
    """

    def __init__(self, key: Callable[[], bytes], capacity: int = DEFAULT_CAPACITY) -> None:
        self._key = key
        self._capacity = capacity
        self._claims: dict[str, Mapping[str, Any]] = {}

    def __len__(self) -> int:
        return len(self._claims)

    def claims(self, token: str) -> Mapping[str, Any]:
        """The token's verified claims (read-only), verifying only on a miss; ``401`` if invalid."""
        found = self._claims.get(token)
        if found is None:
            found = MappingProxyType(extension_jwt.verified_claims(token, self._key()))
            if len(self._claims) >= self._capacity:
                del self._claims[next(iter(self._claims))]
            self._claims[token] = found
        return found
