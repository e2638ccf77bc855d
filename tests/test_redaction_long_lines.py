"""A line too long to hold is streamed in windows; a secret across a window's end is found
as on the whole line."""

from __future__ import annotations

import io

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from assistant.redaction import PLACEHOLDER_RE, Redactor, longline
from assistant.redaction import redactor as redactor_module
from assistant.redaction.longline import safe_cut

# Small sizes so a few KB exercise many windows; every sample below, with the text its
# detector reads around it, fits in OVERLAP as the module's bound requires.
READ_CHUNK, MAX_LINE, OVERLAP = 250, 1000, 160

# (text with its context, the secret in it)
SAMPLES = [
    ("password: Hunter2xyz9", "Hunter2xyz9"),
    ("DB_PASSWORD=s3cr3t-Val-42", "s3cr3t-Val-42"),
    ("token=ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"),
    ("Authorization: Bearer abcdEFGH1234ijklMNOP5678", "abcdEFGH1234ijklMNOP5678"),
    ("postgres://app:Pw9xLq2z@db.internal:5432/app", "Pw9xLq2z"),
    ("mysql -u root -pS3cretPw8 shop", "S3cretPw8"),
    ("key AKIAIOSFODNN7REALKEY in use", "AKIAIOSFODNN7REALKEY"),
    ('{"name": "API_TOKEN", "value": "tok-9Fq2LmXz"}', "tok-9Fq2LmXz"),
    ("the password is Zk8qLm2xW", "Zk8qLm2xW"),
    ("xoxb-123456789012-AbCdEfGhIjKlMnOpQrStUvWx", "AbCdEfGhIjKlMnOpQrStUvWx"),
]
FILLER = "request served in 12 ms from cache node alpha "


def _stream(redactor: Redactor, text: str) -> str:
    """``text`` through redact_stream with the small window sizes."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(redactor_module, "_READ_CHUNK", READ_CHUNK)
        patch.setattr(longline, "MAX_LINE", MAX_LINE)
        patch.setattr(longline, "OVERLAP", OVERLAP)
        redactor.redact_stream(io.StringIO(text), out)
    return out.getvalue()


def _filler(size: int) -> str:
    return (FILLER * (size // len(FILLER) + 1))[:size]


def _line_across_every_read(picks: list[tuple[int, int]]) -> tuple[str, list[str]]:
    """One line with a sample across each multiple of READ_CHUNK (where every window of
    either kind of stream ends): ``picks`` holds a sample and how far into it the cut falls.
    """
    parts: list[str] = []
    secrets: list[str] = []
    size = 0
    for k, (index, into) in enumerate(picks, start=1):
        text, secret = SAMPLES[index]
        start = k * READ_CHUNK - 1 - into % (len(text) - 1)
        parts.append(_filler(start - size) + " " + text + " ")
        secrets.append(secret)
        size = start + len(text) + 2
    return "".join(parts) + _filler(200) + "\n", secrets


PICKS = st.lists(
    st.tuples(st.integers(0, len(SAMPLES) - 1), st.integers(0, 200)), min_size=8, max_size=16
)


@settings(max_examples=40, deadline=None)
@given(picks=PICKS)
def test_a_secret_across_any_cut_of_a_long_line_is_replaced(
    redactor: Redactor,
    picks: list[tuple[int, int]]
) -> None:
    text, secrets = _line_across_every_read(picks)
    out = _stream(redactor, text)
    visible = PLACEHOLDER_RE.sub("", out)
    assert not [s for s in secrets if s in visible]
    assert out == redactor.redact(text)  # the same as the whole line, placeholders and all


@settings(max_examples=20, deadline=None)
@given(picks=PICKS, lines=st.integers(1, 3))
# A window that starts mid-line on "  password: ..." must not read it as a YAML key at the
# start of a line (whose value would run to the end of the window).
@example(picks=[(0, 0), (0, 0), (0, 23), (0, 0), (0, 0), (0, 0), (0, 0), (2, 84)], lines=3)
def test_long_and_short_lines_mixed_come_out_as_redacted_whole(
    redactor: Redactor,
    picks: list[tuple[int, int]], lines: int
) -> None:
    long_text, _ = _line_across_every_read(picks)
    text = "password=hunter2\n" + long_text * lines + "token: ghp_" + "a1B2" * 9 + "\n"
    assert _stream(redactor, text) == redactor.redact(text)


def test_a_cut_inside_a_finding_moves_to_its_start_or_past_its_end() -> None:
    spans = [(10, 20), (15, 30), (40, 50)]
    assert safe_cut(spans, 0, 25) == 10  # back to the start of the merged span
    assert safe_cut(spans, 12, 25) == 30  # its start is written already: on to its end
    assert safe_cut(spans, 0, 35) == 35  # between spans: stays
    assert safe_cut(spans, 0, 50) == 50  # at a span's end: stays
    assert safe_cut([], 5, 3) == 5  # never below what is written


def test_opsbot_sized_windows_find_secrets_across_each_mebibyte(redactor: Redactor) -> None:
    """At the sizes `opsbot redact` runs with: a 3 MiB line, a secret over each MiB mark."""
    mark = 1 << 20
    parts, size = [], 0
    for k, (text, _) in enumerate(SAMPLES[:3], start=1):
        start = k * mark - len(text) // 2
        parts.append(_filler(start - size) + text)
        size = start + len(text)
    text = "".join(parts) + " end\n"
    out = io.StringIO()
    redactor.redact_stream(io.StringIO(text), out)
    visible = PLACEHOLDER_RE.sub("", out.getvalue())
    assert [secret for _, secret in SAMPLES[:3] if secret in visible] == []
