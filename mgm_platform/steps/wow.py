"""Tier B steps: the WoW client simulator and the Desktop bridge (the Desktop/WoW stand-in)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, then, when

from mgm_platform.steps.standin import DesktopStandIn
from mgm_platform.steps.world import World
from mgm_wow.run_lines import parse_receive_gold_payload


@pytest.fixture
def standin_holder(tmp_path: Path) -> Iterator[dict[str, DesktopStandIn]]:
    holder: dict[str, DesktopStandIn] = {}
    yield holder
    if "standin" in holder:
        holder["standin"].close()


def _standin(holder: dict[str, DesktopStandIn]) -> DesktopStandIn:
    assert "standin" in holder, 'start it first: "Given the Desktop stand-in is running"'
    return holder["standin"]


@given("the Desktop stand-in is running")
def standin_running(world: World, standin_holder: dict[str, DesktopStandIn], tmp_path: Path) -> None:
    ebs = world.ebs
    # On a shared target the Desktop goes through a proxy, so "the EBS goes down" can cut it off.
    url = world.target.desktop_url if world.target is not None else ebs.url
    standin_holder["standin"] = DesktopStandIn(tmp_path, url, ebs.config.api_key, clock=ebs.clock)


@given(parsers.parse('"{name}" is online in WoW'))
def online(standin_holder: dict[str, DesktopStandIn], name: str) -> None:
    standin = _standin(standin_holder)
    roster = standin.admin("GET", "/api/wow/roster")["online"]
    standin.admin("PUT", "/api/wow/roster", json={"online": [*roster, name]})


@given(parsers.parse('"{name}" will answer the winner whisper with "{reply}"'))
def will_answer(standin_holder: dict[str, DesktopStandIn], name: str, reply: str) -> None:
    _standin(standin_holder).admin("PUT", f"/api/wow/winners/{name}", json={"reply": reply, "delayMs": 5})


@given(parsers.parse('"{name}" will not answer the winner whisper'))
def will_not_answer(standin_holder: dict[str, DesktopStandIn], name: str) -> None:
    _standin(standin_holder).admin("PUT", f"/api/wow/winners/{name}", json={"reply": None})


@given("the mailbox is closed")
def mailbox_closed(standin_holder: dict[str, DesktopStandIn]) -> None:
    _standin(standin_holder).admin("PATCH", "/api/wow/settings", json={"mailboxOpen": False})


@given("the next mail send fails")
def next_mail_fails(standin_holder: dict[str, DesktopStandIn]) -> None:
    _standin(standin_holder).admin("PATCH", "/api/wow/settings", json={"failNextMail": True})


@when("the Desktop bridge polls the roulette candidate")
def poll_candidate(standin_holder: dict[str, DesktopStandIn]) -> None:
    _standin(standin_holder).run("poll_candidate")


@when("the Desktop bridge reads the chat log")
def read_log(standin_holder: dict[str, DesktopStandIn]) -> None:
    _standin(standin_holder).catch_up()


@when("the Desktop bridge polls pending payouts")
def poll_pending(standin_holder: dict[str, DesktopStandIn]) -> None:
    _standin(standin_holder).run("poll_pending")


@when("the streamer syncs the Desktop")
def sync(standin_holder: dict[str, DesktopStandIn]) -> None:
    _standin(standin_holder).run("sync")


@when(parsers.parse('the streamer sends the mail for "{name}"'))
def send_mail(world: World, standin_holder: dict[str, DesktopStandIn], name: str) -> None:
    standin = _standin(standin_holder)
    standin.admin("POST", "/api/wow/mail/send", json={"payoutId": world.payout_id(name)})
    standin.settle()


@when(parsers.parse('the streamer mails {copper:d} copper to "{name}" by hand'))
def manual_mail(standin_holder: dict[str, DesktopStandIn], copper: int, name: str) -> None:
    standin = _standin(standin_holder)
    standin.admin("POST", "/api/wow/mail/manual", json={"recipient": name, "copper": copper})
    standin.settle()


@when(parsers.parse('the streamer marks the payout of "{name}" as "{status}" in the Desktop'))
def mark(world: World, standin_holder: dict[str, DesktopStandIn], name: str, status: str) -> None:
    _standin(standin_holder).mark(world.payout_id(name), status)


@when(parsers.parse('the addon prints the confirm tag for "{name}" again'))
def confirm_again(world: World, standin_holder: dict[str, DesktopStandIn], name: str) -> None:
    standin = _standin(standin_holder)
    standin.admin("POST", "/api/mock/add-message", json={"content": f"[MGM_CONFIRM:{world.payout_id(name)}]"})


@when("the Desktop bridge restarts")
def bridge_restarts(standin_holder: dict[str, DesktopStandIn]) -> None:
    _standin(standin_holder).rebuild()


@when("the Desktop bridge restarts with its state lost")
def bridge_restarts_blank(standin_holder: dict[str, DesktopStandIn]) -> None:
    _standin(standin_holder).rebuild(lose_state=True)


@then(parsers.parse('the EBS accepted the mail confirmation of "{name}" {times:d} times'))
def confirm_outcomes(world: World, standin_holder: dict[str, DesktopStandIn], name: str, times: int) -> None:
    """Every [MGM_CONFIRM] the bridge sent for the payout was answered with success (PATCH Sent, 2xx)."""
    key = f"CONFIRM:{world.payout_id(name)}"
    outcomes = [o for o in _standin(standin_holder).outcomes if o.key.upper() == key.upper()]
    assert [o.result for o in outcomes] == ["done"] * times, outcomes


@when("the EBS goes down")
def ebs_down(world: World) -> None:
    world.ebs_down()


@when("the EBS comes back")
def ebs_back(world: World) -> None:
    world.ebs_back()


def _shown(lines: list[str]) -> str:
    """The chat log as a failure message shows it."""
    return "WoWChatLog.txt holds:\n" + ("\n".join(f"  {line}" for line in lines) or "  (nothing)")


@then(parsers.parse('the chat log shows the /who report for "{name}" as {state}'))
def log_who(standin_holder: dict[str, DesktopStandIn], name: str, state: str) -> None:
    online_json = {"online": "true", "offline": "false"}[state]
    lines = _standin(standin_holder).log_lines()
    who = [line for line in lines if "[MGM_WHO]" in line]
    assert any(f'"characterName":"{name}"' in line and f'"online":{online_json}' in line for line in who), (
        f"no [MGM_WHO] line reports {name} {state}. " + _shown(lines)
    )


@then(parsers.parse('the chat log shows the acceptance of "{name}"'))
def log_accept(world: World, standin_holder: dict[str, DesktopStandIn], name: str) -> None:
    tag = f"[MGM_ACCEPT:{world.payout_id(name)}]"
    lines = _standin(standin_holder).log_lines()
    assert any(tag in line for line in lines), f"no {tag} line. " + _shown(lines)


@then(parsers.parse('the chat log shows the mail confirmation of "{name}"'))
def log_confirm(world: World, standin_holder: dict[str, DesktopStandIn], name: str) -> None:
    tag = f"[MGM_CONFIRM:{world.payout_id(name)}]"
    lines = _standin(standin_holder).log_lines()
    assert any(tag in line for line in lines), f"no {tag} line. " + _shown(lines)


@then(parsers.parse('the chat log has no mail confirmation for "{name}"'))
def log_no_confirm(world: World, standin_holder: dict[str, DesktopStandIn], name: str) -> None:
    tag = f"[MGM_CONFIRM:{world.payout_id(name)}]"
    lines = _standin(standin_holder).log_lines()
    assert not any(tag in line for line in lines), f"unexpected {tag} line. " + _shown(lines)


@then(parsers.parse("the chat log has no mail confirmation at all"))
def log_no_confirm_at_all(standin_holder: dict[str, DesktopStandIn]) -> None:
    lines = _standin(standin_holder).log_lines()
    assert not any("[MGM_CONFIRM:" in line for line in lines), "unexpected [MGM_CONFIRM:…] line. " + _shown(
        lines
    )


def _whispers_to(standin: DesktopStandIn, name: str) -> tuple[list[str], list[dict]]:
    whispers = standin.admin("GET", "/api/wow/whispers")
    return [w["text"] for w in whispers if w["direction"] == "out" and w["characterName"] == name], whispers


@then(parsers.parse('"{name}" was whispered first:'))
def whispered_first(standin_holder: dict[str, DesktopStandIn], name: str, docstring: str) -> None:
    """The first whisper the streamer's client sent to ``name`` is exactly the doc string."""
    texts, whispers = _whispers_to(_standin(standin_holder), name)
    assert texts, f"nothing was whispered to {name}; all whispers: {whispers}"
    assert texts[0] == docstring.strip(), f"first whisper to {name}: {texts[0]!r}; all whispers: {whispers}"


@then(parsers.parse('"{name}" was whispered:'))
def whispered(standin_holder: dict[str, DesktopStandIn], name: str, docstring: str) -> None:
    texts, whispers = _whispers_to(_standin(standin_holder), name)
    assert docstring.strip() in texts, f"whispers to {name}: {texts}; all whispers: {whispers}"


@then(parsers.parse('"{name}" was not whispered:'))
def not_whispered(standin_holder: dict[str, DesktopStandIn], name: str, docstring: str) -> None:
    texts, _ = _whispers_to(_standin(standin_holder), name)
    assert docstring.strip() not in texts, f"whispers to {name}: {texts}"


@then(parsers.parse('the game received a ReceiveGold line paying "{name}" {copper:d} copper'))
def receive_gold(world: World, standin_holder: dict[str, DesktopStandIn], name: str, copper: int) -> None:
    commands = _standin(standin_holder).admin("GET", "/api/wow/commands")
    lines = [c["command"] for c in commands if c["command"].startswith("/run ReceiveGold(")]
    assert lines, commands
    for line in lines:
        assert len(line.encode("utf-8")) < 255
    entries = [e for line in lines for e in parse_receive_gold_payload(line[len('/run ReceiveGold("') : -2])]
    assert (world.payout_id(name), name, copper) in [
        (str(e.payout_id), e.character_name, e.copper) for e in entries
    ], entries
