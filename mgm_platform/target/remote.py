"""``RemoteEbs``: the scenario driver for an EBS that runs elsewhere, over HTTP only.

It has the interface of the in-process :class:`mgm_core.testing.ebs.RunningEbs`
(``http``, ``token()``, ``bearer()``, ``desktop()``, ``advance()``,
``advance_to_offset()``, ``set_time()``, ``chat_delivery()``, ``post_eventsub()``,
``candidate()``, ``report()``, ``win()``, ``patch_status()``) plus
:meth:`RemoteEbs.configure` (the scenario's settings), takes its secrets
from the target's description (stack.json or ``MGM_TARGET_*``), and reads what
the local driver reads from the database through HTTP routes instead.

Its ``clock`` is a mirror of the target's virtual clock: it is set from every
``serverNow`` the clock route answers, so tokens, EventSub timestamps and the
scenario's WoW simulator follow the target's time without reading the machine's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from mgm_core.clock import VirtualClock
from mgm_core.config import Config, RateLimit
from mgm_core.testing.ebs import EbsDriver
from mgm_core.testing.fault_proxy import FaultProxy
from mgm_core.testing.http import loopback_client
from mgm_platform.evidence.exchanges import journaled
from mgm_platform.target.spec import TargetSpec

# Config field -> POST /api/e2e/config body field: what a scenario may change on a shared target.
SETTINGS_BODY: dict[str, str] = {
    "rate_limit": "rateLimit",
    "dev_skip_subscriber_check": "devSkipSubscriberCheck",
    "eventsub_secret": "eventsubSecret",
    "broadcaster_id": "broadcasterId",
    "broadcaster_token": "broadcasterToken",
    "helix_client_id": "helixClientId",
}


class TargetError(RuntimeError):
    """The target cannot host a scenario (no reset route, no clock route…); the message says why."""


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class AnswerLog:
    """The remote EBS's health as the scenario saw it: every answer, and the 5xx ones as problems.

    The EBS's own log stays with the process that runs it (the `mgm stack up` output).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.answers: list[str] = []
        self.failures: list[str] = []

    def see(self, response: httpx.Response) -> None:
        line = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
        self.answers.append(line)
        if response.status_code >= 500:
            self.failures.append(f"the EBS at {self.url} answered {line}")

    def problems(self) -> list[str]:
        return list(self.failures)

    def report(self) -> str:
        shown = "\n".join(f"  {line}" for line in self.answers[-40:]) or "  (none)"
        return (
            f"EBS at {self.url} (shared target: its log is in the output of the process that runs it)\n"
            f"answers this scenario saw (last 40):\n{shown}"
        )


class RemoteEbs(EbsDriver):
    """One scenario's driver for a shared EBS; call :meth:`prepare` once the target is held."""

    def __init__(self, spec: TargetSpec, *, start: datetime) -> None:
        self.spec = spec
        self.url = spec.ebs_url
        self.config = Config(
            env="development",
            api_key=spec.secret("apiKey"),
            eventsub_secret=spec.secret("eventsubSecret"),
            extension_secret=spec.secret("extensionSecret"),
            extension_client_id=spec.secret("extensionClientId"),
            broadcaster_id=spec.secret("broadcasterId"),
            broadcaster_token=spec.secret("broadcasterToken"),
            helix_client_id=spec.secret("helixClientId"),
        )
        self.start = start
        self.clock = VirtualClock(start)
        self.viewers: set[str] = set()  # every viewer id the scenario acted as
        self.health = AnswerLog(self.url)
        options = journaled()  # the exchanges reach the Allure evidence like a local EBS's
        options["event_hooks"]["response"].append(self.health.see)
        self.http = loopback_client(self.url, timeout=30.0, **options)
        self._desktop_proxy: FaultProxy | None = None

    def stop(self) -> None:
        self.http.close()
        if self._desktop_proxy is not None:
            self._desktop_proxy.__exit__(None, None, None)
            self._desktop_proxy = None

    # -- the Desktop's way to the EBS ----------------------------------------------------
    @property
    def desktop_url(self) -> str:
        """Where the scenario's Desktop reaches the EBS: through a proxy a step can close."""
        if self._desktop_proxy is None:
            parts = urlsplit(self.url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            self._desktop_proxy = FaultProxy((parts.hostname or "127.0.0.1", port)).__enter__()
        return f"{urlsplit(self.url).scheme}://{self._desktop_proxy.host}:{self._desktop_proxy.port}"

    def outage(self) -> None:
        """The EBS goes down for the Desktop: its proxy refuses and drops every connection."""
        assert self._desktop_proxy is not None, "the Desktop does not reach the EBS through the proxy"
        self._desktop_proxy.refuse()

    def outage_over(self) -> None:
        assert self._desktop_proxy is not None, "the Desktop does not reach the EBS through the proxy"
        self._desktop_proxy.restore()

    # -- the scenario's start ---------------------------------------------------------
    def prepare(self) -> None:
        """Erase the target's data (``POST /api/e2e/reset``) and put its clock at the scenario's start.

        On a target whose clock is not virtual the mirror takes the target's own time instead.
        """
        answer = self.http.post("/api/e2e/reset", headers=self.desktop())
        if answer.status_code == 404:
            raise TargetError(
                f"the EBS at {self.url} offers no development reset route (POST /api/e2e/reset answered"
                " 404): a scenario needs the target to itself; it must run with MGM_ENV=development"
                " and MGM_ENABLE_E2E_HARNESS=true (as `mgm stack up` does)"
            )
        if answer.status_code != 200:
            got = f"{answer.status_code}: {answer.text}"
            raise TargetError(f"POST /api/e2e/reset on {self.url} answered {got}")
        server_now = _instant(answer.json()["serverNow"])
        if self.spec.virtual_clock is False:
            self.clock.set(server_now)
            return
        moved = self.http.post(
            "/api/e2e/clock", json={"setUtc": self.start.isoformat()}, headers=self.desktop()
        )
        if moved.status_code == 404 and self.spec.virtual_clock is None:
            self.clock.set(server_now)  # a URL target on the system clock
            return
        if moved.status_code != 200:
            raise TargetError(f"POST /api/e2e/clock on {self.url} answered {moved.status_code}: {moved.text}")
        self._moved(dict(moved.json()))

    def _moved(self, answer: dict[str, Any]) -> dict[str, Any]:
        self.clock.set(_instant(answer["serverNow"]))
        return answer

    # -- the scenario's settings ------------------------------------------------------
    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change the target's settings for this scenario (``POST /api/e2e/config``).

        ``changes`` are :class:`~mgm_core.config.Config` fields, as a local EBS takes
        them; only those the route changes are accepted. The next scenario's reset
        puts back the target's start-up settings. The driver's own copy follows,
        so tokens and EventSub signatures match what the target now checks.
        """
        unknown = sorted(set(changes) - set(SETTINGS_BODY))
        if unknown:
            raise TargetError(
                f"a shared target's {', '.join(unknown)} cannot be changed by a scenario"
                f" (POST /api/e2e/config changes {', '.join(sorted(SETTINGS_BODY))})"
            )
        body: dict[str, Any] = {}
        for name, value in changes.items():
            if isinstance(value, RateLimit):
                value = {"requests": value.requests, "windowSeconds": value.window_seconds}
            body[SETTINGS_BODY[name]] = value
        answer = self.http.post("/api/e2e/config", json=body, headers=self.desktop())
        if answer.status_code == 404:
            raise TargetError(
                f"the EBS at {self.url} offers no development settings route (POST /api/e2e/config"
                " answered 404): it predates the route, or it is not a development EBS with the harness on"
            )
        if answer.status_code != 200:
            raise TargetError(
                f"POST /api/e2e/config on {self.url} answered {answer.status_code}: {answer.text}"
            )
        self.config = self.config.with_overrides(**changes)
        return dict(answer.json())

    # -- what the local driver reads from the database --------------------------------
    def fetchval(self, query: str, *args: Any) -> Any:
        raise TargetError(f"a shared target's database is not readable from the scenario ({self.url})")

    def token(self, user_id: str | None, display_name: str | None = None, **claims: Any) -> str:
        if user_id is not None:
            self.viewers.add(user_id)
        return super().token(user_id, display_name, **claims)

    def chat_delivery(self, chatter_id: str, text: str, **kwargs: Any) -> httpx.Response:
        self.viewers.add(chatter_id)
        return super().chat_delivery(chatter_id, text, **kwargs)

    def pool_size(self) -> int:
        """Rows in the pool: ``poolParticipantCount`` of ``GET /api/roulette/state``."""
        answer = self.http.get("/api/roulette/state", headers=super().bearer("mgm-pool-reader"))
        answer.raise_for_status()
        return int(answer.json()["poolParticipantCount"])

    def pending(self) -> list[dict[str, Any]]:
        answer = self.http.get("/api/payouts/pending", headers=self.desktop())
        answer.raise_for_status()
        return list(answer.json())

    def payout_id_of(self, name: str) -> str | None:
        """The newest payout of the character: the pending queue, else a scenario viewer's last payout."""
        found = [p for p in self.pending() if str(p["characterName"]).casefold() == name.casefold()]
        for viewer in sorted(self.viewers):
            answer = self.http.get("/api/payouts/my-last", headers=super().bearer(viewer))
            if (
                answer.status_code == 200
                and str(answer.json()["characterName"]).casefold() == name.casefold()
            ):
                found.append(answer.json())
        found.sort(key=lambda p: _instant(p["createdAt"]))
        return str(found[-1]["id"]) if found else None

    def payouts_seen(self) -> list[str]:
        """Why "no payout exists" does not hold: Pending/InProgress rows, or a viewer's last payout.

        After the reset only this scenario's viewers can hold a payout, and every payout
        has one, so the pending queue plus each viewer's ``GET /api/payouts/my-last`` see them all.
        """
        found = [f"pending: {p['characterName']} {p['status']}" for p in self.pending()]
        for viewer in sorted(self.viewers):
            answer = self.http.get("/api/payouts/my-last", headers=super().bearer(viewer))
            if answer.status_code != 404:
                found.append(f"viewer {viewer}: {answer.status_code} {answer.text}")
        return found
