"""Fenced code blocks of a Markdown file (also the indented ones inside list items)."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<language>[\w+-]*)\s*$")


@dataclass(frozen=True)
class CodeBlock:
    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    source: str
    heading: str  # the last ``#`` heading above the block

    @property
    def id(self) -> str:
        return f"{self.path.name}:{self.line}"


def code_blocks(path: Path, language: str | None = None) -> list[CodeBlock]:
    """Every fenced block of ``path`` (of ``language`` when given), dedented."""
    blocks: list[CodeBlock] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    heading = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("#"):
            heading = line
        opening = FENCE.match(line)
        if opening is None:
            index += 1
            continue
        closing = re.compile(rf"^{re.escape(opening['indent'])}```\s*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        if end == len(lines):
            raise ValueError(f"{path}:{index + 1}: unclosed code block")
        if language is None or opening["language"] == language:
            source = textwrap.dedent("\n".join(lines[index + 1 : end])) + "\n"
            blocks.append(CodeBlock(path, index + 1, opening["language"], source, heading))
        index = end + 1
    return blocks
