"""`mgm serve` as a process: start-up, JSON logs without secrets, clean shutdown, refusals."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx

SECRETS = {
    "MGM_API_KEY": "cli-desktop-key-0123456789",
    "MGM_EVENTSUB_SECRET": "cli-eventsub-secret-0123",
    "MGM_BROADCASTER_TOKEN": "cli-helix-token-0123456789",
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mgm(*args, env):
    return subprocess.Popen(
        [sys.executable, "-m", "mgm_core.cli", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_logs_json_without_secrets_and_stops_cleanly(database_url):
    port = free_port()
    process = mgm("serve", "--port", str(port), env={"MGM_DATABASE_URL": database_url, **SECRETS})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "EBS did not become ready"
            time.sleep(0.05)
        wrong = httpx.get(
            f"http://127.0.0.1:{port}/api/payouts/pending", headers={"X-MGM-ApiKey": "nope"}, timeout=5
        )
        assert wrong.status_code == 403
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert any(entry["message"] == "EBS listening" for entry in lines)
    assert {entry["level"] for entry in lines} <= {"info", "warning"}
    for secret in SECRETS.values():
        assert secret not in stderr


def test_production_without_secrets_refuses_to_start_naming_the_variable():
    process = mgm(
        "serve", "--port", "0", env={"MGM_ENV": "production", "MGM_DATABASE_URL": "postgresql://x@/y"}
    )
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "MGM_API_KEY" in stderr


def test_malformed_setting_refuses_to_start():
    process = mgm("serve", env={"MGM_RATE_LIMIT": "lots"})
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "MGM_RATE_LIMIT" in stderr


def test_unreachable_database_is_a_clear_start_up_error(database_url):
    missing = database_url.rsplit("/", 1)[0] + "/no_such_database_here"
    if "?" in database_url:  # socket DSNs carry the host in the query
        base, query = database_url.split("?", 1)
        missing = base.rsplit("/", 1)[0] + "/no_such_database_here?" + query
    process = mgm("serve", "--port", str(free_port()), env={"MGM_DATABASE_URL": missing})
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "could not start" in stderr and "no_such_database_here" in stderr
    assert "Traceback" not in stderr


def _ready(port, process):
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "EBS did not become ready"
        time.sleep(0.05)


def test_reuse_port_lets_two_serve_processes_share_one_port(database_url):
    port = free_port()
    env = {"MGM_DATABASE_URL": database_url, **SECRETS}
    first = mgm("serve", "--port", str(port), "--reuse-port", env=env)
    second = None
    try:
        _ready(port, first)
        second = mgm("serve", "--port", str(port), "--reuse-port", env=env)
        # Both listen: the second would exit with "port already in use" without the flag.
        listening = threading.Event()

        def watch() -> None:
            for line in second.stderr:
                if '"EBS listening"' in line:
                    listening.set()
                    return

        threading.Thread(target=watch, daemon=True).start()
        assert listening.wait(30), "the second process did not listen"
        assert second.poll() is None
        stats = {httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code for _ in range(10)}
        assert stats == {200}
    finally:
        for process in (first, second):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                process.communicate(timeout=30)
    assert first.returncode == 0 and second is not None and second.returncode == 0
