"""Which mock imitates which Twitch interface, and the recording that is its oracle.

``summary()`` is a JSON-ready dict for reports (e.g. an Allure environment or
attachment): one entry per recording in :data:`RECORDINGS_DIR` with the mock
and route it judges, the contract test that compares them, and the
recording's provenance — ``transcribed`` from Twitch's reference or
``recorded`` from live Twitch by ``python -m mgm_twitch.recorder``. Pass the
outcomes of a contract run (``{(recording, target): "passed" | "failed" |
"skipped"}``) to include them; ``python -m mgm_mocks.fidelity`` prints it.

Nothing here compares shapes: the contract suite (``tests/contract``) does,
with code of its own.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

RECORDINGS_DIR = Path(__file__).resolve().parent / "recordings"

_HELIX = "tests/contract/test_helix_contract.py::test_helix_answers_like_the_recording"
_EVENTSUB = "tests/contract/test_eventsub_contract.py"

# recording name → (mock, what of it is judged, the contract test)
COVERAGE: dict[str, tuple[str, str, str]] = {
    "helix-send-chat-message-sent": ("helix", "POST /helix/chat/messages", _HELIX),
    "helix-send-chat-message-dropped": ("helix", "POST /helix/chat/messages + fault isSent:false", _HELIX),
    "helix-error-unauthorized": ("helix", "POST /helix/chat/messages with a wrong token", _HELIX),
    "helix-rate-limited": ("helix", "POST /helix/chat/messages + fault status:429", _HELIX),
    "helix-get-broadcaster-subscriptions-subscriber": (
        "helix",
        "GET /helix/subscriptions (listed viewer)",
        _HELIX,
    ),
    "helix-get-broadcaster-subscriptions-not-subscribed": (
        "helix",
        "GET /helix/subscriptions (viewer not subscribed)",
        _HELIX,
    ),
    "eventsub-create-subscription": (
        "helix",
        "POST /helix/eventsub/subscriptions",
        f"{_EVENTSUB}::test_eventsub_subscription_admin_cycle",
    ),
    "eventsub-create-subscription-conflict": (
        "helix",
        "POST /helix/eventsub/subscriptions (duplicate)",
        f"{_EVENTSUB}::test_eventsub_subscription_admin_cycle",
    ),
    "eventsub-list-subscriptions": (
        "helix",
        "GET /helix/eventsub/subscriptions",
        f"{_EVENTSUB}::test_eventsub_subscription_listing",
    ),
    "eventsub-delete-subscription": (
        "helix",
        "DELETE /helix/eventsub/subscriptions",
        f"{_EVENTSUB}::test_eventsub_subscription_admin_cycle",
    ),
    "eventsub-delivery-notification": (
        "eventsub",
        "POST /api/mock/chat-message (headers, signature, body)",
        f"{_EVENTSUB}::test_eventsub_mock_deliveries_look_like_twitchs",
    ),
    "eventsub-delivery-verification": (
        "eventsub",
        "POST /api/mock/verification (challenge)",
        f"{_EVENTSUB}::test_eventsub_mock_deliveries_look_like_twitchs",
    ),
    "eventsub-delivery-revocation": (
        "eventsub",
        "POST /api/mock/revocation",
        f"{_EVENTSUB}::test_eventsub_mock_deliveries_look_like_twitchs",
    ),
    "extension-jwt-claims": (
        "jwt",
        "GET /token?role=… (decoded header and claims)",
        f"{_EVENTSUB}::test_extension_jwt_claims_look_like_twitchs",
    ),
    "oauth-client-credentials": (
        "",
        "served to mgm_twitch.eventsub_admin in its adapter tests (no mock imitates it)",
        "tests/plugins/test_real_adapters_against_recordings.py",
    ),
}


def recordings() -> dict[str, dict[str, Any]]:
    """Every recording file by name."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(RECORDINGS_DIR.glob("*.json"))
    }


def summary(results: Mapping[tuple[str, str], str] | None = None) -> dict[str, Any]:
    """Mocks → the recordings that judge them, with provenance and (if given) contract outcomes."""
    outcomes = results or {}
    entries = []
    for name, recording in recordings().items():
        mock, judged, test = COVERAGE.get(name, ("", "not covered by the contract suite", ""))
        provenance = recording.get("provenance", {})
        entries.append(
            {
                "recording": name,
                "interface": recording.get("interface", ""),
                "mock": mock,
                "judged": judged,
                "contractTest": test,
                "provenance": {
                    "kind": provenance.get("kind", "unknown"),
                    "source": provenance.get("source", ""),
                    "capturedAt": provenance.get("captured_at"),
                },
                "outcomes": {
                    target: outcome for (rec, target), outcome in sorted(outcomes.items()) if rec == name
                },
            }
        )
    mocks = sorted({e["mock"] for e in entries if e["mock"]})
    return {
        "recordingsDir": str(RECORDINGS_DIR),
        "mocks": {m: [e["recording"] for e in entries if e["mock"] == m] for m in mocks},
        "recordings": entries,
        "liveRecordings": sum(1 for e in entries if e["provenance"]["kind"] == "recorded"),
    }


def write_summary(path: str | Path, results: Mapping[tuple[str, str], str] | None = None) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(summary(results), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":
    json.dump(summary(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
