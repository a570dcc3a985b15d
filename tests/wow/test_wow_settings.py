"""Simulator settings from the environment and the command line, and the standalone process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from mgm_core import ports
from mgm_wow.settings import SettingsError, SimulatorSettings


def test_defaults_match_the_seed():
    settings = SimulatorSettings.load({})
    assert settings.api_port == ports.WOW_SIMULATOR == 5001
    assert settings.log_file_path == Path("Logs/WoWChatLog.txt")
    assert settings.command_processing_delay_ms == 100
    assert settings.auto_confirm_accepts is False
    assert settings.echo_run_commands_to_chat_log is False


@pytest.mark.parametrize(
    "name",
    ["WOWMOCK_ApiPort", "WOWMOCK_API_PORT", "WOWMOCK_MockSettings__ApiPort", "wowmock_mocksettings__apiport"],
)
def test_environment_names(name):
    assert SimulatorSettings.load({name: "6001"}).api_port == 6001


def test_environment_values_are_typed_and_unknown_names_ignored():
    settings = SimulatorSettings.load(
        {
            "WOWMOCK_AutoConfirmAccepts": "TRUE",
            "WOWMOCK_ROSTER": "Norinn, Etoehero,",
            "WOWMOCK_LOG_FILE_PATH": "x/y.txt",
            "WOWMOCK_E2E_PORT": "9",  # the seed's runner variables are not simulator settings
            "OTHER": "1",
        }
    )
    assert settings.auto_confirm_accepts is True
    assert settings.roster == ("Norinn", "Etoehero")
    assert settings.log_file_path == Path("x/y.txt")
    assert settings.log_path.is_absolute()


def test_command_line_wins_over_environment():
    settings = SimulatorSettings.load(
        {"WOWMOCK_ApiPort": "6001"}, ["MockSettings:ApiPort=6002", "--echo-run-commands-to-chat-log=yes"]
    )
    assert settings.api_port == 6002 and settings.echo_run_commands_to_chat_log is True


@pytest.mark.parametrize(
    ("environ", "argv", "message"),
    [
        ({"WOWMOCK_ApiPort": "x"}, [], "ApiPort"),
        ({"WOWMOCK_ApiPort": "70000"}, [], "ApiPort"),
        ({"WOWMOCK_AutoSendMail": "maybe"}, [], "AutoSendMail"),
        ({"WOWMOCK_WhoDelayMs": "-1"}, [], "WhoDelayMs"),
        ({}, ["Nonsense=1"], "unknown argument"),
        ({}, ["LogFilePath="], "LogFilePath"),
    ],
)
def test_bad_values_name_the_setting(environ, argv, message):
    with pytest.raises(SettingsError, match=message):
        SimulatorSettings.load(environ, argv)


def test_runs_standalone(tmp_path):
    log = tmp_path / "Logs" / "WoWChatLog.txt"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    process = subprocess.Popen(
        [sys.executable, "-m", "mgm_wow", "--port", "0", "--log-file", str(log), "Roster=Norinn"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        url = re.search(r"http://\S+", banner)
        assert url, banner + (process.stderr.read() if process.poll() is not None else "")
        with urllib.request.urlopen(url[0] + "/api/wow/roster", timeout=5) as response:
            assert json.load(response) == {"online": ["Norinn"]}
        assert log.exists()
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert process.returncode == 0


def test_mgm_mock_now_freezes_the_clock(monkeypatch):
    from datetime import UTC, datetime

    monkeypatch.setenv("MGM_MOCK_NOW", "2025-11-24T03:41:07Z")
    monkeypatch.setenv("WOWMOCK_ApiPort", "6003")
    settings = SimulatorSettings.from_env()
    assert settings.api_port == 6003
    assert settings.clock.now() == datetime(2025, 11, 24, 3, 41, 7, tzinfo=UTC)
    with pytest.raises(SettingsError, match="MGM_MOCK_NOW"):
        SimulatorSettings.load({"MGM_MOCK_NOW": "tomorrow"})


def test_seed_diagnostics_settings_are_read():
    settings = SimulatorSettings.load(
        {}, ["MockSettings:WriteDiagnosticsToFile=true", "MockSettings:DiagnosticsLogPath=a/WoWMock.log"]
    )
    assert settings.write_diagnostics_to_file is True
    assert settings.diagnostics_log_path == Path("a/WoWMock.log")
    assert settings.ignored == ()
    assert SimulatorSettings.load(
        {"WOWMOCK_MockSettings__WriteDiagnosticsToFile": "true"}
    ).write_diagnostics_to_file


def test_unknown_section_settings_are_ignored_not_fatal():
    settings = SimulatorSettings.load({}, ["MockSettings:SomethingNew=1", "Logging:LogLevel:Default=Debug"])
    assert settings.ignored == ("MockSettings:SomethingNew", "Logging:LogLevel:Default")


def test_unknown_setting_warns_on_one_line(tmp_path, capsys, monkeypatch):
    from mgm_wow import simulator_app

    async def no_serving(*args, **kwargs):
        return None

    monkeypatch.setattr(simulator_app, "serve_until_signalled", no_serving)
    code = simulator_app.main(["--port", "0", f"LogFilePath={tmp_path / 'x.txt'}", "MockSettings:Nope=1"], {})
    assert code == 0
    (line,) = [line for line in capsys.readouterr().err.splitlines() if "MockSettings:Nope" in line]
    assert "not supported" in line
