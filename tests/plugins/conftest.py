"""A Helix mock on a free port, and EBS settings that point the Helix plugins at it."""

from collections.abc import Iterator

import httpx
import pytest

from mgm_core.serving import BackgroundServer
from mgm_mocks import MOCKS

HELIX_SETTINGS = {
    "broadcaster_token": "helix-test-token-0123",
    "broadcaster_id": "1000",
    "helix_client_id": "helix-test-client",
}


class HelixMock:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=10)

    def faults(self, *rules: dict) -> None:
        self.http.post("/api/mock/faults", json=list(rules)).raise_for_status()

    def chat_requests(self) -> list[dict]:
        answer = self.http.get("/api/mock/requests", params={"path": "/helix/chat/messages"})
        answer.raise_for_status()
        body = answer.json()
        return body["requests"] if isinstance(body, dict) else body

    def requests(self) -> list[dict]:
        answer = self.http.get("/api/mock/requests")
        answer.raise_for_status()
        return answer.json()["requests"]

    def subscribers(self, *entries: dict) -> None:
        self.http.put("/api/mock/subscribers", json=list(entries)).raise_for_status()


@pytest.fixture
def helix_mock() -> Iterator[HelixMock]:
    service = MOCKS["helix"]
    server = BackgroundServer(lambda: service.create_app(service.settings_from_env({})))
    url = server.start()
    mock = HelixMock(url)
    yield mock
    mock.http.close()
    server.stop()


@pytest.fixture
def helix_settings(helix_mock: HelixMock) -> dict:
    return {**HELIX_SETTINGS, "helix_base_url": helix_mock.url}
