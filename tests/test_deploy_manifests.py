"""deploy/ renders with `kubectl kustomize` into objects the API server would accept, wired
to each other and to what opsbot serves: replicas, probes, resources, Secret references,
the ServiceMonitor."""

from __future__ import annotations

from typing import Any, Literal

import kubernetes_validate
import pytest
from conftest import KUSTOMIZATIONS, REPO
from dockerfile import stages, user_id
from pydantic import BaseModel, ConfigDict, Field
from slack_process import CLOSE_SECONDS

from assistant.config import Settings
from assistant.ops_server import LIVEZ, READYZ, health_routes
from assistant.planning.llm import LLMSettings
from assistant.readiness import Readiness
from assistant.storage.audit_key import KEY_SETTING as AUDIT_KEY_SETTING

# The oldest Kubernetes the manifests are checked against, and the newest schemas bundled.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
SECRET = "opsbot"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Selector(_Strict):
    matchLabels: dict[str, str]


class _Endpoint(_Strict):
    port: str
    path: str = "/metrics"
    interval: str = Field(default="30s", pattern=r"^\d+(ms|s|m|h)$")
    scheme: Literal["http", "https"] = "http"


class _ServiceMonitorSpec(_Strict):
    selector: _Selector
    endpoints: list[_Endpoint] = Field(min_length=1)


class _Metadata(BaseModel):
    name: str
    namespace: str | None = None
    labels: dict[str, str] = {}


class ServiceMonitor(_Strict):
    """The part of the Prometheus Operator's CRD (monitoring.coreos.com/v1) used here;
    Kubernetes' bundled schemas know nothing of it."""

    apiVersion: Literal["monitoring.coreos.com/v1"]
    kind: Literal["ServiceMonitor"]
    metadata: _Metadata
    spec: _ServiceMonitorSpec


def _one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [d for d in docs if d["kind"] == kind]
    return found


def _container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (container,) = _one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    return container


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_object_validates_against_the_kubernetes_schemas(
        rendered_manifests: dict[str, list[dict[str, Any]]], kustomization: str) -> None:
    for doc in rendered_manifests[kustomization]:
        if doc["kind"] == "ServiceMonitor":
            ServiceMonitor.model_validate(doc)
            continue
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"deploy/{kustomization}: {doc['kind']} "
                            f"{doc['metadata']['name']} is invalid for Kubernetes {version}: "
                            f"{exc.message} at {'.'.join(map(str, exc.path))}")


def test_a_wrong_field_is_caught_by_the_validation(
        rendered_manifests: dict[str, list[dict[str, Any]]]) -> None:
    deployment = _one(rendered_manifests["base"], "Deployment")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError, match="replica"):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)
    monitor = _one(rendered_manifests["base"], "ServiceMonitor")
    with pytest.raises(ValueError, match="endpoint"):
        ServiceMonitor.model_validate({**monitor, "spec": {**monitor["spec"], "endpoint": []}})


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_two_replicas_survive_a_drain_one_at_a_time(
        rendered_manifests: dict[str, list[dict[str, Any]]], kustomization: str) -> None:
    docs = rendered_manifests[kustomization]
    deployment, budget = _one(docs, "Deployment"), _one(docs, "PodDisruptionBudget")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert 0 < budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]


def test_the_probes_ask_the_ops_port_for_paths_it_answers(
        rendered_manifests: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered_manifests["base"]
    container = _container(docs)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    settings = Settings.from_env(_one(docs, "ConfigMap")["data"])
    readiness = Readiness({}, interval_seconds=60)
    readiness.probe()
    routes = health_routes(readiness)
    # /livez answers from the process's first second and bounds the start-up itself
    # (OPSBOT_START_SECONDS), so a startup probe would pass at once and add nothing.
    assert "startupProbe" not in container
    for probe in ("livenessProbe", "readinessProbe"):
        get = container[probe]["httpGet"]
        assert ports[get["port"]] == settings.ops_port, probe
        assert routes[get["path"]]()[0] == 200, probe
    assert container["livenessProbe"]["httpGet"]["path"] == LIVEZ
    assert container["readinessProbe"]["httpGet"]["path"] == READYZ


def test_kubernetes_waits_for_the_drain_before_it_kills_a_pod(
        rendered_manifests: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered_manifests["base"]
    settings = Settings.from_env(_one(docs, "ConfigMap")["data"])
    grace = _one(docs, "Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    # The drain, then closing the runtime (the lease's stop, the database) with room to
    # spare, as measured by test_slack_sigterm.
    assert grace >= settings.drain_seconds + CLOSE_SECONDS
    # A shutdown ends verification waits and LLM loops at once; what it cannot cut short,
    # a model request in flight, ends (answered or timed out) inside the drain.
    assert settings.drain_seconds >= LLMSettings.model_fields["timeout_seconds"].default


def test_every_container_has_measured_requests_and_a_memory_limit(
        rendered_manifests: dict[str, list[dict[str, Any]]]) -> None:
    resources = _container(rendered_manifests["base"])["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    # No CPU limit: throttling would slow Slack's acknowledgements; memory is what is
    # bounded.
    assert set(resources["limits"]) == {"memory"}


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_credentials_come_only_from_the_secret_which_is_not_in_the_manifests(
        rendered_manifests: dict[str, list[dict[str, Any]]], kustomization: str) -> None:
    docs = rendered_manifests[kustomization]
    assert not [d for d in docs if d["kind"] == "Secret"]
    container = _container(docs)
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]
            if "secretKeyRef" in e.get("valueFrom", {})}
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "OPSBOT_DB"} <= set(refs)
    for name, ref in refs.items():
        assert ref["name"] == SECRET and ref["key"] == name
    volumes = _one(docs, "Deployment")["spec"]["template"]["spec"]["volumes"]
    secrets = [v["secret"] for v in volumes if "secret" in v]
    assert [s["secretName"] for s in secrets] == [SECRET]
    plain = {e["name"] for e in container["env"] if "value" in e}
    config = set(_one(docs, "ConfigMap")["data"])
    for name in plain | config:
        assert not name.endswith(("TOKEN", "SECRET", "PASSWORD", "KEY")), name


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_pod_seals_the_audit_log_with_the_one_key_from_the_secret(
        rendered_manifests: dict[str, list[dict[str, Any]]], kustomization: str) -> None:
    # A key generated per pod (the default) makes the second replica, and every restarted
    # pod, refuse to start on the log the first one sealed.
    docs = rendered_manifests[kustomization]
    container = _container(docs)
    env = {e["name"]: e.get("value") for e in container["env"]}
    key_file = env.get(AUDIT_KEY_SETTING)
    assert key_file, f"{AUDIT_KEY_SETTING} is not set: each pod would generate its own key"
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == key_file]
    volumes = {v["name"]: v for v in _one(docs, "Deployment")["spec"]["template"]["spec"]
               ["volumes"]}
    secret = volumes[mount["name"]]["secret"]
    items = {item["path"]: item["key"] for item in secret["items"]}
    assert secret["secretName"] == SECRET and items[mount["subPath"]] == "audit.key"


def test_the_pod_runs_as_the_images_non_root_user_on_a_read_only_root(
        rendered_manifests: dict[str, list[dict[str, Any]]]) -> None:
    image_user = user_id(stages(REPO / "Dockerfile")[-1])
    deployment = _one(rendered_manifests["base"], "Deployment")
    pod = deployment["spec"]["template"]["spec"]["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] == image_user
    container = _container(rendered_manifests["base"])["securityContext"]
    assert container["readOnlyRootFilesystem"] is True
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"]["drop"] == ["ALL"]


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_the_service_monitor_scrapes_a_port_of_opsbots_service(
        rendered_manifests: dict[str, list[dict[str, Any]]], kustomization: str) -> None:
    docs = rendered_manifests[kustomization]
    monitor = ServiceMonitor.model_validate(_one(docs, "ServiceMonitor"))
    service = _one(docs, "Service")
    assert monitor.spec.selector.matchLabels.items() <= service["metadata"]["labels"].items()
    ports = {p["name"] for p in service["spec"]["ports"]}
    assert {e.port for e in monitor.spec.endpoints} <= ports


def test_the_single_namespace_overlay_confines_opsbot_to_its_namespace(
        rendered_manifests: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered_manifests["overlays/single-namespace"]
    namespaces = {d["metadata"].get("namespace") for d in docs}
    (namespace,) = namespaces
    assert _one(docs, "ConfigMap")["data"]["OPSBOT_NAMESPACES"] == namespace


def test_the_cluster_wide_overlay_sees_every_namespace(
        rendered_manifests: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered_manifests["overlays/cluster-wide"]
    assert "OPSBOT_NAMESPACES" not in _one(docs, "ConfigMap")["data"]
    bound = {d["roleRef"]["name"] for d in docs if d["kind"] == "ClusterRoleBinding"}
    assert bound == {d["metadata"]["name"] for d in docs if d["kind"] == "ClusterRole"} == {
        "opsbot-reader", "opsbot-node-operator"}
