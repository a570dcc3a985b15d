"""The WoW client simulator over HTTP: our ``/api/wow/*`` routes plus the seed WoWMock's ``/api/mock/*``.

``create_app(settings)`` builds the application; the simulator itself lives
under :data:`SIMULATOR` and is created and closed in ``cleanup_ctx``. Run it
standalone with ``python -m mgm_wow`` (``--help`` lists the options); the routes
are documented in ``docs/wow-simulator.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from aiohttp import web

from mgm_core.clock import Clock
from mgm_core.serving import ListenError, serve_until_signalled
from mgm_wow import diagnostics
from mgm_wow.run_lines import MAX_LINE_BYTES, line_bytes
from mgm_wow.settings import SettingsError, SimulatorSettings
from mgm_wow.simulator import (
    Behaviour,
    JournalEntry,
    MailResult,
    Sleep,
    WinnerScript,
    WowClientSimulator,
)

log = logging.getLogger(__name__)

SIMULATOR: Final = web.AppKey("wow_simulator", WowClientSimulator)
COMPONENT: Final = "WowClientSimulator"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(
    settings: SimulatorSettings | None = None,
    *,
    clock: Clock | None = None,
    sleep: Sleep = asyncio.sleep,
) -> web.Application:
    """The simulator application; the chat log is created when the app starts.

    ``clock`` (default: the settings' clock) stamps log lines; ``sleep`` waits out
    the configured delays.
    """
    settings = settings or SimulatorSettings()
    app = web.Application(middlewares=[_json_errors])

    async def simulator_context(app: web.Application) -> AsyncIterator[None]:
        simulator = WowClientSimulator(settings, clock=clock, sleep=sleep)
        simulator.open()
        app[SIMULATOR] = simulator
        yield
        await simulator.close()

    app.cleanup_ctx.append(simulator_context)
    diagnostics.install(app, settings)
    add_routes(app)
    return app


def add_routes(app: web.Application) -> None:
    """Every route, in one place."""
    app.router.add_get("/health", health)
    # The seed WoWMock's routes, same paths and shapes.
    app.router.add_get("/api/mock/health", mock_health)
    app.router.add_post("/api/mock/reset", mock_reset)
    app.router.add_post("/api/mock/add-message", mock_add_message)
    app.router.add_get("/api/mock/commands", mock_commands)
    app.router.add_post("/api/mock/set-response", mock_set_response)
    # The client and addon.
    app.router.add_post("/api/wow/run", wow_run)
    app.router.add_post("/api/wow/whisper", wow_whisper)
    app.router.add_get("/api/wow/roster", get_roster)
    app.router.add_put("/api/wow/roster", put_roster)
    app.router.add_get("/api/wow/winners", get_winners)
    app.router.add_put("/api/wow/winners/{name}", put_winner)
    app.router.add_delete("/api/wow/winners/{name}", delete_winner)
    app.router.add_get("/api/wow/settings", get_settings)
    app.router.add_patch("/api/wow/settings", patch_settings)
    app.router.add_get("/api/wow/whispers", get_whispers)
    app.router.add_get("/api/wow/mail", get_mail)
    app.router.add_post("/api/wow/mail/send", send_mail)
    app.router.add_post("/api/wow/mail/manual", send_manual_mail)
    app.router.add_get("/api/wow/commands", get_commands)
    app.router.add_get("/api/wow/log", get_log)
    app.router.add_post("/api/wow/log/truncate", truncate_log)
    app.router.add_post("/api/wow/log/rotate", rotate_log)
    app.router.add_post("/api/wow/reset", reset)


# --------------------------------------------------------------------------- plumbing


class BadRequest(Exception):
    """A request the simulator refuses with 400 and ``code``."""

    def __init__(self, message: str, code: str = "invalid_payload", **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


@web.middleware
async def _json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadRequest as exc:
        return _error(400, exc.code, str(exc), exc.details)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status, "http_error")
        return _error(exc.status, code, exc.reason)


def _error(status: int, code: str, message: str, details: Mapping[str, Any] | None = None) -> web.Response:
    return web.json_response(
        {"code": code, "message": message, "details": dict(details or {})}, status=status
    )


def iso(instant: datetime) -> str:
    """An instant as ISO-8601 UTC with milliseconds and ``Z``."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON object body with keys lower-cased (input names match case-insensitively)."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return {str(k).lower(): v for k, v in data.items()}


def _text(body: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    value = body.get(key.lower())
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadRequest(f"{key} must be a non-empty string", field=key)
    return value


def _one_line(value: str | None, key: str) -> str | None:
    # Everything here ends up as a chat-log line; a line break would forge a second one.
    if value is not None and ("\n" in value or "\r" in value):
        raise BadRequest(f"{key} must be a single line", field=key)
    return value


def _int(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key.lower())
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRequest(f"{key} must be a whole number of at least 0", field=key)
    return value


def _sim(request: web.Request) -> WowClientSimulator:
    return request.app[SIMULATOR]


def _entry(entry: JournalEntry) -> dict[str, Any]:
    return {
        "command": entry.command,
        "receivedAt": iso(entry.received_at),
        "source": entry.source,
        "outcome": entry.outcome,
    }


def _mail_result(result: MailResult) -> dict[str, Any]:
    mail = result.mail
    return {
        "sent": result.sent,
        "reason": result.reason,
        "mail": None if mail is None else _mail(asdict(mail)),
    }


def _mail(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        head, *rest = key.split("_")
        out[head + "".join(p.title() for p in rest)] = iso(value) if isinstance(value, datetime) else value
    return out


# --------------------------------------------------------------------------- health


async def health(request: web.Request) -> web.Response:
    """Liveness, in the shape the other stand-ins use."""
    return web.json_response({"status": "healthy", "component": COMPONENT})


# --------------------------------------------------------------------------- seed WoWMock


async def mock_health(request: web.Request) -> web.Response:
    """Seed: ``{"ok":true,"logFilePath":…}``."""
    return web.json_response({"ok": True, "logFilePath": str(_sim(request).log.path)})


async def mock_reset(request: web.Request) -> web.Response:
    """Seed: forget the received commands and empty the log."""
    simulator = _sim(request)
    simulator.journal.clear()
    simulator.log.truncate()
    return web.json_response({"ok": True, "logFilePath": str(simulator.log.path)})


async def mock_add_message(request: web.Request) -> web.Response:
    """Seed: append a line to the chat log (see ``WowClientSimulator.add_message``)."""
    body = await _body(request)
    content = body.get("content")
    if not isinstance(content, str) or not content.strip():
        # The seed answered with the framework's validation problem, not the domain error shape.
        return web.json_response(
            {
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                "title": "One or more validation errors occurred.",
                "status": 400,
                "errors": {"Content": ["The Content field is required."]},
            },
            status=400,
            content_type="application/problem+json",
        )
    _one_line(content, "content")
    stamped = await _sim(request).add_message(content)
    return web.json_response({"content": content, "timestamp": iso(stamped)})


async def mock_commands(request: web.Request) -> web.Response:
    """Seed: every received ``/run`` command as ``{command, receivedAt}``."""
    return web.json_response(
        [{"command": e.command, "receivedAt": iso(e.received_at)} for e in _sim(request).journal]
    )


async def mock_set_response(request: web.Request) -> web.Response:
    """Seed: set auto-confirm and echo (a missing flag means false) and the delay (null keeps it)."""
    body = await _body(request)
    behaviour = _sim(request).behaviour
    auto_confirm = body.get("autoconfirmaccepts", False)
    echo = body.get("echoruncommandstochatlog", False)
    if not isinstance(auto_confirm, bool) or not isinstance(echo, bool):
        raise BadRequest("autoConfirmAccepts and echoRunCommandsToChatLog must be true or false")
    delay = _int(body, "commandProcessingDelayMs")
    behaviour.auto_confirm_accepts = auto_confirm
    behaviour.echo_run_commands_to_chat_log = echo
    if delay is not None:
        behaviour.command_processing_delay_ms = delay
    return web.json_response({"ok": True})


# --------------------------------------------------------------------------- client and addon


async def wow_run(request: web.Request) -> web.Response:
    """Type one injected line into the client (``{"line"}``); answers what the client made of it."""
    body = await _body(request)
    line = _one_line(_text(body, "line"), "line")
    assert line is not None
    if line_bytes(line) > MAX_LINE_BYTES:
        # WoW's edit box would silently cut the line; refusing makes the overflow visible in tests.
        raise BadRequest(
            f"line is {line_bytes(line)} bytes; the chat edit box takes {MAX_LINE_BYTES}",
            code="line_too_long",
            bytes=line_bytes(line),
        )
    entry = await _sim(request).run_line(line)
    return web.json_response(_entry(entry))


async def wow_whisper(request: web.Request) -> web.Response:
    """A player whispers the streamer (``{"from","text"}``); ``accepted`` when it was the winner's consent."""
    body = await _body(request)
    sender, text = _one_line(_text(body, "from"), "from"), _one_line(_text(body, "text"), "text")
    assert sender is not None and text is not None
    return web.json_response({"accepted": _sim(request).receive_whisper(sender, text)})


async def get_roster(request: web.Request) -> web.Response:
    """Who ``/who`` finds online."""
    return web.json_response({"online": _sim(request).roster})


async def put_roster(request: web.Request) -> web.Response:
    """Replace the online roster (``{"online":[names]}``)."""
    body = await _body(request)
    names = body.get("online")
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise BadRequest("online must be a list of character names", field="online")
    _sim(request).roster = [n.strip() for n in names]
    return web.json_response({"online": _sim(request).roster})


async def get_winners(request: web.Request) -> web.Response:
    """Every winner script, plus the default reply for unscripted names."""
    simulator = _sim(request)
    scripts = [
        {"characterName": name, "reply": script.reply, "delayMs": script.delay_ms}
        for name, script in simulator.winner_scripts.values()
    ]
    return web.json_response({"winners": scripts, "defaultReply": simulator.behaviour.default_reply})


async def put_winner(request: web.Request) -> web.Response:
    """Script how a name answers the notification whisper (``{"reply": text|null, "delayMs"?}``)."""
    body = await _body(request)
    if "reply" not in body:
        raise BadRequest("reply is required (a text, or null for a winner who never answers)", field="reply")
    reply = _one_line(_text(body, "reply", required=False), "reply")
    name = request.match_info["name"]
    script = WinnerScript(reply, _int(body, "delayMs"))
    _sim(request).set_winner_script(name, script)
    return web.json_response({"characterName": name, "reply": script.reply, "delayMs": script.delay_ms})


async def delete_winner(request: web.Request) -> web.Response:
    """Forget a name's script (it falls back to the default reply)."""
    if not _sim(request).remove_winner_script(request.match_info["name"]):
        raise web.HTTPNotFound(reason="no script for that character")
    return web.json_response({"ok": True})


_SETTING_NAMES: Final = {
    "".join(p if i == 0 else p.title() for i, p in enumerate(f.name.split("_"))): f.name
    for f in fields(Behaviour)
}


def _settings_json(behaviour: Behaviour) -> dict[str, Any]:
    return {camel: getattr(behaviour, name) for camel, name in _SETTING_NAMES.items()}


async def get_settings(request: web.Request) -> web.Response:
    """The run-time switches: delays, auto-send, mailbox, failing mail, auto-confirm, echo, default reply."""
    return web.json_response(_settings_json(_sim(request).behaviour))


async def patch_settings(request: web.Request) -> web.Response:
    """Change some switches; unknown names or wrong types are refused and nothing changes."""
    body = await _body(request)
    by_lower = {camel.lower(): name for camel, name in _SETTING_NAMES.items()}
    behaviour = _sim(request).behaviour
    changes: dict[str, Any] = {}
    for key, value in body.items():
        name = by_lower.get(key)
        if name is None:
            raise BadRequest(f"unknown setting {key!r}", field=key)
        current = getattr(Behaviour(), name)
        if name == "default_reply":
            if value is not None and not isinstance(value, str):
                raise BadRequest("defaultReply must be a text or null", field=key)
        elif isinstance(current, bool):
            if not isinstance(value, bool):
                raise BadRequest(f"{key} must be true or false", field=key)
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise BadRequest(f"{key} must be a whole number of at least 0", field=key)
        changes[name] = value
    for name, value in changes.items():
        setattr(behaviour, name, value)
    return web.json_response(_settings_json(behaviour))


async def get_whispers(request: web.Request) -> web.Response:
    """Whispers sent (``out``) and received (``in``), oldest first."""
    return web.json_response(
        [
            {"direction": w.direction, "characterName": w.character_name, "text": w.text, "at": iso(w.at)}
            for w in _sim(request).whispers
        ]
    )


async def get_mail(request: web.Request) -> web.Response:
    """The addon's mail queue, the mails sent, and the failed send attempts."""
    simulator = _sim(request)
    return web.json_response(
        {
            "queue": [_mail(asdict(m)) for m in simulator.mail_queue],
            "sent": [_mail(asdict(m)) for m in simulator.sent_mail],
            "failures": [_mail(asdict(m)) for m in simulator.mail_failures],
        }
    )


async def send_mail(request: web.Request) -> web.Response:
    """Press Send on the armed MGM mail (``{"payoutId"?}``, default the head of the queue)."""
    body = await _body(request)
    payout_id = _text(body, "payoutId", required=False)
    return web.json_response(_mail_result(_sim(request).send_mail(payout_id)))


async def send_manual_mail(request: web.Request) -> web.Response:
    """Send a mail by hand, outside the addon's queue (``{"recipient","copper","subject"?}``); no tag."""
    body = await _body(request)
    recipient = _text(body, "recipient")
    copper = _int(body, "copper")
    subject = _text(body, "subject", required=False) or ""
    assert recipient is not None
    if copper is None:
        raise BadRequest("copper is required", field="copper")
    return web.json_response(_mail_result(_sim(request).send_manual_mail(recipient, copper, subject)))


async def get_commands(request: web.Request) -> web.Response:
    """Every injected line with its source (``run`` or ``add-message``) and outcome."""
    return web.json_response([_entry(e) for e in _sim(request).journal])


async def get_log(request: web.Request) -> web.Response:
    """The chat log's path and current lines."""
    writer = _sim(request).log
    return web.json_response({"logFilePath": str(writer.path), "lines": writer.read_lines()})


async def truncate_log(request: web.Request) -> web.Response:
    """Empty the chat log in place."""
    writer = _sim(request).log
    writer.truncate()
    return web.json_response({"ok": True, "logFilePath": str(writer.path)})


async def rotate_log(request: web.Request) -> web.Response:
    """Move the chat log aside (``<name>.1``) and start a new file."""
    writer = _sim(request).log
    aside = writer.rotate()
    return web.json_response({"ok": True, "logFilePath": str(writer.path), "rotatedTo": str(aside)})


async def reset(request: web.Request) -> web.Response:
    """Everything back to start-up state, log emptied."""
    simulator = _sim(request)
    await simulator.reset()
    return web.json_response({"ok": True, "logFilePath": str(simulator.log.path)})


# --------------------------------------------------------------------------- standalone


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the simulator until interrupted; ``Key=value`` arguments override ``WOWMOCK_*`` variables."""
    parser = argparse.ArgumentParser(
        prog="python -m mgm_wow",
        description="WoW 3.3.5a client simulator with the MGM addon (and the seed WoWMock routes).",
        epilog="Any other setting as Key=value, e.g. MockSettings:LogFilePath=Logs/WoWChatLog.txt "
        "AutoSendMail=true Roster=Norinn,Etoehero",
    )
    parser.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 5001; 0 picks a free one)")
    parser.add_argument("--log-file", help="path of WoWChatLog.txt")
    args, rest = parser.parse_known_args(argv)
    try:
        settings = SimulatorSettings.load(os.environ if environ is None else environ, rest)
        overrides: dict[str, Any] = {}
        if args.host:
            overrides["host"] = args.host
        if args.port is not None:
            overrides["api_port"] = args.port
        if args.log_file:
            overrides["log_file_path"] = Path(args.log_file)
        if overrides:
            settings = settings.with_overrides(**overrides)
    except SettingsError as exc:
        parser.error(str(exc))

    for key in settings.ignored:
        print(f"{parser.prog}: warning: setting {key} is not supported; ignored", file=sys.stderr, flush=True)

    def started(port: int) -> None:
        print(
            f"{COMPONENT} listening on http://{settings.host}:{port} (chat log {settings.log_path})",
            flush=True,
        )

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings)
    try:
        asyncio.run(serve_until_signalled(app, settings.host, settings.api_port, on_started=started))
    except ListenError as exc:  # the port is taken, or the address is not ours
        print(f"{COMPONENT}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
