"""Analyzers over alerts: firing inside a declared change window, or flapping. Pure.

A change window is read from the alert's own annotations (set by whoever owns the alerting
rule or the change calendar that stamps it), never from chat text. The silence scope a
finding carries is built from the firing alert's labels, narrowed only as far as needed to
leave same-named alerts that fire for other reasons alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime

from assistant.analysis.findings import Contradiction, Finding, Remedy, Subject
from assistant.analysis.series import render_series, shape
from assistant.analysis.windows import change_window
from assistant.models import Series
from tools.outputs import AlertRow

# Labels that describe an alert's severity or plumbing, not which thing it is about.
_NOT_IDENTITY = frozenset({"alertname", "severity", "prometheus", "receiver", "job"})
FLAP_JUMPS = 2  # sharp reversals in the observed window that make a series "flap"


def identity_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """The labels that say which thing an alert is about."""
    return {k: v for k, v in sorted(labels.items()) if k not in _NOT_IDENTITY}


def _identity(alert: AlertRow) -> dict[str, str]:
    return identity_labels(alert.labels)


def silence_scope(alert: AlertRow, loud: Sequence[AlertRow]) -> dict[str, str]:
    """Matchers for this alert: its namespace, plus identifying labels only while a loud
    same-named alert (one no finding explains) would otherwise match too."""
    identity = _identity(alert)
    scope: dict[str, str] = {}
    if "namespace" in identity:
        scope["namespace"] = identity["namespace"]

    def catches(other: AlertRow) -> bool:
        return other.name == alert.name and all(
            other.labels.get(k) == v for k, v in scope.items())

    for key, value in identity.items():
        if not any(catches(o) for o in loud):
            break
        scope[key] = value
    return scope if scope else identity


def _related(series: Series, alert: AlertRow) -> bool:
    shared = (set(series.labels) & set(alert.labels)) - {"namespace", "job"}
    return bool(shared) and all(series.labels[k] == alert.labels[k] for k in shared)


def _jumps(series: Series) -> int:
    sh = shape(series)
    if sh is None or sh.high == sh.low:
        return 0
    values = [float(v) for _, v in series.points]
    spread = sh.high - sh.low
    return sum(abs(b - a) >= 0.3 * spread for a, b in itertools.pairwise(values))


def analyze_alerts(alerts: Sequence[AlertRow], series: Sequence[Series],
                   now: datetime, diagnosed: Sequence[AlertRow] = ()) -> list[Finding]:
    """Change-window and flapping findings; ``diagnosed`` alerts are about a workload whose
    fault a finding names, so they are never taken for noise that comes and goes, nor for
    what a change window expects: the window is text in the alert, the fault is observed."""
    firing = [a for a in alerts if a.state == "firing"]
    explained: list[tuple[AlertRow, Finding]] = []
    overruled: list[tuple[AlertRow, str]] = []
    for alert in firing:
        window = change_window(alert.annotations)
        open_window = window is not None and window[1] <= now < window[2]
        if any(alert is d for d in diagnosed):
            if window is not None and open_window:
                overruled.append((alert, window[0]))
            continue
        if window is not None and open_window:
            text, start, end = window
            minutes = int((end - now).total_seconds() // 60)
            explained.append((alert, Finding(
                kind="change-window", subject=Subject(alertname=alert.name),
                summary=f"fires inside a declared change window ({minutes} min left)",
                evidence=(f"annotation {text}",
                          f"now {now:%H:%M}, window {start:%H:%M}-{end:%H:%M} UTC"),
                supports=(Remedy.SILENCE,), until=end, minutes_left=minutes)))
            continue
        flaps = [s for s in series if _related(s, alert) and _jumps(s) >= FLAP_JUMPS]
        if flaps:
            s = flaps[0]
            explained.append((alert, Finding(
                kind="flapping-alert", subject=Subject(alertname=alert.name),
                summary="its signal recovers by itself in a repeating cycle",
                evidence=(f"{render_series(s)} jumped back {_jumps(s)} times in the last "
                          f"{_span_minutes(s)} min",),
                supports=(Remedy.SILENCE,))))
    loud = [a for a in firing if all(a is not e for e, _ in explained)]
    findings = []
    for alert, finding in explained:
        scope = silence_scope(alert, loud)
        findings.append(finding.model_copy(update={
            "subject": Subject(alertname=alert.name, namespace=scope.get("namespace"),
                               labels=scope),
            "alert_labels": _identity(alert)}))
    for alert, text in overruled:
        findings.append(_not_to_mute(
            alert, "window-overruled",
            "fires inside a declared change window, about a fault the evidence shows",
            f"annotation {text}",
            "fires about a fault the evidence shows, whatever window it names: muting it "
            "would hide that fault"))
    for alert in loud:
        if any(e.name == alert.name for e, _ in explained):
            findings.append(_not_to_mute(
                alert, "alert-unexplained",
                "fires with no change window or known noise to explain it",
                f"{alert.severity} since {alert.since or '?'}: {alert.summary}",
                "fires for a reason nothing explains: muting it would hide it"))
    return findings


def _not_to_mute(alert: AlertRow, kind: str, summary: str, evidence: str,
                 why: str) -> Finding:
    """A finding about one firing alert that argues against silencing it."""
    return Finding(
        kind=kind,
        subject=Subject(alertname=alert.name, namespace=alert.labels.get("namespace"),
                        labels=_identity(alert)),
        alert_labels=_identity(alert), summary=summary, evidence=(evidence,),
        contradicts=(Contradiction(
            remedy=Remedy.SILENCE,
            why=f"{alert.name} in {alert.labels.get('namespace', 'its scope')} {why}"),))


def _span_minutes(series: Series) -> int:
    if len(series.points) < 2:
        return 0
    first = datetime.fromisoformat(series.points[0][0])
    last = datetime.fromisoformat(series.points[-1][0])
    return int((last - first).total_seconds() // 60)
