"""What every tool's args model shares: strict, frozen models and Kubernetes names."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

K8sName = Annotated[
    str,
    Field(min_length=1, max_length=253, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"),
]


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
