"""A value next to a credential key that merely starts with a status word ("Expired@2024")
is a secret and replaced; a status word that ends the sentence ("missing.") is a message
and left alone."""

from __future__ import annotations

import pytest

from assistant.redaction import Redactor


@pytest.mark.parametrize(("line", "secret"), [
    ("password: Expired@2024", "Expired@2024"),
    ("db_password: Invalid!Pass9", "Invalid!Pass9"),
    ("DB_PASSWORD: Missing#42x", "Missing#42x"),
    ("password: Revoked.Key77", "Revoked.Key77"),
    ("api_key: empty$Value123", "empty$Value123"),
    ("SLACK_BOT_TOKEN: required:xoxp9Zq", "required:xoxp9Zq"),
])
def test_a_password_that_merely_starts_with_a_status_word_is_replaced(
    redactor: Redactor,
    line: str, secret: str
) -> None:
    assert secret not in redactor.redact(line)


@pytest.mark.parametrize("line", [
    "SLACK_BOT_TOKEN: missing.",
    "api_key: invalid!",
    'log: "API_KEY: missing"',
    "DB_PASSWORD: expired; rotate it",
    "DB_PASSWORD: not set",
])
def test_a_status_word_ending_a_sentence_is_still_a_message(redactor: Redactor, line: str) -> None:
    assert redactor.redact(line) == line
