"""A plugin author's test for a pip-installed plugin (entry point in group ``mgm``).

A tiny distribution is built and installed into a private directory; its author's
test (the one ``docs/plugins.md`` shows) runs in a separate pytest process that
finds the plugin through its entry point *and* hands it to ``ebs_with_plugins``.
"""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from mgm_core.plugins.manager import create_plugin_manager, describe
from tests.docs.markdown import code_blocks

PIP_INSTALL = [
    sys.executable,
    "-m",
    "pip",
    "install",
    "--quiet",
    "--no-deps",
    "--no-index",
    "--no-build-isolation",
]

PLUGIN_SOURCE = """
from mgm_core.plugins import hookimpl

seen = []


@hookimpl
def mgm_payout_transition(transition, context):
    seen.append(transition.new_status.value)
"""

PYPROJECT = """
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "mgm-tiny-observer"
version = "0.3.0"

[project.entry-points.mgm]
tiny_observer = "mgm_tiny_observer"

[tool.setuptools]
py-modules = ["mgm_tiny_observer"]
"""

# What the author writes: the block docs/plugins.md shows, run as written.
(AUTHOR_TEST,) = [
    block.source
    for block in code_blocks(Path(__file__).resolve().parents[2] / "docs" / "plugins.md", "python")
    if "import mgm_tiny_observer" in block.source
]


@pytest.fixture(scope="session")
def installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install`` the tiny distribution (offline, no dependencies) into a private directory."""
    work = tmp_path_factory.mktemp("tiny-plugin")
    source = work / "src"
    source.mkdir()
    (source / "pyproject.toml").write_text(PYPROJECT)
    (source / "mgm_tiny_observer.py").write_text(PLUGIN_SOURCE)
    target = work / "site"
    subprocess.run(
        [*PIP_INSTALL, "--target", str(target), str(source)],
        check=True,
        capture_output=True,
    )
    return target


@pytest.fixture
def imported_plugin(installed_plugin: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.syspath_prepend(str(installed_plugin))
    importlib.invalidate_caches()
    yield importlib.import_module("mgm_tiny_observer")
    sys.modules.pop("mgm_tiny_observer", None)


def test_an_installed_plugin_passed_again_is_kept_once_and_logged(imported_plugin, caplog):
    caplog.set_level(logging.INFO, logger="mgm_core.plugins")
    manager = create_plugin_manager(extra=[imported_plugin])
    assert manager.get_name(imported_plugin) == "tiny_observer"
    loaded = [p for p in describe(manager) if p.hooks == ("mgm_payout_transition",)]
    assert [(p.name, p.distribution, p.version) for p in loaded] == [
        ("tiny_observer", "mgm-tiny-observer", "0.3.0")
    ]
    notes = [r for r in caplog.records if r.getMessage() == "plugin already registered; not registered again"]
    assert [(r.plugin, r.reason) for r in notes] == [("tiny_observer", "loaded through its entry point")]


def test_a_plugin_that_is_not_installed_is_registered_inline(imported_plugin, caplog):
    caplog.set_level(logging.INFO, logger="mgm_core.plugins")
    manager = create_plugin_manager(deny=["tiny_observer"], extra=[imported_plugin])
    assert manager.is_registered(imported_plugin)
    assert manager.get_name(imported_plugin) != "tiny_observer"
    assert not [r for r in caplog.records if getattr(r, "reason", "") == "loaded through its entry point"]


def test_the_same_inline_plugin_passed_twice_is_registered_once(caplog):
    class Inline:
        pass

    inline = Inline()
    caplog.set_level(logging.INFO, logger="mgm_core.plugins")
    manager = create_plugin_manager(extra=[inline, inline])
    assert [plugin for plugin in manager.get_plugins() if plugin is inline] == [inline]
    assert [getattr(r, "reason", None) for r in caplog.records if getattr(r, "plugin", None)].count(
        "passed twice"
    ) == 1


@pytest.mark.slow
def test_the_authors_test_passes_with_the_plugin_pip_installed(installed_plugin, pg_server_dsn, tmp_path):
    project = tmp_path / "author"
    project.mkdir()
    (project / "test_tiny_observer.py").write_text(AUTHOR_TEST)
    env = {
        **os.environ,
        "PYTHONPATH": str(installed_plugin),
        "MGM_TEST_DATABASE_URL": pg_server_dsn,
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(project),
            str(project),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
