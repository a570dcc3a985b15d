"""Shared fixtures for the WoW simulator and Desktop bridge tests."""

from __future__ import annotations

import pytest

from mgm_wow.settings import SimulatorSettings


@pytest.fixture
def sim_settings(tmp_path) -> SimulatorSettings:
    """Simulator settings with a log in ``tmp_path`` and delays short enough for tests."""
    return SimulatorSettings(
        log_file_path=tmp_path / "WoW" / "Logs" / "WoWChatLog.txt",
        api_port=0,
        command_processing_delay_ms=5,
        who_delay_ms=5,
        reply_delay_ms=5,
        mail_send_delay_ms=5,
    )
