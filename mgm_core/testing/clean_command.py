"""``mgm clean``: remove the databases and embedded clusters killed test runs left behind."""

from __future__ import annotations

import argparse
import os
import sys

from mgm_core.testing.leftovers import DEFAULT_MAX_AGE_S, clean_all

SERVER_ENV = ("MGM_TEST_DATABASE_URL", "MGM_DATABASE_URL")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "clean",
        help="remove test databases and embedded clusters that killed test runs left behind",
        epilog="Servers: --database-url, else MGM_TEST_DATABASE_URL and MGM_DATABASE_URL. "
        "A live run's data is never touched: local runs are judged by owner pid and start time, "
        "other machines' by age (--older-than).",
    )
    parser.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    parser.add_argument(
        "--database-url", action="append", default=None, metavar="DSN", help="server to clean (repeatable)"
    )
    parser.add_argument("--no-clusters", action="store_true", help="leave local embedded clusters alone")
    parser.add_argument(
        "--older-than",
        type=float,
        default=DEFAULT_MAX_AGE_S / 3600,
        metavar="HOURS",
        help="age beyond which another machine's or an unstamped leftover is removed (default 24)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.older_than <= 0:
        print("mgm clean: --older-than must be positive", file=sys.stderr)
        return 2
    servers = args.database_url or [v for v in (os.environ.get(n, "").strip() for n in SERVER_ENV) if v]
    result = clean_all(
        servers, clusters=not args.no_clusters, max_age=args.older_than * 3600, dry_run=args.dry_run
    )
    verb = "would remove" if args.dry_run else "removed"
    for item in result.removed:
        print(f"{verb} {item.describe()}")
    for line in result.failed:
        print(f"mgm clean: could not clean {line}", file=sys.stderr)
    if not servers:
        print("mgm clean: no server named (MGM_TEST_DATABASE_URL, MGM_DATABASE_URL); databases not checked")
    return 1 if result.failed else 0
