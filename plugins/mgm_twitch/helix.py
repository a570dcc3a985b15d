"""What every Helix request carries (twitch-api.md), defined once."""

from __future__ import annotations

from mgm_core.config import Config


class HelixNotConfigured(Exception):
    """The broadcaster token, client id or broadcaster id needed for a call is missing."""


def helix_headers(config: Config, *, json_body: bool = False) -> dict[str, str]:
    """``Authorization: Bearer`` with the broadcaster's token and the matching ``Client-Id``."""
    missing = [
        name
        for name, value in (
            ("MGM_BROADCASTER_TOKEN", config.broadcaster_token),
            ("MGM_BROADCASTER_ID", config.broadcaster_id),
        )
        if not value
    ]
    if missing:
        raise HelixNotConfigured(f"{' and '.join(missing)} not set")
    headers = {
        "Authorization": f"Bearer {config.broadcaster_token}",
        "Client-Id": config.helix_client_id,
        "Accept": "application/json",
    }
    if json_body:
        headers["Content-Type"] = "application/json"
    return headers


def helix_url(config: Config, path: str) -> str:
    return f"{config.helix_base_url.rstrip('/')}/helix/{path.lstrip('/')}"
