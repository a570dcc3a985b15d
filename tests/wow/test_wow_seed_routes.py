"""The seed WoWMock's routes, answered by the simulator with the seed's semantics (ebs-contract.md §9)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import aiohttp

from mgm_wow.chatlog import strip_timestamp
from mgm_wow.settings import SimulatorSettings
from mgm_wow.simulator_app import create_app
from mgm_wow.testing import eventually, serving

SEED_LINE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} (.*)")
ACCEPT = "[MGM_ACCEPT:11111111-2222-3333-4444-555555555555]"
CONFIRM = "[MGM_CONFIRM:11111111-2222-3333-4444-555555555555]"


def play(settings: SimulatorSettings, scenario: Any) -> None:
    async def main() -> None:
        async with serving(create_app(settings)) as url, aiohttp.ClientSession(url) as http:
            await scenario(http, settings.log_path)

    asyncio.run(main())


async def post(http: aiohttp.ClientSession, path: str, body: Any = None, status: int = 200) -> Any:
    async with http.post(path, json=body) as response:
        assert response.status == status, await response.text()
        return await response.json(content_type=None)


def contents(log: Path) -> list[str]:
    """Line texts; the seed route stamps its own lines, the simulated addon prints with WoW's stamp."""
    return [strip_timestamp(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_health_and_reset_name_the_log(sim_settings):
    async def scenario(http, log):
        async with http.get("/api/mock/health") as response:
            assert await response.json() == {"ok": True, "logFilePath": str(log)}
        log.unlink()
        assert await post(http, "/api/mock/reset") == {"ok": True, "logFilePath": str(log)}
        assert log.exists() and log.read_text() == ""

    play(sim_settings, scenario)


def test_add_message_appends_a_seed_stamped_line(sim_settings):
    async def scenario(http, log):
        body = await post(http, "/api/mock/add-message", {"content": "hello world"})
        assert body["content"] == "hello world" and body["timestamp"].endswith("Z")
        (line,) = log.read_text(encoding="utf-8").splitlines()
        assert SEED_LINE.fullmatch(line)[1] == "hello world"
        problem = await post(http, "/api/mock/add-message", {"content": "  "}, status=400)
        assert problem["status"] == 400 and "Content" in problem["errors"]
        await post(http, "/api/mock/add-message", {}, status=400)

    play(sim_settings, scenario)


def test_run_commands_are_listed_and_echoed(sim_settings):
    async def scenario(http, log):
        await post(http, "/api/mock/add-message", {"content": "/run NotifyWinnerWhisper('abc','Etoehero')"})
        async with http.get("/api/mock/commands") as response:
            commands = await response.json()
        assert [c["command"] for c in commands] == ["/run NotifyWinnerWhisper('abc','Etoehero')"]
        assert commands[0]["receivedAt"].endswith("Z")
        assert not any(c.startswith("[MGM_RUN_RECEIVED]") for c in contents(log))

        assert await post(
            http, "/api/mock/set-response", {"EchoRunCommandsToChatLog": True, "CommandProcessingDelayMs": 1}
        ) == {"ok": True}
        await post(http, "/api/mock/add-message", {"content": "/RUN print('x')"})
        assert "[MGM_RUN_RECEIVED] /RUN print('x')" in contents(log)

        await post(http, "/api/mock/reset")
        async with http.get("/api/mock/commands") as response:
            assert await response.json() == []

    play(sim_settings, scenario)


def test_auto_confirm_follows_an_accept_line(sim_settings):
    async def scenario(http, log):
        await post(http, "/api/mock/add-message", {"content": ACCEPT})
        assert CONFIRM not in contents(log)
        await post(
            http, "/api/mock/set-response", {"AutoConfirmAccepts": True, "CommandProcessingDelayMs": 150}
        )
        await post(http, "/api/mock/add-message", {"content": ACCEPT})
        await eventually(lambda: CONFIRM in contents(log))
        await post(http, "/api/mock/add-message", {"content": "[MGM_ACCEPT:not-a-guid]"})
        await asyncio.sleep(0.01)
        assert contents(log).count("[MGM_CONFIRM:not-a-guid]") == 0
        async with http.get("/api/mock/health") as response:
            assert response.status == 200

    play(sim_settings, scenario)


def test_set_response_semantics(sim_settings):
    async def scenario(http, log):
        await post(
            http,
            "/api/mock/set-response",
            {"autoconfirmaccepts": True, "ECHORUNCOMMANDSTOCHATLOG": True, "commandProcessingDelayMs": 42},
        )
        async with http.get("/api/wow/settings") as response:
            current = await response.json()
        assert (current["autoConfirmAccepts"], current["echoRunCommandsToChatLog"]) == (True, True)
        assert current["commandProcessingDelayMs"] == 42
        # Missing booleans mean false; a null delay leaves it alone.
        await post(http, "/api/mock/set-response", {"CommandProcessingDelayMs": None})
        async with http.get("/api/wow/settings") as response:
            current = await response.json()
        assert (current["autoConfirmAccepts"], current["echoRunCommandsToChatLog"]) == (False, False)
        assert current["commandProcessingDelayMs"] == 42
        await post(http, "/api/mock/set-response", {"AutoConfirmAccepts": "yes"}, status=400)

    play(sim_settings, scenario)


def test_run_lines_added_through_the_seed_route_reach_the_addon(sim_settings):
    async def scenario(http, log):
        await post(http, "/api/mock/set-response", {"CommandProcessingDelayMs": 1})
        await post(http, "/api/mock/add-message", {"content": "/run DEFAULT_CHAT_FRAME:AddMessage('shown')"})
        lines = log.read_text(encoding="utf-8").splitlines()
        assert lines[-1].endswith("  shown")  # printed by the chat frame, with WoW's own timestamp
        async with http.get("/api/wow/commands") as response:
            (entry,) = await response.json()
        assert (entry["source"], entry["outcome"]) == ("add-message", "chat_frame_message")

    play(sim_settings, scenario)
