"""`opsbot redact [FILE] [--config FILE]`."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main


def test_redacts_a_file_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "app.log"
    log.write_text("ok\npassword=hunter2 user=bob\n", encoding="utf-8")
    assert main(["redact", str(log)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok\npassword=[REDACTED:password#") and out.endswith(" user=bob\n")


def test_reads_stdin_when_no_file_is_given(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    line = "token ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(line))
    assert main(["redact"]) == 0
    assert capsys.readouterr().out.startswith("token [REDACTED:github-token#")


def test_team_config_applies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "redaction.yaml"
    config.write_text("patterns:\n  - name: acme-key\n    regex: 'acme_[0-9]{6}'\n")
    log = tmp_path / "app.log"
    log.write_text("key acme_123456 used\n")
    assert main(["redact", str(log), "--config", str(config)]) == 0
    assert capsys.readouterr().out.startswith("key [REDACTED:acme-key#")


def test_bad_config_and_missing_file_are_reported_with_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "redaction.yaml"
    config.write_text("patterns:\n  - name: x\n    regex: '('\n")
    log = tmp_path / "app.log"
    log.write_text("x\n")
    assert main(["redact", str(log), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{config}:3: patterns.0.regex:" in err and "invalid regular expression" in err
    assert main(["redact", str(tmp_path / "absent.log")]) == 2
    assert "absent.log: file not found" in capsys.readouterr().err


def test_real_stdin_and_stdout_pass_undecodable_bytes_and_crlf_through() -> None:
    data = b"bin \xff\xfe ok\r\npassword=hunter2\r\n"
    command = "import sys; from assistant.cli import main; sys.exit(main(['redact']))"
    done = subprocess.run([sys.executable, "-c", command], input=data, capture_output=True,
                          timeout=120, check=True)
    assert done.stdout.startswith(b"bin \xff\xfe ok\r\npassword=[REDACTED:password#")
    assert done.stdout.endswith(b"]\r\n")
