"""What the platform attaches at the end of a scenario, from the fixtures the scenario used.

Each source looks at one fixture only if the scenario set it up (``request.fixturenames``
names the active ones), so gathering evidence never starts a mock:

* the EBS's log lines (every EBS of the scenario's ``world``, restarts included);
* the Helix mock's journal (the ``helix`` fixture), when it received anything;
* the WoW chat-log lines the simulator wrote (the ``standin_holder`` fixture).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mgm_platform.evidence.exchanges import JOURNAL
from mgm_platform.evidence.redaction import Redactor


@dataclass(frozen=True)
class Evidence:
    name: str
    body: str
    kind: str = "text"  # "text" or "json"


def _active(request: pytest.FixtureRequest, name: str) -> Any:
    if name not in request.fixturenames:
        return None
    try:
        return request.getfixturevalue(name)
    except Exception:  # a fixture that failed to set up has nothing to show
        return None


def ebs_instances(request: pytest.FixtureRequest) -> list[Any]:
    world = _active(request, "world")
    return list(getattr(world, "started", []) or [])


def ebs_log(request: pytest.FixtureRequest, redactor: Redactor) -> list[Evidence]:
    found = []
    instances = ebs_instances(request)
    for number, ebs in enumerate(instances, start=1):
        for secret in _config_secrets(ebs):
            redactor.add(secret)
        lines = list(getattr(ebs.health, "lines", []))
        name = "EBS log" if len(instances) == 1 else f"EBS log ({number} of {len(instances)})"
        text = "\n".join(lines) if lines else "(the EBS logged nothing)"
        found.append(Evidence(name, redactor.text(text)))
    return found


def _config_secrets(ebs: Any) -> list[str]:
    """The values of the EBS configuration's secret fields (those kept out of its repr)."""
    config = getattr(ebs, "config", None)
    if not dataclasses.is_dataclass(config):
        return []
    return [
        str(getattr(config, f.name))
        for f in dataclasses.fields(config)
        if not f.repr and getattr(config, f.name)
    ]


def helix_journal(request: pytest.FixtureRequest, redactor: Redactor) -> list[Evidence]:
    helix = _active(request, "helix")
    url = getattr(helix, "url", None)
    if not url:
        return []
    try:
        answer = httpx.get(f"{url}/api/mock/requests", timeout=5)
        requests = answer.json().get("requests", [])
    except (httpx.HTTPError, ValueError) as exc:
        return [Evidence("Helix mock journal", f"(could not read the journal: {type(exc).__name__}: {exc})")]
    if not requests:
        return [Evidence("Helix mock journal", "(the Helix mock received no request)")]
    body = json.dumps(redactor.json(requests), indent=2, ensure_ascii=False)
    return [Evidence(f"Helix mock journal ({len(requests)} requests)", body, "json")]


def chat_log(request: pytest.FixtureRequest, redactor: Redactor) -> list[Evidence]:
    holder = _active(request, "standin_holder")
    standin = holder.get("standin") if isinstance(holder, dict) else None
    if standin is None:
        return []
    try:
        with JOURNAL.quiet():
            lines = standin.log_lines()
    except Exception as exc:  # a stopped simulator: say so instead of failing the report
        return [Evidence("WoWChatLog.txt", f"(could not read the chat log: {type(exc).__name__}: {exc})")]
    text = "\n".join(lines) if lines else "(nothing was written to the chat log)"
    return [Evidence("WoWChatLog.txt lines of the scenario", redactor.text(text))]


SOURCES: tuple[Callable[[pytest.FixtureRequest, Redactor], list[Evidence]], ...] = (
    ebs_log,
    helix_journal,
    chat_log,
)


def gather(request: pytest.FixtureRequest, redactor: Redactor) -> list[Evidence]:
    found: list[Evidence] = []
    for source in SOURCES:
        found.extend(source(request, redactor))
    return found
