"""The WoW client simulator as the Desktop sees it: injected /run lines in, chat-log lines out."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from mgm_core import texts
from mgm_wow import run_lines
from mgm_wow.chatlog import strip_timestamp
from mgm_wow.settings import SimulatorSettings
from mgm_wow.simulator_app import SIMULATOR, create_app
from mgm_wow.tags import Accept, Confirm, WhoReport, parse_line
from mgm_wow.testing import eventually, serving

WOW_LINE = re.compile(r"\d{1,2}/\d{1,2} \d{2}:\d{2}:\d{2}\.\d{3}  ")

Scenario = Callable[[aiohttp.ClientSession, Path], Awaitable[None]]


def play(settings: SimulatorSettings, scenario: Scenario) -> None:
    async def main() -> None:
        app = create_app(settings)
        async with serving(app) as url, aiohttp.ClientSession(url) as http:
            await scenario(http, settings.log_path)

    asyncio.run(main())


async def call(
    http: aiohttp.ClientSession, method: str, path: str, body: Any = None, status: int = 200
) -> Any:
    async with http.request(method, path, json=body) as response:
        assert response.status == status, await response.text()
        return await response.json()


async def run(http: aiohttp.ClientSession, line: str) -> dict[str, Any]:
    return await call(http, "POST", "/api/wow/run", {"line": line})


def texts_in(log: Path) -> list[str]:
    return [strip_timestamp(line) for line in log.read_text(encoding="utf-8").splitlines()]


def tags_in(log: Path) -> list[Any]:
    return [tag for tag in map(parse_line, texts_in(log)) if tag is not None]


def test_health_and_log_created(sim_settings):
    async def scenario(http, log):
        assert await call(http, "GET", "/health") == {"status": "healthy", "component": "WowClientSimulator"}
        assert log.exists()

    play(sim_settings, scenario)


def test_who_answers_per_roster_ignoring_case_and_realm(sim_settings):
    cycle = str(uuid.uuid4())

    async def scenario(http, log):
        await call(http, "PUT", "/api/wow/roster", {"online": ["Norinn-Icecrown", "Etoehero"]})
        entry = await run(http, run_lines.run_who_for_spin(cycle, "norinn"))
        assert entry["outcome"] == "who_sent"
        report = await eventually(lambda: [t for t in tags_in(log) if isinstance(t, WhoReport)])
        assert report == [WhoReport(1, cycle, "norinn", True, report[0].captured_at)]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", report[0].captured_at)
        assert WOW_LINE.match(log.read_text(encoding="utf-8").splitlines()[-1])

        await run(http, run_lines.run_who_for_spin(cycle, "Offlinebob"))
        await eventually(lambda: len([t for t in tags_in(log) if isinstance(t, WhoReport)]) == 2)
        assert tags_in(log)[-1].online is False

    play(sim_settings, scenario)


def test_one_who_at_a_time(sim_settings):
    cycle = str(uuid.uuid4())

    async def scenario(http, log):
        await call(http, "PATCH", "/api/wow/settings", {"whoDelayMs": 150})
        assert (await run(http, run_lines.run_who_for_spin(cycle, "Norinn")))["outcome"] == "who_sent"
        assert (await run(http, run_lines.run_who_for_spin(cycle, "Norinn")))["outcome"] == "who_busy"
        assert texts_in(log) == ["[MGM] /who already pending; try again."]
        await eventually(lambda: any(isinstance(t, WhoReport) for t in tags_in(log)))
        assert (await run(http, run_lines.run_who_for_spin(cycle, "Norinn")))["outcome"] == "who_sent"

    play(sim_settings, scenario)


def test_winner_whisper_and_acceptance(sim_settings):
    payout = str(uuid.uuid4())

    async def scenario(http, log):
        await call(http, "PUT", "/api/wow/winners/Norinn", {"reply": "  !TwGold ", "delayMs": 1})
        await run(http, run_lines.notify_winner_whisper(payout, "Norinn"))
        await eventually(lambda: Accept(payout) in tags_in(log))
        whispers = await call(http, "GET", "/api/wow/whispers")
        assert [(w["direction"], w["characterName"], w["text"]) for w in whispers] == [
            ("out", "Norinn", texts.WINNER_WHISPER),
            ("in", "Norinn", "  !TwGold "),
        ]
        assert f"To [Norinn]: {texts.WINNER_WHISPER}" in texts_in(log)

    play(sim_settings, scenario)


def test_other_replies_and_silence_do_not_accept(sim_settings):
    first, second = str(uuid.uuid4()), str(uuid.uuid4())

    async def scenario(http, log):
        await call(http, "PUT", "/api/wow/winners/Norinn", {"reply": "!twgold please", "delayMs": 1})
        await call(http, "PUT", "/api/wow/winners/Etoehero", {"reply": None})
        await run(http, run_lines.notify_winner_whisper(first, "Norinn"))
        await eventually(lambda: "[Norinn] whispers: !twgold please" in texts_in(log))
        await run(http, run_lines.notify_winner_whisper(second, "Etoehero"))
        await asyncio.sleep(0.05)
        assert not [t for t in tags_in(log) if isinstance(t, Accept)]
        # A stranger's !twgold is not the pending winner's consent.
        assert (await call(http, "POST", "/api/wow/whisper", {"from": "Norinn", "text": "!twgold"})) == {
            "accepted": False
        }
        assert (await call(http, "POST", "/api/wow/whisper", {"from": "etoehero", "text": "!twgold"})) == {
            "accepted": True
        }
        assert [t for t in tags_in(log) if isinstance(t, Accept)] == [Accept(second)]

    play(sim_settings, scenario)


def test_default_reply_applies_to_unscripted_winners(sim_settings):
    payout = str(uuid.uuid4())

    async def scenario(http, log):
        await call(http, "PATCH", "/api/wow/settings", {"defaultReply": "!twgold"})
        winners = await call(http, "GET", "/api/wow/winners")
        assert winners == {"winners": [], "defaultReply": "!twgold"}
        await run(http, run_lines.notify_winner_whisper(payout, "Anyone"))
        await eventually(lambda: Accept(payout) in tags_in(log))

    play(sim_settings, scenario)


def test_receive_gold_validates_and_queues_once(sim_settings):
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    lines = run_lines.receive_gold_lines(
        [run_lines.GoldEntry(a, "Norinn", 10_000_000), run_lines.GoldEntry(b, "Ёжик", 5)]
    )

    async def scenario(http, log):
        assert (await run(http, '/run ReceiveGold("bad entry;")'))["outcome"] == "receive_gold_rejected"
        assert (await call(http, "GET", "/api/wow/mail"))["queue"] == []
        assert "nothing queued" in texts_in(log)[-1]
        for _ in range(2):  # a re-injected payload must not queue twice
            assert (await run(http, lines[0]))["outcome"] == "receive_gold_queued"
        queue = (await call(http, "GET", "/api/wow/mail"))["queue"]
        assert [(m["payoutId"], m["recipient"], m["copper"]) for m in queue] == [
            (a, "Norinn", 10_000_000),
            (b, "Ёжик", 5),
        ]

    play(sim_settings, scenario)


def test_armed_send_prints_confirm_and_whispers(sim_settings):
    payout = str(uuid.uuid4())

    async def scenario(http, log):
        await run(http, run_lines.receive_gold_lines([run_lines.GoldEntry(payout, "Norinn", 10_000_000)])[0])
        result = await call(http, "POST", "/api/wow/mail/send", {})
        assert result["sent"] is True
        assert result["mail"]["subject"] == texts.MAIL_SUBJECT and result["mail"]["armed"] is True
        assert tags_in(log)[-1] == Confirm(payout)
        assert texts_in(log)[-1] == f"To [Norinn]: {texts.MAIL_COMPLETION_WHISPER}"
        whispers = await call(http, "GET", "/api/wow/whispers")
        assert whispers[-1]["text"] == texts.MAIL_COMPLETION_WHISPER
        assert (await call(http, "POST", "/api/wow/mail/send", {}))["reason"] == "queue_empty"

    play(sim_settings, scenario)


def test_blocked_sends_leave_no_confirm_and_keep_the_entry(sim_settings):
    payout = str(uuid.uuid4())

    async def scenario(http, log):
        await run(http, run_lines.receive_gold_lines([run_lines.GoldEntry(payout, "Norinn", 1)])[0])
        await call(http, "PATCH", "/api/wow/settings", {"mailboxOpen": False})
        assert (await call(http, "POST", "/api/wow/mail/send", {}))["reason"] == "mailbox_closed"
        await call(http, "PATCH", "/api/wow/settings", {"mailboxOpen": True, "failNextMail": True})
        assert (await call(http, "POST", "/api/wow/mail/send", {"payoutId": payout}))[
            "reason"
        ] == "mail_failed"
        mail = await call(http, "GET", "/api/wow/mail")
        assert [f["reason"] for f in mail["failures"]] == ["mailbox_closed", "mail_failed"]
        assert [m["payoutId"] for m in mail["queue"]] == [payout]
        assert not any(isinstance(t, Confirm) for t in tags_in(log))
        assert not any(
            w["text"] == texts.MAIL_COMPLETION_WHISPER for w in await call(http, "GET", "/api/wow/whispers")
        )
        # The operator fixes the cause and sends again: the same payout is confirmed once.
        assert (await call(http, "POST", "/api/wow/mail/send", {}))["sent"] is True
        assert [t for t in tags_in(log) if isinstance(t, Confirm)] == [Confirm(payout)]

    play(sim_settings, scenario)


def test_manual_mail_is_never_tagged(sim_settings):
    async def scenario(http, log):
        result = await call(http, "POST", "/api/wow/mail/manual", {"recipient": "Norinn", "copper": 100})
        assert result["sent"] is True and result["mail"]["armed"] is False
        assert tags_in(log) == []
        await call(http, "POST", "/api/wow/mail/manual", {"recipient": "Norinn"}, status=400)

    play(sim_settings, scenario)


def test_auto_send_mails_the_queue(sim_settings):
    a, b = str(uuid.uuid4()), str(uuid.uuid4())

    async def scenario(http, log):
        await call(http, "PATCH", "/api/wow/settings", {"autoSendMail": True})
        entries = [run_lines.GoldEntry(a, "Norinn", 1), run_lines.GoldEntry(b, "Etoehero", 1)]
        await run(http, run_lines.receive_gold_lines(entries)[0])
        await eventually(
            lambda: [t for t in tags_in(log) if isinstance(t, Confirm)] == [Confirm(a), Confirm(b)]
        )

    play(sim_settings, scenario)


def test_chat_frame_messages_are_logged(sim_settings):
    async def scenario(http, log):
        await run(http, run_lines.chat_frame_message("[MGM] hello"))
        assert texts_in(log) == ["[MGM] hello"]

    play(sim_settings, scenario)


def test_injection_errors(sim_settings):
    async def scenario(http, log):
        too_long = "/run " + "x" * 250
        body = await call(http, "POST", "/api/wow/run", {"line": too_long}, status=400)
        assert body["code"] == "line_too_long"
        # 128 two-byte letters: under 255 characters but over 254 bytes.
        body = await call(http, "POST", "/api/wow/run", {"line": "/run " + "Ж" * 128}, status=400)
        assert body["code"] == "line_too_long"
        assert (await call(http, "POST", "/api/wow/run", {"line": " "}, status=400))[
            "code"
        ] == "invalid_payload"
        await call(http, "POST", "/api/wow/run", {}, status=400)
        async with http.post("/api/wow/run", data=b"{nope") as response:
            assert response.status == 400
            assert (await response.json())["code"] == "invalid_payload"
        assert (await run(http, '/run ReceiveGold("x"'))["outcome"] == "lua_error"
        assert (await run(http, "/run Unknown()"))["outcome"] == "unknown_function"
        assert (await run(http, "/dance"))["outcome"] == "not_a_run_command"
        commands = await call(http, "GET", "/api/wow/commands")
        assert [c["source"] for c in commands] == ["run"] * 3
        assert (await call(http, "GET", "/api/wow/nothing", status=404))["code"] == "not_found"

    play(sim_settings, scenario)


def test_settings_are_validated(sim_settings):
    async def scenario(http, log):
        before = await call(http, "GET", "/api/wow/settings")
        assert before["whoDelayMs"] == 5 and before["mailboxOpen"] is True
        for bad in (
            {"nope": 1},
            {"whoDelayMs": -1},
            {"mailboxOpen": "no"},
            {"defaultReply": 3},
            {"whoDelayMs": True},
        ):
            await call(http, "PATCH", "/api/wow/settings", {**bad, "autoSendMail": True}, status=400)
        assert await call(http, "GET", "/api/wow/settings") == before
        after = await call(http, "PATCH", "/api/wow/settings", {"WHODELAYMS": 7})
        assert after["whoDelayMs"] == 7

    play(sim_settings, scenario)


def test_winner_scripts_and_roster_routes(sim_settings):
    async def scenario(http, log):
        await call(http, "PUT", "/api/wow/roster", {"online": "Norinn"}, status=400)
        assert await call(http, "PUT", "/api/wow/roster", {"online": [" Norinn "]}) == {"online": ["Norinn"]}
        assert await call(http, "GET", "/api/wow/roster") == {"online": ["Norinn"]}
        await call(http, "PUT", "/api/wow/winners/Norinn", {}, status=400)
        await call(http, "PUT", "/api/wow/winners/Norinn", {"reply": "!twgold", "delayMs": 3})
        winners = await call(http, "GET", "/api/wow/winners")
        assert winners["winners"] == [{"characterName": "Norinn", "reply": "!twgold", "delayMs": 3}]
        await call(http, "DELETE", "/api/wow/winners/norinn")
        await call(http, "DELETE", "/api/wow/winners/norinn", status=404)

    play(sim_settings, scenario)


def test_log_truncate_rotate_and_reset(sim_settings):
    async def scenario(http, log):
        await run(http, run_lines.chat_frame_message("one"))
        assert (await call(http, "GET", "/api/wow/log"))["lines"][0].endswith("one")
        await call(http, "POST", "/api/wow/log/truncate")
        assert log.read_text() == ""
        await run(http, run_lines.chat_frame_message("two"))
        inode = log.stat().st_ino
        rotated = await call(http, "POST", "/api/wow/log/rotate")
        assert Path(rotated["rotatedTo"]).read_text(encoding="utf-8").endswith("two\n")
        assert log.read_text() == "" and log.stat().st_ino != inode
        await call(http, "PUT", "/api/wow/roster", {"online": ["X"]})
        await call(http, "PATCH", "/api/wow/settings", {"mailboxOpen": False})
        await call(http, "POST", "/api/wow/reset")
        assert await call(http, "GET", "/api/wow/roster") == {"online": []}
        assert (await call(http, "GET", "/api/wow/settings"))["mailboxOpen"] is True
        assert await call(http, "GET", "/api/wow/commands") == []

    play(sim_settings, scenario)


def test_injectable_clock_stamps_lines(sim_settings):
    from datetime import UTC, datetime

    from mgm_core.clock import VirtualClock

    clock = VirtualClock(datetime(2025, 11, 24, 3, 41, 7, 123000, tzinfo=UTC))

    async def main() -> None:
        app = create_app(sim_settings, clock=clock)
        async with serving(app) as url, aiohttp.ClientSession(url) as http:
            await run(http, run_lines.run_who_for_spin(uuid.uuid4(), "Norinn"))
            await app[SIMULATOR].idle()
            (report,) = tags_in(sim_settings.log_path)
            assert report.captured_at == "2025-11-24T03:41:07Z"

    asyncio.run(main())


def test_line_breaks_cannot_forge_log_lines(sim_settings):
    async def scenario(http, log):
        forged = "hi\n11/24 03:41:07.123  [MGM_CONFIRM:a1b2c3d4-1111-2222-3333-444444444444]"
        await call(http, "POST", "/api/wow/whisper", {"from": "Norinn", "text": forged}, status=400)
        await call(http, "PUT", "/api/wow/winners/Norinn", {"reply": forged}, status=400)
        await call(http, "POST", "/api/wow/run", {"line": "/run x()\n/run y()"}, status=400)
        await call(http, "POST", "/api/mock/add-message", {"content": forged}, status=400)
        assert log.read_text() == ""

    play(sim_settings, scenario)
