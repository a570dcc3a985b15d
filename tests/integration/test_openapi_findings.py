"""Regressions for what the schemathesis run found where the handler, not the schema, was wrong."""

import re

import pytest

from mgm_core.web import patterns


@pytest.mark.parametrize("method", ["GET", "HEAD", "PATCH", "DELETE"])
def test_a_literal_route_is_405_for_other_methods_not_a_404_of_the_id_template(ebs, method):
    # GET /api/payouts/claim matched GET /api/payouts/{id} and answered 404 (claim is not a UUID).
    answer = ebs.http.request(method, "/api/payouts/claim", headers=ebs.desktop())
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"
    if method != "HEAD":
        assert answer.json()["code"] == "method_not_allowed"
    # Other literal paths under the template keep their own methods.
    assert ebs.http.get("/api/payouts/pending", headers=ebs.desktop()).status_code == 200
    assert ebs.http.request("DELETE", "/api/payouts/pending", headers=ebs.desktop()).status_code == 405


def test_a_json_integer_written_with_a_fraction_is_an_integer(ebs):
    # JSON Schema counts 1.0 as the integer 1; the handlers refused it with 400.
    payout = ebs.win("42", "Norinn")
    moved = ebs.http.patch(f"/api/payouts/{payout['id']}/status", json={"status": 1.0}, headers=ebs.desktop())
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "InProgress"
    report = ebs.http.post(
        "/api/roulette/verify-candidate",
        json={
            "schemaVersion": 1.0,
            "spinCycleId": "8d0e8c6e-1111-4222-8333-944445555666",
            "characterName": "Norinn",
            "online": True,
        },
        headers=ebs.desktop(),
    )
    assert report.json()["code"] == "out_of_sequence"  # past the version check: no such cycle
    fraction = ebs.http.patch(
        f"/api/payouts/{payout['id']}/status", json={"status": 1.5}, headers=ebs.desktop()
    )
    assert fraction.status_code == 400


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("Norinn", True),
        ("  Норин\u3000", True),
        ("\u0085Ab\t", True),
        ("Ab1", False),
        ("A", False),
        ("Abcdefghijklm", False),
        ("Nor inn", False),
        ("\u4e2d\u6587", False),
        ("", False),
    ],
)
def test_the_character_name_pattern_matches_the_handlers_rule(ebs, text, valid):
    assert bool(re.fullmatch(patterns.character_name(), text)) is valid
    answer = ebs.claim("42", text)
    assert (answer.status_code == 201) is valid, answer.text


@pytest.mark.parametrize(
    ("value", "valid"),
    [(" x ", True), ("\u200b", True), ("", False), (" \t\u3000", False), ("a\x00", False)],
)
def test_the_identifier_pattern_matches_the_handlers_rule(ebs, value, valid):
    assert bool(re.fullmatch(patterns.NOT_BLANK, value)) is valid
    answer = ebs.http.post(
        "/api/payouts/claim",
        json={"characterName": "Norinn", "enrollmentRequestId": value},
        headers=ebs.bearer("42"),
    )
    assert (answer.status_code == 201) is valid, answer.text


def test_the_status_pattern_matches_the_parser():
    pattern = re.compile(patterns.status_name(["Pending", "InProgress"]))
    for text in ("pending", " IN_PROGRESS ", "_In_Progress_", "PeNdInG\n"):
        assert pattern.fullmatch(text), text
    for text in ("pend ing", "sent", "", "progress"):
        assert not pattern.fullmatch(text), text


def test_whitespace_is_what_str_strip_removes():
    for point in range(0x110000):
        char = chr(point)
        assert (point in patterns.whitespace_points()) == (char.strip() == "" and char != ""), hex(point)
