"""The EBS application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
import warnings
from collections.abc import AsyncIterator, Sequence
from functools import partial

import aiohttp
from aiohttp import web

from mgm_core.clock import Clock, SystemClock, VirtualClock
from mgm_core.config import Config, LiveConfig
from mgm_core.db.embedded import embedded_database
from mgm_core.domain.rate_limit import FixedWindowLimiter
from mgm_core.notifications import Notifier, channels_by_name
from mgm_core.plugins.context import PluginContext
from mgm_core.plugins.manager import call_all, create_plugin_manager
from mgm_core.scheduler import RouletteScheduler
from mgm_core.security.token_cache import VerifiedTokens
from mgm_core.store import roulette as roulette_store
from mgm_core.store.database import Database
from mgm_core.store.shared_reads import SharedReads
from mgm_core.web import keys, openapi
from mgm_core.web.access import access_middleware
from mgm_core.web.api_docs import add_docs_routes
from mgm_core.web.chat_tally import ChatTally
from mgm_core.web.errors import error_middleware
from mgm_core.web.outage import read_retry_middleware
from mgm_core.web.router import CaseInsensitiveRouter
from mgm_core.web.routes import add_routes, described_routes, literal_methods

log = logging.getLogger("mgm_core.app")


def create_app(
    config: Config,
    *,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    plugins: Sequence[object] = (),
) -> web.Application:
    """Build the EBS: routes, middlewares, and the resources it opens on start-up.

    ``clock`` overrides the configured one (tests inject a :class:`VirtualClock`);
    ``rng`` the draw's randomness (the system's by default); ``plugins`` are
    registered after the ``mgm`` entry points (tests' inline plugins).
    """
    if clock is None:
        # A served EBS with MGM_CLOCK=virtual starts its virtual time at MGM_CLOCK_START, else
        # at the machine's time (said explicitly: a virtual clock has no default start).
        start = config.clock_start or SystemClock().now()
        clock = VirtualClock(start) if config.virtual_clock else SystemClock()
    with warnings.catch_warnings():
        # aiohttp marks a custom router as deprecated but still supports it; it is
        # how paths stay case-insensitive for the seed's clients.
        warnings.simplefilter("ignore", DeprecationWarning)
        app = web.Application(
            router=CaseInsensitiveRouter(literal_methods),
            middlewares=[error_middleware, access_middleware, read_retry_middleware],
            client_max_size=config.max_body_bytes,
        )
    app[keys.CONFIG] = config
    app[keys.SETTINGS] = LiveConfig(config)
    app[keys.CLOCK] = clock
    app[keys.EXTENSION_LIMITER] = FixedWindowLimiter(config.rate_limit, clock)
    app[keys.DESKTOP_LIMITER] = FixedWindowLimiter(config.desktop_rate_limit, clock)
    app[keys.VERIFIED_TOKENS] = VerifiedTokens(config.extension_key)
    app[keys.CHAT_TALLY] = ChatTally(logging.getLogger("mgm_core.eventsub"))
    app[keys.OPENAPI] = openapi.build(described_routes(config))
    add_routes(app)
    add_docs_routes(app, config)
    app[keys.RNG] = rng or random.SystemRandom()
    manager = create_plugin_manager(allow=config.plugins, deny=config.disabled_plugins, extra=plugins)
    app[keys.PLUGINS] = manager
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_plugins)
    app.cleanup_ctx.append(_scheduler)
    app.on_shutdown.append(_flush_chat_tally)
    manager.hook.mgm_app_created(app=app, config=config)
    for name in config.dev_only_settings_ignored():
        log.warning("development-only setting ignored in production", extra={"variable": name})
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    config = app[keys.CONFIG]
    async with embedded_database(config) as dsn:
        database = await Database.open(dsn)
        app[keys.DATABASE] = database
        app[keys.STATE_READS] = SharedReads(partial(roulette_store.pool_and_cycle, database))
        try:
            yield
        finally:
            await database.close()


async def _plugins(app: web.Application) -> AsyncIterator[None]:
    """The outbound HTTP session, the plugin context, channels, and the outbox sweep at start-up."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        context = PluginContext(config=app[keys.SETTINGS], clock=app[keys.CLOCK], http=http)
        app[keys.PLUGIN_CONTEXT] = context
        manager = app[keys.PLUGINS]
        channels = channels_by_name(await call_all(manager.hook.mgm_notification_channels, context=context))
        notifier = Notifier(app[keys.DATABASE], manager, context, channels, uuid.uuid4().hex[:12])
        app[keys.NOTIFIER] = notifier
        log.info("notification channels", extra={"channels": sorted(channels)})
        # Rows a crashed process committed but never claimed are delivered now, and
        # leases it held that ran out are resolved (redelivered or marked uncertain).
        await notifier.sweep()
        yield


async def _flush_chat_tally(app: web.Application) -> None:
    app[keys.CHAT_TALLY].flush(app[keys.CLOCK].now())


async def _scheduler(app: web.Application) -> AsyncIterator[None]:
    notifier = app[keys.NOTIFIER]
    scheduler = RouletteScheduler(
        app[keys.DATABASE],
        app[keys.CLOCK],
        app[keys.RNG],
        observe=notifier.observe,
        sweep_outbox=notifier.sweep,
        recover_outbox=notifier.recover,
    )
    app[keys.SCHEDULER] = scheduler
    task = asyncio.create_task(scheduler.run(), name="mgm-roulette-scheduler")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
