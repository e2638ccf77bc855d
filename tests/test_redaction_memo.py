"""The redactor remembers short texts it found clean, never a text that held a secret, and
answers the same with the memo as without it."""

from __future__ import annotations

import pytest

from assistant.redaction import RedactionConfig, Redactor
from assistant.redaction import redactor as redactor_module
from assistant.redaction.clean import MAX_OUTPUT_TEXT, MAX_TEXT, CleanTexts

TEXTS = [
    "shop/checkout-6f7c9-x2k4q",
    "password=Tr0ub4dor&3xyz",
    "2026-12-07T18:00:00Z",
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXZhbHVl",
    "error rate 4.2% since revision 41",
]


def test_repeated_texts_redact_the_same_and_only_clean_ones_are_remembered() -> None:
    warm = Redactor(key=b"k" * 32)
    first = [warm.redact(t) for t in TEXTS]
    again = [warm.redact(t) for t in TEXTS]
    cold = [Redactor(key=b"k" * 32).redact(t) for t in TEXTS]
    assert first == again == cold
    remembered = {t for t in TEXTS if t in warm._clean}
    assert remembered == {t for t, out in zip(TEXTS, first, strict=True) if out == t}
    assert "password=Tr0ub4dor&3xyz" not in remembered
    assert "shop/checkout-6f7c9-x2k4q" in remembered


def test_an_allowed_value_is_remembered_only_by_the_redactor_that_allows_it() -> None:
    allowing = Redactor(RedactionConfig.model_validate(
        {"allow": [{"literal": "Tr0ub4dor&3xyz"}]}))
    strict = Redactor()
    text = "password=Tr0ub4dor&3xyz"
    assert allowing.redact(text) == text
    assert strict.redact(text) != text
    assert text not in strict._clean


def test_the_memo_is_bounded_oldest_out_and_skips_long_texts() -> None:
    memo = CleanTexts(max_entries=3)
    for text in ("a", "b", "c", "d"):
        memo.remember(text)
    assert len(memo) == 3
    assert "a" not in memo and all(t in memo for t in ("b", "c", "d"))
    memo.remember("x" * (MAX_TEXT + 1))
    assert "x" * (MAX_TEXT + 1) not in memo


def test_a_long_output_redacted_again_comes_back_unchanged_from_the_memo() -> None:
    lines = [f"2026-12-07T18:00:{i % 60:02d}Z level=info msg=\"served\" pod=checkout-{i}"
             for i in range(40)]
    lines[7] = "2026-12-07T18:00:07Z level=info msg=\"db\" url=postgres://app:Tr0ub4dor3x@db:5432/shop"
    text = "\n".join(lines)
    warm = Redactor(key=b"k" * 32)
    first = warm.redact(text)
    assert "Tr0ub4dor3x" not in first
    assert text not in warm._outputs and first in warm._outputs
    assert warm.redact(first) == first == Redactor(key=b"k" * 32).redact(text)
    assert Redactor(key=b"k" * 32).redact(first) == first


def test_the_output_memo_skips_texts_longer_than_its_bound() -> None:
    memo = CleanTexts(max_entries=2, max_text=MAX_OUTPUT_TEXT)
    memo.remember("x" * MAX_OUTPUT_TEXT)
    memo.remember("y" * (MAX_OUTPUT_TEXT + 1))
    assert "x" * MAX_OUTPUT_TEXT in memo and "y" * (MAX_OUTPUT_TEXT + 1) not in memo


class _NoSession:
    def __init__(self, *args: object) -> None:
        raise AssertionError("the text was scanned line by line")


def test_a_line_no_detector_is_triggered_by_comes_back_without_a_session(
        monkeypatch: pytest.MonkeyPatch) -> None:
    redactor = Redactor()
    monkeypatch.setattr(redactor_module, "_Session", _NoSession)
    for text in ("2031-02-03T04:05:06.789Z", "shop/checkout-6f7c9-x2k4q", "42.5"):
        assert redactor.redact(text) == text


def test_redactors_of_one_configuration_share_what_they_found_clean(
        monkeypatch: pytest.MonkeyPatch) -> None:
    text = "the token bucket of cart-91c3 refilled"  # triggers a detector, holds no secret
    assert Redactor(key=b"a" * 32).redact(text) == text
    monkeypatch.setattr(redactor_module, "_Session", _NoSession)
    assert Redactor(key=b"b" * 32).redact(text) == text


def test_a_redactor_with_its_own_patterns_does_not_trust_what_others_found_clean() -> None:
    text = "ticket ACME-7731-token refilled"
    assert Redactor().redact(text) == text
    custom = Redactor(RedactionConfig.model_validate(
        {"patterns": [{"name": "ticket", "regex": r"ACME-\d+"}]}))
    assert "ACME-7731" not in custom.redact(text)
