"""The SC/TC catalog: its ids, their titles and their anchors in ``docs/scenarios.md``.

The project's ``docs/scenarios.md`` is read when present (a checkout); an installed
distribution falls back to ``catalog.tsv``, a copy of its ids and titles shipped as
package data (a unit test keeps the two equal).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

CATALOG_DOC = Path("docs") / "scenarios.md"
_HEADING = re.compile(r"^#{2,6}\s+((?:SC|TC)-\d{3})\s+[—–-]+\s+(.+?)\s*$")

LINK_PATTERN_ENV = "MGM_CATALOG_LINK_PATTERN"
LINK_PATTERN_INI = "mgm_catalog_link_pattern"


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    title: str

    @property
    def heading(self) -> str:
        return f"{self.id} — {self.title}"

    @property
    def anchor(self) -> str:
        return github_anchor(self.heading)


def github_anchor(heading: str) -> str:
    """The fragment GitHub gives a Markdown heading: lower case, punctuation dropped, spaces to '-'."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def parse_catalog(markdown: str) -> list[CatalogEntry]:
    """Every ``#### SC-001 — Title`` heading, in document order, each id once."""
    seen: dict[str, CatalogEntry] = {}
    for line in markdown.splitlines():
        match = _HEADING.match(line)
        if match and match.group(1) not in seen:
            seen[match.group(1)] = CatalogEntry(match.group(1), match.group(2))
    return list(seen.values())


def packaged_catalog() -> list[CatalogEntry]:
    text = resources.files("mgm_platform.evidence").joinpath("catalog.tsv").read_text(encoding="utf-8")
    rows = (line.split("\t", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return [CatalogEntry(row[0], row[1]) for row in rows]


def load_catalog(root: Path | None) -> list[CatalogEntry]:
    """The project's catalog when ``root/docs/scenarios.md`` exists, else the packaged copy."""
    if root is not None and (root / CATALOG_DOC).is_file():
        entries = parse_catalog((root / CATALOG_DOC).read_text(encoding="utf-8"))
        if entries:
            return entries
    return packaged_catalog()


def default_link_pattern(root: Path | None, environ: dict[str, str] | os._Environ[str]) -> str:
    """Where a catalog id links when nothing is configured.

    In GitHub Actions: the catalog at the commit under test on the repository's web page;
    elsewhere the checkout's ``docs/scenarios.md`` as a file URL (else the relative path).
    """
    repository = environ.get("GITHUB_REPOSITORY")
    if repository:
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        ref = environ.get("GITHUB_SHA") or "HEAD"
        return f"{server}/{repository}/blob/{ref}/{CATALOG_DOC.as_posix()}#{{anchor}}"
    if root is not None and (root / CATALOG_DOC).is_file():
        return (root / CATALOG_DOC).resolve().as_uri() + "#{anchor}"
    return CATALOG_DOC.as_posix() + "#{anchor}"


def catalog_link(pattern: str, catalog_id: str, entries: dict[str, CatalogEntry]) -> str:
    """``pattern`` with ``{id}`` (or ``{}``) and ``{anchor}`` filled in for ``catalog_id``."""
    entry = entries.get(catalog_id)
    anchor = entry.anchor if entry else catalog_id.lower()
    return pattern.replace("{}", "{id}").format(id=catalog_id, anchor=anchor)
