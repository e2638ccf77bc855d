"""Deterministic findings from typed observations (the idea k8sgpt's analyzers are built
on): what the evidence says, with the evidence named, and which remedies it supports or
rules out. Pure: no I/O, no tool names, no question text."""

from __future__ import annotations

from collections.abc import Iterable

from assistant.analysis.alerts import analyze_alerts
from assistant.analysis.evidence import Evidence, WorkloadEvidence, WorkloadKey, collect
from assistant.analysis.findings import Contradiction, Finding, Remedy, Subject
from assistant.analysis.logs import certificate_failure, throttled_dependency
from assistant.analysis.quotas import quota_nearly_used_up
from assistant.analysis.scheduling import quota_blocked, unschedulable
from assistant.analysis.workloads import WORKLOAD_ANALYZERS, healthy

__all__ = [
    "Contradiction", "Evidence", "Finding", "Remedy", "Subject", "WorkloadEvidence",
    "WorkloadKey", "analyze", "collect", "unremedied",
]

ANALYZERS = (*WORKLOAD_ANALYZERS, throttled_dependency, certificate_failure, unschedulable,
             quota_blocked)


def analyze(evidence: Evidence, focus: Iterable[WorkloadKey]) -> list[Finding]:
    """Findings about the focused workloads and about every observed alert."""
    findings: list[Finding] = []
    faulty: list[WorkloadEvidence] = []
    for key in dict.fromkeys(focus):
        workload = evidence.workloads.get(key)
        if workload is None:
            continue
        found = [f for analyzer in ANALYZERS for f in analyzer(workload, evidence.now)]
        if any(f.supports for f in found):
            faulty.append(workload)
        findings.extend(found)
    # An alert about a workload with a diagnosed fault reports that fault, however much
    # one of its series (a crash loop's waiting reason) swings.
    diagnosed = [a for w in faulty for a in w.alerts]
    about_alerts = analyze_alerts(evidence.alerts, evidence.series, evidence.now, diagnosed)
    findings.extend(about_alerts)
    findings.extend(quota_nearly_used_up(evidence.quotas, evidence.alerts))
    # A workload whose only alerts are expected noise (its change window, a flap) is as
    # healthy as its pods and series say: a restart does not speed up a maintenance.
    for key in dict.fromkeys(focus):
        workload = evidence.workloads.get(key)
        if workload is None or any(f.subject.workload == key[1] and f.subject.namespace == key[0]
                                   and (f.supports or f.kind == "healthy") for f in findings):
            continue
        expected = [a for a in workload.alerts
                    if any(f.explains(a.name, a.labels) for f in about_alerts)]
        if expected:
            findings.extend(healthy(workload, evidence.now, expected))
    return findings


# Faults no action of the catalog mends (a certificate's dates): looked for in the costly
# reads only when a workload's trouble is otherwise unexplained.
UNREMEDIED_ANALYZERS = (certificate_failure,)


def unremedied(evidence: Evidence, focus: Iterable[WorkloadKey]) -> list[Finding]:
    """Findings of faults that no action of the catalog mends, about the focused
    workloads."""
    return [f for key in dict.fromkeys(focus)
            if (workload := evidence.workloads.get(key)) is not None
            for analyzer in UNREMEDIED_ANALYZERS for f in analyzer(workload, evidence.now)]
