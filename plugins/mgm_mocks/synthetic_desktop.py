"""SyntheticDesktop (port 9054): plays the Desktop's HTTP part of one payout against the EBS.

Exactly the seed's stand-in (ebs-contract.md §9): ``POST /run-sequence
{"payoutId","characterName"}`` sends, with the ``X-MGM-ApiKey`` header,
confirm-acceptance, PATCH ``inProgress`` and PATCH ``sent``, stopping at the
first non-2xx answer (then 502). The run record is the answer and stays
readable at ``GET /last-run``.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from mgm_core.clock import Clock, SystemClock

from . import env
from .errors import NOT_CONFIGURED, error_response, invalid_payload, json_errors
from .json_body import read_json_object
from .outbound import client_session_context

SERVICE = "SyntheticDesktop"
DEFAULT_BACKEND_URL = "http://127.0.0.1:8080"
API_KEY_HEADER = "X-MGM-ApiKey"
CONFIRM_ACCEPTANCE = "POST confirm-acceptance"
PATCH_IN_PROGRESS = "PATCH status InProgress"
PATCH_SENT = "PATCH status Sent"


@dataclass(frozen=True)
class SyntheticDesktopSettings:
    """Which EBS to drive and the Desktop API key to drive it with."""

    backend_base_url: str = DEFAULT_BACKEND_URL
    api_key: str = field(default="", repr=False)
    request_timeout_seconds: float = 30.0
    clock: Clock = field(default_factory=SystemClock, repr=False, compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SyntheticDesktopSettings:
        """Read ``MGM_*`` variables and the seed's ``SyntheticDesktop__BackendBaseUrl`` / ``Mgm__ApiKey``."""
        e = os.environ if environ is None else environ
        return cls(
            backend_base_url=env.base_url(
                env.text(e, "MGM_MOCK_BACKEND_URL", "SyntheticDesktop:BackendBaseUrl") or DEFAULT_BACKEND_URL
            ),
            api_key=env.text(e, "MGM_API_KEY", "Mgm:ApiKey"),
            request_timeout_seconds=env.number(e, "MGM_MOCK_DESKTOP_TIMEOUT_SECONDS", default=30.0),
            clock=env.clock(e, "MGM_MOCK_NOW"),
        )


@dataclass(frozen=True)
class RunStep:
    """One EBS call of a run: its seed step name, the status and the whole response text."""

    name: str
    status_code: int
    body_snippet: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "statusCode": self.status_code, "bodySnippet": self.body_snippet}


@dataclass(frozen=True)
class RunRecord:
    """The seed's run record; the initial one (no run yet) is not ok and has no steps."""

    ok: bool = False
    steps: tuple[RunStep, ...] = ()
    error: str | None = None
    completed_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "steps": [s.to_json() for s in self.steps],
            "error": self.error,
            "completedAtUtc": _utc_text(self.completed_at) if self.completed_at else None,
        }


def _utc_text(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class DesktopState:
    """The last run, and a lock so runs never interleave (one Desktop does one thing at a time)."""

    last_run: RunRecord = field(default_factory=RunRecord)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


SETTINGS = web.AppKey("desktop_settings", SyntheticDesktopSettings)
STATE = web.AppKey("desktop_state", DesktopState)
HTTP = web.AppKey("desktop_http", aiohttp.ClientSession)


def create_app(settings: SyntheticDesktopSettings) -> web.Application:
    """The SyntheticDesktop application."""
    app = web.Application(middlewares=[json_errors])
    app[SETTINGS] = settings
    app[STATE] = DesktopState()
    app.cleanup_ctx.append(client_session_context(HTTP, settings.request_timeout_seconds))
    app.router.add_get("/health", health)
    app.router.add_post("/run-sequence", run_sequence)
    app.router.add_get("/last-run", last_run)
    return app


async def health(request: web.Request) -> web.Response:
    """Seed health answer."""
    return web.json_response({"status": "healthy", "component": SERVICE})


async def last_run(request: web.Request) -> web.Response:
    """The last run record (``ok:false`` with no steps before the first run)."""
    return web.json_response(request.app[STATE].last_run.to_json())


def _payout_request(body: dict[str, Any]) -> tuple[uuid.UUID, str]:
    # Property names match case-insensitively, as in the seed (ebs-contract.md §0).
    fields = {name.lower(): value for name, value in body.items()}
    raw_id = fields.get("payoutid")
    try:
        payout_id = uuid.UUID(raw_id) if isinstance(raw_id, str) else None
    except ValueError:
        payout_id = None
    if payout_id is None or payout_id.int == 0:
        raise invalid_payload("payoutId must be a non-zero GUID", "payoutId")
    name = fields.get("charactername")
    if not isinstance(name, str) or not name.strip():
        raise invalid_payload("characterName must not be blank", "characterName")
    return payout_id, name


async def run_sequence(request: web.Request) -> web.Response:
    """Drive confirm-acceptance → InProgress → Sent; 200 when all succeed, 502 at the first failure."""
    settings = request.app[SETTINGS]
    if not settings.api_key:
        return error_response(
            500, NOT_CONFIGURED, "the Desktop API key (MGM_API_KEY / Mgm__ApiKey) is not set"
        )
    payout_id, character_name = _payout_request(await read_json_object(request))
    payout = f"{settings.backend_base_url}/api/payouts/{payout_id}"
    plan = (
        (CONFIRM_ACCEPTANCE, "POST", f"{payout}/confirm-acceptance", {"characterName": character_name}),
        (PATCH_IN_PROGRESS, "PATCH", f"{payout}/status", {"status": "inProgress"}),
        (PATCH_SENT, "PATCH", f"{payout}/status", {"status": "sent"}),
    )
    state = request.app[STATE]
    async with state.lock:
        record = await _run(request.app[HTTP], settings, plan)
        state.last_run = record
    return web.json_response(record.to_json(), status=200 if record.ok else 502)


async def _run(
    session: aiohttp.ClientSession,
    settings: SyntheticDesktopSettings,
    plan: tuple[tuple[str, str, str, dict[str, str]], ...],
) -> RunRecord:
    steps: list[RunStep] = []
    headers = {API_KEY_HEADER: settings.api_key, "Accept": "application/json"}
    for name, method, url, body in plan:
        try:
            async with session.request(method, url, json=body, headers=headers) as response:
                text = await response.text(errors="replace")
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"{name} failed: {exc!r}"
            return RunRecord(False, tuple(steps), error, settings.clock.now())
        steps.append(RunStep(name, status, text))
        if not 200 <= status < 300:
            return RunRecord(False, tuple(steps), f"{name} returned {status}", settings.clock.now())
    return RunRecord(True, tuple(steps), None, settings.clock.now())
