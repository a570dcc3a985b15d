import base64
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from mgm_core.config import DEV_EXTENSION_KEY
from mgm_core.errors import ErrorCode, Refusal
from mgm_core.security import extension_jwt

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
KEY = b"k" * 64


def token(**claims):
    base = extension_jwt.viewer_claims("90001337", NOW, display_name="Viewer")
    base.update(claims)
    return extension_jwt.mint({k: v for k, v in base.items() if v is not None}, KEY)


def refused(tok, **kwargs):
    with pytest.raises(Refusal) as caught:
        extension_jwt.validate(tok, KEY, kwargs.pop("now", NOW), **kwargs)
    assert caught.value.code is ErrorCode.UNAUTHORIZED
    assert caught.value.headers == {"WWW-Authenticate": "Bearer"}
    return caught.value


def test_valid_token_gives_identity():
    identity = extension_jwt.validate(token(role="viewer", channel_id="42", opaque_user_id="U1"), KEY, NOW)
    assert identity.user_id == "90001337"
    assert identity.display_name == "Viewer"
    assert identity.role == "viewer"
    assert identity.channel_id == "42"


def test_user_id_falls_back_to_sub():
    tok = extension_jwt.mint({"sub": "77", "exp": int(NOW.timestamp()) + 60}, KEY)
    assert extension_jwt.validate(tok, KEY, NOW).user_id == "77"


def test_token_without_user_id_is_anonymous_but_valid():
    tok = extension_jwt.mint({"exp": int(NOW.timestamp()) + 60, "opaque_user_id": "A123"}, KEY)
    identity = extension_jwt.validate(tok, KEY, NOW)
    assert identity.user_id is None


def test_expiry_honours_five_minute_skew_against_the_injected_clock():
    tok = token(exp=int(NOW.timestamp()))
    extension_jwt.validate(tok, KEY, NOW + timedelta(minutes=5))
    refused(tok, now=NOW + timedelta(minutes=5, seconds=1))


def test_not_before_in_the_future_is_refused():
    refused(token(nbf=int((NOW + timedelta(minutes=6)).timestamp())))


def test_missing_exp_is_refused():
    refused(extension_jwt.mint({"user_id": "1"}, KEY))


@pytest.mark.parametrize("exp", ["soon", True, None])
def test_non_numeric_exp_is_refused(exp):
    refused(jwt.encode({"user_id": "1", "exp": exp}, KEY, algorithm="HS256"))


def test_wrong_key_is_refused():
    refused(extension_jwt.mint({"user_id": "1", "exp": int(NOW.timestamp()) + 60}, DEV_EXTENSION_KEY))


def test_alg_none_is_refused():
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(b'{"user_id":"1","exp":9999999999}').rstrip(b"=").decode()
    refused(f"{header}.{payload}.")


def test_other_hmac_algorithms_are_refused():
    refused(jwt.encode({"user_id": "1", "exp": int(NOW.timestamp()) + 60}, KEY, algorithm="HS512"))


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x"])
def test_garbage_is_refused(garbage):
    refused(garbage)


def test_audience_checked_only_when_client_id_set():
    tok = token(aud="client-a")
    extension_jwt.validate(tok, KEY, NOW)
    extension_jwt.validate(tok, KEY, NOW, client_id="client-a")
    refused(tok, client_id="client-b")
    refused(token(), client_id="client-a")


def test_channel_checked_only_when_broadcaster_set():
    tok = token(channel_id="42")
    extension_jwt.validate(tok, KEY, NOW, channel_id="42")
    refused(tok, channel_id="43")
    refused(token(), channel_id="42")
