"""The foreground commands: ``mgm stack up`` and ``mgm desktop``.

Both run until SIGINT or SIGTERM, stop everything they started, and return a
process exit code: 0 after a signalled stop, 1 when something failed to start
or stopped by itself, 2 for a configuration error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from mgm_core.clock import SystemClock
from mgm_platform import stackfile
from mgm_platform.stack import logs
from mgm_platform.stack.bridge import BridgeRunner, with_flags
from mgm_platform.stack.orchestrator import Stack, format_table
from mgm_platform.stack.plan import StackConfigError, StackOptions, StackStartError

log = logging.getLogger("mgm_platform.stack")


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Not available on Windows: there Ctrl-C cancels the main task, whose cleanup still runs.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)


def stack_up(options: StackOptions, *, log_level: str = "INFO", out: TextIO | None = None) -> int:
    """Run the whole stack in the foreground; returns the exit code."""
    out = out or sys.stdout
    try:
        stack = Stack(options)
    except StackConfigError as exc:
        print(f"mgm stack: configuration error: {exc}", file=sys.stderr)
        return 2
    logs.configure(log_level, secrets=stack.secrets(), stream=out)
    return asyncio.run(_run_stack(stack, out))


async def _run_stack(stack: Stack, out: TextIO) -> int:
    stop = asyncio.Event()
    _stop_on_signals(stop)
    recorded: Path | None = None
    try:
        try:
            # A signal during start-up is honoured once start-up ends: cancelling it half-way
            # could strand the embedded PostgreSQL the EBS is booting.
            await stack.start()
        except (StackStartError, StackConfigError) as exc:
            print(f"mgm stack: {exc}", file=sys.stderr, flush=True)
            return 1
        print("\n" + format_table(stack.services.values()) + "\n", file=out, flush=True)
        recorded = _record(stack)
        print(f"mgm stack: services recorded in {recorded} (for `pytest --mgm-profile stack`)", file=out)
        if stop.is_set():
            return 0
        print("mgm stack: all services up; press Ctrl-C to stop", file=out, flush=True)
        ended = await stack.wait(stop)
        if ended is not None:
            print(f"mgm stack: {ended} stopped by itself; stopping the others", file=sys.stderr, flush=True)
            return 1
        return 0
    finally:
        if recorded is not None:  # only ours: a failed start must not remove a running stack's file
            recorded.unlink(missing_ok=True)
        await stack.stop()
        print("mgm stack: stopped", file=out, flush=True)


def _record(stack: Stack) -> Path:
    """Write stack.json into the stack's data directory: URLs, the clock, the development secrets."""
    urls = {name: info.url for name, info in stack.services.items() if info.url}
    config = stack.config
    secrets = {
        "apiKey": config.api_key,
        "eventsubSecret": config.eventsub_secret,
        "extensionSecret": config.extension_secret,
        "extensionClientId": config.extension_client_id,
        "broadcasterId": config.broadcaster_id,
        "broadcasterToken": config.broadcaster_token,
        "helixClientId": config.helix_client_id,
    }
    bridge = stack.settings("bridge")
    return stackfile.write(
        config.data_dir,
        urls,
        virtual_clock=config.virtual_clock,
        secrets=secrets,
        bridge_injector=getattr(bridge, "injector", None),
    )


def desktop(
    flags: Mapping[str, str | None],
    *,
    log_level: str = "INFO",
    environ: Mapping[str, str] | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the Desktop bridge in the foreground; ``flags`` stand for ``MGM_DESKTOP_*`` variables."""
    from mgm_wow.bridge.config import DesktopConfig, DesktopConfigError

    err = err or sys.stderr
    try:
        config = DesktopConfig.from_env(with_flags(os.environ if environ is None else environ, flags))
    except DesktopConfigError as exc:
        print(f"mgm desktop: configuration error: {exc}", file=sys.stderr)
        return 2
    if not config.api_key:
        print(
            "mgm desktop: configuration error: the Desktop API key is not set "
            "(MGM_DESKTOP_API_KEY, MGM_API_KEY or --api-key)",
            file=sys.stderr,
        )
        return 2
    logs.configure(log_level, secrets=(config.api_key,), stream=err)
    return asyncio.run(_run_desktop(BridgeRunner(config, clock=SystemClock())))


async def _run_desktop(runner: BridgeRunner) -> int:
    stop = asyncio.Event()
    _stop_on_signals(stop)
    await runner.start()
    assert runner.task is not None
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({stopped, runner.task}, return_when=asyncio.FIRST_COMPLETED)
        if not stop.is_set():
            log.error("the bridge loop ended by itself")
            return 1
        return 0
    finally:
        stopped.cancel()
        await runner.stop()
        logging.getLogger("mgm_platform.stack.bridge").info("bridge stopped")
