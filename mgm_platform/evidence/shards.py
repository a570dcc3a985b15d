"""``--mgm-shard K/N``: run the K-th of N disjoint slices of the collected tests (CI shards).

Tests are sorted by node id and dealt out round-robin, so the N shards together run every
test exactly once, whatever the machine, and each shard gets a similar mix of features.
Their Allure results folders merge into one report.
"""

from __future__ import annotations

import re

import pytest

OPTION = "--mgm-shard"
_SHARD = re.compile(r"^(\d+)/(\d+)$")


def parse_shard(text: str) -> tuple[int, int]:
    """``"1/3"`` → ``(1, 3)``; shards count from 0. Raises ``pytest.UsageError`` with the rule."""
    match = _SHARD.match(text.strip())
    if not match or not 0 <= int(match.group(1)) < int(match.group(2)):
        raise pytest.UsageError(f"{OPTION} {text!r}: expected K/N with 0 <= K < N, e.g. {OPTION} 0/2")
    return int(match.group(1)), int(match.group(2))


def select_shard(items: list[pytest.Item], config: pytest.Config, shard: tuple[int, int]) -> None:
    index, count = shard
    order = {nodeid: n for n, nodeid in enumerate(sorted(item.nodeid for item in items))}
    kept = [item for item in items if order[item.nodeid] % count == index]
    dropped = [item for item in items if order[item.nodeid] % count != index]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept
