"""Routing with case-insensitive paths, as the seed's host did (ebs-contract.md §0)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from aiohttp.abc import AbstractMatchInfo
from aiohttp.web_urldispatcher import MatchInfoError


class CaseInsensitiveRouter(web.UrlDispatcher):
    """Matches the path as sent, then, if nothing matched, its lower-case form.

    Every route of the EBS is lower case and path parameters are UUIDs, whose
    hex digits compare in any case, so lower-casing never changes a match.

    A path that is a literal route of the table (``/api/payouts/claim``) is never
    taken by a template that also matches it (``/api/payouts/{id}``): another
    method on it is ``405`` with the literal route's methods, not the template's
    ``404`` for an id that is not a UUID.
    """

    def __init__(self, literal_methods: Callable[[str], list[str]] = lambda path: []) -> None:
        super().__init__()
        self._literal_methods = literal_methods

    async def resolve(self, request: web.Request) -> AbstractMatchInfo:
        match = await super().resolve(request)
        path = request.rel_url.path
        if isinstance(match.http_exception, web.HTTPNotFound) and path != path.lower():
            lowered = request.clone(rel_url=request.rel_url.with_path(path.lower()))
            alternative = await super().resolve(lowered)
            if not isinstance(alternative.http_exception, web.HTTPNotFound):
                match = alternative
        allowed = self._literal_methods(path)
        if allowed and request.method not in allowed:
            return MatchInfoError(web.HTTPMethodNotAllowed(request.method, allowed))
        return match
