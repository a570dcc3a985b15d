"""Routing with case-insensitive paths, as the seed's host did (ebs-contract.md §0)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.abc import AbstractMatchInfo


class CaseInsensitiveRouter(web.UrlDispatcher):
    """Matches the path as sent, then, if nothing matched, its lower-case form.

    Every route of the EBS is lower case and path parameters are UUIDs, whose
    hex digits compare in any case, so lower-casing never changes a match.
    """

    async def resolve(self, request: web.Request) -> AbstractMatchInfo:
        match = await super().resolve(request)
        path = request.rel_url.path
        if isinstance(match.http_exception, web.HTTPNotFound) and path != path.lower():
            lowered = request.clone(rel_url=request.rel_url.with_path(path.lower()))
            alternative = await super().resolve(lowered)
            if not isinstance(alternative.http_exception, web.HTTPNotFound):
                return alternative
        return match
