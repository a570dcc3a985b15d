"""Watch a channel's chat through an EventSub WebSocket session (Tier C's chat observation).

Twitch's protocol (dev.twitch.tv/docs/eventsub/handling-websocket-events):

1. connect to ``wss://eventsub.wss.twitch.tv/ws``; the first message is
   ``session_welcome`` with ``payload.session.id`` and ``keepalive_timeout_seconds``;
2. within 10 s, Helix Create EventSub Subscription with transport
   ``{"method": "websocket", "session_id": …}`` and a **user** token (here the
   bot's, scope ``user:read:chat``): ``channel.chat.message`` v1 with condition
   ``broadcaster_user_id`` + ``user_id`` (the reading user);
3. ``notification`` messages carry ``payload.event``; ``session_keepalive``
   arrives when nothing else did; silence longer than the keepalive timeout
   means the connection is lost;
4. ``session_reconnect`` names ``reconnect_url``: connect there, wait for its
   welcome (subscriptions move with the session), then drop the old socket;
5. ``revocation`` ends the subscription (``payload.subscription.status`` says why).

The base URLs are settings, so tests point them at a local aiohttp server. Waits
are bounded by monotonic deadlines; no token is ever logged or put in ``repr``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

DEFAULT_WS_URL = "wss://eventsub.wss.twitch.tv/ws"
DEFAULT_HELIX_BASE_URL = "https://api.twitch.tv"
CHAT_MESSAGE = "channel.chat.message"
WELCOME_TIMEOUT_SECONDS = 10.0


class EventSubSessionError(Exception):
    """The session could not be opened, subscribed to, or kept (the message says which)."""


class SubscriptionRevoked(EventSubSessionError):
    """Twitch revoked the subscription; ``status`` is Twitch's reason (e.g. ``authorization_revoked``)."""

    def __init__(self, status: str) -> None:
        super().__init__(f"subscription revoked: {status}")
        self.status = status


@dataclass(frozen=True)
class ChatWatchSettings:
    client_id: str
    user_token: str = field(repr=False)  # the reading user's token (user:read:chat)
    broadcaster_id: str = ""
    user_id: str = ""  # the reading user (the token's owner)
    ws_url: str = DEFAULT_WS_URL
    helix_base_url: str = DEFAULT_HELIX_BASE_URL


@dataclass(frozen=True)
class ChatLine:
    """One ``channel.chat.message`` event as Twitch delivered it."""

    message_id: str
    chatter_user_id: str
    text: str
    event: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def of(cls, event: dict[str, Any]) -> ChatLine:
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        return cls(
            str(event.get("message_id", "")),
            str(event.get("chatter_user_id", "")),
            str((message or {}).get("text", "")),
            event,
        )


class ChatWatch:
    """An open EventSub WebSocket session subscribed to one channel's chat.

    ``async with ChatWatch(settings, http) as watch: line = await watch.wait_for(pred, 30)``.
    Every notification is kept in :attr:`lines`, so a line that arrived before
    ``wait_for`` was called is still found.
    """

    def __init__(self, settings: ChatWatchSettings, http: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.http = http
        self.lines: list[ChatLine] = []
        self.session_id: str | None = None
        self.subscription_id: str | None = None
        self.keepalive_seconds = WELCOME_TIMEOUT_SECONDS
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._seen: set[str] = set()
        self._revoked: str | None = None

    async def __aenter__(self) -> ChatWatch:
        await self.open()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def open(self) -> None:
        self._socket, session = await self._connect(self.settings.ws_url)
        self.session_id = str(session["id"])
        self.subscription_id = await self._subscribe(self.session_id)

    async def close(self) -> None:
        if self.subscription_id is not None:
            try:
                async with self.http.delete(
                    f"{self._helix}/helix/eventsub/subscriptions",
                    params={"id": self.subscription_id},
                    headers=self._headers(),
                ):
                    pass
            except aiohttp.ClientError:
                pass  # the session's end removes websocket subscriptions anyway
            self.subscription_id = None
        if self._socket is not None:
            await self._socket.close()
            self._socket = None

    @property
    def _helix(self) -> str:
        return self.settings.helix_base_url.rstrip("/")

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.user_token}", "Client-Id": self.settings.client_id}

    async def _connect(self, url: str) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any]]:
        try:
            socket = await self.http.ws_connect(url, heartbeat=None, autoping=True)
        except (aiohttp.ClientError, OSError) as error:
            raise EventSubSessionError(
                f"cannot connect to EventSub WebSocket: {type(error).__name__}"
            ) from None
        message = await self._receive(socket, WELCOME_TIMEOUT_SECONDS)
        if _type(message) != "session_welcome":
            await socket.close()
            raise EventSubSessionError(f"expected session_welcome, got {_type(message)!r}")
        session = (message.get("payload") or {}).get("session") or {}
        if not session.get("id"):
            await socket.close()
            raise EventSubSessionError("session_welcome without a session id")
        keepalive = session.get("keepalive_timeout_seconds")
        if isinstance(keepalive, int | float) and keepalive > 0:
            self.keepalive_seconds = float(keepalive)
        return socket, session

    async def _subscribe(self, session_id: str) -> str:
        body = {
            "type": CHAT_MESSAGE,
            "version": "1",
            "condition": {
                "broadcaster_user_id": self.settings.broadcaster_id,
                "user_id": self.settings.user_id,
            },
            "transport": {"method": "websocket", "session_id": session_id},
        }
        async with self.http.post(
            f"{self._helix}/helix/eventsub/subscriptions", json=body, headers=self._headers()
        ) as answer:
            try:
                reply = await answer.json(content_type=None)
            except ValueError:
                reply = {}
            if answer.status != 202:
                message = reply.get("message", "") if isinstance(reply, dict) else ""
                raise EventSubSessionError(f"subscription refused: {answer.status} {message}".strip())
        data = reply.get("data") if isinstance(reply, dict) else None
        if not isinstance(data, list) or not data or not isinstance(data[0], dict) or "id" not in data[0]:
            raise EventSubSessionError("subscription answer without data[0].id")
        return str(data[0]["id"])

    async def _receive(self, socket: aiohttp.ClientWebSocketResponse, timeout: float) -> dict[str, Any]:
        try:
            frame = await socket.receive(timeout=timeout)
        except TimeoutError:
            raise EventSubSessionError(f"no EventSub message within {timeout:g} s") from None
        if frame.type is not aiohttp.WSMsgType.TEXT:
            raise EventSubSessionError(f"EventSub WebSocket closed ({frame.type.name}, {socket.close_code})")
        try:
            message = json.loads(frame.data)
        except ValueError:
            raise EventSubSessionError("EventSub sent a frame that is not JSON") from None
        if not isinstance(message, dict):
            raise EventSubSessionError("EventSub sent a frame that is not a JSON object")
        return message

    async def _handle(self, message: dict[str, Any]) -> None:
        metadata = message.get("metadata") or {}
        message_id = str(metadata.get("message_id", ""))
        if message_id and message_id in self._seen:
            return  # Twitch may resend a message; handle it once
        self._seen.add(message_id)
        kind = _type(message)
        payload = message.get("payload") or {}
        if kind == "notification" and metadata.get("subscription_type") == CHAT_MESSAGE:
            event = payload.get("event")
            if isinstance(event, dict):
                self.lines.append(ChatLine.of(event))
        elif kind == "session_reconnect":
            await self._reconnect(str((payload.get("session") or {}).get("reconnect_url") or ""))
        elif kind == "revocation":
            self._revoked = str((payload.get("subscription") or {}).get("status", "revoked"))
            self.subscription_id = None
        # session_keepalive and anything unknown only prove the connection lives

    async def _reconnect(self, url: str) -> None:
        if not url:
            raise EventSubSessionError("session_reconnect without a reconnect_url")
        old = self._socket
        self._socket, session = await self._connect(url)  # subscriptions move with the session
        self.session_id = str(session["id"])
        if old is not None:
            await old.close()

    async def wait_for(self, matches: Callable[[ChatLine], bool], timeout: float) -> ChatLine:
        """The first chat line (already seen or arriving within ``timeout`` s) that ``matches``."""
        deadline = time.monotonic() + timeout
        checked = 0
        while True:
            for line in self.lines[checked:]:
                if matches(line):
                    return line
            checked = len(self.lines)
            if self._revoked is not None:
                raise SubscriptionRevoked(self._revoked)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching chat line within {timeout:g} s ({checked} seen)")
            if self._socket is None:
                raise EventSubSessionError("the session is closed")
            # Silence longer than the keepalive timeout (plus slack) means the connection is lost.
            wait = min(left, self.keepalive_seconds + 5.0)
            try:
                message = await self._receive(self._socket, wait)
            except EventSubSessionError:
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"no matching chat line within {timeout:g} s") from None
                raise
            await self._handle(message)


def _type(message: dict[str, Any]) -> str:
    return str((message.get("metadata") or {}).get("message_type", ""))


async def watch_for_line(
    settings: ChatWatchSettings, matches: Callable[[ChatLine], bool], timeout: float
) -> ChatLine:
    """Open a session, wait for one matching line, close (a convenience for one-shot checks)."""
    async with aiohttp.ClientSession() as http, ChatWatch(settings, http) as watch:
        return await asyncio.wait_for(watch.wait_for(matches, timeout), timeout + 5)


__all__ = [
    "CHAT_MESSAGE",
    "ChatLine",
    "ChatWatch",
    "ChatWatchSettings",
    "EventSubSessionError",
    "SubscriptionRevoked",
    "watch_for_line",
]
