"""Steps every feature uses: settings, generic requests and answers."""

from __future__ import annotations

import json
from datetime import timedelta

from pytest_bdd import given, parsers, then, when

from mgm_core.config import RateLimit
from mgm_platform.steps.world import World


@given("the EBS is running")
def ebs_running(world: World) -> None:
    assert world.ebs.http.get("/health/ready").status_code == 200


@given(parsers.parse("the Extension rate limit is {requests:d} requests per {seconds:d} seconds"))
def extension_rate_limit(world: World, requests: int, seconds: int) -> None:
    world.configure(rate_limit=RateLimit(requests, seconds))


@given("the development subscriber bypass is off")
def subscriber_bypass_off(world: World) -> None:
    world.configure(dev_skip_subscriber_check=False)


@given("no EventSub secret is configured")
def no_eventsub_secret(world: World) -> None:
    world.configure(eventsub_secret="")


@when(parsers.parse('viewer "{user}" calls "{method} {path}" with a valid token'))
def call_with_token(world: World, user: str, method: str, path: str) -> None:
    world.answered(world.ebs.http.request(method, path, headers=world.ebs.bearer(user)))


@when(parsers.parse('someone calls "{method} {path}" without a token'))
def call_without_token(world: World, method: str, path: str) -> None:
    world.answered(world.ebs.http.request(method, path, json={}))


@when(parsers.parse('someone calls "{method} {path}" with the token "{token}"'))
def call_with_literal_token(world: World, method: str, path: str, token: str) -> None:
    world.answered(
        world.ebs.http.request(method, path, json={}, headers={"Authorization": f"Bearer {token}"})
    )


@when(parsers.parse('someone calls "{method} {path}" with an expired token'))
def call_with_expired_token(world: World, method: str, path: str) -> None:
    token = world.ebs.token("90001337", lifetime=timedelta(minutes=-10))
    world.answered(
        world.ebs.http.request(method, path, json={}, headers={"Authorization": f"Bearer {token}"})
    )


@when(parsers.parse('viewer "{user}" calls "{method} {path}" {times:d} times'))
def call_many_times(world: World, user: str, method: str, path: str, times: int) -> None:
    headers = world.ebs.bearer(user)
    for _ in range(times):
        world.answered(world.ebs.http.request(method, path, headers=headers))


@when(parsers.parse('the Desktop calls "{method} {path}" with the API key'))
def desktop_call(world: World, method: str, path: str) -> None:
    world.answered(world.ebs.http.request(method, path, headers=world.ebs.desktop()))


@when(parsers.parse('the Desktop calls "{method} {path}" with the API key "{key}"'))
def desktop_call_with_key(world: World, method: str, path: str, key: str) -> None:
    world.answered(world.ebs.http.request(method, path, headers={"X-MGM-ApiKey": key}))


@when(parsers.parse('the Desktop calls "{method} {path}" without the API key'))
def desktop_call_without_key(world: World, method: str, path: str) -> None:
    world.answered(world.ebs.http.request(method, path))


@when(parsers.parse("the clock advances {seconds:d} seconds"))
def clock_advances(world: World, seconds: int) -> None:
    world.ebs.advance(seconds)


@when(parsers.parse("the clock advances {hours:d} hours"))
def clock_advances_hours(world: World, hours: int) -> None:
    world.ebs.advance(hours * 3600)


@then(parsers.parse("the response status is {status:d}"))
def response_status(world: World, status: int) -> None:
    answer = world.last()
    assert answer.status_code == status, f"{answer.status_code}: {answer.text}"


@then(parsers.parse('the error code is "{code}"'))
def error_code(world: World, code: str) -> None:
    body = world.last().json()
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == code, body


@then(parsers.parse("every answer had status {status:d}"))
def every_answer(world: World, status: int) -> None:
    assert [r.status_code for r in world.responses] == [status] * len(world.responses)


@then(parsers.parse('the response field "{field}" is {value}'))
def response_field(world: World, field: str, value: str) -> None:
    assert world.last().json()[field] == json.loads(value), world.last().text


@then(parsers.parse('the answer carries a "Retry-After" header'))
def retry_after(world: World) -> None:
    assert int(world.last().headers["Retry-After"]) >= 1
