"""The seed's WoWMock launcher (``run_e2e.py``) pointed at ``mgm mock wow``.

The launcher starts the mock with exactly these four ``MockSettings:`` arguments
(ApiPort, LogFilePath, WriteDiagnosticsToFile=true, DiagnosticsLogPath) and then
runs six checks over HTTP; here the same arguments start ``mgm mock wow`` (ApiPort
0, so the test reads the real port from the banner) and the six checks follow.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ACCEPT = "[MGM_ACCEPT:11111111-2222-3333-4444-555555555555]"
CONFIRM = "[MGM_CONFIRM:11111111-2222-3333-4444-555555555555]"
WAIT_SECONDS = 10.0  # the seed's own patience for a line to appear


@dataclass(frozen=True)
class Launched:
    url: str
    chat_log: Path
    diagnostics: Path


def _launcher_args(api_port: int, chat_log: Path, artifacts: Path) -> list[str]:
    """The launcher's command line after ``dotnet run … --``, verbatim."""
    return [
        f"MockSettings:ApiPort={api_port}",
        f"MockSettings:LogFilePath={chat_log}",
        "MockSettings:WriteDiagnosticsToFile=true",
        f"MockSettings:DiagnosticsLogPath={artifacts / 'WoWMock.log'}",
    ]


@pytest.fixture(scope="module")
def launched(tmp_path_factory) -> Iterator[Launched]:
    root = tmp_path_factory.mktemp("wowmock")
    chat_log, artifacts = root / "Logs" / "WoWChatLog.txt", root / "artifacts"
    chat_log.parent.mkdir(parents=True)  # the launcher creates the log's folder first
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    env.pop("WOWMOCK_ApiPort", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "mgm_core.cli", "mock", "wow", *_launcher_args(0, chat_log, artifacts)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=root,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        url = re.search(r"http://[\d.]+:\d+", banner)
        assert url, banner + (process.stderr.read() if process.poll() is not None else "")
        yield Launched(url[0], chat_log, artifacts / "WoWMock.log")
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "not supported" not in stderr  # every launcher key is honoured


def _call(url: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read() or b"null")


def _log_has(path: Path, needle: str) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if path.exists() and needle in path.read_text(encoding="utf-8", errors="replace"):
            return True
        time.sleep(0.05)
    return False


def test_health(launched):
    status, body = _call(launched.url + "/api/mock/health")
    assert status == 200 and body["ok"] is True
    assert body["logFilePath"] == str(launched.chat_log)


def test_reset_creates_log(launched):
    launched.chat_log.unlink(missing_ok=True)
    assert _call(launched.url + "/api/mock/reset", "POST", {})[0] == 200
    assert launched.chat_log.exists()


def test_add_message_appends_to_log(launched):
    _call(launched.url + "/api/mock/reset", "POST", {})
    message = '[MGM_WHO] {"candidates": ["Etoehero"]}'
    assert _call(launched.url + "/api/mock/add-message", "POST", {"Content": message})[0] == 200
    assert _log_has(launched.chat_log, message)


def test_run_command_is_captured(launched):
    _call(launched.url + "/api/mock/reset", "POST", {})
    command = "/run NotifyWinnerWhisper('abc','Etoehero')"
    assert _call(launched.url + "/api/mock/add-message", "POST", {"Content": command})[0] == 200
    status, commands = _call(launched.url + "/api/mock/commands")
    assert status == 200 and [c["command"] for c in commands] == [command]


def test_auto_confirm_after_accept(launched):
    _call(launched.url + "/api/mock/reset", "POST", {})
    settings = {
        "AutoConfirmAccepts": True,
        "EchoRunCommandsToChatLog": False,
        "CommandProcessingDelayMs": 150,
    }
    _call(launched.url + "/api/mock/set-response", "POST", settings)
    _call(launched.url + "/api/mock/add-message", "POST", {"Content": ACCEPT})
    assert _log_has(launched.chat_log, CONFIRM)


def test_malformed_accept_does_not_crash(launched):
    _call(launched.url + "/api/mock/reset", "POST", {})
    settings = {"AutoConfirmAccepts": True, "EchoRunCommandsToChatLog": False, "CommandProcessingDelayMs": 1}
    _call(launched.url + "/api/mock/set-response", "POST", settings)
    bad = "[MGM_ACCEPT:not-a-guid]"
    assert _call(launched.url + "/api/mock/add-message", "POST", {"Content": bad})[0] == 200
    assert _call(launched.url + "/api/mock/health")[0] == 200
    assert _log_has(launched.chat_log, bad)
    assert "[MGM_CONFIRM:" not in launched.chat_log.read_text(encoding="utf-8")


def test_diagnostics_go_to_the_launcher_path(launched):
    _call(launched.url + "/api/mock/health")
    assert _log_has(launched.diagnostics, "GET /api/mock/health -> 200")
    assert str(launched.chat_log) in launched.diagnostics.read_text(encoding="utf-8")
