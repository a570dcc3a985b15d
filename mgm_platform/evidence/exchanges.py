"""A journal of the HTTP exchanges the test clients make, fed by an httpx event hook.

The scenario's clients (the EBS client of :class:`~mgm_core.testing.ebs.RunningEbs`, the
Helix recorder, the WoW simulator's admin client, SyntheticDesktop's driver) are built with
``**journaled()``. Each request and its response land in the process-wide
:data:`JOURNAL`; the evidence plugin drains it after every step and attaches what it holds
to that step. One pytest process runs one test at a time (xdist uses processes), so one
journal per process is one journal per scenario; the lock covers the EBS's and the
clients' own threads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from mgm_core.testing.http import shared_tls_context
from mgm_platform.evidence.redaction import Redactor

_BODY_LIMIT = 20_000  # characters of a body kept in an attachment
# Transport boilerplate the client adds to every request; the URL already names the host.
_UNTOLD_REQUEST_HEADERS = frozenset({"host", "accept-encoding", "connection", "user-agent"})


@dataclass
class HttpExchange:
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int | None = None
    reason: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    elapsed_ms: float | None = None
    error: str | None = None  # set when no response came (connection refused, timeout)

    @property
    def path(self) -> str:
        return httpx.URL(self.url).path

    def title(self) -> str:
        outcome = str(self.status) if self.status is not None else (self.error or "no answer")
        return f"HTTP {self.method} {self.path} → {outcome}"

    def render(self, redactor: Redactor) -> str:
        """The exchange as a reader wants it: request line, headers, body; then the answer."""
        lines = [f"{self.method} {redactor.text(self.url)}"]
        told = [(k, v) for k, v in self.request_headers if k.lower() not in _UNTOLD_REQUEST_HEADERS]
        lines += [f"> {name}: {value}" for name, value in redactor.headers(told)]
        body = _render_body(self.request_body, self.request_headers, redactor)
        if body:
            lines += ["", body]
        lines.append("")
        if self.status is None:
            lines.append(f"< no response: {redactor.text(self.error or 'unknown error')}")
            return "\n".join(lines)
        took = f"  ({self.elapsed_ms:.0f} ms)" if self.elapsed_ms is not None else ""
        lines.append(f"< {self.status} {self.reason}{took}")
        lines += [f"< {name}: {value}" for name, value in redactor.headers(self.response_headers)]
        body = _render_body(self.response_body, self.response_headers, redactor)
        if body:
            lines += ["", body]
        return "\n".join(lines)


def _render_body(raw: bytes, headers: list[tuple[str, str]], redactor: Redactor) -> str:
    if not raw:
        return ""
    text = raw.decode("utf-8", errors="replace")
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    if "json" in content_type or text[:1] in "{[":
        try:
            text = json.dumps(redactor.json(json.loads(text)), indent=2, ensure_ascii=False)
        except ValueError:
            text = redactor.text(text)
    else:
        text = redactor.text(text)
    if len(text) > _BODY_LIMIT:
        text = text[:_BODY_LIMIT] + f"\n… ({len(text) - _BODY_LIMIT} more characters)"
    return text


class ExchangeJournal:
    """Exchanges in the order their requests were sent; drained by the evidence plugin."""

    def __init__(self, *, recording: bool = True) -> None:
        # Off, the hooks keep nothing: without the evidence plugin nobody drains the journal.
        self.recording = recording
        self._guard = threading.Lock()
        self._pending: list[HttpExchange] = []  # not yet attached to a step
        self._scenario: list[HttpExchange] = []  # all of the current scenario
        self._by_request: dict[int, HttpExchange] = {}
        self._quiet = threading.local()

    # -- fed by the hooks ------------------------------------------------------------
    def on_request(self, request: httpx.Request) -> None:
        if not self.recording or getattr(self._quiet, "on", False):
            return
        try:
            body = request.content
        except httpx.RequestNotRead:
            body = b"(streamed body)"
        exchange = HttpExchange(request.method, str(request.url), list(request.headers.items()), body)
        with self._guard:
            self._pending.append(exchange)
            self._scenario.append(exchange)
            self._by_request[id(request)] = exchange

    def on_response(self, response: httpx.Response) -> None:
        with self._guard:
            exchange = self._by_request.pop(id(response.request), None)
        if exchange is None:
            return
        response.read()
        exchange.status = response.status_code
        exchange.reason = response.reason_phrase
        exchange.response_headers = list(response.headers.items())
        exchange.response_body = response.content
        exchange.elapsed_ms = response.elapsed.total_seconds() * 1000

    def failed(self, request: httpx.Request, error: BaseException) -> None:
        with self._guard:
            exchange = self._by_request.pop(id(request), None)
        if exchange is not None:
            exchange.error = f"{type(error).__name__}: {error}"

    # -- read by the plugin ------------------------------------------------------------
    def drain(self) -> list[HttpExchange]:
        """The exchanges not yet handed out, oldest first."""
        with self._guard:
            taken, self._pending = self._pending, []
        for exchange in taken:
            if exchange.status is None and exchange.error is None:
                exchange.error = "no response (connection failed or still pending)"
        return taken

    def scenario(self) -> list[HttpExchange]:
        with self._guard:
            return list(self._scenario)

    def reset(self) -> None:
        with self._guard:
            self._pending, self._scenario, self._by_request = [], [], {}

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Calls the platform makes to gather evidence are not evidence themselves."""
        self._quiet.on = True
        try:
            yield
        finally:
            self._quiet.on = False


# The process's journal; the evidence plugin turns recording on when Allure records results.
JOURNAL = ExchangeJournal(recording=False)


class _JournalTransport(httpx.BaseTransport):
    """Notes exchanges that end without a response (httpx calls no hook then)."""

    def __init__(self, inner: httpx.BaseTransport, journal: ExchangeJournal) -> None:
        self._inner = inner
        self._journal = journal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return self._inner.handle_request(request)
        except httpx.TransportError as exc:
            self._journal.failed(request, exc)
            raise

    def close(self) -> None:
        self._inner.close()


def journaled(journal: ExchangeJournal | None = None) -> dict[str, Any]:
    """``httpx.Client(**journaled())``: journal every exchange of the client."""
    journal = journal or JOURNAL
    return {
        "event_hooks": {"request": [journal.on_request], "response": [journal.on_response]},
        "transport": _JournalTransport(httpx.HTTPTransport(verify=shared_tls_context()), journal),
    }
