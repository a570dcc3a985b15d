"""Real Twitch and Helix as test-platform backends (``mgm.backends`` entry point).

They name the staging credentials they need (docs/tier-c-runbook.md). The
capabilities they will offer arrive with the Tier C Gherkin issue; until then
a scenario that needs chat delivery or Helix observation is skipped with a
reason naming the missing variables and the mock that provides it.
"""

from __future__ import annotations

import pluggy

hookimpl = pluggy.HookimplMarker("mgm_platform")

APP = ("MGM_TIER_C_TWITCH_CLIENT_ID", "MGM_TIER_C_TWITCH_CLIENT_SECRET")
BROADCASTER = ("MGM_TIER_C_BROADCASTER_ID", "MGM_TIER_C_BROADCASTER_TOKEN")


@hookimpl
def mgm_platform_backends() -> list[dict]:
    return [
        {
            "role": "twitch",
            "name": "real",
            "capabilities": (),
            "credentials": (*APP, *BROADCASTER),
            "description": "a staging Twitch channel (EventSub webhooks to the EBS)",
        },
        {
            "role": "helix",
            "name": "real",
            "capabilities": (),
            "credentials": ("MGM_TIER_C_TWITCH_CLIENT_ID", *BROADCASTER),
            "description": "Twitch Helix: announcements land in the staging channel's chat",
        },
    ]
