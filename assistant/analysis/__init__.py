"""Deterministic findings from typed observations (the idea k8sgpt's analyzers are built
on): what the evidence says, with the evidence named, and which remedies it supports or
rules out. Pure: no I/O, no tool names, no question text."""

from __future__ import annotations

from collections.abc import Iterable

from assistant.analysis.alerts import analyze_alerts
from assistant.analysis.evidence import Evidence, WorkloadEvidence, WorkloadKey, collect
from assistant.analysis.findings import Contradiction, Finding, Remedy, Subject
from assistant.analysis.workloads import WORKLOAD_ANALYZERS

__all__ = [
    "Contradiction", "Evidence", "Finding", "Remedy", "Subject", "WorkloadEvidence",
    "WorkloadKey", "analyze", "collect",
]


def analyze(evidence: Evidence, focus: Iterable[WorkloadKey]) -> list[Finding]:
    """Findings about the focused workloads and about every observed alert."""
    findings: list[Finding] = []
    faulty: list[WorkloadEvidence] = []
    for key in dict.fromkeys(focus):
        workload = evidence.workloads.get(key)
        if workload is None:
            continue
        found = [f for analyzer in WORKLOAD_ANALYZERS for f in analyzer(workload, evidence.now)]
        if any(f.supports for f in found):
            faulty.append(workload)
        findings.extend(found)
    # An alert about a workload with a diagnosed fault reports that fault, however much
    # one of its series (a crash loop's waiting reason) swings.
    diagnosed = [a for w in faulty for a in w.alerts]
    findings.extend(analyze_alerts(evidence.alerts, evidence.series, evidence.now, diagnosed))
    return findings
