"""list_resource_quotas: the runbook commands it implements, the sandbox world's quotas and
the scenario format for them, the same read through the official client against the API
stand-in (tests/k8s_standin.py), and a quota alert's thread reading it as evidence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from k8s_scenario import kubernetes_tools, load_world
from k8s_standin import RESOURCEQUOTAS, K8sStandin
from kubernetes import client as k8s
from runbook_steps import step_of
from test_sandbox_scenario_errors import VALID, line_of, write

from assistant.analysis import analyze, collect
from assistant.errors import InputError
from assistant.models import Inventory, ToolCall
from assistant.planning.diagnosis import evidence_calls
from assistant.planning.entities import link_entities
from tools.backend import ToolFailure, run_tool
from tools.catalog import CATALOG
from tools.kubernetes.backend import KubernetesTools
from tools.kubernetes.cluster import Cluster
from tools.object_outputs import ResourceQuotaList
from tools.outputs import AlertList, AlertRow
from tools.quota_tools import ListResourceQuotasArgs, quota_row
from tools.sandbox import SandboxBackend, load_scenario

WORLD = "havbruk-monday-warehouse"
QUOTA_ALERT = {"alertname": "KubeQuotaAlmostFull", "namespace": "nettbutikk",
               "resourcequota": "nettbutikk-compute", "resource": "requests.cpu"}


@cache
def _sandbox() -> SandboxBackend:
    return SandboxBackend.from_scenario(load_scenario(WORLD))


def _read(**args: Any) -> Any:
    return run_tool(_sandbox(), ToolCall(tool="list_resource_quotas", args=args))


# --- the catalog and runbook commands ------------------------------------------------------


def test_the_quota_read_is_one_low_risk_read_offered_on_quota_words() -> None:
    spec = CATALOG["list_resource_quotas"]
    assert spec.read_only and spec.output_model is ResourceQuotaList
    assert spec.topic is not None
    assert spec.topic.search("is the namespace quota why pods aren't created?")
    assert spec.topic.search("forbidden: exceeded ResourceQuota")
    assert not spec.topic.search("checkout is slow since the deploy")


@pytest.mark.parametrize(("command", "expected"), [
    ("kubectl describe quota", {"namespace": "{namespace}"}),
    ("kubectl get resourcequota -n shop", {"namespace": "shop"}),
    ("kubectl describe resourcequota $NAME",
     {"namespace": "{namespace}", "name": "{resourcequota}"}),
    ("kubectl -n $NAMESPACE describe quota $QUOTA",
     {"namespace": "{namespace}", "name": "{resourcequota}"}),
    ("kubectl get quotas compute-resources -o yaml",
     {"namespace": "{namespace}", "name": "compute-resources"}),
])
def test_quota_commands_map_to_the_quota_read(command: str, expected: dict[str, Any]) -> None:
    assert step_of(command) == ("list_resource_quotas", expected)


@pytest.mark.parametrize("command", [
    "kubectl get resourcequota --all-namespaces",  # every namespace: not one read
    "kubectl get quota --watch",
    "kubectl describe quota a b",
])
def test_quota_commands_no_read_does_faithfully_stay_text(command: str) -> None:
    assert step_of(command) is None


# --- quantities ----------------------------------------------------------------------------


def test_usage_is_said_as_kubectl_prints_it_and_in_the_limits_unit() -> None:
    row = quota_row("q", {"requests.cpu": "16", "limits.memory": "64Gi", "pods": "40",
                          "requests.nvidia.com/gpu": "0"},
                    {"requests.cpu": "15500m", "limits.memory": "60129542144", "pods": "40"})
    got = {r.resource: (r.used, r.hard, r.ratio, r.used_as_hard) for r in row.resources}
    assert got == {"limits.memory": ("60129542144", "64Gi", 0.875, "56"),
                   "pods": ("40", "40", 1.0, None),
                   "requests.cpu": ("15500m", "16", 0.9688, "15.5"),
                   # a hard limit of 0 refuses any use: no share of it
                   "requests.nvidia.com/gpu": ("0", "0", None, None)}


# --- the sandbox ---------------------------------------------------------------------------


def test_the_sandbox_quota_says_used_and_hard_per_resource() -> None:
    out = _read(namespace="nettbutikk")
    data = ResourceQuotaList.model_validate(out.json_data())
    assert [(q.name, [(r.resource, r.used, r.hard) for r in q.resources])
            for q in data.quotas] == [("nettbutikk-compute", [("requests.cpu", "15500m", "16")])]
    assert "requests.cpu  15500m  16    97% (15.5 of 16)" in out.text
    spec = CATALOG["list_resource_quotas"]
    assert spec.trouble is not None
    assert spec.trouble(data) == [
        "resource quota nearly used up: nettbutikk-compute requests.cpu 15500m of 16 "
        "(15.5 of 16, 97%): new pods requesting more than is left are refused"]


def test_a_namespace_without_quotas_says_so() -> None:
    out = _read(namespace="lager")
    assert out.json_data()["quotas"] == [] and out.text == "no resourcequotas in lager"


def test_a_missing_quota_or_namespace_names_what_there_is() -> None:
    with pytest.raises(ToolFailure, match="resourcequota nettbutikk/compute not found; "
                                          "resourcequotas in nettbutikk: nettbutikk-compute"):
        _read(namespace="nettbutikk", name="compute")
    with pytest.raises(ToolFailure, match="namespace 'butik' not found"):
        _read(namespace="butik")


QUOTA = """\
resource_quotas:
  - {namespace: app, name: app-compute, hard: {requests.cpu: 8, pods: "20"},
     used: {requests.cpu: 7500m}}
"""


def test_a_scenario_quota_loads_with_numbers_as_quantities(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, VALID + QUOTA))
    (quota,) = scenario.resource_quotas
    assert (quota.hard, quota.used) == ({"requests.cpu": "8", "pods": "20"},
                                        {"requests.cpu": "7500m"})


@pytest.mark.parametrize(("old", "new", "field", "says", "at"), [
    ("used: {requests.cpu: 7500m}", "used: {requests.cpu: lots}",
     "resource_quotas.0.used.requests.cpu", "'lots' is not a quantity", "lots"),
    ("used: {requests.cpu: 7500m}", "used: {limits.cpu: 7500m}",
     "resource_quotas.0", "used names limits.cpu, which `hard` does not limit", "app-compute"),
    ("{namespace: app, name", "{namespace: ap, name",
     "resource_quotas.0.namespace", "namespace 'ap' not found", "{namespace: ap,"),
])
def test_a_bad_scenario_quota_names_file_line_and_field(
        tmp_path: Path, old: str, new: str, field: str, says: str, at: str) -> None:
    text = VALID + QUOTA.replace(old, new)
    with pytest.raises(InputError) as info:
        load_scenario(write(tmp_path, text))
    assert (info.value.field, info.value.line) == (field, line_of(text, at))
    assert says in info.value.message
    assert info.value.source and info.value.source.endswith("tiny.yaml")


def test_a_quota_defined_twice_is_an_error(tmp_path: Path) -> None:
    twice = QUOTA + "  - {namespace: app, name: app-compute, hard: {pods: \"5\"}}\n"
    with pytest.raises(InputError, match="resource quota app/app-compute is defined twice"):
        load_scenario(write(tmp_path, VALID + twice))


# --- Kubernetes ----------------------------------------------------------------------------


@pytest.fixture
def mirrored() -> Iterator[KubernetesTools]:
    with K8sStandin() as standin:
        load_world(standin, _sandbox())
        tools = kubernetes_tools(standin, _sandbox().now)
        yield tools
        tools.cluster.close()


def test_the_api_quota_reads_back_as_the_sandbox_serves_it(mirrored: KubernetesTools) -> None:
    for args in (ListResourceQuotasArgs(namespace="nettbutikk"),
                 ListResourceQuotasArgs(namespace="nettbutikk", name="nettbutikk-compute"),
                 ListResourceQuotasArgs(namespace="lager")):
        mine, theirs = _sandbox().list_resource_quotas(args), mirrored.list_resource_quotas(args)
        assert (theirs.json_data(), theirs.text) == (mine.json_data(), mine.text)


def test_the_api_refuses_a_missing_quota_and_namespace(mirrored: KubernetesTools) -> None:
    with pytest.raises(ToolFailure, match="resourcequota nettbutikk/compute not found; "
                                          "resourcequotas in nettbutikk: nettbutikk-compute"):
        mirrored.list_resource_quotas(ListResourceQuotasArgs(namespace="nettbutikk",
                                                             name="compute"))
    with pytest.raises(ToolFailure, match="namespace 'butik' not found"):
        mirrored.list_resource_quotas(ListResourceQuotasArgs(namespace="butik"))


def test_a_quota_the_controller_has_not_counted_shows_its_limits_unused() -> None:
    with K8sStandin() as standin:
        standin.add_namespace("batch")
        standin.put(RESOURCEQUOTAS, k8s.V1ResourceQuota(
            api_version="v1", kind="ResourceQuota",
            metadata=k8s.V1ObjectMeta(name="jobs", namespace="batch",
                                      creation_timestamp=datetime.now(UTC)),
            spec=k8s.V1ResourceQuotaSpec(hard={"count/jobs.batch": "10"})))
        cluster = Cluster(k8s.ApiClient(standin.configuration()), 5.0)
        out = KubernetesTools(cluster, lambda: datetime.now(UTC)).list_resource_quotas(
            ListResourceQuotasArgs(namespace="batch"))
        cluster.close()
    (quota,) = ResourceQuotaList.model_validate(out.json_data()).quotas
    assert [(r.resource, r.used, r.hard, r.ratio) for r in quota.resources] == [
        ("count/jobs.batch", "0", "10", 0.0)]


# --- a quota alert's thread ----------------------------------------------------------------


def test_a_quota_alert_links_its_quota_and_reads_it_as_evidence() -> None:
    linking = link_entities("quota warning, anything to do?", QUOTA_ALERT,
                            _sandbox().inventory())
    assert linking.entities.resourcequota == "nettbutikk-compute"
    calls = evidence_calls(linking.entities.bindings())
    assert ToolCall(tool="list_resource_quotas",
                    args={"namespace": "nettbutikk", "name": "nettbutikk-compute"}) in calls


def test_a_thread_without_a_quota_reads_none() -> None:
    calls = evidence_calls({"namespace": "shop", "deployment": "checkout"})
    assert all(c.tool != "list_resource_quotas" for c in calls)


def _alert(state: str) -> AlertRow:
    return AlertRow(name="KubeQuotaAlmostFull", state=state, severity="warning",
                    labels={k: v for k, v in QUOTA_ALERT.items() if k != "alertname"},
                    summary="Namespace quota is going to be full.", annotations={},
                    since="2026-12-07T06:30:00Z")


def _quota_findings(state: str) -> list[Any]:
    outputs = [(ResourceQuotaList.model_validate(_read(namespace="nettbutikk").json_data()),
                None), (AlertList(alerts=[_alert(state)]), None)]
    evidence = collect(outputs, Inventory(environment="prod"), _sandbox().now)
    return [f for f in analyze(evidence, []) if f.kind == "quota-nearly-used-up"]


def test_the_quota_finding_states_used_of_hard_and_decides_nothing() -> None:
    (finding,) = _quota_findings("firing")
    assert finding.subject.alertname == "KubeQuotaAlmostFull"
    assert "requests.cpu 15500m of 16 (15.5 of 16, 97%)" in finding.summary
    assert not finding.supports and not finding.contradicts


def test_no_quota_finding_without_its_alert_firing() -> None:
    assert _quota_findings("resolved") == []
