import pytest

from assistant.planning.ordinary_words import is_ordinary


@pytest.mark.parametrize("word", ["what", "s", "fire", "burning", "happened", "needs",
                                  "picture", "status", "anything", "stand"])
def test_ordinary_words_bare_or_inflected(word: str) -> None:
    assert is_ordinary(word)


@pytest.mark.parametrize("word", ["billing", "payments", "auctions", "recommendations",
                                  "restarting", "slow", "checkout"])
def test_names_and_symptoms_are_not_ordinary(word: str) -> None:
    assert not is_ordinary(word)
