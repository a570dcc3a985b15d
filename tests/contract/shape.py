"""Compare an answer with a recording by shape: status, required headers, keys and JSON types.

Deliberately independent of the mocks and adapters it judges: plain JSON
walking, no imports from ``mgm_mocks`` or ``mgm_twitch``. Values are ignored
(ids, timestamps and texts are volatile) except where a recording lists
``exact_headers``.

Paths look like ``$.data[].drop_reason``. A recording's ``shape`` may list:
``optional_keys`` (the recording has the key, an answer may omit it),
``allowed_extra`` (an answer may carry keys the recording lacks), ``nullable``
(null and a value are interchangeable), ``required_headers``,
``exact_headers`` and ``integer_headers``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

RECORDINGS = Path(__file__).resolve().parents[2] / "plugins" / "mgm_mocks" / "recordings"


def load(name: str) -> dict[str, Any]:
    return json.loads((RECORDINGS / f"{name}.json").read_text(encoding="utf-8"))


def all_names() -> list[str]:
    return sorted(p.stem for p in RECORDINGS.glob("*.json"))


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def body_differences(expected: Any, actual: Any, shape: Mapping[str, Any], path: str = "$") -> list[str]:
    optional = set(shape.get("optional_keys", ()))
    extra_ok = set(shape.get("allowed_extra", ()))
    nullable = set(shape.get("nullable", ()))
    found: list[str] = []

    def walk(want: Any, got: Any, where: str) -> None:
        if (want is None or got is None) and where in nullable:
            return
        want_type, got_type = json_type(want), json_type(got)
        if want_type != got_type:
            found.append(f"{where}: expected {want_type}, got {got_type}")
            return
        if isinstance(want, dict):
            for key, value in want.items():
                if key in got:
                    walk(value, got[key], f"{where}.{key}")
                elif f"{where}.{key}" not in optional:
                    found.append(f"{where}.{key}: missing")
            for key in got.keys() - want.keys():
                if f"{where}.{key}" not in extra_ok:
                    found.append(f"{where}.{key}: not in the recording")
        elif isinstance(want, list) and want:
            if not got:
                found.append(f"{where}: expected items, got an empty array")
            for item in got:
                walk(want[0], item, f"{where}[]")

    walk(expected, actual, path)
    return found


def header_differences(recording: Mapping[str, Any], headers: Mapping[str, str], *, side: str) -> list[str]:
    """``side`` is ``response`` (an answer's headers) or ``request`` (a delivery's headers)."""
    shape = recording.get("shape", {})
    recorded = recording[side].get("headers") or {}
    lower = {k.lower(): v for k, v in headers.items()}
    found = [f"header {n}: missing" for n in shape.get("required_headers", ()) if n.lower() not in lower]
    for name in shape.get("exact_headers", ()):
        if name.lower() in lower and lower[name.lower()] != recorded[name]:
            found.append(f"header {name}: expected {recorded[name]!r}, got {lower[name.lower()]!r}")
    for name in shape.get("integer_headers", ()):
        if name.lower() in lower and not lower[name.lower()].isdigit():
            found.append(f"header {name}: expected whole seconds, got {lower[name.lower()]!r}")
    content_type = recorded.get("Content-Type")
    if content_type and "content-type" in lower:
        got = lower["content-type"].split(";")[0].strip()
        if got != content_type:
            found.append(f"header Content-Type: expected {content_type}, got {got}")
    return found


def answer_differences(
    recording: Mapping[str, Any], status: int, headers: Mapping[str, str], body: Any
) -> list[str]:
    """Everything in which an HTTP answer differs in shape from the recording's response."""
    response = recording["response"]
    found = []
    if status != response["status"]:
        found.append(f"status: expected {response['status']}, got {status}")
    found += header_differences(recording, headers, side="response")
    found += body_differences(response["body"], body, recording.get("shape", {}))
    return found


def assert_matches(recording: Mapping[str, Any], status: int, headers: Mapping[str, str], body: Any) -> None:
    differences = answer_differences(recording, status, headers, body)
    assert not differences, f"drift from recording {recording['name']}: " + "; ".join(differences)
