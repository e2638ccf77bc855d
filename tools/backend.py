"""The backend contract: one implementation of every catalog tool per backend."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from assistant.models import ErrorBudget, Inventory, ToolCall, ToolOutput
from tools.catalog import get_tool


class ToolFailure(Exception):
    """A tool ran and failed. ``transient`` failures may be retried by the executor."""

    def __init__(self, message: str, *, transient: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


class Backend(Protocol):
    """What the engine needs from an environment (sandbox, Kubernetes, ...).

    Tool implementations are methods named after the tool taking its args model, e.g.
    ``def list_pods(self, args: ListPodsArgs) -> ToolOutput``. Mutating tools (catalog spec
    not read-only) also take who approved the call, e.g. ``def rollback_deployment(self,
    args: RollbackDeploymentArgs, approved_by: str | None = None) -> ToolOutput``: the user
    id(s) of the approvers, or None when no approver is known; a backend records it where
    the target system keeps an author (a silence's createdBy).
    """

    environment: str

    def now(self) -> datetime: ...

    def inventory(self) -> Inventory: ...

    def error_budget(self, service: str) -> ErrorBudget | None: ...

    def preview(self, call: ToolCall) -> str:
        """Dry run: what a mutating call would change, from -> to."""
        ...

    def wait(self, seconds: float) -> None:
        """Let time pass before re-reading state (a simulated clock just advances)."""
        ...


def run_tool(backend: Backend, call: ToolCall, *, approved_by: str | None = None) -> ToolOutput:
    """Validate ``call`` against the catalog and dispatch it to ``backend``; a mutating tool
    is also told ``approved_by``."""
    spec = get_tool(call.tool)
    args: BaseModel = spec.validate_args(call.args)
    impl = getattr(backend, call.tool, None)
    if impl is None:
        raise ToolFailure(f"backend {type(backend).__name__} does not implement {call.tool}")
    if spec.read_only:
        return impl(args)
    return impl(args, approved_by=approved_by)
