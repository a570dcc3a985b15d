"""What a scenario's tags mean to a release manager: Allure labels and catalog links.

* ``@tier_a`` / ``@tier_b`` / ``@tier_c`` → ``epic`` "Tier A" …;
* ``@SC-001`` / ``@TC-013`` (``scenario_id`` marks) → a ``catalog_id`` label, a ``tag``
  label and a ``tms`` link built from the catalog link pattern;
* ``@blocker`` / ``@critical`` / ``@normal`` / ``@minor`` / ``@trivial`` → ``severity``
  (``normal`` when untagged, so the default is a statement, not an omission);
* the run's profile and each selected backend → ``profile`` and ``ebs`` / ``twitch`` /
  ``helix`` / ``wow`` labels.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pytest

from mgm_platform.evidence.catalog import CatalogEntry, catalog_link

SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")
SEVERITY_MARKERS = tuple(
    f"{name}: Allure severity {name} of the scenario (release sign-off)" for name in SEVERITIES
)
TIER_PREFIX = "tier_"
BACKEND_ROLES: dict[str, str] = {"ebs": "local", "twitch": "mock", "helix": "mock", "wow": "simulator"}


@dataclass(frozen=True)
class Link:
    url: str
    name: str
    type: str = "tms"


def tier_epic(marker_names: Iterable[str]) -> str | None:
    """``tier_b`` → ``Tier B`` (the lowest-lettered tier when several are tagged)."""
    tiers = sorted(name for name in marker_names if name.startswith(TIER_PREFIX))
    return f"Tier {tiers[0][len(TIER_PREFIX) :].upper()}" if tiers else None


def severity(marker_names: Iterable[str]) -> str:
    names = set(marker_names)
    return next((name for name in SEVERITIES if name in names), "normal")


def catalog_ids(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("scenario_id"):
        ids.extend(str(arg) for arg in mark.args if str(arg) not in ids)
    return sorted(ids)


def catalog_links(ids: Iterable[str], pattern: str, entries: Mapping[str, CatalogEntry]) -> list[Link]:
    return [Link(catalog_link(pattern, cid, dict(entries)), cid) for cid in ids]


def run_selection(config: pytest.Config) -> dict[str, str]:
    """The profile and the backend of each role: the platform's resolved choice when loaded,
    else its command-line option, else its environment variable, else the local default."""
    resolved = _platform_selection(config)
    chosen = {"profile": resolved.get("profile") or _option(config, "profile") or "local"}
    for role, default in BACKEND_ROLES.items():
        chosen[role] = resolved.get(role) or _option(config, role) or default
    return chosen


def _option(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(f"mgm_{name}", default=None)
    return str(value) if value else os.environ.get(f"MGM_{name.upper()}") or None


def _platform_selection(config: pytest.Config) -> dict[str, str]:
    try:
        from mgm_platform.plugin import PLATFORM  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return {}
    platform = config.stash.get(PLATFORM, None)
    if platform is None:
        return {}
    selection = platform.selection
    return {"profile": str(selection.profile), **{k: str(v) for k, v in dict(selection.values).items()}}
