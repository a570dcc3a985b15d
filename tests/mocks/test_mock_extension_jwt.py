"""MockExtensionJwt over real HTTP: the seed token and the shaped ones, decoded with PyJWT."""

from __future__ import annotations

import base64
from datetime import timedelta

import jwt
import pytest

from mgm_core.config import DEV_EXTENSION_KEY, ConfigError
from mgm_core.errors import Refusal
from mgm_core.security.extension_jwt import validate
from mgm_mocks.extension_jwt import (
    WRONG_KEY,
    ExtensionJwtMockSettings,
    TokenOptions,
    create_app,
    issue_token,
)

from .conftest import FIXED_NOW

KEY = b"0123456789abcdef0123456789abcdef"
SECRET = base64.b64encode(KEY).decode()
ISSUED = int(FIXED_NOW.timestamp())


@pytest.fixture
def start(serve, clock):
    def start_mock(**overrides) -> str:
        settings = ExtensionJwtMockSettings(clock=clock, **overrides)
        return serve(lambda: create_app(settings))

    return start_mock


@pytest.fixture
def mock(start) -> str:
    return start(extension_secret=SECRET)


def token(http, mock, **params) -> str:
    response = http.get(f"{mock}/token", params=params)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def claims_of(raw: str, key: bytes = KEY, audience: str | None = None) -> dict:
    # Issue times are the fixed test instant, not the machine's: check the signature only.
    options = {
        "verify_exp": False,
        "verify_nbf": False,
        "verify_iat": False,
        "verify_aud": audience is not None,
    }
    return jwt.decode(raw, key, algorithms=["HS256"], audience=audience, options=options)


def test_health_is_the_seed_answer(mock, http):
    response = http.get(f"{mock}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "MockExtensionJwt"}


def test_token_answer_has_the_seed_shape(mock, http):
    response = http.get(f"{mock}/token", params={"userId": "e2e-viewer-1", "displayName": "E2EViewer"})
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == {"access_token", "token_type", "expires_in"}
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 7200


def test_token_carries_the_seed_claims_signed_hs256_with_the_decoded_secret(mock, http):
    raw = token(http, mock, userId="e2e-viewer-1", displayName="E2EViewer")
    assert jwt.get_unverified_header(raw)["alg"] == "HS256"
    assert claims_of(raw) == {
        "user_id": "e2e-viewer-1",
        "unique_name": "E2EViewer",
        "nbf": ISSUED,
        "iat": ISSUED,
        "exp": ISSUED + 7200,
    }


def test_display_name_defaults_to_the_user_id(mock, http):
    assert claims_of(token(http, mock, userId="e2e-viewer-1"))["unique_name"] == "e2e-viewer-1"


def test_the_ebs_validator_accepts_the_seed_token(mock, http):
    identity = validate(token(http, mock, userId="e2e-viewer-1", displayName="E2EViewer"), KEY, FIXED_NOW)
    assert (identity.user_id, identity.display_name) == ("e2e-viewer-1", "E2EViewer")


def test_audience_is_set_only_with_a_client_id(start, http):
    mock = start(extension_secret=SECRET, client_id="ext-client")
    raw = token(http, mock, userId="u1")
    assert claims_of(raw, audience="ext-client")["aud"] == "ext-client"
    validate(raw, KEY, FIXED_NOW, client_id="ext-client")
    assert "aud" not in claims_of(token(http, start(extension_secret=SECRET), userId="u1"))


def test_empty_secret_falls_back_to_the_dev_key(start, http):
    raw = token(http, start(), userId="u1")
    assert claims_of(raw, key=DEV_EXTENSION_KEY)["user_id"] == "u1"


def test_missing_user_id_is_400_json(mock, http):
    for params in ({}, {"userId": "  "}, {"displayName": "x"}):
        response = http.get(f"{mock}/token", params=params)
        assert response.status_code == 400
        assert response.json() == {
            "code": "invalid_payload",
            "message": "userId is required (or pass shareIdentity=false)",
            "details": {"field": "userId"},
        }


def test_role_channel_and_opaque_id_are_added_on_request(mock, http):
    claims = claims_of(
        token(http, mock, userId="u1", role="broadcaster", channelId="c1", opaqueUserId="Uabc")
    )
    assert (claims["role"], claims["channel_id"], claims["opaque_user_id"]) == ("broadcaster", "c1", "Uabc")
    identity = validate(token(http, mock, userId="u1", channelId="c1"), KEY, FIXED_NOW, channel_id="c1")
    assert identity.channel_id == "c1"


def test_a_role_brings_twitchs_is_unlinked_and_pubsub_perms(mock, http):
    broadcaster = claims_of(token(http, mock, userId="u1", role="broadcaster"))
    assert broadcaster["is_unlinked"] is False
    assert broadcaster["pubsub_perms"] == {"listen": ["broadcast", "global"], "send": ["broadcast"]}
    viewer = claims_of(token(http, mock, userId="u2", role="viewer", shareIdentity="false"))
    assert viewer["is_unlinked"] is True and viewer["pubsub_perms"]["send"] == []
    seed = claims_of(token(http, mock, userId="u3"))
    assert "is_unlinked" not in seed and "pubsub_perms" not in seed


def test_configured_channel_id_is_the_default_and_can_be_cleared(start, http):
    mock = start(extension_secret=SECRET, channel_id="e2e-ci-broadcaster")
    assert claims_of(token(http, mock, userId="u1"))["channel_id"] == "e2e-ci-broadcaster"
    assert "channel_id" not in claims_of(token(http, mock, userId="u1", channelId=""))


def test_unshared_identity_has_no_user_id_but_an_opaque_id(mock, http):
    claims = claims_of(token(http, mock, userId="u1", shareIdentity="false"))
    assert "user_id" not in claims and "unique_name" not in claims
    assert claims["opaque_user_id"] == "Uu1"
    anonymous = claims_of(token(http, mock, shareIdentity="false"))
    assert anonymous["opaque_user_id"].startswith("A")
    identity = validate(token(http, mock, shareIdentity="false"), KEY, FIXED_NOW)
    assert identity.user_id is None


def test_expired_token_is_past_the_validators_skew(mock, http):
    response = http.get(f"{mock}/token", params={"userId": "u1", "expired": "true"})
    raw = response.json()["access_token"]
    claims = claims_of(raw)
    assert claims["exp"] == ISSUED - 600
    assert response.json()["expires_in"] == -600
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(raw, KEY, algorithms=["HS256"])
    with pytest.raises(Refusal, match="expired"):
        validate(raw, KEY, FIXED_NOW)


def test_wrong_key_token_fails_signature_checks(mock, http):
    raw = token(http, mock, userId="u1", wrongKey="true")
    with pytest.raises(jwt.InvalidSignatureError):
        claims_of(raw)
    assert claims_of(raw, key=WRONG_KEY)["user_id"] == "u1"
    with pytest.raises(Refusal, match="signature"):
        validate(raw, KEY, FIXED_NOW)


def test_alg_none_is_an_unsigned_token(mock, http):
    raw = token(http, mock, userId="u1", alg="none")
    assert jwt.get_unverified_header(raw)["alg"] == "none"
    assert raw.endswith(".")
    assert jwt.decode(raw, options={"verify_signature": False})["user_id"] == "u1"
    with pytest.raises(Refusal, match="HS256"):
        validate(raw, KEY, FIXED_NOW)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_other_hmac_algorithms_on_request(mock, http):
    raw = token(http, mock, userId="u1", alg="HS512")
    assert jwt.get_unverified_header(raw)["alg"] == "HS512"
    options = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}
    assert jwt.decode(raw, KEY, algorithms=["HS512"], options=options)["user_id"] == "u1"
    with pytest.raises(Refusal):
        validate(raw, KEY, FIXED_NOW)


def test_custom_lifetime(mock, http):
    response = http.get(f"{mock}/token", params={"userId": "u1", "expiresIn": "60"})
    assert response.json()["expires_in"] == 60
    assert claims_of(response.json()["access_token"])["exp"] == ISSUED + 60


def test_now_parameter_sets_the_issue_time(mock, http):
    claims = claims_of(token(http, mock, userId="u1", now="2030-01-01T00:00:00Z"))
    assert claims["iat"] == claims["nbf"] == 1893456000
    assert claims["exp"] == 1893456000 + 7200


def test_audience_parameter_overrides_the_client_id(start, http):
    mock = start(extension_secret=SECRET, client_id="ext-client")
    raw = token(http, mock, userId="u1", audience="someone-else")
    with pytest.raises(Refusal, match="audience"):
        validate(raw, KEY, FIXED_NOW, client_id="ext-client")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"alg": "RS256"}, "alg"),
        ({"expiresIn": "soon"}, "expiresIn"),
        ({"now": "yesterday"}, "now"),
        ({"expired": "maybe"}, "expired"),
        ({"shareIdentity": "perhaps"}, "shareIdentity"),
    ],
)
def test_bad_parameters_are_400_json(mock, http, params, field):
    response = http.get(f"{mock}/token", params={"userId": "u1", **params})
    assert response.status_code == 400
    assert response.json()["details"] == {"field": field}


def test_issue_token_works_without_the_server(clock):
    settings = ExtensionJwtMockSettings(extension_secret=SECRET, clock=clock)
    issued = issue_token(settings, TokenOptions(user_id="u1", role="viewer", expires_in=30))
    assert issued.expires_in == 30
    assert issued.claims["role"] == "viewer"
    assert claims_of(issued.access_token) == issued.claims
    later = issue_token(settings, TokenOptions(user_id="u1", now=FIXED_NOW + timedelta(hours=1)))
    assert later.claims["iat"] == ISSUED + 3600


def test_settings_from_env_read_seed_and_mgm_names():
    seed = ExtensionJwtMockSettings.from_env(
        {
            "Twitch__ExtensionSecret": SECRET,
            "Twitch__ExtensionClientId": "cid",
            "Twitch__BroadcasterUserId": "b1",
        }
    )
    assert (seed.extension_secret, seed.client_id, seed.channel_id) == (SECRET, "cid", "b1")
    mgm = ExtensionJwtMockSettings.from_env(
        {
            "MGM_EXTENSION_SECRET": SECRET,
            "Twitch__ExtensionSecret": "ignored",
            "MGM_MOCK_NOW": "2030-01-01T00:00:00Z",
        }
    )
    assert mgm.key() == KEY
    assert mgm.clock.now().year == 2030
    assert ExtensionJwtMockSettings.from_env({}).key() == DEV_EXTENSION_KEY
    with pytest.raises(ConfigError, match="base64"):
        ExtensionJwtMockSettings.from_env({"MGM_EXTENSION_SECRET": "not base64!"})
