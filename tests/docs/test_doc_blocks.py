"""The Python (and JSON) blocks of README.md and docs/*.md work as written.

Every Python block compiles as a module, names only what it defines or imports
(ruff's undefined-name check), and its imports resolve against the installed
project. Blocks that are cheap and self-contained are also run.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.markdown import CodeBlock, code_blocks

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PYTHON = [block for doc in DOCS for block in code_blocks(doc, "python")]
JSON = [block for doc in DOCS for block in code_blocks(doc, "json")]
# The installed plugin docs/plugins.md imagines; tests/plugins/test_installed_plugin.py installs it.
EXAMPLE_MODULES = {"mgm_tiny_observer"}
RUFF_UNDEFINED_NAMES = [
    *(sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated"),
    *("--select=F821,F822,F823", "--output-format=concise"),
]


def only(path: str, needle: str) -> CodeBlock:
    (block,) = [b for b in PYTHON if b.path == ROOT / path and needle in b.source]
    return block


def run(block: CodeBlock) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": f"doc_block_{block.line}"}
    exec(compile(block.source, block.id, "exec"), namespace)
    return namespace


def test_the_docs_have_python_blocks():
    assert {b.path.name for b in PYTHON} >= {"plugins.md", "mocks.md", "stack.md", "desktop-bridge.md"}


@pytest.mark.parametrize("block", PYTHON, ids=lambda b: b.id)
def test_compiles(block: CodeBlock):
    compile(block.source, block.id, "exec", dont_inherit=True)


@pytest.mark.parametrize("block", PYTHON, ids=lambda b: b.id)
def test_imports_resolve(block: CodeBlock):
    for node in ast.walk(ast.parse(block.source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
            names: list[tuple[str, str]] = []
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
            names = [(node.module, alias.name) for alias in node.names]
        else:
            continue
        for module in modules:
            if module.split(".")[0] not in EXAMPLE_MODULES:
                importlib.import_module(module)
        for module, name in names:
            if module.split(".")[0] in EXAMPLE_MODULES:
                continue
            imported = importlib.import_module(module)
            assert hasattr(imported, name) or importlib.util.find_spec(f"{module}.{name}"), (
                f"{block.id}: {module} has no {name}"
            )


@pytest.mark.parametrize("block", PYTHON, ids=lambda b: b.id)
def test_uses_no_undefined_name(block: CodeBlock):
    pytest.importorskip("ruff", reason="the undefined-name check runs ruff (the test extra)")
    answer = subprocess.run(
        [*RUFF_UNDEFINED_NAMES, "--stdin-filename", f"{block.path.stem}_{block.line}.py", "-"],
        input=block.source,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 0, f"{block.id}:\n{answer.stdout}{answer.stderr}"


@pytest.mark.parametrize("block", JSON, ids=lambda b: b.id)
def test_json_blocks_parse(block: CodeBlock):
    """A block is one JSON document, or one document per line ("one request body per line")."""
    try:
        json.loads(block.source)
    except json.JSONDecodeError:
        for line in block.source.splitlines():
            if line.strip():
                json.loads(line)


def test_the_webhook_channel_walk_through_runs(monkeypatch):
    namespace = run(only("docs/plugins.md", "class WebhookChannel"))
    hook = namespace["mgm_notification_channels"]
    monkeypatch.delenv("MGM_WEBHOOK_URL", raising=False)
    assert hook(context=None) is None
    monkeypatch.setenv("MGM_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    (channel,) = hook(context=None)
    assert (channel.name, channel.url) == ("webhook", "http://127.0.0.1:9/hook")


def test_the_ten_line_plugin_test_passes(ebs_with_plugins):
    namespace = run(only("docs/plugins.md", "class Spy"))
    namespace["test_sees_sent"](ebs_with_plugins)


def test_the_bridge_example_runs(tmp_path):
    namespace = run(only("docs/desktop-bridge.md", "DesktopBridge("))
    asyncio.run(namespace["bridge_against_the_fake"](tmp_path))
