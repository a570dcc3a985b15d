"""The seed WoWMock's diagnostics file (``WriteDiagnosticsToFile`` / ``DiagnosticsLogPath``).

When the setting is on, the simulator's own log records (``mgm_wow.*``) and one
line per answered request are appended to the file, as the seed's WoWMock
writes its diagnostics there; the chat log is untouched.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from mgm_wow.settings import SimulatorSettings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER = web.AppKey("mgm_wow.diagnostics_handler", logging.Handler)
request_log = logging.getLogger("mgm_wow.requests")


def install(app: web.Application, settings: SimulatorSettings) -> None:
    """Write diagnostics to ``settings.diagnostics_log_path`` while ``app`` runs (if enabled)."""
    if not settings.write_diagnostics_to_file:
        return

    async def diagnostics(app: web.Application) -> AsyncIterator[None]:
        path = settings.diagnostics_log_path.absolute()
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.setLevel(logging.INFO)
        logger = logging.getLogger("mgm_wow")
        previous = logger.level
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        app[_HANDLER] = handler
        logger.info("diagnostics to %s; chat log %s", path, settings.log_path)
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(previous)
            handler.close()

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        request_log.info("%s %s -> %d", request.method, request.path_qs, response.status)

    app.cleanup_ctx.append(diagnostics)
    app.on_response_prepare.append(on_prepare)
