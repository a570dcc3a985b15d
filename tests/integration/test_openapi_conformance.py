"""``schemathesis run --checks all`` over every operation of ``/openapi.json``, against a real EBS.

Every check (status codes, content types, response schemas and headers,
negative data rejected, positive data accepted, missing headers, unsupported
methods, ignored authentication, no 5xx), every phase (examples, coverage,
fuzzing, stateful), both generation modes, a fixed seed and a bounded number of
examples. The EBS runs in this process on a loopback port; schemathesis runs in
its own process, as a user would run it.

Credentials come from the test side: an Extension JWT minted for a viewer, the
Desktop API key, and EventSub requests signed by ``schemathesis_hooks.py``.
The virtual clock route runs alone on a second EBS: it moves time, which would
expire the first run's token and signature timestamps. The settings route runs
alone on a third: it changes the EventSub secret and the rate limit the first
run's signatures and request counts rely on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mgm_core.config import RateLimit
from mgm_core.testing.ebs import RunningEbs
from mgm_core.testing.twitch_signing import twitch_timestamp

pytest.importorskip(
    "schemathesis", reason="the conformance run needs the test extra (pip install -e '.[test]')"
)

SEED = 20261124
MAX_EXAMPLES = 10
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
CONFIG = Path(__file__).with_name("schemathesis.toml")
CLOCK_ROUTE = "/api/e2e/clock"
SETTINGS_ROUTE = "/api/e2e/config"
# Limits high enough that generated traffic is not throttled (429 is declared, and tested elsewhere).
UNTHROTTLED = {"rate_limit": RateLimit(1_000_000, 60), "desktop_rate_limit": RateLimit(1_000_000, 60)}


def schemathesis_run(ebs: RunningEbs, tmp_path: Path, *selection: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        f"{ebs.url}/openapi.json",
        "--checks",
        "all",
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--workers",
        "1",
        "--no-color",
        "--header",
        f"Authorization: Bearer {ebs.token('900001', 'Conformance')}",
        "--header",
        f"X-MGM-ApiKey: {ebs.config.api_key}",
        "--header",
        "Twitch-Eventsub-Message-Signature: sign-me",
        *selection,
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HOOKS),
        "MGM_CONFORMANCE_SECRET": ebs.config.eventsub_secret,
        "MGM_CONFORMANCE_TIMESTAMP": twitch_timestamp(ebs.clock.now()),
    }
    return subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize(
    "selection",
    [
        ("--exclude-path", CLOCK_ROUTE, "--exclude-path", SETTINGS_ROUTE),
        ("--include-path", CLOCK_ROUTE),
        ("--include-path", SETTINGS_ROUTE),
    ],
    ids=["every-operation-but-the-clock-and-settings", "the-clock", "the-settings"],
)
def test_schemathesis_finds_no_failure(make_ebs, tmp_path, selection):
    ebs = make_ebs(**UNTHROTTLED)
    run = schemathesis_run(ebs, tmp_path, *selection)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]


def test_the_hooks_file_signs_as_twitch_does(ebs, monkeypatch):
    """The signer the run relies on is accepted by the EBS, and leaves probes unsigned."""
    import importlib.util

    import requests

    spec = importlib.util.spec_from_file_location("conformance_hooks", HOOKS)
    assert spec is not None and spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    monkeypatch.setenv("MGM_CONFORMANCE_SECRET", ebs.config.eventsub_secret)
    monkeypatch.setenv("MGM_CONFORMANCE_TIMESTAMP", twitch_timestamp(ebs.clock.now()))
    body = {"subscription": {"type": "channel.chat.message"}, "challenge": "pogchamp-kappa"}
    headers = {"Twitch-Eventsub-Message-Type": "webhook_callback_verification"}
    url = f"{ebs.url}/api/twitch/eventsub"
    signed = requests.post(
        url, json=body, headers={**headers, hooks.SIGNATURE: hooks.PLACEHOLDER}, auth=hooks.TwitchSigner()
    )
    assert (signed.status_code, signed.text) == (200, "pogchamp-kappa")
    probe = requests.post(
        url, json=body, headers={**headers, hooks.SIGNATURE: "x"}, auth=hooks.TwitchSigner()
    )
    assert probe.status_code == 403
