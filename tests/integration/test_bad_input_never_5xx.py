"""Arbitrary JSON to every body-taking route: always a 4xx/2xx JSON answer, never a 5xx or an empty body."""

import json
import uuid
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgm_core.config import RateLimit

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "characterName",
    "enrollmentRequestId",
    "status",
    "schemaVersion",
    "spinCycleId",
    "online",
    "capturedAt",
    "twitchUserId",
    "advanceSeconds",
    "setUtc",
]
shaped = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)
bodies = st.one_of(json_values, shaped)

ROUTES = [
    ("POST", "/api/payouts/claim", "viewer"),
    ("POST", "/api/roulette/verify-candidate", "desktop"),
    ("PATCH", "/api/payouts/{payout}/status", "desktop"),
    ("POST", "/api/payouts/{payout}/confirm-acceptance", "desktop"),
    ("POST", "/api/e2e/prepare-pending-payout", "desktop"),
    ("POST", "/api/e2e/clock", "desktop"),
    ("POST", "/api/twitch/eventsub", "eventsub"),
]


@pytest.fixture
def busy_ebs(make_ebs):
    ebs = make_ebs(rate_limit=RateLimit(100000, 60), desktop_rate_limit=RateLimit(100000, 60))
    payout = ebs.win("1", "Norinn")
    return ebs, payout["id"]


@pytest.mark.parametrize(("method", "path", "auth"), ROUTES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_never_5xx_and_always_json(busy_ebs, method, path, auth, body):
    ebs, payout_id = busy_ebs
    headers = {"Content-Type": "application/json"}
    if auth == "viewer":
        headers.update(ebs.bearer("42"))
    elif auth == "desktop":
        headers.update(ebs.desktop())
    before = ebs.fetchval("SELECT status FROM payouts WHERE id = $1::uuid", payout_id)
    raw = json.dumps(body).encode()
    if auth == "eventsub":
        answer = ebs.post_eventsub(raw)
    else:
        answer = ebs.http.request(method, path.format(payout=payout_id), content=raw, headers=headers)
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        error = answer.json()
        assert set(error) == {"code", "message", "details"} and error["code"]
    elif answer.status_code != 204:
        assert answer.content
    if path.endswith("/status") and answer.status_code >= 400:
        assert ebs.fetchval("SELECT status FROM payouts WHERE id = $1::uuid", payout_id) == before


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(segment=st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s and s not in (".", "..")))
def test_odd_ids_in_paths_are_404_not_5xx(busy_ebs, segment):
    ebs, _ = busy_ebs
    answer = ebs.http.get(f"/api/payouts/{quote(segment, safe='')}/events", headers=ebs.desktop())
    assert answer.status_code in (404, 200)
    if answer.status_code == 404:
        assert answer.json()["code"] == "not_found"
    else:
        uuid.UUID(segment)  # only a real UUID can name a payout
