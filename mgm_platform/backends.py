"""Backends behind capabilities: which backend of each role offers what a scenario needs.

A *capability* is one small thing a step asks of the outside world (deliver a
chat message as a viewer, move the clock, observe chat announcements…). A
*backend* plays one *role* (``ebs``, ``twitch``, ``helix``, ``wow``) and offers a
set of capabilities. Backends come from the :func:`mgm_platform_backends` hook
(``mgm.backends`` entry points, built-ins included).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Final

import pluggy

from mgm_platform import hookspecs

ENTRY_POINT_GROUP: Final = "mgm.backends"
ROLES: Final = ("ebs", "twitch", "helix", "wow")

# capability -> (role that provides it, meaning)
CAPABILITIES: Final[dict[str, tuple[str, str]]] = {
    "ebs.http": ("ebs", "call the EBS's HTTP routes as a viewer (Extension JWT) or the Desktop (API key)"),
    "ebs.configure": (
        "ebs",
        "give the scenario's EBS its own settings (Extension rate limit, subscriber bypass, EventSub"
        " secret, Helix credentials): a local EBS starts with them, a shared one changes them until"
        " the next reset",
    ),
    "ebs.restart": ("ebs", "stop the scenario's EBS and start it again on the same database"),
    "ebs.outage": (
        "ebs",
        "make the EBS unreachable for the scenario's Desktop and bring it back: a local EBS stops and"
        " restarts, a shared one is cut off behind a proxy the Desktop connects through",
    ),
    "ebs.database": ("ebs", "read the EBS's database (pool rows, payouts)"),
    "ebs.harness": ("ebs", "the development e2e harness routes (/api/e2e/*)"),
    "clock.move": ("ebs", "move or read the EBS's virtual clock"),
    "chat.deliver": ("twitch", "deliver a chat message as a viewer (a signed EventSub notification)"),
    "helix.observe": ("helix", "observe the chat announcements the EBS sends through Helix"),
    "helix.faults": ("helix", "make Helix fail, drop or reset the next chat messages"),
    "wow.game": ("wow", "the WoW client: roster, whispers, mail, the WoWChatLog.txt lines"),
    "desktop.drive": ("wow", "drive the Desktop bridge one operation at a time"),
    "desktop.synthetic": ("wow", "SyntheticDesktop's confirm / InProgress / Sent sequence"),
    # Tier C: only the real backends offer these
    "chat.post": (
        "twitch",
        "type a line in the staging channel's chat as the test bot (Helix Send Chat Message);"
        " Twitch's EventSub delivers it to the EBS",
    ),
    "eventsub.manage": ("twitch", "create, list and delete the EBS's EventSub subscription (mgm twitch …)"),
    "chat.observe": ("helix", "watch the staging channel's chat as Twitch shows it (EventSub WebSocket)"),
    "wow.client": ("wow", "the real WoW 3.3.5a client: the Windows injector and the real WoWChatLog.txt"),
}


class BackendError(ValueError):
    """A backend table or a selection that cannot work; the message names the culprit."""


@dataclass(frozen=True)
class Backend:
    role: str
    name: str
    capabilities: frozenset[str]
    description: str
    credentials: tuple[str, ...] = ()
    plugin: str = ""
    unavailable: str = ""  # why it can offer nothing on this machine (e.g. "needs Windows")

    def missing_credentials(self, environ: Mapping[str, str]) -> list[str]:
        return [name for name in self.credentials if not environ.get(name)]

    def offers(self, capability: str, environ: Mapping[str, str]) -> bool:
        return (
            capability in self.capabilities and not self.unavailable and not self.missing_credentials(environ)
        )

    @property
    def label(self) -> str:
        return f"{self.role}={self.name}"


@dataclass
class BackendTable:
    backends: dict[tuple[str, str], Backend] = field(default_factory=dict)

    def add(self, backend: Backend) -> None:
        if backend.role not in ROLES:
            raise BackendError(
                f"backend {backend.name!r} of {backend.plugin}: unknown role {backend.role!r}; "
                f"roles: {', '.join(ROLES)}"
            )
        unknown = sorted(c for c in backend.capabilities if c not in CAPABILITIES)
        if unknown:
            raise BackendError(f"backend {backend.label} of {backend.plugin}: unknown capabilities {unknown}")
        key = (backend.role, backend.name)
        if key in self.backends:
            first = self.backends[key].plugin
            raise BackendError(f"backend {backend.label} registered twice: by {first} and {backend.plugin}")
        self.backends[key] = backend

    def names(self, role: str) -> list[str]:
        return sorted(name for r, name in self.backends if r == role)

    def select(self, role: str, value: str) -> Backend:
        """The backend a choice names (``--mgm-ebs https://…`` selects the ``url`` backend)."""
        name = "url" if role == "ebs" and value.startswith(("http://", "https://")) else value
        try:
            return self.backends[(role, name)]
        except KeyError:
            shown = [*self.names(role), *(["URL"] if role == "ebs" else [])]
            raise BackendError(f"unknown {role} backend {value!r}; known: {', '.join(shown)}") from None

    def providers(self, capability: str) -> list[Backend]:
        return [b for b in self.backends.values() if capability in b.capabilities]

    def __iter__(self):  # noqa: ANN204 - an iterator of Backend
        return iter(sorted(self.backends.values(), key=lambda b: (ROLES.index(b.role), b.name)))


def _plugin_manager(extra: Iterable[object] = ()) -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        manager.register(entry.load(), name=f"{entry.name} ({entry.value})")
    for plugin in extra:
        manager.register(plugin)
    return manager


def load_backends(extra: Iterable[object] = ()) -> BackendTable:
    """Every registered backend, from the ``mgm.backends`` entry points (and ``extra`` plugins)."""
    manager = _plugin_manager(extra)
    table = BackendTable()
    for impl in manager.hook.mgm_platform_backends.get_hookimpls():
        described = impl.function() or []
        for entry in described:
            table.add(
                Backend(
                    role=entry["role"],
                    name=entry["name"],
                    capabilities=frozenset(entry.get("capabilities", ())),
                    description=entry.get("description", ""),
                    credentials=tuple(entry.get("credentials", ())),
                    plugin=impl.plugin_name,
                    unavailable=str(entry.get("unavailable") or ""),
                )
            )
    return table


def skip_reason(backend: Backend, capability: str, table: BackendTable, environ: Mapping[str, str]) -> str:
    """Why ``backend`` cannot serve ``capability``: the backend, the capability, what would provide it."""
    meaning = CAPABILITIES[capability][1]
    missing = backend.missing_credentials(environ)
    if capability in backend.capabilities and (missing or backend.unavailable):
        why = [f"credentials not set: {', '.join(missing)}"] if missing else []
        why += [f"unavailable here: {backend.unavailable}"] if backend.unavailable else []
        return f"backend {backend.label} cannot offer {capability} ({meaning}): {'; '.join(why)}"
    role = backend.role
    others = [
        f"--mgm-{role} {b.name}"
        + (f" (with {', '.join(needs)})" if (needs := b.missing_credentials(environ)) else "")
        for b in table.providers(capability)
        if b is not backend
    ]
    hint = f"; provided by {' or '.join(others)}" if others else "; no installed backend provides it"
    if missing:
        hint += f" ({backend.label} also needs {', '.join(missing)})"
    return f"backend {backend.label} does not offer {capability} ({meaning}){hint}"


def print_backends(out=None) -> int:  # noqa: ANN001 - a text stream
    """``mgm backends``: every backend, its capabilities and what it still needs."""
    out = out or sys.stdout
    try:
        table = load_backends()
    except BackendError as exc:
        print(f"mgm backends: {exc}", file=sys.stderr)
        return 2
    for backend in table:
        missing = backend.missing_credentials(os.environ)
        state = f"  (needs {', '.join(missing)})" if missing else ""
        state += f"  (unavailable here: {backend.unavailable})" if backend.unavailable else ""
        print(f"{backend.label:<16} {backend.description}{state}", file=out)
        print(f"{'':<16}   plugin: {backend.plugin}", file=out)
        caps = ", ".join(sorted(backend.capabilities)) or "(none yet)"
        print(f"{'':<16}   capabilities: {caps}", file=out)
    return 0
