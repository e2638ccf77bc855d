"""Analyzers over why a workload's pods do not exist or do not start: pods the scheduler
turns away, and pods a namespace quota forbids. Pure.

Both are read from the warnings the cluster recorded (FailedScheduling on a pod,
FailedCreate on a ReplicaSet), in the scheduler's and the quota admission's own words.
Neither is cured by more pods or fresh pods of the same spec, so both rule out a restart
and a scale-out. A rollback is ruled out only when every reason the scheduler gave is the
nodes' state (cordoned, tainted, not ready, a volume bound to another zone): a pod of an
earlier revision meets the same nodes. "Insufficient cpu" or an affinity the pod asks for
may be the new revision's own doing, so those leave a rollback to the other findings.
"""

from __future__ import annotations

import re
from datetime import datetime

from assistant.analysis.evidence import WorkloadEvidence
from assistant.analysis.findings import Contradiction, Finding, Remedy, Subject
from tools.workload_outputs import EventRow

# "0/6 nodes are available: 1 node(s) were unschedulable, 4 node(s) had volume node
# affinity conflict. preemption: ..." -> the reasons between the colon and the full stop.
_REASONS = re.compile(r"nodes are available:\s*(?P<reasons>[^.]+)")
_NODE_STATE = re.compile(
    r"were unschedulable|untolerated taint|had taint|were not ready|volume node affinity "
    r"conflict|disk-pressure|memory-pressure|pid-pressure|were out of disk", re.I)
_TURNED_AWAY_CORDONED = re.compile(r"(?P<count>\d+) node\(s\) were unschedulable", re.I)
_QUOTA = re.compile(r"exceeded quota:\s*(?P<quota>[\w.-]+)", re.I)


def _reasons(event: EventRow) -> list[str]:
    found = _REASONS.search(event.message)
    if found is None:
        return []
    return [r.strip() for r in found.group("reasons").split(",") if r.strip()]


def _seen(event: EventRow) -> str:
    return f"x{event.count}" + (f", last {event.last_seen}" if event.last_seen else "")


def _cordoned_one(reasons: list[str], cordoned: list[str]) -> str | None:
    """The node a pod waits for, when the scheduler turned exactly one node away as
    cordoned, every other node for another reason, and one node alone is cordoned: the
    only node not ruled out by something else (the only one in the volume's zone)."""
    counts = [int(m["count"]) for r in reasons if (m := _TURNED_AWAY_CORDONED.search(r))]
    return cordoned[0] if counts == [1] and len(cordoned) == 1 else None


def unschedulable(w: WorkloadEvidence, now: datetime) -> list[Finding]:
    """Pods Pending because no node takes them, with the scheduler's reasons."""
    pending = {p.name for p in w.pods if p.phase == "Pending" and not p.ready}
    turned_away = [e for e in w.events if e.reason == "FailedScheduling"
                   and e.object_kind == "Pod" and e.object_name in pending]
    if not turned_away:
        return []
    reasons = list(dict.fromkeys(r for e in turned_away for r in _reasons(e)))
    pods = sorted({e.object_name for e in turned_away})
    evidence = tuple(f"pod {e.object_name}: {e.reason} ({_seen(e)}): {e.message}"
                     for e in turned_away)
    why = "; ".join(reasons) or "no node fits it"
    waited_for = _cordoned_one(reasons, w.cordoned_nodes)
    if waited_for is not None:
        evidence = (*evidence,
                    f"node {waited_for} is the one cordoned node, and the only node the "
                    "scheduler did not turn away for another reason: uncordoned, it is the "
                    "one that may take the pod")
    contradicts = [
        Contradiction(remedy=Remedy.RESTART,
                      why=f"fresh pods wait for a node the same way ({why})"),
        Contradiction(remedy=Remedy.SCALE_OUT,
                      why=f"more replicas would wait for a node too ({why})"),
        Contradiction(remedy=Remedy.REPLACE_POD,
                      why=f"a replacement pod waits for the same nodes ({why})"),
    ]
    if reasons and all(_NODE_STATE.search(r) for r in reasons):
        contradicts.append(Contradiction(
            remedy=Remedy.ROLLBACK,
            why=f"the nodes turn the pod away, not its revision: an earlier revision's pod "
                f"meets the same nodes ({why})"))
    return [Finding(
        kind="unschedulable", subject=Subject(namespace=w.namespace, workload=w.name),
        summary=f"{len(pods)} of {len(w.pods)} pods cannot be scheduled: {why}",
        evidence=evidence, contradicts=tuple(contradicts))]


def quota_blocked(w: WorkloadEvidence, now: datetime) -> list[Finding]:
    """New pods the namespace's ResourceQuota forbids its controller to create."""
    refused = [e for e in w.events if e.reason == "FailedCreate" and _QUOTA.search(e.message)]
    if not refused:
        return []
    quotas = sorted({m.group("quota") for e in refused if (m := _QUOTA.search(e.message))})
    evidence = tuple(f"{e.object_kind.lower()}/{e.object_name}: {e.reason} ({_seen(e)}): "
                     f"{e.message}" for e in refused)
    named = ", ".join(quotas)
    return [Finding(
        kind="quota-blocked", subject=Subject(namespace=w.namespace, workload=w.name),
        summary=f"new pods are forbidden: exceeded quota {named}",
        evidence=evidence,
        contradicts=(
            Contradiction(remedy=Remedy.SCALE_OUT,
                          why=f"the quota {named} forbids the pods more replicas need; raise "
                              "the quota or free room in the namespace first"),
            Contradiction(remedy=Remedy.RESTART,
                          why=f"a rolling restart's new pods are forbidden by the quota "
                              f"{named} too"),
        ))]
