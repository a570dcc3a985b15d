"""The whole local platform in one process and one event loop.

:class:`Stack` reads every setting when it is made (so a bad one is reported
before anything starts), then :meth:`Stack.start` brings the services up in
dependency order — Helix and JWT mocks, the EBS (which needs the Helix URL),
the EventSub mock and SyntheticDesktop (which need the EBS URL), the WoW client
simulator, and the Desktop bridge (which needs the EBS and the simulator) —
waiting for each to be ready. Any failure stops what already runs and raises
:class:`StackStartError` naming the service. :meth:`Stack.stop` stops
everything in reverse order; the EBS's embedded PostgreSQL stops with it.

Because every server is a site on the caller's loop and the bridge is a task on
it, nothing can outlive the process that ran the stack.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiohttp
from aiohttp import web

from mgm_core.clock import Clock, SystemClock, VirtualClock
from mgm_core.config import Config, ConfigError
from mgm_core.web.app import create_app
from mgm_mocks import MOCKS
from mgm_mocks import env as mock_env
from mgm_platform.stack.bridge import BridgeRunner
from mgm_platform.stack.logs import SERVICE_FIELD
from mgm_platform.stack.plan import (
    LISTENING,
    SEED_CI_DEFAULTS,
    SERVICES,
    SPECS,
    StackConfigError,
    StackOptions,
    StackStartError,
    base_url,
    connect_host,
    describe_bind_error,
    plan_ports,
    probe_bind,
)
from mgm_wow.bridge.config import DesktopConfig, DesktopConfigError
from mgm_wow.settings import SettingsError, SimulatorSettings
from mgm_wow.simulator_app import create_app as create_simulator

log = logging.getLogger("mgm_platform.stack")
access_log = logging.getLogger("mgm_platform.stack.access")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Start order: each service's dependencies come before it.
START_ORDER: Final = ("helix", "jwt", "ebs", "eventsub", "desktop", "wow", "bridge")
SHUTDOWN_TIMEOUT: Final = 5.0
# Probes and the bridge's own polls would drown the log at INFO; they show at DEBUG.
_QUIET_GETS: Final = frozenset(
    {"/health", "/health/ready", "/api/mock/health", "/api/roulette/candidate", "/api/payouts/pending"}
)
_BACKEND_URL_NAMES: Final = {
    "eventsub": ("MGM_MOCK_BACKEND_URL", "Backend:BaseUrl"),
    "desktop": ("MGM_MOCK_BACKEND_URL", "SyntheticDesktop:BackendBaseUrl"),
}


@dataclass
class ServiceInfo:
    """A row of the services table.

    ``port`` is the planned port until the service listens, then the bound one;
    ``status`` is ``stopped``, ``starting``, ``ready`` (``running`` for the
    bridge) or ``failed``; ``detail`` says what an operator may want to know.
    """

    name: str
    component: str
    port: int | None
    url: str | None = None
    status: str = "stopped"
    detail: str = ""


def access_logger(service: str) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """An aiohttp middleware writing one access line per request, tagged with ``service``."""

    @web.middleware
    async def log_access(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status: int | None = None
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        except Exception:
            status = 500
            raise
        finally:
            if status is None:
                level = logging.DEBUG  # the client went away mid-request
            elif status >= 500:
                level = logging.WARNING
            elif request.method == "GET" and request.path in _QUIET_GETS:
                level = logging.DEBUG
            else:
                level = logging.INFO
            if access_log.isEnabledFor(level):
                # The path only: query strings and headers may carry credentials.
                access_log.log(
                    level,
                    "%s %s %s",
                    request.method,
                    request.path,
                    status if status is not None else "-",
                    extra={SERVICE_FIELD: service, "ms": round((time.perf_counter() - started) * 1000)},
                )

    return log_access


async def _listen(app: web.Application, host: str, port: int, spec_name: str) -> tuple[web.AppRunner, int]:
    """Start ``app`` on ``host:port``; on any failure clean up what it opened and raise StackStartError."""
    spec = SPECS[spec_name]
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT)
    try:
        # setup() runs the app's start-up (the EBS's database among it) before anything listens.
        await runner.setup()
    except Exception as exc:
        await _quietly(runner.cleanup(), spec_name)
        raise StackStartError(spec_name, spec.component, f"{host}:{port}", f"start-up failed: {exc}") from exc
    except BaseException:
        await _quietly(runner.cleanup(), spec_name)
        raise
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await _quietly(runner.cleanup(), spec_name)
        raise StackStartError(spec_name, spec.component, f"{host}:{port}", describe_bind_error(exc)) from exc
    except BaseException:
        await _quietly(runner.cleanup(), spec_name)
        raise
    server = site._server
    assert server is not None and server.sockets
    return runner, server.sockets[0].getsockname()[1]


async def _quietly(cleanup: Awaitable[Any], service: str) -> None:
    try:
        await cleanup
    except Exception:
        log.exception("stopping failed", extra={SERVICE_FIELD: service})


class Stack:
    """EBS, the four mocks, the WoW client simulator and the Desktop bridge, wired together.

    Make it (reads and checks the configuration), ``await start()``, use
    :attr:`services` for the URLs, ``await stop()``. Start and stop on the same
    event loop.
    """

    def __init__(self, options: StackOptions | None = None) -> None:
        self.options = options = options or StackOptions()
        environ = dict(os.environ if options.environ is None else options.environ)
        self._environ = environ
        self.host = options.host
        self._dial = connect_host(options.host)
        self._ports = plan_ports(options)
        self.services: dict[str, ServiceInfo] = {
            spec.name: ServiceInfo(spec.name, spec.component, self._ports.get(spec.name)) for spec in SERVICES
        }
        changes: dict[str, Any] = {"host": options.host, "port": self._ports["ebs"]}
        if options.virtual_clock:
            changes["clock"] = "virtual"
        self._own_helix = not environ.get("MGM_HELIX_BASE_URL", "").strip()
        if self._own_helix:
            changes["helix_base_url"] = self._planned_url("helix")
        try:
            config = Config.from_env({**SEED_CI_DEFAULTS, **environ})
            self.config: Config = config.with_overrides(**changes).validate()
        except ConfigError as exc:
            raise StackConfigError(str(exc)) from exc
        if options.virtual_clock and not self.config.virtual_clock:
            raise StackConfigError("--virtual-clock needs MGM_ENV=development")
        # One clock for every piece: with a virtual EBS clock, mock tokens, EventSub
        # timestamps and chat-log stamps follow the EBS's time instead of the wall clock.
        self.clock: Clock = VirtualClock(SystemClock().now()) if self.config.virtual_clock else SystemClock()
        self._share_clock = self.config.virtual_clock and mock_env.lookup(environ, "MGM_MOCK_NOW") is None
        self.run_dir = (options.run_dir or self.config.data_dir / "stack").absolute()

        # The EBS's values win over each mock's own variables for what they must agree on.
        shared = {
            "MGM_API_KEY": self.config.api_key,
            "MGM_EVENTSUB_SECRET": self.config.eventsub_secret,
            "MGM_EXTENSION_SECRET": self.config.extension_secret,
            "MGM_EXTENSION_CLIENT_ID": self.config.extension_client_id,
            "MGM_BROADCASTER_ID": self.config.broadcaster_id,
        }
        self._mock_settings: dict[str, Any] = {}
        for name, service in MOCKS.items():
            try:
                settings = service.settings_from_env({**environ, **shared})
            except ConfigError as exc:
                raise StackConfigError(f"{service.component}: {exc}") from exc
            if self._share_clock:
                settings = dataclasses.replace(settings, clock=self.clock)
            self._mock_settings[name] = settings
        self._own_backend = {
            name: mock_env.lookup(environ, *names) is None for name, names in _BACKEND_URL_NAMES.items()
        }
        try:
            # Later names win inside load(), so an operator's WOWMOCK_LogFilePath beats this default.
            simulator = SimulatorSettings.load(
                {"WOWMOCK_LogFilePath": str(self.run_dir / "Logs" / "WoWChatLog.txt"), **environ}
            )
        except SettingsError as exc:
            raise StackConfigError(f"WowClientSimulator: {exc}") from exc
        simulator = simulator.with_overrides(host=options.host, api_port=self._ports["wow"])
        if self._share_clock:
            simulator = simulator.with_overrides(clock=self.clock)
        self._simulator_settings = simulator
        self._bridge_config = self._desktop_config()  # checked now, rebuilt with real URLs at start

        self._runners: list[tuple[str, web.AppRunner]] = []
        self._bridge: BridgeRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._started = False

    # ------------------------------------------------------------------ addresses

    def _planned_url(self, name: str) -> str:
        return base_url(self._dial, self._ports[name])

    def url(self, name: str) -> str:
        """The base URL of a listening service (its planned one before it listens)."""
        info = self.services[name]
        if info.url:
            return info.url
        if name not in LISTENING:
            raise KeyError(f"{name} does not listen")
        return self._planned_url(name)

    def secrets(self) -> tuple[str, ...]:
        """Every secret value in play, for masking in logs."""
        values = [
            self.config.api_key,
            self.config.eventsub_secret,
            self.config.extension_secret,
            self.config.broadcaster_token,
            self._bridge_config.api_key,
            getattr(self._mock_settings["helix"], "expected_token", ""),
            getattr(self._mock_settings["eventsub"], "secret", ""),
        ]
        return tuple(v for v in values if v)

    def settings(self, name: str) -> Any:
        """The settings a service runs (or will run) with: the EBS's :class:`Config`, a mock's
        settings, the simulator's :class:`SimulatorSettings` or the bridge's :class:`DesktopConfig`.
        """
        if name == "ebs":
            return self.config
        if name == "wow":
            return self._simulator_settings
        if name == "bridge":
            return self._bridge_config
        return self._mock_settings[name]

    @property
    def chat_log(self) -> Path:
        """The WoW client simulator's ``WoWChatLog.txt``, which the bridge tails."""
        return self._simulator_settings.log_path

    def _desktop_config(self) -> DesktopConfig:
        defaults = {
            "MGM_DESKTOP_EBS_URL": self.url("ebs"),
            "MGM_DESKTOP_API_KEY": self.config.api_key,
            "MGM_DESKTOP_STATE_DIR": str(self.run_dir / "desktop"),
            "MGM_DESKTOP_INJECTOR": "simulator",
            "MGM_DESKTOP_SIMULATOR_URL": self.url("wow"),
        }
        if not self._environ.get("MGM_DESKTOP_WOW_DIR", "").strip():
            defaults["MGM_DESKTOP_CHAT_LOG"] = str(self.chat_log)
        try:
            return DesktopConfig.from_env({**defaults, **self._environ})
        except DesktopConfigError as exc:
            raise StackConfigError(f"DesktopBridge: {exc}") from exc

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start every service in dependency order and wait until each is ready.

        Raises :class:`StackStartError` (after stopping whatever had started)
        when one cannot start or does not become ready in time.
        """
        if self._started:
            raise RuntimeError("the stack was already started")
        self._started = True
        self._check_ports()
        if not self.config.api_key:
            log.warning("MGM_API_KEY is empty: the EBS refuses every Desktop call, the bridge's among them")
        log.info(
            "starting the stack",
            extra={
                "host": self.host,
                "database": "external (MGM_DATABASE_URL)" if self.config.database_url else "embedded",
                "data_dir": str(self.config.data_dir),
                "run_dir": str(self.run_dir),
                "clock": "virtual" if self.config.virtual_clock else "system",
            },
        )
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        try:
            for name in START_ORDER:
                await self._start_one(name)
        except BaseException:
            await self.stop()
            raise

    def _check_ports(self) -> None:
        # Fail on a taken port before booting anything (PostgreSQL takes seconds).
        for name in LISTENING:
            port = self._ports[name]
            if not port:
                continue
            try:
                probe_bind(self.host, port)
            except OSError as exc:
                self.services[name].status = "failed"
                raise StackStartError(
                    name, SPECS[name].component, f"{self.host}:{port}", describe_bind_error(exc)
                ) from exc

    async def _start_one(self, name: str) -> None:
        if name == "bridge":
            await self._start_bridge()
            return
        factory: Callable[[], web.Application]
        if name == "ebs":
            if self._own_helix:
                self.config = self.config.with_overrides(helix_base_url=self.url("helix"))
            factory = functools.partial(create_app, self.config, clock=self.clock)
            detail = (
                "external database"
                if self.config.database_url
                else f"embedded PostgreSQL in {self.config.data_dir}"
            )
        elif name == "wow":
            factory = functools.partial(create_simulator, self._simulator_settings)
            detail = f"chat log {self.chat_log}"
        else:
            settings = self._mock_settings[name]
            if self._own_backend.get(name):
                settings = dataclasses.replace(settings, backend_base_url=self.url("ebs"))
                self._mock_settings[name] = settings
            factory = functools.partial(MOCKS[name].create_app, settings)
            backend = getattr(settings, "backend_base_url", None)
            detail = f"backend {backend}" if backend else ""
        await self._start_http(name, factory, detail)

    async def _start_http(self, name: str, factory: Callable[[], web.Application], detail: str) -> None:
        info = self.services[name]
        info.status = "starting"
        assert info.port is not None
        try:
            app = factory()
            app.middlewares.insert(0, access_logger(name))
            runner, port = await _listen(app, self.host, info.port, name)
        except StackStartError:
            info.status = "failed"
            raise
        except Exception as exc:
            info.status = "failed"
            raise StackStartError(name, info.component, f"{self.host}:{info.port}", str(exc)) from exc
        self._runners.append((name, runner))
        info.port = port
        info.url = base_url(self._dial, port)
        info.detail = detail
        await self._wait_ready(info)
        info.status = "ready"
        log.info("ready", extra={SERVICE_FIELD: name, "url": info.url})

    async def _wait_ready(self, info: ServiceInfo) -> None:
        assert self._http is not None and info.url is not None
        path = SPECS[info.name].health_path
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.ready_timeout
        last = "no answer"
        while True:
            try:
                async with self._http.get(info.url + str(path)) as answer:
                    if answer.status == 200:
                        return
                    last = f"{path} answered {answer.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                last = f"{path}: {exc or type(exc).__name__}"
            if loop.time() >= deadline:
                info.status = "failed"
                raise StackStartError(
                    info.name,
                    info.component,
                    f"{self.host}:{info.port}",
                    f"not ready within {self.options.ready_timeout:g} s ({last})",
                )
            await asyncio.sleep(0.05)

    async def _start_bridge(self) -> None:
        info = self.services["bridge"]
        info.status = "starting"
        try:
            self._bridge_config = self._desktop_config()
            self._bridge = BridgeRunner(self._bridge_config, clock=self.clock)
            await self._bridge.start()
            game = await self._bridge.game_ready()
        except Exception as exc:
            info.status = "failed"
            raise StackStartError("bridge", info.component, None, str(exc)) from exc
        config = self._bridge_config
        info.url = None
        info.status = "running"
        info.detail = f"EBS {config.ebs_url}, injector {config.injector}" + (
            f" ({'game ready' if game else 'game not reachable'})" if game is not None else ""
        )
        log.info("running", extra={SERVICE_FIELD: "bridge", "ebs": config.ebs_url, "game_ready": game})

    async def wait(self, stop: asyncio.Event) -> str | None:
        """Return when ``stop`` is set (``None``) or a service ends by itself (its name)."""
        waits: dict[asyncio.Future[Any], str | None] = {asyncio.ensure_future(stop.wait()): None}
        if self._bridge is not None and self._bridge.task is not None:
            waits[self._bridge.task] = "bridge"
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for future in waits:
            if future not in done and waits[future] is None:
                future.cancel()
        ended = next((waits[f] for f in done if waits[f] is not None), None)
        if ended is not None:
            self.services[ended].status = "failed"
            log.error("a service stopped by itself", extra={SERVICE_FIELD: ended})
        return ended

    async def stop(self) -> None:
        """Stop everything that runs, newest first; safe to call more than once."""
        if self._bridge is not None:
            bridge, self._bridge = self._bridge, None
            await _quietly(bridge.stop(), "bridge")
            self._mark_stopped("bridge")
        while self._runners:
            name, runner = self._runners.pop()
            await _quietly(runner.cleanup(), name)
            self._mark_stopped(name)
        if self._http is not None:
            http, self._http = self._http, None
            await http.close()

    def _mark_stopped(self, name: str) -> None:
        info = self.services[name]
        if info.status != "failed":
            info.status = "stopped"
        log.info("stopped", extra={SERVICE_FIELD: name})


def format_table(services: Iterable[ServiceInfo]) -> str:
    """The services as an aligned text table: service, component, URL, status and detail."""
    rows = [("SERVICE", "COMPONENT", "URL", "STATUS", "")]
    rows += [(s.name, s.component, s.url or "-", s.status, s.detail) for s in services]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        (
            "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)) + "  " + row[4]
        ).rstrip()
        for row in rows
    )
