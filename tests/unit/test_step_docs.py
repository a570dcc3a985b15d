"""Every Gherkin step defined in steps/ is documented in docs/steps.md."""

import importlib
import pkgutil
from pathlib import Path

from pytest_bdd.steps import step_function_context_registry

import mgm_platform.steps as steps

DOC = Path(__file__).resolve().parents[2] / "docs" / "steps.md"


def test_every_step_is_documented():
    for module in pkgutil.iter_modules(steps.__path__):
        importlib.import_module(f"mgm_platform.steps.{module.name}")
    phrases = {
        ctx.parser.name
        for ctx in step_function_context_registry.values()
        if ctx.step_func.__module__.startswith("mgm_platform.steps.")
    }
    assert len(phrases) > 20
    text = DOC.read_text(encoding="utf-8")
    missing = sorted(p for p in phrases if f"`{p}`" not in text)
    assert not missing, f"steps missing from docs/steps.md: {missing}"
