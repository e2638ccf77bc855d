"""The Hyperscan and pure-Python prefilter engines give the same output."""

from __future__ import annotations

import random

import pytest

from assistant.redaction import CustomPattern, RedactionConfig, Redactor, hsengine
from evals.bench.redaction_corpus import mixed_log

KEY = b"engines"


def test_both_engines_redact_a_mixed_log_identically() -> None:
    text = mixed_log(random.Random(7), 300_000)
    fast = Redactor(key=KEY, engine="hyperscan").redact(text)
    pure = Redactor(key=KEY, engine="python").redact(text)
    assert fast == pure
    assert fast != text  # the log has secrets to find


def test_lines_after_multibyte_text_are_found_at_the_right_offsets() -> None:
    text = "grüße 👋 from ünïcode\nnothing here\nπ password=hunter2 ok\n"
    expected = Redactor(key=KEY, engine="python").redact(text)
    assert Redactor(key=KEY, engine="hyperscan").redact(text) == expected
    assert "hunter2" not in expected


def test_undecodable_bytes_go_through_the_pure_engine_unchanged() -> None:
    text = "bad \udcff byte\ntoken: ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8\n"
    out = Redactor(key=KEY, engine="hyperscan").redact(text)
    assert out == Redactor(key=KEY, engine="python").redact(text)
    assert out.startswith("bad \udcff byte\n") and "ghp_" not in out


@pytest.mark.parametrize("regex", [r"(?x) acme _ [0-9]{6} # spaced", r"(?a:\w+)-ACME-[0-9]{6}"])
def test_a_team_pattern_hyperscan_cannot_compile_is_searched_line_by_line(regex: str) -> None:
    config = RedactionConfig(patterns=(CustomPattern(name="acme", regex=regex),))
    text = "first line\nid x-ACME-123456 and acme_123456\nlast\n"
    fast = Redactor(config, key=KEY, engine="hyperscan").redact(text)
    assert fast == Redactor(config, key=KEY, engine="python").redact(text)
    assert "[REDACTED:acme#" in fast


def test_without_the_package_the_pure_engine_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hsengine, "AVAILABLE", False)
    assert Redactor(key=KEY).engine == "python"
    monkeypatch.setattr(hsengine, "AVAILABLE", True)
    assert Redactor(key=KEY).engine == "hyperscan"
