"""The seed's four test stand-ins, rebuilt to behave like Twitch and the Desktop.

Each mock is an aiohttp app made by ``create_app(settings)``, with a frozen
settings class whose ``from_env`` reads ``MGM_*`` variables and the seed's own
configuration names. :data:`MOCKS` lists them for the command line::

    service = MOCKS["helix"]
    app = service.create_app(service.settings_from_env(os.environ))

In tests, serve one on a free port with
:class:`mgm_core.serving.BackgroundServer`; as a process, use :func:`serve`
(or ``python -m mgm_mocks helix --port 9053``). ``docs/mocks.md`` describes
every route.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiohttp import web

from mgm_core import ports
from mgm_core.serving import serve_until_signalled

from . import eventsub, extension_jwt, helix, synthetic_desktop

Settings = TypeVar("Settings")


@dataclass(frozen=True)
class MockService(Generic[Settings]):
    """One mock: its registry name, the seed's component name, its port and how to build it."""

    name: str
    component: str
    default_port: int
    settings_from_env: Callable[[Mapping[str, str] | None], Settings]
    create_app: Callable[[Settings], web.Application]

    def app_from_env(self, environ: Mapping[str, str] | None = None) -> web.Application:
        """Build the app from environment variables (``os.environ`` by default)."""
        return self.create_app(self.settings_from_env(environ))


MOCKS: dict[str, MockService[Any]] = {
    "eventsub": MockService(
        "eventsub",
        eventsub.SERVICE,
        ports.MOCK_EVENTSUB,
        eventsub.EventSubMockSettings.from_env,
        eventsub.create_app,
    ),
    "jwt": MockService(
        "jwt",
        extension_jwt.SERVICE,
        ports.MOCK_EXTENSION_JWT,
        extension_jwt.ExtensionJwtMockSettings.from_env,
        extension_jwt.create_app,
    ),
    "helix": MockService(
        "helix",
        helix.SERVICE,
        ports.MOCK_HELIX,
        helix.HelixMockSettings.from_env,
        helix.create_app,
    ),
    "desktop": MockService(
        "desktop",
        synthetic_desktop.SERVICE,
        ports.SYNTHETIC_DESKTOP,
        synthetic_desktop.SyntheticDesktopSettings.from_env,
        synthetic_desktop.create_app,
    ),
}


async def serve(
    name: str,
    host: str = "127.0.0.1",
    port: int | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    on_started: Callable[[int], None] | None = None,
) -> None:
    """Run mock ``name`` until SIGINT/SIGTERM; ``port`` defaults to the seed's port (0 = any free one)."""
    service = MOCKS[name]
    app = service.app_from_env(environ)
    await serve_until_signalled(
        app, host, service.default_port if port is None else port, on_started=on_started
    )


__all__ = ["MOCKS", "MockService", "serve"]
