"""Asking the ``mgm_check_subscriber`` hooks on behalf of a request."""

from __future__ import annotations

from aiohttp import web

from mgm_core.plugins.context import SubscriberCheckUnavailable, SubscriberQuery, SubscriberVerdict
from mgm_core.plugins.manager import first_result
from mgm_core.web import keys


async def check_subscriber(
    app: web.Application, query: SubscriberQuery
) -> SubscriberVerdict | SubscriberCheckUnavailable | None:
    """Ask the ``mgm_check_subscriber`` hooks (first answer wins; none means refuse)."""
    hook = app[keys.PLUGINS].hook.mgm_check_subscriber
    verdict = await first_result(hook, query=query, context=app[keys.PLUGIN_CONTEXT])
    if verdict is None or isinstance(verdict, SubscriberCheckUnavailable):
        return verdict
    return SubscriberVerdict(verdict)
