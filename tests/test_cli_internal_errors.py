"""A bug surfaces as a one-line, redacted internal error with its own exit code."""

import pytest

import assistant.cli.core as core
from assistant.cli import main


def test_unexpected_exception_is_reported_redacted_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(_args: object) -> int:
        raise RuntimeError("db at postgres://app:hunter2@db:5432/x refused")

    monkeypatch.setattr(core, "cmd_summary", broken)
    assert main(["summary", "--thread", "t1"]) == 70
    err = capsys.readouterr().err
    assert err.startswith("opsbot: internal error: RuntimeError:")
    assert "hunter2" not in err and "Traceback" not in err
