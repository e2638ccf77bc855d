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
    for key in dict.fromkeys(focus):
        workload = evidence.workloads.get(key)
        if workload is None:
            continue
        for analyzer in WORKLOAD_ANALYZERS:
            findings.extend(analyzer(workload, evidence.now))
    findings.extend(analyze_alerts(evidence.alerts, evidence.series, evidence.now))
    return findings
