"""The EBS application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator

from aiohttp import web

from mgm_core.clock import Clock, SystemClock, VirtualClock
from mgm_core.config import Config
from mgm_core.db.embedded import embedded_database
from mgm_core.domain.rate_limit import FixedWindowLimiter
from mgm_core.scheduler import RouletteScheduler
from mgm_core.store.database import Database
from mgm_core.web import keys, openapi
from mgm_core.web.access import access_middleware
from mgm_core.web.errors import error_middleware
from mgm_core.web.routes import ROUTES, add_routes

log = logging.getLogger("mgm_core.app")


def create_app(
    config: Config, *, clock: Clock | None = None, rng: random.Random | None = None
) -> web.Application:
    """Build the EBS: routes, middlewares, and the resources it opens on start-up.

    ``clock`` overrides the configured one (tests inject a :class:`VirtualClock`);
    ``rng`` the draw's randomness (the system's by default).
    """
    if clock is None:
        clock = VirtualClock() if config.virtual_clock else SystemClock()
    app = web.Application(
        middlewares=[error_middleware, access_middleware], client_max_size=config.max_body_bytes
    )
    app[keys.CONFIG] = config
    app[keys.CLOCK] = clock
    app[keys.EXTENSION_LIMITER] = FixedWindowLimiter(config.rate_limit, clock)
    app[keys.DESKTOP_LIMITER] = FixedWindowLimiter(config.desktop_rate_limit, clock)
    app[keys.OPENAPI] = openapi.build(ROUTES)
    add_routes(app)
    app[keys.RNG] = rng or random.SystemRandom()
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_scheduler)
    for name in config.dev_only_settings_ignored():
        log.warning("development-only setting ignored in production", extra={"variable": name})
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    config = app[keys.CONFIG]
    async with embedded_database(config) as dsn:
        if config.database_url is None:
            log.info("embedded PostgreSQL started", extra={"data_dir": str(config.data_dir)})
        database = await Database.open(dsn)
        app[keys.DATABASE] = database
        try:
            yield
        finally:
            await database.close()


async def _scheduler(app: web.Application) -> AsyncIterator[None]:
    scheduler = RouletteScheduler(app[keys.DATABASE], app[keys.CLOCK], app[keys.RNG])
    app[keys.SCHEDULER] = scheduler
    task = asyncio.create_task(scheduler.run(), name="mgm-roulette-scheduler")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
