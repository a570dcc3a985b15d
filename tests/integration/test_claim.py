"""POST /api/payouts/claim and GET /api/pool/me."""

import pytest

TC001_ID = "550e8400-e29b-41d4-a716-446655440000"
TC013_ID = "550e8400-e29b-41d4-a716-446655440001"


def test_claim_enrolls_then_pool_me_shows_it(ebs):
    answer = ebs.claim("90001337", "Norinn", TC001_ID)
    assert answer.status_code == 201
    assert answer.json() == {"characterName": "Norinn", "enrollmentRequestId": TC001_ID}
    assert ebs.pool_me("90001337") == {"isEnrolled": True, "characterName": "Norinn"}


def test_replayed_request_id_is_idempotent(ebs):
    first = ebs.claim("90001337", "Norinn", TC013_ID)
    again = ebs.claim("90001337", "Norinn", TC013_ID)
    different_name = ebs.claim("90001337", "Othername", TC013_ID)
    assert (first.status_code, again.status_code, different_name.status_code) == (201, 200, 200)
    assert first.json() == again.json() == different_name.json()
    assert ebs.pool_me("90001337")["characterName"] == "Norinn"
    assert ebs.fetchval("SELECT count(*) FROM pool_entries") == 1


def test_request_id_of_another_viewer_is_409_and_stores_nothing(ebs):
    ebs.claim("1", "Norinn", TC013_ID)
    answer = ebs.claim("2", "Other", TC013_ID)
    assert answer.status_code == 409
    assert answer.json()["code"] == "duplicate_enrollment"
    assert ebs.pool_me("2")["isEnrolled"] is False


@pytest.mark.parametrize("name", ["Bad:Name", "1bad", "A", "", "   ", "Abcdefghijklm", "Two Words"])
def test_bad_name_is_400_invalid_character_name(ebs, name):
    answer = ebs.claim("1", name)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_character_name"
    assert answer.json()["details"]["field"] == "characterName"
    assert ebs.pool_me("1")["isEnrolled"] is False


def test_name_is_trimmed(ebs):
    assert ebs.claim("1", "  Norinn  ").json()["characterName"] == "Norinn"


def test_name_held_by_another_viewer_any_case_is_409(ebs):
    ebs.claim("1", "Norinn")
    answer = ebs.claim("2", "nOrInN")
    assert answer.status_code == 409
    assert answer.json()["code"] == "character_name_taken_in_pool"


def test_claim_replaces_a_chat_enrollment(ebs):
    ebs.chat_delivery("1", "!twgold Alpha")
    assert ebs.claim("1", "Beta").status_code == 201
    assert ebs.pool_me("1")["characterName"] == "Beta"
    assert ebs.fetchval("SELECT count(*) FROM pool_entries") == 1


def test_subscriber_gate_refuses_when_the_bypass_is_off(make_ebs):
    ebs = make_ebs(dev_skip_subscriber_check=False)
    answer = ebs.claim("1", "Norinn")
    assert answer.status_code == 403
    assert answer.json()["code"] == "not_subscriber"
    assert ebs.pool_me("1")["isEnrolled"] is False


def test_validation_comes_before_the_subscriber_gate(make_ebs):
    ebs = make_ebs(dev_skip_subscriber_check=False)
    assert ebs.claim("1", "Bad:Name").json()["code"] == "invalid_character_name"


def test_active_payout_blocks_claim(ebs):
    ebs.win("1", "Norinn")
    answer = ebs.claim("1", "Other")
    assert answer.status_code == 409
    assert answer.json()["code"] == "active_payout_exists"
    assert ebs.pool_me("1")["characterName"] == "Norinn"


def test_lifetime_cap_blocks_claim(ebs):
    for _ in range(10):
        payout = ebs.win("1", "Norinn")
        assert ebs.patch_status(payout["id"], "InProgress").status_code == 200
        assert ebs.patch_status(payout["id"], "Sent").status_code == 200
    answer = ebs.claim("1", "Norinn")
    assert answer.status_code == 409
    assert answer.json()["code"] == "lifetime_cap_reached"
    # chat enrollment is refused silently
    assert ebs.chat_delivery("1", "!twgold Norinn").status_code == 204
    assert ebs.pool_me("1")["isEnrolled"] is False
