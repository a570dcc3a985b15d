"""One payout end to end: WoW client simulator ⇄ Desktop bridge ⇄ fake EBS, over real HTTP and a real log."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from mgm_core import texts
from mgm_wow import run_lines
from mgm_wow.bridge import BridgeSettings, ChatLogTail, DesktopBridge, EbsClient, HttpSimulatorInjector
from mgm_wow.settings import SimulatorSettings
from mgm_wow.simulator_app import create_app
from mgm_wow.testing import FakeEbs, eventually, serving

FAST = BridgeSettings(tail_interval=0.01, pending_poll_interval=0.02, candidate_poll_interval=0.02)


async def no_sleep(seconds: float) -> None:
    return None


@dataclass
class World:
    fake: FakeEbs
    game: aiohttp.ClientSession
    bridge: DesktopBridge

    async def game_get(self, path: str) -> Any:
        async with self.game.get(path) as response:
            assert response.status == 200
            return await response.json()

    async def game_send(self, method: str, path: str, body: Any = None) -> Any:
        async with self.game.request(method, path, json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()


@contextlib.asynccontextmanager
async def world(sim_settings: SimulatorSettings, tmp_path) -> AsyncIterator[World]:
    fake = FakeEbs()
    settings = sim_settings.with_overrides(roster=("Norinn-Icecrown",))
    async with (
        serving(create_app(settings)) as game_url,
        serving(fake.app()) as ebs_url,
        aiohttp.ClientSession(game_url) as game,
        EbsClient(ebs_url, fake.api_key, sleep=no_sleep, timeout=5) as ebs,
    ):
        injector = HttpSimulatorInjector(game_url)
        tail = ChatLogTail(settings.log_path, tmp_path / "desktop" / "tail.json")
        bridge = DesktopBridge(
            ebs,
            injector,
            tail,
            state_path=tmp_path / "desktop" / "bridge.json",
            settings=FAST,
            clock=fake.clock,
        )
        stop = asyncio.Event()
        loop = asyncio.create_task(bridge.run(stop))
        try:
            yield World(fake, game, bridge)
        finally:
            stop.set()
            await asyncio.wait_for(loop, 5)
            await injector.close()


def only_payout(fake: FakeEbs) -> str:
    (payout_id,) = fake.payouts
    return payout_id


def test_one_payout_from_candidate_to_sent(sim_settings, tmp_path):
    async def main() -> None:
        async with world(sim_settings, tmp_path) as w:
            await w.game_send("PUT", "/api/wow/winners/Norinn", {"reply": "!twgold"})
            await w.game_send("PATCH", "/api/wow/settings", {"autoSendMail": True})
            cycle = w.fake.set_candidate("Norinn")

            # /who → [MGM_WHO] → verify-candidate creates the payout; the winner is whispered and accepts.
            await eventually(lambda: w.fake.payouts, what="payout created")
            payout = only_payout(w.fake)
            await eventually(lambda: payout in w.fake.accepted, what="acceptance recorded")

            # The operator syncs: InProgress, ReceiveGold typed, the addon mails, [MGM_CONFIRM] → Sent.
            report = await w.bridge.sync()
            assert report.moved == [payout] and report.error is None
            await eventually(lambda: w.fake.status_of(payout) == "Sent", what="payout sent")

            commands = await w.game_get("/api/wow/commands")
            assert [c["command"] for c in commands] == [
                run_lines.run_who_for_spin(cycle, "Norinn"),
                run_lines.notify_winner_whisper(payout, "Norinn"),
                *run_lines.receive_gold_lines([run_lines.GoldEntry(payout, "Norinn", 10_000_000)]),
            ]
            whispers = await w.game_get("/api/wow/whispers")
            assert [(x["direction"], x["text"]) for x in whispers] == [
                ("out", texts.WINNER_WHISPER),
                ("in", "!twgold"),
                ("out", texts.MAIL_COMPLETION_WHISPER),
            ]
            mail = await w.game_get("/api/wow/mail")
            assert [(m["recipient"], m["copper"], m["subject"]) for m in mail["sent"]] == [
                ("Norinn", 10_000_000, texts.MAIL_SUBJECT)
            ]
            ebs_steps = [
                (c.method, c.path.rsplit("/", 1)[-1], c.body) for c in w.fake.calls if c.method != "GET"
            ]
            assert ebs_steps == [
                ("POST", "verify-candidate", {**ebs_steps[0][2], "characterName": "Norinn", "online": True}),
                ("POST", "confirm-acceptance", {"characterName": "Norinn"}),
                ("PATCH", "status", {"status": "InProgress"}),
                ("PATCH", "status", {"status": "Sent"}),
            ]
            assert ebs_steps[0][2]["spinCycleId"] == cycle

    asyncio.run(main())


def test_the_ebs_drops_out_and_the_confirm_is_replayed(sim_settings, tmp_path):
    async def main() -> None:
        async with world(sim_settings, tmp_path) as w:
            payout = w.fake.add_payout("Norinn")
            await w.game_send("PUT", "/api/wow/winners/Norinn", {"reply": "!twgold"})
            await eventually(lambda: payout in w.fake.accepted, what="acceptance recorded")
            assert (await w.bridge.sync()).moved == [payout]

            w.fake.down = True
            w.fake.down_disconnects = True
            sent = await w.game_send("POST", "/api/wow/mail/send", {})
            assert sent["sent"] is True
            await eventually(lambda: w.bridge.status.outbox == 1, what="confirm kept")
            await eventually(lambda: w.bridge.status.ebs_reachable is False, what="outage reported")
            assert w.fake.status_of(payout) == "InProgress"

            w.fake.down = False
            await eventually(lambda: w.fake.status_of(payout) == "Sent", what="confirm replayed")
            await eventually(lambda: w.bridge.status.ebs_reachable is True and w.bridge.outbox == [])

    asyncio.run(main())


def test_a_closed_mailbox_leaves_the_payout_in_progress(sim_settings, tmp_path):
    async def main() -> None:
        async with world(sim_settings, tmp_path) as w:
            payout = w.fake.add_payout("Norinn")
            await w.game_send("PATCH", "/api/wow/settings", {"mailboxOpen": False, "autoSendMail": True})
            assert (await w.bridge.sync()).moved == [payout]
            failures = await eventually(lambda: _failures(w), what="send attempted")
            assert failures == ["mailbox_closed"]
            await asyncio.sleep(0.05)  # several tail ticks
            assert w.fake.status_of(payout) == "InProgress"
            assert not w.fake.calls_to("PATCH", f"/api/payouts/{payout}/status")[1:]

    asyncio.run(main())


async def _failures(w: World) -> list[str]:
    mail = await w.game_get("/api/wow/mail")
    return [f["reason"] for f in mail["failures"]]


def test_seed_route_lines_drive_the_bridge_too(sim_settings, tmp_path):
    async def main() -> None:
        async with world(sim_settings, tmp_path) as w:
            payout = w.fake.add_payout("Norinn")
            await eventually(lambda: payout in w.bridge.notified, what="winner whispered")
            await w.game_send(
                "POST", "/api/mock/set-response", {"AutoConfirmAccepts": True, "CommandProcessingDelayMs": 1}
            )
            await w.game_send("POST", "/api/mock/add-message", {"content": f"[MGM_ACCEPT:{payout}]"})
            await eventually(lambda: payout in w.fake.accepted, what="acceptance from a seed-stamped line")
            # The seed's auto-confirm printed [MGM_CONFIRM] too; Sent is refused while the payout is Pending.
            await eventually(lambda: w.fake.calls_to("PATCH"), what="confirm handled")
            assert w.fake.calls_to("PATCH")[0].status == 409
            assert w.fake.status_of(payout) == "Pending"

    asyncio.run(main())
