"""Placeholders correlate within a key, redaction is idempotent, team config takes effect."""

from __future__ import annotations

import re

from assistant.redaction import AllowEntry, CustomPattern, RedactionConfig, Redactor

SUFFIX = re.compile(r"#([0-9a-f]{4})\]")


def suffixes(text: str) -> list[str]:
    return SUFFIX.findall(text)


def test_same_secret_gets_the_same_placeholder_under_one_key(redaction_engine: str) -> None:
    redactor = Redactor(key=b"incident-42", engine=redaction_engine)
    first = redactor.redact("password=hunter2")
    again = redactor.redact("db connect failed: postgres://app:hunter2@db/x")
    assert suffixes(first) == suffixes(again)
    assert suffixes(first) != suffixes(redactor.redact("password=hunter3"))


def test_a_different_key_gives_a_different_suffix(redaction_engine: str) -> None:
    line = "token=ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    a = Redactor(key=b"a", engine=redaction_engine)
    b = Redactor(key=b"b", engine=redaction_engine)
    assert suffixes(a.redact(line)) != suffixes(b.redact(line))


def test_redactors_without_a_key_draw_their_own(redaction_engine: str) -> None:
    text = " ".join(f"password{i}=hunter{i}" for i in range(5))  # 5 suffixes: no chance match
    first, second = Redactor(engine=redaction_engine), Redactor(engine=redaction_engine)
    assert suffixes(first.redact(text)) != suffixes(second.redact(text))


def test_redacting_twice_changes_nothing(redaction_engine: str) -> None:
    redactor = Redactor(key=b"k", engine=redaction_engine)
    text = (
        "password=hunter2 Authorization: Bearer abcDEF123456ghiJKL789\n"
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
        "-----END PRIVATE KEY-----\nCookie: sid=8f14e45fceea167a5a36dedd4bea2543\n"
        "kind: Secret\ndata:\n  password: aHVudGVyMg==\n"
    )
    once = redactor.redact(text)
    assert once != text
    assert redactor.redact(once) == once


def test_text_around_an_existing_placeholder_is_still_redacted(redaction_engine: str) -> None:
    redactor = Redactor(key=b"k", engine=redaction_engine)
    out = redactor.redact("token=[REDACTED:token#0000]ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8")
    assert "ghp_" not in out and out.startswith("token=[REDACTED:token#0000][REDACTED:")


def test_allow_list_keeps_literals_and_regex_matches(redaction_engine: str) -> None:
    config = RedactionConfig(allow=(
        AllowEntry(literal="AKIAIOSFODNN7EXAMPLE"),
        AllowEntry(regex="changeme-[0-9]+"),
    ))
    redactor = Redactor(config, key=b"k", engine=redaction_engine)
    assert redactor.redact("key AKIAIOSFODNN7EXAMPLE") == "key AKIAIOSFODNN7EXAMPLE"
    assert redactor.redact("password=changeme-1") == "password=changeme-1"
    assert "AKIAABCDEFGHIJKLMNOP" not in redactor.redact("key AKIAABCDEFGHIJKLMNOP")
    assert "changeme-1x" not in redactor.redact("password=changeme-1x")


def test_team_pattern_is_redacted_with_its_name_as_kind(redaction_engine: str) -> None:
    config = RedactionConfig(patterns=(
        CustomPattern(name="acme-key", regex=r"acme_[a-z0-9]{16}"),
        CustomPattern(name="acme-session", regex=r"sess=(?P<secret>[A-Z0-9]{8})\b"),
    ))
    redactor = Redactor(config, key=b"k", engine=redaction_engine)
    out = redactor.redact("calling with acme_0123456789abcdef and sess=AB12CD34 ok")
    assert re.fullmatch(
        r"calling with \[REDACTED:acme-key#[0-9a-f]{4}\] and "
        r"sess=\[REDACTED:acme-session#[0-9a-f]{4}\] ok",
        out,
    )


def test_team_pattern_applies_on_lines_without_any_builtin_trigger(redaction_engine: str) -> None:
    config = RedactionConfig(patterns=(CustomPattern(name="badge", regex=r"^BADGE-\d{6}$"),))
    redactor = Redactor(config, key=b"k", engine=redaction_engine)
    text = "first line\nBADGE-123456\r\nlast line\n"
    assert redactor.redact(text).splitlines()[1].startswith("[REDACTED:badge#")
    assert [x[:16] for x in redactor.redact_lines(["BADGE-654321"])] == ["[REDACTED:badge#"]
