"""Past the runbook's own reads: a result that shows a pod in trouble leads to that pod's
events and logs, each once, and no further than the bound."""

from __future__ import annotations

from typing import Any

from assistant.models import ToolCall
from assistant.planning.follow_ups import FOLLOW_UP_READS, follow_up
from assistant.planning.offline import Observation
from tools.backend import run_tool
from tools.sandbox import SandboxBackend


def _runner(calls: list[ToolCall]) -> Any:
    backend = SandboxBackend.load("halden-research-cluster")

    def run(call: ToolCall) -> Observation:
        calls.append(call)
        out = run_tool(backend, call)
        return Observation(call=call, ok=True, text=out.text, data=out.json_data())
    return run


def _after(tool: str, **args: Any) -> tuple[list[ToolCall], list[Observation]]:
    calls: list[ToolCall] = []
    run = _runner(calls)
    seen = follow_up([run(ToolCall(tool=tool, args=args))], run)
    return calls[1:], seen


def test_a_workload_short_of_ready_pods_leads_to_its_pods_and_their_events() -> None:
    calls, seen = _after("describe_deployment", namespace="genomics", deployment="align-worker")
    assert [(c.tool, c.args.get("pod")) for c in calls] == [
        ("list_pods", None),
        # The two worst of its three Pending pods: described, and no log (none started).
        ("describe_pod", "align-worker-6c2dd-c4gkw"), ("describe_pod", "align-worker-6c2dd-l9xhz")]
    assert "Insufficient cpu" in seen[1].text


def test_a_crash_looping_pod_leads_to_the_crashed_containers_log_once() -> None:
    calls, seen = _after("list_pods", namespace="datastore", deployment="irods-catalog",
                         kind="StatefulSet")
    assert [(c.tool, c.args) for c in calls] == [
        ("describe_pod", {"namespace": "datastore", "pod": "irods-catalog-2"}),
        ("get_pod_logs", {"namespace": "datastore", "pod": "irods-catalog-2", "previous": True})]
    assert "/tls/repl.crt" in seen[1].text


def test_a_running_jobs_pod_leads_to_what_it_is_doing_now() -> None:
    calls, seen = _after("describe_job", namespace="climate", job="ensemble-regrid-29936760")
    assert [(c.tool, c.args) for c in calls] == [
        ("get_pod_logs", {"namespace": "climate", "pod": "ensemble-regrid-29936760-fz6kp"})]
    assert "still waiting for lock" in seen[0].text


def test_what_shows_no_trouble_calls_for_nothing() -> None:
    assert _after("describe_job", namespace="climate", job="ensemble-regrid-29935320") == ([], [])
    assert _after("list_pods", namespace="genomics", deployment="variant-annotator") == ([], [])


def test_follow_ups_stop_at_the_bound() -> None:
    calls: list[ToolCall] = []
    run = _runner(calls)
    # Every crash-looping workload at once: far more than the bound calls for.
    first = [run(ToolCall(tool="list_pods", args={"namespace": ns}))
             for ns in ("genomics", "datastore", "jupyter", "monitoring")]
    assert len(follow_up(first, run)) == FOLLOW_UP_READS
