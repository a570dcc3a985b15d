"""ChatLogTail: incremental reads, partial lines, BOM, truncation, rotation, restart without replay."""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

from mgm_wow import tags
from mgm_wow.bridge.tail import ChatLogTail
from mgm_wow.tags import Accept, Confirm, UpdateCheck, WhoReport


def ids(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


def append(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


def keys(tail: ChatLogTail) -> list[object]:
    return [item.tag for item in tail.poll()]


def test_missing_file_is_no_lines(tmp_path):
    tail = ChatLogTail(tmp_path / "Logs" / "WoWChatLog.txt")
    assert tail.poll() == [] and tail.offset == 0


def test_reads_only_new_whole_lines(tmp_path):
    log = tmp_path / "WoWChatLog.txt"
    a, b = ids(2)
    tail = ChatLogTail(log)
    append(log, f"11/24 03:41:07.123  [MGM_ACCEPT:{a}]\r\nchatter\n[MGM_CONF")
    assert keys(tail) == [Accept(a)]
    assert tail.read_lines() == []
    append(log, f"IRM:{b}]")
    assert keys(tail) == []  # still no line break: the partial line waits
    append(log, "\n")
    assert keys(tail) == [Confirm(b)]
    assert tail.offset == log.stat().st_size


def test_bom_and_both_timestamp_formats(tmp_path):
    log = tmp_path / "WoWChatLog.txt"
    a, b = ids(2)
    append(log, b"\xef\xbb\xbf" + f"2025-11-24 03:41:07.123 [MGM_ACCEPT:{a}]\n".encode())
    append(log, f"11/24 03:41:07.123  {tags.format_who(b, 'Норинн', True, '2025-11-24T03:41:07Z')}\n")
    tail = ChatLogTail(log)
    lines = tail.read_lines()
    assert lines[0].startswith("2025-11-24")  # no BOM left on the first line
    tail = ChatLogTail(log)
    found = keys(tail)
    assert found[0] == Accept(a)
    assert isinstance(found[1], WhoReport) and found[1].character_name == "Норинн"


def test_multibyte_characters_split_across_writes(tmp_path):
    log = tmp_path / "WoWChatLog.txt"
    data = "[MGM] Ёжик\n".encode()
    tail = ChatLogTail(log)
    append(log, data[:8])  # cuts Ё in half
    assert tail.read_lines() == []
    append(log, data[8:])
    assert tail.read_lines() == ["[MGM] Ёжик"]


def test_repeated_tags_are_dropped_but_update_checks_are_not(tmp_path):
    log = tmp_path / "WoWChatLog.txt"
    (a,) = ids(1)
    tail = ChatLogTail(log)
    append(log, f"[MGM_CONFIRM:{a}]\n[MGM_CONFIRM:{a.upper()}]\n[MGM_UPDATE_CHECK]\n[MGM_UPDATE_CHECK]\n")
    assert keys(tail) == [Confirm(a), UpdateCheck(), UpdateCheck()]
    append(log, f"[MGM_CONFIRM:{a}]\n")
    assert keys(tail) == []
    tail.forget(f"confirm:{a}")
    append(log, f"[MGM_CONFIRM:{a}]\n")
    assert keys(tail) == [Confirm(a)]


def test_seen_set_is_bounded_oldest_first(tmp_path):
    log = tmp_path / "WoWChatLog.txt"
    first, *rest = ids(4)
    tail = ChatLogTail(log, seen_limit=3)
    append(log, "".join(f"[MGM_ACCEPT:{i}]\n" for i in [first, *rest]))
    assert len(keys(tail)) == 4
    assert not tail.seen(f"accept:{first}") and tail.seen(f"accept:{rest[-1]}")


def test_malformed_tags_are_logged_and_skipped(tmp_path, caplog):
    log = tmp_path / "WoWChatLog.txt"
    (a,) = ids(1)
    append(log, f"[MGM_ACCEPT:not-a-guid]\n[MGM_WHO]{{broken\n[MGM_ACCEPT:{a}]\n")
    with caplog.at_level(logging.WARNING, logger="mgm_wow.bridge.tail"):
        assert keys(ChatLogTail(log)) == [Accept(a)]
    assert caplog.text.count("malformed tag line") == 2


def test_truncation_restarts_from_zero(tmp_path):
    log = tmp_path / "WoWChatLog.txt"
    a, b = ids(2)
    tail = ChatLogTail(log)
    append(log, f"a long line before the tag so the file is longer\n[MGM_ACCEPT:{a}]\n")
    assert keys(tail) == [Accept(a)]
    with log.open("w"):
        pass
    append(log, f"[MGM_CONFIRM:{b}]\n")
    assert keys(tail) == [Confirm(b)]


def test_truncated_and_refilled_past_the_offset_is_noticed(tmp_path):
    log = tmp_path / "WoWChatLog.txt"
    a, b = ids(2)
    tail = ChatLogTail(log)
    append(log, f"[MGM_ACCEPT:{a}]\n")
    assert keys(tail) == [Accept(a)]
    with log.open("w") as handle:  # same inode, grown past the old offset before the next poll
        handle.write(f"something else entirely, and longer than before\n[MGM_CONFIRM:{b}]\n")
    assert keys(tail) == [Confirm(b)]


def test_rotation_reads_the_new_file(tmp_path):
    log = tmp_path / "WoWChatLog.txt"
    a, b = ids(2)
    tail = ChatLogTail(log)
    append(log, f"[MGM_ACCEPT:{a}]\n" + "padding line\n" * 5)
    assert keys(tail) == [Accept(a)]
    os.replace(log, tmp_path / "WoWChatLog.txt.1")
    # The new file is longer than the old offset, so only the identity change reveals it.
    append(log, "x" * 200 + f"\n[MGM_CONFIRM:{b}]\n")
    assert keys(tail) == [Confirm(b)]


def test_a_duplicate_after_truncation_is_still_dropped(tmp_path):
    log = tmp_path / "WoWChatLog.txt"
    (a,) = ids(1)
    tail = ChatLogTail(log)
    append(log, f"[MGM_CONFIRM:{a}]\n")
    assert keys(tail) == [Confirm(a)]
    with log.open("w"):
        pass
    append(log, f"[MGM_CONFIRM:{a}]\n")
    assert keys(tail) == []


def test_restart_does_not_replay(tmp_path):
    log, state = tmp_path / "WoWChatLog.txt", tmp_path / "state" / "tail.json"
    a, b, c = ids(3)
    append(log, f"[MGM_ACCEPT:{a}]\n[MGM_CONFIRM:{a}]\n")
    tail = ChatLogTail(log, state)
    assert keys(tail) == [Accept(a), Confirm(a)]
    tail.commit()
    append(log, f"[MGM_ACCEPT:{b}]\n")

    restarted = ChatLogTail(log, state)
    assert keys(restarted) == [Accept(b)]
    # Not committed: a crash here means the next start reads that line again.
    again = ChatLogTail(log, state)
    assert keys(again) == [Accept(b)]
    again.commit()
    append(log, f"[MGM_CONFIRM:{c}]\n")
    assert keys(ChatLogTail(log, state)) == [Confirm(c)]


def test_restart_after_the_log_was_truncated_and_refilled(tmp_path):
    log, state = tmp_path / "WoWChatLog.txt", tmp_path / "tail.json"
    a, b = ids(2)
    append(log, f"[MGM_ACCEPT:{a}]\n")
    tail = ChatLogTail(log, state)
    assert keys(tail) == [Accept(a)]
    tail.commit()
    with log.open("w") as handle:
        handle.write(f"new session with a longer first line than the old file had\n[MGM_CONFIRM:{b}]\n")
    assert keys(ChatLogTail(log, state)) == [Confirm(b)]


def test_first_start_can_skip_old_lines(tmp_path):
    log, state = tmp_path / "WoWChatLog.txt", tmp_path / "tail.json"
    a, b = ids(2)
    append(log, f"[MGM_ACCEPT:{a}]\npartial")
    tail = ChatLogTail(log, state, start_at_end=True)
    assert keys(tail) == []
    append(log, f" line\n[MGM_ACCEPT:{b}]\n")
    assert keys(tail) == [Accept(b)]
    tail.commit()
    # Saved state wins over start_at_end on the next start.
    append(log, f"[MGM_CONFIRM:{b}]\n")
    assert keys(ChatLogTail(log, state, start_at_end=True)) == [Confirm(b)]


def test_state_for_another_file_keeps_seen_tags_only(tmp_path):
    state = tmp_path / "tail.json"
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    (a,) = ids(1)
    append(first, f"[MGM_CONFIRM:{a}]\n")
    tail = ChatLogTail(first, state)
    assert keys(tail) == [Confirm(a)]
    tail.commit()
    append(second, f"hello\n[MGM_CONFIRM:{a}]\n[MGM_ACCEPT:{a}]\n")
    assert keys(ChatLogTail(second, state)) == [Accept(a)]


def test_a_corrupt_state_file_starts_fresh(tmp_path, caplog):
    log, state = tmp_path / "WoWChatLog.txt", tmp_path / "tail.json"
    (a,) = ids(1)
    append(log, f"[MGM_ACCEPT:{a}]\n")
    state.write_text("{not json")
    with caplog.at_level(logging.WARNING):
        assert keys(ChatLogTail(log, state)) == [Accept(a)]
    assert "unreadable state file" in caplog.text


def test_a_huge_line_without_breaks_is_stepped_over(tmp_path):
    log = tmp_path / "WoWChatLog.txt"
    (a,) = ids(1)
    append(log, "x" * 100)
    tail = ChatLogTail(log, max_read_bytes=64)
    assert tail.poll() == []
    append(log, f"\n[MGM_ACCEPT:{a}]\n")
    found = []
    for _ in range(5):
        found += keys(tail)
    assert found == [Accept(a)]


def test_commit_writes_only_when_something_changed(tmp_path):
    log, state = tmp_path / "WoWChatLog.txt", tmp_path / "tail.json"
    (a,) = ids(1)
    append(log, f"[MGM_ACCEPT:{a}]\n")
    tail = ChatLogTail(log, state)
    tail.poll()
    tail.commit()
    written = state.stat().st_ino
    tail.poll()
    tail.commit()
    assert state.stat().st_ino == written  # every save replaces the file, so no save happened
    append(log, "chatter\n")
    tail.poll()
    tail.commit()
    assert state.stat().st_ino != written
