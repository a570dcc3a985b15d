"""Schemathesis hooks (``SCHEMATHESIS_HOOKS``) for the conformance run: Twitch's EventSub signature.

Loaded by the ``schemathesis`` CLI in its own process. Every request that
carries the placeholder signature header is signed here, over the body bytes
actually sent, the way Twitch signs a delivery (mgm_core/testing/twitch_signing.py,
written from Twitch's documentation, never the product's verifier). Requests
schemathesis sends to probe authentication (header removed or replaced) keep
what schemathesis put there and stay unsigned.

Environment: ``MGM_CONFORMANCE_SECRET`` (the EBS's EventSub secret) and
``MGM_CONFORMANCE_TIMESTAMP`` (the EBS's virtual now, as Twitch writes it).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from mgm_core.testing.twitch_signing import twitch_signature

SIGNATURE = "Twitch-Eventsub-Message-Signature"
PLACEHOLDER = "sign-me"


class TwitchSigner:
    """A requests ``auth`` callable: it sees the prepared request, body bytes final."""

    def __call__(self, request: Any) -> Any:
        if request.headers.get(SIGNATURE) != PLACEHOLDER:
            return request
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else bytes(body)
        message_id = str(uuid.uuid4())
        timestamp = os.environ["MGM_CONFORMANCE_TIMESTAMP"]
        request.headers["Twitch-Eventsub-Message-Id"] = message_id
        request.headers["Twitch-Eventsub-Message-Timestamp"] = timestamp
        request.headers[SIGNATURE] = twitch_signature(
            os.environ["MGM_CONFORMANCE_SECRET"], message_id, timestamp, raw
        )
        return request


def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    kwargs["auth"] = TwitchSigner()


def _register() -> None:
    # Imported here: pytest never imports this file, and `pytest tests/integration` must not
    # need the test extra (tests/unit/test_extras.py reads module-level imports).
    import schemathesis

    schemathesis.hook(before_call)


_register()
