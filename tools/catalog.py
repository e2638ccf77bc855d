"""The tool catalog: each tool defined exactly once.

The args model is the single source of the LLM function schema, input validation and
CLI documentation. Blast radius is estimated here from live inventory, so the policy
engine never has to trust a number the LLM made up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from assistant.models import (
    ALL_NAMESPACES,
    BlastRadius,
    Inventory,
    Risk,
    ToolClass,
    ToolSpec,
)

K8sName = Annotated[
    str,
    Field(min_length=1, max_length=253, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"),
]


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ListPodsArgs(Args):
    namespace: K8sName = Field(description="Kubernetes namespace")
    deployment: K8sName | None = Field(None, description="Only pods of this deployment")


class GetPodLogsArgs(Args):
    namespace: K8sName = Field(description="Kubernetes namespace")
    pod: K8sName = Field(description="Pod name")
    tail: int = Field(50, ge=1, le=5000, description="Number of most recent lines")
    previous: bool = Field(False, description="Logs of the previous (crashed) container")


class DeploymentArgs(Args):
    namespace: K8sName = Field(description="Kubernetes namespace")
    deployment: K8sName = Field(description="Deployment name")


class QueryMetricsArgs(Args):
    query: str = Field(min_length=1, max_length=2000, description="PromQL or metric name")
    minutes: int = Field(30, ge=1, le=1440, description="How far back to look")


class ListAlertsArgs(Args):
    namespace: K8sName | None = Field(None, description="Only alerts with this namespace label")
    include_silenced: bool = Field(False, description="Also list silenced alerts")


class GetErrorBudgetArgs(Args):
    service: K8sName = Field(description="Service name as in the SLO definitions")


class RollbackDeploymentArgs(DeploymentArgs):
    revision: int | None = Field(
        None, ge=1, description="Target revision; omitted = the last healthy one before now"
    )


class ScaleDeploymentArgs(DeploymentArgs):
    replicas: int = Field(ge=0, le=1000, description="Desired replica count")


class SilenceAlertArgs(Args):
    alertname: str = Field(min_length=1, max_length=200, description="Alert name to silence")
    matchers: dict[str, str] = Field(
        default_factory=dict, description="Extra label matchers, e.g. {namespace: shop}"
    )
    duration_minutes: int = Field(60, ge=1, le=7 * 24 * 60, description="Silence length")
    comment: str = Field("silenced via opsbot", max_length=500, description="Why")


def _no_blast(_args: BaseModel, inventory: Inventory) -> BlastRadius:
    return BlastRadius()


def _deployment_pods(args: BaseModel, inventory: Inventory) -> BlastRadius:
    ns, name = args.namespace, args.deployment  # type: ignore[attr-defined]
    dep = inventory.deployment(ns, name)
    if dep is None:
        return BlastRadius(namespaces=(ns,))
    service_pods = sum(d.replicas for d in inventory.deployments if d.service == dep.service)
    return BlastRadius(
        namespaces=(ns,),
        service=dep.service,
        pods_affected=dep.replicas,
        service_pods=service_pods,
        replicas_before=dep.replicas,
        replicas_after=dep.replicas,
    )


def _scale(args: BaseModel, inventory: Inventory) -> BlastRadius:
    base = _deployment_pods(args, inventory)
    before = base.replicas_before
    after = args.replicas  # type: ignore[attr-defined]
    changed = abs(after - before) if before is not None else after
    return base.model_copy(update={"replicas_after": after, "pods_affected": changed})


def _silence(args: BaseModel, inventory: Inventory) -> BlastRadius:
    """A silence lives in Alertmanager, not in a namespace: without a namespace matcher it
    also mutes alerts that fire later in any namespace, so it reaches all of them. It touches
    none only when other matchers pin it to alerts evidently cluster-scoped (present now,
    none with a namespace label): a bare alert name would also mute that alert when it
    fires later with namespace=kube-system, and an alert not present now may be namespaced."""
    matchers = args.matchers  # type: ignore[attr-defined]
    if "namespace" in matchers:
        return BlastRadius(namespaces=(matchers["namespace"],))
    name = args.alertname  # type: ignore[attr-defined]
    pins = {k: v for k, v in matchers.items() if k != "alertname"}
    pinned = [a for a in inventory.alerts
              if a.name == name and all(a.labels.get(k) == v for k, v in pins.items())]
    if pins and pinned and not any("namespace" in a.labels for a in pinned):
        return BlastRadius()
    return BlastRadius(namespaces=(ALL_NAMESPACES,))


def _spec(
    name: str,
    description: str,
    args_model: type[BaseModel],
    tool_class: ToolClass,
    risk: Risk,
    blast_radius: Callable[[BaseModel, Inventory], BlastRadius] = _no_blast,
    idempotent: bool = True,
) -> ToolSpec:
    return ToolSpec(
        name=name,
        description=description,
        args_model=args_model,
        tool_class=tool_class,
        risk=risk,
        blast_radius=blast_radius,
        idempotent=idempotent,
    )


_SPECS = (
    _spec("list_pods", "List pods with phase, readiness and restart counts.",
          ListPodsArgs, ToolClass.READ, Risk.LOW),
    _spec("get_pod_logs", "Read the most recent log lines of a pod (redacted).",
          GetPodLogsArgs, ToolClass.READ, Risk.LOW),
    _spec("describe_deployment", "Replicas, image, conditions and revision of a deployment.",
          DeploymentArgs, ToolClass.READ, Risk.LOW),
    _spec("rollout_history", "Revisions of a deployment with change notes and health.",
          DeploymentArgs, ToolClass.READ, Risk.LOW),
    _spec("query_metrics", "Query a metric series over the last N minutes.",
          QueryMetricsArgs, ToolClass.READ, Risk.LOW),
    _spec("list_alerts", "Firing alerts, optionally for one namespace.",
          ListAlertsArgs, ToolClass.READ, Risk.LOW),
    _spec("get_error_budget", "SLO target and remaining error budget of a service.",
          GetErrorBudgetArgs, ToolClass.READ, Risk.LOW),
    _spec("rollback_deployment", "Roll a deployment back to an earlier revision.",
          RollbackDeploymentArgs, ToolClass.REMEDIATION, Risk.MEDIUM, _deployment_pods),
    _spec("restart_deployment", "Rolling restart of every pod of a deployment.",
          DeploymentArgs, ToolClass.REMEDIATION, Risk.MEDIUM, _deployment_pods, idempotent=False),
    _spec("scale_deployment", "Set the replica count of a deployment.",
          ScaleDeploymentArgs, ToolClass.CHANGE, Risk.HIGH, _scale),
    _spec("silence_alert", "Silence an alert in Alertmanager for a bounded time.",
          SilenceAlertArgs, ToolClass.REMEDIATION, Risk.LOW, _silence, idempotent=False),
)

CATALOG: Mapping[str, ToolSpec] = {s.name: s for s in _SPECS}


def get_tool(name: str) -> ToolSpec:
    try:
        return CATALOG[name]
    except KeyError:
        known = ", ".join(sorted(CATALOG))
        raise KeyError(f"unknown tool {name!r}; known tools: {known}") from None
