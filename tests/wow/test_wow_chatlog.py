"""Chat-log line formats and the per-line appending writer."""

from __future__ import annotations

from datetime import datetime

import pytest

from mgm_wow.chatlog import ChatLogWriter, format_seed_line, format_wow_line, strip_timestamp

WHEN = datetime(2025, 11, 4, 3, 41, 7, 123456)  # naive = already local time


def test_wow_format():
    assert format_wow_line("[MGM_CONFIRM:x]", WHEN) == "11/4 03:41:07.123  [MGM_CONFIRM:x]"


def test_seed_format():
    assert format_seed_line("hello", WHEN) == "2025-11-04 03:41:07.123 hello"


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("11/24 03:41:07.123  [MGM_CONFIRM:x]", "[MGM_CONFIRM:x]"),
        ("1/2 13:41:07.000  text with  spaces", "text with  spaces"),
        ("2025-11-24 03:41:07.123 [MGM_ACCEPT:x]", "[MGM_ACCEPT:x]"),
        ("no timestamp [MGM_ACCEPT:x]", "no timestamp [MGM_ACCEPT:x]"),
    ],
)
def test_strip_timestamp(line, text):
    assert strip_timestamp(line) == text


def test_writer_appends_truncates_and_rotates(tmp_path):
    writer = ChatLogWriter(tmp_path / "Logs" / "WoWChatLog.txt")
    writer.ensure_exists()
    assert writer.path.exists() and writer.read_lines() == []
    writer.append_line("one")
    writer.append_line("два")
    assert writer.path.read_bytes() == "one\nдва\n".encode()
    writer.truncate()
    assert writer.path.read_bytes() == b""
    writer.append_line("old")
    aside = writer.rotate()
    assert aside.read_text() == "old\n"
    assert writer.path.read_text() == ""
    with pytest.raises(ValueError, match="line break"):
        writer.append_line("a\nb")
