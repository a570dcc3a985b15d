"""DesktopBridge against the fake EBS, with a recording injector and a real log file."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from mgm_wow import run_lines, tags
from mgm_wow.bridge import (
    BridgeSettings,
    ChatLogTail,
    DesktopBridge,
    EbsClient,
    InjectionFailed,
    RecordingInjector,
    RetryPolicy,
)
from mgm_wow.chatlog import format_wow_line
from mgm_wow.testing import FakeEbs, eventually, serving


async def no_sleep(seconds: float) -> None:
    return None


@dataclass
class Harness:
    fake: FakeEbs
    ebs: EbsClient
    injector: RecordingInjector
    log: Path
    state_dir: Path
    settings: BridgeSettings
    bridge: DesktopBridge

    def write(self, *texts: str) -> None:
        with self.log.open("a", encoding="utf-8") as handle:
            for text in texts:
                handle.write(format_wow_line(text, self.fake.clock.now()) + "\n")

    def restart(self) -> DesktopBridge:
        """A new bridge process on the same log and state files."""
        self.bridge = DesktopBridge(
            self.ebs,
            self.injector,
            ChatLogTail(self.log, self.state_dir / "tail.json"),
            state_path=self.state_dir / "bridge.json",
            settings=self.settings,
            clock=self.fake.clock,
        )
        return self.bridge


@contextlib.asynccontextmanager
async def harness(tmp_path: Path, **settings: object) -> AsyncIterator[Harness]:
    fake = FakeEbs()
    async with serving(fake.app()) as url:
        ebs = EbsClient(url, fake.api_key, sleep=no_sleep, retry=RetryPolicy((1.0, 1.0)), timeout=5)
        log = tmp_path / "Logs" / "WoWChatLog.txt"
        log.parent.mkdir(parents=True)
        log.touch()
        h = Harness(fake, ebs, RecordingInjector(), log, tmp_path / "state", BridgeSettings(**settings), None)  # type: ignore[arg-type]
        h.restart()
        try:
            yield h
        finally:
            await ebs.close()


def play(tmp_path: Path, scenario, **settings: object) -> None:
    async def main() -> None:
        async with harness(tmp_path, **settings) as h:
            await scenario(h)

    asyncio.run(main())


def results(outcomes) -> list[tuple[str, str]]:
    return [(o.key.split(":")[0], o.result) for o in outcomes]


# --------------------------------------------------------------------------- log → EBS


def test_who_report_is_forwarded_to_verify_candidate(tmp_path):
    async def scenario(h: Harness) -> None:
        cycle = h.fake.set_candidate("Norinn")
        h.write(tags.format_who(cycle, "Norinn", True, "2025-11-24T03:41:07Z"))
        assert results(await h.bridge.tick()) == [("who", "done")]
        (call,) = h.fake.calls_to("POST", "/api/roulette/verify-candidate")
        assert call.body == {
            "schemaVersion": 1,
            "spinCycleId": cycle,
            "characterName": "Norinn",
            "online": True,
            "capturedAt": "2025-11-24T03:41:07Z",
        }
        assert [p["characterName"] for p in h.fake.payouts.values()] == ["Norinn"]
        # A stale report is refused by the EBS and dropped.
        h.write(tags.format_who(cycle, "Norinn", True, "2025-11-24T03:41:09Z"))
        outcomes = await h.bridge.tick()
        assert [(o.result, o.detail) for o in outcomes] == [("refused", "out_of_sequence")]
        assert h.bridge.outbox == []

    play(tmp_path, scenario)


def test_accept_uses_the_name_from_the_pending_list(tmp_path):
    async def scenario(h: Harness) -> None:
        payout = h.fake.add_payout("Norinn")
        await h.bridge.poll_pending()
        h.write(tags.format_accept(payout.upper()))
        assert results(await h.bridge.tick()) == [("accept", "done")]
        assert h.fake.accepted == {payout: "Norinn"}
        assert not h.fake.calls_to("GET", f"/api/payouts/{payout}")

    play(tmp_path, scenario)


def test_accept_for_a_payout_no_longer_pending_looks_the_name_up(tmp_path):
    async def scenario(h: Harness) -> None:
        payout = h.fake.add_payout("Norinn", status="InProgress")
        unknown = str(uuid.uuid4())
        h.write(tags.format_accept(payout), tags.format_accept(unknown))
        assert results(await h.bridge.tick()) == [("accept", "done"), ("accept", "refused")]
        assert h.fake.accepted == {payout: "Norinn"}
        # A refused tag may come back (the addon printed it again) and is tried again.
        assert not h.bridge.tail.seen(f"accept:{unknown}")

    play(tmp_path, scenario)


def test_confirm_marks_sent_once_even_when_printed_again(tmp_path):
    async def scenario(h: Harness) -> None:
        payout = h.fake.add_payout("Norinn", status="InProgress")
        h.write(tags.format_confirm(payout))
        assert results(await h.bridge.tick()) == [("confirm", "done")]
        assert h.fake.status_of(payout) == "Sent"
        h.write(tags.format_confirm(payout))
        assert await h.bridge.tick() == []
        h.log.write_text("")  # the log is truncated, then the same line shows up again (TC-029)
        h.write(tags.format_confirm(payout))
        assert await h.bridge.tick() == []
        assert len(h.fake.calls_to("PATCH")) == 1

    play(tmp_path, scenario)


def test_a_confirm_refused_for_order_is_taken_again_when_printed_again(tmp_path):
    async def scenario(h: Harness) -> None:
        payout = h.fake.add_payout("Norinn")  # still Pending: Sent is not a valid move yet
        h.write(tags.format_confirm(payout))
        assert [(o.result, o.detail) for o in await h.bridge.tick()] == [("refused", "invalid_transition")]
        await h.ebs.patch_status(payout, "InProgress")
        h.write(tags.format_confirm(payout))  # the operator re-sent the mail through the addon
        assert results(await h.bridge.tick()) == [("confirm", "done")]
        assert h.fake.status_of(payout) == "Sent"

    play(tmp_path, scenario)


def test_update_check_answers_in_game(tmp_path):
    async def scenario(h: Harness) -> None:
        h.write(tags.format_update_check())
        assert results(await h.bridge.tick()) == [("update_check", "done")]
        assert h.injector.lines == [run_lines.chat_frame_message(f"[MGM] EBS {h.fake.version}")]

    play(tmp_path, scenario)


# --------------------------------------------------------------------------- EBS → game


def test_candidate_is_whoed_once_per_cycle(tmp_path):
    async def scenario(h: Harness) -> None:
        assert await h.bridge.poll_candidate() is None
        cycle = h.fake.set_candidate("Norinn", phase="completed")
        await h.bridge.poll_candidate()
        assert h.injector.lines == []  # not in a /who phase (spinning or verification)
        h.fake.candidate["spinPhase"] = "Verification"
        h.injector.available = False
        with pytest.raises(Exception, match="not found"):
            await h.bridge.poll_candidate()
        assert h.bridge.status.game_ready is False
        h.injector.available = True
        await h.bridge.poll_candidate()
        await h.bridge.poll_candidate()
        assert h.injector.lines == [run_lines.run_who_for_spin(cycle, "Norinn")]
        h.restart()
        await h.bridge.poll_candidate()
        assert len(h.injector.lines) == 1  # remembered across a restart

    play(tmp_path, scenario)


def test_a_candidate_past_its_deadline_is_not_whoed(tmp_path):
    async def scenario(h: Harness) -> None:
        h.fake.set_candidate("Norinn", deadline=h.fake.clock.now() - timedelta(seconds=1))
        await h.bridge.poll_candidate()
        assert h.injector.lines == []

    play(tmp_path, scenario)


def test_each_pending_winner_is_whispered_once_across_restarts(tmp_path):
    async def scenario(h: Harness) -> None:
        first = h.fake.add_payout("Norinn")
        h.injector._failures.append(InjectionFailed("focus lost"))
        with pytest.raises(InjectionFailed):
            await h.bridge.poll_pending()
        assert h.bridge.notified == []
        await h.bridge.poll_pending()
        second = h.fake.add_payout("Etoehero")
        await h.bridge.poll_pending()
        h.restart()
        await h.bridge.poll_pending()
        assert h.injector.lines == [
            run_lines.notify_winner_whisper(first, "Norinn"),
            run_lines.notify_winner_whisper(second, "Etoehero"),
        ]

    play(tmp_path, scenario)


def test_sync_moves_every_pending_and_types_the_gold(tmp_path):
    async def scenario(h: Harness) -> None:
        ids = [
            h.fake.add_payout(name)
            for name in ("Abcdefghijkl", "Bcdefghijklm", "Cdefghijklmn", "Ёжикабвгдежз")
        ]
        report = await h.bridge.sync()
        assert report.error is None and report.moved == ids
        assert [h.fake.status_of(i) for i in ids] == ["InProgress"] * 4
        assert h.injector.lines == report.lines and report.injected == 2
        payload = "".join(run_lines.parse_run_line(line).payload for line in report.lines)
        assert payload == "".join(f"{i}:{h.fake.payouts[i]['characterName']}:10000000;" for i in ids)
        # Pending list, a PATCH per payout, then the list is refreshed.
        assert [(c.method, c.path.split("/")[-1]) for c in h.fake.calls] == (
            [("GET", "pending")] + [("PATCH", "status")] * 4 + [("GET", "pending")]
        )

    play(tmp_path, scenario)


def test_sync_without_the_game_moves_nothing(tmp_path):
    async def scenario(h: Harness) -> None:
        payout = h.fake.add_payout("Norinn")
        h.injector.available = False
        report = await h.bridge.sync()
        assert report.moved == [] and "not found" in (report.error or "")
        assert h.fake.status_of(payout) == "Pending" and not h.fake.calls_to("PATCH")

    play(tmp_path, scenario)


def test_sync_puts_back_what_could_not_be_typed(tmp_path):
    async def scenario(h: Harness) -> None:
        ids = [h.fake.add_payout(f"Name{c}abcdefg") for c in "abcd"]
        # The first line goes through, the second is refused.
        original = h.injector.inject
        typed: list[str] = []

        async def flaky(line: str) -> None:
            if typed:
                raise InjectionFailed("PostMessage refused", 5)
            typed.append(line)
            await original(line)

        h.injector.inject = flaky  # type: ignore[method-assign]
        report = await h.bridge.sync()
        assert report.injected == 1 and report.unlocked == ids[3:]
        assert [h.fake.status_of(i) for i in ids] == ["InProgress"] * 3 + ["Pending"]

    play(tmp_path, scenario)


# --------------------------------------------------------------------------- EBS outages


def test_tags_wait_for_the_ebs_and_replay_in_order(tmp_path):
    async def scenario(h: Harness) -> None:
        payout = h.fake.add_payout("Norinn")
        await h.bridge.poll_pending()
        await h.ebs.patch_status(payout, "InProgress")
        h.fake.down = True
        h.write(tags.format_accept(payout), tags.format_confirm(payout))
        assert results(await h.bridge.tick()) == [("accept", "deferred")]
        assert h.bridge.status.ebs_reachable is False and h.bridge.status.outbox == 2
        assert results(await h.bridge.tick()) == [("accept", "deferred")]
        h.fake.down = False
        assert results(await h.bridge.tick()) == [("accept", "done"), ("confirm", "done")]
        assert h.fake.status_of(payout) == "Sent" and h.fake.accepted == {payout: "Norinn"}
        assert h.bridge.status.ebs_reachable is True and h.bridge.outbox == []

    play(tmp_path, scenario)


def test_unsent_tags_survive_a_restart_and_old_lines_do_not_replay(tmp_path):
    async def scenario(h: Harness) -> None:
        done = h.fake.add_payout("Norinn", status="InProgress")
        waiting = h.fake.add_payout("Etoehero", status="InProgress")
        h.write(tags.format_confirm(done))
        await h.bridge.tick()
        h.fake.down = True
        h.fake.down_disconnects = True
        h.write(tags.format_confirm(waiting))
        assert results(await h.bridge.tick()) == [("confirm", "deferred")]
        h.fake.down = False
        calls_before = len(h.fake.calls)
        h.restart()
        assert [item.key for item in h.bridge.outbox] == [f"confirm:{waiting}"]
        assert results(await h.bridge.tick()) == [("confirm", "done")]
        assert h.fake.status_of(waiting) == "Sent"
        assert len(h.fake.calls) == calls_before + 1  # only the replayed confirm, no old line

    play(tmp_path, scenario)


def test_a_rejected_key_keeps_the_tags(tmp_path):
    async def scenario(h: Harness) -> None:
        payout = h.fake.add_payout("Norinn", status="InProgress")
        real_key, h.fake.api_key = h.fake.api_key, "rotated"
        h.write(tags.format_confirm(payout))
        outcomes = await h.bridge.tick()
        assert results(outcomes) == [("confirm", "deferred")] and "403" in outcomes[0].detail
        h.fake.api_key = real_key
        assert results(await h.bridge.drain()) == [("confirm", "done")]

    play(tmp_path, scenario)


def test_run_loop_polls_and_stops(tmp_path):
    async def scenario(h: Harness) -> None:
        payout = h.fake.add_payout("Norinn", status="InProgress")
        cycle = h.fake.set_candidate("Etoehero")
        stop = asyncio.Event()
        runner = asyncio.create_task(h.bridge.run(stop))
        h.write(tags.format_confirm(payout))
        await eventually(lambda: h.fake.status_of(payout) == "Sent", what="confirm handled")
        await eventually(lambda: run_lines.run_who_for_spin(cycle, "Etoehero") in h.injector.lines)
        h.fake.down = True  # failures inside the loop are reported, not raised
        await eventually(lambda: h.bridge.status.ebs_reachable is False, what="outage noticed")
        stop.set()
        await asyncio.wait_for(runner, 2)

    play(tmp_path, scenario, tail_interval=0.01, pending_poll_interval=0.02, candidate_poll_interval=0.02)


def test_stopping_interrupts_a_call_waiting_out_its_retries(tmp_path):
    async def main() -> None:
        fake = FakeEbs(down=True)
        async with (
            serving(fake.app()) as url,
            EbsClient(url, fake.api_key, retry=RetryPolicy((30.0,))) as ebs,
        ):
            log = tmp_path / "WoWChatLog.txt"
            bridge = DesktopBridge(
                ebs, RecordingInjector(), ChatLogTail(log), settings=BridgeSettings(), clock=fake.clock
            )
            stop = asyncio.Event()
            runner = asyncio.create_task(bridge.run(stop))
            await eventually(lambda: fake.calls, what="first attempt")
            stop.set()
            await asyncio.wait_for(runner, 1)  # not after the 30 s back-off

    asyncio.run(main())
