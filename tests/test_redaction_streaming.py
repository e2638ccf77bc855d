"""Streams and line iterators: bounded memory, state carried across chunks and lines."""

from __future__ import annotations

import io

from placeholder_shapes import shape

from assistant.redaction import Redactor, longline
from assistant.redaction import redactor as redactor_module

KEY_BODY = [
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
    "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo",
]
KEY_TEXT = "\n".join([
    "2024-05-01 12:00:00 INFO loading key",
    "-----BEGIN RSA PRIVATE KEY-----", *KEY_BODY, "-----END RSA PRIVATE KEY-----",
    "2024-05-01 12:00:01 INFO password=hunter2 loaded", "",
])


class TrickleReader(io.TextIOBase):
    """Hands out at most ``size`` characters per read, like a pipe under load."""

    def __init__(self, text: str, size: int) -> None:
        self._text = text
        self._size = size
        self._pos = 0

    def read(self, n: int | None = -1) -> str:
        step = self._size if n is None or n < 0 else min(n, self._size)
        chunk = self._text[self._pos : self._pos + step]
        self._pos += len(chunk)
        return chunk


EXPECTED = (
    "2024-05-01 12:00:00 INFO loading key\n-----BEGIN RSA PRIVATE KEY-----\n<private-key>\n"
    "-----END RSA PRIVATE KEY-----\n2024-05-01 12:00:01 INFO password=<password> loaded\n"
)


def test_stream_handles_a_key_block_split_across_tiny_chunks(redaction_engine: str) -> None:
    out = io.StringIO()
    Redactor(key=b"k", engine=redaction_engine).redact_stream(TrickleReader(KEY_TEXT, 7), out)
    assert shape(out.getvalue()) == EXPECTED


def test_stream_lines_and_text_agree(redaction_engine: str) -> None:
    redactor = Redactor(key=b"k", engine=redaction_engine)
    out = io.StringIO()
    redactor.redact_stream(io.StringIO(KEY_TEXT), out)
    by_lines = "".join(redactor.redact_lines(io.StringIO(KEY_TEXT)))
    assert out.getvalue() == by_lines == redactor.redact(KEY_TEXT)


def test_lines_without_endings_come_back_without_endings(redaction_engine: str) -> None:
    lines = KEY_TEXT.splitlines()
    out = [shape(x) for x in Redactor(key=b"k", engine=redaction_engine).redact_lines(lines)]
    assert out == EXPECTED.splitlines()


def test_windows_line_endings_are_kept(redaction_engine: str) -> None:
    text = KEY_TEXT.replace("\n", "\r\n")
    out = Redactor(key=b"k", engine=redaction_engine).redact(text)
    assert shape(out) == EXPECTED.replace("\n", "\r\n")


def test_a_key_cut_off_by_the_end_of_input_is_still_replaced(redaction_engine: str) -> None:
    text = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(KEY_BODY)
    out = Redactor(key=b"k", engine=redaction_engine).redact(text)
    assert shape(out) == "-----BEGIN PRIVATE KEY-----\n<private-key>"
    assert not any(part in out for part in KEY_BODY)


def test_one_huge_line_goes_in_windows_so_memory_stays_bounded(
    redaction_engine: str, monkeypatch
) -> None:
    monkeypatch.setattr(longline, "MAX_LINE", 1000)
    monkeypatch.setattr(longline, "OVERLAP", 100)
    monkeypatch.setattr(redactor_module, "_READ_CHUNK", 300)
    words = " ".join(f"word{i}" for i in range(400))
    text = words + " password=hunter2 " + words + " ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8 end"
    out = io.StringIO()
    Redactor(key=b"k", engine=redaction_engine).redact_stream(io.StringIO(text), out)
    result = out.getvalue()
    assert "hunter2" not in result and "ghp_" not in result
    assert shape(result) == text.replace("hunter2", "<password>").replace(
        "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "<github-token>"
    )


def test_state_does_not_leak_between_calls(redaction_engine: str) -> None:
    redactor = Redactor(key=b"k", engine=redaction_engine)
    begin, body = "-----BEGIN PRIVATE KEY-----\n", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"
    assert redactor.redact(begin) == begin
    assert redactor.redact(body) == body  # a new call is not inside the block any more
