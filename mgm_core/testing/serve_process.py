"""``mgm serve`` as a child process, for crash and replica tests.

The process listens on a free port (``--port 0``); :class:`ServeProcess` reads
the URL from its ``EBS listening`` log line, keeps draining its log (so a
chatty process never blocks on a full pipe) and can stop it politely or
``SIGKILL`` it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from datetime import datetime

from mgm_core.testing.ebs import TEST_API_KEY, TEST_EVENTSUB_SECRET
from mgm_core.testing.http import loopback_client


def serve_env(database_url: str, clock_start: datetime, **extra: str) -> dict[str, str]:
    """The environment of a development EBS on ``database_url``, its virtual clock at ``clock_start``."""
    return {
        "MGM_CLOCK_START": clock_start.isoformat(),
        "MGM_ENV": "development",
        "MGM_DATABASE_URL": database_url,
        "MGM_API_KEY": TEST_API_KEY,
        "MGM_EVENTSUB_SECRET": TEST_EVENTSUB_SECRET,
        "MGM_CLOCK": "virtual",
        "MGM_DEV_SKIP_SUBSCRIBER_CHECK": "true",
        "MGM_ENABLE_E2E_HARNESS": "true",
        **extra,
    }


class ServeProcess:
    def __init__(self, env: Mapping[str, str], *, start_timeout: float = 60.0) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mgm_core.cli", "serve", "--port", "0", "--log-level", "INFO"],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log: list[str] = []
        self.url = ""
        ready = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(ready,), daemon=True)
        self._reader.start()
        if not ready.wait(start_timeout) or not self.url:
            self.kill()
            raise RuntimeError("mgm serve did not start:\n" + "\n".join(self.log[-20:]))
        self.http = loopback_client(self.url, timeout=30, headers={"X-MGM-ApiKey": TEST_API_KEY})

    def _read(self, ready: threading.Event) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line.rstrip())
            if not self.url:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("message") == "EBS listening":
                    self.url = str(entry["url"])
                    ready.set()
        ready.set()

    def set_time(self, instant: datetime) -> None:
        answer = self.http.post("/api/e2e/clock", json={"setUtc": instant.isoformat()})
        answer.raise_for_status()

    def kill(self) -> None:
        """``SIGKILL``: no shutdown code runs, as in a crash."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        self._close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        http = getattr(self, "http", None)
        if http is not None:
            http.close()
        self._reader.join(timeout=5)
