"""Which backend kinds implement which tool: a built-in tool where the backend class has
the method, a plugin tool where its spec names an implementation for that kind."""

from __future__ import annotations

from assistant.models import ToolSpec
from tools.backend import Backend
from tools.real.backend import RealBackend
from tools.real.monitored_sandbox import MonitoredSandbox
from tools.sandbox import SandboxBackend

BACKENDS: tuple[type[Backend], ...] = (SandboxBackend, RealBackend, MonitoredSandbox)


def implemented_by(spec: ToolSpec) -> tuple[str, ...]:
    if spec.implementations is not None:
        return tuple(sorted(spec.implementations))
    return tuple(b.kind for b in BACKENDS if callable(getattr(b, spec.name, None)))
