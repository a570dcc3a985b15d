"""``mgm outbox list|redeliver|abandon``: an operator's view of the notification outbox.

A delivery ends ``uncertain`` when its process died mid-attempt on a channel
that cannot deduplicate (Helix chat): the message may or may not have reached
chat. The operator checks chat and either redelivers it (back to ``pending``;
the next sweep — start-up or hourly — sends it) or abandons it. The commands
talk to the database named by ``MGM_DATABASE_URL`` (or the embedded one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from mgm_core.config import Config, ConfigError
from mgm_core.store import outbox
from mgm_core.store.database import Database

T = TypeVar("T")
STATUSES = ("pending", "claimed", "uncertain", "failed", "skipped", "delivered", "abandoned")


def add_parser(sub: Any) -> None:
    """Register ``mgm outbox`` on the ``mgm`` sub-command parsers."""
    parser = sub.add_parser("outbox", help="list, redeliver or abandon notification deliveries")
    commands = parser.add_subparsers(dest="outbox_command", required=True)
    listing = commands.add_parser("list", help="open deliveries (pending, claimed, uncertain) by default")
    listing.add_argument("--status", action="append", choices=STATUSES, help="repeat to show several")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=_list)
    for name, func, text in (
        ("redeliver", _redeliver, "send an uncertain or failed delivery again (next sweep)"),
        ("abandon", _abandon, "never send an uncertain, failed or pending delivery"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("payout_id", type=uuid.UUID, help="the payout's id")
        command.add_argument("channel", help="the channel name, as `mgm outbox list` shows it")
        command.set_defaults(func=func)


def _with_database(command: str, work: Callable[[Database], Awaitable[T]]) -> T | None:
    from mgm_core.db.embedded import embedded_database

    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"mgm outbox {command}: configuration error: {exc}", file=sys.stderr)
        return None

    async def run() -> T:
        async with embedded_database(config) as dsn:
            database = await Database.open(dsn, min_size=1, max_size=1)
            try:
                return await work(database)
            finally:
                await database.close()

    return asyncio.run(run())


def _row(delivery: outbox.Delivery) -> dict[str, Any]:
    return {
        "payoutId": str(delivery.payout_id),
        "channel": delivery.channel,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "claimedBy": delivery.claimed_by,
        "leaseUntil": delivery.lease_until.isoformat() if delivery.lease_until else None,
        "createdAt": delivery.created_at.isoformat() if delivery.created_at else None,
        "detail": delivery.detail,
    }


def _list(args: argparse.Namespace) -> int:
    statuses = tuple(args.status or outbox.OPEN)
    rows = _with_database("list", lambda db: outbox.list_deliveries(db, statuses))
    if rows is None:
        return 2
    if args.json:
        print(json.dumps([_row(d) for d in rows], indent=2))
        return 0
    print(f"{'payout':<36}  {'channel':<16} {'status':<10} {'tries':>5}  detail")
    for d in rows:
        print(f"{d.payout_id!s:<36}  {d.channel:<16} {d.status:<10} {d.attempts:>5}  {d.detail or ''}")
    return 0


def _redeliver(args: argparse.Namespace) -> int:
    found = _with_database("redeliver", lambda db: outbox.redeliver(db, args.payout_id, args.channel))
    return _report("redeliver", args, found, "pending: the next sweep (start-up or hourly) sends it")


def _abandon(args: argparse.Namespace) -> int:
    # The operator's wall-clock time: this command is not driven by the EBS's (virtual) clock.
    now = datetime.now(UTC)
    found = _with_database("abandon", lambda db: outbox.abandon(db, args.payout_id, args.channel, now))
    return _report("abandon", args, found, "abandoned: it will never be sent")


def _report(command: str, args: argparse.Namespace, found: outbox.Delivery | None, done: str) -> int:
    if found is None:
        print(
            f"mgm outbox {command}: no delivery of payout {args.payout_id} to {args.channel!r} "
            "in a state this command changes (see `mgm outbox list --status ...`)",
            file=sys.stderr,
        )
        return 1
    print(f"{found.payout_id} {found.channel}: {done}")
    return 0
