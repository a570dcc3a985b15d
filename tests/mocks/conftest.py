"""Fixtures for the mock services: each app on its own loop and a free port, talked to over real HTTP."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from aiohttp import web

from mgm_core.clock import VirtualClock
from mgm_core.serving import BackgroundServer

FIXED_NOW = datetime(2025, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(FIXED_NOW)


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[], web.Application]], str]]:
    """Start an app factory on a background loop; returns its base URL. Stopped after the test."""
    servers: list[BackgroundServer] = []

    def start(factory: Callable[[], web.Application]) -> str:
        server = BackgroundServer(factory)
        url = server.start()
        servers.append(server)
        return url

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    # One client for the session: building its TLS context costs ~0.1 s, more than most tests.
    with httpx.Client(timeout=10) as client:
        yield client


@dataclass
class RecordedCall:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    method: str
    path_suffix: str
    status: int
    body: str
    content_type: str
    times: int | None


@dataclass
class FakeBackend:
    """A stand-in EBS that records every call and answers from a script (default 200, empty).

    Answers are tried in the order they were added; one with ``times`` is used up after that many calls.
    """

    url: str = ""
    calls: list[RecordedCall] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)

    def answer(
        self,
        method: str,
        path_suffix: str,
        status: int,
        body: str = "",
        content_type: str = "",
        times: int | None = None,
    ) -> None:
        self.answers.append(Answer(method, path_suffix, status, body, content_type, times))

    def app(self) -> web.Application:
        async def handle(request: web.Request) -> web.Response:
            self.calls.append(
                RecordedCall(request.method, request.path, dict(request.headers), await request.read())
            )
            for answer in self.answers:
                if answer.method == request.method and request.path.endswith(answer.path_suffix):
                    if answer.times is not None:
                        answer.times -= 1
                        if answer.times == 0:
                            self.answers.remove(answer)
                    headers = {"Content-Type": answer.content_type} if answer.content_type else None
                    return web.Response(status=answer.status, text=answer.body, headers=headers)
            return web.Response(status=200)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        return app


@pytest.fixture
def backend(serve) -> FakeBackend:
    fake = FakeBackend()
    fake.url = serve(fake.app)
    return fake


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
