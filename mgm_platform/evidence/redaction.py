"""Secrets never reach a report: header, JSON-key and known-value masking.

Three rules, applied to every attachment the platform writes:

* headers that carry credentials (the Desktop key, ``Authorization``, the EventSub
  signature, cookies) keep only their scheme (``Bearer ***``);
* JSON keys that name a credential (``token``, ``secret``, ``apiKey``, ``signature`` …)
  have their value masked, however deep they are;
* every registered secret value (the test API key, the EventSub secret, Helix tokens, any
  EBS's configured secrets) and anything shaped like a JWT is masked in free text.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

SECRET_HEADERS = frozenset(
    {
        "x-mgm-apikey",
        "authorization",
        "proxy-authorization",
        "twitch-eventsub-message-signature",
        "cookie",
        "set-cookie",
        "x-extension-jwt",
    }
)
_SECRET_KEY = re.compile(r"(token|secret|api[-_]?key|signature|password|authorization|jwt)", re.IGNORECASE)
# Three base64url segments with a JSON header: an Extension JWT or any other bearer token.
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# A value too short to be a secret would mask ordinary words.
_MIN_SECRET_LENGTH = 6


class Redactor:
    """Masks secrets; thread-safe, since the EBS and its clients run on other threads."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._guard = threading.Lock()
        self._secrets: set[str] = set()
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        """Register secret values to be masked wherever they appear."""
        with self._guard:
            self._secrets.update(s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH)

    def text(self, text: str) -> str:
        with self._guard:
            known = sorted(self._secrets, key=len, reverse=True)
        for secret in known:
            text = text.replace(secret, MASK)
        return _JWT.sub(MASK, text)

    def header(self, name: str, value: str) -> str:
        if name.lower() in SECRET_HEADERS:
            scheme, _, rest = value.partition(" ")
            return f"{scheme} {MASK}" if rest and scheme.isalpha() and len(scheme) < 10 else MASK
        return self.text(value)

    def headers(self, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        return [(name, self.header(name, value)) for name, value in pairs]

    def json(self, value: Any) -> Any:
        """A copy of a JSON value with credential-named keys and secret values masked."""
        if isinstance(value, Mapping):
            masked: dict[str, Any] = {}
            for key, item in value.items():
                name = str(key)
                if name.lower() == "headers" and isinstance(item, Mapping):
                    masked[name] = dict(self.headers({str(k): str(v) for k, v in item.items()}))
                elif _is_secret_key(name) and item not in (None, ""):
                    masked[name] = MASK
                else:
                    masked[name] = self.json(item)
            return masked
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def _is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key)) and not key.lower().startswith(("is", "has"))
