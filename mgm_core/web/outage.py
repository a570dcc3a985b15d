"""Database outages on the wire: idempotent reads retry once, then every route answers 503.

:func:`read_retry_middleware` sits innermost (after authentication and rate
limiting, so a retry is not counted twice): a ``GET``/``HEAD`` whose handler
hit a dead pooled connection runs once more on a fresh one, which is how a
terminated backend goes unnoticed by readers. Writes are never replayed here;
the client's retry (idempotent by design) decides. :func:`outage_refusal` is
what the error middleware answers for an outage that remains.
"""

from __future__ import annotations

import logging

from aiohttp import web

from mgm_core.errors import ErrorCode, Refusal
from mgm_core.store.outage import RETRY_AFTER_SECONDS, is_outage
from mgm_core.web.access import Handler

log = logging.getLogger("mgm_core.web")

IDEMPOTENT_READS = frozenset({"GET", "HEAD"})


@web.middleware
async def read_retry_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in IDEMPOTENT_READS:
        return await handler(request)
    try:
        return await handler(request)
    except Exception as error:
        if not is_outage(error):
            raise
        log.warning(
            "database connection lost during a read; retrying once",
            extra={"path": request.path, "error": type(error).__name__},
        )
        return await handler(request)


def outage_refusal(request: web.Request, error: BaseException) -> Refusal:
    log.error(
        "database unavailable",
        extra={"method": request.method, "path": request.path, "error": type(error).__name__},
    )
    return Refusal(
        ErrorCode.SERVICE_UNAVAILABLE,
        "the database is unavailable; try again shortly",
        {"database": "unavailable"},
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
