"""Which tool-output lines an answer quotes."""

from __future__ import annotations

import pytest

from assistant.answer import quote

LOG = [f"2026-01-04T09:0{n}:00Z level=info msg=\"sync batch {n}\" ok=true" for n in range(9)]


@pytest.mark.parametrize("suffix", ["a512", "0c3f", "e503"])
def test_the_lines_quoted_do_not_depend_on_the_redaction_key(suffix):
    # The same secret under another key gets another suffix; #a512 must not read as a 512.
    lines = [*LOG[:4], f'dsn="postgres://sync:[REDACTED:url-password#{suffix}]@db:5432/x"',
             *LOG[4:]]
    # Nothing alarming: the head, whatever the suffix.
    assert quote("\n".join(lines)) == [*lines[:6], f"… ({len(lines) - 6} more lines)"]


def test_an_alarming_line_is_still_quoted_first():
    lines = [*LOG, 'level=error msg="upstream returned 503" token=[REDACTED:jwt#beef]']
    assert quote("\n".join(lines))[0] == lines[-1]
