"""What every tool's args model shares: strict, frozen models, Kubernetes names and the
workload kinds a workload reference names."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

K8sName = Annotated[
    str,
    Field(min_length=1, max_length=253, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"),
]

# The workload kinds the deployment tools act on. The tools keep their names (runbooks,
# policies and eval suites name them); ``kind`` defaults to Deployment, so every call
# written before kinds existed means what it meant.
WorkloadKind = Literal["Deployment", "StatefulSet", "DaemonSet"]
DEFAULT_KIND: WorkloadKind = "Deployment"


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
