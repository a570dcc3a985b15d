"""POST /api/e2e/reset: a development EBS back to freshly migrated, for shared test targets."""

from __future__ import annotations

from mgm_core.testing.ebs import RunningEbs


def test_reset_erases_pool_payouts_and_rate_windows(ebs: RunningEbs) -> None:
    payout = ebs.win("1", "Norinn")
    assert ebs.chat_delivery("2", "!twgold Alpha").status_code == 204
    for _ in range(5):
        assert ebs.http.get("/api/pool/me", headers=ebs.bearer("3")).status_code == 200
    assert ebs.http.get("/api/pool/me", headers=ebs.bearer("3")).status_code == 429

    answer = ebs.http.post("/api/e2e/reset", headers=ebs.desktop())

    assert answer.status_code == 200, answer.text
    assert answer.json()["reset"] is True
    assert ebs.fetchval("SELECT count(*) FROM pool_entries") == 0
    assert ebs.fetchval("SELECT count(*) FROM payouts") == 0
    assert ebs.fetchval("SELECT count(*) FROM spin_cycles") == 0
    assert ebs.fetchval("SELECT size FROM pool_state") == 0
    assert ebs.http.get(f"/api/payouts/{payout['id']}", headers=ebs.desktop()).status_code == 404
    assert ebs.http.get("/api/pool/me", headers=ebs.bearer("3")).status_code == 200
    # The same viewer and name win again (the only pool member), and the old names are free.
    assert ebs.win("1", "Norinn")["characterName"] == "Norinn"
    assert ebs.chat_delivery("2", "!twgold Alpha").status_code == 204
    assert ebs.pool_me("2") == {"isEnrolled": True, "characterName": "Alpha"}


def test_reset_needs_the_harness_and_the_key(make_ebs) -> None:
    ebs = make_ebs(enable_e2e_harness=False)
    assert ebs.http.post("/api/e2e/reset", headers=ebs.desktop()).status_code == 404
    harnessed = make_ebs()
    assert harnessed.http.post("/api/e2e/reset").status_code == 401
