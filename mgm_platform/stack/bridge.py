"""The Desktop bridge as a service of the current event loop (``mgm desktop`` and the stack).

:class:`BridgeRunner` assembles a :class:`mgm_wow.bridge.DesktopBridge` from a
:class:`mgm_wow.bridge.config.DesktopConfig` (the ``MGM_DESKTOP_*`` settings of
``python -m mgm_wow.bridge``), runs its loop as a task and stops it cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from mgm_core.clock import Clock
from mgm_wow.bridge.config import DesktopConfig, build_bridge

log = logging.getLogger("mgm_platform.stack.bridge")

# `mgm desktop` flags and the variables they stand for: a flag is the variable, set for this run.
FLAG_VARIABLES: dict[str, str] = {
    "ebs_url": "MGM_DESKTOP_EBS_URL",
    "api_key": "MGM_DESKTOP_API_KEY",
    "chat_log": "MGM_DESKTOP_CHAT_LOG",
    "wow_dir": "MGM_DESKTOP_WOW_DIR",
    "state_dir": "MGM_DESKTOP_STATE_DIR",
    "injector": "MGM_DESKTOP_INJECTOR",
    "simulator_url": "MGM_DESKTOP_SIMULATOR_URL",
}


def with_flags(environ: Mapping[str, str], flags: Mapping[str, str | None]) -> dict[str, str]:
    """``environ`` plus the ``MGM_DESKTOP_*`` variables the given flags stand for."""
    merged = dict(environ)
    for name, value in flags.items():
        if value is not None:
            merged[FLAG_VARIABLES[name]] = value
    return merged


class BridgeRunner:
    """One :class:`DesktopBridge` loop on the running event loop.

    ``clock`` is the bridge's notion of now (the stack shares the EBS's virtual
    clock with it; ``mgm desktop`` passes the system clock). Required.
    """

    def __init__(self, config: DesktopConfig, *, clock: Clock) -> None:
        self.config = config
        self.bridge = build_bridge(config, clock=clock)
        self._stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the loop; returns at once (the first tick and polls run in the background)."""
        if self.task is not None:
            raise RuntimeError("the bridge is already running")
        self.task = asyncio.create_task(self.bridge.run(self._stop), name="mgm-desktop-bridge")
        log.info(
            "bridge started",
            extra={
                "ebs": self.config.ebs_url,
                "chat_log": str(self.config.chat_log.absolute()),
                "injector": self.config.injector,
                "state_dir": str(self.config.state_dir),
            },
        )

    async def game_ready(self) -> bool | None:
        """Whether the injector sees the game (``None`` when it cannot tell)."""
        ready = getattr(self.bridge.injector, "ready", None)
        return None if ready is None else bool(await ready())

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop the loop (interrupting a call waiting out its retries) and close its connections."""
        self._stop.set()
        task = self.task
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if task is not None and task.done() and not task.cancelled() and task.exception() is not None:
            log.error("bridge loop failed", exc_info=task.exception())
        await self.bridge.ebs.close()
        close = getattr(self.bridge.injector, "close", None)
        if close is not None:
            await close()
