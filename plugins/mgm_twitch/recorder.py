"""Record live Twitch answers in the contract suite's format: ``python -m mgm_twitch.recorder``.

Run it where the Tier C credentials exist (docs/tier-c-runbook.md). Each
exchange is written as ``<name>.json`` in ``--out`` (default: the mocks'
recordings folder), replacing the transcribed file of the same name; the
``shape`` notes of the file it replaces are kept. Tokens, secrets and
``Authorization`` values are never written: request headers are kept by name,
``access_token`` / ``secret`` / ``client_secret`` values become ``<redacted>``.

Exchanges and what they need (missing variables are named and the exchange skipped):

* Get Broadcaster Subscriptions for a subscriber / a non-subscriber —
  ``MGM_TIER_C_BROADCASTER_TOKEN``, ``…_BROADCASTER_ID``, ``…_TWITCH_CLIENT_ID``,
  ``MGM_TIER_C_SUBSCRIBER_USER_ID`` / ``MGM_TIER_C_NON_SUBSCRIBER_USER_ID``;
* a 401 (Send Chat Message with a wrong token: nothing is sent);
* Send Chat Message (posts one line to the staging chat) — only with ``--send-chat``;
* the client-credentials grant and Get EventSub Subscriptions —
  ``MGM_TIER_C_TWITCH_CLIENT_ID``, ``MGM_TIER_C_TWITCH_CLIENT_SECRET``;
* Create (twice, for the 409) and Delete EventSub Subscription — only with
  ``--eventsub-write`` and ``MGM_TIER_C_EVENTSUB_CALLBACK_URL``, ``…_EVENTSUB_SECRET``;
* the Extension JWT's header and claims — ``MGM_TIER_C_EXTENSION_JWT``.

A dropped message, a 429 and webhook deliveries cannot be provoked safely and
stay transcribed. Base URLs: ``MGM_TIER_C_HELIX_BASE_URL``,
``MGM_TIER_C_TWITCH_AUTH_BASE_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "mgm_mocks" / "recordings"
KEPT_RESPONSE_HEADERS = ("Content-Type", "Ratelimit-Limit", "Ratelimit-Remaining", "Ratelimit-Reset")
REDACTED = "<redacted>"
_SECRET_KEYS = frozenset({"access_token", "refresh_token", "secret", "client_secret"})
SOURCE = "recorded from live Twitch by python -m mgm_twitch.recorder"


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if k in _SECRET_KEYS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


@dataclass
class Recorder:
    env: Mapping[str, str]
    out: Path
    http: aiohttp.ClientSession
    now: Callable[[], datetime]
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def helix(self) -> str:
        return (self.env.get("MGM_TIER_C_HELIX_BASE_URL") or "https://api.twitch.tv").rstrip("/")

    @property
    def auth(self) -> str:
        return (self.env.get("MGM_TIER_C_TWITCH_AUTH_BASE_URL") or "https://id.twitch.tv").rstrip("/")

    def missing(self, name: str, *variables: str) -> bool:
        absent = [v for v in variables if not self.env.get(v)]
        if absent:
            self.skipped.append(f"{name}: {', '.join(absent)} not set")
        return bool(absent)

    def write(self, name: str, interface: str, request: dict[str, Any], response: dict[str, Any]) -> None:
        path = self.out / f"{name}.json"
        shape = json.loads(path.read_text(encoding="utf-8")).get("shape", {}) if path.exists() else {}
        document = {
            "name": name,
            "interface": interface,
            "provenance": {
                "kind": "recorded",
                "source": f"{SOURCE} ({request['method']} {request['path']})",
                "captured_at": self.now().astimezone(UTC).isoformat().replace("+00:00", "Z"),
            },
            "request": redact(request),
            "response": redact(response),
            "shape": shape,
        }
        self.out.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        self.written.append(name)

    async def exchange(
        self,
        name: str,
        interface: str,
        method: str,
        url: str,
        path: str,
        *,
        headers: dict[str, str],
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        async with self.http.request(
            method, url + path, headers=headers, params=params, json=body, data=form
        ) as answer:
            text = await answer.text()
            kept = {h: answer.headers[h] for h in KEPT_RESPONSE_HEADERS if h in answer.headers}
            if "Content-Type" in kept:
                kept["Content-Type"] = kept["Content-Type"].split(";")[0].strip()
            parsed = json.loads(text) if text.strip() else None
            response = {"status": answer.status, "headers": kept, "body": parsed}
        request: dict[str, Any] = {
            "method": method,
            "path": path,
            "query": dict(params or {}),
            "headers": sorted(headers),
        }
        if body is not None:
            request["body"] = body
        if form is not None:
            request["form"] = form
        self.write(name, interface, request, response)
        return response

    def helix_headers(self, token: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token}",
            "Client-Id": self.env.get("MGM_TIER_C_TWITCH_CLIENT_ID", ""),
        }

    async def record(self, *, send_chat: bool, eventsub_write: bool) -> None:
        helix_vars = (
            "MGM_TIER_C_BROADCASTER_TOKEN",
            "MGM_TIER_C_BROADCASTER_ID",
            "MGM_TIER_C_TWITCH_CLIENT_ID",
        )
        env = self.env
        if not self.missing("helix", *helix_vars):
            broadcaster = env["MGM_TIER_C_BROADCASTER_ID"]
            user = self.helix_headers(env["MGM_TIER_C_BROADCASTER_TOKEN"])
            for name, variable in (
                ("helix-get-broadcaster-subscriptions-subscriber", "MGM_TIER_C_SUBSCRIBER_USER_ID"),
                ("helix-get-broadcaster-subscriptions-not-subscribed", "MGM_TIER_C_NON_SUBSCRIBER_USER_ID"),
            ):
                if not self.missing(name, variable):
                    params = {"broadcaster_id": broadcaster, "user_id": env[variable]}
                    interface = "helix.get_broadcaster_subscriptions"
                    await self.exchange(
                        name,
                        interface,
                        "GET",
                        self.helix,
                        "/helix/subscriptions",
                        headers=user,
                        params=params,
                    )
            chat = {"broadcaster_id": broadcaster, "sender_id": broadcaster, "message": "MGM recorder check"}
            await self.exchange(
                "helix-error-unauthorized", "helix.errors", "POST", self.helix, "/helix/chat/messages",
                headers=self.helix_headers("not-a-valid-token-0000"), body=chat,
            )  # fmt: skip
            if send_chat:
                await self.exchange(
                    "helix-send-chat-message-sent", "helix.send_chat_message", "POST", self.helix,
                    "/helix/chat/messages", headers=user, body=chat,
                )  # fmt: skip
            else:
                self.skipped.append(
                    "helix-send-chat-message-sent: pass --send-chat to post to the staging chat"
                )
        app_vars = ("MGM_TIER_C_TWITCH_CLIENT_ID", "MGM_TIER_C_TWITCH_CLIENT_SECRET")
        if not self.missing("eventsub admin", *app_vars):
            grant = await self.exchange(
                "oauth-client-credentials", "oauth.client_credentials", "POST", self.auth, "/oauth2/token",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                form={
                    "client_id": env["MGM_TIER_C_TWITCH_CLIENT_ID"],
                    "client_secret": env["MGM_TIER_C_TWITCH_CLIENT_SECRET"],
                    "grant_type": "client_credentials",
                },
            )  # fmt: skip
            await self._eventsub(str((grant["body"] or {}).get("access_token", "")), eventsub_write)
        if not self.missing("extension-jwt-claims", "MGM_TIER_C_EXTENSION_JWT"):
            self._jwt(env["MGM_TIER_C_EXTENSION_JWT"])

    async def _eventsub(self, app_token: str, write: bool) -> None:
        headers = self.helix_headers(app_token)
        path = "/helix/eventsub/subscriptions"
        if write and not self.missing(
            "eventsub create/delete", "MGM_TIER_C_EVENTSUB_CALLBACK_URL", "MGM_TIER_C_EVENTSUB_SECRET"
        ):
            broadcaster = self.env.get("MGM_TIER_C_BROADCASTER_ID", "")
            body = {
                "type": "channel.chat.message",
                "version": "1",
                "condition": {"broadcaster_user_id": broadcaster, "user_id": broadcaster},
                "transport": {
                    "method": "webhook",
                    "callback": self.env["MGM_TIER_C_EVENTSUB_CALLBACK_URL"],
                    "secret": self.env["MGM_TIER_C_EVENTSUB_SECRET"],
                },
            }
            created = await self.exchange(
                "eventsub-create-subscription", "eventsub.admin.create", "POST", self.helix, path,
                headers=headers, body=body,
            )  # fmt: skip
            await self.exchange(
                "eventsub-create-subscription-conflict", "eventsub.admin.create", "POST", self.helix, path,
                headers=headers, body=body,
            )  # fmt: skip
            await self.exchange(
                "eventsub-list-subscriptions", "eventsub.admin.list", "GET", self.helix, path,
                headers=headers, params={"type": "channel.chat.message"},
            )  # fmt: skip
            data = (created["body"] or {}).get("data") or [{}]
            if data[0].get("id"):
                await self.exchange(
                    "eventsub-delete-subscription", "eventsub.admin.delete", "DELETE", self.helix, path,
                    headers=headers, params={"id": data[0]["id"]},
                )  # fmt: skip
        else:
            if not write:
                self.skipped.append(
                    "eventsub create/delete: pass --eventsub-write to create a real subscription"
                )
            await self.exchange(
                "eventsub-list-subscriptions", "eventsub.admin.list", "GET", self.helix, path,
                headers=headers, params={"type": "channel.chat.message"},
            )  # fmt: skip

    def _jwt(self, token: str) -> None:
        def segment(index: int) -> Any:
            part = token.split(".")[index]
            return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

        request = {
            "method": "GET",
            "path": "<extension frontend: Twitch.ext.onAuthorized token>",
            "query": {},
        }
        response = {"status": 200, "headers": {}, "header": segment(0), "body": segment(1)}
        self.write("extension-jwt-claims", "extension.jwt", {**request, "headers": []}, response)


async def run(
    out: Path,
    *,
    send_chat: bool = False,
    eventsub_write: bool = False,
    environ: Mapping[str, str] | None = None,
    now: Callable[[], datetime] | None = None,
) -> Recorder:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        recorder = Recorder(
            os.environ if environ is None else environ, out, http, now or (lambda: datetime.now(UTC))
        )
        await recorder.record(send_chat=send_chat, eventsub_write=eventsub_write)
    return recorder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mgm_twitch.recorder", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the recordings")
    parser.add_argument("--send-chat", action="store_true", help="also post one line to the staging chat")
    parser.add_argument("--eventsub-write", action="store_true", help="also create and delete a subscription")
    args = parser.parse_args(argv)
    try:
        recorder = asyncio.run(run(args.out, send_chat=args.send_chat, eventsub_write=args.eventsub_write))
    except aiohttp.ClientError as error:
        print(f"recorder: Twitch unreachable: {type(error).__name__}", file=sys.stderr)
        return 1
    for name in recorder.written:
        print(f"recorded {name}")
    for reason in recorder.skipped:
        print(f"skipped {reason}")
    return 0 if recorder.written else 1


if __name__ == "__main__":
    raise SystemExit(main())
