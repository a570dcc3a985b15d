"""`mgm stack up`: the whole platform in one process, in-process on free ports and as a command."""

import asyncio
import contextlib
import io
import logging
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from mgm_core import ports
from mgm_platform.stack import LISTENING, Stack, StackConfigError, StackOptions, StackStartError, plan_ports
from mgm_platform.stack.logs import CompactFormatter
from mgm_platform.stack.orchestrator import format_table

API_KEY = "ci-desktop-api-key"
SEED_SECRETS = ("ci-desktop-api-key", "e2e-ci-eventsub-secret", "e2e-ci-broadcast-token")
ANNOUNCEMENT = "Награда отправлена персонажу {} на почту, проверяй ящик!"


class StackThread:
    """A Stack on an event loop of its own (a background thread), driven from synchronous test code."""

    def __init__(self, options):
        self.stack = Stack(options)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="stack-under-test", daemon=True)
        self._thread.start()
        self._closed = False

    def call(self, make, timeout=60):
        return asyncio.run_coroutine_threadsafe(make(), self._loop).result(timeout)

    def start(self):
        self.call(self.stack.start)
        return self

    def url(self, name):
        return self.stack.url(name)

    def close(self):
        if self._closed:
            return
        self._closed = True
        try:
            self.call(self.stack.stop)
            self.call(self._loop.shutdown_default_executor)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()


def options_for(database_url, tmp_path, **environ):
    return StackOptions(
        ports=dict.fromkeys(LISTENING, 0),
        virtual_clock=True,
        run_dir=tmp_path / "run",
        environ={
            "MGM_DATABASE_URL": database_url,
            "MGM_DATA_DIR": str(tmp_path / "data"),
            "MGM_DESKTOP_TAIL_INTERVAL_SECONDS": "0.05",
            **environ,
        },
        ready_timeout=20,
    )


@pytest.fixture
def stack(database_url, tmp_path):
    running = StackThread(options_for(database_url, tmp_path)).start()
    yield running
    running.close()


def eventually(check, timeout=10.0, interval=0.05):
    """Poll ``check`` until it returns something truthy; fail with its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"still {result!r} after {timeout} s"
        time.sleep(interval)


def listening(port, host="127.0.0.1"):
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def token(stack, user_id, name):
    answer = httpx.get(f"{stack.url('jwt')}/token", params={"userId": user_id, "displayName": name})
    answer.raise_for_status()
    return answer.json()["access_token"]


def pool_me(stack, user_id, name="Viewer"):
    answer = httpx.get(
        f"{stack.url('ebs')}/api/pool/me", headers={"Authorization": f"Bearer {token(stack, user_id, name)}"}
    )
    answer.raise_for_status()
    return answer.json()


# --------------------------------------------------------------------------- in-process


def test_every_service_is_healthy_and_listed(stack):
    services = stack.stack.services
    assert list(services) == ["ebs", "eventsub", "jwt", "helix", "desktop", "wow", "bridge"]
    assert {name: info.status for name, info in services.items()} == {
        **dict.fromkeys(LISTENING, "ready"),
        "bridge": "running",
    }
    assert httpx.get(stack.url("ebs") + "/health/ready").status_code == 200
    assert httpx.get(stack.url("eventsub") + "/health").json() == {
        "status": "ok",
        "service": "MockEventSubWebhook",
    }
    assert httpx.get(stack.url("jwt") + "/health").json()["service"] == "MockExtensionJwt"
    assert httpx.get(stack.url("helix") + "/health").json()["component"] == "MockHelixApi"
    assert httpx.get(stack.url("desktop") + "/health").json()["component"] == "SyntheticDesktop"
    assert httpx.get(stack.url("wow") + "/health").json()["component"] == "WowClientSimulator"
    table = format_table(services.values())
    for name in services:
        assert name in table


def test_signed_chat_messages_through_the_eventsub_mock_enroll_viewers(stack):
    eventsub = stack.url("eventsub")
    generated = httpx.post(
        f"{eventsub}/api/mock/chat-message",
        json={
            "chatterUserId": "e2e-viewer-1",
            "chatterLogin": "e2eviewer1",
            "chatterName": "E2EViewer",
            "text": "!twgold Etoehero",
            "badges": ["subscriber"],
        },
    )
    assert generated.status_code == 200, generated.text
    assert generated.json()["delivered"] is True
    assert generated.json()["backend"]["status"] == 204, generated.json()["backend"]

    # The seed's path: a request built elsewhere, signed with the shared secret, through the relay.
    built = httpx.post(
        f"{eventsub}/api/mock/chat-message",
        json={
            "chatterUserId": "e2e-viewer-2",
            "chatterLogin": "e2eviewer2",
            "text": "!twgold Norinn",
            "badges": ["subscriber"],
            "deliver": False,
        },
    ).json()
    relayed = httpx.post(
        f"{eventsub}/api/twitch/eventsub", content=built["rawBody"].encode(), headers=built["headers"]
    )
    assert relayed.status_code == 204, relayed.text

    first = pool_me(stack, "e2e-viewer-1", "E2EViewer")
    assert first["isEnrolled"] is True
    assert first["characterName"] == "Etoehero"
    assert pool_me(stack, "e2e-viewer-2")["characterName"] == "Norinn"


def test_harness_and_synthetic_desktop_reach_sent_with_one_helix_announcement(stack):
    enrolled = httpx.post(
        f"{stack.url('eventsub')}/api/mock/chat-message",
        json={
            "chatterUserId": "e2e-viewer-1",
            "chatterLogin": "e2eviewer1",
            "text": "!twgold Etoehero",
            "badges": ["subscriber"],
        },
    )
    assert enrolled.json()["backend"]["status"] == 204, enrolled.text
    prepared = httpx.post(
        f"{stack.url('ebs')}/api/e2e/prepare-pending-payout",
        json={"twitchUserId": "e2e-viewer-1"},
        headers={"X-MGM-ApiKey": API_KEY},
    )
    assert prepared.status_code == 200, prepared.text
    payout = prepared.json()

    run = httpx.post(
        f"{stack.url('desktop')}/run-sequence",
        json={"payoutId": payout["payoutId"], "characterName": payout["characterName"]},
        timeout=30,
    )
    assert run.status_code == 200, run.text
    assert run.json()["ok"] is True
    assert [step["name"] for step in run.json()["steps"]] == [
        "POST confirm-acceptance",
        "PATCH status InProgress",
        "PATCH status Sent",
    ]

    helix = stack.url("helix")

    def announced():
        detail = httpx.get(
            f"{stack.url('ebs')}/api/payouts/{payout['payoutId']}", headers={"X-MGM-ApiKey": API_KEY}
        ).json()
        return detail if detail["isRewardSentAnnouncedToChat"] else None

    detail = eventually(announced)
    assert detail["status"] == "Sent"
    journal = httpx.get(f"{helix}/api/mock/requests", params={"path": "/helix/chat/messages"}).json()
    assert journal["count"] == 1, journal
    request = journal["requests"][0]
    assert request["body"] == {
        "broadcaster_id": "e2e-ci-broadcaster",
        "sender_id": "e2e-ci-broadcaster",
        "message": ANNOUNCEMENT.format("Etoehero"),
    }
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["authorization"] == "Bearer e2e-ci-broadcast-token"
    assert headers["client-id"] == "e2e-ci-helix-client"
    assert pool_me(stack, "e2e-viewer-1")["isEnrolled"] is False


def test_bridge_tails_the_simulator_log_and_types_back_through_it(stack):
    wow = stack.url("wow")
    added = httpx.post(f"{wow}/api/mock/add-message", json={"content": "[MGM_UPDATE_CHECK]"})
    assert added.status_code == 200, added.text

    def typed_version_line():
        commands = httpx.get(f"{wow}/api/mock/commands").json()
        return [c["command"] for c in commands if "AddMessage" in c["command"]]

    lines = eventually(typed_version_line)
    assert "[MGM] EBS" in lines[0]
    assert stack.stack.chat_log.is_file()


def test_stop_leaves_no_listening_ports(database_url, tmp_path):
    running = StackThread(options_for(database_url, tmp_path)).start()
    bound = {name: running.stack.services[name].port for name in LISTENING}
    try:
        assert all(listening(port) for port in bound.values())
    finally:
        running.close()
    assert {name: listening(port) for name, port in bound.items()} == dict.fromkeys(LISTENING, False)
    assert {info.status for info in running.stack.services.values()} == {"stopped"}


def test_a_service_that_fails_to_start_stops_the_others(database_url, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    running = StackThread(
        options_for(database_url, tmp_path, WOWMOCK_LogFilePath=str(blocker / "Logs" / "WoWChatLog.txt"))
    )
    try:
        with pytest.raises(StackStartError) as failure:
            running.start()
        services = running.stack.services
        started = {name: services[name].port for name in ("helix", "jwt", "ebs", "eventsub", "desktop")}
    finally:
        running.close()
    assert failure.value.service == "wow"
    assert "wow (WowClientSimulator) could not start" in str(failure.value)
    assert services["wow"].status == "failed"
    assert all(port for port in started.values())
    assert not any(listening(port) for port in started.values())
    assert {services[name].status for name in started} == {"stopped"}


# --------------------------------------------------------------------------- plan and log


def test_port_plan_offsets_overrides_and_refusals():
    planned = plan_ports(StackOptions(ports_offset=10000, ports={"helix": 0, "ebs": 18081}))
    assert planned == {
        "ebs": 18081,
        "eventsub": 19051,
        "jwt": 19052,
        "helix": 0,
        "desktop": 19054,
        "wow": 15001,
    }
    assert plan_ports(StackOptions()) == ports.BY_SERVICE
    with pytest.raises(StackConfigError, match=r"ebs and wow|wow and ebs"):
        plan_ports(StackOptions(ports={"wow": 8080}))
    with pytest.raises(StackConfigError, match=r"outside 0\.\.65535"):
        plan_ports(StackOptions(ports_offset=60000))
    with pytest.raises(StackConfigError, match="no service called"):
        plan_ports(StackOptions(ports={"postgres": 5432}))


def test_compact_log_is_one_line_and_hides_secrets():
    from mgm_core.logs import SecretScrubber

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(CompactFormatter())
    handler.addFilter(SecretScrubber(["ci-desktop-api-key"]))
    logger = logging.getLogger("mgm_mocks.helix.test_stack")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(
            "called with ci-desktop-api-key\nand more",
            extra={"api_key": "other-value-123", "url": "http://x", "note": "two words"},
        )
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue()
    assert line.count("\n") == 1
    assert " helix    WARNING called with *** | and more  " in line
    assert 'api_key=*** url=http://x note="two words"' in line
    assert "ci-desktop-api-key" not in line and "other-value-123" not in line


# --------------------------------------------------------------------------- as a command


def port_free(port):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_offset():
    """An offset that puts every seed port on a free port (random, so parallel workers rarely meet)."""
    chooser = random.Random()
    for _ in range(200):
        offset = chooser.randrange(20000, 56000)
        if all(port_free(seed + offset) for seed in ports.BY_SERVICE.values()):
            return offset
    pytest.fail("no free port range found")


def mgm(*args, env):
    return subprocess.Popen(
        [sys.executable, "-m", "mgm_core.cli", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_stack_up_serves_until_sigterm_then_frees_every_port(database_url, tmp_path):
    offset = free_offset()
    process = mgm(
        "stack",
        "up",
        "--ports-offset",
        str(offset),
        env={"MGM_DATABASE_URL": database_url, "MGM_DATA_DIR": str(tmp_path)},
    )
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True)
    reader.start()
    seen = []
    try:
        deadline = time.monotonic() + 60
        while not any("press Ctrl-C to stop" in line for line in seen):
            assert process.poll() is None, "".join(seen) + process.stderr.read()
            assert time.monotonic() < deadline, "the stack did not come up:\n" + "".join(seen)
            with contextlib.suppress(queue.Empty):
                seen.append(lines.get(timeout=0.5))
        planned = {name: seed + offset for name, seed in ports.BY_SERVICE.items()}
        assert all(listening(port) for port in planned.values())
        ebs = httpx.get(f"http://127.0.0.1:{planned['ebs']}/health/ready", timeout=5)
        assert ebs.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        # Not communicate(): the reader thread owns stdout until it closes.
        process.wait(timeout=30)
        reader.join(10)
        stderr = process.stderr.read()
    while not lines.empty():
        seen.append(lines.get())
    output = "".join(seen)
    assert process.returncode == 0, output + stderr
    table = next(i for i, line in enumerate(seen) if line.startswith("SERVICE"))
    rows = {line.split()[0]: line for line in seen[table + 1 : table + 8]}
    assert set(rows) == {"ebs", "eventsub", "jwt", "helix", "desktop", "wow", "bridge"}
    assert f"http://127.0.0.1:{planned['helix']}" in rows["helix"]
    assert "running" in rows["bridge"] and "ready" in rows["wow"]
    assert "mgm stack: stopped" in output
    assert not any(listening(port) for port in planned.values())
    for secret in SEED_SECRETS:
        assert secret not in output + stderr


def test_stack_up_names_the_service_whose_port_is_taken(database_url, tmp_path):
    offset = free_offset()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = mgm(
            "stack",
            "up",
            "--ports-offset",
            str(offset),
            "--port-helix",
            str(port),
            env={"MGM_DATABASE_URL": database_url, "MGM_DATA_DIR": str(tmp_path)},
        )
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stdout + stderr
    assert f"helix (MockHelixApi) could not start on 127.0.0.1:{port}" in stderr
    assert "already in use" in stderr
    assert not any(listening(seed + offset) for seed in ports.BY_SERVICE.values())


def test_shared_settings_follow_the_ebs_and_explicit_variables_win(tmp_path):
    stack = Stack(
        StackOptions(
            ports_offset=1000,
            run_dir=tmp_path,
            virtual_clock=True,
            environ={
                "MGM_API_KEY": "operator-desktop-key",
                "Mgm__ApiKey": "seed-name-loses",
                "Twitch__EventSubSecret": "seed-secret-loses",
                "MGM_MOCK_HELIX_STRICT_AUTH": "true",
                "WOWMOCK_Roster": "Etoehero,Norinn",
                "MGM_DESKTOP_PENDING_POLL_SECONDS": "30",
            },
        )
    )
    ebs = stack.settings("ebs")
    assert ebs.helix_base_url == "http://127.0.0.1:10053"
    assert ebs.broadcaster_id == "e2e-ci-broadcaster" and ebs.harness_enabled and ebs.virtual_clock
    assert stack.settings("desktop").api_key == "operator-desktop-key"
    assert stack.settings("bridge").api_key == "operator-desktop-key"
    assert stack.settings("eventsub").secret == "e2e-ci-eventsub-secret"
    assert stack.settings("jwt").channel_id == "e2e-ci-broadcaster"
    assert stack.settings("helix").strict_auth is True
    assert stack.settings("wow").roster == ("Etoehero", "Norinn")
    assert stack.settings("wow").api_port == 6001
    assert stack.settings("bridge").bridge.pending_poll_interval == 30
    assert stack.settings("bridge").chat_log == tmp_path / "Logs" / "WoWChatLog.txt"
    assert stack.settings("bridge").simulator_url == "http://127.0.0.1:6001"
    # One virtual clock: tokens and EventSub timestamps follow the EBS's time.
    assert stack.settings("jwt").clock is stack.clock is stack.settings("eventsub").clock
    assert stack.settings("wow").clock is stack.clock


def test_a_malformed_variable_refuses_to_start_naming_it():
    process = mgm("stack", "up", "--ports-offset", "3", env={"MGM_RATE_LIMIT": "lots"})
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "MGM_RATE_LIMIT" in stderr


def test_mgm_mock_wow_keeps_the_seed_settings(tmp_path):
    chat_log = tmp_path / "Logs" / "WoWChatLog.txt"
    process = mgm(
        "mock",
        "wow",
        "--port",
        "0",
        "MockSettings:AutoConfirmAccepts=true",
        env={"WOWMOCK_MockSettings__LogFilePath": str(chat_log)},
    )
    try:
        banner = process.stdout.readline()
        assert "WowClientSimulator listening on http://127.0.0.1:" in banner, banner + process.stderr.read()
        url = banner.split(" listening on ")[1].split()[0]
        assert httpx.get(f"{url}/api/mock/health").json() == {"ok": True, "logFilePath": str(chat_log)}
        assert httpx.get(f"{url}/api/wow/settings").json()["autoConfirmAccepts"] is True
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode == 0


def test_mgm_desktop_refuses_to_start_without_an_api_key():
    env = {name: "" for name in ("MGM_API_KEY", "MGM_DESKTOP_API_KEY")}
    process = mgm("desktop", "--ebs-url", "http://127.0.0.1:1", env=env)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "MGM_DESKTOP_API_KEY" in stderr


def test_mgm_desktop_runs_the_bridge_against_the_stack_until_sigterm(stack, tmp_path):
    process = mgm(
        "desktop",
        "--ebs-url",
        stack.url("ebs"),
        "--chat-log",
        str(stack.stack.chat_log.parent),
        "--simulator-url",
        stack.url("wow"),
        "--state-dir",
        str(tmp_path / "desktop"),
        env={"MGM_DESKTOP_API_KEY": API_KEY, "MGM_DESKTOP_TAIL_INTERVAL_SECONDS": "0.05"},
    )
    try:
        banner = process.stderr.readline()
        assert "bridge started" in banner, banner
        assert f"chat_log={stack.stack.chat_log}" in banner
        assert API_KEY not in banner
    finally:
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=30)
    assert process.returncode == 0, rest
    assert "bridge stopped" in rest


def test_the_seed_ci_scripts_steps_run_unmodified(stack):
    """What the seed's .github/scripts do, byte for byte where it matters (ebs-contract.md §9)."""
    import hashlib
    import hmac
    import json
    import uuid

    # check_workflow_integration.py: GET / < 500; 9051/9052 ok + service; 9053/9054 healthy + component.
    assert httpx.get(f"{stack.url('ebs')}/").status_code < 500
    for name in ("eventsub", "jwt"):
        body = httpx.get(f"{stack.url(name)}/health").json()
        assert body["status"] == "ok" and body["service"]
    for name in ("helix", "desktop"):
        body = httpx.get(f"{stack.url(name)}/health").json()
        assert body["status"] == "healthy" and body["component"]

    # check_mockhelixapi.py: a probe POST with Bearer + Client-Id, 200/204, captured by last-request.
    probe = httpx.post(
        f"{stack.url('helix')}/helix/chat/messages",
        json={"broadcaster_id": "probe", "sender_id": "probe", "message": ANNOUNCEMENT.format("Etoehero")},
        headers={"Authorization": "Bearer probe-token", "Client-Id": "probe-client"},
    )
    assert probe.status_code in (200, 204)
    captured = httpx.get(f"{stack.url('helix')}/last-request").json()
    assert captured["captured"] is True and captured["body"]["message"] == ANNOUNCEMENT.format("Etoehero")

    # send_e2e_eventsub.py: compact JSON, Message-Id = message_id, Unix-seconds timestamp, HMAC by hand.
    message_id = str(uuid.uuid4())
    body = json.dumps(
        {
            "subscription": {"type": "channel.chat.message"},
            "event": {
                "message_id": message_id,
                "chatter_user_id": "e2e-viewer-1",
                "chatter_user_login": "e2eviewer1",
                "message": {"text": "!twgold Etoehero"},
                "badges": [{"set_id": "subscriber"}],
            },
        },
        separators=(",", ":"),
    ).encode()
    timestamp = str(int(time.time()))
    digest = hmac.new(
        b"e2e-ci-eventsub-secret", message_id.encode() + timestamp.encode() + body, hashlib.sha256
    )
    sent = httpx.post(
        f"{stack.url('eventsub')}/api/twitch/eventsub",
        content=body,
        headers={
            "Content-Type": "application/json",
            "Twitch-Eventsub-Message-Id": message_id,
            "Twitch-Eventsub-Message-Timestamp": timestamp,
            "Twitch-Eventsub-Message-Signature": "sha256=" + digest.hexdigest(),
        },
    )
    assert sent.status_code < 400, sent.text
    assert pool_me(stack, "e2e-viewer-1", "E2EViewer") == {"isEnrolled": True, "characterName": "Etoehero"}

    # run_e2e_tier_b.py: harness, run-sequence, last-request, last-run, fresh token -> not enrolled.
    prepared = httpx.post(
        f"{stack.url('ebs')}/api/e2e/prepare-pending-payout",
        json={"twitchUserId": "e2e-viewer-1"},
        headers={"X-MGM-ApiKey": API_KEY},
    ).json()
    run = httpx.post(
        f"{stack.url('desktop')}/run-sequence",
        json={"payoutId": prepared["payoutId"], "characterName": prepared["characterName"]},
        timeout=30,
    ).json()
    assert run["ok"] is True
    last = httpx.get(f"{stack.url('helix')}/last-request").json()
    assert last["captured"] is True
    assert last["body"]["message"] == ANNOUNCEMENT.format(prepared["characterName"])
    assert last["body"]["broadcaster_id"] == "e2e-ci-broadcaster"
    assert httpx.get(f"{stack.url('desktop')}/last-run").json()["ok"] is True
    assert pool_me(stack, "e2e-viewer-1")["isEnrolled"] is False
