"""The ``e2e`` extra is enough to collect every test module (``pytest -m tier_b`` after
``pip install -e '.[e2e]'``): no module imports, at its top level, a package that only the
``test`` extra installs."""

import ast
import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTED = ["tests", "features", "steps", "plugins/webhook-channel-example/tests"]


def _names(requirements: list[str]) -> set[str]:
    """Import names of requirements (``pytest-httpserver>=1`` → ``pytest_httpserver``)."""
    names = set()
    for requirement in requirements:
        distribution = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)
        names.add(distribution.lower().replace("-", "_"))
    return names


def _closure(distributions: set[str]) -> set[str]:
    """The distributions and everything they require (installed ones; extras not followed)."""
    seen: set[str] = set()
    todo = list(distributions)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        unconditional = [r for r in requirements if "extra ==" not in r.replace('"', "").replace("'", "")]
        todo += _names(unconditional)
    return seen


def _top_level_imports(path: Path) -> set[str]:
    imported = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imported.add(node.module.split(".")[0])
    return imported


def tomllib_dependencies() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def test_no_collected_module_needs_the_test_extra_to_import():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    e2e = _closure(_names(extras["e2e"]) | _names(tomllib_dependencies()))
    test_only_distributions = _closure(_names(extras["test"]) - {"mimirons_gold_o_matic"}) - e2e
    owners = metadata.packages_distributions()  # import name -> distributions
    test_only = {
        module
        for module, distributions in owners.items()
        if {d.lower().replace("-", "_") for d in distributions} <= test_only_distributions
    }
    assert {"hypothesis", "pytest_httpserver", "werkzeug"} & test_only == {"pytest_httpserver", "werkzeug"}
    modules = [ROOT / "conftest.py"] + [p for d in COLLECTED for p in sorted((ROOT / d).rglob("*.py"))]
    offending = {
        str(path.relative_to(ROOT)): sorted(_top_level_imports(path) & test_only)
        for path in modules
        if _top_level_imports(path) & test_only
    }
    assert offending == {}
