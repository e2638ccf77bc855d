"""The Service tool: a Service and the pods answering behind it."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from assistant.models import BlastRadius, Risk, ToolClass, ToolSpec
from tools.args import Args, K8sName
from tools.command_forms import _namespace, described
from tools.object_outputs import ServiceDescription

# What a thread about a Service says: its endpoints, addresses, ports, traffic not arriving.
# ("service" alone does not: threads say it of every application.)
SERVICE_TOPIC = re.compile(r"\bendpoints?\b|\bsvcs?\b|\bclusterip\b|\bnodeport\b|"
                           r"\bloadbalancer\b|\bservice (?:ip|port|selector)s?\b|"
                           r"connection refused|no (?:healthy )?upstream", re.IGNORECASE)


class ServiceArgs(Args):
    namespace: K8sName = Field(description="Kubernetes namespace")
    service: K8sName = Field(description="Service name")


def _unanswered(output: ServiceDescription) -> list[str]:
    if any(e.ready for e in output.endpoints):
        return []
    return [f"service {output.namespace}/{output.name} has no ready endpoints"]


def describe_service_form(command: Any) -> dict[str, Any] | None:
    """``describe service X``, and ``get service X -o yaml`` which shows the same object."""
    rest = described(command, "service")
    if rest is None or len(rest) != 1 or "selector" in command.options:
        return None
    return {"namespace": _namespace(command), "service": rest[0]}


SERVICE_TOOLS = (
    ToolSpec(
        name="describe_service",
        description="One Kubernetes Service: type, IP, selector, ports, and its endpoints "
                    "(the pods behind it, ready or not).",
        args_model=ServiceArgs, output_model=ServiceDescription, tool_class=ToolClass.READ,
        risk=Risk.LOW, blast_radius=lambda _a, _i: BlastRadius(), trouble=_unanswered,
        implements=describe_service_form, topic=SERVICE_TOPIC),
)
