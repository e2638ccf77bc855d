"""An analyzer over a paged ResourceQuota: how much of which resource is used. Pure.

kube-state-metrics' quota alerts (KubeQuotaAlmostFull, KubeQuotaFullyUsed,
KubeQuotaExceeded) carry the quota's name and namespace; the quota's status, read as
evidence, says how close to its limits the namespace is. A quota nearly used up explains
why a controller cannot create pods, but decides no action by itself: whether to raise
the limit or free room is the namespace owner's call, so the finding supports and
contradicts nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.analysis.alerts import identity_labels
from assistant.analysis.findings import Finding, Subject
from tools.object_outputs import ResourceQuotaRow
from tools.outputs import AlertRow
from tools.quota_tools import nearly_used_up, usage

QUOTA_LABEL = "resourcequota"  # kube-state-metrics' label naming the quota


def quota_nearly_used_up(quotas: Sequence[tuple[str, ResourceQuotaRow]],
                         alerts: Sequence[AlertRow]) -> list[Finding]:
    """The resources a firing alert's quota has (nearly) used up, from the quota read."""
    read = {(namespace, q.name): q for namespace, q in quotas}
    findings = []
    for alert in alerts:
        namespace, name = alert.labels.get("namespace"), alert.labels.get(QUOTA_LABEL)
        quota = read.get((namespace or "", name or ""))
        if alert.state != "firing" or quota is None:
            continue
        full = nearly_used_up(quota)
        if not full:
            continue
        identity = identity_labels(alert.labels)
        findings.append(Finding(
            kind="quota-nearly-used-up",
            subject=Subject(alertname=alert.name, namespace=namespace, labels=identity),
            summary=f"resource quota {name} is nearly used up: "
                    f"{'; '.join(usage(r) for r in full)}: new pods requesting more than "
                    "is left are refused",
            evidence=tuple(f"resourcequota {namespace}/{name}: {usage(r)}"
                           for r in quota.resources),
            alert_labels=identity))
    return findings
