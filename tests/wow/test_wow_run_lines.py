"""``/run`` lines: builders, Lua escaping, parsing back, and ReceiveGold chunking counted in bytes."""

from __future__ import annotations

import itertools
import re
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mgm_wow import run_lines
from mgm_wow.run_lines import (
    MAX_LINE_BYTES,
    ChatFrameMessage,
    EntryTooLong,
    GoldEntry,
    NotifyWinnerWhisper,
    ReceiveGold,
    RunCall,
    RunLineError,
    RunWhoForSpin,
    line_bytes,
    parse_receive_gold_payload,
    parse_run_line,
    receive_gold_lines,
)

PAYOUT = "2d2b7b2a-1111-2222-3333-444444444444"
CYCLE = "0F8FAD5B-D9CB-469F-A165-70867728950E"
# The addon's Lua pattern ^([%w%-]+):([^:]+):(%d+)$, translated by hand and kept here on purpose:
# the test must not reuse the module's own regex.
ADDON_PATTERN = re.compile(r"\A([A-Za-z0-9\-]+):([^:]+):([0-9]+)\Z")


def test_builders_emit_the_contract_lines_with_lowercase_guids():
    assert run_lines.run_who_for_spin(CYCLE, "Norinn") == (
        '/run MGM_RunWhoForSpin("0f8fad5b-d9cb-469f-a165-70867728950e","Norinn")'
    )
    assert run_lines.notify_winner_whisper(uuid.UUID(PAYOUT), "Norinn") == (
        f'/run NotifyWinnerWhisper("{PAYOUT}","Norinn")'
    )
    assert run_lines.chat_frame_message("hi") == '/run DEFAULT_CHAT_FRAME:AddMessage("hi")'


def test_lua_strings_escape_backslash_and_quote():
    assert run_lines.lua_string('a"b\\c') == '"a\\"b\\\\c"'
    assert parse_run_line(run_lines.chat_frame_message('say "\\o/"')) == ChatFrameMessage('say "\\o/"')


def test_control_characters_and_bad_guids_are_refused():
    with pytest.raises(RunLineError):
        run_lines.chat_frame_message("two\nlines")
    with pytest.raises(RunLineError):
        run_lines.notify_winner_whisper("abc", "Norinn")


def test_a_line_over_the_edit_box_is_refused():
    with pytest.raises(RunLineError, match="bytes"):
        run_lines.chat_frame_message("Ж" * 120)


def test_parsing_reads_what_the_addon_would_run():
    assert parse_run_line(f'/run MGM_RunWhoForSpin("{CYCLE}","Norinn")') == RunWhoForSpin(CYCLE, "Norinn")
    # The seed's tests inject single-quoted literals and non-GUID ids.
    assert parse_run_line("/run NotifyWinnerWhisper('abc','Etoehero')") == NotifyWinnerWhisper(
        "abc", "Etoehero"
    )
    assert parse_run_line('/script ReceiveGold("x:Y:1;");') == ReceiveGold("x:Y:1;")
    assert parse_run_line('/RUN DEFAULT_CHAT_FRAME:AddMessage("hi", 1, 0.5, 0)') == ChatFrameMessage("hi")
    assert parse_run_line('/run print("x")') == RunCall("print", ("x",), '/run print("x")')
    assert parse_run_line("/who Norinn") is None
    assert parse_run_line("hello") is None


@pytest.mark.parametrize(
    "line",
    [
        '/run MGM_RunWhoForSpin("only-one")',
        '/run ReceiveGold("unterminated)',
        "/run ReceiveGold(payload)",
        '/run a("x") b("y")',
        '/run ReceiveGold("x",)',
        '/run ReceiveGold("x" "y")',
    ],
)
def test_unparsable_lua_raises(line):
    with pytest.raises(RunLineError):
        parse_run_line(line)


def test_lua_escapes_decode():
    assert parse_run_line(r'/run DEFAULT_CHAT_FRAME:AddMessage("a\tb\65\"\'")') == ChatFrameMessage(
        "a\tbA\"'"
    )


def entry(name: str, copper: int = 10_000_000) -> GoldEntry:
    return GoldEntry(str(uuid.uuid4()), name, copper)


def test_the_contract_example_entry():
    assert GoldEntry(PAYOUT, "Somecharacter", 10_000_000).format() == f"{PAYOUT}:Somecharacter:10000000;"
    assert GoldEntry.for_payout(PAYOUT.upper(), "Norinn", 1000).format() == f"{PAYOUT}:Norinn:10000000;"


@pytest.mark.parametrize(("name", "per_line"), [("Abcdefghijkl", 3), ("Ab", 4), ("Абвгдеёжзийк", 3)])
def test_lines_carry_as_many_whole_entries_as_fit(name, per_line):
    lines = receive_gold_lines([entry(name) for _ in range(per_line * 2 + 1)])
    assert [line.count(";") for line in lines] == [per_line, per_line, 1]
    assert all(line_bytes(line) <= MAX_LINE_BYTES for line in lines)


def test_bytes_not_characters_decide_the_split():
    # 12 two-byte letters: 71-byte entries. By characters four would fit in 254; by bytes only three.
    lines = receive_gold_lines([entry("Ж" * 12) for _ in range(4)])
    assert len(lines[0]) < MAX_LINE_BYTES < line_bytes(lines[0]) + 71
    assert [line.count(";") for line in lines] == [3, 1]


def test_an_entry_that_cannot_fit_alone_is_an_error():
    with pytest.raises(EntryTooLong):
        receive_gold_lines([entry("x" * 200)])


@pytest.mark.parametrize(("name", "copper"), [("Bad:Name", 1), ("Bad;Name", 1), ("", 1), ("Ok", -1)])
def test_entries_that_would_break_the_format_are_refused(name, copper):
    with pytest.raises(RunLineError):
        receive_gold_lines([GoldEntry(PAYOUT, name, copper)])


def test_no_entries_no_lines():
    assert receive_gold_lines([]) == []


def test_payload_parser_accepts_only_addon_pattern_entries():
    assert parse_receive_gold_payload(f"{PAYOUT}:Norinn:10;;{PAYOUT}:Б:2;") == [
        GoldEntry(PAYOUT, "Norinn", 10),
        GoldEntry(PAYOUT, "Б", 2),
    ]
    for bad in ("", ";", "a:b", "a:b:c;", "a_b:N:1;", "a:b:1:2;", "a:b:1\n;"):
        with pytest.raises(RunLineError):
            parse_receive_gold_payload(bad)


# Names as the EBS admits them (Latin and Cyrillic letters, 2-12), plus a few that need escaping.
letters = st.characters(
    whitelist_categories=("Lu", "Ll"), min_codepoint=0x41, max_codepoint=0x4FF, blacklist_characters=":;"
)
entries = st.builds(
    GoldEntry,
    payout_id=st.uuids().map(str),
    character_name=st.one_of(
        st.text(letters, min_size=2, max_size=12),
        st.text(st.sampled_from('ab"\\Жx'), min_size=1, max_size=12).filter(lambda s: s == s.strip()),
    ),
    copper=st.integers(min_value=0, max_value=10**12),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(entries, max_size=40))
def test_chunking_properties(items):
    lines = receive_gold_lines(items)
    pieces: list[str] = []
    for line in lines:
        assert line_bytes(line) <= MAX_LINE_BYTES
        command = parse_run_line(line)
        assert isinstance(command, ReceiveGold)
        assert command.payload.endswith(";")
        line_pieces = command.payload[:-1].split(";")
        for piece in line_pieces:
            assert ADDON_PATTERN.match(piece), piece
        pieces += line_pieces
    # Whole entries, in order, nothing lost or duplicated.
    assert "".join(p + ";" for p in pieces) == "".join(e.format() for e in items)
    parsed = [g for line in lines for g in parse_receive_gold_payload(parse_run_line(line).payload)]
    assert parsed == [GoldEntry(e.payout_id.lower(), e.character_name, e.copper) for e in items]


@settings(max_examples=100, deadline=None)
@given(st.lists(entries, min_size=1, max_size=40))
def test_chunking_is_greedy(items):
    lines = receive_gold_lines(items)
    # The first entry of every following line would not have fitted on the line before it.
    for line, following in itertools.pairwise(lines):
        first = following[len(run_lines.RECEIVE_GOLD_PREFIX) :].split(";")[0] + ";"
        assert line_bytes(line) + line_bytes(first) > MAX_LINE_BYTES
