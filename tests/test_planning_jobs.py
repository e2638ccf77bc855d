"""A Job or CronJob named in a question links from the inventory, with no alert needed
(outright, loosely, misspelt, by its run or its run's pod), and a thread about one reads
the Job and its running pod whatever runbook ranked first, proposing nothing for it."""

from __future__ import annotations

import pytest

from assistant.models import (
    AlertInfo,
    CronJobInfo,
    DeploymentInfo,
    Inventory,
    JobInfo,
    RetrievalHit,
    Runbook,
    RunbookStep,
    Section,
    ToolCall,
    ToolOutput,
)
from assistant.planning.entities import LinkedEntities, Linking, link_entities
from assistant.planning.offline import Observation, derive_bindings, plan_offline
from tools.job_tools import JobArgs
from tools.object_outputs import CronJobList, CronJobRow, JobDescription, JobPod
from tools.object_render import cronjobs_text
from tools.outputs import PodLogs
from tools.trouble_reads import job_reads

RUNS = ("tide-rollup-29936700", "tide-rollup-29938140")
HARBOUR = Inventory(
    environment="prod",
    deployments=(
        DeploymentInfo(namespace="marine", name="buoy-gateway", service="buoy-gateway",
                       replicas=2, ready_replicas=2),
        DeploymentInfo(namespace="marine", name="chart-api", service="chart-api", replicas=3,
                       ready_replicas=3),
    ),
    jobs=(
        JobInfo(namespace="marine", name=RUNS[0], cronjob="tide-rollup", status="Complete",
                pods=(f"{RUNS[0]}-k2x9q",)),
        JobInfo(namespace="marine", name=RUNS[1], cronjob="tide-rollup", status="Running",
                pods=(f"{RUNS[1]}-p7mzt",)),
        JobInfo(namespace="survey", name="sonar-backfill", status="Failed",
                pods=("sonar-backfill-w4hcd",)),
        JobInfo(namespace="marine", name="chart-api-reindex", status="Running",
                pods=("chart-api-reindex-b5n2r",)),
    ),
    cronjobs=(CronJobInfo(namespace="marine", name="tide-rollup", jobs=RUNS),),
)


@pytest.mark.parametrize(("question", "namespace", "job"), [
    ("tide-rollup has been going all morning, is it stuck?", "marine", RUNS[1]),
    ("why is the tide rollup so slow today", "marine", RUNS[1]),  # written with a space
    ("tide-rolup stuck again?", "marine", RUNS[1]),  # misspelt
    ("is the rollup job done yet?", "marine", RUNS[1]),  # one part of its name
    (f"what happened to {RUNS[0]}?", "marine", RUNS[0]),  # an older run, by its name
    (f"{RUNS[0]}-k2x9q exited, fine?", "marine", RUNS[0]),  # that run's pod
    ("sonar-backfill failed overnight, why", "survey", "sonar-backfill"),  # a Job alone
    # Named outright, a Job named after a workload is not that workload.
    ("chart-api-reindex is taking forever", "marine", "chart-api-reindex"),
])
def test_a_job_or_cronjob_named_without_an_alert_links_its_run(
        question: str, namespace: str, job: str) -> None:
    linking = link_entities(question, None, HARBOUR)
    assert linking.entities == LinkedEntities(namespace=namespace, job_name=job)
    assert linking.resolved and not linking.unmatched


def test_a_workload_named_outright_still_wins_over_a_job_named_loosely() -> None:
    linking = link_entities("chart-api is slow since the reindex", None, HARBOUR)
    assert (linking.entities.deployment, linking.entities.job_name) == ("chart-api", None)


def test_a_firing_alert_about_the_run_is_linked_with_it() -> None:
    paged = HARBOUR.model_copy(update={"alerts": (AlertInfo(
        name="KubeJobNotCompleted", labels={"namespace": "marine", "job_name": RUNS[1]}),)})
    linking = link_entities("tide-rollup stuck?", None, paged)
    assert linking.entities == LinkedEntities(namespace="marine", job_name=RUNS[1],
                                              alertname="KubeJobNotCompleted")


def test_one_cronjob_name_in_two_namespaces_is_asked_back() -> None:
    twice = HARBOUR.model_copy(update={
        "jobs": (*HARBOUR.jobs, JobInfo(namespace="survey", name="tide-rollup-29938141",
                                        cronjob="tide-rollup", status="Running")),
        "cronjobs": (*HARBOUR.cronjobs, CronJobInfo(namespace="survey", name="tide-rollup",
                                                    jobs=("tide-rollup-29938141",)))})
    linking = link_entities("tide-rollup is stuck", None, twice)
    assert set(linking.ambiguous) == {"marine/tide-rollup", "survey/tide-rollup"}


# A runbook ranked for "stuck" about pods: none of its steps reads a Job.
STUCK_POD = Runbook(
    id="pod-stuck", title="One pod stuck not ready",
    steps=(RunbookStep(tool="describe_pod", args={"namespace": "{namespace}", "pod": "{pod}"}),
           RunbookStep(tool="delete_pod", args={"namespace": "{namespace}", "pod": "{pod}"},
                       why="a wedged pod")),
    sections=(Section(heading="Meaning", text="A pod is stuck."),),
    path="runbooks/pod-stuck.md", content_hash="x")
POD = f"{RUNS[1]}-p7mzt"
OUTPUTS = {
    "describe_job": JobDescription(
        namespace="marine", name=RUNS[1], cronjob="tide-rollup", status="Running", active=1,
        succeeded=0, failed=0, started_at="2026-12-02T06:00:00+00:00", finished_at=None,
        reason=None, message=None,
        pods=[JobPod(name=POD, phase="Running", reason=None, exit_code=None)]),
    "get_pod_logs": PodLogs(pod=POD, lines=["waiting for /data/.tide.lock"], previous=False),
    "list_cronjobs": CronJobList(namespace="marine", cronjobs=[CronJobRow(
        name="tide-rollup", schedule="0 6 * * *", suspended=False, active=1,
        last_schedule=None, last_successful=None, jobs=list(RUNS), last_job_status="Running")]),
}


def test_a_thread_about_a_job_reads_it_its_cronjobs_and_its_running_pod_proposing_nothing(
) -> None:
    def run(call: ToolCall) -> Observation:
        data = ToolOutput(text="", data=OUTPUTS[call.tool]).json_data()
        return Observation(call=call, ok=True, text=call.tool, data=data)

    linking = Linking(entities=LinkedEntities(namespace="marine", job_name=RUNS[1]),
                      source="question")
    hit = RetrievalHit(runbook_id="pod-stuck", title=STUCK_POD.title, score=1.0,
                       section=STUCK_POD.sections[0], path=STUCK_POD.path)
    plan = plan_offline(linking, [hit], {"pod-stuck": STUCK_POD}, HARBOUR, run,
                        "tide-rollup is stuck, why?")
    assert [o.call for o in plan.observations] == [
        ToolCall(tool="describe_job", args={"namespace": "marine", "job": RUNS[1]}),
        # Whether its CronJob still starts runs, which no run of it says.
        ToolCall(tool="list_cronjobs", args={"namespace": "marine"}),
        ToolCall(tool="get_pod_logs", args={"namespace": "marine", "pod": POD})]
    assert plan.candidates == () and plan.ask_back is None


def test_a_cronjob_list_binds_the_cronjob_of_the_threads_run_not_another_failing_one() -> None:
    # "suspend tide-rollup": the thread is about its run, while another CronJob's failed.
    listed = CronJobList(namespace="marine", cronjobs=[
        CronJobRow(name="buoy-calibrate", schedule="0 * * * *", suspended=False, active=0,
                   last_schedule=None, last_successful=None, jobs=["buoy-calibrate-1"],
                   last_job_status="Failed"),
        CronJobRow(name="tide-rollup", schedule="0 6 * * *", suspended=False, active=1,
                   last_schedule=None, last_successful=None, jobs=list(RUNS),
                   last_job_status="Running")])
    call = ToolCall(tool="list_cronjobs", args={"namespace": "marine"})
    data = ToolOutput(text="", data=listed).json_data()
    assert derive_bindings(call, data, {"namespace": "marine", "job_name": RUNS[1]}) == {
        "cronjob": "tide-rollup"}


def test_a_suspended_cronjob_is_said_first_in_its_listing() -> None:
    listed = CronJobList(namespace="marine", cronjobs=[
        CronJobRow(name="tide-rollup", schedule="0 6 * * *", suspended=True, active=0,
                   last_schedule=None, last_successful=None, jobs=[RUNS[0]],
                   last_job_status="Complete"),
        CronJobRow(name="buoy-calibrate", schedule="0 * * * *", suspended=False, active=0,
                   last_schedule=None, last_successful=None, jobs=[], last_job_status=None)])
    text = cronjobs_text(listed)
    assert text.splitlines()[0] == "suspended, no runs start: tide-rollup"
    resumed = CronJobList(namespace="marine", cronjobs=[
        listed.cronjobs[0].model_copy(update={"suspended": False}), listed.cronjobs[1]])
    assert "suspended," not in cronjobs_text(resumed)


def test_a_running_job_with_no_pod_is_followed_to_its_events() -> None:
    podless = JobDescription(namespace="marine", name="berth-resync", cronjob=None,
                             status="Running", active=0, succeeded=0, failed=0,
                             started_at="2027-01-01T06:00:00Z", finished_at=None, reason=None,
                             message=None, pods=[])
    assert job_reads(JobArgs(namespace="marine", job="berth-resync"), podless) == [
        ToolCall(tool="list_events",
                 args={"namespace": "marine", "kind": "Job", "name": "berth-resync"})]
