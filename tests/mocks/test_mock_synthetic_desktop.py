"""SyntheticDesktop over real HTTP against a fake EBS that records every call."""

from __future__ import annotations

import json

import pytest

from mgm_mocks.synthetic_desktop import SyntheticDesktopSettings, create_app

PAYOUT_ID = "2d2b7b2a-1111-2222-3333-444444444444"
API_KEY = "ci-desktop-api-key"
STEP_NAMES = ["POST confirm-acceptance", "PATCH status InProgress", "PATCH status Sent"]


@pytest.fixture
def start(serve, backend, clock):
    def start_mock(**overrides) -> str:
        settings = SyntheticDesktopSettings(
            **{"backend_base_url": backend.url, "api_key": API_KEY, "clock": clock, **overrides}
        )
        return serve(lambda: create_app(settings))

    return start_mock


@pytest.fixture
def mock(start) -> str:
    return start()


def run(http, mock, body=None):
    body = {"payoutId": PAYOUT_ID, "characterName": "Etoehero"} if body is None else body
    return http.post(f"{mock}/run-sequence", json=body)


def test_health_is_the_seed_answer(mock, http):
    response = http.get(f"{mock}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "component": "SyntheticDesktop"}


def test_last_run_starts_not_ok_with_no_steps(mock, http):
    assert http.get(f"{mock}/last-run").json() == {
        "ok": False,
        "steps": [],
        "error": None,
        "completedAtUtc": None,
    }


def test_run_sequence_drives_the_three_calls_in_order(mock, backend, http):
    backend.answer("PATCH", "/status", 200, '{"status":"Sent"}', "application/json")
    response = run(http, mock)
    assert response.status_code == 200
    record = response.json()
    assert record == {
        "ok": True,
        "steps": [
            {"name": STEP_NAMES[0], "statusCode": 200, "bodySnippet": ""},
            {"name": STEP_NAMES[1], "statusCode": 200, "bodySnippet": '{"status":"Sent"}'},
            {"name": STEP_NAMES[2], "statusCode": 200, "bodySnippet": '{"status":"Sent"}'},
        ],
        "error": None,
        "completedAtUtc": "2025-03-14T15:09:26.535897Z",
    }
    assert [(c.method, c.path) for c in backend.calls] == [
        ("POST", f"/api/payouts/{PAYOUT_ID}/confirm-acceptance"),
        ("PATCH", f"/api/payouts/{PAYOUT_ID}/status"),
        ("PATCH", f"/api/payouts/{PAYOUT_ID}/status"),
    ]
    assert [json.loads(c.body) for c in backend.calls] == [
        {"characterName": "Etoehero"},
        {"status": "inProgress"},
        {"status": "sent"},
    ]
    for call in backend.calls:
        headers = {k.lower(): v for k, v in call.headers.items()}
        assert headers["x-mgm-apikey"] == API_KEY
        assert headers["content-type"].startswith("application/json")
    assert http.get(f"{mock}/last-run").json() == record


def test_payout_id_is_sent_lowercase_and_property_names_match_any_case(mock, backend, http):
    response = run(http, mock, {"PAYOUTID": PAYOUT_ID.upper(), "CharacterName": "Etoehero"})
    assert response.status_code == 200
    assert backend.calls[0].path == f"/api/payouts/{PAYOUT_ID}/confirm-acceptance"


@pytest.mark.parametrize(("failing", "status"), [(0, 404), (1, 409), (2, 500)])
def test_run_stops_at_the_first_non_2xx_with_502(mock, backend, http, failing, status):
    boom = '{"code":"boom"}'
    if failing == 0:
        backend.answer("POST", "/confirm-acceptance", status, boom, "application/json")
    else:
        if failing == 2:
            backend.answer("PATCH", "/status", 200, times=1)
        backend.answer("PATCH", "/status", status, boom, "application/json")
    expected_names = STEP_NAMES[: failing + 1]
    response = run(http, mock)
    assert response.status_code == 502
    record = response.json()
    assert record["ok"] is False
    assert [s["name"] for s in record["steps"]] == expected_names
    assert record["steps"][-1] == {"name": expected_names[-1], "statusCode": status, "bodySnippet": boom}
    assert record["error"] == f"{expected_names[-1]} returned {status}"
    assert len(backend.calls) == len(expected_names)
    assert http.get(f"{mock}/last-run").json() == record


def test_stop_before_sent_when_in_progress_is_refused(mock, backend, http):
    backend.answer(
        "PATCH", "/status", 409, '{"code":"terminal_status_change_not_allowed"}', "application/json"
    )
    record = run(http, mock).json()
    assert [s["statusCode"] for s in record["steps"]] == [200, 409]
    assert [c.method for c in backend.calls] == ["POST", "PATCH"]


def test_unreachable_backend_is_502_with_the_error(start, http, closed_port_url):
    mock = start(backend_base_url=closed_port_url)
    response = run(http, mock)
    assert response.status_code == 502
    record = response.json()
    assert record["ok"] is False and record["steps"] == []
    assert record["error"].startswith("POST confirm-acceptance failed")
    assert record["completedAtUtc"] == "2025-03-14T15:09:26.535897Z"


def test_no_api_key_is_500_and_calls_nothing(start, backend, http):
    mock = start(api_key="")
    response = run(http, mock)
    assert response.status_code == 500
    assert response.json()["code"] == "not_configured"
    assert backend.calls == []


@pytest.mark.parametrize(
    "body",
    [
        {"payoutId": "00000000-0000-0000-0000-000000000000", "characterName": "Etoehero"},
        {"characterName": "Etoehero"},
        {"payoutId": "not-a-guid", "characterName": "Etoehero"},
        {"payoutId": 5, "characterName": "Etoehero"},
        {"payoutId": PAYOUT_ID, "characterName": "   "},
        {"payoutId": PAYOUT_ID},
        [],
    ],
)
def test_invalid_requests_are_400_and_call_nothing(mock, backend, http, body):
    response = run(http, mock, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_payload"
    assert backend.calls == []


def test_unparsable_json_is_400(mock, backend, http):
    response = http.post(f"{mock}/run-sequence", content=b"{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert backend.calls == []


def test_settings_from_env_read_seed_and_mgm_names():
    seed = SyntheticDesktopSettings.from_env(
        {"SyntheticDesktop__BackendBaseUrl": "http://ebs:8080/", "Mgm__ApiKey": "k"}
    )
    assert (seed.backend_base_url, seed.api_key) == ("http://ebs:8080", "k")
    mgm = SyntheticDesktopSettings.from_env({"MGM_MOCK_BACKEND_URL": "http://x", "MGM_API_KEY": "k2"})
    assert (mgm.backend_base_url, mgm.api_key) == ("http://x", "k2")
    default = SyntheticDesktopSettings.from_env({})
    assert (default.backend_base_url, default.api_key) == ("http://127.0.0.1:8080", "")
