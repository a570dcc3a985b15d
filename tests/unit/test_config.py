import base64
import logging

import pytest

from mgm_core.config import DEV_EXTENSION_KEY, Config, ConfigError, RateLimit
from mgm_core.logs import JsonFormatter, SecretScrubber

SECRET_B64 = base64.b64encode(b"x" * 32).decode()
PRODUCTION = {
    "MGM_ENV": "production",
    "MGM_API_KEY": "desktop-key-123",
    "MGM_EVENTSUB_SECRET": "eventsub-secret-123",
    "MGM_EXTENSION_SECRET": SECRET_B64,
}


def test_defaults():
    config = Config.from_env({})
    assert config.env == "development"
    assert config.database_url is None
    assert str(config.data_dir) == ".mgm"
    assert config.rate_limit == RateLimit(5, 60)
    assert config.subscriber_badges == {"subscriber", "founder"}
    assert config.helix_base_url == "https://api.twitch.tv"
    assert config.extension_key() == DEV_EXTENSION_KEY
    assert not config.harness_enabled and not config.virtual_clock


@pytest.mark.parametrize("missing", ["MGM_API_KEY", "MGM_EVENTSUB_SECRET", "MGM_EXTENSION_SECRET"])
def test_production_refuses_to_start_without_each_secret(missing):
    env = {**PRODUCTION, missing: "  "}
    with pytest.raises(ConfigError, match=missing):
        Config.from_env(env)


def test_production_with_secrets_starts_and_ignores_dev_switches():
    config = Config.from_env(
        {
            **PRODUCTION,
            "MGM_ENABLE_E2E_HARNESS": "true",
            "MGM_CLOCK": "virtual",
            "MGM_DEV_SKIP_SUBSCRIBER_CHECK": "1",
        }
    )
    assert config.extension_key() == b"x" * 32
    assert not config.harness_enabled and not config.virtual_clock and not config.skip_subscriber_check
    assert config.dev_only_settings_ignored() == [
        "MGM_ENABLE_E2E_HARNESS",
        "MGM_DEV_SKIP_SUBSCRIBER_CHECK",
        "MGM_CLOCK",
    ]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MGM_RATE_LIMIT": "five"}, "MGM_RATE_LIMIT"),
        ({"MGM_RATE_LIMIT": "0/60"}, "MGM_RATE_LIMIT"),
        ({"MGM_DESKTOP_RATE_LIMIT": "10"}, "MGM_DESKTOP_RATE_LIMIT"),
        ({"MGM_ENV": "staging"}, "MGM_ENV"),
        ({"MGM_CLOCK": "sundial"}, "MGM_CLOCK"),
        ({"MGM_ENABLE_E2E_HARNESS": "maybe"}, "MGM_ENABLE_E2E_HARNESS"),
        ({"MGM_EXTENSION_SECRET": "not base64!"}, "MGM_EXTENSION_SECRET"),
        ({"MGM_EVENTSUB_SECRET": "short"}, "MGM_EVENTSUB_SECRET"),
        ({"MGM_SUBSCRIBER_BADGES": " , "}, "MGM_SUBSCRIBER_BADGES"),
        ({"MGM_MAX_BODY_BYTES": "lots"}, "MGM_MAX_BODY_BYTES"),
    ],
)
def test_bad_values_name_the_variable(env, named):
    with pytest.raises(ConfigError, match=named):
        Config.from_env(env)


def test_rate_limit_and_badges_parse():
    config = Config.from_env({"MGM_RATE_LIMIT": " 7 / 30 ", "MGM_SUBSCRIBER_BADGES": "Subscriber, VIP"})
    assert config.rate_limit == RateLimit(7, 30)
    assert config.subscriber_badges == {"subscriber", "vip"}


def test_secrets_stay_out_of_repr_and_summary():
    config = Config.from_env({**PRODUCTION, "MGM_BROADCASTER_TOKEN": "helix-token-xyz"})
    text = repr(config) + repr(config.public_summary())
    for secret in ("desktop-key-123", "eventsub-secret-123", SECRET_B64, "helix-token-xyz"):
        assert secret not in text
    assert config.public_summary()["api_key"] == "set"


def test_log_scrubber_masks_secrets_in_messages_and_fields():
    record = logging.makeLogRecord(
        {
            "msg": "calling with %s",
            "args": ("helix-token-xyz",),
            "levelname": "INFO",
            "url": "x?t=helix-token-xyz",
        }
    )
    SecretScrubber(["helix-token-xyz"]).filter(record)
    line = JsonFormatter().format(record)
    assert "helix-token-xyz" not in line
    assert "***" in line
