"""Alerts from Alertmanager (with silenced state) or, without one, Prometheus' rules,
in the shape the sandbox uses: name apart from labels, severity and summary pulled out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from assistant.models import AlertInfo, ToolOutput, alert_about
from tools import render
from tools.alertmanager.client import Alert
from tools.catalog import ListAlertsArgs
from tools.outputs import AlertList, AlertRow
from tools.prometheus.client import RuleAlert


@dataclass(frozen=True)
class AlertRecord:
    name: str
    labels: dict[str, str]  # without alertname, which is `name`
    state: Literal["firing", "silenced"]
    since: datetime | None
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "none")

    @property
    def summary(self) -> str:
        return self.annotations.get("summary") or self.annotations.get("description", "")

    def info(self) -> AlertInfo:
        return AlertInfo(name=self.name, labels=dict(self.labels), state=self.state,
                         severity=self.severity, about=alert_about(self.annotations))

    def matches(self, matchers: dict[str, str]) -> bool:
        return all(
            (self.name if key == "alertname" else self.labels.get(key)) == value
            for key, value in matchers.items()
        )


def _without_name(labels: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in labels.items() if k != "alertname"}


def from_alertmanager(alert: Alert) -> AlertRecord:
    # "suppressed" covers silences and inhibitions alike: either way nobody is paged.
    state: Literal["firing", "silenced"] = (
        "silenced" if alert.status.state == "suppressed" else "firing")
    return AlertRecord(name=alert.name, labels=_without_name(alert.labels), state=state,
                       since=alert.starts_at, annotations=dict(alert.annotations))


def from_rules(alerts: Sequence[RuleAlert]) -> list[AlertRecord]:
    """Firing rule alerts; pending ones have not fired yet and page nobody."""
    return [
        AlertRecord(name=a.labels.get("alertname", ""), labels=_without_name(a.labels),
                    state="firing", since=a.active_at, annotations=dict(a.annotations))
        for a in alerts
        if a.state == "firing"
    ]


def alerts_output(records: Sequence[AlertRecord], args: ListAlertsArgs,
                  now: datetime) -> ToolOutput:
    shown = {"firing", "silenced"} if args.include_silenced else {"firing"}
    picked = [
        r for r in records
        if r.state in shown and (args.namespace is None
                                 or r.labels.get("namespace") == args.namespace)
    ]
    data = [
        AlertRow(
            name=r.name,
            labels=dict(r.labels),
            state=r.state,
            since=r.since.isoformat() if r.since else None,
            severity=r.severity,
            summary=r.summary,
            annotations=dict(r.annotations),
        )
        for r in picked
    ]
    if not picked:
        where = f" in {args.namespace}" if args.namespace else ""
        return ToolOutput(text=f"no {' or '.join(sorted(shown))} alerts{where}",
                          data=AlertList(alerts=[]))
    return ToolOutput(text="\n".join(render.alert_text(a, now) for a in data),
                      data=AlertList(alerts=data))
