"""Log tags: the contract's patterns and order, UUID checks, malformed lines, formatters."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mgm_wow import tags
from mgm_wow.tags import Accept, Confirm, UpdateCheck, WhoReport, parse_line, read_line

PAYOUT = "a1b2c3d4-1111-2222-3333-444444444444"
CYCLE = "0f8fad5b-d9cb-469f-a165-70867728950e"


def who_line(**overrides: object) -> str:
    data: dict[str, object] = {
        "schemaVersion": 1,
        "spinCycleId": CYCLE,
        "characterName": "Norinn",
        "online": True,
        "capturedAt": "2025-11-24T03:41:07Z",
    }
    data.update(overrides)
    return "[MGM_WHO]" + json.dumps(data, separators=(",", ":"))


def test_accept_and_confirm_are_read_anywhere_in_the_line():
    assert parse_line(f"11/24 03:41:07.123  [MGM_ACCEPT:{PAYOUT}]") == Accept(PAYOUT)
    assert parse_line(f"2025-11-24 03:41:07.123 [MGM_CONFIRM:{PAYOUT}] trailing") == Confirm(PAYOUT)


def test_ids_are_lowercased():
    assert parse_line(f"[MGM_CONFIRM:{PAYOUT.upper()}]") == Confirm(PAYOUT)


def test_who_report_is_parsed_from_first_brace_to_last():
    tag = parse_line("11/24 03:41:07.123  " + who_line())
    assert tag == WhoReport(1, CYCLE, "Norinn", True, "2025-11-24T03:41:07Z")
    assert tag.to_payload() == json.loads(who_line()[len("[MGM_WHO]") :])


def test_update_check():
    assert parse_line("11/24 03:41:07.123  [MGM_UPDATE_CHECK]") == UpdateCheck()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("[MGM_ACCEPT:not-a-guid]", "36-character"),
        ("[MGM_ACCEPT:a1b2c3d-1111-2222-3333-444444444444]", "36-character"),  # the 35-char sample id
        ("[MGM_CONFIRM:------------------------------------]", "not a UUID"),
        ("[MGM_CONFIRM:a1b2c3d41111222233334444444444444444]", "not a UUID"),
        ("[MGM_WHO]no json here", "without a JSON object"),
        ("[MGM_WHO]{not json}", "does not parse"),
        ("[MGM_WHO][1,2]", "without a JSON object"),
        (who_line(spinCycleId="abc"), "spinCycleId"),
        (who_line(schemaVersion="1"), "schemaVersion"),
        (who_line(schemaVersion=True), "schemaVersion"),
        (who_line(online="yes"), "online"),
        (who_line(characterName=" "), "characterName"),
        (who_line(capturedAt=None), "capturedAt"),
    ],
)
def test_malformed_tags_are_skipped_with_a_reason(line, reason, caplog):
    reading = read_line(line)
    assert reading.tag is None and reading.malformed
    assert reason in (reading.reason or "")
    with caplog.at_level(logging.WARNING, logger="mgm_wow.tags"):
        assert parse_line(line) is None
    assert reason in caplog.text


def test_lines_without_tags_are_neither_tags_nor_malformed():
    reading = read_line("11/24 03:41:07.123  [Norinn] whispers: hello")
    assert reading.tag is None and not reading.malformed


def test_contract_order_decides_which_tag_a_line_is():
    # WHO is checked before ACCEPT, ACCEPT before CONFIRM, UPDATE_CHECK first of all.
    assert isinstance(parse_line(f"[MGM_CONFIRM:{PAYOUT}] [MGM_ACCEPT:{PAYOUT}]"), Accept)
    assert isinstance(parse_line(f"[MGM_ACCEPT:{PAYOUT}] " + who_line()), WhoReport)
    assert parse_line("[MGM_UPDATE_CHECK] " + who_line()) == UpdateCheck()


def test_keys_identify_tags():
    assert Accept(PAYOUT).key == f"accept:{PAYOUT}"
    assert Confirm(PAYOUT).key == f"confirm:{PAYOUT}"
    report = parse_line(who_line())
    assert isinstance(report, WhoReport)
    assert report.key.startswith("who:{") and CYCLE in report.key


def test_formatters_print_what_the_addon_prints():
    assert tags.format_accept(PAYOUT) == f"[MGM_ACCEPT:{PAYOUT}]"
    assert tags.format_confirm(PAYOUT) == f"[MGM_CONFIRM:{PAYOUT}]"
    assert tags.format_who(CYCLE, "Norinn", False, "2025-11-24T03:41:07Z") == (
        '[MGM_WHO]{"schemaVersion":1,"spinCycleId":"' + CYCLE + '","characterName":"Norinn",'
        '"online":false,"capturedAt":"2025-11-24T03:41:07Z"}'
    )
    assert tags.format_update_check() == "[MGM_UPDATE_CHECK]"


names = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll")), min_size=2, max_size=12)


@given(st.uuids(), names, st.booleans())
def test_who_round_trips(cycle, name, online):
    line = tags.format_who(str(cycle), name, online, "2025-01-01T00:00:00Z")
    assert parse_line("1/2 03:04:05.678  " + line) == WhoReport(
        1, str(cycle), name, online, "2025-01-01T00:00:00Z"
    )


@given(st.uuids(), st.sampled_from([str.upper, str.lower]))
def test_accept_and_confirm_round_trip(payout, case):
    text = case(str(payout))
    assert parse_line(tags.format_accept(text)) == Accept(str(payout))
    assert parse_line(tags.format_confirm(text)) == Confirm(str(payout))


def test_canonical_uuid():
    assert tags.canonical_uuid(PAYOUT.upper()) == PAYOUT
    assert tags.canonical_uuid(uuid.UUID(PAYOUT).hex) is None
    assert tags.canonical_uuid("{" + PAYOUT + "}") is None
