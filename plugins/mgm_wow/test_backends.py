"""The real WoW 3.3.5a client as a test-platform backend (``mgm.backends`` entry point).

It needs the game's folder (the chat log the Desktop bridge tails); what it
offers arrives with the Tier C Gherkin issue, so scenarios needing the game are
skipped with a reason naming the variable and the simulator that provides it.
"""

from __future__ import annotations

import pluggy

hookimpl = pluggy.HookimplMarker("mgm_platform")


@hookimpl
def mgm_platform_backends() -> list[dict]:
    return [
        {
            "role": "wow",
            "name": "real",
            "capabilities": (),
            "credentials": ("MGM_DESKTOP_WOW_DIR",),
            "description": "the real WoW 3.3.5a client with the addon, driven by the Desktop bridge",
        }
    ]
