"""``mgm steps [TEXT]``: the step library with each phrase's meaning and the backends that support it.

Phrases come from the registered step definitions; meanings from the library's
documentation (``docs/steps.md``, shipped in the wheel as
``mgm_platform/steps/steps.md``); backends from the capabilities each step needs.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from mgm_platform import backends
from mgm_platform.needs import STEPS_PACKAGE, step_needs
from mgm_platform.suggest import closest

_ROW = re.compile(r"^\|\s*([^|]+?)\s*\|\s*(.+?)\s*\|\s*(.+?)\s*\|\s*$")


@dataclass(frozen=True)
class Entry:
    keyword: str
    phrase: str
    meaning: str
    backends: tuple[str, ...]


def _documentation() -> Path | None:
    import mgm_platform.steps as package

    here = Path(package.__file__).resolve().parent
    for candidate in (here / "steps.md", here.parents[1] / "docs" / "steps.md"):
        if candidate.is_file():
            return candidate
    return None


def meanings() -> dict[str, str]:
    """Phrase → meaning, from the documentation's tables (``a`` / ``b`` cells give both phrases)."""
    path = _documentation()
    if path is None:
        return {}
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if not match or match.group(1) in ("keyword", "---"):
            continue
        for phrase in re.findall(r"`([^`]+)`", match.group(2)):
            found[phrase] = match.group(3)
    return found


def entries() -> list[Entry]:
    from pytest_bdd.steps import step_function_context_registry

    import mgm_platform.steps as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{STEPS_PACKAGE}.{module.name}")
    table = backends.load_backends()
    known = meanings()
    found: dict[tuple[str, str], Entry] = {}
    for context in list(step_function_context_registry.values()):
        if not context.step_func.__module__.startswith(STEPS_PACKAGE + "."):
            continue
        phrase = str(context.parser.name)
        needs = step_needs(context.step_func)
        roles = {backends.CAPABILITIES[c][0] for c in needs}
        supported = tuple(
            b.label
            for b in table
            if b.role in roles
            and all(c in b.capabilities for c in needs if backends.CAPABILITIES[c][0] == b.role)
        )
        keyword = (context.type or "step").capitalize()
        found[(keyword, phrase)] = Entry(keyword, phrase, known.get(phrase, "(undocumented)"), supported)
    return sorted(found.values(), key=lambda e: ("GWT".find(e.keyword[0]), e.phrase))


def print_steps(text: str | None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    listed = entries()
    if text:
        chosen = [e for e in listed if text.casefold() in e.phrase.casefold()]
        if not chosen:
            near = set(closest(text, [e.phrase for e in listed], count=5))
            chosen = [e for e in listed if e.phrase in near]
        if not chosen:
            print(f"mgm steps: no phrase contains or resembles {text!r}", file=sys.stderr)
            return 1
        listed = chosen
    for entry in listed:
        print(f"{entry.keyword} {entry.phrase}", file=out)
        print(f"    {entry.meaning}", file=out)
        print(f"    backends: {', '.join(entry.backends) or '-'}", file=out)
    return 0
