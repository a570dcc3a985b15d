"""The Desktop's calls to the EBS (ebs-contract.md §8.5, decisions.md), with bounded retries.

Every call carries ``X-MGM-ApiKey``. Network errors, timeouts, 5xx, 408 and 429
are retried after the policy's delays (2, 4, 8 s by default, as the seed Desktop
did), a ``Retry-After`` header taking precedence when present; the sleep is
injectable so tests never wait. When the budget is spent the call raises
:class:`EbsUnavailable`; any other refusal raises :class:`EbsRefused` (or
:class:`EbsAuthRejected` for 401/403) carrying the EBS's ``code``.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final
from urllib.parse import quote

import aiohttp

from mgm_wow.tags import WhoReport

log = logging.getLogger(__name__)

API_KEY_HEADER: Final = "X-MGM-ApiKey"
TRANSIENT_STATUSES: Final = frozenset({408, 429})

Sleep = Callable[[float], Awaitable[None]]


class EbsError(Exception):
    """A call to the EBS did not succeed."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class EbsUnavailable(EbsError):
    """The EBS could not be reached or kept failing transiently until the retry budget ran out."""


class EbsRefused(EbsError):
    """The EBS answered with a definitive refusal (4xx other than 408/429); ``code`` says which."""


class EbsAuthRejected(EbsRefused):
    """401 ``unauthorized`` or 403 ``forbidden_apikey``: the Desktop's key is missing or wrong."""


@dataclass(frozen=True)
class RetryPolicy:
    """``delays[i]`` is the wait before retry ``i + 1``; attempts = ``len(delays) + 1``."""

    delays: tuple[float, ...] = (2.0, 4.0, 8.0)
    max_retry_after: float = 60.0

    @property
    def attempts(self) -> int:
        return len(self.delays) + 1


@dataclass(frozen=True)
class Payout:
    """The fields of a PayoutDto the Desktop uses (the rest kept in ``raw``)."""

    id: str
    character_name: str
    gold_amount: int
    status: str
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Payout:
        return cls(
            id=str(data["id"]).lower(),
            character_name=str(data["characterName"]),
            gold_amount=int(data.get("goldAmount") or 0),
            status=str(data.get("status") or ""),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Candidate:
    """``GET /api/roulette/candidate``: whom the current cycle wants ``/who``-ed, and until when."""

    spin_cycle_id: str
    character_name: str
    spin_phase: str | None
    selected_at: datetime | None
    verification_deadline: datetime | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Candidate:
        return cls(
            spin_cycle_id=str(data["spinCycleId"]).lower(),
            character_name=str(data["characterName"]),
            spin_phase=data.get("spinPhase"),
            selected_at=_instant(data.get("selectedAt")),
            verification_deadline=_instant(data.get("verificationDeadline")),
        )


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header as seconds from now (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


class EbsClient:
    """Async client for the Desktop's EBS routes.

    Pass a ``session`` to share one; otherwise the client opens its own and
    :meth:`close` (or ``async with``) closes it.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        session: aiohttp.ClientSession | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._session = session
        self._owns_session = session is None
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def __aenter__(self) -> EbsClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if this client opened it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    # ------------------------------------------------------------------ routes

    async def get_candidate(self) -> Candidate | None:
        """The candidate waiting for ``/who``, or None (404 ``not_found``)."""
        try:
            data = await self._call("GET", "/api/roulette/candidate")
        except EbsRefused as exc:
            if exc.status == 404:
                return None
            raise
        return Candidate.from_json(data)

    async def verify_candidate(self, report: WhoReport | Mapping[str, Any]) -> None:
        """Forward a ``[MGM_WHO]`` report (``POST /api/roulette/verify-candidate``)."""
        payload = report.to_payload() if isinstance(report, WhoReport) else dict(report)
        await self._call("POST", "/api/roulette/verify-candidate", payload)

    async def get_pending(self) -> list[Payout]:
        """``GET /api/payouts/pending``: Pending payouts, oldest first."""
        data = await self._call("GET", "/api/payouts/pending")
        if not isinstance(data, list):
            raise EbsRefused("pending payouts: expected a JSON array", status=200, code="invalid_response")
        return [Payout.from_json(item) for item in data]

    async def get_payout(self, payout_id: str) -> Payout:
        """``GET /api/payouts/{id}``: one payout in any status."""
        return Payout.from_json(await self._call("GET", f"/api/payouts/{quote(payout_id)}"))

    async def confirm_acceptance(self, payout_id: str, character_name: str) -> None:
        """Record the winner's in-game consent (``POST …/confirm-acceptance``)."""
        await self._call(
            "POST", f"/api/payouts/{quote(payout_id)}/confirm-acceptance", {"characterName": character_name}
        )

    async def patch_status(self, payout_id: str, status: str) -> Payout | None:
        """Move a payout to ``status`` (``InProgress``, ``Sent``, ``Failed``, ``Cancelled``, ``Pending``)."""
        data = await self._call("PATCH", f"/api/payouts/{quote(payout_id)}/status", {"status": status})
        return Payout.from_json(data) if isinstance(data, Mapping) and "id" in data else None

    async def get_version(self) -> dict[str, Any]:
        """``GET /api/version``."""
        data = await self._call("GET", "/api/version")
        return dict(data) if isinstance(data, Mapping) else {}

    # ------------------------------------------------------------------ transport

    async def _call(self, method: str, path: str, payload: Any = None) -> Any:
        url = self.base_url + path
        headers = {API_KEY_HEADER: self._api_key, "Accept": "application/json"}
        failure: EbsUnavailable | None = None
        for attempt in range(self.retry.attempts):
            wait: float | None = None
            try:
                async with self._http().request(
                    method, url, json=payload, headers=headers, timeout=self._timeout
                ) as response:
                    status = response.status
                    text = await response.text()
                    retry_after = response.headers.get("Retry-After")
            except (aiohttp.ClientError, TimeoutError) as exc:
                failure = EbsUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}".rstrip(": "))
            else:
                if 200 <= status < 300:
                    return _json_or_none(text)
                code, message = _error_body(text)
                detail = f"{method} {path} → {status}" + (f" {code}" if code else "")
                if status in TRANSIENT_STATUSES or status >= 500:
                    failure = EbsUnavailable(detail, status=status, code=code)
                    wait = retry_after_seconds(retry_after)
                else:
                    kind = EbsAuthRejected if status in (401, 403) else EbsRefused
                    raise kind(f"{detail}: {message}" if message else detail, status=status, code=code)
            if attempt + 1 >= self.retry.attempts:
                break
            delay = self.retry.delays[attempt] if wait is None else min(wait, self.retry.max_retry_after)
            log.info("%s; retry %d/%d in %.1f s", failure, attempt + 1, len(self.retry.delays), delay)
            await self._sleep(delay)
        assert failure is not None
        raise failure


def _json_or_none(text: str) -> Any:
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _error_body(text: str) -> tuple[str | None, str | None]:
    data = _json_or_none(text)
    if isinstance(data, Mapping):
        code, message = data.get("code"), data.get("message")
        return (str(code) if code else None, str(message) if message else None)
    return None, None
