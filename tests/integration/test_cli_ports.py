"""Ports at the command line: a taken port is one line (exit 2); the offset table in --help."""

import os
import socket
import subprocess
import sys
from contextlib import closing

import pytest


def held_port() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=60, cwd=cwd, env=os.environ.copy()
    )


@pytest.mark.parametrize(
    ("command", "component"),
    [
        (["-m", "mgm_mocks", "jwt"], "MockExtensionJwt"),
        (["-m", "mgm_mocks", "helix"], "MockHelixApi"),
        (["-m", "mgm_wow"], "WowClientSimulator"),
        (["-m", "mgm_core.cli", "mock", "eventsub"], "MockEventSubWebhook"),
    ],
)
def test_a_taken_port_is_one_line_and_exit_2(command, component, tmp_path):
    with closing(held_port()) as held:
        port = held.getsockname()[1]
        extra = ["--log-file", str(tmp_path / "WoWChatLog.txt")] if command[-1] == "mgm_wow" else []
        result = run(*command, "--port", str(port), *extra, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1:] == [
        f"{component}: cannot listen on 127.0.0.1:{port}: the port is already in use"
    ], result.stderr
    assert "Traceback" not in result.stderr


def test_stack_up_help_shows_what_the_offset_does():
    result = run("-m", "mgm_core.cli", "stack", "up", "--help")
    assert result.returncode == 0
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["ebs", "8080", "18080", "28080"] in rows
    assert ["wow", "5001", "15001", "25001"] in rows
    assert ["desktop", "9054", "19054", "29054"] in rows


def test_mgm_e2e_refuses_a_bad_port_range_in_one_line():
    result = run("-m", "mgm_core.cli", "e2e", "--ports", "24999-24000")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "mgm e2e: error: argument --ports: port range 24999-24000: need 1 <= FROM <= TO <= 65535"
    )
