"""A real EBS on its own event loop, for tests and scenarios that talk HTTP to it.

``RunningEbs`` starts :func:`mgm_core.web.app.create_app` on a free loopback
port with a :class:`VirtualClock`, and offers a synchronous client plus the
small conveniences every test needs: Extension tokens, the Desktop key header,
and signed EventSub chat deliveries.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from mgm_core.clock import VirtualClock
from mgm_core.config import Config
from mgm_core.domain import roulette
from mgm_core.security import extension_jwt
from mgm_core.serving import BackgroundServer
from mgm_core.testing.health import EbsHealth
from mgm_core.testing.http import loopback_client
from mgm_core.testing.twitch_signing import twitch_signature, twitch_timestamp
from mgm_core.web import keys
from mgm_core.web.access import API_KEY_HEADER
from mgm_core.web.app import create_app

TEST_API_KEY = "test-desktop-api-key"
TEST_EVENTSUB_SECRET = "test-eventsub-secret"
# A fixed instant well inside a cycle's collecting phase: 12:01:00 UTC. Where a scenario's
# virtual clock starts unless --mgm-clock-start / MGM_CLOCK_START says otherwise.
DEFAULT_START = datetime(2026, 11, 24, 12, 1, 0, tzinfo=UTC)


def test_config(database_url: str, **overrides: Any) -> Config:
    """A development config for tests: virtual clock, known secrets, subscriber bypass on."""
    base = Config(
        env="development",
        database_url=database_url,
        api_key=TEST_API_KEY,
        eventsub_secret=TEST_EVENTSUB_SECRET,
        clock="virtual",
        dev_skip_subscriber_check=True,
        enable_e2e_harness=True,
    )
    return base.with_overrides(**overrides).validate()


class EbsDriver:
    """What tests do to an EBS over HTTP: tokens, the Desktop key, the clock route, journeys.

    A subclass provides ``http`` (a client with the EBS's base URL), ``clock``
    (the EBS's time as the test knows it) and ``config`` (its secrets).
    """

    http: httpx.Client
    clock: VirtualClock
    config: Config

    def _moved(self, answer: dict[str, Any]) -> dict[str, Any]:
        """Called with every ``POST /api/e2e/clock`` answer (a remote driver follows ``serverNow``)."""
        return answer

    # -- credentials ---------------------------------------------------------------
    def token(self, user_id: str | None, display_name: str | None = None, **claims: Any) -> str:
        """An Extension JWT valid at the EBS's current (virtual) time, for its channel."""
        if self.config.broadcaster_id:
            claims.setdefault("channel_id", self.config.broadcaster_id)
        payload = extension_jwt.viewer_claims(
            user_id,
            self.clock.now(),
            display_name=display_name,
            audience=self.config.extension_client_id,
            **claims,
        )
        return extension_jwt.mint(payload, self.config.extension_key())

    def bearer(self, user_id: str | None, display_name: str | None = None, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id, display_name, **claims)}"}

    def desktop(self) -> dict[str, str]:
        return {API_KEY_HEADER: self.config.api_key}

    # -- time ----------------------------------------------------------------------
    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the virtual clock through ``POST /api/e2e/clock`` (the scheduler acts first)."""
        answer = self.http.post("/api/e2e/clock", json={"advanceSeconds": seconds}, headers=self.desktop())
        answer.raise_for_status()
        return self._moved(dict(answer.json()))

    def set_time(self, instant: datetime) -> dict[str, Any]:
        answer = self.http.post(
            "/api/e2e/clock", json={"setUtc": instant.isoformat()}, headers=self.desktop()
        )
        answer.raise_for_status()
        return self._moved(dict(answer.json()))

    def advance_to_offset(self, seconds_into_cycle: float) -> dict[str, Any]:
        """Move to ``seconds_into_cycle`` into the current cycle (the next one if that is not ahead)."""
        now = self.clock.now()
        start = roulette.cycle_start(now)
        target = start + timedelta(seconds=seconds_into_cycle)
        if target <= now:
            target += roulette.SPIN_INTERVAL
        return self.advance((target - now).total_seconds())

    # -- common journeys -------------------------------------------------------------
    def claim(self, user_id: str, character_name: str, request_id: str | None = None) -> httpx.Response:
        return self.http.post(
            "/api/payouts/claim",
            json={"characterName": character_name, "enrollmentRequestId": request_id or str(uuid.uuid4())},
            headers=self.bearer(user_id),
        )

    def pool_me(self, user_id: str) -> dict[str, Any]:
        answer = self.http.get("/api/pool/me", headers=self.bearer(user_id))
        answer.raise_for_status()
        return dict(answer.json())

    def candidate(self) -> httpx.Response:
        return self.http.get("/api/roulette/candidate", headers=self.desktop())

    def report(self, spin_cycle_id: str, character_name: str, online: bool = True) -> httpx.Response:
        return self.http.post(
            "/api/roulette/verify-candidate",
            json={
                "schemaVersion": 1,
                "spinCycleId": spin_cycle_id,
                "characterName": character_name,
                "online": online,
                "capturedAt": self.clock.now().isoformat(),
            },
            headers=self.desktop(),
        )

    def win(self, user_id: str, character_name: str) -> dict[str, Any]:
        """Enroll ``user_id`` as the only pool member, draw, report online: the Pending payout."""
        enrolled = self.chat_delivery(user_id, f"!twgold {character_name}")
        assert enrolled.status_code == 204, enrolled.text
        self.advance_to_offset(240)
        candidate = self.candidate()
        assert candidate.status_code == 200, candidate.text
        answer = self.report(candidate.json()["spinCycleId"], character_name)
        assert answer.status_code == 200, answer.text
        return dict(answer.json()["payout"])

    def patch_status(self, payout_id: str, status: str) -> httpx.Response:
        return self.http.patch(
            f"/api/payouts/{payout_id}/status", json={"status": status}, headers=self.desktop()
        )

    # -- EventSub ------------------------------------------------------------------
    def chat_delivery(
        self,
        chatter_id: str,
        text: str,
        *,
        login: str | None = None,
        name: str | None = None,
        badges: tuple[str, ...] = ("subscriber",),
        message_id: str | None = None,
        delivery_id: str | None = None,
        timestamp: str | None = None,
        secret: str | None = None,
    ) -> httpx.Response:
        """Post a signed ``channel.chat.message`` notification and return the answer."""
        message_id = message_id or str(uuid.uuid4())
        body = {
            "subscription": {"id": str(uuid.uuid4()), "type": "channel.chat.message", "version": "1"},
            "event": {
                "broadcaster_user_id": "1000",
                "chatter_user_id": chatter_id,
                "chatter_user_login": login or f"login{chatter_id}",
                "chatter_user_name": name or login or f"Viewer{chatter_id}",
                "message_id": message_id,
                "message": {"text": text, "fragments": [{"type": "text", "text": text}]},
                "badges": [{"set_id": b, "id": "1", "info": ""} for b in badges],
            },
        }
        return self.post_eventsub(
            body,
            message_type="notification",
            delivery_id=delivery_id or message_id,
            timestamp=timestamp,
            secret=secret,
        )

    def post_eventsub(
        self,
        body: dict[str, Any] | bytes,
        *,
        message_type: str = "notification",
        delivery_id: str | None = None,
        timestamp: str | None = None,
        secret: str | None = None,
        signature: str | None = None,
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        delivery_id = delivery_id or str(uuid.uuid4())
        timestamp = timestamp or twitch_timestamp(self.clock.now())
        key = self.config.eventsub_secret if secret is None else secret
        # Header names as Twitch's EventSub documentation spells them (not the product's constants).
        headers = {
            "Content-Type": "application/json",
            "Twitch-Eventsub-Message-Id": delivery_id,
            "Twitch-Eventsub-Message-Timestamp": timestamp,
            "Twitch-Eventsub-Message-Type": message_type,
            "Twitch-Eventsub-Subscription-Type": "channel.chat.message",
            "Twitch-Eventsub-Subscription-Version": "1",
            "Twitch-Eventsub-Message-Retry": "0",
            "Twitch-Eventsub-Message-Signature": signature
            or twitch_signature(key, delivery_id, timestamp, raw),
        }
        return self.http.post("/api/twitch/eventsub", content=raw, headers=headers)


class RunningEbs(EbsDriver):
    """An EBS served on a background thread; use as a context manager or call ``stop()``."""

    def __init__(
        self,
        config: Config,
        *,
        clock: VirtualClock,
        plugins: Sequence[object] = (),
        port: int = 0,
        http_options: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        """``http_options()`` gives extra ``httpx.Client`` options for :attr:`http` (e.g. a
        platform's event hooks that journal every exchange); called once per client."""
        self.config = config
        self.http_options = http_options
        self.clock = clock  # the scenario's clock: every part of a test reads this one
        self.plugins = tuple(plugins)
        self.health = EbsHealth()
        self.health.attach()
        self._server = BackgroundServer(
            lambda: self.health.watch(create_app(config, clock=self.clock, plugins=self.plugins)), port=port
        )
        try:
            self.url = self._server.start()
        except BaseException:
            self.health.detach()
            raise
        self.http = loopback_client(self.url, timeout=30.0, **(http_options() if http_options else {}))

    @property
    def port(self) -> int:
        assert self._server.port is not None
        return self._server.port

    def stop(self) -> None:
        try:
            self.http.close()
            self._server.stop()
        finally:
            self.health.detach()

    def restarted(self) -> RunningEbs:
        """A new EBS process on the same port, database, clock and plugins (after ``stop()``)."""
        return RunningEbs(
            self.config,
            clock=self.clock,
            plugins=self.plugins,
            port=self.port,
            http_options=self.http_options,
        )

    def __enter__(self) -> RunningEbs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def app(self) -> Any:
        return self._server.app

    def call(self, coro_factory: Callable[[], Awaitable[object]]) -> Any:
        """Run a coroutine on the EBS's own event loop (for store-level set-ups in tests)."""
        return self._server.call(coro_factory)

    def tick(self) -> Any:
        """Run one scheduler tick on the EBS's loop and return its report."""
        scheduler = self.app[keys.SCHEDULER]
        return self.call(scheduler.tick)

    def fetchval(self, query: str, *args: Any) -> Any:
        """Run one read-only SQL query on the EBS's own pool (for assertions on stored state)."""
        database = self.app[keys.DATABASE]

        async def run() -> Any:
            async with database.connection() as conn:
                return await conn.fetchval(query, *args)

        return self.call(run)
