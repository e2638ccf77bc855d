"""Text for people and models from the pod, node, Job, volume, Service and quota outputs; both
backends build the output model and render it here, so their texts cannot drift."""

from __future__ import annotations

from tools.object_outputs import (
    CronJobList,
    JobDescription,
    NodeDescription,
    NodeList,
    PodDescription,
    ResourceQuotaList,
    ServiceDescription,
    StorageClassList,
    VolumeClaimList,
    VolumeDescription,
)
from tools.render import table

_GIB = 2**30


def pod_text(d: PodDescription) -> str:
    lines = [
        f"Name:        {d.name}",
        f"Namespace:   {d.namespace}",
        f"Node:        {d.node or '-'}",
        f"Status:      {d.reason or d.phase} ({'ready' if d.ready else 'NOT ready'})",
        f"Controlled:  {d.owner or 'nothing (a bare pod: deleting it is final)'}",
        "Containers:",
    ]
    for c in d.containers:
        last = (f", last terminated {c.last_termination_reason}"
                + (f" (exit {c.last_exit_code})" if c.last_exit_code is not None else "")
                if c.last_termination_reason else "")
        lines.append(f"  {c.name} {c.image}: {c.state}{f' {c.reason}' if c.reason else ''}, "
                     f"{'ready' if c.ready else 'not ready'}, {c.restarts} restarts{last}")
    lines.append("Conditions:")
    lines.extend(f"  {c.type}={c.status}{f' ({c.reason})' if c.reason else ''}"
                 for c in d.conditions)
    if d.events is not None:
        lines.append("Events:")
        lines.extend(f"  {e.type} {e.reason} (x{e.count}, last {e.last_seen or '-'}): "
                     f"{e.message}" for e in d.events)
        if not d.events:
            lines.append("  none")
    return "\n".join(lines)


def nodes_text(out: NodeList) -> str:
    if not out.nodes:
        return "no nodes"
    rows = [(n.name, "Ready" if n.ready == "True" else f"NotReady ({n.ready})",
             "cordoned" if n.unschedulable else "-", ", ".join(n.pressure) or "-",
             ",".join(n.roles) or "<none>", n.pods, n.age or "-", n.kubelet_version or "-")
            for n in out.nodes]
    return table(("NAME", "STATUS", "SCHEDULING", "PRESSURE", "ROLES", "PODS", "AGE",
                  "VERSION"), rows)


def node_text(d: NodeDescription) -> str:
    lines = [
        f"Name:          {d.name}",
        f"Ready:         {d.ready}",
        f"Unschedulable: {'yes (cordoned)' if d.unschedulable else 'no'}",
        f"Pressure:      {', '.join(d.pressure) or 'none'}",
        "Taints:        " + (", ".join(f"{t.key}{f'={t.value}' if t.value else ''}:{t.effect}"
                                       for t in d.taints) or "none"),
        "Capacity:      " + ", ".join(f"{k}={v}" for k, v in sorted(d.capacity.items())),
        "Allocatable:   " + ", ".join(f"{k}={v}" for k, v in sorted(d.allocatable.items())),
        "Conditions:",
        table(("  TYPE", "STATUS", "REASON", "MESSAGE"),
              [(f"  {c.type}", c.status, c.reason, c.message) for c in d.conditions]),
        f"Pods ({len(d.pods)}):",
    ]
    lines.extend(f"  {p.namespace}/{p.name} {p.phase}{'' if p.ready else ' (not ready)'}"
                 for p in d.pods)
    return "\n".join(lines)


def job_text(d: JobDescription) -> str:
    lines = [
        f"Job {d.namespace}/{d.name}" + (f" (from CronJob {d.cronjob})" if d.cronjob else ""),
        f"Status:   {d.status}" + (f": {d.reason}" if d.reason else "")
        + (f" - {d.message}" if d.message else ""),
        f"Pods:     {d.active} active, {d.succeeded} succeeded, {d.failed} failed",
        f"Started:  {d.started_at or '-'}   Finished: {d.finished_at or '-'}",
    ]
    lines.extend(f"  pod {p.name}: {p.phase}"
                 + (f" {p.reason}" if p.reason else "")
                 + (f" (exit {p.exit_code})" if p.exit_code is not None else "")
                 for p in d.pods)
    return "\n".join(lines)


def cronjobs_text(out: CronJobList) -> str:
    if not out.cronjobs:
        return f"no cronjobs in {out.namespace}"
    rows = [(c.name, c.schedule, "yes" if c.suspended else "no", c.active,
             c.last_schedule or "-", c.last_successful or "-",
             f"{c.jobs[-1]} {c.last_job_status}" if c.jobs else "-") for c in out.cronjobs]
    text = table(("NAME", "SCHEDULE", "SUSPENDED", "ACTIVE", "LAST-SCHEDULE",
                  "LAST-SUCCESS", "LAST-JOB"), rows)
    # First, so a shortened listing still says it: a suspended CronJob's last run may have
    # completed, and nothing else says no run starts after it.
    suspended = [c.name for c in out.cronjobs if c.suspended]
    return (f"suspended, no runs start: {', '.join(suspended)}\n{text}" if suspended
            else text)


def _gib(value: int | None) -> str:
    return "-" if value is None else f"{value / _GIB:.1f}Gi"


def claims_text(out: VolumeClaimList) -> str:
    if not out.claims:
        return f"no persistentvolumeclaims in {out.namespace}"
    rows = [(c.name, c.phase, c.volume or "-", _gib(c.capacity_bytes), _gib(c.used_bytes),
             "-" if c.used_fraction is None else f"{c.used_fraction:.0%}",
             c.storage_class or "-", ",".join(c.access_modes)) for c in out.claims]
    text = table(("NAME", "STATUS", "VOLUME", "CAPACITY", "USED", "USED%", "STORAGECLASS",
                  "ACCESS"), rows)
    return f"{text}\nusage unavailable: {out.usage_note}" if out.usage_note else text


def volume_text(d: VolumeDescription) -> str:
    lines = [
        f"Name:            {d.name}",
        f"StorageClass:    {d.storage_class or '-'}",
        f"Status:          {d.phase}",
        f"Claim:           {d.claim or '-'}",
        f"Reclaim Policy:  {d.reclaim_policy or '-'}",
        f"Access Modes:    {','.join(d.access_modes) or '-'}",
        f"VolumeMode:      {d.volume_mode or '-'}",
        f"Capacity:        {_gib(d.capacity_bytes)}",
        f"Source:          {d.source or '-'}",
    ]
    if d.reason or d.message:
        lines.append(f"Message:         {d.reason or ''} {d.message or ''}".rstrip())
    return "\n".join(lines)


def storage_classes_text(out: StorageClassList) -> str:
    if not out.storage_classes:
        return "no storageclasses"
    rows = [(c.name + (" (default)" if c.default else ""), c.provisioner, c.reclaim_policy,
             c.volume_binding_mode, "true" if c.allow_volume_expansion else "false")
            for c in out.storage_classes]
    return table(("NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE",
                  "ALLOWVOLUMEEXPANSION"), rows)


def service_text(d: ServiceDescription) -> str:
    ready = [e for e in d.endpoints if e.ready]
    selector = ",".join(f"{k}={v}" for k, v in sorted((d.selector or {}).items()))
    lines = [
        f"Name:        {d.name}",
        f"Namespace:   {d.namespace}",
        f"Type:        {d.type or '-'}",
        f"IP:          {d.cluster_ip or '-'}",
        f"Selector:    {selector or '-'}",
        f"Ports:       {', '.join(d.ports) or '-'}",
        f"Endpoints:   {len(ready)} ready, {len(d.endpoints) - len(ready)} not ready",
    ]
    lines.extend(f"  {e.pod or '-'} {e.address or '-'} on {e.node or '-'}"
                 f"{'' if e.ready else ' (not ready)'}" for e in d.endpoints)
    return "\n".join(lines)


def quotas_text(out: ResourceQuotaList) -> str:
    """As ``kubectl describe quota``: per quota, each resource's used and hard quantity,
    with how much of it is used and, when kubectl's units differ, used in hard's unit."""
    if not out.quotas:
        return f"no resourcequotas in {out.namespace}"
    blocks = []
    for quota in out.quotas:
        rows = [(r.resource, r.used, r.hard,
                 "-" if r.ratio is None else f"{r.ratio:.0%}"
                 + (f" ({r.used_as_hard} of {r.hard})" if r.used_as_hard else ""))
                for r in quota.resources]
        blocks.append(f"Name:       {quota.name}\nNamespace:  {out.namespace}\n"
                      + table(("RESOURCE", "USED", "HARD", "USED%"), rows))
    return "\n\n".join(blocks)
