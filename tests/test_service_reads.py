"""describe_service: the runbook commands it implements, the sandbox world's Services (the
workloads that name them), and the Service with its EndpointSlices through the official
client against the API stand-in (tests/k8s_standin.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from k8s_standin import ENDPOINTSLICES, SERVICES, K8sStandin
from kubernetes import client as k8s
from runbook_steps import step_of

from assistant.models import ToolCall
from tools.backend import ToolFailure, run_tool
from tools.catalog import CATALOG
from tools.kubernetes.backend import KubernetesTools
from tools.kubernetes.cluster import Cluster
from tools.object_outputs import ServiceDescription
from tools.sandbox import SandboxBackend, load_scenario
from tools.service_tools import ServiceArgs


@pytest.mark.parametrize(("command", "expected"), [
    ("kubectl describe svc alertmanager-main",
     ("describe_service", {"namespace": "{namespace}", "service": "alertmanager-main"})),
    ("kubectl -n monitoring get service $SERVICE -o yaml",
     ("describe_service", {"namespace": "monitoring", "service": "{service}"})),
])
def test_service_commands_map_to_describe_service(
        command: str, expected: tuple[str, dict[str, Any]]) -> None:
    assert step_of(command) == expected


@pytest.mark.parametrize("command", [
    "kubectl get svc alertmanager-main",  # a row, not the description
    "kubectl describe service -n kube-system -l app=kubelet",  # every Service of a label
])
def test_service_commands_no_read_does_faithfully_stay_text(command: str) -> None:
    assert step_of(command) is None


# --- the sandbox ---------------------------------------------------------------------------


def _sandbox(**args: Any) -> Any:
    backend = SandboxBackend.from_scenario(load_scenario("switchyard-charging-night"))
    return run_tool(backend, ToolCall(tool="describe_service", args=args))


def test_a_services_endpoints_are_the_scheduled_pods_of_its_workloads() -> None:
    out = _sandbox(namespace="charging", service="rating-engine")
    data = ServiceDescription.model_validate(out.json_data())
    # Two replicas are Pending: no address, so no endpoint.
    assert [(e.pod, e.ready) for e in data.endpoints] == [
        ("rating-engine-6b8c7-2kq9d", True), ("rating-engine-6b8c7-7vmxr", True)]
    assert data.type is None and data.selector is None  # not simulated


def test_a_service_whose_pods_are_all_unready_is_trouble() -> None:
    data = ServiceDescription.model_validate(
        _sandbox(namespace="netops", service="flow-probe").json_data())
    assert CATALOG["describe_service"].trouble is not None
    assert CATALOG["describe_service"].trouble(data) == [
        "service netops/flow-probe has no ready endpoints"]


def test_a_missing_service_names_the_services_of_its_namespace() -> None:
    with pytest.raises(ToolFailure, match="services in netops: flow-probe"):
        _sandbox(namespace="netops", service="flow-collector")


# --- Kubernetes ----------------------------------------------------------------------------


def _endpoint(pod: str, ip: str, ready: bool | None) -> k8s.V1Endpoint:
    return k8s.V1Endpoint(addresses=[ip], node_name="node-a",
                          conditions=k8s.V1EndpointConditions(ready=ready),
                          target_ref=k8s.V1ObjectReference(kind="Pod", name=pod,
                                                           namespace="monitoring"))


@pytest.fixture
def kubernetes() -> Iterator[KubernetesTools]:
    with K8sStandin() as standin:
        standin.add_namespace("monitoring")
        standin.put(SERVICES, k8s.V1Service(
            api_version="v1", kind="Service",
            metadata=k8s.V1ObjectMeta(name="alertmanager-main", namespace="monitoring"),
            spec=k8s.V1ServiceSpec(
                type="ClusterIP", cluster_ip="10.96.4.20",
                selector={"app.kubernetes.io/name": "alertmanager"},
                ports=[k8s.V1ServicePort(name="web", port=9093, protocol="TCP",
                                         target_port="web")])))
        standin.put(ENDPOINTSLICES, k8s.V1EndpointSlice(
            api_version="discovery.k8s.io/v1", kind="EndpointSlice", address_type="IPv4",
            metadata=k8s.V1ObjectMeta(
                name="alertmanager-main-x7k2p", namespace="monitoring",
                labels={"kubernetes.io/service-name": "alertmanager-main"}),
            endpoints=[_endpoint("alertmanager-main-0", "10.244.1.7", True),
                       _endpoint("alertmanager-main-1", "10.244.2.9", False),
                       _endpoint("alertmanager-main-2", "10.244.3.4", None)]))
        standin.put(ENDPOINTSLICES, k8s.V1EndpointSlice(
            api_version="discovery.k8s.io/v1", kind="EndpointSlice", address_type="IPv4",
            metadata=k8s.V1ObjectMeta(name="grafana-b2c4d", namespace="monitoring",
                                      labels={"kubernetes.io/service-name": "grafana"}),
            endpoints=[_endpoint("grafana-5d8f9-q2w3r", "10.244.1.8", True)]))
        cluster = Cluster(k8s.ApiClient(standin.configuration()), 5.0)
        yield KubernetesTools(cluster, lambda: datetime.now(UTC))
        cluster.close()


def test_a_service_through_the_client_has_its_own_slices_endpoints(
        kubernetes: KubernetesTools) -> None:
    out = kubernetes.describe_service(ServiceArgs(namespace="monitoring",
                                                  service="alertmanager-main"))
    data = ServiceDescription.model_validate(out.json_data())
    assert (data.type, data.cluster_ip, data.ports, data.selector) == (
        "ClusterIP", "10.96.4.20", ["web 9093/TCP -> web"],
        {"app.kubernetes.io/name": "alertmanager"})
    # An unset ready condition is unknown, which the API says to take as ready.
    assert [(e.pod, e.address, e.ready) for e in data.endpoints] == [
        ("alertmanager-main-0", "10.244.1.7", True),
        ("alertmanager-main-1", "10.244.2.9", False),
        ("alertmanager-main-2", "10.244.3.4", True)]
    assert "Endpoints:   2 ready, 1 not ready" in out.text


def test_a_missing_service_through_the_client_names_the_services(
        kubernetes: KubernetesTools) -> None:
    with pytest.raises(ToolFailure, match="services in monitoring: alertmanager-main"):
        kubernetes.describe_service(ServiceArgs(namespace="monitoring", service="am"))
