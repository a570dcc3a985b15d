"""Tier C steps: the staging channel's chat, the EBS's EventSub subscription and the real game.

Only the real backends offer what these need (``chat.post``, ``chat.observe``,
``eventsub.manage``, ``wow.client``), so without the Tier C variables every
scenario using them is skipped naming the missing ones. They read their
settings from ``MGM_TIER_C_*`` / ``MGM_DESKTOP_*`` (docs/tier-c-runbook.md) and
never print a token. Waits on real Twitch are bounded by monotonic deadlines.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import pytest
from mgm_twitch import eventsub_admin
from mgm_twitch.bot_chat import BotAccount, send_chat_message
from mgm_twitch.eventsub_ws import ChatLine, ChatWatch, ChatWatchSettings
from pytest_bdd import given, parsers, then, when

from mgm_platform.steps.world import World

T = TypeVar("T")
POLL_SECONDS = 2.0


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def admin_environ() -> dict[str, str]:
    """The ``mgm twitch`` settings, taken from the Tier C variables."""
    return {
        "MGM_TWITCH_CLIENT_ID": _env("MGM_TIER_C_TWITCH_CLIENT_ID"),
        "MGM_TWITCH_CLIENT_SECRET": _env("MGM_TIER_C_TWITCH_CLIENT_SECRET"),
        "MGM_BROADCASTER_ID": _env("MGM_TIER_C_BROADCASTER_ID"),
        "MGM_TWITCH_BOT_USER_ID": _env("MGM_TIER_C_BOT_USER_ID"),
        "MGM_EVENTSUB_CALLBACK_URL": _env("MGM_TIER_C_EVENTSUB_CALLBACK_URL"),
        "MGM_EVENTSUB_SECRET": _env("MGM_TIER_C_EVENTSUB_SECRET"),
        "MGM_HELIX_BASE_URL": _env("MGM_TIER_C_HELIX_BASE_URL"),
        "MGM_TWITCH_AUTH_BASE_URL": _env("MGM_TIER_C_TWITCH_AUTH_BASE_URL"),
    }


@dataclass
class TierC:
    """One scenario's loop, HTTP session, chat watch and what the steps remember."""

    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _http: aiohttp.ClientSession | None = None
    watch: ChatWatch | None = None
    subscription_id: str | None = None
    posted: list[str] = field(default_factory=list)

    def run(self, job: Awaitable[T]) -> T:
        return self.loop.run_until_complete(job)

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:

            async def make() -> aiohttp.ClientSession:
                return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

            self._http = self.run(make())
        return self._http

    @property
    def helix_base_url(self) -> str:
        return _env("MGM_TIER_C_HELIX_BASE_URL") or "https://api.twitch.tv"

    @property
    def bot_id(self) -> str:
        return _env("MGM_TIER_C_BOT_USER_ID")

    def bot(self) -> BotAccount:
        return BotAccount(
            client_id=_env("MGM_TIER_C_TWITCH_CLIENT_ID"),
            token=_env("MGM_TIER_C_BOT_TOKEN"),
            user_id=self.bot_id,
            helix_base_url=self.helix_base_url,
        )

    def watch_settings(self) -> ChatWatchSettings:
        return ChatWatchSettings(
            client_id=_env("MGM_TIER_C_TWITCH_CLIENT_ID"),
            user_token=_env("MGM_TIER_C_BOT_TOKEN"),
            broadcaster_id=_env("MGM_TIER_C_BROADCASTER_ID"),
            user_id=self.bot_id,
            ws_url=_env("MGM_TIER_C_EVENTSUB_WS_URL") or "wss://eventsub.wss.twitch.tv/ws",
            helix_base_url=self.helix_base_url,
        )

    def admin(self, command: str, subscription_id: str | None = None) -> str:
        """Run ``mgm twitch <command>`` (its own code) and return what it printed; fail on exit 1."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = self.run(eventsub_admin.run(command, subscription_id, admin_environ()))
        assert code == 0, f"mgm twitch {command} failed: {err.getvalue().strip()}"
        return out.getvalue()

    def listed(self) -> dict[str, str]:
        """``mgm twitch list`` as ``{subscription id: status}`` for the EBS's callback."""
        callback = _env("MGM_TIER_C_EVENTSUB_CALLBACK_URL")
        found: dict[str, str] = {}
        for line in self.admin("list").splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[3] == callback:
                found[parts[0]] = parts[1]
        return found

    def close(self) -> None:
        async def shut() -> None:
            if self.watch is not None:
                await self.watch.close()
            if self._http is not None:
                await self._http.close()

        try:
            self.run(shut())
        finally:
            self.loop.close()


def until(check: Callable[[], T | None], seconds: float, what: str) -> T:
    """Poll ``check`` until it answers non-None, at most ``seconds`` (monotonic)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {seconds:g} s")
        time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))


@pytest.fixture
def tier_c() -> Iterator[TierC]:
    state = TierC()
    yield state
    state.close()


# -- the EBS's EventSub subscription (mgm twitch subscribe | list | unsubscribe) ---------------


@given("the EBS's EventSub subscription is enabled")
def subscription_enabled(tier_c: TierC) -> None:
    if "enabled" not in tier_c.listed().values():
        subscribe(tier_c)
        listed_enabled(tier_c, 30)


@when('the operator runs "mgm twitch subscribe"')
def subscribe(tier_c: TierC) -> None:
    printed = tier_c.admin("subscribe")
    match = re.match(r"created (\S+)", printed)
    assert match, f"unexpected output: {printed!r}"
    tier_c.subscription_id = match.group(1)


@then(parsers.parse('"mgm twitch list" shows that subscription "enabled" within {seconds:d} seconds'))
def listed_enabled(tier_c: TierC, seconds: int) -> None:
    def enabled() -> bool | None:
        listed = tier_c.listed()
        wanted = [tier_c.subscription_id] if tier_c.subscription_id else list(listed)
        return True if any(listed.get(i) == "enabled" for i in wanted) else None

    until(enabled, seconds, "the EBS answered Twitch's verification challenge")


@when('the operator runs "mgm twitch unsubscribe" for that subscription')
def unsubscribe(tier_c: TierC) -> None:
    assert tier_c.subscription_id, "no subscription was created in this scenario"
    tier_c.admin("unsubscribe", tier_c.subscription_id)


@then('"mgm twitch list" no longer shows that subscription')
def not_listed(tier_c: TierC) -> None:
    assert tier_c.subscription_id not in tier_c.listed()


# -- the staging channel's chat --------------------------------------------------------------


@given("the staging channel's chat is watched through EventSub WebSocket")
def chat_watched(tier_c: TierC) -> None:
    async def open_watch() -> ChatWatch:
        watch = ChatWatch(tier_c.watch_settings(), tier_c.http)
        await watch.open()
        return watch

    tier_c.watch = tier_c.run(open_watch())


@when(parsers.parse('the test viewer writes "{text}" in the staging channel\'s chat'))
def bot_writes(tier_c: TierC, text: str) -> None:
    broadcaster = _env("MGM_TIER_C_BROADCASTER_ID")
    tier_c.posted.append(tier_c.run(send_chat_message(tier_c.http, tier_c.bot(), broadcaster, text)))


def _seen(tier_c: TierC, matches: Callable[[ChatLine], bool], seconds: int) -> ChatLine:
    assert tier_c.watch is not None, "the chat is not watched (Given the staging channel's chat is watched …)"
    return tier_c.run(tier_c.watch.wait_for(matches, seconds))


@then(parsers.parse("the staging channel's chat shows the test viewer's line within {seconds:d} seconds"))
def bot_line_seen(tier_c: TierC, seconds: int) -> None:
    assert tier_c.posted, "the test viewer wrote nothing"
    _seen(tier_c, lambda line: line.message_id == tier_c.posted[-1], seconds)


@then(parsers.parse("the staging channel's chat shows within {seconds:d} seconds:"))
def chat_shows(tier_c: TierC, seconds: int, docstring: str) -> None:
    """Exactly the doc string, said by the broadcaster (the EBS's Send Chat Message)."""
    broadcaster = _env("MGM_TIER_C_BROADCASTER_ID")
    expected = docstring.strip()
    _seen(tier_c, lambda line: line.chatter_user_id == broadcaster and line.text == expected, seconds)


@then(parsers.parse('the test viewer is enrolled as "{name}" within {seconds:d} seconds'))
def bot_enrolled(world: World, tier_c: TierC, name: str, seconds: int) -> None:
    expected = {"isEnrolled": True, "characterName": name}
    until(
        lambda: True if world.ebs.pool_me(tier_c.bot_id) == expected else None,
        seconds,
        f"the test viewer enrolled as {name} on the EBS",
    )


# -- the real game -----------------------------------------------------------------------------


def _bridge() -> Any:  # a DesktopBridge on the real game's log and window, to the deployed EBS
    from mgm_core.clock import SystemClock  # the real game and a deployed EBS share real time
    from mgm_wow.bridge.config import DesktopConfig, build_bridge

    environ = {**os.environ, "MGM_DESKTOP_INJECTOR": "windows"}
    return build_bridge(DesktopConfig.from_env(environ), clock=SystemClock())


@when("the Desktop asks the real game to /who the drawn candidate")
def real_who(tier_c: TierC) -> None:
    bridge = _bridge()
    candidate = tier_c.run(bridge.poll_candidate())
    assert candidate is not None, "the deployed EBS has no candidate waiting"


@then(parsers.parse('WoWChatLog.txt reports "{name}" to the EBS within {seconds:d} seconds'))
def real_who_reported(tier_c: TierC, name: str, seconds: int) -> None:
    """The bridge read ``[MGM_WHO]`` for ``name`` from the real log and the EBS accepted it."""
    bridge = _bridge()

    def reported() -> bool | None:
        outcomes = tier_c.run(bridge.tick())
        done = [o for o in outcomes if o.key.startswith("who:") and o.result == "done" and name in o.key]
        return True if done else None

    until(reported, seconds, f"[MGM_WHO] for {name} read from WoWChatLog.txt and accepted by the EBS")


@then(parsers.parse('the Desktop sees candidate "{name}" within {seconds:d} seconds'))
def candidate_within(world: World, name: str, seconds: int) -> None:
    """Real time: the deployed EBS draws at T0+240 of its five-minute cycle."""

    def drawn() -> bool | None:
        answer = world.ebs.http.get("/api/roulette/candidate", headers=world.ebs.desktop())
        return True if answer.status_code == 200 and answer.json().get("characterName") == name else None

    until(drawn, seconds, f"the EBS drew {name}")
