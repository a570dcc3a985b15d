"""Enrollment steps: chat deliveries, Extension claims, the pool."""

from __future__ import annotations

from datetime import timedelta

from pytest_bdd import given, parsers, then, when

from mgm_core.testing.twitch_signing import twitch_timestamp
from mgm_platform.steps.world import World, set_up


def _badges(text: str) -> tuple[str, ...]:
    return tuple(b.strip() for b in text.split(",") if b.strip())


@given(parsers.parse('viewer "{user}" wrote "{text}" in chat with a subscriber badge'))
def wrote_as_subscriber(world: World, user: str, text: str) -> None:
    answer = world.answered(world.ebs.chat_delivery(user, text))
    set_up(answer, expected=204, what=f"the EventSub delivery of {text!r} by {user}")


@when(parsers.parse('viewer "{user}" writes "{text}" in chat with a subscriber badge'))
def chat_as_subscriber(world: World, user: str, text: str) -> None:
    world.answered(world.ebs.chat_delivery(user, text))


@when(parsers.parse('viewer "{user}" writes "{text}" in chat with badges "{badges}"'))
def chat_with_badges(world: World, user: str, text: str, badges: str) -> None:
    world.answered(world.ebs.chat_delivery(user, text, badges=_badges(badges)))


@when(parsers.parse('viewer "{user}" writes "{text}" in chat without a badge'))
def chat_without_badge(world: World, user: str, text: str) -> None:
    world.answered(world.ebs.chat_delivery(user, text, badges=()))


@given(parsers.parse('viewer "{user}" wrote "{text}" in chat as message "{message_id}"'))
def wrote_with_message_id(world: World, user: str, text: str, message_id: str) -> None:
    answer = world.answered(world.ebs.chat_delivery(user, text, message_id=message_id))
    set_up(answer, expected=204, what=f"the EventSub delivery of message {message_id}")


@when(parsers.parse('viewer "{user}" writes "{text}" in chat as message "{message_id}"'))
def chat_with_message_id(world: World, user: str, text: str, message_id: str) -> None:
    world.answered(world.ebs.chat_delivery(user, text, message_id=message_id))


@when(parsers.parse('viewer "{user}" writes "{text}" in chat with a bad signature'))
def chat_bad_signature(world: World, user: str, text: str) -> None:
    world.answered(world.ebs.chat_delivery(user, text, secret="not-the-configured-secret"))


@when(parsers.parse('viewer "{user}" writes "{text}" in chat stamped {minutes:d} minutes ago'))
def chat_stale(world: World, user: str, text: str, minutes: int) -> None:
    stamp = twitch_timestamp(world.ebs.clock.now() - timedelta(minutes=minutes))
    world.answered(world.ebs.chat_delivery(user, text, timestamp=stamp))


@when(parsers.parse('viewer "{user}" writes "{text}" in an unsigned chat delivery'))
def chat_unsigned(world: World, user: str, text: str) -> None:
    body = {
        "subscription": {"type": "channel.chat.message"},
        "event": {
            "message_id": f"unsigned-{len(world.responses)}",
            "chatter_user_id": user,
            "chatter_user_login": f"login{user}",
            "message": {"text": text},
            "badges": [{"set_id": "subscriber"}],
        },
    }
    world.answered(world.ebs.http.post("/api/twitch/eventsub", json=body))


@when(parsers.parse('Twitch verifies the callback with challenge "{challenge}"'))
def twitch_challenge(world: World, challenge: str) -> None:
    body = {"challenge": challenge, "subscription": {"status": "webhook_callback_verification_pending"}}
    world.answered(world.ebs.post_eventsub(body, message_type="webhook_callback_verification"))


@then(parsers.parse('the answer is the plain text "{text}"'))
def plain_text_answer(world: World, text: str) -> None:
    answer = world.last()
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert answer.text == text


@given(parsers.parse('viewer "{user}" claimed "{name}" with enrollment id "{request_id}"'))
def claimed_with_id(world: World, user: str, name: str, request_id: str) -> None:
    answer = world.answered(world.ebs.claim(user, name, request_id))
    set_up(answer, expected=201, what=f"the claim of {name} by {user}")


@when(parsers.parse('viewer "{user}" claims "{name}" with enrollment id "{request_id}"'))
def claim_with_id(world: World, user: str, name: str, request_id: str) -> None:
    world.answered(world.ebs.claim(user, name, request_id))


@given(parsers.parse('viewer "{user}" claimed "{name}"'))
def claimed(world: World, user: str, name: str) -> None:
    answer = world.answered(world.ebs.claim(user, name))
    set_up(answer, expected=201, what=f"the claim of {name} by {user}")


@when(parsers.parse('viewer "{user}" claims "{name}"'))
def claim(world: World, user: str, name: str) -> None:
    world.answered(world.ebs.claim(user, name))


@then(parsers.parse('viewer "{user}" is enrolled as "{name}"'))
def enrolled_as(world: World, user: str, name: str) -> None:
    assert world.ebs.pool_me(user) == {"isEnrolled": True, "characterName": name}


@then(parsers.parse('viewer "{user}" is not enrolled'))
def not_enrolled(world: World, user: str) -> None:
    assert world.ebs.pool_me(user) == {"isEnrolled": False, "characterName": None}


@then(parsers.parse("the pool holds {count:d} entries"))
@then(parsers.parse("the pool holds {count:d} entry"))
def pool_holds(world: World, count: int) -> None:
    assert world.pool_size() == count


@then("no payout exists")
def no_payout(world: World) -> None:
    assert world.payouts_seen() == []


@then(parsers.parse('the last two answers carry enrollment id "{request_id}" and name "{name}"'))
def last_two_claims(world: World, request_id: str, name: str) -> None:
    expected = {"characterName": name, "enrollmentRequestId": request_id}
    assert [r.json() for r in world.responses[-2:]] == [expected, expected]
