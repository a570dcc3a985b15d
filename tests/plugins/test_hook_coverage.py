"""Every hook is documented (a heading in docs/plugins.md) and has a test (tests/plugins)."""

import inspect
from pathlib import Path

from mgm_core.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[2]


def hook_names():
    return sorted(
        name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("mgm_")
    )


def test_there_are_hooks_and_every_one_has_a_docstring():
    names = hook_names()
    assert {"mgm_check_subscriber", "mgm_payout_transition", "mgm_notification_channels"} <= set(names)
    for name in names:
        assert len((getattr(hookspecs, name).__doc__ or "").split()) > 20, name


def test_every_hook_has_a_heading_in_the_plugin_docs():
    headings = {
        line.strip("# `").strip()
        for line in (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("### ")
    }
    missing = [name for name in hook_names() if name not in headings]
    assert not missing, f"hooks without a heading in docs/plugins.md: {missing}"


def test_every_hook_has_a_test():
    tests = (ROOT / "tests" / "plugins" / "test_hooks.py").read_text(encoding="utf-8")
    missing = [name for name in hook_names() if f"def test_{name}" not in tests]
    assert not missing, f"hooks without a test_<hook> in tests/plugins/test_hooks.py: {missing}"
