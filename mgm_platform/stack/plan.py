"""What ``mgm stack up`` runs, on which ports, and the settings its pieces share.

Nothing here opens a socket: :class:`StackOptions` is the operator's choice
(host, ports, clock, run directory, environment) and :func:`plan_ports` turns
it into one port per service, refusing impossible plans before anything starts.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from mgm_core import ports


class StackConfigError(ValueError):
    """The stack's configuration cannot work; the message names the flag or variable."""


class StackStartError(RuntimeError):
    """A service could not start; the others have been stopped.

    ``service`` is the stack's name for it (``helix``…), ``address`` the
    ``host:port`` it was meant to listen on (``None`` for the bridge).
    """

    def __init__(self, service: str, component: str, address: str | None, reason: str) -> None:
        where = f" on {address}" if address else ""
        super().__init__(f"{service} ({component}) could not start{where}: {reason}")
        self.service = service
        self.component = component
        self.address = address
        self.reason = reason


@dataclass(frozen=True)
class ServiceSpec:
    """One piece of the stack: its name, component, seed port and readiness probe."""

    name: str
    component: str
    seed_port: int | None
    health_path: str | None

    @property
    def flag(self) -> str:
        """The command-line flag that sets its port."""
        return f"--port-{self.name}"


# Display order: the seed's port map. Start order is in the orchestrator (dependencies first).
SERVICES: Final[tuple[ServiceSpec, ...]] = (
    ServiceSpec("ebs", "EBS", ports.EBS, "/health/ready"),
    ServiceSpec("eventsub", "MockEventSubWebhook", ports.MOCK_EVENTSUB, "/health"),
    ServiceSpec("jwt", "MockExtensionJwt", ports.MOCK_EXTENSION_JWT, "/health"),
    ServiceSpec("helix", "MockHelixApi", ports.MOCK_HELIX, "/health"),
    ServiceSpec("desktop", "SyntheticDesktop", ports.SYNTHETIC_DESKTOP, "/health"),
    ServiceSpec("wow", "WowClientSimulator", ports.WOW_SIMULATOR, "/health"),
    ServiceSpec("bridge", "DesktopBridge", None, None),
)
SPECS: Final[dict[str, ServiceSpec]] = {spec.name: spec for spec in SERVICES}
LISTENING: Final[tuple[str, ...]] = tuple(spec.name for spec in SERVICES if spec.seed_port is not None)

# The seed's CI environment (ebs-contract.md §9). Any of them set in the environment wins.
SEED_CI_DEFAULTS: Final[dict[str, str]] = {
    "MGM_ENV": "development",
    "MGM_API_KEY": "ci-desktop-api-key",
    "MGM_EVENTSUB_SECRET": "e2e-ci-eventsub-secret",
    "MGM_BROADCASTER_ID": "e2e-ci-broadcaster",
    "MGM_BROADCASTER_TOKEN": "e2e-ci-broadcast-token",
    "MGM_HELIX_CLIENT_ID": "e2e-ci-helix-client",
    "MGM_DEV_SKIP_SUBSCRIBER_CHECK": "true",
    "MGM_ENABLE_E2E_HARNESS": "true",
}


@dataclass(frozen=True)
class StackOptions:
    """How to run the stack.

    ``ports`` sets a service's port outright (0 = any free port); every other
    service gets its seed port plus ``ports_offset``. ``environ`` replaces
    ``os.environ`` as the source of every ``MGM_*``/seed variable (tests pass
    their own). ``run_dir`` (default ``<MGM_DATA_DIR>/stack``) holds the chat
    log and the bridge's state.
    """

    host: str = "127.0.0.1"
    ports: Mapping[str, int] = field(default_factory=dict)
    ports_offset: int = 0
    virtual_clock: bool = False
    run_dir: Path | None = None
    environ: Mapping[str, str] | None = None
    ready_timeout: float = 60.0


def plan_ports(options: StackOptions) -> dict[str, int]:
    """One port per listening service; raises :class:`StackConfigError` for a bad or clashing plan."""
    unknown = sorted(set(options.ports) - set(LISTENING))
    if unknown:
        raise StackConfigError(f"no service called {', '.join(unknown)}; services: {', '.join(LISTENING)}")
    planned: dict[str, int] = {}
    owner: dict[int, str] = {}
    for name in LISTENING:
        seed = SPECS[name].seed_port
        assert seed is not None
        explicit = name in options.ports
        port = options.ports[name] if explicit else seed + options.ports_offset
        if not 0 <= port <= 65535:
            source = SPECS[name].flag if explicit else f"--ports-offset {options.ports_offset}"
            raise StackConfigError(f"{source} gives {name} port {port}, outside 0..65535")
        if port and port in owner:
            raise StackConfigError(f"{name} and {owner[port]} would both listen on port {port}")
        owner[port] = name
        planned[name] = port
    return planned


def connect_host(host: str) -> str:
    """The address other pieces dial to reach a server bound to ``host`` (a wildcard means loopback)."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def base_url(host: str, port: int) -> str:
    """``http://host:port`` with IPv6 literals bracketed."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def describe_bind_error(exc: OSError) -> str:
    """A bind failure in words an operator acts on."""
    if exc.errno == errno.EADDRINUSE:
        return "the port is already in use"
    if exc.errno == errno.EACCES:
        return "permission denied (ports below 1024 need privileges)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return "the address is not available on this machine"
    return exc.strerror or str(exc)


def probe_bind(host: str, port: int) -> None:
    """Bind (and release) ``host:port`` the way the server will; raises the :class:`OSError` it would."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise StackConfigError(f"--host {host!r} cannot be resolved: {exc}") from exc
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as sock:
            # The same options asyncio's create_server sets, so the probe fails exactly when it would.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
