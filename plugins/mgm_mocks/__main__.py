"""``python -m mgm_mocks <name> [--host H] [--port P]``: run one mock in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import sys

from mgm_core.config import ConfigError
from mgm_core.serving import ListenError

from . import MOCKS, serve


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the mock and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m mgm_mocks", description=__doc__)
    parser.add_argument("name", choices=sorted(MOCKS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: the seed's port; 0 = any free port")
    args = parser.parse_args(argv)
    service = MOCKS[args.name]

    def started(port: int) -> None:
        print(f"{service.component} listening on http://{args.host}:{port}", flush=True)

    try:
        asyncio.run(serve(args.name, args.host, args.port, on_started=started))
    except ConfigError as exc:
        print(f"{service.component}: {exc}", file=sys.stderr)
        return 2
    except ListenError as exc:  # the port is taken, or the address is not ours
        print(f"{service.component}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
