"""The real WoW 3.3.5a client as a test-platform backend (``mgm.backends`` entry point).

It drives the game through the Desktop bridge's Windows injector and reads the
real ``WoWChatLog.txt`` under ``MGM_DESKTOP_WOW_DIR``; the bridge talks to the
deployed EBS with ``MGM_DESKTOP_EBS_URL`` and ``MGM_DESKTOP_API_KEY``. Off
Windows it is unavailable, and scenarios needing the game are skipped saying so.
"""

from __future__ import annotations

import sys

import pluggy

hookimpl = pluggy.HookimplMarker("mgm_platform")

CREDENTIALS = ("MGM_DESKTOP_WOW_DIR", "MGM_DESKTOP_EBS_URL", "MGM_DESKTOP_API_KEY")


def unavailable(platform: str = sys.platform) -> str:
    """Why the real game cannot be driven here ("" on Windows)."""
    if platform == "win32":
        return ""
    return f"the WoW injector types into the game window and needs Windows (this is {platform})"


@hookimpl
def mgm_platform_backends() -> list[dict]:
    return [
        {
            "role": "wow",
            "name": "real",
            "capabilities": ("wow.client",),
            "credentials": CREDENTIALS,
            "unavailable": unavailable(),
            "description": "the real WoW 3.3.5a client with the addon, driven by the Desktop bridge",
        }
    ]
