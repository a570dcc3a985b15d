"""`pytest --mgm-profile stack` against a real `mgm stack up --virtual-clock` on free ports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MGM = Path(sys.executable).with_name("mgm")
pytestmark = pytest.mark.slow

FREE_PORTS = [f"--port-{name}=0" for name in ("ebs", "eventsub", "jwt", "helix", "desktop", "wow")]


@pytest.fixture
def running_stack(tmp_path: Path, database_url: str) -> Iterator[Path]:
    """A `mgm stack up --virtual-clock` on free ports; yields its data directory once stack.json exists."""
    data = tmp_path / "data"
    environ = {
        **os.environ,
        "MGM_DATA_DIR": str(data),
        "MGM_DATABASE_URL": database_url,
        "MGM_DESKTOP_INJECTOR": "record",
    }
    log = (tmp_path / "stack.log").open("w")
    process = subprocess.Popen(
        [str(MGM), "stack", "up", "--virtual-clock", *FREE_PORTS],
        cwd=tmp_path,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(600):
            if (data / "stack.json").is_file() or process.poll() is not None:
                break
            time.sleep(0.1)
        assert (data / "stack.json").is_file(), (tmp_path / "stack.log").read_text()
        yield data
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log.close()
    assert not (data / "stack.json").exists()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-rs", "-q", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_scenarios_run_against_the_stack_one_at_a_time(running_stack: Path) -> None:
    stack = json.loads((running_stack / "stack.json").read_text())
    assert stack["desktopBridge"] == {"injector": "record"}
    assert stack["secrets"]["broadcasterId"]
    result = _run(
        "features/roulette/spin_cycle.feature",
        "features/announcement/helix_announcement.feature",
        "features/tier_b/sc001_full_chain.feature",
        "features/auth/rate_limit.feature",
        "features/enrollment/chat_enrollment.feature",
        "features/enrollment/claim.feature",
        "features/announcement/missing_credentials.feature",
        "features/tier_b/desktop_resilience.feature",
        "-k",
        "phases or offline or concurrent or natural or configurable or reopens or without_a_secret"
        " or without_the_development_bypass or credentials or goes_down",
        "-n",
        "2",
        "--mgm-profile",
        "stack",
        "--mgm-stack",
        str(running_stack),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # phases, offline (roulette and tier B), concurrent Sent, the natural chain, the window reopening,
    # and the scenarios with their own settings (POST /api/e2e/config): the configurable rate limit,
    # the subscriber bypass off, unsigned EventSub deliveries, no Helix credentials; and the EBS
    # going down for the Desktop (its proxy to the shared EBS closes and reopens; nothing stops).
    assert "11 passed" in output and "skipped" not in output, output
    assert "does not offer" not in output, output
