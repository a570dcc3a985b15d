"""The recordings: well-formed, honestly labelled, free of secrets, and all listed in the summary."""

import json

import pytest

from mgm_mocks import fidelity

from .shape import RECORDINGS, all_names, load

KINDS = {"transcribed", "recorded"}


@pytest.mark.parametrize("name", all_names())
def test_each_recording_is_complete_and_labelled(name):
    recording = load(name)
    assert recording["name"] == name
    provenance = recording["provenance"]
    assert provenance["kind"] in KINDS
    if provenance["kind"] == "transcribed":
        assert provenance["source"].startswith(("transcribed from", "built from"))
        assert "Not recorded from live Twitch" in provenance["note"]
    else:
        assert provenance["captured_at"]
    assert {"method", "path"} <= recording["request"].keys()
    assert isinstance(recording["response"]["status"], int)


@pytest.mark.parametrize("name", all_names())
def test_no_recording_carries_a_credential(name):
    text = (RECORDINGS / f"{name}.json").read_text(encoding="utf-8")
    recording = json.loads(text)
    assert isinstance(recording["request"].get("headers", []), list | dict)
    assert "Bearer " not in text
    if "form" in recording["request"]:
        assert recording["request"]["form"].get("client_secret") in (None, "<redacted>")


def test_the_summary_lists_every_recording_with_its_mock_and_provenance():
    outcomes = {("helix-send-chat-message-sent", "mock"): "passed"}
    summary = fidelity.summary(outcomes)
    listed = {entry["recording"]: entry for entry in summary["recordings"]}
    assert sorted(listed) == all_names()
    assert all(entry["contractTest"] for entry in listed.values())
    assert listed["helix-send-chat-message-sent"]["outcomes"] == {"mock": "passed"}
    assert listed["helix-send-chat-message-sent"]["mock"] == "helix"
    assert "helix-get-broadcaster-subscriptions-subscriber" in summary["mocks"]["helix"]
    assert summary["liveRecordings"] == sum(load(n)["provenance"]["kind"] == "recorded" for n in all_names())
