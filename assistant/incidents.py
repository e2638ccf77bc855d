"""Incidents as the audit log tells them: an alert group fires (``alert_fired``), opsbot
or a person acts in its thread (``first_action``), the group resolves
(``alert_resolved``). From those, time to first action and time to resolve per incident;
their means over incidents are MTTA and MTTR. Pure: events in, incidents out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from assistant.models import AuditEvent

ALERT_FIRED = "alert_fired"
FIRST_ACTION = "first_action"
ALERT_RESOLVED = "alert_resolved"
INCIDENT_KINDS = frozenset({ALERT_FIRED, FIRST_ACTION, ALERT_RESOLVED})


@dataclass(frozen=True)
class Incident:
    thread: str
    group_key: str
    alertname: str
    fired_at: datetime
    first_action_at: datetime | None = None
    resolved_at: datetime | None = None

    @property
    def seconds_to_first_action(self) -> float | None:
        if self.first_action_at is None:
            return None
        return (self.first_action_at - self.fired_at).total_seconds()

    @property
    def seconds_to_resolve(self) -> float | None:
        if self.resolved_at is None:
            return None
        return (self.resolved_at - self.fired_at).total_seconds()


def incidents(events: Iterable[AuditEvent]) -> list[Incident]:
    """Every incident in ``events`` (any order of threads, seq order within one), oldest
    first. A group that fires again after resolving is a new incident in the same thread."""
    done: list[Incident] = []
    open_by_thread: dict[str, Incident] = {}
    for event in events:
        if event.kind not in INCIDENT_KINDS or event.thread is None:
            continue
        current = open_by_thread.get(event.thread)
        if event.kind == ALERT_FIRED:
            if current is not None and current.resolved_at is None:
                continue  # a repeat delivery of a group that is still firing
            if current is not None:
                done.append(current)
            open_by_thread[event.thread] = Incident(
                thread=event.thread, group_key=str(event.payload.get("group_key", "")),
                alertname=str(event.payload.get("alertname", "")), fired_at=event.time)
        elif current is None:
            continue
        elif event.kind == FIRST_ACTION and current.first_action_at is None:
            open_by_thread[event.thread] = replace(current, first_action_at=_acted_at(event))
        elif event.kind == ALERT_RESOLVED and current.resolved_at is None:
            open_by_thread[event.thread] = replace(current, resolved_at=event.time)
    return sorted([*done, *open_by_thread.values()], key=lambda i: i.fired_at)


def _acted_at(event: AuditEvent) -> datetime:
    """When the action ran (its execution event), which the first_action event follows."""
    acted = event.payload.get("acted_at")
    return datetime.fromisoformat(acted) if isinstance(acted, str) else event.time


def mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None
