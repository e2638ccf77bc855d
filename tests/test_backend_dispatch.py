"""run_tool tells a mutating tool who approved it, and leaves read-only tools as they were."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.models import ToolCall, ToolOutput
from tools.backend import ToolFailure, run_tool
from tools.outputs import FromTo, PodList, SilenceChange, changed

SILENCED = changed(SilenceChange(silence=FromTo(before=None, after=None), alerts=[]))


class Recorder:
    """A backend whose read-only tool takes no approver, as read-only tools are written."""

    environment = "test"
    kind = "test"

    def __init__(self) -> None:
        self.approvers: list[str | None] = []

    def list_pods(self, args: Any) -> ToolOutput:
        return ToolOutput(text="no pods", data=PodList(pods=[]))

    def silence_alert(self, args: Any, approved_by: str | None = None) -> ToolOutput:
        self.approvers.append(approved_by)
        return ToolOutput(text="silenced", data=SILENCED)


class UntypedLogs(Recorder):
    """A backend answering get_pod_logs with another tool's output model."""

    def get_pod_logs(self, args: Any) -> ToolOutput:
        return ToolOutput(text="logs", data=PodList(pods=[]))


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


def test_output_that_is_not_the_tools_output_model_fails_naming_the_backend() -> None:
    call = ToolCall(tool="get_pod_logs", args={"namespace": "shop", "pod": "checkout-1"})
    with pytest.raises(ToolFailure, match="get_pod_logs from backend UntypedLogs returned "
                                          "output that is not a PodLogs"):
        run_tool(UntypedLogs(), call)


def test_a_tool_the_backend_lacks_is_reported_unsupported_there() -> None:
    call = ToolCall(tool="rollout_history", args={"namespace": "shop", "deployment": "c"})
    with pytest.raises(ToolFailure, match="rollout_history is not supported by the test "
                                          "backend"):
        run_tool(Recorder(), call)
