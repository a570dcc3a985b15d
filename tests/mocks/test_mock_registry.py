"""The registry, settings from the environment, and running a mock as its own process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from mgm_core import ports
from mgm_core.clock import SystemClock, VirtualClock
from mgm_core.config import ConfigError
from mgm_mocks import MOCKS, MockService
from mgm_mocks.eventsub import EventSubMockSettings

ROOT = Path(__file__).resolve().parents[2]


def test_registry_lists_the_four_seed_mocks_on_their_seed_ports():
    assert {name: (m.component, m.default_port) for name, m in MOCKS.items()} == {
        "eventsub": ("MockEventSubWebhook", ports.MOCK_EVENTSUB),
        "jwt": ("MockExtensionJwt", ports.MOCK_EXTENSION_JWT),
        "helix": ("MockHelixApi", ports.MOCK_HELIX),
        "desktop": ("SyntheticDesktop", ports.SYNTHETIC_DESKTOP),
    }
    assert all(isinstance(m, MockService) and m.name == name for name, m in MOCKS.items())
    assert [m.default_port for m in MOCKS.values()] == [9051, 9052, 9053, 9054]


@pytest.mark.parametrize("name", sorted(MOCKS))
def test_every_mock_builds_from_an_empty_environment_and_answers_health(name, serve, http):
    service = MOCKS[name]
    settings = service.settings_from_env({})
    assert isinstance(settings.clock, SystemClock)
    app = service.create_app(settings)
    assert isinstance(app, web.Application)
    url = serve(lambda: service.app_from_env({}))
    health = http.get(f"{url}/health").json()
    # The seed's check_workflow_integration.py: 9051/9052 report status "ok" + service,
    # 9053/9054 report status "healthy" + component.
    if service.default_port in (9051, 9052):
        assert health == {"status": "ok", "service": service.component}
    else:
        assert health == {"status": "healthy", "component": service.component}


def test_eventsub_settings_default_to_the_seed_ci_values():
    settings = EventSubMockSettings.from_env({})
    assert settings.secret == "e2e-ci-eventsub-secret"
    assert settings.backend_base_url == "http://127.0.0.1:8080"
    assert settings.eventsub_url == "http://127.0.0.1:8080/api/twitch/eventsub"
    assert settings.forward_timeout_seconds == 60


def test_eventsub_settings_read_seed_names_in_both_spellings():
    double = EventSubMockSettings.from_env(
        {"Backend__BaseUrl": "http://ebs:1/", "Twitch__EventSubSecret": "s1"}
    )
    assert (double.backend_base_url, double.secret) == ("http://ebs:1", "s1")
    colon = EventSubMockSettings.from_env({"Backend:BaseUrl": "http://ebs:2", "Twitch:EventSubSecret": "s2"})
    assert (colon.backend_base_url, colon.secret) == ("http://ebs:2", "s2")


def test_eventsub_settings_prefer_mgm_names_and_honour_an_explicitly_empty_secret():
    settings = EventSubMockSettings.from_env(
        {
            "MGM_EVENTSUB_SECRET": "",
            "Twitch__EventSubSecret": "ignored",
            "MGM_MOCK_BACKEND_URL": "http://mgm:3",
            "MGM_BROADCASTER_ID": "12345",
            "MGM_MOCK_BROADCASTER_NAME": "Streamer",
            "MGM_MOCK_BOT_USER_ID": "999",
            "MGM_MOCK_FORWARD_TIMEOUT_SECONDS": "2.5",
            "MGM_MOCK_NOW": "2030-01-01T00:00:00Z",
        }
    )
    assert settings.secret == ""
    assert settings.backend_base_url == "http://mgm:3"
    assert (settings.channel.user_id, settings.channel.login, settings.channel.name) == (
        "12345",
        "12345",
        "Streamer",
    )
    assert settings.bot_user_id == "999"
    assert settings.forward_timeout_seconds == 2.5
    assert isinstance(settings.clock, VirtualClock)
    assert settings.clock.now().isoformat() == "2030-01-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"MGM_MOCK_FORWARD_TIMEOUT_SECONDS": "soon"}, "MGM_MOCK_FORWARD_TIMEOUT_SECONDS"),
        ({"MGM_MOCK_FORWARD_TIMEOUT_SECONDS": "-1"}, "MGM_MOCK_FORWARD_TIMEOUT_SECONDS"),
        ({"MGM_MOCK_NOW": "tuesday"}, "MGM_MOCK_NOW"),
    ],
)
def test_bad_values_name_the_variable(environ, variable):
    with pytest.raises(ConfigError, match=variable):
        EventSubMockSettings.from_env(environ)


def test_a_mock_runs_as_its_own_process_and_stops_on_sigint():
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")])}
    with subprocess.Popen(
        [sys.executable, "-m", "mgm_mocks", "jwt", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line.startswith("MockExtensionJwt listening on http://127.0.0.1:"), line
            url = line.split(" on ", 1)[1].strip()
            assert httpx.get(f"{url}/health", timeout=5).json()["service"] == "MockExtensionJwt"
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
