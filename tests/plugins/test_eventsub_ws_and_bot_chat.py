"""The EventSub WebSocket chat watch and the bot's Send Chat Message, against a local Twitch stand-in."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from mgm_twitch.bot_chat import BotAccount, ChatNotSent, send_chat_message
from mgm_twitch.eventsub_ws import (
    ChatWatch,
    ChatWatchSettings,
    EventSubSessionError,
    SubscriptionRevoked,
)

from tests.plugins.twitch_ws_standin import StandIn, message, start

BOT = "2000"


def run(scenario: Callable[[StandIn, aiohttp.ClientSession], Awaitable[None]], **stand_in: object) -> StandIn:
    twitch = StandIn(**stand_in)  # type: ignore[arg-type]

    async def main() -> None:
        runner = await start(twitch)
        try:
            async with aiohttp.ClientSession() as http:
                await asyncio.wait_for(scenario(twitch, http), 20)
        finally:
            await runner.cleanup()

    asyncio.run(main())
    return twitch


def settings(twitch: StandIn, token: str = "bot-token") -> ChatWatchSettings:
    return ChatWatchSettings(
        client_id="client",
        user_token=token,
        broadcaster_id="1000",
        user_id=BOT,
        ws_url=twitch.url.replace("http://", "ws://") + "/ws",
        helix_base_url=twitch.url,
    )


def bot(twitch: StandIn) -> BotAccount:
    return BotAccount(client_id="client", token="bot-token", user_id=BOT, helix_base_url=twitch.url)


def test_welcome_subscribe_and_a_posted_line_arrives_as_a_notification():
    async def scenario(twitch: StandIn, http: aiohttp.ClientSession) -> None:
        async with ChatWatch(settings(twitch), http) as watch:
            sent = await send_chat_message(http, bot(twitch), "1000", "!twgold Norinn")
            line = await watch.wait_for(lambda line: line.text == "!twgold Norinn", 5)
            assert line.message_id == sent
            assert line.chatter_user_id == BOT

    twitch = run(scenario)
    ((request,),) = [twitch.requests]
    assert request["body"] == {
        "type": "channel.chat.message",
        "version": "1",
        "condition": {"broadcaster_user_id": "1000", "user_id": BOT},
        "transport": {"method": "websocket", "session_id": "session-1"},
    }
    assert request["headers"]["Authorization"] == "Bearer bot-token"
    assert request["headers"]["Client-Id"] == "client"
    assert twitch.deleted == ["sub-2"]  # closed cleanly: the subscription is removed


def test_keepalives_are_ignored_and_an_earlier_line_is_still_found():
    async def scenario(twitch: StandIn, http: aiohttp.ClientSession) -> None:
        async with ChatWatch(settings(twitch), http) as watch:
            await twitch.send_all(message("session_keepalive", {}))
            await twitch.notify_chat(
                "77", "Награда отправлена персонажу Norinn на почту, проверяй ящик!", "m-1"
            )
            await twitch.send_all(message("session_keepalive", {}))
            await twitch.notify_chat("77", "other line", "m-2")
            await watch.wait_for(lambda line: line.text == "other line", 5)
            line = await watch.wait_for(lambda line: "Norinn" in line.text, 0.1)
            assert line.message_id == "m-1"

    run(scenario)


def test_session_reconnect_moves_to_the_new_url_and_keeps_receiving():
    async def scenario(twitch: StandIn, http: aiohttp.ClientSession) -> None:
        async with ChatWatch(settings(twitch), http) as watch:
            old = watch.session_id
            assert old is not None
            reconnecting = asyncio.create_task(twitch.reconnect(old))
            with pytest.raises(TimeoutError):
                await watch.wait_for(lambda line: False, 0.5)  # the reconnect is handled while waiting
            await reconnecting
            assert watch.session_id != old
            await twitch.notify_chat("77", "after reconnect", "m-3")
            await watch.wait_for(lambda line: line.text == "after reconnect", 5)
            assert twitch.sockets[old].closed

    run(scenario)


def test_a_revocation_ends_the_wait_with_twitchs_reason():
    async def scenario(twitch: StandIn, http: aiohttp.ClientSession) -> None:
        async with ChatWatch(settings(twitch), http) as watch:
            await twitch.revoke("authorization_revoked")
            with pytest.raises(SubscriptionRevoked, match="authorization_revoked"):
                await watch.wait_for(lambda line: False, 5)
            assert watch.subscription_id is None

    twitch = run(scenario)
    assert twitch.deleted == []  # nothing left to delete


def test_a_bounded_wait_times_out():
    async def scenario(twitch: StandIn, http: aiohttp.ClientSession) -> None:
        async with ChatWatch(settings(twitch), http) as watch:
            with pytest.raises(TimeoutError, match=r"within 0\.3 s"):
                await watch.wait_for(lambda line: True, 0.3)

    run(scenario)


def test_a_refused_subscription_names_the_status_and_not_the_token():
    async def scenario(twitch: StandIn, http: aiohttp.ClientSession) -> None:
        with pytest.raises(EventSubSessionError, match="401 Invalid OAuth token") as refused:
            async with ChatWatch(settings(twitch, token="wrong-token"), http):
                pass
        assert "wrong-token" not in str(refused.value)
        assert "wrong-token" not in repr(settings(twitch, token="wrong-token"))

    run(scenario)


def test_a_first_message_that_is_not_a_welcome_is_an_error():
    async def scenario(twitch: StandIn, http: aiohttp.ClientSession) -> None:
        with pytest.raises(EventSubSessionError, match="expected session_welcome"):
            async with ChatWatch(settings(twitch), http):
                pass

    run(scenario, welcome=False)


def test_the_bot_message_request_and_a_dropped_message(httpserver):
    httpserver.expect_ordered_request("/helix/chat/messages", method="POST").respond_with_json(
        {"data": [{"message_id": "abc", "is_sent": True, "drop_reason": None}]}
    )
    httpserver.expect_ordered_request("/helix/chat/messages", method="POST").respond_with_json(
        {
            "data": [
                {"message_id": "", "is_sent": False, "drop_reason": {"code": "msg_duplicate", "message": "x"}}
            ]
        }
    )
    account = BotAccount("client", "bot-token", BOT, httpserver.url_for("/"))

    async def main() -> None:
        async with aiohttp.ClientSession() as http:
            assert await send_chat_message(http, account, "1000", "!twgold Norinn") == "abc"
            with pytest.raises(ChatNotSent, match="msg_duplicate"):
                await send_chat_message(http, account, "1000", "!twgold Norinn")

    asyncio.run(main())
    request, _ = httpserver.log[0]
    assert request.headers["Authorization"] == "Bearer bot-token"
    assert request.headers["Client-Id"] == "client"
    assert json.loads(request.data) == {
        "broadcaster_id": "1000",
        "sender_id": BOT,
        "message": "!twgold Norinn",
    }
