import pytest

from mgm_core.domain.chat_command import is_acceptance_reply, parse_twgold


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("!twgold Norinn", "Norinn"),
        ("  !twgold   Xyzz  ", "Xyzz"),
        ("!TwGoLd\tName\t", "Name"),
        ("!twgold Bad:Name", "Bad:Name"),  # the parser takes the token; name rules judge it
        ("!twgold Артас", "Артас"),
    ],
)
def test_parses_the_single_name_token(text, name):
    assert parse_twgold(text) == name


@pytest.mark.parametrize(
    "text",
    ["!twgold", "!twgold ", "!twgold A B", "x !twgold A", "!twgoldA", "twgold A", "", None, 5, "!twgift A"],
)
def test_ignores_everything_else(text):
    assert parse_twgold(text) is None


@pytest.mark.parametrize("text", ["!twgold", " !TWGOLD ", "!TwGold\t"])
def test_acceptance_reply(text):
    assert is_acceptance_reply(text)


@pytest.mark.parametrize("text", ["!twgold Norinn", "yes", "!twgold!", ""])
def test_not_an_acceptance_reply(text):
    assert not is_acceptance_reply(text)
