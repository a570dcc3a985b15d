"""``python -m mgm_wow.bridge``: run the Desktop bridge until interrupted (settings: ``MGM_DESKTOP_*``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from mgm_core.clock import SystemClock
from mgm_wow.bridge.config import DesktopConfig, DesktopConfigError, build_bridge


async def _serve(config: DesktopConfig) -> None:
    # A real Desktop runs on the machine's time; scenarios hand the bridge their own clock.
    bridge = build_bridge(config, clock=SystemClock())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    logging.getLogger("mgm_wow.bridge").info(
        "bridge: EBS %s, chat log %s, injector %s",
        config.ebs_url,
        config.chat_log.absolute(),
        config.injector,
    )
    try:
        await bridge.run(stop)
    finally:
        await bridge.ebs.close()
        close = getattr(bridge.injector, "close", None)
        if close is not None:
            await close()


def main() -> int:
    """Entry point; returns the process exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = DesktopConfig.from_env()
    except DesktopConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not config.api_key:
        print("error: MGM_DESKTOP_API_KEY (or MGM_API_KEY) must be set", file=sys.stderr)
        return 2
    asyncio.run(_serve(config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
