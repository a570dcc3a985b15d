"""The bridge process's MGM_DESKTOP_* settings and assembly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mgm_core.clock import VirtualClock
from mgm_wow.bridge import HttpSimulatorInjector, RecordingInjector, WindowsInjector
from mgm_wow.bridge.config import DesktopConfig, DesktopConfigError, build_bridge, make_injector


def test_defaults():
    config = DesktopConfig.from_env({"MGM_API_KEY": "s3cret-key", "MGM_DESKTOP_INJECTOR": "simulator"})
    assert config.api_key == "s3cret-key"
    assert config.ebs_url == "http://127.0.0.1:8080"
    assert config.simulator_url == "http://127.0.0.1:5001"
    assert config.chat_log == Path("Logs/WoWChatLog.txt")
    assert config.bridge.pending_poll_interval == 15 and config.bridge.who_phases == {
        "spinning",
        "verification",
    }
    assert "s3cret-key" not in repr(config)


def test_values_paths_and_clamps(tmp_path):
    config = DesktopConfig.from_env(
        {
            "MGM_API_KEY": "fallback",
            "MGM_DESKTOP_API_KEY": "desktop",
            "MGM_DESKTOP_CHAT_LOG": str(tmp_path),
            "MGM_DESKTOP_PENDING_POLL_SECONDS": "1",
            "MGM_DESKTOP_CANDIDATE_POLL_SECONDS": "9999",
            "MGM_DESKTOP_WHO_PHASES": " Verification,",
            "MGM_DESKTOP_INJECTOR": "record",
            "MGM_DESKTOP_START_AT_END": "yes",
        }
    )
    assert config.api_key == "desktop"
    assert config.chat_log == tmp_path / "WoWChatLog.txt"
    assert config.bridge.pending_poll_interval == 5  # the seed's clamp
    assert config.bridge.candidate_poll_interval == 600
    assert config.bridge.who_phases == {"verification"}
    assert config.start_at_end is True
    wow = DesktopConfig.from_env({"MGM_DESKTOP_WOW_DIR": str(tmp_path / "WoW")})
    assert wow.chat_log == tmp_path / "WoW" / "Logs" / "WoWChatLog.txt"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MGM_DESKTOP_INJECTOR", "telepathy"),
        ("MGM_DESKTOP_PENDING_POLL_SECONDS", "soon"),
        ("MGM_DESKTOP_START_AT_END", "maybe"),
    ],
)
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(DesktopConfigError, match=name):
        DesktopConfig.from_env({name: value})


def test_assembly(tmp_path):
    config = DesktopConfig(api_key="k", chat_log=tmp_path / "log.txt", state_dir=tmp_path / "state")
    assert isinstance(make_injector(config), HttpSimulatorInjector)
    assert isinstance(make_injector(DesktopConfig(injector="record")), RecordingInjector)
    assert isinstance(make_injector(DesktopConfig(injector="windows")), WindowsInjector)
    bridge = build_bridge(config, clock=VirtualClock(datetime(2026, 1, 1, tzinfo=UTC)))
    assert bridge.tail.path == (tmp_path / "log.txt").absolute()
    assert bridge.state_path == tmp_path / "state" / "bridge-state.json"
    assert bridge.ebs.base_url == "http://127.0.0.1:8080"
