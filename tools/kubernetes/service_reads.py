"""A Service and its endpoints from the API, in the shape the sandbox gives them
(tools/object_outputs.py). Endpoints come from the EndpointSlices the endpoint controller
keeps for the Service, the API that replaced v1 Endpoints."""

from __future__ import annotations

from kubernetes import client as k8s

from assistant.models import ToolOutput
from tools.kubernetes.cluster import Cluster
from tools.kubernetes.required import name_of, namespace_of, spec_of
from tools.object_outputs import ServiceDescription, ServiceEndpoint
from tools.object_render import service_text
from tools.service_tools import ServiceArgs


def _port(port: k8s.V1ServicePort) -> str:
    name = f"{port.name} " if port.name else ""
    target = f" -> {port.target_port}" if port.target_port is not None else ""
    return f"{name}{port.port}/{port.protocol or 'TCP'}{target}"


def _endpoint(endpoint: k8s.V1Endpoint) -> ServiceEndpoint:
    ref = endpoint.target_ref
    conditions = endpoint.conditions or k8s.V1EndpointConditions()
    return ServiceEndpoint(
        pod=ref.name if ref is not None and ref.kind == "Pod" else None,
        address=endpoint.addresses[0] if endpoint.addresses else None,
        node=endpoint.node_name,
        # The API: an unset ready condition means unknown, which consumers take as ready.
        ready=conditions.ready is not False)


def describe_service(cluster: Cluster, args: ServiceArgs) -> ToolOutput:
    service = cluster.service(args.namespace, args.service)
    spec = spec_of(service)
    slices = cluster.endpoint_slices(args.namespace, args.service)
    data = ServiceDescription(
        namespace=namespace_of(service), name=name_of(service), type=spec.type,
        cluster_ip=spec.cluster_ip, ports=[_port(p) for p in spec.ports or []],
        selector=dict(spec.selector) if spec.selector else None,
        endpoints=[_endpoint(e) for s in slices for e in s.endpoints or []])
    return ToolOutput(text=service_text(data), data=data)
