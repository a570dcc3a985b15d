"""The built-in backends, registered through the ``mgm.backends`` entry point like a third party's.

The in-process EBS, the Twitch and Helix mocks and the WoW client simulator
with the Desktop bridge are what the step library drives today. Real Twitch,
Helix and WoW register from their own packages (``mgm_twitch``, ``mgm_wow``).
"""

from __future__ import annotations

import pluggy

hookimpl = pluggy.HookimplMarker("mgm_platform")

LOCAL_EBS = (
    "ebs.http",
    "ebs.configure",
    "ebs.restart",
    "ebs.outage",
    "ebs.database",
    "ebs.harness",
    "clock.move",
)
# A shared EBS is configured through its development settings route (POST /api/e2e/config);
# it cannot be restarted or read in SQL by a scenario; the clock moves only when the target's
# clock is virtual (checked against stack.json by the plugin).
# An outage is what the scenario's Desktop sees: its way to the EBS goes through a proxy.
SHARED_EBS = ("ebs.http", "ebs.configure", "ebs.outage", "ebs.harness", "clock.move")
# Must stay equal to mgm_platform.target.spec.URL_REQUIRED (this module imports nothing of the platform).
URL_REQUIRED = ("MGM_TARGET_API_KEY", "MGM_TARGET_EVENTSUB_SECRET")


@hookimpl
def mgm_platform_backends() -> list[dict]:
    return [
        {
            "role": "ebs",
            "name": "local",
            "capabilities": LOCAL_EBS,
            "description": "an in-process EBS per scenario on a fresh database and the scenario's clock",
        },
        {
            "role": "ebs",
            "name": "stack",
            "capabilities": SHARED_EBS,
            "description": "the EBS of a running `mgm stack up` (its stack.json), driven over HTTP;"
            " one scenario at a time, each after a development reset",
        },
        {
            "role": "ebs",
            "name": "url",
            "capabilities": SHARED_EBS,
            "description": "a development EBS at an http(s) URL (reset route and harness on), driven over"
            " HTTP one scenario at a time; secrets from MGM_TARGET_*",
            "credentials": URL_REQUIRED,
        },
        {
            "role": "twitch",
            "name": "mock",
            "capabilities": ("chat.deliver",),
            "description": "test code signs EventSub chat notifications with the EBS's secret",
        },
        {
            "role": "helix",
            "name": "mock",
            "capabilities": ("helix.observe", "helix.faults"),
            "description": "MockHelixApi on a free port; its journal shows every chat message",
        },
        {
            "role": "wow",
            "name": "simulator",
            "capabilities": ("wow.game", "desktop.drive", "desktop.synthetic"),
            "description": "the WoW client simulator, the Desktop bridge and SyntheticDesktop, in process",
        },
    ]
