import pytest
from hypothesis import given
from hypothesis import strategies as st

from mgm_core.domain.names import character_name, is_valid_character_name, name_key, same_name
from mgm_core.errors import ErrorCode, Refusal


@pytest.mark.parametrize(
    "raw",
    ["Norinn", "Ab", "Abcdefghijkl", "  Etoehero  ", "Артас", "ÆlfrædÖß", "ŁukaszĄ", "Ǆemal", "ЁжикЪ"],
)
def test_valid_names(raw):
    assert is_valid_character_name(raw)
    assert character_name(raw) == raw.strip()


@pytest.mark.parametrize(
    "raw",
    [
        "Bad:Name",
        "1bad",
        "1",
        "A",
        "",
        "   ",
        "Abcdefghijklm",  # 13 letters
        "Two Words",
        "Name-Realm",
        "Nörinn1",
        "名前です",  # letters, but not Latin or Cyrillic
        "Ωmega",  # Greek
        "x\u0301y",  # combining mark is not a letter
        "Ab\u00d7",  # multiplication sign sits inside the Latin-1 block but is not a letter
        None,
        42,
    ],
)
def test_invalid_names_are_refused_with_stable_code(raw):
    assert not is_valid_character_name(raw)
    with pytest.raises(Refusal) as caught:
        character_name(raw)
    assert caught.value.code is ErrorCode.INVALID_CHARACTER_NAME
    assert caught.value.details == {"field": "characterName"}


def test_length_counts_characters_not_bytes():
    twelve_cyrillic = "Д" * 12  # 24 bytes in UTF-8
    assert is_valid_character_name(twelve_cyrillic)
    assert not is_valid_character_name("Д" * 13)


def test_names_compare_case_insensitively():
    assert same_name("Norinn", "NORINN")
    assert same_name("артас", "АРТАС")
    assert not same_name("Norinn", "Norin")
    assert name_key("  Norinn ") == "norinn"


@given(st.text(alphabet=st.characters(whitelist_categories=("Nd", "P", "S", "Z")), min_size=1, max_size=20))
def test_no_digit_punctuation_symbol_or_space_is_ever_valid(text):
    if text.strip():
        assert not is_valid_character_name("Ab" + text.strip())


def test_the_ascii_fast_path_agrees_with_the_letter_rules():
    import string

    from mgm_core.domain.names import is_name_letter as _allowed
    from mgm_core.domain.names import name_problem

    for char in map(chr, range(128)):
        assert name_problem(char * 3) is None or not char.isalpha(), char
        assert (name_problem("A" + char + "b") is None) == _allowed(char), repr(char)
    assert all(_allowed(c) for c in string.ascii_letters)
