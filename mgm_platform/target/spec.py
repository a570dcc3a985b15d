"""Where a shared target is and how to act on it: URLs, secrets, its clock, its Desktop bridge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mgm_platform.stackfile import StackFile

# A URL target takes its secrets from these variables (declared as the `ebs=url` backend's credentials).
URL_SECRETS: dict[str, str] = {
    "apiKey": "MGM_TARGET_API_KEY",
    "eventsubSecret": "MGM_TARGET_EVENTSUB_SECRET",
    "extensionSecret": "MGM_TARGET_EXTENSION_SECRET",
    "extensionClientId": "MGM_TARGET_EXTENSION_CLIENT_ID",
    "broadcasterId": "MGM_TARGET_BROADCASTER_ID",
}
URL_REQUIRED = ("MGM_TARGET_API_KEY", "MGM_TARGET_EVENTSUB_SECRET")


@dataclass(frozen=True)
class TargetSpec:
    ebs_url: str
    secrets: Mapping[str, str]
    virtual_clock: bool | None  # None: not known (a URL target; the clock route answers 404 when not)
    urls: Mapping[str, str] = field(default_factory=dict)  # the stack's other services (helix, wow, …)
    bridge_injector: str | None = None  # how the stack's own Desktop bridge acts on the game
    stack_dir: Path | None = None  # where stack.json lives (the lock goes beside it)

    @classmethod
    def from_stack(cls, stack: StackFile) -> TargetSpec:
        return cls(
            ebs_url=stack.ebs_url,
            secrets=dict(stack.secrets),
            virtual_clock=stack.virtual_clock,
            urls=dict(stack.urls),
            bridge_injector=stack.bridge_injector,
            stack_dir=stack.path.parent,
        )

    @classmethod
    def from_url(cls, url: str, environ: Mapping[str, str]) -> TargetSpec:
        secrets = {key: environ.get(variable, "") for key, variable in URL_SECRETS.items()}
        return cls(ebs_url=url.rstrip("/"), secrets=secrets, virtual_clock=None)

    def secret(self, key: str) -> str:
        return str(self.secrets.get(key) or "")
