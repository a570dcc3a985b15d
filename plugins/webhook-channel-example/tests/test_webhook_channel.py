"""The example plugin, tested as its author would: installed, found through the ``mgm``
entry points, delivering to a local HTTP server (pytest-httpserver)."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def installed_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Install the distribution into a private directory (offline, no dependencies)."""
    work = tmp_path_factory.mktemp("webhook-example")
    source = work / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info"))
    target = work / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    return target


@pytest.fixture
def on_path(installed_example: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(installed_example))
    importlib.invalidate_caches()
    yield installed_example
    sys.modules.pop("mgm_webhook_channel", None)


def test_found_through_the_entry_point_group_once_installed(installed_example: Path) -> None:
    script = (
        "import json; from mgm_core.plugins.manager import create_plugin_manager, describe; "
        "print(json.dumps([vars(p) for p in describe(create_plugin_manager())]))"
    )
    env = {**os.environ, "PYTHONPATH": str(installed_example)}
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True)
    plugins = {p["name"]: p for p in json.loads(out.stdout)}
    assert plugins["webhook_channel"]["distribution"] == "mgm-webhook-channel"
    assert plugins["webhook_channel"]["version"] == "1.0.0"
    assert plugins["webhook_channel"]["hooks"] == ["mgm_notification_channels"]


def _sent(ebs) -> dict:
    payout = ebs.win("90001337", "Norinn")
    assert ebs.patch_status(payout["id"], "InProgress").status_code == 200
    answer = ebs.patch_status(payout["id"], "Sent")
    assert answer.status_code == 200
    return answer.json()


def test_posts_the_announcement_once(on_path, make_ebs, httpserver, monkeypatch) -> None:
    monkeypatch.setenv("MGM_WEBHOOK_URL", httpserver.url_for("/hook"))
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("", status=204)
    ebs = make_ebs()
    _sent(ebs)
    httpserver.check_assertions()
    ((request, _),) = httpserver.log
    assert request.headers["Content-Type"] == "application/json"
    assert request.get_json() == {
        "content": "Награда отправлена персонажу Norinn на почту, проверяй ящик!",
        "username": "Mimiron's Gold-o-Matic",
        "allowed_mentions": {"parse": []},
    }


def test_a_429_is_retried_once_after_retry_after(on_path, make_ebs, httpserver, monkeypatch) -> None:
    monkeypatch.setenv("MGM_WEBHOOK_URL", httpserver.url_for("/hook"))
    httpserver.expect_ordered_request("/hook").respond_with_data("", status=429, headers={"Retry-After": "0"})
    httpserver.expect_ordered_request("/hook").respond_with_data("", status=204)
    _sent(make_ebs())
    httpserver.check_assertions()
    assert len(httpserver.log) == 2


def test_a_failing_webhook_never_breaks_sent(on_path, make_ebs, httpserver, monkeypatch) -> None:
    monkeypatch.setenv("MGM_WEBHOOK_URL", httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("boom", status=500)
    ebs = make_ebs()
    sent = _sent(ebs)
    assert sent["status"] == "Sent"
    status = ebs.fetchval(
        "SELECT status FROM notification_deliveries WHERE channel = 'webhook' AND payout_id = $1::uuid",
        sent["id"],
    )
    assert status == "failed"
    assert len(httpserver.log) == 1


def test_no_url_means_no_channel(on_path, make_ebs, monkeypatch) -> None:
    monkeypatch.delenv("MGM_WEBHOOK_URL", raising=False)
    sent = _sent(make_ebs())
    assert sent["status"] == "Sent"
