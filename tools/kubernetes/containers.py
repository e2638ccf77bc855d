"""A container's image and resources as descriptions show them. Pure."""

from __future__ import annotations

from kubernetes import client as k8s
from kubernetes.utils.quantity import parse_quantity

from tools.outputs import ContainerInfo


def quantities(values: dict[str, str] | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((values or {}).items()))


def container_info(container: k8s.V1Container) -> ContainerInfo:
    resources = container.resources or k8s.V1ResourceRequirements()
    limits = resources.limits or {}
    memory = limits.get("memory")
    return ContainerInfo(
        name=container.name,
        image=container.image,
        limits=quantities(limits),
        requests=quantities(resources.requests),
        memory_limit_mib=float(parse_quantity(memory)) / 2**20 if memory else None,
    )
