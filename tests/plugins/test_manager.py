"""Building the plugin manager: entry points, selection, validation, the report."""

import json
import os
import subprocess
import sys

import pluggy
import pytest

from mgm_core.plugins import hookimpl
from mgm_core.plugins.manager import create_plugin_manager, describe

BUILT_INS = {"badge_subscriber_check", "helix_subscriber_check", "helix_chat"}


def test_built_ins_load_through_the_entry_point_group_with_versions():
    loaded = {p.name: p for p in describe(create_plugin_manager())}
    assert set(loaded) >= BUILT_INS
    assert loaded["helix_chat"].distribution == "mimirons-gold-o-matic"
    assert loaded["helix_chat"].version
    assert loaded["helix_chat"].hooks == ("mgm_notification_channels",)
    assert loaded["badge_subscriber_check"].hooks == ("mgm_check_subscriber",)


def test_allow_and_deny_lists():
    only = {p.name for p in describe(create_plugin_manager(allow=["helix_chat"]))}
    assert only == {"helix_chat"}
    without = {p.name for p in describe(create_plugin_manager(deny=["helix_chat"]))}
    assert "helix_chat" not in without and "badge_subscriber_check" in without


def test_an_implementation_without_a_spec_is_refused():
    class Typo:
        @hookimpl
        def mgm_payout_transitoin(self, transition, context):
            pass

    with pytest.raises(pluggy.PluginValidationError):
        create_plugin_manager(extra=[Typo()])


def test_extra_plugins_are_registered_last_and_reported():
    class Inline:
        @hookimpl
        def mgm_payout_transition(self, transition, context):
            pass

    names = [p.name for p in describe(create_plugin_manager(extra=[Inline()]))]
    assert len(names) == len(BUILT_INS) + 1


def run_cli(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "mgm_core.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_mgm_plugins_lists_plugins_versions_and_hooks():
    result = run_cli("plugins")
    assert result.returncode == 0, result.stderr
    assert "helix_chat" in result.stdout and "mgm_notification_channels" in result.stdout
    listed = json.loads(run_cli("plugins", "--json", MGM_DISABLE_PLUGINS="helix_chat").stdout)
    assert {p["name"] for p in listed} == BUILT_INS - {"helix_chat"}
    allowed = json.loads(run_cli("plugins", "--json", MGM_PLUGINS="badge_subscriber_check").stdout)
    assert [p["name"] for p in allowed] == ["badge_subscriber_check"]


def test_disabling_the_badge_check_refuses_every_chat_enrollment(make_ebs):
    ebs = make_ebs(disabled_plugins=frozenset({"badge_subscriber_check"}))
    ebs.chat_delivery("1", "!twgold Norinn")
    assert ebs.pool_me("1")["isEnrolled"] is False


def test_first_result_calls_in_pluggys_order_awaits_async_and_skips_a_raising_one(caplog):
    import asyncio

    from mgm_core.plugins import hookimpl
    from mgm_core.plugins.manager import first_result

    calls = []

    class Raising:
        @hookimpl(tryfirst=True)
        def mgm_check_subscriber(self, query, context):
            calls.append("raising")
            raise RuntimeError("boom")

    class AsyncNone:
        @hookimpl
        async def mgm_check_subscriber(self, query, context):
            calls.append("async-none")
            return None

    class Answers:
        @hookimpl(trylast=True)
        def mgm_check_subscriber(self, query, context):
            calls.append("answers")
            return "allow"

    manager = create_plugin_manager(allow=[], extra=[Answers(), AsyncNone(), Raising()])
    result = asyncio.run(first_result(manager.hook.mgm_check_subscriber, query="q", context="c"))
    assert result == "allow"
    assert calls == ["raising", "async-none", "answers"]
    assert any(r.message == "plugin hook failed" for r in caplog.records)
