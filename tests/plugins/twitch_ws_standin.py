"""A local stand-in for Twitch's EventSub WebSocket and the Helix routes around it.

Speaks Twitch's documented messages (session_welcome, session_keepalive,
notification, session_reconnect, revocation) on ``/ws`` and ``/ws-2``, accepts
Create EventSub Subscription with transport ``websocket`` and Send Chat
Message, and turns a sent chat message into a ``channel.chat.message``
notification on the subscribed session. Written from Twitch's reference, on
purpose sharing nothing with the client it checks.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

STAMP = "2026-11-24T12:00:00.000000000Z"


def message(kind: str, payload: dict[str, Any], **metadata: str) -> str:
    ids = message.counter  # type: ignore[attr-defined]
    return json.dumps(
        {
            "metadata": {
                "message_id": f"msg-{next(ids)}",
                "message_type": kind,
                "message_timestamp": STAMP,
                **metadata,
            },
            "payload": payload,
        }
    )


message.counter = itertools.count(1)  # type: ignore[attr-defined]


def session(session_id: str, status: str = "connected", reconnect_url: str | None = None) -> dict:
    return {
        "id": session_id,
        "status": status,
        "connected_at": STAMP,
        "keepalive_timeout_seconds": 10,
        "reconnect_url": reconnect_url,
    }


@dataclass
class StandIn:
    token: str = "bot-token"
    client_id: str = "client"
    sockets: dict[str, web.WebSocketResponse] = field(default_factory=dict)
    subscriptions: dict[str, dict] = field(default_factory=dict)  # id -> subscription
    requests: list[dict] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    welcome: bool = True
    refuse_subscription: int | None = None
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/ws", self.ws)
        app.router.add_get("/ws-2", self.ws)
        app.router.add_post("/helix/eventsub/subscriptions", self.create)
        app.router.add_delete("/helix/eventsub/subscriptions", self.delete)
        app.router.add_post("/helix/chat/messages", self.chat)
        return app

    def _authorized(self, request: web.Request) -> bool:
        return (
            request.headers.get("Authorization") == f"Bearer {self.token}"
            and request.headers.get("Client-Id") == self.client_id
        )

    async def ws(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        session_id = f"session-{next(self._ids)}"
        self.sockets[session_id] = socket
        if self.welcome:
            await socket.send_str(message("session_welcome", {"session": session(session_id)}))
        else:
            await socket.send_str(message("session_keepalive", {}))
        async for _ in socket:
            pass
        return socket

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"headers": dict(request.headers), "body": body})
        if not self._authorized(request):
            return web.json_response(
                {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}, status=401
            )
        if self.refuse_subscription:
            status = self.refuse_subscription
            return web.json_response(
                {
                    "error": "Forbidden",
                    "status": status,
                    "message": "subscription missing proper authorization",
                },
                status=status,
            )
        transport = body["transport"]
        if transport.get("method") != "websocket" or transport.get("session_id") not in self.sockets:
            return web.json_response(
                {"error": "Bad Request", "status": 400, "message": "invalid transport"}, status=400
            )
        sub_id = f"sub-{next(self._ids)}"
        subscription = {
            "id": sub_id,
            "status": "enabled",
            "type": body["type"],
            "version": body["version"],
            "condition": body["condition"],
            "created_at": STAMP,
            "transport": {
                "method": "websocket",
                "session_id": transport["session_id"],
                "connected_at": STAMP,
            },
            "cost": 0,
        }
        self.subscriptions[sub_id] = subscription
        return web.json_response(
            {"data": [subscription], "total": 1, "total_cost": 0, "max_total_cost": 10}, status=202
        )

    async def delete(self, request: web.Request) -> web.Response:
        self.deleted.append(request.query["id"])
        self.subscriptions.pop(request.query["id"], None)
        return web.Response(status=204)

    async def chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not self._authorized(request):
            return web.json_response(
                {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}, status=401
            )
        message_id = f"chat-{next(self._ids)}"
        await self.notify_chat(body["sender_id"], body["message"], message_id, body["broadcaster_id"])
        return web.json_response({"data": [{"message_id": message_id, "is_sent": True, "drop_reason": None}]})

    async def notify_chat(self, chatter: str, text: str, message_id: str, broadcaster: str = "1000") -> None:
        for subscription in list(self.subscriptions.values()):
            socket = self.sockets.get(subscription["transport"]["session_id"])
            if socket is None or socket.closed:
                continue
            event = {
                "broadcaster_user_id": broadcaster,
                "broadcaster_user_login": "channel",
                "broadcaster_user_name": "Channel",
                "chatter_user_id": chatter,
                "chatter_user_login": f"user{chatter}",
                "chatter_user_name": f"User{chatter}",
                "message_id": message_id,
                "message": {"text": text, "fragments": [{"type": "text", "text": text}]},
                "color": "",
                "badges": [],
                "message_type": "text",
                "cheer": None,
                "reply": None,
                "channel_points_custom_reward_id": None,
            }
            await socket.send_str(
                message(
                    "notification",
                    {"subscription": subscription, "event": event},
                    subscription_type="channel.chat.message",
                    subscription_version="1",
                )
            )

    async def send_all(self, text: str) -> None:
        for socket in list(self.sockets.values()):
            if not socket.closed:
                await socket.send_str(text)

    async def reconnect(self, old_session: str) -> None:
        """session_reconnect naming /ws-2; subscriptions move to the new session once it connects."""
        target = f"{self.url}/ws-2".replace("http://", "ws://")
        before = set(self.sockets)
        await self.sockets[old_session].send_str(
            message("session_reconnect", {"session": session(old_session, "reconnecting", target)})
        )
        for _ in range(200):
            new = set(self.sockets) - before
            if new:
                (new_id,) = new
                for subscription in self.subscriptions.values():
                    if subscription["transport"]["session_id"] == old_session:
                        subscription["transport"]["session_id"] = new_id
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the client did not reconnect")

    async def revoke(self, status: str = "authorization_revoked") -> None:
        for sub_id, subscription in list(self.subscriptions.items()):
            socket = self.sockets[subscription["transport"]["session_id"]]
            revoked = {**subscription, "status": status}
            await socket.send_str(
                message(
                    "revocation",
                    {"subscription": revoked},
                    subscription_type="channel.chat.message",
                    subscription_version="1",
                )
            )
            del self.subscriptions[sub_id]


async def start(stand_in: StandIn) -> web.AppRunner:
    runner = web.AppRunner(stand_in.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    stand_in.url = f"http://127.0.0.1:{port}"
    return runner
