"""The EBS's hook specifications: every hook a plugin may implement.

Hooks are grouped by the moment they are called. Every hook name carries the
``mgm_`` prefix. An implementation may be a plain function or ``async def``:
the host awaits whatever it returns. Implementations that raise are logged
and skipped; they never break a request or another plugin (a raising
subscriber check counts as no opinion).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mgm_core.plugins.markers import hookspec

if TYPE_CHECKING:
    from aiohttp import web

    from mgm_core.config import Config
    from mgm_core.domain.payouts import Transition
    from mgm_core.plugins.context import (
        NotificationChannel,
        PluginContext,
        SubscriberCheckUnavailable,
        SubscriberQuery,
        SubscriberVerdict,
    )

# -------------------------------------------------------------------------
# Application set-up
# -------------------------------------------------------------------------


@hookspec
def mgm_app_created(app: web.Application, config: Config) -> None:
    """Called once when an EBS application is built, before it starts.

    Use it to contribute routes (``app.router.add_get(...)``), resources
    (``app.cleanup_ctx.append(...)``) or app state under your own
    ``web.AppKey``. Routes added here are not part of ``/openapi.json``; name
    them under a path of your own (``/plugins/<name>/...``).

    :param app: the application being built.
    :param config: its configuration.

    The return value is ignored.
    """


@hookspec
def mgm_notification_channels(context: PluginContext) -> list[NotificationChannel] | None:
    """Called once per EBS instance at start-up to collect notification channels.

    Return the channels this plugin provides (objects with a unique ``name``
    and an async ``deliver(notification, context)``), or ``None``. Each
    enabled channel gets one delivery row in the same transaction that moves a
    payout to ``Sent``, and is then delivered at most once (see
    ``docs/plugins.md``, "Delivery guarantee").

    :param context: the instance's shared services (configuration, clock, HTTP session).

    All results are collected (not firstresult); channel names must be unique.
    """


# -------------------------------------------------------------------------
# Enrollment
# -------------------------------------------------------------------------


@hookspec(firstresult=True)
def mgm_check_subscriber(
    query: SubscriberQuery, context: PluginContext
) -> SubscriberVerdict | SubscriberCheckUnavailable | None:
    """Called to decide whether a viewer may join the pool as a channel subscriber.

    Called for every ``!twgold`` chat command that parsed (``query.source`` is
    ``"chat"`` and ``query.badges`` holds the message's badge set ids) and for
    every Extension claim with a valid body (``source`` is ``"claim"``, no
    badges) — unless the development bypass is on for claims.

    :param query: the viewer and where the request came from.
    :param context: the instance's shared services.

    Return one of three verdicts, or ``None`` for no opinion:

    * :attr:`SubscriberVerdict.ALLOW` — a subscriber;
    * :attr:`SubscriberVerdict.DENY` — not a subscriber (``403 not_subscriber``);
    * :class:`SubscriberCheckUnavailable` ``(reason, retry_after_seconds)`` —
      the source that knows (Twitch) cannot be asked now (401/403/429/5xx,
      unreachable, an unreadable answer). A claim is then answered
      ``503 subscriber_check_unavailable`` with ``Retry-After`` and
      ``details.reason``, never ``not_subscriber``; a chat message is ignored
      (its delivery is acknowledged, as for any refused chat enrollment).

    Stops at the first non-None result (firstresult); when every
    implementation answers ``None`` the viewer is refused (``not_subscriber``).
    """


# -------------------------------------------------------------------------
# Payouts
# -------------------------------------------------------------------------


@hookspec
def mgm_payout_transition(transition: Transition, context: PluginContext) -> None:
    """Called after every committed payout status change.

    Called once per change, after its transaction committed: the Desktop's
    PATCH moves and the 24 h expiry sweep. A PATCH to the status a payout
    already has changes nothing and calls nothing. Observers run after the
    change is durable, so they can never undo it; a raising observer is logged
    and the next one still runs.

    :param transition: the payout after the change, ``old_status``,
        ``new_status`` and the ``PayoutStatusChanged`` event that recorded it.
    :param context: the instance's shared services.

    The return value is ignored.
    """
