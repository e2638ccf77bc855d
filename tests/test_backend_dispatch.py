"""run_tool tells a mutating tool who approved it, and leaves read-only tools as they were."""

from __future__ import annotations

from typing import Any

from assistant.models import ToolCall, ToolOutput
from tools.backend import run_tool


class Recorder:
    """A backend whose read-only tool takes no approver, as read-only tools are written."""

    environment = "test"

    def __init__(self) -> None:
        self.approvers: list[str | None] = []

    def list_pods(self, args: Any) -> ToolOutput:
        return ToolOutput(text="no pods")

    def silence_alert(self, args: Any, approved_by: str | None = None) -> ToolOutput:
        self.approvers.append(approved_by)
        return ToolOutput(text="silenced")


SILENCE = ToolCall(tool="silence_alert", args={"alertname": "DiskFull"})


def test_a_mutating_tool_is_told_the_approver() -> None:
    backend = Recorder()
    run_tool(backend, SILENCE, approved_by="U01ALICE, U04DAN")
    assert backend.approvers == ["U01ALICE, U04DAN"]


def test_a_mutating_tool_run_without_an_approver_is_told_none() -> None:
    backend = Recorder()
    run_tool(backend, SILENCE)
    assert backend.approvers == [None]


def test_a_read_only_tool_is_called_without_the_approver() -> None:
    backend = Recorder()
    out = run_tool(backend, ToolCall(tool="list_pods", args={"namespace": "shop"}),
                   approved_by="U01ALICE")
    assert out.text == "no pods" and backend.approvers == []
