"""Secret masking rules and the catalog: the package copy equals the project's docs/scenarios.md."""

from __future__ import annotations

from pathlib import Path

from mgm_platform.evidence.catalog import catalog_link, github_anchor, packaged_catalog, parse_catalog
from mgm_platform.evidence.redaction import Redactor

ROOT = Path(__file__).resolve().parents[2]


def test_credential_headers_keep_only_their_scheme():
    redactor = Redactor()
    assert redactor.header("Authorization", "Bearer abc.def") == "Bearer ***"
    assert redactor.header("X-MGM-ApiKey", "whatever-key") == "***"
    assert redactor.header("Twitch-Eventsub-Message-Signature", "sha256=" + "a" * 64) == "***"
    assert redactor.header("Content-Type", "application/json") == "application/json"


def test_credential_keys_and_known_values_are_masked_in_json_and_text():
    redactor = Redactor(["s3cret-value"])
    masked = redactor.json(
        {
            "access_token": "tok",
            "authorizationHeader": "Bearer x",
            "isRewardSentAnnouncedToChat": True,
            "nested": [{"clientSecret": "x", "note": "has s3cret-value inside"}],
            "headers": {"Authorization": "OAuth zzz", "Accept": "json"},
        }
    )
    assert masked == {
        "access_token": "***",
        "authorizationHeader": "***",
        "isRewardSentAnnouncedToChat": True,
        "nested": [{"clientSecret": "***", "note": "has *** inside"}],
        "headers": {"Authorization": "OAuth ***", "Accept": "json"},
    }
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiMSJ9.c2lnbmF0dXJl"
    assert redactor.text(f"token={jwt} end") == "token=*** end"


def test_the_packaged_catalog_equals_the_project_catalog():
    documented = parse_catalog((ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8"))
    assert [(e.id, e.title) for e in packaged_catalog()] == [(e.id, e.title) for e in documented]
    assert len(documented) == 47  # 16 scenarios and 31 test cases, as the catalog says


def test_links_use_github_anchors():
    assert github_anchor("TC-001 — Pool to `Sent` (happy path)") == "tc-001--pool-to-sent-happy-path"
    entries = {e.id: e for e in packaged_catalog()}
    assert (
        catalog_link("https://x/{id}#{anchor}", "TC-001", entries)
        == "https://x/TC-001#tc-001--pool-to-sent-happy-path"
    )
    assert catalog_link("https://tms/{}", "SC-005", entries) == "https://tms/SC-005"
