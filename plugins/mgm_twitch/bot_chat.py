"""A test bot account types in the staging channel: Helix Send Chat Message with the bot's token.

``POST {base}/helix/chat/messages`` with ``Authorization: Bearer <bot token>``
(scope ``user:write:chat``), the app's ``Client-Id`` and
``{"broadcaster_id", "sender_id": <bot user id>, "message"}``. Twitch answers
200 with ``data[0].is_sent`` (false plus ``drop_reason`` when the message was
dropped); real EventSub then delivers ``channel.chat.message`` to every
subscriber, the EBS under test included. One attempt: a test wants to know.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp

DEFAULT_HELIX_BASE_URL = "https://api.twitch.tv"


class ChatNotSent(Exception):
    """Twitch refused or dropped the message (status and Twitch's message or drop code; no token)."""


@dataclass(frozen=True)
class BotAccount:
    client_id: str
    token: str = field(repr=False)
    user_id: str = ""
    helix_base_url: str = DEFAULT_HELIX_BASE_URL


async def send_chat_message(
    http: aiohttp.ClientSession, bot: BotAccount, broadcaster_id: str, message: str, *, timeout: float = 10.0
) -> str:
    """Post ``message`` in the channel as the bot; the Twitch ``message_id`` on success."""
    try:
        async with http.post(
            f"{bot.helix_base_url.rstrip('/')}/helix/chat/messages",
            json={"broadcaster_id": broadcaster_id, "sender_id": bot.user_id, "message": message},
            headers={
                "Authorization": f"Bearer {bot.token}",
                "Client-Id": bot.client_id,
                "Content-Type": "application/json",
            },
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as answer:
            status = answer.status
            try:
                body: Any = await answer.json(content_type=None)
            except ValueError:
                body = None
    except (TimeoutError, aiohttp.ClientError) as error:
        raise ChatNotSent(f"Helix unreachable: {type(error).__name__}") from None
    if status != 200:
        text = body.get("message", "") if isinstance(body, dict) else ""
        raise ChatNotSent(f"Send Chat Message answered {status} {text}".strip())
    data = body.get("data") if isinstance(body, dict) else None
    first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else None
    if first is None:
        raise ChatNotSent("Send Chat Message answered 200 without data[0]")
    if first.get("is_sent") is not True:
        drop = first.get("drop_reason") or {}
        code = drop.get("code", "unknown") if isinstance(drop, dict) else str(drop)
        raise ChatNotSent(f"message dropped: {code}")
    return str(first.get("message_id", ""))


__all__ = ["BotAccount", "ChatNotSent", "send_chat_message"]
