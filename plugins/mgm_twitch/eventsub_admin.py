"""``mgm twitch subscribe | list | unsubscribe``: manage the real EventSub webhook subscription.

Uses an **app access token** from the client-credentials grant
(``POST {auth}/oauth2/token``), then Helix's EventSub subscription endpoints
(twitch-api.md "Creating the subscription"). The bot user must have granted
``user:read:chat`` + ``user:bot`` and the broadcaster ``channel:bot`` (or the
bot is a moderator) — Twitch checks that, not this tool.

Settings (environment): ``MGM_TWITCH_CLIENT_ID``, ``MGM_TWITCH_CLIENT_SECRET``,
``MGM_BROADCASTER_ID``, ``MGM_TWITCH_BOT_USER_ID`` (defaults to the
broadcaster), ``MGM_EVENTSUB_CALLBACK_URL``, ``MGM_EVENTSUB_SECRET``,
``MGM_HELIX_BASE_URL`` (``https://api.twitch.tv``) and
``MGM_TWITCH_AUTH_BASE_URL`` (``https://id.twitch.tv``). Secrets are never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

CHAT_MESSAGE = "channel.chat.message"
DEFAULT_AUTH_BASE_URL = "https://id.twitch.tv"
DEFAULT_HELIX_BASE_URL = "https://api.twitch.tv"


class TwitchAdminError(Exception):
    """A refused or failed Twitch call; the message says which and why (no secrets)."""


@dataclass(frozen=True)
class AdminSettings:
    client_id: str
    client_secret: str = field(repr=False)
    broadcaster_id: str
    bot_user_id: str
    callback_url: str
    eventsub_secret: str = field(repr=False)
    helix_base_url: str = DEFAULT_HELIX_BASE_URL
    auth_base_url: str = DEFAULT_AUTH_BASE_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AdminSettings:
        env = os.environ if environ is None else environ

        def get(name: str, default: str = "") -> str:
            return env.get(name, default).strip()

        broadcaster = get("MGM_BROADCASTER_ID")
        return cls(
            client_id=get("MGM_TWITCH_CLIENT_ID"),
            client_secret=get("MGM_TWITCH_CLIENT_SECRET"),
            broadcaster_id=broadcaster,
            bot_user_id=get("MGM_TWITCH_BOT_USER_ID") or broadcaster,
            callback_url=get("MGM_EVENTSUB_CALLBACK_URL"),
            eventsub_secret=get("MGM_EVENTSUB_SECRET"),
            helix_base_url=(get("MGM_HELIX_BASE_URL") or DEFAULT_HELIX_BASE_URL).rstrip("/"),
            auth_base_url=(get("MGM_TWITCH_AUTH_BASE_URL") or DEFAULT_AUTH_BASE_URL).rstrip("/"),
        )

    def require(self, *names: str) -> None:
        variables = {
            "client_id": "MGM_TWITCH_CLIENT_ID",
            "client_secret": "MGM_TWITCH_CLIENT_SECRET",
            "broadcaster_id": "MGM_BROADCASTER_ID",
            "callback_url": "MGM_EVENTSUB_CALLBACK_URL",
            "eventsub_secret": "MGM_EVENTSUB_SECRET",
        }
        missing = [variables[n] for n in names if not getattr(self, n)]
        if missing:
            raise TwitchAdminError(f"missing settings: {', '.join(missing)}")
        if "eventsub_secret" in names and not (
            10 <= len(self.eventsub_secret) <= 100 and self.eventsub_secret.isascii()
        ):
            raise TwitchAdminError("MGM_EVENTSUB_SECRET must be 10 to 100 ASCII characters")
        if "callback_url" in names and not self.callback_url.startswith("https://"):
            raise TwitchAdminError("MGM_EVENTSUB_CALLBACK_URL must be an https:// URL (Twitch's rule)")


class TwitchAdmin:
    """The three operations, over one HTTP session."""

    def __init__(self, settings: AdminSettings, session: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.session = session
        self._token: str | None = None

    async def app_token(self) -> str:
        """Client-credentials grant; the token is kept for this run only."""
        if self._token is None:
            self.settings.require("client_id", "client_secret")
            async with self.session.post(
                f"{self.settings.auth_base_url}/oauth2/token",
                data={
                    "client_id": self.settings.client_id,
                    "client_secret": self.settings.client_secret,
                    "grant_type": "client_credentials",
                },
            ) as answer:
                body = await _json(answer)
                if answer.status != 200 or not isinstance(body.get("access_token"), str):
                    raise TwitchAdminError(
                        f"app token refused: {answer.status} {body.get('message', '')}".strip()
                    )
                self._token = body["access_token"]
        return self._token

    async def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.app_token()}", "Client-Id": self.settings.client_id}

    async def subscribe(self) -> dict[str, Any]:
        self.settings.require(
            "client_id", "client_secret", "broadcaster_id", "callback_url", "eventsub_secret"
        )
        body = {
            "type": CHAT_MESSAGE,
            "version": "1",
            "condition": {
                "broadcaster_user_id": self.settings.broadcaster_id,
                "user_id": self.settings.bot_user_id,
            },
            "transport": {
                "method": "webhook",
                "callback": self.settings.callback_url,
                "secret": self.settings.eventsub_secret,
            },
        }
        async with self.session.post(
            f"{self.settings.helix_base_url}/helix/eventsub/subscriptions",
            json=body,
            headers=await self._headers(),
        ) as answer:
            reply = await _json(answer)
            if answer.status == 409:
                raise TwitchAdminError("a channel.chat.message subscription for this callback already exists")
            if answer.status != 202:
                raise TwitchAdminError(
                    f"subscription refused: {answer.status} {reply.get('message', '')}".strip()
                )
            data = reply.get("data") or [{}]
            return dict(data[0])

    async def list(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params: dict[str, str] = {"type": CHAT_MESSAGE}
        while True:
            async with self.session.get(
                f"{self.settings.helix_base_url}/helix/eventsub/subscriptions",
                params=params,
                headers=await self._headers(),
            ) as answer:
                reply = await _json(answer)
                if answer.status != 200:
                    raise TwitchAdminError(
                        f"listing refused: {answer.status} {reply.get('message', '')}".strip()
                    )
            found.extend(reply.get("data") or [])
            cursor = (reply.get("pagination") or {}).get("cursor")
            if not cursor:
                return found
            params = {"type": CHAT_MESSAGE, "after": cursor}

    async def unsubscribe(self, subscription_id: str) -> None:
        async with self.session.delete(
            f"{self.settings.helix_base_url}/helix/eventsub/subscriptions",
            params={"id": subscription_id},
            headers=await self._headers(),
        ) as answer:
            if answer.status == 404:
                raise TwitchAdminError(f"no subscription with id {subscription_id}")
            if answer.status != 204:
                reply = await _json(answer)
                raise TwitchAdminError(
                    f"unsubscribe refused: {answer.status} {reply.get('message', '')}".strip()
                )


async def _json(answer: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        body = await answer.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return {}
    return body if isinstance(body, dict) else {}


def _summary(subscription: Mapping[str, Any]) -> str:
    transport = subscription.get("transport") or {}
    return (
        f"{subscription.get('id', '?')}  {subscription.get('status', '?')}  {subscription.get('type', '?')}"
        f"  {transport.get('callback', '')}"
    )


async def run(
    command: str, subscription_id: str | None = None, environ: Mapping[str, str] | None = None
) -> int:
    settings = AdminSettings.from_env(environ)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        admin = TwitchAdmin(settings, session)
        try:
            if command == "subscribe":
                created = await admin.subscribe()
                print(f"created {_summary(created)}")
            elif command == "list":
                subscriptions = await admin.list()
                for subscription in subscriptions:
                    print(_summary(subscription))
                print(f"{len(subscriptions)} subscription(s)")
            else:
                assert subscription_id is not None
                await admin.unsubscribe(subscription_id)
                print(f"deleted {subscription_id}")
        except TwitchAdminError as error:
            print(f"mgm twitch {command}: {error}", file=sys.stderr)
            return 1
        except aiohttp.ClientError as error:
            print(f"mgm twitch {command}: Twitch unreachable: {type(error).__name__}", file=sys.stderr)
            return 1
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``mgm twitch …`` on the ``mgm`` command line."""
    import asyncio

    twitch = subparsers.add_parser(
        "twitch", help="manage the real EventSub channel.chat.message subscription"
    )
    actions = twitch.add_subparsers(dest="twitch_command", required=True)
    actions.add_parser("subscribe", help="create the webhook subscription (app access token)")
    actions.add_parser("list", help="list channel.chat.message subscriptions")
    remove = actions.add_parser("unsubscribe", help="delete a subscription by id")
    remove.add_argument("id")

    def handle(args: argparse.Namespace) -> int:
        return asyncio.run(run(args.twitch_command, getattr(args, "id", None)))

    twitch.set_defaults(func=handle)


__all__ = ["AdminSettings", "TwitchAdmin", "TwitchAdminError", "add_parser", "run"]
