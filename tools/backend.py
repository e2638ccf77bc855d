"""The backend contract: one implementation of every catalog tool per backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from assistant.models import (
    ErrorBudget,
    Inventory,
    ToolCall,
    ToolContext,
    ToolImplementation,
    ToolOutput,
    ToolSpec,
)
from tools.catalog import get_tool


class ToolFailure(Exception):
    """A tool ran and failed. ``transient`` failures may be retried by the executor."""

    def __init__(self, message: str, *, transient: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


class AlreadyInPlace(ToolFailure):
    """A run found what the call asks for in place already, so it sent nothing. Whether
    that is a success is the executor's to say: after a retried attempt whose answer was
    lost, ``done`` (the state as asked) is that attempt's effect; on a first attempt it is
    someone else's, and the run changed nothing."""

    def __init__(self, message: str, done: ToolOutput) -> None:
        super().__init__(message)
        self.done = done


class Backend(Protocol):
    """What the engine needs from an environment (sandbox, Kubernetes, ...).

    Built-in tools are methods named after the tool taking its args model and returning a
    ToolOutput whose data is the tool's output model, e.g. ``def list_pods(self, args:
    ListPodsArgs) -> ToolOutput``. Mutating tools (catalog spec not read-only) also take who
    approved the call, e.g. ``def rollback_deployment(self, args: RollbackDeploymentArgs,
    approved_by: str | None = None) -> ToolOutput``: the user id(s) of the approvers, or None
    when no approver is known; a backend records it where the target system keeps an author
    (a silence's createdBy). Plugin tools are not methods: their spec names an
    implementation per backend ``kind``, and a kind it does not name is unsupported there.
    """

    environment: str
    kind: str  # "sandbox", "kubernetes", ...: what plugin implementations are keyed by

    def now(self) -> datetime: ...

    def inventory(self) -> Inventory: ...

    def error_budget(self, service: str) -> ErrorBudget | None: ...

    def preview(self, call: ToolCall) -> str:
        """Dry run of a built-in mutating call: what it would change, from -> to."""
        ...

    def wait(self, seconds: float) -> None:
        """Let time pass before re-reading state (a simulated clock just advances)."""
        ...


def _unsupported(backend: Backend, spec: ToolSpec) -> ToolFailure:
    where = ", ".join(sorted(spec.implementations or {})) or "none"
    return ToolFailure(f"{spec.name} is not supported by the {backend.kind} backend "
                       f"({type(backend).__name__}); implemented for: {where}")


def _plugin(backend: Backend, spec: ToolSpec) -> ToolImplementation:
    assert spec.implementations is not None
    impl = spec.implementations.get(backend.kind)
    if impl is None:
        raise _unsupported(backend, spec)
    return impl


def _context(backend: Backend, approved_by: str | None = None) -> ToolContext:
    return ToolContext(environment=backend.environment, backend_kind=backend.kind,
                       now=backend.now(), approved_by=approved_by)


def _plugin_call(spec: ToolSpec, step: Callable[[], Any]) -> Any:
    """A plugin is someone else's code: whatever it raises becomes a failure of the call
    naming the plugin, never an exception loose in the engine mid-incident."""
    try:
        return step()
    except ToolFailure:
        raise
    except Exception as exc:
        raise ToolFailure(f"plugin tool {spec.name} ({spec.origin}) raised "
                          f"{type(exc).__name__}: {exc}") from exc


def _checked(spec: ToolSpec, backend: Backend, data: Any) -> BaseModel:
    """The tool's output model, or a failure naming who broke the contract."""
    if isinstance(data, spec.output_model):
        return data
    who = spec.origin if spec.plugin else f"backend {type(backend).__name__}"
    try:
        return spec.output_model.model_validate(data)
    except ValidationError as exc:
        raise ToolFailure(f"{spec.name} from {who} returned output that is not a "
                          f"{spec.output_model.__name__}: {exc}") from exc


def run_tool(backend: Backend, call: ToolCall, *, approved_by: str | None = None) -> ToolOutput:
    """Validate ``call`` against the catalog, dispatch it to ``backend`` (a mutating tool is
    also told ``approved_by``) and validate what comes back against the output model."""
    spec = get_tool(call.tool)
    args: BaseModel = spec.validate_args(call.args)
    if spec.implementations is not None:
        impl = _plugin(backend, spec)
        context = _context(backend, None if spec.read_only else approved_by)
        data = _plugin_call(spec, lambda: impl.run(args, context))
        model = _checked(spec, backend, data)
        return ToolOutput(text=_plugin_text(spec, model), data=model)
    method = getattr(backend, call.tool, None)
    if method is None:
        raise _unsupported(backend, spec)
    out = method(args) if spec.read_only else method(args, approved_by=approved_by)
    return out.model_copy(update={"data": _checked(spec, backend, out.data)})


def _plugin_text(spec: ToolSpec, model: BaseModel) -> str:
    """A plugin output renders itself when it has ``render()``; otherwise its JSON."""
    render = getattr(model, "render", None)
    if callable(render):
        return str(render())
    return f"{spec.name}: {model.model_dump_json(exclude_unset=True, by_alias=True)}"


def preview_call(backend: Backend, call: ToolCall) -> str:
    """The dry run shown on a confirmation card: what the call would change, from -> to.
    Raises ToolFailure when the call would fail or the backend cannot run it."""
    spec = get_tool(call.tool)
    if spec.implementations is None:
        return backend.preview(call)
    args = spec.validate_args(call.args)
    impl = _plugin(backend, spec)
    if impl.preview is None:  # only read-only plugin tools may lack one (tools.plugins)
        return f"{call.tool} is read-only: nothing changes"
    preview = impl.preview
    return str(_plugin_call(spec, lambda: preview(args, _context(backend))))
