"""describe_service against the simulated world. The world's workloads name the Service
in front of them (their ``service``); its endpoints are the pods of those workloads that
were scheduled (a Pending pod has no address yet). Type, IP, ports and selector are not
simulated: they stay unset rather than made up."""

from __future__ import annotations

from assistant.models import ToolOutput
from tools.backend import ToolFailure
from tools.object_outputs import ServiceDescription, ServiceEndpoint
from tools.object_render import service_text
from tools.sandbox.lookup import require_namespace
from tools.sandbox.world import World
from tools.service_tools import ServiceArgs


def describe_service(world: World, args: ServiceArgs) -> ToolOutput:
    require_namespace(world, args.namespace)
    here = [d for d in world.deployments if d.namespace == args.namespace]
    behind = [d for d in here if d.service == args.service]
    if not behind:
        known = ", ".join(sorted({d.service for d in here})) or "none"
        raise ToolFailure(f"service {args.namespace}/{args.service} not found; services in "
                          f"{args.namespace}: {known}")
    endpoints = [ServiceEndpoint(pod=p.name, address=None, node=p.node, ready=p.ready)
                 for d in behind for p in d.pods if p.phase != "Pending"]
    data = ServiceDescription(namespace=args.namespace, name=args.service, type=None,
                              cluster_ip=None, ports=[], selector=None, endpoints=endpoints)
    return ToolOutput(text=service_text(data), data=data)
