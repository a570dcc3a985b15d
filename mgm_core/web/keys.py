"""Typed keys for application and request state (no module-level singletons)."""

from __future__ import annotations

import random
from datetime import datetime

from aiohttp import web

from mgm_core.clock import Clock
from mgm_core.config import Config, LiveConfig
from mgm_core.domain.rate_limit import FixedWindowLimiter
from mgm_core.domain.roulette import SpinCycle
from mgm_core.notifications import Notifier
from mgm_core.plugins.context import PluginContext
from mgm_core.plugins.manager import PluginManager
from mgm_core.scheduler import RouletteScheduler
from mgm_core.security.extension_jwt import ExtensionIdentity
from mgm_core.security.token_cache import VerifiedTokens
from mgm_core.store.database import Database
from mgm_core.store.shared_reads import SharedReads
from mgm_core.web.chat_tally import ChatTally

CONFIG = web.AppKey("config", Config)  # the start-up configuration
# What requests act on: CONFIG, or a development change of it (POST /api/e2e/config).
SETTINGS = web.AppKey("settings", LiveConfig)
CLOCK = web.AppKey("clock", Clock)
DATABASE = web.AppKey("database", Database)
EXTENSION_LIMITER = web.AppKey("extension_limiter", FixedWindowLimiter)
DESKTOP_LIMITER = web.AppKey("desktop_limiter", FixedWindowLimiter)
OPENAPI = web.AppKey("openapi", dict)
RNG = web.AppKey("rng", random.Random)
SCHEDULER = web.AppKey("scheduler", RouletteScheduler)
PLUGINS = web.AppKey("plugins", PluginManager)
PLUGIN_CONTEXT = web.AppKey("plugin_context", PluginContext)
NOTIFIER = web.AppKey("notifier", Notifier)
VERIFIED_TOKENS = web.AppKey("verified_tokens", VerifiedTokens)
CHAT_TALLY = web.AppKey("chat_tally", ChatTally)
# /state's (participant count, current cycle) reads, shared by concurrent requests.
STATE_READS = web.AppKey("state_reads", SharedReads[datetime, tuple[int, SpinCycle | None]])


def config(app: web.Application) -> Config:
    """The configuration in force for this request (read it per request, never keep it)."""
    return app[SETTINGS].current


EXTENSION_IDENTITY = web.RequestKey("extension_identity", ExtensionIdentity)
