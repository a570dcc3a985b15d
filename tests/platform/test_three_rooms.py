"""The EBS does not know its backends or the platform: no import line under mgm_core/ names them."""

import re
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "mgm_core"
FORBIDDEN = ("mgm_wow", "mgm_mocks", "mgm_twitch", "mgm_platform", "steps")
IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w., ]+))", re.MULTILINE)


def imported_roots(text: str) -> set[str]:
    roots = set()
    for from_name, import_names in IMPORT.findall(text):
        names = [from_name] if from_name else [n.strip().split(" ")[0] for n in import_names.split(",")]
        roots.update(name.split(".")[0] for name in names if name)
    return roots


def test_the_scanner_sees_both_import_forms():
    text = "from mgm_wow.bridge import x\n    import steps.world, os\nimport mgm_platform as p\n"
    assert imported_roots(text) == {"mgm_wow", "steps", "os", "mgm_platform"}


def test_mgm_core_imports_none_of_the_other_rooms():
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 30
    offending = [
        f"{path.relative_to(CORE.parent)}: {root}"
        for path in files
        for root in imported_roots(path.read_text(encoding="utf-8"))
        if root in FORBIDDEN
    ]
    assert not offending, offending
