"""Test doubles for the bridge: a small in-memory EBS with a request journal and scriptable faults.

:class:`FakeEbs` answers the Desktop's routes with the rules our EBS follows
(decisions.md: key checks, the transition table, same-status PATCH = 200,
case-insensitive names) — enough to drive the bridge end to end, not a second
EBS. Faults are scripted per route and count ("fail twice with 503, then
answer"), or globally (``down``), either as an HTTP status or as a dropped
connection.

It is an ordinary ``web.Application``; run it with ``mgm_core.serving`` on port 0
and point the client at its URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from aiohttp import web

from mgm_core.clock import Clock, VirtualClock
from mgm_core.serving import start_site

# A fixed instant inside a cycle: tests never depend on the date they run on.
FAKE_START: Final = datetime(2026, 11, 24, 12, 4, 0, tzinfo=UTC)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STATUSES: Final = ("Pending", "InProgress", "Sent", "Failed", "Cancelled", "Expired")
TERMINAL: Final = frozenset({"Sent", "Failed", "Cancelled", "Expired"})
TRANSITIONS: Final = frozenset(
    {
        ("Pending", "InProgress"),
        ("Pending", "Failed"),
        ("Pending", "Cancelled"),
        ("InProgress", "Sent"),
        ("InProgress", "Failed"),
        ("InProgress", "Cancelled"),
        ("InProgress", "Pending"),
    }
)


@dataclass(frozen=True)
class RecordedCall:
    """One request the fake received (including ones it failed on purpose)."""

    method: str
    path: str
    body: Any
    status: int


@dataclass
class Fault:
    """Fail matching requests ``times`` more times: with ``status`` or by dropping the connection."""

    method: str
    path_prefix: str
    times: int
    status: int = 503
    retry_after: str | None = None
    disconnect: bool = False


@dataclass
class FakeEbs:
    """The Desktop's slice of the EBS, in memory."""

    api_key: str = "test-desktop-key"
    version: str = "0.0.0-test"
    payouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    accepted: dict[str, str] = field(default_factory=dict)
    candidate: dict[str, Any] | None = None
    calls: list[RecordedCall] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    down: bool = False
    down_disconnects: bool = False
    # The fake's notion of now; hand the same clock to the bridge under test.
    clock: Clock = field(default_factory=lambda: VirtualClock(FAKE_START))

    # ------------------------------------------------------------------ scripting

    def add_payout(self, character_name: str, status: str = "Pending", gold: int = 1000) -> str:
        """Create a payout directly; returns its id."""
        payout_id = str(uuid.uuid4())
        self.payouts[payout_id] = {
            "id": payout_id,
            "twitchUserId": f"user-{len(self.payouts) + 1}",
            "twitchDisplayName": character_name.lower(),
            "characterName": character_name,
            "goldAmount": gold,
            "enrollmentRequestId": f"spin:{uuid.uuid4().hex}",
            "status": status,
            "createdAt": (self.clock.now() + timedelta(microseconds=len(self.payouts))).isoformat(),
            "isRewardSentAnnouncedToChat": False,
        }
        return payout_id

    def set_candidate(
        self,
        character_name: str,
        *,
        spin_cycle_id: str | None = None,
        phase: str = "verification",
        deadline: datetime | None = None,
    ) -> str:
        """Make ``character_name`` the candidate waiting for ``/who``; returns the cycle id."""
        cycle = spin_cycle_id or str(uuid.uuid4())
        now = self.clock.now()
        self.candidate = {
            "spinCycleId": cycle,
            "characterName": character_name,
            "selectedAt": now.isoformat().replace("+00:00", "Z"),
            "verificationDeadline": (deadline or now + timedelta(minutes=1))
            .isoformat()
            .replace("+00:00", "Z"),
            "spinPhase": phase,
        }
        return cycle

    def fail(
        self,
        method: str,
        path_prefix: str,
        *,
        times: int = 1,
        status: int = 503,
        retry_after: str | None = None,
        disconnect: bool = False,
    ) -> Fault:
        """Script the next ``times`` matching requests to fail."""
        fault = Fault(method.upper(), path_prefix, times, status, retry_after, disconnect)
        self.faults.append(fault)
        return fault

    def calls_to(self, method: str, path_prefix: str = "") -> list[RecordedCall]:
        """Journal entries for ``method`` under ``path_prefix``."""
        return [c for c in self.calls if c.method == method.upper() and c.path.startswith(path_prefix)]

    def status_of(self, payout_id: str) -> str:
        return str(self.payouts[payout_id]["status"])

    # ------------------------------------------------------------------ app

    def app(self) -> web.Application:
        """A fresh application serving this fake's state."""
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        r.add_get("/api/roulette/candidate", self._get_candidate)
        r.add_post("/api/roulette/verify-candidate", self._verify_candidate)
        r.add_get("/api/payouts/pending", self._get_pending)
        r.add_get("/api/payouts/{id}", self._get_payout)
        r.add_post("/api/payouts/{id}/confirm-acceptance", self._confirm_acceptance)
        r.add_patch("/api/payouts/{id}/status", self._patch_status)
        r.add_get("/api/version", self._version)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        fault = self._take_fault(request.method, request.path)
        if fault is not None:
            self.calls.append(
                RecordedCall(request.method, request.path, body, 0 if fault.disconnect else fault.status)
            )
            if fault.disconnect:
                assert request.transport is not None
                request.transport.close()
                return web.Response(status=503)
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return _error(fault.status, "service_unavailable", "scripted failure", headers)
        key = request.headers.get("X-MGM-ApiKey")
        if key is None:
            response: web.StreamResponse = _error(401, "unauthorized", "missing X-MGM-ApiKey")
        elif key != self.api_key:
            response = _error(403, "forbidden_apikey", "wrong X-MGM-ApiKey")
        else:
            try:
                response = await handler(request)
            except web.HTTPNotFound:
                response = _error(404, "not_found", "no such route")
        self.calls.append(RecordedCall(request.method, request.path, body, response.status))
        return response

    def _take_fault(self, method: str, path: str) -> Fault | None:
        if self.down:
            return Fault(method, path, 1, 503, None, self.down_disconnects)
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and path.startswith(fault.path_prefix):
                fault.times -= 1
                return fault
        return None

    def _payout(self, request: web.Request) -> dict[str, Any] | None:
        payout_id = request.match_info["id"].lower()
        return self.payouts.get(payout_id)

    async def _get_candidate(self, request: web.Request) -> web.Response:
        if self.candidate is None:
            return _error(404, "not_found", "no candidate is waiting")
        return web.json_response(self.candidate)

    async def _verify_candidate(self, request: web.Request) -> web.Response:
        body = await _json(request)
        if not isinstance(body, dict) or body.get("schemaVersion") != 1:
            return _error(400, "invalid_payload", "schemaVersion must be 1")
        candidate = self.candidate
        if candidate is None or str(body.get("spinCycleId", "")).lower() != candidate["spinCycleId"].lower():
            return _error(400, "out_of_sequence", "not the current cycle")
        if body.get("online") is False:
            self.candidate = None
            return web.Response(status=200)
        if str(body.get("characterName", "")).casefold() != candidate["characterName"].casefold():
            return _error(400, "out_of_sequence", "not the candidate")
        self.add_payout(candidate["characterName"])
        self.candidate = None
        return web.Response(status=200)

    async def _get_pending(self, request: web.Request) -> web.Response:
        pending = [p for p in self.payouts.values() if p["status"] == "Pending"]
        return web.json_response(sorted(pending, key=lambda p: p["createdAt"]))

    async def _get_payout(self, request: web.Request) -> web.Response:
        payout = self._payout(request)
        if payout is None:
            return _error(404, "not_found", "no such payout")
        return web.json_response(payout)

    async def _confirm_acceptance(self, request: web.Request) -> web.Response:
        payout = self._payout(request)
        if payout is None:
            return _error(404, "not_found", "no such payout")
        body = await _json(request)
        name = body.get("characterName") if isinstance(body, dict) else None
        if not isinstance(name, str) or name.casefold() != payout["characterName"].casefold():
            return _error(400, "invalid_character_name", "name does not match the payout")
        if payout["status"] in TERMINAL:
            return _error(409, "terminal_status_change_not_allowed", "payout is finished")
        self.accepted[payout["id"]] = name
        return web.Response(status=200)

    async def _patch_status(self, request: web.Request) -> web.Response:
        payout = self._payout(request)
        if payout is None:
            return _error(404, "not_found", "no such payout")
        body = await _json(request)
        wanted = body.get("status") if isinstance(body, dict) else None
        target = next((s for s in STATUSES if isinstance(wanted, str) and s.lower() == wanted.lower()), None)
        if target is None:
            return _error(400, "invalid_payload", "unknown status")
        current = payout["status"]
        if target != current:
            if current in TERMINAL:
                return _error(409, "terminal_status_change_not_allowed", f"{current} is terminal")
            if (current, target) not in TRANSITIONS:
                return _error(409, "invalid_transition", f"{current} -> {target}")
            payout["status"] = target
        return web.json_response(payout)

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": self.version, "minimumAddonVersion": None})


async def _json(request: web.Request) -> Any:
    raw = await request.read()  # aiohttp keeps the body, so the middleware's read is not lost
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        return None


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"code": code, "message": message, "details": {}}, status=status, headers=headers
    )


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port of the running loop; yields its base URL."""
    runner, port = await start_site(app)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def eventually(
    check: Callable[[], Any], *, timeout: float = 3.0, interval: float = 0.01, what: str = "condition"
) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; its value, or TimeoutError."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() >= deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        await asyncio.sleep(interval)
