"""The Tier B Desktop/WoW stand-in: the WoW client simulator plus the Desktop bridge.

The simulator writes a real ``WoWChatLog.txt``; the bridge tails it, calls the
scenario's EBS over HTTP and types ``/run`` lines into the simulator. Steps
drive the bridge one operation at a time and let the simulator finish its
delayed reactions (``idle``) in between, so scenarios are deterministic.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from mgm_core.clock import Clock
from mgm_core.serving import BackgroundServer, EventLoopThread
from mgm_core.testing.http import loopback_client
from mgm_platform.evidence.exchanges import journaled
from mgm_wow.bridge.bridge import BridgeSettings, DesktopBridge, TagOutcome
from mgm_wow.bridge.ebs_client import EbsClient, RetryPolicy
from mgm_wow.bridge.injector import HttpSimulatorInjector
from mgm_wow.bridge.tail import ChatLogTail
from mgm_wow.settings import SimulatorSettings
from mgm_wow.simulator_app import SIMULATOR, create_app

FAST = {"command_processing_delay_ms": 5, "who_delay_ms": 5, "reply_delay_ms": 5, "mail_send_delay_ms": 5}


class DesktopStandIn:
    def __init__(self, workdir: Path, ebs_url: str, api_key: str, *, clock: Clock) -> None:
        self.workdir = workdir
        self.clock = clock  # the scenario's clock: the simulator stamps lines with it, the bridge compares
        self.log_path = workdir / "WoW" / "Logs" / "WoWChatLog.txt"
        settings = SimulatorSettings(log_file_path=self.log_path, api_port=0, clock=clock, **FAST)
        self._simulator = BackgroundServer(lambda: create_app(settings))
        self.simulator_url = self._simulator.start()
        self.simulator = loopback_client(self.simulator_url, timeout=10, **journaled())
        self._loop = EventLoopThread("mgm-desktop-bridge")
        self.ebs_url = ebs_url
        self.api_key = api_key
        self.outcomes: list[TagOutcome] = []  # what became of every tag the bridge handled
        self.bridge: DesktopBridge = self._loop.call(self._build)

    async def _build(self) -> DesktopBridge:
        state = self.workdir / "desktop"
        # Short retries: a scenario that stops the EBS must not wait 14 s per call.
        ebs = EbsClient(self.ebs_url, self.api_key, retry=RetryPolicy((0.05, 0.1)), timeout=5)
        tail = ChatLogTail(self.log_path, state / "tail-state.json")
        return DesktopBridge(
            ebs,
            HttpSimulatorInjector(self.simulator_url),
            tail,
            state_path=state / "bridge-state.json",
            settings=BridgeSettings(),
            clock=self.clock,
        )

    def rebuild(self, ebs_url: str | None = None, *, lose_state: bool = False) -> None:
        """Restart the bridge process, optionally against another EBS.

        State files are kept, unless ``lose_state`` (a reinstalled Desktop): then the new
        bridge reads the chat log from its start and remembers nothing it handled.
        """
        self._loop.call(self._close_bridge)
        if lose_state:
            shutil.rmtree(self.workdir / "desktop", ignore_errors=True)
        self.ebs_url = ebs_url or self.ebs_url
        self.bridge = self._loop.call(self._build)

    async def _close_bridge(self) -> None:
        await self.bridge.ebs.close()
        await self.bridge.injector.close()  # type: ignore[attr-defined]

    # -- the simulator -----------------------------------------------------------------
    def settle(self) -> None:
        """Wait until the simulator has printed everything it was about to print."""
        app = self._simulator.app
        assert app is not None
        simulator = app[SIMULATOR]
        self._simulator.call(simulator.idle)

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.simulator.request(method, path, **kwargs)
        answer.raise_for_status()
        return answer.json()

    def log_lines(self) -> list[str]:
        return list(self.admin("GET", "/api/wow/log")["lines"])

    # -- the bridge --------------------------------------------------------------------
    def run(self, operation: str) -> Any:
        """Run one bridge operation (``tick``, ``poll_candidate``, ``poll_pending``, ``sync``)."""
        result = self._loop.call(getattr(self.bridge, operation))
        if operation == "tick":
            self.outcomes.extend(result)
        self.settle()
        return result

    def mark(self, payout_id: str, status: str) -> None:
        """The Desktop's manual Mark Sent / Failed / Cancelled / Unlock."""
        self._loop.call(lambda: self.bridge.mark(payout_id, status))

    def catch_up(self, rounds: int = 4) -> None:
        """Let the simulator finish, then let the bridge read and act, until nothing new happens."""
        for _ in range(rounds):
            self.settle()
            outcomes = self._loop.call(self.bridge.tick)
            self.outcomes.extend(outcomes)
            if not outcomes and not self.bridge.outbox:
                break

    def close(self) -> None:
        try:
            self._loop.call(self._close_bridge)
        finally:
            self._loop.stop()
            self.simulator.close()
            self._simulator.stop()
