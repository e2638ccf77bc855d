"""Job and CronJob tools: status, suspend/resume a CronJob, delete a failed Job."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from assistant.models import BlastRadius, Inventory, Remedy, Risk, ToolClass, ToolSpec
from tools.args import Args, K8sName
from tools.command_forms import _kubectl, _namespace
from tools.object_outputs import CronJobList, JobDeletion, JobDescription, SuspendChange
from tools.outputs import Changed, FromTo, toggle_inverse
from tools.trouble_reads import job_reads

# What a thread about batch work says: its Jobs, their CronJobs, how runs end.
JOB_TOPIC = re.compile(r"\bjobs?\b|\bcron|\bbatch\b|\bbackofflimit|\bdeadlineexceeded\b",
                       re.IGNORECASE)


class JobArgs(Args):
    namespace: K8sName = Field(description="Kubernetes namespace")
    job: K8sName = Field(description="Job name")


class ListCronJobsArgs(Args):
    namespace: K8sName = Field(description="Kubernetes namespace")


class CronJobArgs(Args):
    namespace: K8sName = Field(description="Kubernetes namespace")
    cronjob: K8sName = Field(description="CronJob name")


def _no_blast(_args: Args, _inventory: Inventory) -> BlastRadius:
    return BlastRadius()


def _namespace_only(args: JobArgs | CronJobArgs, _inventory: Inventory) -> BlastRadius:
    """A Job's pods have finished or failed, and a CronJob's flag stops future runs only:
    neither reaches a serving pod, so the namespace is all there is to limit."""
    return BlastRadius(namespaces=(args.namespace,))


def _cronjob_key(args: CronJobArgs) -> str:
    return f"{args.namespace}/cronjob/{args.cronjob}"


def _job_key(args: JobArgs) -> str:
    return f"{args.namespace}/job/{args.job}"


def _named_namespace(args: JobArgs | CronJobArgs) -> frozenset[str]:
    return frozenset({args.namespace})


def _job_evidence(bound: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A thread about a Job reads it: how it stands and which pods it runs or ran."""
    if not (bound.get("namespace") and bound.get("job_name")):
        return []
    return [{"namespace": bound["namespace"], "job": bound["job_name"]}]


def _cronjobs_evidence(bound: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A thread about a Job reads its namespace's CronJobs: a CronJob's run says how it
    ended, never whether its CronJob still starts runs (suspended, or on its schedule)."""
    if not (bound.get("namespace") and bound.get("job_name")):
        return []
    return [{"namespace": bound["namespace"]}]


def _job_bindings(output: JobDescription, known: Mapping[str, Any]) -> dict[str, Any]:
    """A failed Job, and the pod of its that failed last; a Job still running, and the
    pod it runs now: what a runbook's next reads (``describe pod $POD_FROM_JOB``, its
    logs) are about when a run failed or does not complete."""
    if output.status == "Failed":
        found: dict[str, Any] = {"job_name": output.name}
        pods = [p.name for p in output.pods if p.phase == "Failed"]
    elif output.status == "Running":
        found, pods = {}, [p.name for p in output.pods if p.phase == "Running"]
    else:
        return {}
    if pods and "pod" not in known:
        found["pod"] = pods[-1]
    return found


def _cronjob_bindings(output: CronJobList, known: Mapping[str, Any]) -> dict[str, Any]:
    """The CronJob of the run the thread is about, else the CronJob whose latest run
    failed and that run; and a suspended CronJob: what a thread about failing or stalled
    batch work is about."""
    found: dict[str, Any] = {}
    failed = [c for c in output.cronjobs if c.last_job_status == "Failed" and c.jobs]
    ours = [c for c in output.cronjobs if known.get("job_name") in c.jobs]
    if ours and "cronjob" not in known:
        found["cronjob"] = ours[0].name
    elif failed and "job_name" not in known:
        found.update(cronjob=failed[0].name, job_name=failed[0].jobs[-1])
    suspended = [c.name for c in output.cronjobs if c.suspended]
    if suspended and "suspended_cronjob" not in known:
        found["suspended_cronjob"] = suspended[0]
    return found


def _stalled_or_failed(output: CronJobList) -> list[str]:
    return [*(f"cronjob {c.name}: last run {c.jobs[-1]} failed" for c in output.cronjobs
              if c.last_job_status == "Failed" and c.jobs),
            *(f"cronjob {c.name} is suspended: no runs start" for c in output.cronjobs
              if c.suspended)]


def _failing(output: JobDescription) -> list[str]:
    if output.status != "Failed":
        return []
    return [f"job {output.name} failed: {output.reason or 'no reason given'}"]


def suspension_in_place(namespace: str, cronjob: str, suspend: bool) -> tuple[str, str]:
    """What a suspend (or resume) of a CronJob already in that state says: the preview's
    refusal (there is nothing to approve) and the run's result (a retry whose first
    attempt applied, or someone else got there first, has what it asked for)."""
    state = "already suspended" if suspend else "already running on its schedule"
    verb = "suspend" if suspend else "resume"
    return (f"cronjob {namespace}/{cronjob} is {state}: {verb} would change nothing",
            f"{verb} cronjob {namespace}/{cronjob}: it is {state}, as asked; nothing changed")


def _suspended(change: SuspendChange) -> FromTo[bool]:
    return change.suspended


def _job_name(word: str) -> str:
    """``$JOB`` in a Job command is the Job's name, which alerts label ``job_name``; a bare
    ``job`` label is Prometheus's scrape job, so only here does it mean a Job."""
    return "{job_name}" if word == "{job}" else word


def describe_job_form(command: Any) -> dict[str, Any] | None:
    rest = _kubectl(command, "describe", "job") or _kubectl(command, "get", "job")
    if rest is None or len(rest) != 1:
        return None
    return {"namespace": _namespace(command), "job": _job_name(rest[0])}


def list_cronjobs_form(command: Any) -> dict[str, Any] | None:
    for verb in ("get", "describe"):
        rest = _kubectl(command, verb, "cronjob")
        if rest is not None and len(rest) <= 1 and "all-namespaces" not in command.options:
            return {"namespace": _namespace(command)}
    return None


def delete_job_form(command: Any) -> dict[str, Any] | None:
    rest = _kubectl(command, "delete", "job")
    if rest is None or len(rest) != 1:
        return None
    return {"namespace": _namespace(command), "job": _job_name(rest[0])}


def _suspend_form(value: str) -> Any:
    """``kubectl patch cronjob X -p '{"spec":{"suspend":true}}'``, the documented way."""
    def form(command: Any) -> dict[str, Any] | None:
        rest = _kubectl(command, "patch", "cronjob")
        patch = re.sub(r"\s", "", command.options.get("patch", ""))
        if rest is None or len(rest) != 1 or patch != f'{{"spec":{{"suspend":{value}}}}}':
            return None
        return {"namespace": _namespace(command), "cronjob": rest[0]}
    return form


JOB_TOOLS = (
    ToolSpec(
        name="describe_job",
        description="A Job's status (Running, Complete, Failed), counts, reason and pods.",
        args_model=JobArgs, output_model=JobDescription, tool_class=ToolClass.READ,
        risk=Risk.LOW, blast_radius=_no_blast, bindings=_job_bindings, trouble=_failing,
        evidence=_job_evidence, next_reads=job_reads, implements=describe_job_form,
        topic=JOB_TOPIC),
    ToolSpec(
        name="list_cronjobs",
        description="CronJobs of a namespace: schedule, suspended, last run and its result.",
        args_model=ListCronJobsArgs, output_model=CronJobList, tool_class=ToolClass.READ,
        risk=Risk.LOW, blast_radius=_no_blast,
        bindings=_cronjob_bindings, trouble=_stalled_or_failed, evidence=_cronjobs_evidence,
        implements=list_cronjobs_form,
        topic=JOB_TOPIC),
    ToolSpec(
        name="suspend_cronjob",
        description="Suspend a CronJob: no new runs start; running Jobs carry on.",
        args_model=CronJobArgs, output_model=Changed[SuspendChange],
        tool_class=ToolClass.REMEDIATION, risk=Risk.MEDIUM, blast_radius=_namespace_only,
        resource=_cronjob_key, named_namespaces=_named_namespace,
        inverse=toggle_inverse("resume_cronjob", _suspended), remedy=Remedy.SUSPEND,
        implements=_suspend_form("true"),
        asked_by=re.compile(r"\b(?:suspend|pause|stop)\b[\w\s/-]{0,30}\bcron"), topic=JOB_TOPIC),
    ToolSpec(
        name="resume_cronjob",
        description="Resume a suspended CronJob: it runs on its schedule again.",
        args_model=CronJobArgs, output_model=Changed[SuspendChange],
        tool_class=ToolClass.REMEDIATION, risk=Risk.LOW, blast_radius=_namespace_only,
        resource=_cronjob_key, named_namespaces=_named_namespace,
        inverse=toggle_inverse("suspend_cronjob", _suspended), remedy=Remedy.RESUME,
        implements=_suspend_form("false"),
        asked_by=re.compile(r"\b(?:resume|unsuspend|unpause)\b[\w\s/-]{0,30}\bcron"),
        topic=JOB_TOPIC),
    ToolSpec(
        name="delete_failed_job",
        description="Delete a Job that has failed, with its pods; refuses any other Job.",
        args_model=JobArgs, output_model=Changed[JobDeletion],
        tool_class=ToolClass.REMEDIATION, risk=Risk.LOW, blast_radius=_namespace_only,
        idempotent=False, resource=_job_key, remedy=Remedy.CLEAN_UP,
        named_namespaces=_named_namespace, implements=delete_job_form,
        asked_by=re.compile(r"\b(?:delete|remove|clean\s*up)\b[\w\s/-]{0,30}\bjob\b"),
        topic=JOB_TOPIC),
)
