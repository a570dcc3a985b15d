"""The Helix mock's fault script: scripted failures consumed one call at a time.

Rules apply in the order they were added; each Helix call takes the first rule
that matches its method and path and uses up one of its ``times``. So
``[{"times": 2, "status": 500}]`` means "fail twice, then succeed".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

DEFAULT_DROP_CODE = "msg_rejected"
DEFAULT_DROP_MESSAGE = "Your message was not sent."

_FIELDS = {
    "times": "times",
    "status": "status",
    "isSent": "is_sent",
    "dropCode": "drop_code",
    "dropMessage": "drop_message",
    "delayMs": "delay_ms",
    "reset": "reset",
    "malformed": "malformed",
    "empty": "empty",
    "ratelimitReset": "ratelimit_reset",
    "ratelimitLimit": "ratelimit_limit",
    "message": "message",
    "method": "method",
    "path": "path",
}


class FaultError(ValueError):
    """A fault rule that cannot be applied; ``field`` names the offending key."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour.

    ``delay_ms`` waits first; then ``reset`` aborts the connection, or
    ``malformed`` / ``empty`` answer a broken body, or ``status`` answers that
    status (Helix's error JSON for 4xx/5xx, rate-limit headers for 429), or
    ``is_sent=False`` answers 200 with a dropped message. A rule with only
    ``delay_ms`` delays an otherwise normal answer.
    """

    times: int = 1
    status: int | None = None
    is_sent: bool | None = None
    drop_code: str | None = None
    drop_message: str | None = None
    delay_ms: int = 0
    reset: bool = False
    malformed: bool = False
    empty: bool = False
    ratelimit_reset: int | None = None
    ratelimit_limit: int | None = None
    message: str | None = None
    method: str | None = None
    path: str | None = None

    @classmethod
    def parse(cls, given: Any) -> Fault:
        """A rule from its camelCase JSON form; raises :class:`FaultError`."""
        if not isinstance(given, dict):
            raise FaultError("each fault must be a JSON object", "faults")
        unknown = sorted(set(given) - set(_FIELDS))
        if unknown:
            raise FaultError(f"unknown fault fields: {', '.join(unknown)}", unknown[0])
        values = {_FIELDS[name]: value for name, value in given.items() if value is not None}
        for name in ("times", "status", "delay_ms", "ratelimit_reset", "ratelimit_limit"):
            value = values.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise FaultError(f"{_camel(name)} must be a whole number", _camel(name))
        for name in ("is_sent", "reset", "malformed", "empty"):
            if name in values and not isinstance(values[name], bool):
                raise FaultError(f"{_camel(name)} must be true or false", _camel(name))
        for name in ("drop_code", "drop_message", "message", "method", "path"):
            if name in values and not isinstance(values[name], str):
                raise FaultError(f"{_camel(name)} must be a string", _camel(name))
        fault = cls(**values)
        if fault.times < 1:
            raise FaultError("times must be at least 1", "times")
        if fault.status is not None and not 200 <= fault.status <= 599:
            raise FaultError("status must be an HTTP status from 200 to 599", "status")
        if fault.delay_ms < 0:
            raise FaultError("delayMs must not be negative", "delayMs")
        if fault.is_sent is True:
            raise FaultError("isSent may only be false (a normal answer is already sent)", "isSent")
        if not (
            fault.status
            or fault.is_sent is False
            or fault.delay_ms
            or fault.reset
            or fault.malformed
            or fault.empty
        ):
            raise FaultError(
                "a fault needs an effect: status, isSent:false, delayMs, reset, malformed or empty", "faults"
            )
        return fault

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a call of ``method`` on ``path``."""
        return (self.method is None or self.method.upper() == method.upper()) and (
            self.path is None or self.path == path
        )

    def to_json(self) -> dict[str, Any]:
        """The camelCase form, without unset fields."""
        raw = asdict(self)
        unset: dict[str, Any] = {"delay_ms": 0, "reset": False, "malformed": False, "empty": False}
        return {
            camel: raw[snake]
            for camel, snake in _FIELDS.items()
            if raw[snake] is not None and not (snake in unset and raw[snake] == unset[snake])
        }


def _camel(snake: str) -> str:
    return next(camel for camel, name in _FIELDS.items() if name == snake)


class FaultScript:
    """Pending rules in the order they were added."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []

    def add(self, faults: list[Fault]) -> None:
        self._rules.extend(faults)

    def take(self, method: str, path: str) -> Fault | None:
        """Use up one ``times`` of the first rule matching this call; the rule as applied, or ``None``."""
        for index, rule in enumerate(self._rules):
            if rule.matches(method, path):
                if rule.times <= 1:
                    del self._rules[index]
                else:
                    self._rules[index] = replace(rule, times=rule.times - 1)
                return replace(rule, times=1)
        return None

    def pending(self) -> list[Fault]:
        return list(self._rules)

    def clear(self) -> None:
        self._rules.clear()
