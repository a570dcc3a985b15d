"""Every error answer is JSON ``{"code","message","details"}`` — never HTML, never empty."""

from __future__ import annotations

import logging

from aiohttp import web

from mgm_core.errors import ErrorCode, Refusal
from mgm_core.store.outage import is_outage
from mgm_core.web.access import Handler
from mgm_core.web.outage import outage_refusal
from mgm_core.web.wire import json_response

log = logging.getLogger("mgm_core.web")

_BY_STATUS: dict[int, tuple[ErrorCode, str]] = {
    400: (ErrorCode.INVALID_PAYLOAD, "the request is malformed"),
    404: (ErrorCode.NOT_FOUND, "no such route"),
    405: (ErrorCode.METHOD_NOT_ALLOWED, "method not allowed on this route"),
    413: (ErrorCode.PAYLOAD_TOO_LARGE, "request body is too large"),
    415: (ErrorCode.UNSUPPORTED_MEDIA_TYPE, "unsupported content type"),
}


def refusal_response(refusal: Refusal) -> web.Response:
    return json_response(refusal.body(), status=refusal.status, headers=refusal.headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Refusal as refusal:
        if refusal.status >= 500:
            log.error("request refused", extra={"code": refusal.code.value, "path": request.path})
        return refusal_response(refusal)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code, message = _BY_STATUS.get(exc.status, (None, exc.reason))
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        if exc.status == 405:
            from mgm_core.web.routes import allowed_methods  # the route table, not the router's merge

            headers = (
                {"Allow": ",".join(allowed_methods(request.path))}
                if allowed_methods(request.path)
                else headers
            )
        body = {"code": code.value if code else f"http_{exc.status}", "message": message, "details": {}}
        return json_response(body, status=exc.status, headers=headers)
    except Exception as error:
        if is_outage(error):
            return refusal_response(outage_refusal(request, error))
        log.exception("unhandled error", extra={"method": request.method, "path": request.path})
        refusal = Refusal(ErrorCode.INTERNAL_ERROR, "internal error; the server log has details")
        return refusal_response(refusal)
