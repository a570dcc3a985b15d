"""Where the contract suite sends its calls: a mock on a free port, or real Twitch.

Real Twitch is used only when the Tier C variables are declared; otherwise
those cases are skipped naming the missing variables. Scripting a mock (roster,
faults) is impossible on Twitch, so a case that needs it is skipped there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

TWITCH_HELIX = ("MGM_TIER_C_BROADCASTER_TOKEN", "MGM_TIER_C_BROADCASTER_ID", "MGM_TIER_C_TWITCH_CLIENT_ID")
TWITCH_APP = ("MGM_TIER_C_TWITCH_CLIENT_ID", "MGM_TIER_C_TWITCH_CLIENT_SECRET")
TWITCH_SUBSCRIBER = ("MGM_TIER_C_SUBSCRIBER_USER_ID",)  # a viewer who subscribes to the staging channel
TWITCH_NON_SUBSCRIBER = ("MGM_TIER_C_NON_SUBSCRIBER_USER_ID",)
TWITCH_EVENTSUB_WRITE = ("MGM_TIER_C_EVENTSUB_CALLBACK_URL", "MGM_TIER_C_EVENTSUB_SECRET")
TWITCH_EXTENSION_JWT = ("MGM_TIER_C_EXTENSION_JWT",)  # a token captured from the Extension's onAuthorized
DEFAULT_TWITCH_HELIX = "https://api.twitch.tv"
DEFAULT_TWITCH_AUTH = "https://id.twitch.tv"


def require_env(*groups: tuple[str, ...]) -> dict[str, str]:
    """The variables' values, or skip naming every missing one."""
    names = list(dict.fromkeys(n for group in groups for n in group))
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        pytest.skip(f"real Twitch not configured: {', '.join(missing)} not set")
    return {n: os.environ[n] for n in names}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def answer_of(response: httpx.Response) -> Answer:
    text = response.text
    try:
        body = response.json() if text.strip() else None
    except ValueError:
        body = text
    return Answer(response.status_code, dict(response.headers), body)


@dataclass
class HelixTarget:
    """A Helix to call with the broadcaster's credentials."""

    name: str  # "mock" or "twitch"
    base_url: str
    broadcaster_id: str
    token: str = field(repr=False)
    client_id: str
    admin: httpx.Client | None = None  # the mock's /api/mock/ routes; None on Twitch

    @property
    def is_mock(self) -> bool:
        return self.admin is not None

    def needs_mock(self, why: str) -> httpx.Client:
        if self.admin is None:
            pytest.skip(f"cannot be provoked on real Twitch: {why}")
        return self.admin

    def call(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> Answer:
        headers = {
            "Authorization": f"Bearer {self.token if token is None else token}",
            "Client-Id": self.client_id,
        }
        with httpx.Client(base_url=self.base_url, timeout=15) as http:
            return answer_of(http.request(method, path, headers=headers, **kwargs))
