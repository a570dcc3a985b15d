"""After-commit work: reward-sent notifications through the outbox, and transition observers.

Every channel gets one outbox row in the transaction that commits ``Sent``.
:meth:`Notifier.deliver` claims rows (atomically, with a lease) and calls the
channels; a failed delivery is recorded and logged, never raised to the
caller. :meth:`Notifier.recover` takes rows whose lease ran out (their
process died mid-attempt): an idempotent channel's is delivered again with the
same delivery id, any other's becomes ``uncertain`` — never silently lost.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from mgm_core.domain.payouts import Transition
from mgm_core.plugins.context import (
    DeliveryFailed,
    DeliverySkipped,
    NotificationChannel,
    PluginContext,
    RewardSentNotification,
)
from mgm_core.plugins.manager import PluginManager, call_all
from mgm_core.store import outbox, payouts
from mgm_core.store.database import Database
from mgm_core.texts import reward_sent_announcement

log = logging.getLogger("mgm_core.notifications")


def channels_by_name(found: list[object]) -> dict[str, NotificationChannel]:
    """Flatten the ``mgm_notification_channels`` results; names must be unique."""
    channels: dict[str, NotificationChannel] = {}
    for result in found:
        for channel in result if isinstance(result, list | tuple) else [result]:
            if not isinstance(channel, NotificationChannel):
                raise TypeError(f"not a notification channel (needs name and deliver): {channel!r}")
            if channel.name in channels:
                raise ValueError(f"two notification channels are named {channel.name!r}")
            channels[channel.name] = channel
    return channels


@dataclass
class Notifier:
    database: Database
    plugins: PluginManager
    context: PluginContext
    channels: dict[str, NotificationChannel]
    instance: str

    async def observe(self, transition: Transition) -> None:
        """Tell every ``mgm_payout_transition`` observer about a committed change."""
        await call_all(self.plugins.hook.mgm_payout_transition, transition=transition, context=self.context)

    @property
    def idempotent_channels(self) -> list[str]:
        return [
            name for name, channel in self.channels.items() if getattr(channel, "idempotent", False) is True
        ]

    async def deliver(self, payout_id: uuid.UUID | None = None) -> None:
        """Claim and deliver pending outbox rows: one payout's, or all of them (the sweeper)."""
        claimed = await outbox.claim(
            self.database, self.channels, self.context.clock.now(), self.instance, payout_id
        )
        await asyncio.gather(*(self._deliver_one(delivery) for delivery in claimed))

    async def recover(self) -> None:
        """Take deliveries whose lease expired: redeliver idempotent ones, mark the rest uncertain."""
        again, settled = await outbox.recover_expired(
            self.database, self.channels, self.idempotent_channels, self.context.clock.now(), self.instance
        )
        for delivery in settled:
            fields = {"payout_id": str(delivery.payout_id), "channel": delivery.channel}
            log.warning(
                "notification lease expired",
                extra={**fields, "status": delivery.status, "attempts": delivery.attempts},
            )
        for delivery in again:
            log.info(
                "notification lease expired; redelivering",
                extra={"payout_id": str(delivery.payout_id), "channel": delivery.channel},
            )
        await asyncio.gather(*(self._deliver_one(delivery) for delivery in again))

    async def sweep(self) -> None:
        """Expired leases first, then rows nobody claimed (start-up and the hourly sweep)."""
        await self.recover()
        await self.deliver()

    async def _deliver_one(self, delivery: outbox.Delivery) -> None:
        channel = self.channels[delivery.channel]
        fields = {"payout_id": str(delivery.payout_id), "channel": delivery.channel}
        async with self.database.connection() as conn:
            payout = await payouts.get(conn, delivery.payout_id)
        assert payout is not None  # outbox rows reference payouts
        notification = RewardSentNotification(
            payout_id=str(payout.id),
            twitch_user_id=payout.twitch_user_id,
            twitch_display_name=payout.twitch_display_name,
            character_name=payout.character_name,
            gold_amount=payout.gold_amount,
            message=reward_sent_announcement(payout.character_name),
            delivery_id=str(delivery.delivery_id or ""),
        )
        status, detail = "delivered", None
        try:
            await channel.deliver(notification, self.context)
        except DeliverySkipped as skipped:
            status, detail = "skipped", str(skipped)
            log.warning("notification skipped", extra={**fields, "reason": detail})
        except DeliveryFailed as failed:
            status, detail = "failed", str(failed)
            log.error(
                "notification failed", extra={**fields, "reason": detail, "permanent": failed.permanent}
            )
        except Exception as error:  # a plugin bug must not break the PATCH
            status, detail = "failed", f"{type(error).__name__}: {error}"
            log.exception("notification channel raised", extra=fields)
        else:
            log.info("notification delivered", extra=fields)
        await outbox.finish(
            self.database,
            delivery,
            status,
            self.context.clock.now(),
            detail,
            announced_to_chat=status == "delivered" and getattr(channel, "announces_to_twitch_chat", False),
        )
