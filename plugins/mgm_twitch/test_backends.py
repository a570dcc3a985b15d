"""Real Twitch and Helix as test-platform backends (``mgm.backends`` entry point).

They offer the Tier C capabilities only (``chat.post``, ``eventsub.manage``,
``chat.observe``): real Twitch cannot sign deliveries for arbitrary viewers and
badges (``chat.deliver``) nor show a request journal (``helix.observe``), so
Tier A/B scenarios are skipped under them rather than run against something
else. The variables are documented in docs/tier-c-runbook.md; while one is
unset, scenarios needing the backend are skipped naming it.
"""

from __future__ import annotations

import pluggy

hookimpl = pluggy.HookimplMarker("mgm_platform")

APP = ("MGM_TIER_C_TWITCH_CLIENT_ID", "MGM_TIER_C_TWITCH_CLIENT_SECRET")
CHANNEL = ("MGM_TIER_C_BROADCASTER_ID",)
BOT = ("MGM_TIER_C_BOT_USER_ID", "MGM_TIER_C_BOT_TOKEN")
EVENTSUB = ("MGM_TIER_C_EVENTSUB_CALLBACK_URL", "MGM_TIER_C_EVENTSUB_SECRET")


@hookimpl
def mgm_platform_backends() -> list[dict]:
    return [
        {
            "role": "twitch",
            "name": "real",
            "capabilities": ("chat.post", "eventsub.manage"),
            "credentials": (*APP, *CHANNEL, *BOT, *EVENTSUB),
            "description": "a staging Twitch channel: the test bot types, EventSub webhooks reach the EBS",
        },
        {
            "role": "helix",
            "name": "real",
            "capabilities": ("chat.observe",),
            "credentials": (APP[0], *CHANNEL, *BOT),
            "description": "Twitch Helix: the staging channel's chat, watched through EventSub WebSocket",
        },
    ]
